// bench/pool's JS helpers (--js-library of every bench/pool variant, stock emscripten included).
// They use only emscripten's own PThread lists and methods, which webthreads wraps in the "wt" variant,
// so both pools are counted and booted through the same calls.
addToLibrary({
  // UI thread: milliseconds since navigation (node: since the process started).
  bench_page_now: () => performance.now(),

  // Any thread (sync proxy to the UI thread): out[0] alive Workers, out[1] loaded Workers not assigned
  // a thread, out[2] Workers still booting.
  bench_workers__proxy: 'sync',
  // (Workers running threads: PThread.pthreads, on every emscripten; runningWorkers is gone in 6.0.)
  bench_workers__deps: ['$PThread', '$benchMarkLoaded'],
  bench_workers: (out) => {
    var U = PThread.unusedWorkers, R = Object.values(PThread.pthreads);
    HEAP32[out >> 2] = U.length + R.length;
    HEAP32[(out >> 2) + 1] = U.filter((w) => w.loaded).length;
    HEAP32[(out >> 2) + 2] = U.filter((w) => !w.loaded).length + R.filter((w) => !w.loaded).length;
  },

  // UI thread: marks each Worker `loaded` when it has loaded, as emscripten 3.x does itself and later
  // versions do not (the stock programs here have no webthreads pool to do it).
  $benchMarkLoaded__deps: ['$PThread'],
  $benchMarkLoaded__postset: 'benchMarkLoaded();',
  $benchMarkLoaded: () => {
    if (ENVIRONMENT_IS_PTHREAD) return;
    var load = PThread.loadWasmModuleToWorker;
    PThread.loadWasmModuleToWorker = (w) => load(w).then((r) => { w.loaded = true; return r; });
  },

  // UI thread only: boots n Workers of this program — all at once (serial = 0: the raw floor for a
  // burst) or one after the other (serial = 1: per-Worker boot latency) — then calls
  // bench_boot_done(n, total_ms, median_ms, max_ms) with the latencies from `new Worker` to "loaded".
  bench_boot__deps: ['$PThread', '$callUserCallback', 'bench_boot_done'],
  bench_boot: (n, serial) => {
    var t0 = performance.now(), lat = [];
    var one = () => {
      var s = performance.now();
      PThread.allocateUnusedWorker();
      var w = PThread.unusedWorkers[PThread.unusedWorkers.length - 1];
      return PThread.loadWasmModuleToWorker(w).then(() => { lat.push(performance.now() - s); });
    };
    var all = serial ? Array.from({ length: n }).reduce((p) => p.then(one), Promise.resolve())
                     : Promise.all(Array.from({ length: n }, one));
    all.then(() => {
      lat.sort((a, b) => a - b);
      callUserCallback(() => _bench_boot_done(n, performance.now() - t0, lat[(n - 1) >> 1], lat[n - 1]));
    });
  },
});
