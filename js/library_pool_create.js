// webthreads JS library: pthread_create from a worker thread (C side: pool/create.c).
//
// Emscripten's __pthread_create_js (3.1.69, 6.0.5; checked by js/library_emscripten.js) sends a worker's pthread_create to the UI thread through
// $pthreadCreateProxied, a `__proxy: 'sync'` function: emscripten_proxy_sync, whose completion can
// leave the creator waiting forever (pool/create.c, docs/pool.md). This replaces $pthreadCreateProxied
// (user libraries merge after emscripten's, so ours is the one linked) with a call into
// wt__pool_create_proxied, which runs the same __pthread_create_js on the UI thread and waits on a
// completion word instead. Nothing else of emscripten's is changed; the UI side is still
// __pthread_create_js (spawnThread -> the pool's take), whatever library wraps it.
#if PTHREADS
addToLibrary({
  // Worker threads only (__pthread_create_js calls it when ENVIRONMENT_IS_PTHREAD). An empty __proxy
  // replaces emscripten's 'sync': this function runs on the creator itself.
  $pthreadCreateProxied__proxy: '',
  // A parked Worker takes the thread through shared memory if there is one (js/library_pool_park.js):
  // no call to the UI thread at all.
  $pthreadCreateProxied__deps: ['wt__pool_create_proxied', '$wtPark'],
  $pthreadCreateProxied: (pthread_ptr, attr, startRoutine, arg) =>
    wtPark.claim(pthread_ptr, startRoutine, arg) ? 0 : _wt__pool_create_proxied(pthread_ptr, attr, startRoutine, arg),

  // UI thread, from wt__pool_create_proxied's task: the create itself, emscripten's code (the
  // creator's own __pthread_create_js wrapper, on its thread, frees a refused block: js/library_pool.js).
  wt__js_pool_create_on_ui__deps: ['$wtPthreadCreateJs'],
  wt__js_pool_create_on_ui: (pthread_ptr, attr, startRoutine, arg) =>
    wtPthreadCreateJs(pthread_ptr, attr, startRoutine, arg),
});
#endif
