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

  // UI thread, at start. alive: a C function returning the Workers alive (0: count emscripten's own).
  demo_ui_start__deps: ['$PThread'],
  demo_ui_start: (alive) => {
    var d = Module.demo = { t0: performance.now(), tiles: 0, sum: 0, gaps: [], workers: [], last: performance.now() };
    d.monitor = setInterval(() => {
      var t = performance.now();
      d.gaps.push([t - d.t0, t - d.last]);
      d.last = t;
    }, 10);
    var count = alive ? {{{ makeDynCall('i', 'alive') }}} : () => PThread.runningWorkers.length + PThread.unusedWorkers.length;
    d.sampler = setInterval(() => d.workers.push([Math.round(performance.now() - d.t0), count()]), 50);
    var base = typeof process == 'object' && process.env && process.env.WT_TEST_BASE_URL ? process.env.WT_TEST_BASE_URL : '';
    d.url = base + 'palette.txt';
  },

  // UI thread, at the end: its measurements as one JSON line.
  demo_ui_report: () => {
    var d = Module.demo;
    clearInterval(d.monitor);
    clearInterval(d.sampler);
    var during = d.gaps.filter(([t]) => t >= d.firstTile - d.t0 && t <= d.lastTile - d.t0).map(([, g]) => g);
    var sorted = during.slice().sort((a, b) => a - b);
    out('DEMO_UI ' + JSON.stringify({
      first_frame_ms: +((d.firstFrameAt ?? d.lastTile) - d.t0).toFixed(1),
      tiles_drawn: d.tiles,
      ui_gap_max_ms: +(sorted.length ? sorted[sorted.length - 1] : 0).toFixed(1),
      ui_gap_p99_ms: +(sorted.length ? sorted[Math.floor(sorted.length * 0.99)] : 0).toFixed(1),
      ui_gaps_over_50ms: during.filter((g) => g > 50).length,
      ui_ticks: during.length,
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
