// bench/boot's JS helpers (--js-library of every bench/boot variant).
addToLibrary({
  // UI thread: CPU time (user + system, ms) of this process so far under node, where the pthread Workers
  // are threads of it; -1 in a browser (the runner measures the browser's processes: --cpu).
  bench_cpu_ms: () => {
    if (typeof process != 'object' || !process.cpuUsage) return -1;
    var u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  },
  // UI thread: the floor. n Workers that only receive the program's compiled module and memory,
  // instantiate it with dummy imports and answer (bench/boot/floor_worker.js: from a Blob URL, or with
  // http = 1 the file itself, served as the program's scripts are); then bench_blob_done(n, ms since
  // navigation).
  bench_blob_floor__deps: ['bench_blob_done', '$callUserCallback'],
  bench_blob_floor: (n, http) => {
    var src = 'onmessage = (e) => { var imp = {};' +
      'for (var d of WebAssembly.Module.imports(e.data.module))' +
      '  (imp[d.module] ??= {})[d.name] = d.kind == "memory" ? e.data.memory : () => 0;' +
      'new WebAssembly.Instance(e.data.module, imp); postMessage(1); };';
    var node = typeof process == 'object' && !!process.versions?.node, left = n, keep = [];
    // Timed when the last one answered; then terminated (node would stay alive for them).
    var done = () => { var t = performance.now(); keep.forEach((w) => w.terminate()); callUserCallback(() => _bench_blob_done(n, t)); };
    if (!n) return done();
    for (var i = 0; i < n; i++) {
      var w;
      if (node) { // node has no Blob Workers: the same code as an eval'd worker, or the file
        w = http ? new Worker(require('path').join(__dirname, 'floor_worker.js'))
                 : new Worker('var p = require("worker_threads").parentPort, onmessage, postMessage = (m) => p.postMessage(m);' +
                              src + 'p.on("message", (data) => onmessage({ data }));', { eval: true });
        w.on('message', () => { if (--left == 0) done(); });
      } else {
        w = new Worker(http ? 'floor_worker.js' : URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
        w.onmessage = () => { if (--left == 0) done(); };
      }
      keep.push(w);
      w.postMessage({ module: wasmModule, memory: wasmMemory });
    }
  },
});
