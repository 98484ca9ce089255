// webthreads JS library: this realm's handle table. Serves handles/backend_em.c (C side:
// handles/handles.c, include/webthreads/handles.h).
//
// `wtHandles` keeps the JS values of the handles the realm's thread owns, at their entry's index; C
// keeps each entry's state (generations, who still holds it) and decides when a value is dropped:
//   wtHandles.register(v)     -> BigInt handle, held by both sides (JS and managed). Owner thread.
//   wtHandles.get(h)          -> the value; throws an Error with .code (WT_E...) when h is not a live
//                                handle of this thread. Owner thread.
//   wtHandles.release(h)      -> the JS side lets go: 0 or a WT_E code. The value is dropped once the
//                                managed side has released it too. Owner thread.
//   wtHandles.releaseManaged(h) -> the managed side lets go (wt_handle_release): 0 or a WT_E code.
//                                Any thread (a finalizer's), never blocks; applied on the owner.
//   wtHandles.owner(h)        -> BigInt id of the owner thread (bit work, no lookup).
//   wtHandles.size()          -> values held now.
// When the thread exits, C force-disposes its entries and empties this table (wt__js_handles_reset);
// the realm-reset hook empties it again before the Worker's next thread, as a backstop.
#if PTHREADS
addToLibrary({
  $wtHandles__deps: ['wt__js_handle_register', 'wt__js_handle_error', 'wt__js_handle_check',
                     'wt__js_handle_release_local', 'wt__js_handle_release', '$wtPoolOnRealmReset'],
  $wtHandles__postset: "if (ENVIRONMENT_IS_PTHREAD) wtPoolOnRealmReset(() => { wtHandles.values = []; wtHandles.count = 0; });",
  $wtHandles: {
    values: [],
    count: 0,
    index(h) { return Number((BigInt(h) >> 32n) & 0xfffffn) - 1; },
    fail(what, code) {
      const e = new Error(`webthreads: ${what} (code ${code})`);
      e.code = code;
      return e;
    },
    register(v) {
      const h = _wt__js_handle_register();
      if (!h) throw wtHandles.fail('handle not registered', _wt__js_handle_error());
      wtHandles.values[wtHandles.index(h)] = v;
      wtHandles.count++;
      return h;
    },
    get(h) {
      const rc = _wt__js_handle_check(BigInt(h));
      if (rc) throw wtHandles.fail('not a live handle of this thread', rc);
      return wtHandles.values[wtHandles.index(h)];
    },
    release(h) { return _wt__js_handle_release_local(BigInt(h)); },
    releaseManaged(h) { return _wt__js_handle_release(BigInt(h)); },
    owner(h) { h = BigInt(h); return ((h >> 10n) & 0x3fffffn) << 32n | (h & 0x3ffn); },
    size() { return wtHandles.count; },
  },

  // Called from C on the owner thread: the entry at idx was freed.
  wt__js_handles_drop__deps: ['$wtHandles'],
  wt__js_handles_drop: (idx) => {
    if (idx in wtHandles.values) {
      delete wtHandles.values[idx];
      wtHandles.count--;
    }
  },
  // Called from C on the exiting owner thread, after its entries were force-disposed.
  wt__js_handles_reset__deps: ['$wtHandles'],
  wt__js_handles_reset: () => { wtHandles.values = []; wtHandles.count = 0; },
});
#endif
