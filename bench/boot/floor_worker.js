// bench/boot's HTTP floor (scenario floor_http): a Worker script served as a file that only receives the
// program's compiled module and memory, instantiates it with dummy imports and answers. The Blob floor
// (scenario blob) runs the same code from a Blob URL (node: eval'd).
var port = typeof require == 'function' && require('worker_threads').parentPort;
var answer = port ? (m) => port.postMessage(m) : (m) => postMessage(m);
var onData = (data) => {
  var imp = {};
  for (var d of WebAssembly.Module.imports(data.module))
    (imp[d.module] ??= {})[d.name] = d.kind == 'memory' ? data.memory : () => 0;
  new WebAssembly.Instance(data.module, imp);
  answer(1);
};
if (port) port.on('message', onData); else onmessage = (e) => onData(e.data);
