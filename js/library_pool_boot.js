// webthreads JS library: the lean Worker boot (issue 17) — which script the pool's Workers load
// (js/library_pool.js, wtPool.allocate) and the boot counts in wt_pool_stats() (pool/pool.c).
//
// Design. A stock emscripten Worker loads the program's main JS; with a large runtime JS that costs
// each Worker the fetch and V8's whole parse and compile of it. After the link, js/pool_boot_gen.mjs
// writes <prog>.worker.js — the same code without the text of the large JS library functions only wasm
// calls, which read their source from the main JS and compile it on first call (see there) — and
// patches `wtBoot.file` below in the main JS from the placeholder to "lean:<prog>.worker.js" (in the
// worker script itself: "self:<prog>.worker.js"). The patch is in place, same width, so every byte of
// the main JS keeps its offset (the worker script reads byte ranges of it). The UI thread then creates
// its Workers from that file, resolved like the .wasm (locateFile: Module.locateFile, else the main
// script's directory), with the main script's URL after '#wtmain=' (browser); the Workers get the
// compiled module and the memory as before and run the same pthread code. Without the patch (the
// generator did not run) Workers load the main JS, silently: the program did not ask for the lean
// boot. Where the lean boot was asked for and cannot apply at run time — Module.mainScriptUrlOrBlob
// given (the page hosts the runtime itself), a main script without a URL or with a blob: URL, a shell
// without locateFile/_scriptName (wtEm.leanBootMissing) — one line says so and the Workers load the
// main JS (stock boot); a lean Worker that fails to boot is handled as any boot failure (wtPool.lost),
// and after WT_POOL_BOOT_FAIL_STREAK (4) such failures before any lean Worker loaded the pool goes back
// to the stock boot (one line). EXPORT_ES6 builds never get here: emscripten creates their Workers
// (the generator leaves them alone, one line at link time).
#if PTHREADS
var WtPoolBootLibrary = {
  $wtBoot__deps: ['$wtEm', 'wt__js_pool_boot_count'],
  $wtBoot: {
    // Patched by js/pool_boot_gen.mjs (same width): '__WT_BOOT_FILE__' = not generated, 'lean:<file>' in
    // the main JS, 'self:<file>' in the worker script. Keep it one string literal of this width.
    file: '__WT_BOOT_FILE__                                                                                                                                ',
    stockWhy: '', // why this page boots from the main JS although the lean boot was built ('' = it does not)
    failStreak: 0,
    leanLoaded: 0,
    // This realm runs the lean worker script (tests read it on threads).
    isLeanRealm() { return wtBoot.file.startsWith('self:'); },
    // UI thread, wtPool.allocate: [url, lean] for the next Worker: the lean worker script, or what
    // stock emscripten loads (the main script, or Module.mainScriptUrlOrBlob).
    workerUrl() {
      var f = wtBoot.file.trim();
      if (!f.startsWith('lean:') || wtBoot.stockWhy) return [wtBoot.mainUrl(), false];
      var why = wtEm.leanBootMissing();
#if expectToReceiveOnModule('mainScriptUrlOrBlob')
      if (!why && Module['mainScriptUrlOrBlob']) why = 'Module.mainScriptUrlOrBlob is set (the page hosts the runtime JS itself)';
#endif
      if (!why && !_scriptName) why = 'the main script has no URL (not loaded by a <script src>)';
      if (!why && String(_scriptName).startsWith('blob:'))
        why = 'the main script is a blob: URL (no directory to find the worker script in)';
      if (why) return [wtBoot.stock(why), false];
      var url = wtEm.locateFile(f.slice(5));
      // Where the worker script reads its lazy functions' sources from (js/pool_boot_gen.mjs; under
      // node it reads the file beside it).
      if (!ENVIRONMENT_IS_NODE) url += '#wtmain=' + encodeURIComponent(new URL(_scriptName, location.href).href);
      return [url, true];
    },
    // Switches this page to the stock boot, with one line naming the reason. Returns the main URL.
    stock(why) {
      if (!wtBoot.stockWhy) {
        wtBoot.stockWhy = why;
        err(`webthreads: pool: lean Worker boot off: ${why}; Workers load the main JS (stock boot)`);
      }
      return wtBoot.mainUrl();
    },
    // What stock emscripten's allocateUnusedWorker loads.
    mainUrl() {
      var url = _scriptName;
#if expectToReceiveOnModule('mainScriptUrlOrBlob')
      if (Module['mainScriptUrlOrBlob']) {
        url = Module['mainScriptUrlOrBlob'];
        if (typeof url != 'string') url = URL.createObjectURL(url);
      }
#endif
      return url;
    },
    // UI thread, from wtPool: Worker w (created by workerUrl's choice, w.wtLean) has loaded / failed to boot.
    loaded(w) {
      if (!w.wtLean) return _wt__js_pool_boot_count(0);
      wtBoot.failStreak = 0;
      wtBoot.leanLoaded++;
      _wt__js_pool_boot_count(1);
    },
    failed(w) {
      // Lean Workers that fail before any has loaded (a server without the worker script): stock boot.
      if (w.wtLean && !wtBoot.leanLoaded && ++wtBoot.failStreak >= 4 /* WT_POOL_BOOT_FAIL_STREAK */)
        wtBoot.stock(`${wtBoot.failStreak} Workers failed to boot from ${wtBoot.file.trim().slice(5)} and none loaded`);
    },
  },
};
addToLibrary(WtPoolBootLibrary);
#endif
