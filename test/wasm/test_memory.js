// Test-only JS library shared by the wasm test programs that check memory (test/pool/pool_wasm.c's
// churn, test/stress/stress.c): the memory of the whole program, every Worker included.
//
//   void wtt_memory_measure(int at, void (*done)(int at, double bytes, int kind));
//
// UI thread only, asynchronous: done(at, bytes, kind) runs later from the event loop, with bytes = -1
// if this environment cannot measure it, -2 if the measurement failed. Call it only while no thread of
// the program is blocked: Chromium's probe must reach every Worker's V8.
//   kind 1, node: the process's RSS, after a GC of the UI thread's heap.
//   kind 2, Chromium: window.__wt_memory() from test/run-wasm.mjs: the V8 heap in use after a forced
//     full GC, summed over the page and every dedicated Worker (DevTools protocol; memoryProbe there
//     says why not the renderer's RSS). performance.measureUserAgentSpecificMemory() is not used: it
//     resolves only at some later GC (not within 30 s here).
addToLibrary({
  wtt_memory_measure: (at, done) => {
    var set = (v, kind) => {{{ makeDynCall('vidi', 'done') }}}(at, v, kind);
    if (typeof process == 'object' && process.memoryUsage) {
      // Collect the UI thread's garbage first (node: gc via the V8 flag, set at run time).
      try { require('v8').setFlagsFromString('--expose-gc'); require('vm').runInNewContext('gc')(); } catch (e) {}
      setTimeout(() => set(process.memoryUsage().rss, 1), 50);
    } else if (typeof __wt_memory == 'function') {
      __wt_memory().then((b) => set(b >= 0 ? b : -2, 2), () => set(-2, 2));
    } else {
      set(-1, 0);
    }
  },
});
