// The demo app's webthreads-only JS (examples/mandel/mandel.c): JS objects registered in a worker's
// realm (wtHandles) and the Promise-based step (wtCompletion.define, run by wt_await_js_sync).
addToLibrary({
  // Worker: registers a JS object in this thread's table; JS lets go at once, so the managed release
  // (from another thread) frees it. Writes the handle to *out.
  demo_register_obj__deps: ['$wtHandles'],
  demo_register_obj: (i, out) => {
    var h = wtHandles.register({ tile: i, made: performance.now() });
    wtHandles.release(h);
    HEAP64[out >> 3] = BigInt(h);
  },
  // Worker: JS values this realm's table still holds.
  demo_objs_held__deps: ['$wtHandles'],
  demo_objs_held: () => wtHandles.size(),
  // UI thread, at start: the function the deputy's wt_await_js_sync runs here.
  demo_define_fetch__deps: ['$wtCompletion'],
  demo_define_fetch: () => wtCompletion.define('demoFetch', async () => (await fetch(Module.demo.url)).text()),
});
