// Test-only JS library for test/pool/pool_wasm.c's `reset` scenario: every realm registers a realm-reset
// hook (wtPoolOnRealmReset) that drops the state a thread left in its realm and counts the resets.
addToLibrary({
  $wtTestRealm__deps: ['$wtPoolOnRealmReset'],
  $wtTestRealm__postset: 'if (ENVIRONMENT_IS_PTHREAD) wtPoolOnRealmReset(() => { wtTestRealm.resets++; wtTestRealm.state = undefined; });',
  $wtTestRealm: { starts: 0, resets: 0, state: undefined },

  // Called by each test thread first thing, in its Worker's realm. Returns how many threads this realm
  // has started (1 = the first), or -1 if the previous thread's state is still there (no reset before
  // reuse), or -2 if the hook ran a different number of times than the realm was reused.
  wt_test_realm_enter__deps: ['$wtTestRealm'],
  wt_test_realm_enter: (token) => {
    var r = wtTestRealm;
    if (r.state !== undefined) return -1;
    r.starts++;
    if (r.resets !== r.starts - 1) return -2;
    r.state = token;
    return r.starts;
  },
});
extraLibraryFuncs.push('$wtTestRealm');

// Lines the UI thread logged through emscripten's `err` (the pool's log lines), for the tests that count
// them: the wrapper is installed in the UI realm only, ahead of main().
addToLibrary({
  $wtTestLog__postset: 'if (!ENVIRONMENT_IS_PTHREAD) { var wtTestErr = err; err = (...a) => { wtTestLog.lines.push(a.join(" ")); wtTestErr(...a); }; }',
  $wtTestLog: { lines: [] },

  // How many logged lines contain `needle` (a C string). Any thread (proxied to the UI thread).
  wt_test_log_count__deps: ['$wtTestLog', '$UTF8ToString'],
  wt_test_log_count__proxy: 'sync',
  wt_test_log_count: (needle) => {
    var s = UTF8ToString(needle);
    return wtTestLog.lines.filter((l) => l.includes(s)).length;
  },
});
extraLibraryFuncs.push('$wtTestLog');
