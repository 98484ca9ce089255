// webthreads JS library: every use of emscripten's internals, in one place, checked.
//
// Design. webthreads replaces part of emscripten's pthread runtime (js/library_pool.js,
// js/library_pool_create.js): PThread methods at run time, library symbols at link time, the
// messages its Workers exchange. None of that is API: "there is no ABI compatibility guarantee
// between versions" (emscripten's ChangeLog), and it did change between the two versions this
// library is tested on, 3.1.69 and 6.0.5 (docs/emscripten.md). So every internal the other js/ files
// replace, call or read (PThread's methods, unusedWorkers and pthreads, the library symbols, the message
// commands) is listed and checked here, twice, and every difference between versions is decided here:
//   * at link time (emscripten's JS compiler, when the program links): every library symbol webthreads
//     overrides, wraps or depends on, and every PThread method it replaces, is looked up in
//     LibraryManager.library; a missing one or one of another shape (not a function, another number of
//     parameters) fails the link with one error line naming the emscripten version and the piece;
//   * at start-up (wtEm.check(), first thing in the pool's install, in every realm): the same PThread
//     members on the live object, so that another JS library that replaced one of them first, or a
//     version with the same names and other shapes, stops the program with one line
//     ("webthreads: emscripten X.Y.Z: ..."), thrown, instead of running emscripten's stock policy
//     under the library's bookkeeping.
// (All of libwebthreads.js is one file to emscripten, its #if lines resolved before any of it runs: the
// link-time values below are used through macros and in dependency lists, never in #if.)
// What differs between the versions is answered here, once, at link time where it can be: message
// commands (strings in 3.x, numbers since 4.x: wtEmCmd), PThread.runningWorkers (gone in 6.0.0:
// wtEmHasRunningWorkers, unassign), callbacks after the C constructors (3.x: addOnInit, a preamble
// function; since 4.0 addOnPostCtor, while addOnInit runs before them: afterCtors), the name a pthread
// Worker must have (workerName). What the pool answers itself: Worker "loaded" (3.x sets worker.loaded,
// later versions do not), terminateAllThreads terminating every PThread.pthreads entry (6.0).
// The lean Worker boot (js/library_pool_boot.js, js/pool_boot_gen.mjs) uses two shell globals, not
// library symbols (locateFile, _scriptName): the generator checks the linked JS for them, and
// leanBootMissing() at start-up; missing, the boot falls back to the main JS with one line.
// Tested: 3.1.69 and 6.0.5. Another version links if every check passes; docs/emscripten.md says what
// that does and does not promise.
#if PTHREADS

