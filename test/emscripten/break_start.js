// test/emscripten: a wrong internal at start-up. Emscripten's own start-up code (the $PThread postset,
// which runs before webthreads' pool installs itself) deletes PThread.returnWorkerToPool, as another JS
// library replacing emscripten's pool would. Linking succeeds (the link-time check sees emscripten's
// library); starting must fail with webthreads' one line naming the version and the method.
LibraryManager.library['$PThread__postset'] += ' delete PThread.returnWorkerToPool;';
