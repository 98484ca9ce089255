// Test-only JS library for test/pool/pool_wasm.c's `reset` scenario: every realm registers a realm-reset
// hook (wtPoolOnRealmReset) that drops the state a thread left in its realm and counts the resets.
addToLibrary({
  $wtTestRealm__deps: ['$wtPoolOnRealmReset'],
  // Also (realm scenarios) a random id per realm, kept where the realm's globals snapshot covers it (a
  // library object: module scope), and a thread-exit hook that throws once when a thread armed it.
  $wtTestRealm__deps: ['$wtPoolOnRealmReset', '$wtPoolOnThreadExit'],
  $wtTestRealm__postset: 'if (ENVIRONMENT_IS_PTHREAD) { ' +
    'wtPoolOnRealmReset(() => { wtTestRealm.resets++; wtTestRealm.state = undefined; }); ' +
    'wtTestRealm.id = 1 + Math.floor(Math.random() * 0x7ffffffe); ' +
    'wtPoolOnThreadExit(() => { wtTestRealm.exitHooks++; if (wtTestRealm.throwAtExit) { wtTestRealm.throwAtExit = false; ' +
    'throw new Error("test: a thread-exit hook throws"); } }); }',
  $wtTestRealm: { starts: 0, resets: 0, state: undefined, id: 0, throwAtExit: false, exitHooks: 0 },

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

  // Realm scenarios, on a test thread in its Worker's realm. op 1: adds globals the way thread code
  // does (a plain property, a non-enumerable one, a symbol-keyed one, a sloppy `var` through indirect
  // eval); 2: defines a non-configurable global (cannot be deleted: the realm is dirty); 3: arms the
  // test's thread-exit hook to throw; 4: a timer defines a non-configurable global after this thread
  // has exited, then stores 1 at `flag` (an int in wasm memory) and wakes its waiters. Returns 0.
  wt_test_realm_op__deps: ['$wtTestRealm'],
  wt_test_realm_op: (op, flag) => {
    if (op == 1) {
      globalThis.wtTestLeak = 42;
      Object.defineProperty(globalThis, 'wtTestHidden', { value: 1, enumerable: false, configurable: true });
      globalThis[Symbol.for('wtTestSym')] = 1;
      (0, eval)('var wtTestVar = 1;');
    } else if (op == 2) {
      Object.defineProperty(globalThis, 'wtTestFixed', { value: 1, configurable: false });
    } else if (op == 3) {
      wtTestRealm.throwAtExit = true;
    } else if (op == 4) {
      setTimeout(() => {
        Object.defineProperty(globalThis, 'wtTestLate', { value: 1, configurable: false });
        Atomics.store(HEAP32, flag >> 2, 1);
        Atomics.notify(HEAP32, flag >> 2);
      }, 0);
    }
    return 0;
  },

  // Realm scenarios: what the calling thread's realm holds. out[0] the realm id, out[1] whether any of
  // op 1's globals is there, out[2] wtTestFixed, out[3] wtTestLate, out[4] globals the pool deleted at
  // thread exits in this realm so far, out[5] at thread starts, out[6] thread exits, out[7] whether
  // the realm is marked dirty, out[8] how many times the test's thread-exit hook has run in it.
  wt_test_realm_probe__deps: ['$wtTestRealm', '$wtPool'],
  wt_test_realm_probe: (out) => {
    var g = globalThis, r = wtPool.realm;
    var leak = 'wtTestLeak' in g || 'wtTestHidden' in g || Symbol.for('wtTestSym') in g || 'wtTestVar' in g;
    var v = [wtTestRealm.id, leak, 'wtTestFixed' in g, 'wtTestLate' in g, r.exitDeleted, 0, r.exits, !!r.dirty,
             wtTestRealm.exitHooks];
    v.forEach((x, i) => { HEAP32[(out >> 2) + i] = +x; });
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
