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
//   wtHandles.transfer(h, to) -> moves h's value to thread `to` (wt_handle_transfer): the
//                                wt_completion* (a number; the caller's reference) that resolves with
//                                the new handle; throws an Error with .code when nothing was sent (the
//                                value stays, h stays valid). Owner thread. The completion is a C
//                                one: read it with wtCompletion.toPromise(c) or from C, then
//                                release it (wt_completion_release).
//   wtHandles.size()          -> values held now.
// When the thread exits, C force-disposes its entries and empties this table (wt__js_handles_reset);
// the realm-reset hook empties it again before the Worker's next thread, as a backstop.
//
// Transfers (handles.c, "transfers"). The owner posts {wtMsg: 'xfer', to, id, v} with v in the
// transfer list: from a Worker realm to the UI thread (wtPoolPostToUi), which hands it on to the
// target's Worker with the transfer list again (wtPoolPostToWorker) or takes it itself when it is the
// target; from the UI thread straight to the target's Worker. The target realm keeps v in `arrived`
// (by id) until C places it at its new entry (its record, a mailbox post, may come before or after).
// v is dropped, never kept, where it cannot meet its record: the UI relay finds no Worker for `to`,
// the realm's thread has exited (xferLive false until the realm's next thread starts: no C call is
// made then), or the realm's thread is not `to` (C says so).
#if PTHREADS
addToLibrary({
  $wtHandles__deps: ['wt__js_handle_register', 'wt__js_handle_error', 'wt__js_handle_check',
                     'wt__js_handle_release_local', 'wt__js_handle_release', 'wt__js_handle_transfer',
                     'wt__js_handles_xfer_arrived', 'wt__js_handles_thread_ptr', 'wt__js_thread_ui',
                     '$wtPoolOnRealmReset', '$wtPoolOnThreadExit', '$wtPoolOnMessage', '$wtPoolPostToWorker'],
  $wtHandles__postset: "wtPoolOnMessage('xfer', (d) => wtHandles.xferReceive(d));" +
    "if (ENVIRONMENT_IS_PTHREAD) {" +
    "  wtPoolOnRealmReset(() => { wtHandles.values = []; wtHandles.count = 0; wtHandles.arrived = {}; wtHandles.xferLive = true; });" +
    "  wtPoolOnThreadExit(() => { wtHandles.arrived = {}; wtHandles.xferLive = false; });" +
    "}",
  $wtHandles: {
    values: [],
    count: 0,
    arrived: {},    // transferred values waiting for their record, by id (String)
    xferLive: true, // Worker realm: a thread runs here (false from its exit until the next one starts)
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
    transfer(h, to) {
      const c = _wt__js_handle_transfer(BigInt(h), BigInt(to));
      if (!c) throw wtHandles.fail('value not transferred', _wt__js_handle_error());
      return c;
    },
    size() { return wtHandles.count; },

    // A transfer message, as a task of this realm's event loop (wtPoolOnMessage).
    xferReceive(d) {
      if (!ENVIRONMENT_IS_PTHREAD && d.to !== _wt__js_thread_ui()) {
        // The UI thread relays (zero copy again); no Worker for `to` any more: v is dropped.
        try { wtPoolPostToWorker(_wt__js_handles_thread_ptr(d.to), d, [d.v]); } catch (e) {}
        return;
      }
      if (!wtHandles.xferLive) return; // no thread here (it exited): no C call, v is dropped
      const k = String(d.id);
      wtHandles.arrived[k] = d.v;
      if (!_wt__js_handles_xfer_arrived(d.to, d.id)) delete wtHandles.arrived[k];
    },
  },

  // Called from C on the owner (wt_handle_transfer): posts the value at idx to thread `to`. Returns
  // 0 (sent: the value is gone from this realm), WT_ENOT_TRANSFERABLE (-32: postMessage refused it,
  // nothing sent) or WT_ESTALE (-8: the UI thread found no Worker for `to`).
  wt__js_handles_xfer_post__deps: ['$wtHandles', '$wtPoolPostToUi', '$wtPoolPostToWorker', 'wt__js_handles_thread_ptr'],
  wt__js_handles_xfer_post: (idx, to, id) => {
    const v = wtHandles.values[idx];
    const d = { wtMsg: 'xfer', to, id, v };
    // A detached ArrayBuffer: browsers refuse it (DataCloneError), node would send it (and nothing).
    if (v instanceof ArrayBuffer && (v.detached ?? (() => { try { new Uint8Array(v); return false; } catch (e) { return true; } })()))
      return -32;
    try {
      if (ENVIRONMENT_IS_PTHREAD) wtPoolPostToUi(d, [v]);
      else if (!wtPoolPostToWorker(_wt__js_handles_thread_ptr(to), d, [v])) return -8;
    } catch (e) {
      return -32;
    }
    return 0;
  },
  // Called from C on a transfer's target: whether the value tagged id arrived; place it at entry idx;
  // forget it; forget every one (the thread leaves).
  wt__js_handles_xfer_has__deps: ['$wtHandles'],
  wt__js_handles_xfer_has: (id) => (String(id) in wtHandles.arrived ? 1 : 0),
  wt__js_handles_xfer_place__deps: ['$wtHandles'],
  wt__js_handles_xfer_place: (id, idx) => {
    const k = String(id);
    wtHandles.values[idx] = wtHandles.arrived[k];
    delete wtHandles.arrived[k];
    wtHandles.count++;
  },
  wt__js_handles_xfer_forget__deps: ['$wtHandles'],
  wt__js_handles_xfer_forget: (id) => { delete wtHandles.arrived[String(id)]; },
  wt__js_handles_xfer_reset__deps: ['$wtHandles'],
  wt__js_handles_xfer_reset: () => { wtHandles.arrived = {}; },

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
