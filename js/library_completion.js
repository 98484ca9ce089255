// webthreads JS library: JS Promises <-> C completions. Serves completion/js_exports.c (C side:
// completion/completion.c, include/webthreads/completion.h, section "JS").
//
// `wtCompletion` (linked into every program that uses completions) bridges this realm's Promises and
// C completions (`c`: a wt_completion pointer, a number). Every method runs on the calling thread —
// the thread whose event loop owns the Promises involved — and none blocks:
//   wtCompletion.fromPromise(promise, c) -> 0 or a WT_E code (nothing done). Binds c to this thread
//       (wt_completion_bind(c, WT_THREAD_NONE): if this thread leaves or exits first, C cancels c,
//       WT_ECANCELED) and settles c when the promise settles (a non-thenable settles it at the next
//       microtask). Resolved values are converted: undefined/null -> NONE, number -> F64, bigint ->
//       U64 (two's complement, 64 bits), boolean -> U64 (0/1), string -> STRING (UTF-8),
//       ArrayBuffer/SharedArrayBuffer/TypedArray/DataView -> BYTES (copied at that moment), any other
//       object or function -> HANDLE (registered in this thread's table with wtHandles.register; the
//       JS side lets go at once, so the handle is the completion reader's: it releases the managed
//       side once, wt_handle_release, from any thread); a symbol -> rejected with WT_EINVAL. A
//       rejection becomes wt_completion_reject(c, code, String(reason)) — code is reason.code when
//       that is a WT_E code, else WT_ECALL; the message is cut to WT_CALL_MESSAGE_MAX - 1 bytes at a
//       character boundary. Keeps its own reference on c until then, so the caller may release its
//       own at once. A settle that comes after this thread left (or exited, or lost the race to
//       another settler) changes nothing: c keeps its first outcome.
//   wtCompletion.toPromise(c) -> a Promise owned by this thread (c: the caller keeps its reference;
//       the continuation does not keep c alive — if c's last reference goes while it is pending, c is
//       canceled and the Promise rejected with WT_ECANCELED). Settles from a continuation run on this thread's mailbox
//       (wt_completion_then) after c settled: resolved with NONE -> undefined, U64 -> BigInt
//       (unsigned), F64 -> number, STRING -> string, BYTES -> a new Uint8Array (a copy, not shared
//       memory), HANDLE -> the object when this thread owns the handle (wtHandles.get; the handle is
//       not released), else the handle as a BigInt; rejected with an Error whose .code is c's status
//       and whose message is c's message (or wt_strerror's when c has none). If this thread leaves
//       or exits before the continuation ran, the Promise is rejected with .code WT_ECANCELED (the
//       continuation's cancel path). c NULL or the continuation refused: rejected with that code.
//   wtCompletion.define(name, asyncFn) -> 0, or WT_EINVAL (name not a non-empty string, asyncFn not a
//       function). Makes asyncFn(arg) callable by name on this thread for wt_await_js_sync (arg: the
//       C string, or null); its result (a Promise or a value) settles the caller's completion as
//       fromPromise does, a synchronous throw rejects it. Functions found in Module.webthreads.async
//       (the page's configuration object) are defined on the main runtime thread as well. Defined
//       functions of a pthread realm are forgotten when its thread exits.
//   wtCompletion.undefine(name) -> 1 if it was defined, else 0.
//   wtCompletion.create() -> a new pending completion with one reference (throws an Error with .code
//       WT_ENOMEM when out of memory); wtCompletion.release(c) drops one reference (any thread).
//   wtCompletion.size() -> completions this realm will still settle from Promises.
// When the thread exits (wtPoolOnThreadExit) the realm drops its bound completions' references (C has
// canceled them as the thread left) and rejects leftover Promises (none are expected: the cancel
// paths ran at the leave); a realm reset clears the tables again, as a backstop.
#if PTHREADS
addToLibrary({
  $wtCompletion__deps: ['wt__js_completion_self', 'wt__js_completion_create', 'wt__js_completion_retain',
                        'wt__js_completion_release', 'wt__js_completion_bind', 'wt__js_completion_resolve',
                        'wt__js_completion_reject', 'wt__js_completion_outcome', 'wt__js_completion_then',
                        'wt_err_name', 'wt_strerror', 'malloc', 'free', '$wtHandles', '$wtPoolOnThreadExit',
                        '$wtPoolOnRealmReset', '$stackSave', '$stackAlloc', '$stackRestore', '$UTF8ToString',
                        '$stringToUTF8', '$lengthBytesUTF8'],
  $wtCompletion__postset: "if (ENVIRONMENT_IS_PTHREAD) { wtPoolOnThreadExit(() => wtCompletion.threadExit()); " +
                          "wtPoolOnRealmReset(() => wtCompletion.realmReset()); }",
  $wtCompletion: {
    // Plain objects: library objects are serialized into the output (a Map would not survive that).
    bound: {},    // token -> { c, self }: completions this realm settles from a Promise (one reference each)
    pending: {},  // token -> { resolve, reject }: toPromise Promises waiting for their continuation
    fns: {},      // name -> function (define)
    count: 0,     // entries in `bound`
    nextToken: 1,
    token() {
      const t = wtCompletion.nextToken;
      wtCompletion.nextToken = (t % 0x7fffffff) + 1;
      return t;
    },
    fail(code, message) {
      const e = new Error(message);
      e.code = code;
      return e;
    },
    create() {
      const c = _wt__js_completion_create();
      if (!c) throw wtCompletion.fail(-2, 'webthreads: completion not created (code -2)');
      return c;
    },
    release(c) { _wt__js_completion_release(c); },
    size() { return wtCompletion.count; },

    fromPromise(promise, c) {
      if (!c) return -1; // WT_EINVAL
      const rc = _wt__js_completion_bind(c); // takes the JS side's reference when it succeeds
      if (rc) return rc;
      wtCompletion.settleFrom(promise, c);
      return 0;
    },
    // c is bound to this thread and one reference is given to the table.
    settleFrom(promise, c) {
      const token = wtCompletion.token();
      wtCompletion.bound[token] = { c, self: _wt__js_completion_self() };
      wtCompletion.count++;
      Promise.resolve(promise).then((v) => wtCompletion.settle(token, true, v),
                                    (e) => wtCompletion.settle(token, false, e));
    },
    settle(token, ok, v) {
      const b = wtCompletion.bound[token];
      if (!b) return; // this thread exited meanwhile: its exit hook dropped the reference
      delete wtCompletion.bound[token];
      wtCompletion.count--;
      try {
        // A thread that left (and maybe joined again: another id) had c canceled by its binding.
        if (_wt__js_completion_self() === b.self) {
          if (ok) wtCompletion.resolveWith(b.c, v);
          else wtCompletion.rejectWith(b.c, v);
        }
      } finally {
        _wt__js_completion_release(b.c);
      }
    },
    resolveWith(c, v) {
      const t = typeof v;
      const res = (kind, u64, f64, data, len) => _wt__js_completion_resolve(c, kind, u64, f64, data, len);
      let rc;
      if (v === undefined || v === null) rc = res(0, 0n, 0, 0, 0);
      else if (t === 'number') rc = res(2, 0n, v, 0, 0);
      else if (t === 'bigint') rc = res(1, BigInt.asIntN(64, v), 0, 0, 0);
      else if (t === 'boolean') rc = res(1, v ? 1n : 0n, 0, 0, 0);
      else if (t === 'string') {
        const n = lengthBytesUTF8(v);
        const p = _malloc(n + 1);
        if (!p) rc = -2;
        else {
          stringToUTF8(v, p, n + 1);
          rc = res(4, 0n, 0, p, n); // n 0: C takes strlen("")
          _free(p);
        }
      } else if (v instanceof ArrayBuffer || ArrayBuffer.isView(v) ||
                 (typeof SharedArrayBuffer != 'undefined' && v instanceof SharedArrayBuffer)) {
        const u8 = ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(v);
        const p = _malloc(u8.length || 1);
        if (!p) rc = -2;
        else {
          HEAPU8.set(u8, p);
          rc = res(3, 0n, 0, p, u8.length);
          _free(p);
        }
      } else if (t === 'object' || t === 'function') {
        let h;
        try {
          h = wtHandles.register(v);
        } catch (e) {
          wtCompletion.rejectCode(c, e.code ?? -13, String(e.message));
          return;
        }
        wtHandles.release(h); // the JS side lets go: the managed side (the reader) owns the handle
        rc = res(5, BigInt.asIntN(64, h), 0, 0, 0);
        if (rc) wtHandles.releaseManaged(h); // nobody will read it
      } else {
        wtCompletion.rejectCode(c, -1, `webthreads: a ${t} cannot be a completion's value`);
        return;
      }
      if (rc === -2) wtCompletion.rejectCode(c, -2, 'webthreads: out of memory copying the resolved value');
      // WT_EALREADY: c settled already (canceled by a timeout, another settler): nothing to do.
    },
    rejectWith(c, reason) {
      let code = -13; // WT_ECALL
      let msg;
      try {
        const k = reason !== null && (typeof reason == 'object' || typeof reason == 'function') ? reason.code : undefined;
        if (Number.isInteger(k) && k < 0 && UTF8ToString(_wt_err_name(k)) !== 'UNKNOWN') code = k;
        msg = String(reason);
      } catch (e) {
        msg = 'webthreads: the rejection reason could not be turned into a string';
      }
      wtCompletion.rejectCode(c, code, msg);
    },
    rejectCode(c, code, msg) {
      const sp = stackSave();
      const p = stackAlloc(96); // WT_CALL_MESSAGE_MAX
      stringToUTF8(msg, p, 96); // cut at a character boundary
      _wt__js_completion_reject(c, code, p);
      stackRestore(sp);
    },

    toPromise(c) {
      return new Promise((resolve, reject) => {
        if (!c) {
          reject(wtCompletion.fail(-1, 'webthreads: toPromise needs a completion (code -1)'));
          return;
        }
        const token = wtCompletion.token();
        wtCompletion.pending[token] = { resolve, reject };
        const rc = _wt__js_completion_then(c, token);
        if (rc) {
          delete wtCompletion.pending[token];
          reject(wtCompletion.fail(rc, `webthreads: cannot wait for the completion (code ${rc})`));
        }
      });
    },
    // The outcome of a settled c: { status, value } or { status, message }. Throws (an Error with
    // .code) when a HANDLE of this thread is not live any more.
    read(c) {
      const sp = stackSave();
      const o = stackAlloc(128); // wt__js_outcome (completion/js_exports.c)
      try {
        const status = _wt__js_completion_outcome(c, o);
        if (status !== 0) {
          let message = UTF8ToString(o + 32);
          if (!message) message = UTF8ToString(_wt_strerror(status));
          return { status, message };
        }
        const kind = HEAP32[(o + 4) >> 2];
        const u64 = BigInt.asUintN(64, HEAP64[(o + 8) >> 3]);
        const data = HEAPU32[(o + 24) >> 2], len = HEAPU32[(o + 28) >> 2];
        switch (kind) {
          case 1: return { status, value: u64 };
          case 2: return { status, value: HEAPF64[(o + 16) >> 3] };
          case 3: return { status, value: HEAPU8.slice(data, data + len) };
          case 4: {
            wtCompletion.decoder ??= new TextDecoder();
            return { status, value: wtCompletion.decoder.decode(HEAPU8.slice(data, data + len)) };
          }
          case 5: {
            const owner = wtHandles.owner(u64);
            return { status, value: owner === BigInt.asUintN(64, _wt__js_completion_self()) ? wtHandles.get(u64) : u64 };
          }
          default: return { status, value: undefined };
        }
      } finally {
        stackRestore(sp);
      }
    },

    define(name, fn) {
      if (typeof name != 'string' || !name || typeof fn != 'function') return -1;
      wtCompletion.fns[name] = fn;
      return 0;
    },
    undefine(name) {
      if (!Object.prototype.hasOwnProperty.call(wtCompletion.fns, name)) return 0;
      delete wtCompletion.fns[name];
      return 1;
    },
    lookup(name) {
      const own = (o) => o !== null && typeof o == 'object' && Object.prototype.hasOwnProperty.call(o, name) &&
                         typeof o[name] == 'function' ? o[name] : undefined;
      return own(wtCompletion.fns) ??
             (ENVIRONMENT_IS_PTHREAD ? undefined : own(Module['webthreads']?.['async']));
    },

    // Thread-exit hook (pthread realms): C canceled the bound completions as the thread left.
    threadExit() {
      for (const token of Object.keys(wtCompletion.bound)) {
        const b = wtCompletion.bound[token];
        delete wtCompletion.bound[token];
        _wt__js_completion_release(b.c);
      }
      wtCompletion.count = 0;
      wtCompletion.rejectAll('this thread exited');
      wtCompletion.fns = {};
    },
    realmReset() {
      wtCompletion.bound = {};
      wtCompletion.count = 0;
      wtCompletion.rejectAll('the Worker was reused by another thread');
      wtCompletion.fns = {};
    },
    rejectAll(why) {
      for (const token of Object.keys(wtCompletion.pending)) {
        const p = wtCompletion.pending[token];
        delete wtCompletion.pending[token];
        p.reject(wtCompletion.fail(-5, `webthreads: canceled: ${why}`));
      }
    },
  },

  // Called from C (js_exports.c) on the thread that called toPromise, when its continuation runs.
  wt__js_completion_settled__deps: ['$wtCompletion'],
  wt__js_completion_settled: (token, c) => {
    const p = wtCompletion.pending[token];
    if (!p) return;
    delete wtCompletion.pending[token];
    let r;
    try {
      r = wtCompletion.read(c);
    } catch (e) {
      p.reject(e);
      return;
    }
    if (r.status === 0) p.resolve(r.value);
    else p.reject(wtCompletion.fail(r.status, r.message));
  },
  // Called from C on that thread instead, as it leaves before the continuation could run.
  wt__js_completion_canceled__deps: ['$wtCompletion'],
  wt__js_completion_canceled: (token) => {
    const p = wtCompletion.pending[token];
    if (!p) return;
    delete wtCompletion.pending[token];
    p.reject(wtCompletion.fail(-5, 'webthreads: canceled: this thread left before the completion settled'));
  },
  // Called from C on wt_await_js_sync's target, c bound to it: runs the function defined as `name`
  // with `arg` (a C string or 0) and settles c from its result. Returns 0 (c will be settled), or a
  // WT_E code (C rejects c with it).
  wt__js_completion_start__deps: ['$wtCompletion', '$UTF8ToString'],
  wt__js_completion_start: (c, namePtr, argPtr) => {
    const name = UTF8ToString(namePtr);
    const fn = wtCompletion.lookup(name);
    if (!fn) {
      wtCompletion.rejectCode(c, -1, `webthreads: no JS function '${name}' here (wtCompletion.define)`);
      return 0;
    }
    let p;
    try {
      p = fn(argPtr ? UTF8ToString(argPtr) : null);
    } catch (e) {
      p = Promise.reject(e);
    }
    _wt__js_completion_retain(c); // the table's
    wtCompletion.settleFrom(p, c);
    return 0;
  },
});
#endif
