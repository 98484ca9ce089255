// webthreads JS library: call routing from JS. Serves proxying/js_exports.c (the wt__js_ functions).
//
// `wtProxying` (linked whenever the program routes calls: proxying/js_exports.c needs it) lets JS on any thread route a call to a C function pointer `fn` (int fn(wt_call*, void*)) on the
// thread that owns something:
//   wtProxying.self()   -> BigInt id of this thread (joins it), wtProxying.ui() -> the UI thread's id
//   wtProxying.check(id) -> 0 live, or a negative WT_E code (stale / unknown)
//   wtProxying.callAsync(target, fn, arg, onSettle?) -> Promise of {status, fnError, message}; rejected
//       with an Error carrying .code when the call could not be queued. Settles on this thread (the
//       completion runs here, when it serves its mailbox), so it is safe to touch this realm's JS
//       objects. onSettle(result), if given, is called synchronously at that moment (before the
//       Promise's reactions, which wait for this thread's next microtask checkpoint).
//   wtProxying.post(target, fn, arg) -> 0 or a negative WT_E code (fire and forget)
// Ids are BigInt (-sWASM_BIGINT). Pending Promises live in this realm's map, keyed by a token. Every
// accepted callAsync settles exactly once: when its completion runs, or with status WT_ECANCELED when
// this thread leaves (or exits) first — the router runs the completion then, on this thread. A realm
// that is reset for the Worker's next thread rejects whatever is left (none is expected: a backstop).
//
// wt__js_guard is the browser half of the user-code boundary (proxying/router.c): C runs user code
// through it, and an exception or unwind that leaves the body first tells C which frames died.
#if PTHREADS
addToLibrary({
  $wtProxying__deps: ['wt__js_thread_self', 'wt__js_thread_ui', 'wt__js_thread_check', 'wt__js_call_async',
                      'wt__js_post', '$wtPoolOnRealmReset'],
  // Every realm: a reused Worker realm drops the Promises its earlier thread left (see above).
  $wtProxying__postset: "if (ENVIRONMENT_IS_PTHREAD) wtPoolOnRealmReset(() => wtProxying.rejectAll('the Worker was reused by another thread'));",
  $wtProxying: {
    // Plain object: library objects are serialized into the output, a Map would not survive that.
    pending: {},
    nextToken: 1,
    self() { return _wt__js_thread_self(); },
    ui() { return _wt__js_thread_ui(); },
    check(id) { return _wt__js_thread_check(BigInt(id)); },
    callAsync(target, fn, arg, onSettle) {
      const token = wtProxying.nextToken;
      wtProxying.nextToken = (token % 0x7fffffff) + 1;
      return new Promise((resolve, reject) => {
        wtProxying.pending[token] = { resolve, reject, onSettle };
        const rc = _wt__js_call_async(BigInt(target), fn, arg, token);
        if (rc !== 0) {
          delete wtProxying.pending[token];
          const e = new Error(`webthreads: call not queued (code ${rc})`);
          e.code = rc;
          reject(e);
        }
      });
    },
    post(target, fn, arg) { return _wt__js_post(BigInt(target), fn, arg); },
    // Rejects every pending Promise of this realm (code WT_ECANCELED).
    rejectAll(why) {
      for (const token of Object.keys(wtProxying.pending)) {
        const p = wtProxying.pending[token];
        delete wtProxying.pending[token];
        const e = new Error(`webthreads: call abandoned: ${why}`);
        e.code = -5;
        p.reject(e);
      }
    },
  },

  // Runs the C function body(ctx); if an exception or a JS unwind leaves it, C first answers the frames
  // from `depth` up (proxying/router.c). `top`: body was called straight from the event loop; an
  // 'unwind' (emscripten_unwind_to_js_event_loop) of a live thread stops here, where it has reached
  // the event loop (letting it through would leave emscripten's task queue marked busy for good).
  // exit() (ExitStatus) and aborts end the program: nothing is left to answer.
  // A thread that pthread_exit tore down (pthread_self() is 0 by the time its 'unwind' passes here)
  // has answered every frame already, from its exit (the router's TSD destructor leaves the registry),
  // and its joiner may have freed its TLS since — and handed that memory to another thread's TLS: C
  // must not run on it at all (reading `tl_slot` there would unwind another thread's frames).
  wt__js_guard__deps: ['wt__js_proxying_unwound', 'wt__js_thread_alive', '$ExitStatus'],
  wt__js_guard: (body, ctx, depth, top) => {
    try {
      return {{{ makeDynCall('ip', 'body') }}}(ctx);
    } catch (e) {
      if (e instanceof ExitStatus || ABORT) throw e;
      if (!_wt__js_thread_alive()) throw e;
      _wt__js_proxying_unwound(depth);
      if (top && e === 'unwind') return 0;
      throw e;
    }
  },

  // Called from C (js_exports.c) on the thread that started the call, when its completion runs.
  wt__js_proxying_settle__deps: ['$wtProxying'],
  wt__js_proxying_settle: (token, status, fnError, message) => {
    const p = wtProxying.pending[token];
    if (!p) return;
    delete wtProxying.pending[token];
    const r = { status, fnError, message: UTF8ToString(message) };
    if (p.onSettle) p.onSettle(r);
    p.resolve(r);
  },
});
#endif
