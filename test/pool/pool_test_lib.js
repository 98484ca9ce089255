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
