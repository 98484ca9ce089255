// bench/boot: stock emscripten's PTHREAD_POOL_SIZE is the expression wtBenchWorkers (bench.cmake): N
// of `prewarm N` (program arguments: node's argv, the page's Module.arguments), else 0.
var wtBenchWorkers = (() => {
  var a = typeof process == 'object' && process.argv ? process.argv.slice(2) : Module['arguments'] || [];
  return a[0] == 'prewarm' ? Number(a[1]) : 0;
})();