// ---- link time: one macro block, run by emscripten's JS compiler when it preprocesses this file
// (6.x: before any library file runs, so it must not look at LibraryManager); its globals live in the
// compiler's macro context, for the macros and dependency lists below and in the other js/ files.
// It must yield '' (3.x prints the block's value into the file).
{{{
var wtEmVersion = EMSCRIPTEN_VERSION;
var wtEmMajor = Number(wtEmVersion.split('.')[0]);
var wtEmTested = ['3.1.69', '6.0.5'];
var wtEmFailed = false;
function wtEmFail(what) {
  if (!wtEmFailed) error(`webthreads: emscripten ${wtEmVersion}: ${what}; webthreads is tested on emscripten ` +
                         `${wtEmTested.join(' and ')} (docs/emscripten.md)`);
  wtEmFailed = true;
}
// Library symbol `sym` must exist and be a function of `arity` parameters. Returns it (or a stub).
function wtEmLib(sym, arity) {
  var f = LibraryManager.library[sym];
  if (typeof f != 'function') { wtEmFail(`library symbol ${sym} is missing (webthreads overrides or uses it)`); return () => 0; }
  if (arity !== undefined && f.length != arity)
    wtEmFail(`library symbol ${sym} takes ${f.length} parameters, webthreads expects ${arity}`);
  return f;
}
// `sym` as a dependency if this emscripten has it as a library symbol (else it is a runtime global).
function wtEmDep(sym) { return LibraryManager.library[sym] !== undefined ? [sym] : []; }

// The PThread methods the pool replaces or calls, with their parameter counts.
var wtEmPThreadMethods = { allocateUnusedWorker: 0, loadWasmModuleToWorker: 1, getNewWorker: 0,
                           returnWorkerToPool: 1, terminateAllThreads: 0, threadInitTLS: 0 };
// Runtime-init callbacks after the C constructors: addOnPostCtor since 4.0 (whose addOnInit runs
// before them), addOnInit in 3.x.
var wtEmAfterCtors = wtEmMajor >= 4;
// 3.x: PThread.runningWorkers lists the Workers running threads; 6.0.0 removed it (PThread.pthreads).
var wtEmHasRunningWorkers = wtEmMajor < 6;
// A Worker realm knows it hosts pthreads by its name: 3.x and ASSERTIONS builds test that it starts
// with "em-pthread"; 4.x on without ASSERTIONS, that it is exactly "em-pthread".
var wtEmExactWorkerName = wtEmMajor >= 4 && !ASSERTIONS;
// The `cmd` of emscripten's Worker messages, as JS source: strings up to 3.x, numbers (CMD_* constants
// of libpthread.js) since.
var wtEmCmd = {
  run: typeof CMD_RUN != 'undefined' ? CMD_RUN : "'run'",
  loaded: typeof CMD_LOADED != 'undefined' ? CMD_LOADED : "'loaded'",
  checkMailbox: typeof CMD_CHECK_MAILBOX != 'undefined' ? CMD_CHECK_MAILBOX : "'checkMailbox'",
  cleanupThread: typeof CMD_CLEANUP_THREAD != 'undefined' ? CMD_CLEANUP_THREAD : "'cleanupThread'",
};
if (wtEmMajor >= 4 && typeof CMD_RUN == 'undefined')
  wtEmFail('libpthread.js defines no CMD_RUN (the Worker message commands webthreads sends and reads)');
'';
}}}

// ---- link time, when the file runs (emscripten's own libraries are loaded by then; the macro block
// above ran earlier, before any library was): what webthreads replaces exists and has its shape.
(() => {
  var P = LibraryManager.library['$PThread'];
  if (!P || typeof P != 'object') { wtEmFail('library symbol $PThread is missing'); return; }
  for (var m of Object.keys(wtEmPThreadMethods)) {
    if (typeof P[m] != 'function') wtEmFail(`PThread.${m} is missing (webthreads replaces it)`);
    else if (P[m].length != wtEmPThreadMethods[m])
      wtEmFail(`PThread.${m} takes ${P[m].length} parameters, webthreads expects ${wtEmPThreadMethods[m]}`);
  }
  if (!Array.isArray(P.unusedWorkers)) wtEmFail('PThread.unusedWorkers is missing (the pool keeps its spares there)');
  if (!P.pthreads || typeof P.pthreads != 'object') wtEmFail('PThread.pthreads is missing (pthread -> Worker)');
  // The symbols replaced or wrapped at link time, and those the pool calls.
  wtEmLib('__pthread_create_js', 4);
  wtEmLib('$pthreadCreateProxied', 4);
  wtEmLib('_emscripten_thread_mailbox_await', 1);
  wtEmLib('_emscripten_thread_cleanup', 1);
  wtEmLib('$cleanupThread', 1);
  wtEmLib('$checkMailbox', 0);
  wtEmLib('$spawnThread', 1);
  wtEmLib('$terminateWorker', 1);
  // Thread start on a parked Worker (js/library_pool_park.js): what emscripten's 'run' handler does.
  wtEmLib('$invokeEntryPoint', 2);
  wtEmLib('$establishStackSpace', 1);
  wtEmLib('_emscripten_notify_mailbox_postmessage', 2);
  if (!(LibraryManager.library['__pthread_create_js__deps'] || []).includes('$pthreadCreateProxied'))
    wtEmFail('__pthread_create_js no longer sends a worker\'s pthread_create through $pthreadCreateProxied');
  if (C_STRUCTS.pthread?.waiting_async === undefined) wtEmFail('struct pthread has no waiting_async field');
})();
if (wtEmAfterCtors && !LibraryManager.library['$addOnPostCtor'])
  wtEmFail('library symbol $addOnPostCtor is missing (the pool reads its settings after the C constructors)');
