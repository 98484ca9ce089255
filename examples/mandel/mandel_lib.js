// The demo app's UI-thread JS (examples/mandel/mandel.c), both variants: drawing tiles into the page's
// canvas, the event-loop gap monitor, the Workers-alive sampler and the UI thread's report.
addToLibrary({
  // UI thread: draws a 32x32 tile (Chromium: into the page's canvas; node: into a checksum).
  demo_draw: (x, y, px, frame) => {
    var d = Module.demo;
    var t = performance.now();
    if (!d.firstTile) d.firstTile = t;
    d.lastTile = t;
    d.tiles++;
    if (d.firstFrameAt === undefined && frame > 0) d.firstFrameAt = t; // frame 0 is complete
    if (typeof document == 'undefined') { d.sum = (d.sum + HEAPU8[px + 4 * 33]) | 0; return; }
    if (!d.ctx) {
      var c = document.createElement('canvas');
      c.width = 480; c.height = 320; c.id = 'demo';
      document.body.style.margin = '0';
      document.body.appendChild(c);
      d.ctx = c.getContext('2d');
    }
    // HEAPU8 is shared memory: ImageData wants a buffer of its own (slice copies).
    d.ctx.putImageData(new ImageData(new Uint8ClampedArray(HEAPU8.slice(px, px + 32 * 32 * 4).buffer), 32, 32), x, y);
  },

  // UI thread, from the moment the program's JS runs (page load; before emscripten's pool preload and
  // before main): the event-loop gap monitor. Times are ms since the page (node: the process) started,
  // performance.now()'s origin, so both variants are measured from the same instant — the stock
  // variant's PTHREAD_POOL_SIZE Workers boot before its main starts, webthreads' while it runs.
  $demoEarly__postset: 'demoEarly();',
  $demoEarly: () => {
    if (typeof ENVIRONMENT_IS_PTHREAD != 'undefined' && ENVIRONMENT_IS_PTHREAD) return;
    if (typeof ENVIRONMENT_IS_WORKER != 'undefined' && ENVIRONMENT_IS_WORKER) return;
    var d = Module.demo = { tiles: 0, sum: 0, gaps: [], workers: [], last: performance.now() };
    d.monitor = setInterval(() => {
      var t = performance.now();
      d.gaps.push([t, t - d.last]);
      d.last = t;
    }, 10);
    // Chromium: the UI thread's long tasks (> 50 ms of work in one task), apart from gaps where the
    // thread was only waiting for a core.
    d.longTasks = null; // null: not observable here (node)
    if (typeof PerformanceObserver != 'undefined' && (PerformanceObserver.supportedEntryTypes || []).includes('longtask'))
      d.longTasks = [], new PerformanceObserver((l) => { for (var e of l.getEntries()) d.longTasks.push([e.startTime, e.duration]); })
        .observe({ type: 'longtask', buffered: true });
  },

  // UI thread, when main starts. alive: a C function returning the Workers alive (0: count emscripten's
  // own).
  demo_ui_start__deps: ['$PThread', '$demoEarly'],
  demo_ui_start: (alive) => {
    var d = Module.demo;
    d.mainAt = performance.now();
    var count = alive ? {{{ makeDynCall('i', 'alive') }}} : () => Object.keys(PThread.pthreads).length + PThread.unusedWorkers.length;
    d.workers.push([Math.round(d.mainAt), count()]);
    d.sampler = setInterval(() => d.workers.push([Math.round(performance.now()), count()]), 50);
    var base = typeof process == 'object' && process.env && process.env.WT_TEST_BASE_URL ? process.env.WT_TEST_BASE_URL : '';
    d.url = base + 'palette.txt';
  },

  // UI thread, at the end: its measurements as one JSON line.
  demo_ui_report: () => {
    var d = Module.demo;
    clearInterval(d.monitor);
    clearInterval(d.sampler);
    // From page start to the last tile: the start-up (each variant's Worker boots) and the drawing.
    var during = d.gaps.filter(([t]) => t <= d.lastTile).map(([, g]) => g);
    var sorted = during.slice().sort((a, b) => a - b);
    out('DEMO_UI ' + JSON.stringify({
      first_frame_ms: +(d.firstFrameAt ?? d.lastTile).toFixed(1),
      main_ms: +d.mainAt.toFixed(1),
      tiles_drawn: d.tiles,
      ui_gap_max_ms: +(sorted.length ? sorted[sorted.length - 1] : 0).toFixed(1),
      ui_gap_p99_ms: +(sorted.length ? sorted[Math.floor(sorted.length * 0.99)] : 0).toFixed(1),
      ui_gaps_over_50ms: during.filter((g) => g > 50).length,
      ui_ticks: during.length,
      long_tasks: d.longTasks && d.longTasks.filter(([t]) => t <= d.lastTile).map(([t, ms]) => [Math.round(t), Math.round(ms)]),
      workers: d.workers,
    }));
  },

  // Stock variant: the hand-written Promise-to-thread path (fetch on the UI thread, write shared
  // memory, then done() notifies the waiting thread).
  demo_fetch_stock: (buf, n, done) => {
    var fin = (t) => { stringToUTF8(t, buf, n); {{{ makeDynCall('v', 'done') }}}(); };
    fetch(Module.demo.url).then((r) => r.text()).then(fin, () => fin(''));
  },
});
