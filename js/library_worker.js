// webthreads JS library: dedicated JS worker threads (C side: worker/worker.c).
//
// A dedicated JS worker thread keeps its Worker's realm for user JS (its timers, Promises and objects
// live on after its start function returns), so the realm can never be handed to another thread:
// the worker claims it when it starts, and the pool terminates the Worker when the thread is gone
// (js/library_pool.js: wtPoolRetireRealm; counted in wt_pool_stats().dirty and .retired).
#if PTHREADS
addToLibrary({
  // Worker realm, on the new worker thread (worker_main), before it unwinds to its event loop.
  wt__js_worker_realm_claim__deps: ['$wtPoolRetireRealm'],
  wt__js_worker_realm_claim: () => {
    wtPoolRetireRealm('a dedicated JS worker thread ran here (wt_worker_create): its realm is never reused');
  },
});
#endif
