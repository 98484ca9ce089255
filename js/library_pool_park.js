// webthreads JS library: thread start on parked Workers (C side: pool/park.c, the shared area).
//
// Design. In emscripten, a worker's pthread_create is a call to the UI thread (the only one that hands
// Workers threads), which posts a 'run' message to a Worker, whose thread, once joined, comes back to
// the UI thread as a cleanup message: three hops through event loops per create+join cycle, the UI's
// included. Here a Worker whose thread finished with a clean realm *parks* instead: its slot goes on a
// LIFO stack in shared memory and it waits on the slot's state word, first with a bounded Atomics.wait
// (WT_POOL_PARK_SYNC_MS: create/join loops hand it the next thread within microseconds), then with
// Atomics.waitAsync from its event loop (so messages and timers run again). A pthread_create on any
// worker thread (its $pthreadCreateProxied, js/library_pool_create.js) first pops a parked slot, writes
// the thread (pthread pointer, start routine, argument) and notifies the word: the Worker starts the
// thread itself, as emscripten's 'run' handler would (establishStackSpace, thread init, the wrapped
// threadInitTLS with its realm reset, the mailbox waiter, the entry point through the stock
// invokeEntryPoint). No UI thread, no message, no cleanup round trip on that path. Opt-in
// (Module.webthreads.pool.park = true; docs/pool.md says why it is off by default): without it no
// Worker gets a slot and every function here is inert.
//
// The UI thread stays the owner of Workers. It gives each Worker a slot when it creates it (a message
// before emscripten's 'load'; a slot's generation changes with each owner), and learns of hand-offs
// without being on their path:
//   - which Worker runs a thread started that way: the slot's pthread word, read (wtPark.sync) only
//     where PThread.pthreads misses it: a mailbox notification to forward or send, a module message, a
//     returning thread;
//   - a returning thread (join, detached exit: pool/pool.c's return set) of a Worker that parks only
//     frees the block (wtPool.returned): the Worker never enters unusedWorkers, it is on the stack or
//     already runs its next thread. Whether it parks is known to both sides: it has a slot, and its
//     thread's exit was clean (pool/pool.c's dirty set; a dirty Worker does not park and is terminated);
//   - stats: a Worker that parks tells the UI thread once (a message, merged while the UI has not read
//     it), so spare/running/parked are republished; parked ones count as spare;
//   - retirement and a lowered max: the UI pops parked slots (RETIRE) and terminates them like idle
//     spares; a UI-thread take (the UI as creator, the fallback of a worker's create, orphans) pops one
//     (UNPARK) when no loaded spare is free, and emscripten's 'run' message follows.
// Fallbacks to the stock path: no parked Worker (the UI's take then runs as before), transfer lists
// (OffscreenCanvas: emscripten posts those itself), the UI thread as creator, dynamic linking
// (MAIN_MODULE: each thread start syncs the shared libraries) and ASYNCIFY (an entry point may return
// a promise): those builds never park. Threads that keep their own JS event loop (unwind with a live
// runtime) do not park while they live; when such a thread exits later, its Worker parks from its
// event loop.
//
// A parked Worker has no thread, hence no wasm stack: everything it does here is JS on Atomics, no C.
// Lock rules (pool/park.c): the stack changes only under the area's spin lock (held for a few
// accesses, never across a wait; the UI thread may spin on it for that long); a popped slot is written
// by its popper alone, then its state; the Worker writes its slot before pushing it and after waking.
#if PTHREADS
var WtPoolParkLibrary = {
  $wtPark__deps: ['$PThread', ...wtEmDep('$HEAPF64'), 'wt__js_pool_park_area', 'wt__js_pool_park_slots', 'wt__js_pool_park', 'pthread_self',
                  'wt__js_pool_exit_hook_ok', '_emscripten_thread_init',
                  '_emscripten_thread_mailbox_await', '$wtPoolOnMessage', '$invokeEntryPoint'],
  $wtPark__postset: 'wtPark.install();',
  $wtPark: {
    // Slot states (pool/park.c): OFF, PARKED, RUN, UNPARK, RETIRE; and while the exiting thread's C
    // frames are still on its stack (the block must not be freed yet): EXITING (clean: it parks next),
    // LEAVING (dirty: it goes back to its event loop, to be terminated), TAKEN (EXITING taken by a UI
    // take: it goes back to its event loop, where 'run' reaches it).
    OFF: 0, PARKED: 1, RUN: 2, UNPARK: 3, RETIRE: 4, EXITING: 5, LEAVING: 6, TAKEN: 7,
    syncMs: 5,           // WT_POOL_PARK_SYNC_MS: the bounded Atomics.wait before the event loop's waitAsync
#if MAIN_MODULE || ASYNCIFY
    linkable: false,     // this build never parks (see above)
#else
    linkable: true,
#endif
    base: 0,             // the area's index in HEAP32 (0: not read yet)
    n: 0,                // slots
    // Worker realm
    slot: -1, gen: 0,    // this Worker's slot (-1: it never parks), from the UI thread's message
    exited: false,       // a thread exited here and this Worker has not handled that yet (afterExit)
    willPark: false,     // ... and its realm was clean: it parks
    depth: 0,            // invokeEntryPoint frames on the stack (an exit inside one parks from there)
    // UI thread
    workers: [],         // slot -> Worker
    gens: [],            // slot -> generation of its current owner
    free: [],            // freed slots, reused oldest first once 64 are waiting
    next: 0,             // slots never used yet start here

    install() {
      if (ENVIRONMENT_IS_PTHREAD) wtPoolOnMessage('wtPark', (d) => { wtPark.slot = d.slot; wtPark.gen = d.gen; });
    },
    // Any realm, with a thread the first time (it calls C).
    area() {
      if (!wtPark.base) { wtPark.n = _wt__js_pool_park_slots(); wtPark.base = _wt__js_pool_park_area() >> 2; }
      return wtPark.base;
    },
    stateAt(i) { return wtPark.base + 4 + wtPark.n + 4 * i; },
    timeAt(i) { return (wtPark.base * 4 + 4 * (4 + 5 * wtPark.n)) / 8 + i; },
    lock() { while (Atomics.compareExchange(HEAP32, wtPark.base, 0, 1) !== 0); },
    unlock() { Atomics.store(HEAP32, wtPark.base, 0); },
    // Pops the newest parked slot (under the lock), or -1.
    pop() {
      var b = wtPark.area();
      if (!Atomics.load(HEAP32, b + 1)) return -1;
      wtPark.lock();
      var n = HEAP32[b + 1], i = -1;
      if (n) { i = HEAP32[b + 4 + n - 1]; HEAP32[b + 1] = n - 1; }
      wtPark.unlock();
      return i;
    },
    parked() { return wtPark.base ? Atomics.load(HEAP32, wtPark.base + 1) : 0; },

    // ---- creator (a worker thread's pthread_create, before it would call the UI thread)
    // Hands the thread to a parked Worker: true if one took it (pthread_create returns 0), false if none
    // is parked (the stock path follows). Never blocks (a spin on the lock for a few accesses).
    claim(pthread_ptr, startRoutine, arg) {
      if (!wtPark.linkable) return false;
      var i = wtPark.pop();
      if (i < 0) return false;
      var s = wtPark.stateAt(i), g = Atomics.load(HEAP32, s) & ~7;
      HEAP32[s + 1] = pthread_ptr; HEAP32[s + 2] = startRoutine; HEAP32[s + 3] = arg;
      Atomics.store(HEAP32, s, g | wtPark.RUN);
      Atomics.notify(HEAP32, s, 1);
      return true;
    },

    // ---- Worker realm
    // On the exiting thread (wt__js_pool_thread_exit, before it is marked exited): the slot records
    // the thread and that its C frames are still on its stack (EXITING if the realm is clean and the
    // Worker parks next, LEAVING if it is dirty); the UI thread frees the thread's block only once the
    // Worker has left that state (afterExit), since a joiner may return, and the freed block go to the
    // next thread, while this Worker is still unwinding on it.
    onExit(dirty) {
      if (wtPark.slot < 0) return;
      wtPark.area();
      var s = wtPark.stateAt(wtPark.slot);
      HEAP32[s + 1] = _pthread_self();
      Atomics.store(HEAP32, s, (wtPark.gen << 3) | (dirty ? wtPark.LEAVING : wtPark.EXITING));
      wtPark.exited = true;
      wtPark.willPark = !dirty;
      // An exit outside invokeEntryPoint (a thread that kept its event loop): handle it from the loop.
      if (!wtPark.depth) setTimeout(() => wtPark.fromLoop(false), 0);
    },
    // Back in JS after a thread's exit (no C frame of it left): park (returns the thread to start, begun,
    // or null), or for a dirty realm just say so (LEAVING -> OFF) and return null.
    afterExit() {
      if (!wtPark.exited) return null;
      wtPark.exited = false;
      if (wtPark.willPark) return wtPark.park();
      var s = wtPark.stateAt(wtPark.slot), g = wtPark.gen << 3;
      HEAP32[s + 1] = 0;
      Atomics.compareExchange(HEAP32, s, g | wtPark.LEAVING, g | wtPark.OFF);
      return null;
    },
    // Parks this Worker: pushes its slot, waits up to syncMs, and returns the thread to start
    // ({start, arg}, already begun), or null (it waits in the event loop now, or was unparked or retired).
    park() {
      wtPark.willPark = false;
      var b = wtPark.base, i = wtPark.slot, s = wtPark.stateAt(i), g = wtPark.gen << 3, want = g | wtPark.PARKED;
      HEAPF64[wtPark.timeAt(i)] = performance.timeOrigin + performance.now();
      // EXITING -> PARKED and the push in one step under the lock: a UI take sees the Worker either
      // EXITING (preclaim) or on the stack (unpark), never in between.
      wtPark.lock();
      var was = Atomics.compareExchange(HEAP32, s, g | wtPark.EXITING, want);
      if (was === (g | wtPark.EXITING)) {
        HEAP32[s + 1] = 0; // unwound: the UI thread may free the thread's block now
        HEAP32[b + 4 + HEAP32[b + 1]] = i;
        HEAP32[b + 1]++;
      }
      wtPark.unlock();
      if (was !== (g | wtPark.EXITING)) { // the UI thread took it while its thread was exiting: 'run' follows
        if (was === (g | wtPark.TAKEN)) { HEAP32[s + 1] = 0; Atomics.store(HEAP32, s, g | wtPark.OFF); }
        return null; // (or RETIRE)
      }
      if (Atomics.exchange(HEAP32, b + 2, 1) === 0) postMessage({ 'wtPark': 1 }); // stats, merged
      Atomics.wait(HEAP32, s, want, wtPark.syncMs);
      if (Atomics.load(HEAP32, s) === want) {
        var w = Atomics.waitAsync(HEAP32, s, want);
        if (w.async) { w.value.then(() => wtPark.fromLoop(true)); return null; }
      }
      return wtPark.wake();
    },
    // After the wait: the thread to start, begun, or null.
    wake() {
      var s = wtPark.stateAt(wtPark.slot), v = Atomics.load(HEAP32, s);
      if ((v >>> 3) !== wtPark.gen) return null; // the slot has another owner: this Worker is being terminated
      var st = v & 7;
      if (st !== wtPark.RUN) {
        if (st === wtPark.UNPARK) Atomics.store(HEAP32, s, (wtPark.gen << 3) | wtPark.OFF); // 'run' follows
        return null;
      }
      var ptr = HEAP32[s + 1], start = HEAP32[s + 2], arg = HEAP32[s + 3];
      Atomics.store(HEAP32, s, (wtPark.gen << 3) | wtPark.OFF);
      Atomics.add(HEAP32, wtPark.base + 3, 1);
      // What emscripten's 'run' handler does before the entry point (its embind set-up ran once here).
      establishStackSpace(ptr);
      __emscripten_thread_init(ptr, /*is_main=*/0, /*is_runtime=*/0, /*can_block=*/1, 0, 0);
      PThread.threadInitTLS();
      __emscripten_thread_mailbox_await(ptr);
      return { start, arg };
    },
    // From the event loop: after an exit there (woken false) or when the parked Worker's waitAsync
    // fires (woken true), take the next thread, if any, and run it as emscripten's 'run' handler would.
    fromLoop(woken) {
      var t = woken ? wtPark.wake() : wtPark.afterExit();
      if (!t) return;
      try {
        invokeEntryPoint(t.start, t.arg);
      } catch (e) {
        if (e != 'unwind') throw e; // a crashed thread: the Worker's error handler, as for 'run'
      }
    },

    // ---- UI thread
    // Gives a new Worker a slot (none when parking is off, the exit hook is missing or slots are out).
    assign(w) {
      w.wtSlot = -1;
      if (!wtPark.linkable || !_wt__js_pool_park() || !_wt__js_pool_exit_hook_ok()) return;
      var b = wtPark.area(), i;
      if (wtPark.free.length > 64 || (wtPark.next >= wtPark.n && wtPark.free.length)) i = wtPark.free.shift();
      else if (wtPark.next < wtPark.n) i = wtPark.next++;
      else return;
      var g = wtPark.gens[i] = ((wtPark.gens[i] || 0) + 1) & 0x3ffffff;
      var s = wtPark.stateAt(i);
      HEAP32[s + 1] = 0;
      Atomics.store(HEAP32, s, g << 3);
      wtPark.workers[i] = w;
      w.wtSlot = i;
      w.wtParks = true; // for good: its threads' returns only free their blocks (wtPool.returned)
      w.postMessage({ 'wtMsg': 'wtPark', 'slot': i, 'gen': g });
    },
    // Takes a parked Worker off the stack (under the lock). Returns whether it was there.
    remove(w) {
      var i = w.wtSlot;
      if (!(i >= 0) || !wtPark.parked()) return false;
      var b = wtPark.base, found = false;
      wtPark.lock();
      var n = HEAP32[b + 1];
      for (var k = 0; k < n; k++) {
        if (HEAP32[b + 4 + k] !== i) continue;
        HEAP32.copyWithin(b + 4 + k, b + 4 + k + 1, b + 4 + n);
        HEAP32[b + 1] = n - 1;
        found = true;
        break;
      }
      wtPark.unlock();
      return found;
    },
    // A Worker leaves the pool (terminated): its slot is freed; a parked one is taken off the stack.
    release(w) {
      var i = w.wtSlot;
      if (!(i >= 0)) return;
      wtPark.remove(w);
      var s = wtPark.stateAt(i);
      Atomics.store(HEAP32, s, (wtPark.gens[i] << 3) | wtPark.RETIRE);
      Atomics.notify(HEAP32, s);
      wtPark.workers[i] = undefined;
      w.wtSlot = -1;
      wtPark.free.push(i);
    },
    // UI take: the newest parked Worker, told to go back to its event loop for emscripten's 'run'.
    unpark() {
      var i = wtPark.pop();
      if (i < 0) return undefined;
      var s = wtPark.stateAt(i);
      Atomics.store(HEAP32, s, (wtPark.gens[i] << 3) | wtPark.UNPARK);
      Atomics.notify(HEAP32, s);
      return wtPark.workers[i];
    },
    // UI take, when nothing is parked: a Worker whose thread is exiting (it would park in a moment; a
    // pthread_join that has returned must let a pthread_create at max succeed, as with emscripten's
    // return). It goes back to its event loop instead of parking, where 'run' reaches it.
    preclaim() {
      if (!wtPark.base) return undefined;
      var found;
      wtPark.lock(); // (see park)
      for (var i = 0; i < wtPark.next && !found; i++) {
        var w = wtPark.workers[i], g = wtPark.gens[i] << 3;
        if (w && Atomics.compareExchange(HEAP32, wtPark.stateAt(i), g | wtPark.EXITING, g | wtPark.TAKEN) === (g | wtPark.EXITING))
          found = w;
      }
      wtPark.unlock();
      return found;
    },
    // Workers whose thread is exiting and that park next (UI thread: the top-up counts them as spares,
    // or create/join loops would boot a Worker whenever a take falls between an exit and its park).
    exiting() {
      var n = 0;
      if (wtPark.base) for (var i = 0; i < wtPark.next; i++)
        if (wtPark.workers[i] && Atomics.load(HEAP32, wtPark.stateAt(i)) === ((wtPark.gens[i] << 3) | wtPark.EXITING)) n++;
      return n;
    },
    // Retire candidates: parked Workers with the time they parked (UI clock).
    parkedWorkers() {
      var out = [], b = wtPark.area(), skew = performance.timeOrigin;
      wtPark.lock();
      for (var k = 0, n = HEAP32[b + 1]; k < n; k++) out.push(HEAP32[b + 4 + k]);
      wtPark.unlock();
      return out.map((i) => ({ w: wtPark.workers[i], since: HEAPF64[wtPark.timeAt(i)] - skew }));
    },
    // PThread.pthreads misses a thread: record the Workers that run threads started through their slot.
    sync() {
      if (!wtPark.base) return;
      for (var i = 0; i < wtPark.next; i++) {
        var w = wtPark.workers[i];
        if (!w) continue;
        var s = wtPark.stateAt(i), st = Atomics.load(HEAP32, s) & 7, ptr = HEAP32[s + 1];
        if (ptr && (st === wtPark.OFF || st === wtPark.RUN) && !PThread.pthreads[ptr]) PThread.pthreads[ptr] = w;
      }
    },
    // The Worker of a live or exiting thread started or recorded through its slot, or undefined.
    byPtr(ptr) {
      if (!wtPark.base || !ptr) return undefined;
      for (var i = 0; i < wtPark.next; i++)
        if (wtPark.workers[i] && HEAP32[wtPark.stateAt(i) + 1] === ptr) return wtPark.workers[i];
      return undefined;
    },
    // Whether a Worker still has C frames of exited thread `ptr` on its stack (its block must not be
    // freed yet: EXITING, LEAVING, TAKEN with that thread).
    unwinding(ptr) {
      if (!wtPark.base) return false;
      for (var i = 0; i < wtPark.next; i++) {
        if (!wtPark.workers[i]) continue;
        var s = wtPark.stateAt(i), st = Atomics.load(HEAP32, s) & 7;
        if (st >= wtPark.EXITING && HEAP32[s + 1] === ptr) return true;
      }
      return false;
    },
    workerOf(ptr) {
      if (!PThread.pthreads[ptr]) wtPark.sync();
      return PThread.pthreads[ptr];
    },
    // A Worker's "something parked" message: the UI reads it (republishes the stats).
    noted() { Atomics.store(HEAP32, wtPark.area() + 2, 0); },
  },

  // Emscripten's invokeEntryPoint (its code, copied under another name), run in a loop: when the
  // thread has exited and this Worker parks, the next thread handed to it starts right here.
  $wtInvokeEntryPoint: wtEmLib('$invokeEntryPoint', 2),
  // (internal ones, such as $runtimeKeepaliveCounter, come with $keepRuntimeAlive; $establishStackSpace
  // with emscripten's 'run' handler: a user library may not name them)
  $wtInvokeEntryPoint__deps: (LibraryManager.library['$invokeEntryPoint__deps'] || []).filter((d) => !LibraryManager.library[d + '__internal']),
  $invokeEntryPoint__deps: ['$wtInvokeEntryPoint', '$wtPark'],
  $invokeEntryPoint: (ptr, arg) => {
    for (;;) {
      wtPark.exited = false;
      wtPark.depth++;
      try {
        wtInvokeEntryPoint(ptr, arg);
      } catch (e) {
        if (e != 'unwind' || !wtPark.exited) throw e; // unwind with a live thread, or a crash
      } finally {
        wtPark.depth--;
      }
      var t = wtPark.afterExit(); // nothing if the thread lives on (its own event loop) or has no slot
      if (!t) return;
      ptr = t.start; arg = t.arg;
    }
  },

  // UI thread: a notification by postMessage for a thread PThread.pthreads does not know yet.
  $wtNotifyMailboxPostmessage: wtEmLib('_emscripten_notify_mailbox_postmessage', 2),
  $wtNotifyMailboxPostmessage__deps: LibraryManager.library['_emscripten_notify_mailbox_postmessage__deps'] || [],
  _emscripten_notify_mailbox_postmessage__deps: ['$wtNotifyMailboxPostmessage', '$wtPark'],
  _emscripten_notify_mailbox_postmessage: (targetThread, currThreadId) => {
    if (!ENVIRONMENT_IS_PTHREAD && targetThread != currThreadId) wtPark.workerOf(targetThread);
    return wtNotifyMailboxPostmessage(targetThread, currThreadId);
  },
};
addToLibrary(WtPoolParkLibrary);
#endif