if (wtEmHasRunningWorkers != Array.isArray(LibraryManager.library['$PThread']?.runningWorkers))
  wtEmFail(wtEmHasRunningWorkers ? 'PThread.runningWorkers is missing' : 'PThread.runningWorkers is back');

addToLibrary({
  // ---- run time
  // addOnPostCtor (4.x on; addOnInit runs before the constructors there), else 3.x's addOnInit (a
  // preamble function, after the constructors, which are its first callback).
  $wtEm__deps: ['$PThread', ...(wtEmAfterCtors ? ['$addOnPostCtor'] : wtEmDep('$addOnInit'))],
  $wtEm: {
    version: '{{{ wtEmVersion }}}',
    checked: false,
    // Every realm, first thing in the pool's install: the live PThread has what the link-time check
    // saw. Throws otherwise (the script stops there: no pool, no stock policy either).
    check() {
      if (wtEm.checked) return;
      var bad = '';
      for (var m of Object.keys({{{ JSON.stringify(wtEmPThreadMethods) }}}))
        if (typeof PThread[m] != 'function') { bad = `PThread.${m} is not a function`; break; }
      if (!bad && !Array.isArray(PThread.unusedWorkers)) bad = 'PThread.unusedWorkers is not an array';
      if (!bad && (!PThread.pthreads || typeof PThread.pthreads != 'object')) bad = 'PThread.pthreads is not an object';
      // One line: the uncaught Error's message (node prints it, a browser's console shows it).
      if (bad) throw new Error(`webthreads: emscripten ${wtEm.version}: ${bad} at start-up (webthreads ` +
                               `replaces it; another JS library changed it, or this emscripten differs): the pool cannot run`);
      wtEm.checked = true;
    },
    // Runs cb at runtime init on the UI thread, after the C constructors (C is callable, main() has not
    // run: it runs in the same task, before any timer).
    afterCtors(cb) {
      if ({{{ wtEmAfterCtors }}}) addOnPostCtor(cb); else addOnInit(cb);
    },
    // The name of a pthread Worker the pool creates (browser): "em-pthread-<tag>" where emscripten
    // accepts it (devtools show the tag), else exactly "em-pthread" (wtEmExactWorkerName): a Worker of
    // another name would take itself for the main thread and run main() (tags that tests read, such as
    // fail_boot's, then need ASSERTIONS).
    workerName(tag) { return {{{ wtEmExactWorkerName }}} ? 'em-pthread' : 'em-pthread-' + tag; },
    // The lean Worker boot (js/library_pool_boot.js, UI thread) resolves the worker script with the
    // shell's locateFile (Module.locateFile, else the main script's directory) and reads the shell's
    // _scriptName: shell globals, not library symbols, so LibraryManager cannot see them at link time;
    // js/pool_boot_gen.mjs checks the linked JS defines both (else no worker script: stock boot, one
    // line), and this checks them again at start-up. '' if both are there, else what is missing (the
    // lean boot then falls back to the stock boot with one line: the program still runs).
    leanBootMissing() {
      if (typeof locateFile != 'function') return 'the shell has no locateFile function';
      try { _scriptName; } catch (e) { return 'the shell has no _scriptName'; }
      return '';
    },
    locateFile(f) { return locateFile(f); },
    // Replaces PThread[name] with make(original) (run time; name was checked).
    replace(name, make) {
      var orig = PThread[name];
      PThread[name] = make(orig);
      return orig;
    },
    // A Worker no longer runs `w.pthread_ptr` (its boot failed after spawnThread assigned it):
    // forget the assignment emscripten made.
    unassign(w) {
      delete PThread.pthreads[w.pthread_ptr];
      wtEm.unrun(w);
    },
    // The Worker-side half of that: w is no longer a running Worker (PThread.pthreads left as it is:
    // a parked Worker's last thread is still found there until its return).
    unrun(w) {
      if ({{{ wtEmHasRunningWorkers }}}) {
        var i = PThread.runningWorkers.indexOf(w);
        if (i >= 0) PThread.runningWorkers.splice(i, 1);
      }
      w.pthread_ptr = 0;
    },
  },
});
#endif
