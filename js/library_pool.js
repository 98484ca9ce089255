// webthreads JS library: the dynamic Web Worker pool — the UI-thread service behind
// include/webthreads/pool.h (C side: pool/pool.c).
//
// Design. Emscripten (3.1.69, 6.0.5) keeps idle Workers in PThread.unusedWorkers and looks every
// PThread method up by property at its call sites, so the policy is replaced at run time, from the
// postset below, without touching emscripten's files. Every internal named here is checked, and every
// difference between emscripten versions answered, by js/library_emscripten.js (wtEm):
//   allocateUnusedWorker  -> wtPool.allocate  (Workers named "em-pthread-webthreads-N": emscripten
//                            recognises a pthread Worker by a name starting with "em-pthread")
//   loadWasmModuleToWorker-> wrapped: boot latency, "loaded" bookkeeping, node unref of idle Workers
//   getNewWorker          -> wtPool.take      (called by spawnThread for every pthread_create)
//   returnWorkerToPool    -> wrapped: idle bookkeeping, retirement timer
//   terminateAllThreads   -> wrapped: stop the service first
//   threadInitTLS         -> wrapped in Worker realms: the globals snapshot at the realm's first thread,
//                            the start-time realm reset before each later one
//   Worker.onmessage      -> wrapped on the UI thread (in loadWasmModuleToWorker): the pool's own
//                            messages, and other modules' messages (wtPoolOnMessage), are taken before
//                            emscripten's handler; Worker realms get a second 'message' listener
//                            beside emscripten's (which ignores messages without a `cmd`), and
//                            wtPoolPostToUi posts with a transfer list (under node emscripten's
//                            postMessage drops it)
// and `_emscripten_thread_mailbox_await` is replaced (link time) by a version that keeps at most one
// Atomics.waitAsync waiter per Worker realm (see below). A finished thread's Worker goes back to the
// pool with no message to it (a message per return cost create/join loops ~30% in Chromium): the
// exiting thread itself releases its waiter and resets its realm (wt__js_pool_thread_exit).
//
// Realm reset (Worker realm). A reused Worker keeps its whole JS realm, so a thread's JS state would
// reach the next thread there. The realm records the own property keys of globalThis when its first
// thread starts (snapshotGlobals: emscripten's own globals all exist then, no thread code has run).
// Each exiting thread, before it is marked exited, runs the thread-exit hooks (wtPoolOnThreadExit;
// the handle table's release goes there) and deletes every own globalThis property not in the
// snapshot (or kept: wtPoolKeepGlobals); when the realm's next thread starts, the realm-reset hooks
// (wtPoolOnRealmReset) run (not the sweep: what the finished thread's leftover timers or promises add
// after its exit reaches the next thread, and is swept at that thread's exit). A realm that cannot be reset is dirty: a global that cannot be deleted
// (non-configurable, delete false or throwing), globalThis made non-extensible, or a hook that throws.
// The exiting thread records that in pool/pool.c's dirty set (shared memory, before it is marked
// exited: messages from different Workers are not ordered), and the UI thread, handing the Worker back
// (giveBack), terminates it instead of reusing it (stats: dirty, in retired); the top-up replaces it.
// Not reset: changes to properties
// that were in the snapshot (a runtime global overwritten, a built-in prototype patched), top-level
// let/const/class of scripts the thread evaluated (not properties), listeners and timers (hooks can
// drop those). Cost: each sweep is one Reflect.ownKeys(globalThis) (130-760 keys: ~15-35 us under
// node, ~50-65 us in Chromium, measured here), once per thread (docs/pool.md).
//
// The service runs only on the UI thread and never blocks: it reacts to takes, returns, "loaded"
// messages and two coalesced timers (top-up, retirement). All bookkeeping is plain JS on one thread,
// so there are no locks; every change is published to C (wt__js_pool_publish) for wt_pool_stats().
//
// Invariants (UI thread):
//   - wtPool.all holds every Worker alive (loading, loaded spare, running); created - retired == size.
//   - PThread.unusedWorkers holds exactly the Workers not assigned a thread; a Worker leaves it (take)
//     in the same JS task in which spawnThread assigns it, so retirement — which only terminates
//     loaded Workers found in unusedWorkers — can never hit a running or about-to-run Worker.
//   - total <= cfg.max at all times; a take at max returns undefined and spawnThread gives EAGAIN.
//
// Policy:
//   take:   newest loaded spare (warmest; one whose thread finished just now only if no other)
//           -> else the oldest booting unassigned Worker (ready first)
//           -> else boot one now (under max) -> else EAGAIN (one log line until a Worker comes back).
//   top-up: after a take that leaves too few Workers, in the background (setTimeout 1 ms, coalesced),
//           boot Workers until unassigned >= spare (2 x spare while takes are missing loaded spares:
//           growth ahead of demand) and total >= initial, at most 8 `new Worker()` per task so the UI
//           thread never runs one long task. A take that leaves enough arms no timer (create/join
//           loops then cost the UI thread nothing beyond the take itself).
//   retire: idle loaded Workers older than idle_timeout_ms, oldest first, while total > floor
//           (max(initial, spare)) and unassigned > spare.
#if PTHREADS
var WtPoolLibrary = {
  // Worker realm: the pthread whose mailbox this realm's one Atomics.waitAsync waiter is armed for.
  $wtMailboxArmed: 0,

  // Replaces emscripten's version, which arms a new waiter on every call: one per thread start,
  // never released when the thread exits (node: +1 KB per thread, 81 -> 272 MB after 200,000
  // threads), and each stale one re-arms another when it fires. Here a realm arms a waiter only if
  // none is pending for this pthread; when a waiter fires it disarms itself (if still current) and
  // checkMailbox re-arms for whichever thread runs now. A waiter still armed for a finished thread is
  // released when the realm's next thread arms its own: its address may by then belong to a thread on
  // another Worker, whose waiter was queued after it, so waking one waiter (FIFO) wakes the stale one;
  // a spurious wake-up elsewhere would only run checkMailbox. An idle Worker keeps at most one stale
  // waiter until it is reused or retired. Any thread.
  // Worker realm: {released} of that waiter; set when the exiting thread releases it on purpose.
  $wtMailboxWaiter: null,

  _emscripten_thread_mailbox_await__deps: ['$checkMailbox', '$wtMailboxArmed', '$wtMailboxWaiter', ...wtEmDep('$waitAsyncPolyfilled')],
  _emscripten_thread_mailbox_await: (pthread_ptr) => {
    // No native Atomics.waitAsync (newer emscriptens may polyfill it, say so in waitAsyncPolyfilled and
    // then notify by postMessage, as 3.x does without it): nothing to arm.
    if (typeof waitAsyncPolyfilled != 'undefined' ? waitAsyncPolyfilled : typeof Atomics.waitAsync !== 'function') return;
    if (wtMailboxArmed !== pthread_ptr) {
      if (wtMailboxArmed) Atomics.notify(HEAP32, wtMailboxArmed >> 2, 1);
      var wait = Atomics.waitAsync(HEAP32, {{{ getHeapOffset('pthread_ptr', 'i32') }}}, pthread_ptr);
      if (!wait.async) return; // the word is not the thread's self pointer: not a live thread
      wtMailboxArmed = pthread_ptr;
      var waiter = wtMailboxWaiter = { released: false };
      wait.value.then(() => {
        if (waiter.released) return; // its thread has exited: no mailbox to check
        if (wtMailboxArmed === pthread_ptr) wtMailboxArmed = 0;
        checkMailbox();
      });
    }
    var waitingAsync = pthread_ptr + {{{ C_STRUCTS.pthread.waiting_async }}};
    Atomics.store(HEAP32, {{{ getHeapOffset('waitingAsync', 'i32') }}}, 1);
  },

  // Worker realm, on the exiting thread (pool/pool.c's thread-exit TSD destructor, inside
  // emscripten's _emscripten_thread_exit, before the thread is marked exited). In this order:
  //   1. resets the realm (wtPool.exitReset): the thread-exit hooks (wtPoolOnThreadExit), then every
  //      own property of globalThis that is not in the realm's snapshot is deleted;
  //   2. frees this thread's refused pthread_create blocks (wtRefused);
  //   3. releases the realm's waiter now, while the pthread block it watches is still this thread's.
  //      Once a joiner (or the UI thread) has freed the block, malloc can put another thread's futex
  //      word there, and a waiter left armed would swallow a single-waiter wake (notify count 1) meant
  //      for it.
  // Returns 1 if the realm is dirty (pool.c then records this thread in its dirty set, and the UI
  // thread terminates the Worker when it gets it back), else 0.
  wt__js_pool_thread_exit__deps: ['$wtMailboxArmed', '$wtMailboxWaiter', '$wtRefused', '$wtPool', '$wtPark'],
  wt__js_pool_thread_exit: () => {
    var dirty = wtPool.exitReset();
    wtRefused.freeAll();
    var p = wtMailboxArmed;
    if (p) {
      wtMailboxArmed = 0;
      wtMailboxWaiter.released = true;
      Atomics.notify(HEAP32, {{{ getHeapOffset('p', 'i32') }}}, 1);
    }
    wtPark.onExit(dirty); // 4. whether this Worker parks once the thread is gone (js/library_pool_park.js)
    return dirty ? 1 : 0;
  },

  // Replaces emscripten's version: a joined (or exiting detached) thread's Worker is handed back
  // through pool/pool.c's lock-free return set, which the UI thread drains at every take, instead of
  // only by a postMessage that create/join loops outrun (stock emscripten over-grows there). The
  // message still goes out, without the thread address (so a late one can never return a Worker
  // that already runs the next thread at the same address), to drain the set when the UI is idle.
  _emscripten_thread_cleanup__deps: ['$wtPool', 'wt__js_pool_push_return'],
  _emscripten_thread_cleanup: (thread) => {
    if (!ENVIRONMENT_IS_PTHREAD) wtPool.returned(thread);
    else if (_wt__js_pool_push_return(thread)) postMessage({ 'wtDrain': 1 });
    else postMessage({ cmd: {{{ wtEmCmd.cleanupThread }}}, thread });
  },

  // Registers fn() to run in a pthread Worker's realm after a thread has finished there and before
  // the next thread starts there: the place to drop per-thread JS state that can appear after the
  // thread's exit (e.g. left by its timers, which may run in the idle Worker). It runs when the
  // realm's next thread is starting (after its stack and thread pointer are set, before TLS init and
  // the entry point); the added globals were swept at the previous thread's exit (wtPool.resetRealm). For
  // state to drop as soon as the thread exits (handle tables), use wtPoolOnThreadExit. Call it in each
  // Worker realm (e.g. from a postset: postsets run in every realm). Worker realms only; do not call C
  // from fn. A hook that throws is logged and makes the realm dirty: the Worker is terminated when
  // the thread that is starting exits.
  $wtPoolOnRealmReset__deps: ['$wtPool'],
  $wtPoolOnRealmReset: (fn) => { wtPool.realmResetHooks.push(fn); },

  // Registers fn() to run in a pthread Worker's realm on the exiting thread, at every exit of a
  // thread the pool started there: inside pool/pool.c's thread-exit TSD destructor (emscripten's
  // _emscripten_thread_exit), after the thread's mailbox is closed, its pthread_cleanup_push handlers
  // and its other TSD destructors have run (the routing layer's automatic leave, C++ thread_local
  // destructors, the program's keys; only destructors that keep setting values through all
  // PTHREAD_DESTRUCTOR_ITERATIONS passes can still run after it), before the thread is marked exited,
  // so before pthread_join returns and before the pthread block can be freed or the Worker handed to
  // another thread. Hooks run in registration order, first thing in wt__js_pool_thread_exit: before
  // the realm's added globals are deleted and before the mailbox waiter is released. The place to drop
  // per-thread JS state (handle tables, listeners). fn may call C (the thread still has its stack, TLS
  // and pthread_self(); its mailbox is closed, so nothing can be proxied to it any more, and it has
  // left the routing layer); it must not block. A hook that throws makes the realm dirty: the Worker is
  // terminated instead of reused (the error is logged, the other hooks still run). Call it in each
  // Worker realm (e.g. from a postset). Worker realms only.
  $wtPoolOnThreadExit__deps: ['$wtPool'],
  $wtPoolOnThreadExit: (fn) => { wtPool.threadExitHooks.push(fn); },

  // Marks this Worker realm as never to be reused: when its thread exits, the Worker is terminated
  // instead of handed to another thread (counted in wt_pool_stats().dirty and .retired), as for a
  // realm that could not be reset, without that case's log line. For a thread whose realm belongs to
  // user JS for good (a dedicated JS worker thread: worker/worker.c). `why` is kept as the reason.
  // Worker realms only, while a thread runs there.
  $wtPoolRetireRealm__deps: ['$wtPool'],
  $wtPoolRetireRealm: (why) => { if (!wtPool.realm.dirty) wtPool.realm.dirty = String(why); },

  // Adds property names (strings or symbols) of globalThis that the realm keeps across threads even
  // if a thread created them (a runtime that installs realm-wide globals lazily, on its first thread
  // there): they are treated as part of the realm's snapshot and never deleted. Call it in each Worker
  // realm, before or while a thread runs there. Worker realms only.
  $wtPoolKeepGlobals__deps: ['$wtPool'],
  $wtPoolKeepGlobals: (...names) => { wtPool.keepGlobals.push(...names); },

  // Module messages between Workers and the UI thread, with real transfer lists (handles/: transfers).
  // A message carrying `wtMsg: key` reaches fn(data) — on the UI thread when a Worker realm posted it
  // with wtPoolPostToUi (before emscripten's handler sees it), in a Worker realm when the UI thread
  // posted it with wtPoolPostToWorker (emscripten's own handler ignores messages without a `cmd`).
  // Register in every realm (a postset); one fn per key. fn runs as a task of the realm's event loop;
  // in a Worker realm it may run between threads (no thread there: it must not call C then).
  $wtPoolOnMessage__deps: ['$wtPool'],
  $wtPoolOnMessage: (key, fn) => {
    wtPool.messageHooks[key] = fn;
    if (!ENVIRONMENT_IS_PTHREAD || wtPool.workerListening) return;
    wtPool.workerListening = true;
    var on = (d) => { var f = d && d.wtMsg !== undefined && wtPool.messageHooks[d.wtMsg]; if (f) f(d); };
#if ENVIRONMENT_MAY_BE_NODE
    if (ENVIRONMENT_IS_NODE) { worker_threads['parentPort'].on('message', on); return; }
#endif
    self.addEventListener('message', (e) => on(e['data']));
  },
  // Worker realm: posts `msg` to the UI thread, moving the objects in `transfer`. Throws what
  // postMessage throws (DataCloneError, TypeError: nothing was sent then).
  $wtPoolPostToUi: (msg, transfer) => {
#if ENVIRONMENT_MAY_BE_NODE
    if (ENVIRONMENT_IS_NODE) return worker_threads['parentPort'].postMessage(msg, transfer);
#endif
    postMessage(msg, transfer);
  },
  // UI thread: posts `msg` to the Worker that runs pthread `ptr`, moving the objects in `transfer`.
  // false when no Worker runs it (nothing sent); throws what postMessage throws.
  $wtPoolPostToWorker__deps: ['$PThread', '$wtPark'],
  $wtPoolPostToWorker: (ptr, msg, transfer) => {
    var w = ptr && wtPark.workerOf(ptr);
    if (!w) return false;
    w.postMessage(msg, transfer);
    return true;
  },

  $wtPool__deps: ['$wtEm', '$wtBoot', '$PThread', '$terminateWorker', '$cleanupThread', 'wt__js_pool_pop_return', 'wt__js_pool_publish',
                  'wt__js_config_apply', '$stringToNewUTF8', 'malloc', 'free', 'wt__js_pool_thread_start', '$spawnThread',
                  '$ptrToString', 'wt__js_pool_abandon', '_emscripten_thread_free_data', 'wt__js_pool_take_dirty',
                  'pthread_self', 'wt__js_pool_set_reset_globals', 'wt__js_pool_reset_globals', '$wtPark'],
  $wtPool__postset: 'wtPool.install();',
  $wtPool: {
    // Settings in force (resolved; see pool.h). Replaced by the JS config object at start-up.
    cfg: { initial: 4, spare: 2, max: 128, idleTimeoutMs: 10000 },
    messageHooks: {},     // every realm: wtPoolOnMessage, by key
    workerListening: false,
    realmResetHooks: [],  // Worker realm: wtPoolOnRealmReset
    threadExitHooks: [],  // Worker realm: wtPoolOnThreadExit
    keepGlobals: [],      // Worker realm: wtPoolKeepGlobals
    // Worker realm: own property keys of globalThis when the realm's first thread started (snapshot),
    // whether it was extensible then, and the realm's reset record: `dirty` ('' or why the realm could
    // not be reset), globals deleted at thread exits (`exitDeleted`), threads exited. Read by tests (test/pool/pool_test_lib.js).
    globals: null,
    globalsExtensible: true,
    realm: { dirty: '', exitDeleted: 0, exits: 0 },

    // Runs in every realm when the script loads (after PThread.init()).
    install() {
      wtEm.check(); // the PThread this library replaces parts of is the one it was written for
      if (ENVIRONMENT_IS_PTHREAD) {
        if (wtPool.testFailBoot()) throw new Error('webthreads: pool: test hook fail_boot: this Worker fails at load');
        // The 'run' handler calls PThread.threadInitTLS() for every thread it starts, by property.
        var used = false;
        wtEm.replace('threadInitTLS', (initTLS) => () => {
          if (used) wtPool.resetRealm();
          else wtPool.snapshotGlobals();
          used = true;
          initTLS();
          _wt__js_pool_thread_start(); // arms the thread-exit hook (wt__js_pool_thread_exit)
        });
        return;
      }
      if (ENVIRONMENT_IS_WORKER) return; // not the UI thread (e.g. PROXY_TO_WORKER): leave emscripten's pool
      wtPool.all = new Set();
      wtPool.nextId = 1;
      wtPool.started = false;   // a take has happened (informational; configure works at any time)
      wtPool.stopped = false;
      wtPool.bootFailed = 0;     // Workers that errored or exited before loading (stats; also in retired)
      wtPool.bootFailStreak = 0; // such failures since the last Worker that loaded
      wtPool.orphans = [];       // 'run' messages of threads whose Worker failed to boot, to place again
      wtPool.orphanTimer = 0;
      wtPool.placing = false;    // inside placeOrphans(): take() neither counts nor logs a refusal
      wtPool.failBootFrom = 0;   // test hook (Module.webthreads.test.fail_boot)
      wtPool.abandoned = 0;      // orphans ended as cancelled (abandon)
      wtPool.orphanGraceMs = 5000; // pool.h's WT_POOL_ORPHAN_GRACE_MS
      wtPool.misses = 0;        // takes that found no loaded spare since the last one that did
      wtPool.draining = false;  // inside drain(): giveBack leaves publishing to drain
      wtPool.capLogAt = 0;      // when the last cap line (first or summary) was logged
      wtPool.capQuiet = 0;      // refusals since that line
      wtPool.capTimer = 0;
      wtPool.refused = 0;       // every refusal at max (stats)
      wtPool.dirty = 0;         // Workers terminated because their realm was dirty (stats; also in retired)
      wtPool.dirtyOverflowLogged = false;
      wtPool.created = 0; wtPool.retired = 0; wtPool.peak = 0;
      wtPool.bootLast = 0; wtPool.bootSum = 0; wtPool.bootCount = 0; wtPool.bootMax = 0;
      wtPool.topUpTimer = 0; wtPool.retireTimer = 0;
      wtPool.finishing = []; wtPool.finishTimer = 0; // returned threads whose Worker still unwinds them
      wtPool.origAllocate = wtEm.replace('allocateUnusedWorker', () => () => { wtPool.allocate(); });
      wtEm.replace('loadWasmModuleToWorker', (origLoad) => (w) => wtPool.load(w, origLoad));
      wtEm.replace('getNewWorker', () => () => wtPool.take());
      wtEm.replace('returnWorkerToPool', (origReturn) => (w) => wtPool.giveBack(w, origReturn));
      wtEm.replace('terminateAllThreads', (origTerminateAll) => () => {
        wtPool.stop();
        // Stand-ins of abandoned threads (abandon) are not Workers: emscripten 6 terminates every entry.
        for (var t of Object.keys(PThread.pthreads)) if (PThread.pthreads[t].wtAbandoned) delete PThread.pthreads[t];
        // Parked Workers, and those running threads started there, are in none of emscripten's lists.
        var known = new Set([...PThread.unusedWorkers, ...Object.values(PThread.pthreads),
                             ...({{{ wtEmHasRunningWorkers }}} ? PThread.runningWorkers : [])]);
        for (var w of wtPool.all) if (!known.has(w)) terminateWorker(w);
        var r = origTerminateAll();
        for (var w of wtPool.all) wtPool.quiet(w, !w.loaded); // a booting one's late "loaded" too
        return r;
      });
      // At runtime init (C callable, module compiled); main() runs in the same task, before any timer,
      // so the pre-warm never delays it.
      wtEm.afterCtors(() => { wtPool.readConfig(); wtPool.publish(); wtPool.scheduleTopUp(); });
    },

    // ---- configuration (UI thread)
    readConfig() {
      var o = Module['webthreads'];
#if ENVIRONMENT_MAY_BE_NODE
      if (o === undefined && ENVIRONMENT_IS_NODE && process.env['WEBTHREADS_CONFIG']) {
        try { o = Module['webthreads'] = JSON.parse(process.env['WEBTHREADS_CONFIG']); }
        catch (e) { err(`webthreads: pool: WEBTHREADS_CONFIG is not JSON (${e}); using the defaults`); return; }
      }
#endif
      if (o === undefined || o === null) return;
      var show = (v) => typeof v == 'number' ? String(v) : JSON.stringify(v); // Infinity, not null
      if (typeof o != 'object' || Array.isArray(o)) {
        err(`webthreads: config: Module.webthreads must be an object, not ${show(o)}; using the defaults`);
        return;
      }
      // Test hook, inert unless set: Workers numbered fail_boot and up throw at load (testFailBoot).
      var t = o['test'];
      if (t && t['fail_boot'] > 0) wtPool.failBootFrom = t['fail_boot'];
      // Every knob goes through the C table (config/config.c): one parser, one message format, one
      // list of knobs (an unknown key, Module.webthreads.pool.maxx or a section like "pol", warns
      // there). Values become the strings a runtimeconfig property would be: integers in full
      // (BigInt: no exponent, so 2^64 is "out of range", not garbage), booleans true/false, anything
      // else as JSON (refused).
      var pairs = [];
      for (var section of Object.keys(o)) {
        if (section == 'test') continue;
        var p = o[section];
        if (p === undefined || p === null) continue;
        if (typeof p != 'object' || Array.isArray(p)) {
          err(`webthreads: config: Module.webthreads.${section} must be an object, not ${show(p)}; using the defaults`);
          return;
        }
        for (var k of Object.keys(p)) {
          var v = p[k];
          if (v === undefined || v === null) continue;
          var text = typeof v == 'boolean' ? String(v)
                   : typeof v == 'number' ? (Number.isInteger(v) ? BigInt(v).toString() : String(v)) : JSON.stringify(v);
          pairs.push(`Module.webthreads.${section}.${k}\x1f${text}`);
        }
      }
      if (!pairs.length) return;
      var buf = stringToNewUTF8(pairs.join('\x1e')); // any size: not on the JS stack
      if (!buf) { err('webthreads: config: no memory to read Module.webthreads; using the defaults'); return; }
      _wt__js_config_apply(buf); // refusals are logged there
      _free(buf);
    },

    // wt_pool_configure(), on the UI thread (sync proxy), at any time. Values are resolved and valid.
    configure(initial, spare, max, idleTimeoutMs) {
      wtPool.cfg = { initial, spare, max, idleTimeoutMs };
      var U = PThread.unusedWorkers;
      // Shrink to the new max with unassigned Workers only (booting ones first, then the longest
      // idle): an assigned Worker is never in unusedWorkers. Workers beyond max that run threads
      // retire when they come back (giveBack); meanwhile takes cannot boot (total >= max).
      wtPool.drain(false);
      while (wtPool.all.size > max && U.length) {
        var i = U.findIndex((x) => !x.loaded);
        wtPool.retire(U[i >= 0 ? i : 0]);
      }
      var p;
      while (wtPool.all.size > max && (p = wtPark.parkedWorkers()[0]) && wtPark.remove(p.w)) wtPool.retire(p.w);
      if (wtPool.retireTimer) { clearTimeout(wtPool.retireTimer); wtPool.retireTimer = 0; }
      wtPool.scheduleRetire();
      wtPool.scheduleTopUp();
      wtPool.publish();
      return 0;
    },

    // ---- Workers (UI thread)
    // Creates a Worker (not yet loading) and parks it in unusedWorkers.
    allocate() {
      var id = wtPool.nextId++;
      var w;
#if EXPORT_ES6
      // Module builds: let emscripten create it (bundler-friendly URL); it keeps its own name.
      wtPool.origAllocate();
      w = PThread.unusedWorkers.pop();
#else
      // The lean worker script where the build has one, else the main JS (js/library_pool_boot.js).
      var [url, lean] = wtBoot.workerUrl();
      var fail = wtPool.failBootFrom && id >= wtPool.failBootFrom; // test hook only
      var opts = { 'name': wtEm.workerName('webthreads-' + id + (fail ? '-fail-boot' : '')) };
#if ENVIRONMENT_MAY_BE_NODE
      if (ENVIRONMENT_IS_NODE) opts = { 'workerData': 'em-pthread', 'name': 'webthreads-' + id };
      if (ENVIRONMENT_IS_NODE && fail) opts['argv'] = ['--webthreads-test-fail-boot'];
#endif
      w = new Worker(url, opts);
      w.wtLean = lean;
#endif
      w.wtId = id;
      // Keep the thread assigned to a Worker that is still booting: if the boot fails, it moves.
      var post = w.postMessage;
      w.postMessage = function(m, transfer) {
        if (m && m.cmd === {{{ wtEmCmd.run }}} && !w.loaded) w.wtRun = m;
        return post.call(w, m, transfer);
      };
      w.wtIdleSince = 0;
      w.wtBootStart = performance.now();
      wtPark.assign(w); // its park slot (a message before emscripten's 'load'), or none
      PThread.unusedWorkers.push(w);
      wtPool.all.add(w);
      wtPool.created++;
      if (wtPool.all.size > wtPool.peak) wtPool.peak = wtPool.all.size;
      return w;
    },

    boot() {
      var w = wtPool.allocate();
      PThread.loadWasmModuleToWorker(w);
      return w;
    },

    load(w, origLoad) {
      w.wtBootStart = performance.now();
      var p = origLoad(w); // sets w.onmessage (node: its 'message' listener calls w.onmessage too)
      // The pool's own messages (no `cmd`) are taken here, before emscripten's handler sees them.
      var onmessage = w.onmessage;
      // So are other modules' (wtPoolOnMessage: `wtMsg`).
      w.onmessage = (e) => {
        var d = e['data'], f;
        // (emscripten 3.x marks a loaded Worker itself; later versions only resolve the promise)
        if (d && d.cmd === {{{ wtEmCmd.loaded }}}) w.loaded = true;
        // A thread started on a parked Worker is not in PThread.pthreads until someone asks.
        if (d && d.targetThread) wtPark.workerOf(d.targetThread);
        if (d && d.wtDrain) wtPool.drain();
        else if (d && d.wtPark) { wtPark.noted(); wtPool.scheduleRetire(); wtPool.publish(); }
        else if (d && d.cmd === {{{ wtEmCmd.cleanupThread }}}) wtPool.returned(d.thread);
        else if (d && d.wtMsg !== undefined && (f = wtPool.messageHooks[d.wtMsg])) f(d);
        else onmessage(e);
      };
      // A failed boot (script or network error, out of memory, exit): wtPool.lost. Emscripten's own
      // handler rethrows (a page error; node dies): it keeps errors of loaded Workers (crashed threads).
      var onerror = w.onerror;
      w.onerror = (e) => {
        if (w.loaded || !wtPool.all.has(w)) return onerror(e);
        e.preventDefault?.();
        wtPool.lost(w, e.message || String(e));
      };
#if ENVIRONMENT_MAY_BE_NODE
      if (ENVIRONMENT_IS_NODE) w.on('exit', (code) => wtPool.lost(w, `exited with code ${code}`)); else
#endif
      w.addEventListener('messageerror', () => wtPool.lost(w, 'a message could not be deserialized'));
      return p.then((loaded) => {
        if (!wtPool.all.has(w)) return loaded; // retired or stopped meanwhile
        wtPool.bootFailStreak = 0;
        w.wtRun = undefined;
        delete w.postMessage; // loaded: the prototype's again (the 'run' record is for booting Workers)
        wtPool.schedulePlace();
        var ms = performance.now() - w.wtBootStart;
        wtPool.bootLast = ms; wtPool.bootSum += ms; wtPool.bootCount++;
        if (ms > wtPool.bootMax) wtPool.bootMax = ms;
        wtBoot.loaded(w);
        if (!w.pthread_ptr) {
          w.wtIdleSince = performance.now();
#if ENVIRONMENT_MAY_BE_NODE
          // An idle Worker must not keep node alive (emscripten does this only with a fixed pool).
          if (ENVIRONMENT_IS_NODE) w.unref();
#endif
          wtPool.scheduleRetire();
        }
        wtPool.publish();
        return loaded;
      });
    },

    // PThread.getNewWorker: the Worker that will run the thread spawnThread is starting, or undefined
    // (spawnThread then returns EAGAIN). Never blocks.
    take() {
      if (wtPool.stopped) return undefined;
      wtPool.started = true;
      // Returns drained here land at the end of unusedWorkers, after `settled`. Prefer the newest
      // spare that was back before (a Worker whose thread has just finished is usually still
      // unwinding it: a thread started there waits; node create/join loops ~10% slower).
      var U = PThread.unusedWorkers, i, w, settled = U.length;
      wtPool.drain(false); // published below
      for (i = settled - 1; i >= 0 && !U[i].loaded; i--);
      if (i < 0) for (i = U.length - 1; i >= 0 && !U[i].loaded; i--);
      if (i >= 0) {
        wtPool.misses = 0;
      } else if ((w = wtPark.unpark() || wtPark.preclaim())) {
        // A parked Worker (no loaded spare): back to its event loop, where spawnThread's 'run' reaches it.
        wtPool.misses = 0;
        wtEm.unrun(w); // its last thread may not be joined yet: that return only frees the block
        w.wtIdleSince = 0;
        wtPool.scheduleTopUp();
        wtPool.publish();
        return w;
      } else {
        wtPool.misses++;
        i = U.findIndex((x) => !x.loaded);
        if (i >= 0 && wtPool.bootFailStreak >= 4 && !wtPool.placing) i = -1; // probes are for orphans
        if (i < 0) {
          if (wtPool.all.size >= wtPool.cfg.max) {
            wtPool.refuse();
            wtPool.publish();
            return undefined;
          }
          if (wtPool.bootFailStreak >= 4) { // WT_POOL_BOOT_FAIL_STREAK: no foreground boots
            if (!wtPool.placing) wtPool.refuse(true);
            wtPool.publish();
            return undefined;
          }
          wtPool.boot();
          i = U.length - 1;
        }
      }
      w = U.splice(i, 1)[0];
      w.wtIdleSince = 0;
      wtPool.scheduleTopUp();
      wtPool.publish();
      return w;
    },

    // PThread.returnWorkerToPool: the Worker's thread has finished (joined or detached-exited). No
    // message to the Worker: its thread reset the realm as it exited (exitReset), and the next thread
    // resets it again when it starts (see threadInitTLS). A Worker whose exiting thread found its realm
    // dirty (recorded in pool.c's dirty set before the thread was marked exited, so it is there
    // whichever message or join brought the Worker back) is terminated here, in the same task that
    // would otherwise have made it a spare, and the top-up replaces it.
    giveBack(w, origReturn) {
      if (w.wtAbandoned) { // a thread that never started, now joined (see abandon)
        delete PThread.pthreads[w.pthread_ptr];
        __emscripten_thread_free_data(w.pthread_ptr);
        return;
      }
      var dirty = wtPool.takeDirty(w.pthread_ptr); // before origReturn frees the block
      origReturn(w);
      w.wtIdleSince = performance.now();
      if (dirty) {
        wtPool.dirty++;
        wtPool.retire(w);
        wtPool.scheduleTopUp();
      } else if (wtPool.all.size > wtPool.cfg.max) wtPool.retire(w); // max was lowered while it ran
      wtPool.scheduleRetire();
      wtPool.schedulePlace();
      if (!wtPool.draining) wtPool.publish();
    },

    // A thread has finished and been joined (or, detached, has exited): pool/pool.c's return set, a
    // cleanupThread message, or the UI thread's own join. A Worker without a park slot goes back as in
    // emscripten (cleanupThread -> giveBack). One with a slot parks once its thread is gone unless the
    // thread left its realm dirty (then it is terminated): it never enters unusedWorkers, and only the
    // thread's block is freed here (the Worker may already run its next thread). A thread started on a
    // parked Worker whose exit was clean may be unknown here (nobody asked where it ran): the same.
    returned(t) {
      var w = PThread.pthreads[t] || wtPark.byPtr(t);
      // (wtParks, not wtSlot: a parked Worker retired before its last thread was joined has no slot any
      // more, and must not come back into unusedWorkers through emscripten's return)
      if (w && (w.wtAbandoned || !w.wtParks)) return cleanupThread(t);
      var dirty = wtPool.takeDirty(t); // before the block is freed (its address names t until then)
      if (PThread.pthreads[t]) delete PThread.pthreads[t];
      if (w && w.pthread_ptr === t) wtEm.unrun(w);
      wtPool.finishing.push({ t, w, dirty });
      wtPool.finishReturns();
      wtPool.scheduleRetire();
      wtPool.schedulePlace();
      if (!wtPool.draining) wtPool.publish();
    },

    // The second half of returned(): a Worker whose thread left its realm dirty (it does not park) is
    // terminated; the block is freed once the thread's Worker has no C frame of it left (a joiner can
    // return, and the UI thread get here, while the exiting Worker still unwinds on the thread's stack,
    // which is in the block: freed and handed to the next thread, it would be written by both).
    // Retried on a timer while a Worker is still unwinding (microseconds).
    finishReturns() {
      var keep = [], n = 0;
      for (var r of wtPool.finishing) {
        var w = r.w;
        if (r.dirty == 1 && w && wtPool.all.has(w)) {
          // It does not park: terminated at once, as a dirty Worker always was (a pthread_create right
          // after the join must find room at max), and its block freed now, as emscripten's return does
          // (its slot is gone with it, so it no longer counts as unwinding).
          wtPool.dirty++;
          wtPool.retire(w);
          wtPool.scheduleTopUp();
          n++;
        }
        if (wtPark.unwinding(r.t)) { keep.push(r); continue; }
        __emscripten_thread_free_data(r.t);
        if (r.dirty != 1 && w && wtPool.all.size > wtPool.cfg.max && wtPark.remove(w)) {
          wtPool.retire(w); // max was lowered while it ran, and it has parked
          n++;
        }
      }
      wtPool.finishing = keep;
      if (keep.length && !wtPool.finishTimer && !wtPool.stopped)
        wtPool.finishTimer = wtPool.timer(() => { wtPool.finishTimer = 0; wtPool.finishReturns(); wtPool.publish(); }, 0);
      return n;
    },

    // pool/pool.c's dirty set for finished thread t (before its block is freed): 1 dirty, 2 the set has
    // overflowed (logged once: every returning Worker is then treated as dirty), 0 clean.
    takeDirty(t) {
      var dirty = _wt__js_pool_take_dirty(t);
      if (dirty == 2 && !wtPool.dirtyOverflowLogged) {
        wtPool.dirtyOverflowLogged = true;
        err('webthreads: pool: the dirty-realm set is full; from now on every Worker whose thread finishes is ' +
            'terminated instead of reused');
      }
      return dirty;
    },

    // Hands back the Workers of threads joined since the last drain (see _emscripten_thread_cleanup),
    // publishing once for all of them unless `publish` is false (the caller publishes).
    drain(publish = true) {
      if (wtPool.stopped) return; // the runtime is exiting: nothing to hand back
      var t, n = 0;
      wtPool.draining = true;
      try {
        while ((t = _wt__js_pool_pop_return())) { wtPool.returned(t); n++; }
      } finally {
        wtPool.draining = false;
      }
      if (n && publish) wtPool.publish();
    },

    retire(w) {
      var U = PThread.unusedWorkers, i = U.indexOf(w);
      if (i >= 0) U.splice(i, 1);
      wtPark.release(w);
      wtPool.all.delete(w);
      terminateWorker(w);
      wtPool.quiet(w, true);
      wtPool.retired++;
    },

    // After terminateWorker(w): a message already on its way is dropped silently instead of reaching
    // emscripten's "command from terminated worker" stub (ASSERTIONS builds): a pool message (a
    // joiner's drain wake-up, a parked Worker's note: no `cmd`) always; with `all`, any (a Worker the pool retired on purpose,
    // or one still booting at exit: its "loaded").
    quiet(w, all) {
      var stub = w.onmessage;
      w.onmessage = (e) => { if (!all && !(e['data'] && (e['data'].wtDrain || e['data'].wtPark))) stub(e); };
    },

    // take() at max: pthread_create gets EAGAIN. The first refusal logs one line; later ones are
    // counted and summarised in at most one line per ~10 s (a program that retries at the cap would
    // otherwise print a line per try). A refusal 10 s after the last line starts over.
    // `failing`: refused because Workers keep failing to boot (no spare, no foreground boot).
    refuse(failing) {
      var now = performance.now(), max = wtPool.cfg.max;
      wtPool.refused++;
      if (!wtPool.capLogAt || (now - wtPool.capLogAt >= 10000 && !wtPool.capQuiet)) {
        wtPool.capLogAt = now;
        if (failing) err(`webthreads: pool: pthread_create refused with EAGAIN: no Worker free and ${wtPool.bootFailStreak} ` +
                         `Workers in a row failed to boot (see the lines above); retrying one boot per second`);
        else err(`webthreads: pool: pthread_create refused with EAGAIN: all ${max} Workers are busy; ` +
                 `raise the pool's max (wt_pool_config.max, JS Module.webthreads.pool.max) or join threads first`);
        return;
      }
      wtPool.capQuiet++;
      if (wtPool.capTimer || wtPool.stopped) return;
      wtPool.capTimer = wtPool.timer(() => {
        wtPool.capTimer = 0;
        if (!wtPool.capQuiet) return;
        err(`webthreads: pool: ${wtPool.capQuiet} more pthread_create refused with EAGAIN at max=${wtPool.cfg.max} ` +
            `in the last ${((performance.now() - wtPool.capLogAt) / 1000).toFixed(0)} s`);
        wtPool.capLogAt = performance.now();
        wtPool.capQuiet = 0;
      }, Math.max(0, wtPool.capLogAt + 10000 - now));
    },

    // The one handler of a Worker that errored, or exited, before it had loaded (its boot failed):
    // it leaves the pool at once (counted in retired and boot_failed, so created - retired == total)
    // and the thread assigned to it, if any, is placed again on another Worker (placeOrphans).
    lost(w, why) {
      if (w.loaded || !wtPool.all.has(w) || wtPool.stopped) return; // stopped: the runtime exits
      var U = PThread.unusedWorkers, i = U.indexOf(w);
      if (i >= 0) U.splice(i, 1);
      wtPool.all.delete(w);
      wtPool.retired++;
      wtPool.bootFailed++;
      wtBoot.failed(w);
      var streak = ++wtPool.bootFailStreak, run = w.wtRun;
      if (w.pthread_ptr) wtEm.unassign(w); // undo spawnThread's assignment
      w.wtRun = undefined;
      wtPark.release(w);
      terminateWorker(w);
      wtPool.quiet(w, true);
      if (streak <= 4)
        err(`webthreads: pool: Worker ${w.wtId} failed to boot (${why}); it left the pool` +
            (run ? `; its thread ${ptrToString(run.pthread_ptr)} starts on another Worker` : '') +
            (streak == 4 ? `; ${streak} failures in a row: no more boots for pthread_create, one try per second` : ''));
      if (run) wtPool.orphans.push(run);
      wtPool.placeOrphans();
      wtPool.scheduleTopUp();
      wtPool.publish();
    },

    // Starts the threads whose Worker failed to boot, oldest first, on other Workers (take(): a spare,
    // a booting one, or a new one unless boots keep failing). UI thread; not inside drain() (a take
    // from there would re-enter take): giveBack and load defer it with schedulePlace().
    placeOrphans() {
      while (wtPool.orphans.length && !wtPool.stopped) {
        var m = wtPool.orphans[0];
        wtPool.placing = true;
        try {
          var rc = spawnThread({ startRoutine: m.start_routine, pthread_ptr: m.pthread_ptr, arg: m.arg, transferList: [] });
        } finally {
          wtPool.placing = false;
        }
        if (rc) { // no Worker now: again when one loads or comes back
          var now = performance.now();
          if (!m.wtWaitSince) {
            m.wtWaitSince = now;
            err(`webthreads: pool: thread ${ptrToString(m.pthread_ptr)} waits for a Worker: its own failed to boot and ` +
                `${wtPool.bootFailStreak} Workers in a row failed; it starts when a Worker loads or comes back, ` +
                `or ends as cancelled in ${wtPool.orphanGraceMs / 1000} s`);
          }
          if (now - m.wtWaitSince < wtPool.orphanGraceMs) {
            wtPool.schedulePlace(m.wtWaitSince + wtPool.orphanGraceMs - now + 1);
            break;
          }
          wtPool.orphans.shift();
          wtPool.abandon(m);
          continue;
        }
        wtPool.orphans.shift();
        // A notification sent to it while it had no Worker went to the failed one: check its mailbox.
        PThread.pthreads[m.pthread_ptr]?.postMessage({ cmd: {{{ wtEmCmd.checkMailbox }}} });
      }
    },

    schedulePlace(ms = 0) {
      if (wtPool.orphans.length && !wtPool.orphanTimer && !wtPool.stopped)
        wtPool.orphanTimer = wtPool.timer(() => { wtPool.orphanTimer = 0; wtPool.placeOrphans(); }, ms);
    },

    // Ends an orphan that found no Worker within WT_POOL_ORPHAN_GRACE_MS as if it had been cancelled
    // before running (pool/pool_abandon.c): its joiner gets PTHREAD_CANCELED instead of waiting for
    // ever. A joinable one keeps a stand-in Worker entry in PThread.pthreads until it is joined, so
    // emscripten's cleanupThread finds something to return (giveBack then frees the block).
    abandon(m) {
      var t = m.pthread_ptr;
      err(`webthreads: pool: thread ${ptrToString(t)} never started: its Worker failed to boot and no other Worker ` +
          `took it within ${wtPool.orphanGraceMs / 1000} s (${wtPool.bootFailStreak} boots in a row failed); it ends ` +
          `as cancelled: pthread_join gives PTHREAD_CANCELED`);
      wtPool.abandoned++;
      PThread.pthreads[t] = { wtAbandoned: true, pthread_ptr: t };
      if (_wt__js_pool_abandon(t)) { // detached: nobody joins it
        delete PThread.pthreads[t];
        __emscripten_thread_free_data(t);
      }
    },

    // Worker realm, at load: the test hook fail_boot marked this Worker (its name, or under node its
    // argv, which a Worker does not inherit) to throw. Never true otherwise.
    testFailBoot() {
#if ENVIRONMENT_MAY_BE_NODE
      if (ENVIRONMENT_IS_NODE) return process.argv.includes('--webthreads-test-fail-boot');
#endif
      return typeof self == 'object' && typeof self.name == 'string' && self.name.endsWith('-fail-boot'); // (wtEm.workerName)
    },

    stop() {
      wtPool.stopped = true;
      if (wtPool.topUpTimer) clearTimeout(wtPool.topUpTimer);
      if (wtPool.retireTimer) clearTimeout(wtPool.retireTimer);
      if (wtPool.capTimer) clearTimeout(wtPool.capTimer);
      if (wtPool.orphanTimer) clearTimeout(wtPool.orphanTimer);
      if (wtPool.finishTimer) clearTimeout(wtPool.finishTimer);
      wtPool.topUpTimer = wtPool.retireTimer = wtPool.capTimer = wtPool.orphanTimer = wtPool.finishTimer = 0;
    },

    // ---- background work (UI thread, timers)
    timer(fn, ms) {
      var t = setTimeout(fn, ms);
#if ENVIRONMENT_MAY_BE_NODE
      if (ENVIRONMENT_IS_NODE) t.unref(); // the pool alone never keeps node alive
#endif
      return t;
    },

    // Workers to boot now: up to `spare` unassigned (2 x spare while takes miss loaded spares) and
    // `initial` in total, never beyond `max`.
    topUpWant() {
      var cfg = wtPool.cfg, total = wtPool.all.size, unassigned = PThread.unusedWorkers.length + wtPark.parked();
      var target = wtPool.misses ? 2 * cfg.spare : cfg.spare;
      var want = Math.min(Math.max(target - unassigned, cfg.initial - total), cfg.max - total);
      if (want > 0 && target - unassigned > cfg.initial - total) { // (scans the park slots only then)
        unassigned += wtPark.exiting();
        want = Math.min(Math.max(target - unassigned, cfg.initial - total), cfg.max - total);
      }
      return want;
    },

    scheduleTopUp() {
      // Nothing to boot (the common case in create/join loops): no timer, no extra UI-thread task.
      // Otherwise a 1 ms delay lets a Worker whose thread just finished come back first (its return
      // is usually already queued): create/join loops then reuse it instead of over-growing.
      // While Workers keep failing to boot (WT_POOL_BOOT_FAIL_STREAK), one try per second.
      if (!wtPool.topUpTimer && !wtPool.stopped && wtPool.topUpWant() > 0)
        wtPool.topUpTimer = wtPool.timer(wtPool.topUp, wtPool.bootFailStreak >= 4 ? 1000 : 1);
    },

    topUp() {
      wtPool.topUpTimer = 0;
      if (wtPool.stopped) return;
      var want = wtPool.topUpWant();
      var n = Math.min(want, wtPool.bootFailStreak >= 4 ? 1 : 8);
      for (var i = 0; i < n; i++) wtPool.boot();
      if (want > n) wtPool.scheduleTopUp();
      if (n > 0) wtPool.publish();
    },

    scheduleRetire() {
      var timeout = wtPool.cfg.idleTimeoutMs;
      if (timeout < 0 || wtPool.retireTimer || wtPool.stopped) return;
      var oldest = Infinity;
      for (var w of PThread.unusedWorkers) if (w.loaded && w.wtIdleSince && w.wtIdleSince < oldest) oldest = w.wtIdleSince;
      if (wtPark.parked()) for (var p of wtPark.parkedWorkers()) if (p.since < oldest) oldest = p.since;
      if (oldest === Infinity) return;
      var delay = Math.max(0, oldest + timeout - performance.now()) + 1;
      wtPool.retireTimer = wtPool.timer(wtPool.retireIdle, delay);
    },

    retireIdle() {
      wtPool.retireTimer = 0;
      if (wtPool.stopped) return;
      var cfg = wtPool.cfg, now = performance.now(), floor = Math.max(cfg.initial, cfg.spare);
      var idle = PThread.unusedWorkers.filter((w) => w.loaded && w.wtIdleSince && now - w.wtIdleSince >= cfg.idleTimeoutMs)
                                       .map((w) => ({ w, since: w.wtIdleSince }));
      if (wtPark.parked()) idle.push(...wtPark.parkedWorkers().filter((p) => now - p.since >= cfg.idleTimeoutMs));
      idle.sort((a, b) => a.since - b.since);
      var n = 0;
      for (var p of idle) {
        if (wtPool.all.size <= floor || PThread.unusedWorkers.length + wtPark.parked() <= cfg.spare) break;
        if (p.w.wtSlot >= 0 && PThread.unusedWorkers.indexOf(p.w) < 0 && !wtPark.remove(p.w)) continue; // taken meanwhile
        wtPool.retire(p.w);
        n++;
      }
      if (n) wtPool.publish();
      wtPool.scheduleRetire();
    },

    publish() {
      var spare = 0, loading = 0;
      for (var w of wtPool.all) if (!w.loaded) loading++;
      for (var w of PThread.unusedWorkers) if (w.loaded) spare++;
      var parked = wtPark.parked();
      var total = wtPool.all.size, c = wtPool.cfg;
      _wt__js_pool_publish(total, spare + parked, loading, total - PThread.unusedWorkers.length - parked, wtPool.peak,
                           wtPool.created, wtPool.retired, wtPool.bootLast,
                           wtPool.bootCount ? wtPool.bootSum / wtPool.bootCount : 0, wtPool.bootMax,
                           c.initial, c.spare, c.max, c.idleTimeoutMs, wtPool.bootFailed, wtPool.refused,
                           wtPool.dirty, parked);
    },

    // ---- Worker realm
    // At the realm's first thread start (wrapped threadInitTLS, before TLS init and the entry point):
    // records the own property keys of globalThis (names and symbols, enumerable or not). By then
    // everything emscripten puts there exists: the script's top-level declarations (in a browser's
    // classic Worker script each `var` and function of the runtime is a non-configurable global; under
    // node the script is a module and only its explicit globals are: self, postMessage, importScripts),
    // the 'load' handler's (startWorker, onmessage, onunhandledrejection, alert), the instantiated
    // module; and no thread code has run in the realm yet. Loading alone would not do: the pool's
    // postset runs during the script, before the 'load' message is handled.
    snapshotGlobals() {
      wtPool.globals = new Set(Reflect.ownKeys(globalThis));
      wtPool.globalsExtensible = Object.isExtensible(globalThis);
    },

    // Deletes every own property of globalThis that is neither in the snapshot nor kept
    // (wtPoolKeepGlobals). Returns {n: how many were deleted, bad: '' or why one could not be}.
    sweepGlobals() {
      var snap = wtPool.globals, keep = wtPool.keepGlobals, n = 0, bad = '';
      if (!snap) return { n, bad };
      for (var k of Reflect.ownKeys(globalThis)) {
        if (snap.has(k) || keep.includes(k)) continue;
        var ok = false, why = 'delete returned false';
        try { ok = delete globalThis[k]; } catch (e) { why = `delete threw: ${e}`; }
        if (ok) { n++; continue; }
        var d = Object.getOwnPropertyDescriptor(globalThis, k);
        if (d && !d.configurable) why = 'non-configurable';
        if (!bad) bad = `global '${String(k)}' cannot be deleted (${why})`;
      }
      if (!bad && wtPool.globalsExtensible && !Object.isExtensible(globalThis))
        bad = 'globalThis was made non-extensible';
      return { n, bad };
    },

    // On the exiting thread (wt__js_pool_thread_exit): thread-exit hooks, then the sweep of added
    // globals. Returns whether the realm is dirty: a hook threw, a global could not be deleted, or
    // the realm was already found dirty (at this thread's start). Logs one line when it is.
    exitReset() {
      var r = wtPool.realm, why = '';
      r.exits++;
      for (var fn of wtPool.threadExitHooks) {
        try { fn(); } catch (e) { if (!why) why = `a thread-exit hook threw: ${e}`; }
      }
      var s = _wt__js_pool_reset_globals() ? wtPool.sweepGlobals() : { n: 0, bad: '' };
      r.exitDeleted += s.n;
      why = why || s.bad;
      if (why) {
        if (!r.dirty) r.dirty = why;
        err(`webthreads: pool: thread ${ptrToString(_pthread_self())} left its Worker's realm dirty: ${why}; ` +
            `the Worker is terminated instead of reused`);
      }
      return !!r.dirty;
    },

    // When the realm's next thread starts (after the exit-time reset): the realm-reset hooks. The
    // globals are not swept again here (one sweep per thread: it is the cost of a create/join cycle);
    // what a finished thread's leftover timers or promises add after its exit reaches the next thread,
    // and that thread's exit sweeps it (a non-configurable one makes the realm dirty then). A hook
    // that throws marks the realm dirty: the Worker is terminated when this thread exits (exitReset).
    resetRealm() {
      var r = wtPool.realm;
      for (var fn of wtPool.realmResetHooks) {
        try { fn(); } catch (e) {
          err(`webthreads: pool: a realm-reset hook threw: ${e}`);
          if (!r.dirty) r.dirty = `a realm-reset hook threw: ${e}`;
        }
      }
    },
  },

  // Wraps emscripten's __pthread_create_js (its code, copied under another name) on the creating
  // thread, so that a refused thread (EAGAIN at the pool's max) has its block freed: emscripten's
  // __pthread_create returns the error without freeing it. The UI side of a worker's create
  // (js/library_pool_create.js) runs the unwrapped copy, so each refusal is seen once, by its creator.
  $wtPthreadCreateJs: wtEmLib('__pthread_create_js', 4),
  // (its internal dependency $pthreadCreateProxied is pulled in below, not as a user-library dep)
  $wtPthreadCreateJs__deps: LibraryManager.library['__pthread_create_js__deps'].filter((d) => d != '$pthreadCreateProxied'),
  __pthread_create_js__deps: ['$wtPthreadCreateJs', '$wtRefused'],
  __pthread_create_js: (pthread_ptr, attr, startRoutine, arg) => {
    wtRefused.freeAll(); // this thread's earlier refusals: their __pthread_create has returned
    var rc = wtPthreadCreateJs(pthread_ptr, attr, startRoutine, arg);
    if (rc) wtRefused.add(pthread_ptr);
    return rc;
  },

  // Blocks of threads whose pthread_create this realm's thread made and that were refused. Each is
  // freed on the creating thread once its __pthread_create has surely returned (it unlinks the block
  // from musl's thread list after the refusal and then touches it no more): at that thread's next
  // pthread_create, at its exit (wt__js_pool_thread_exit), or at the realm's next event-loop turn,
  // whichever comes first. The same thread, never a race: nobody else knows the block. A creator
  // that keeps being refused without returning to its event loop holds at most one block.
  $wtRefused__deps: ['wt__js_pool_free_refused'],
  $wtRefused: {
    blocks: [],
    timer: 0,
    add(t) {
      wtRefused.blocks.push(t);
      if (!wtRefused.timer) {
        wtRefused.timer = setTimeout(() => { wtRefused.timer = 0; wtRefused.freeAll(); }, 0);
#if ENVIRONMENT_MAY_BE_NODE
        if (ENVIRONMENT_IS_NODE) wtRefused.timer.unref();
#endif
      }
    },
    freeAll() {
      var b;
      while ((b = wtRefused.blocks.pop())) _wt__js_pool_free_refused(b);
    },
  },

  // wt_pool_configure(): apply resolved settings on the UI thread. Returns 0.
  wt__js_pool_configure__deps: ['$wtPool'],
  wt__js_pool_configure: (initial, spare, max, idleTimeoutMs) => wtPool.configure(initial, spare, max, idleTimeoutMs),
};

// The pool is active in every -pthread program that links libwebthreads.js (see docs/pool.md).
extraLibraryFuncs.push('$wtPool', '$pthreadCreateProxied');
addToLibrary(WtPoolLibrary);
#endif
