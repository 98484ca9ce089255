// test/emscripten: "rename one override target locally", at link time. Passed with --js-library
// BEFORE libwebthreads.js, it renames emscripten's PThread.getNewWorker (the method spawnThread asks
// for a Worker, which the pool replaces) as a changed emscripten would. The link must fail with
// webthreads' one line naming the version and PThread.getNewWorker.
{
  const P = LibraryManager.library['$PThread'];
  P.getNewWorkerRenamed = P.getNewWorker;
  delete P.getNewWorker;
}
