// bench/boot's JS helpers (--js-library of every bench/boot variant).
addToLibrary({
  // UI thread: the floor. n Workers from a Blob script that receives the program's compiled module and
  // memory, instantiates it with dummy imports and answers; then bench_blob_done(n, ms since navigation).
  bench_blob_floor__deps: ['bench_blob_done', '$callUserCallback'],
  bench_blob_floor: (n) => {
    var src = 'onmessage = (e) => { var imp = {};' +
      'for (var d of WebAssembly.Module.imports(e.data.module))' +
      '  (imp[d.module] ??= {})[d.name] = d.kind == "memory" ? e.data.memory : () => 0;' +
      'new WebAssembly.Instance(e.data.module, imp); postMessage(1); };';
    var url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' })), left = n, keep = [];
    var done = () => callUserCallback(() => _bench_blob_done(n, performance.now()));
    if (!n) return done();
    for (var i = 0; i < n; i++) {
      var w = new Worker(url);
      keep.push(w);
      w.onmessage = () => { if (--left == 0) done(); };
      w.postMessage({ module: wasmModule, memory: wasmMemory });
    }
  },
});
