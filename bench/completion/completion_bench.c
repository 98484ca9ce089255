// bench/completion: latency from a JS Promise settling on the UI thread to C that waits for it, against
// the Atomics ping-pong floor measured in the same run.
//
// main() runs on the UI thread (no PROXY_TO_PTHREAD) and hands over to a JS driver that stays in the
// UI thread's event loop. Each sample is one round trip measured on the UI thread (performance.now):
//   waiter        a Promise bound to a completion (wtCompletion.fromPromise) is resolved; worker W,
//                 blocked in wt_completion_wait, wakes with its value and notifies back (futex wake);
//   floor_wait    the UI thread does Atomics.notify; worker F, blocked in Atomics.wait (a futex
//                 wait), wakes and notifies back;
//   continuation  a Promise bound to a completion is resolved; a continuation registered for worker
//                 L (wt_completion_then), which idles in its JS event loop, runs there and notifies;
//   floor_async   the UI thread does Atomics.notify; L, idle in its event loop with an
//                 Atomics.waitAsync armed, wakes and notifies back.
// In every case the UI thread arms an Atomics.waitAsync on the answer word before it starts the clock,
// and waits for it after, so the cases differ only in the wake-up path under test. Rounds interleave
// the four cases (the same machine state for each); before each trip the UI thread spins --gap-us
// (200 µs) so the worker is back asleep. Prints BENCH lines (p50/p90/p99 and the interquartile mean, µs) and one SUMMARY
// line with the ratios of medians: promise_to_waiter_vs_floor = waiter / floor_wait,
// promise_to_continuation_vs_floor = continuation / floor_async.
//   --rounds N   rounds per case (default 1000)
//   --gap-us N   spin before each trip (default 200)
//   --profile    also print PROFILE lines: where the time of the two Promise cases goes
#include "webthreads/completion.h"

#include <emscripten/emscripten.h>
#include <emscripten/threading.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Shared words (int32 indices, read by the JS driver).
enum {
  G_GO_F,    // UI -> F (floor_wait)
  G_ACK_F,   // F -> UI
  G_REQ_W,   // W -> UI: a new completion is in G_C_W
  G_C_W,     // W's completion (pointer)
  G_ACK_W,   // W -> UI: woke with its value
  G_GO_L,    // UI -> L's JS loop (floor_async)
  G_ACK_LF,  // L's JS loop -> UI
  G_ACK_L,   // L's continuation -> UI
  G_READY,   // threads ready
  G_ERRORS,  // wrong values, failed calls
  G_ROUND,   // the value the UI resolves with (checked by W and L)
  G_QUIT,
  G_WORDS
};
static _Atomic int32_t g[G_WORDS];
static _Atomic uint64_t l_id;
// Profile (--profile): emscripten_get_now() stamps, the same clock on every thread.
enum { T_SETTLE_IN, T_SETTLE_OUT, T_WOKE, T_WORDS };
static double tstamp[T_WORDS];

static void bump_and_wake(int i) {
  atomic_fetch_add(&g[i], 1);
  emscripten_futex_wake((void *)&g[i], 1);
}

// F: the Atomics.wait floor.
static void *f_main(void *arg) {
  (void)arg;
  bump_and_wake(G_READY);
  int32_t seen = 0;
  for (;;) {
    while (atomic_load(&g[G_GO_F]) == seen) emscripten_futex_wait((void *)&g[G_GO_F], (uint32_t)seen, 1000);
    seen = atomic_load(&g[G_GO_F]);
    if (atomic_load(&g[G_QUIT])) return NULL;
    bump_and_wake(G_ACK_F);
  }
}

// W: publishes a completion, blocks in wt_completion_wait until the UI's Promise settles it.
static void *w_main(void *arg) {
  (void)arg;
  if (wt_thread_join(NULL) != 0) abort();
  bump_and_wake(G_READY);
  for (;;) {
    wt_completion *c;
    if (wt_completion_create(&c) != 0) abort();
    atomic_store(&g[G_C_W], (int32_t)(intptr_t)c);
    bump_and_wake(G_REQ_W);
    int r = wt_completion_wait(c, -1);
    tstamp[T_WOKE] = emscripten_get_now();
    wt_value v;
    if (r != 0 || wt_completion_result_get(c, NULL, &v) != 0 || v.kind != WT_VALUE_F64 ||
        v.f64 != (double)atomic_load(&g[G_ROUND]))
      atomic_fetch_add(&g[G_ERRORS], 1);
    wt_completion_release(c);
    if (atomic_load(&g[G_QUIT])) return NULL;
    bump_and_wake(G_ACK_W);
  }
}

// L: idles in its JS event loop; its floor responder is a JS Atomics.waitAsync loop.
static void *l_main(void *arg) {
  (void)arg;
  wt_thread me;
  if (wt_thread_join(&me) != 0) abort();
  atomic_store(&l_id, me.bits);
  EM_ASM({
    const go = $0 >> 2;
    const ack = $1 >> 2;
    const quit = $2 >> 2;
    (async () => {
      for (;;) {
        const w = Atomics.waitAsync(HEAP32, go, Atomics.load(HEAP32, go));
        if (w.async) await w.value;
        if (Atomics.load(HEAP32, quit)) return;
        Atomics.add(HEAP32, ack, 1);
        Atomics.notify(HEAP32, ack);
      }
    })();
  }, &g[G_GO_L], &g[G_ACK_LF], &g[G_QUIT]);
  bump_and_wake(G_READY);
  emscripten_exit_with_live_runtime();
  return NULL;
}

static void l_cont(wt_completion *c, void *arg) {
  (void)arg;
  tstamp[T_WOKE] = emscripten_get_now();
  wt_value v;
  if (wt_completion_result_get(c, NULL, &v) != 0 || v.kind != WT_VALUE_F64 || v.f64 != (double)atomic_load(&g[G_ROUND]))
    atomic_fetch_add(&g[G_ERRORS], 1);
  bump_and_wake(G_ACK_L);
}
static void l_cancel(void *arg) {
  (void)arg;
  atomic_fetch_add(&g[G_ERRORS], 1);
}

// UI thread (JS driver): registers L's continuation on c. 0 or a WT_E code.
EMSCRIPTEN_KEEPALIVE int bench_then_on_l(wt_completion *c) {
  return wt_completion_then(c, (wt_thread){atomic_load(&l_id)}, l_cont, l_cancel, NULL);
}

EMSCRIPTEN_KEEPALIVE void bench_finish(int code) {
  atomic_store(&g[G_QUIT], 1);
  emscripten_force_exit(code);
}

EM_JS(void, bench_drive, (_Atomic int32_t *words, int rounds, int nthreads, int gapUs, double *ts, int profile), {
  const G = words >> 2;
  const GO_F = G + 0, ACK_F = G + 1, REQ_W = G + 2, C_W = G + 3, ACK_W = G + 4, GO_L = G + 5, ACK_LF = G + 6,
        ACK_L = G + 7, READY = G + 8, ERRORS = G + 9, ROUND = G + 10;
  const env = ENVIRONMENT_IS_NODE ? 'node' : 'chromium';
  /* --profile: where the time goes, from emscripten_get_now() stamps (one clock for all threads):
     t0 -> the Promise reaction entering wtCompletion.settle (the microtask hop), -> settle done (the
     C resolve: settle, dispatch, the wake-up sent), -> the worker running (wake-up latency), -> the
     UI thread seeing the answer. */
  const T = ts >> 3;
  const prof = { waiter: [[], [], [], []], continuation: [[], [], [], []] };
  if (profile) {
    const orig = wtCompletion.settle;
    wtCompletion.settle = (...a) => {
      HEAPF64[T] = _emscripten_get_now();
      try { return orig(...a); } finally { HEAPF64[T + 1] = _emscripten_get_now(); }
    };
  }
  const stamp = (which, t0, t1) => {
    const p = prof[which];
    const s = [t0, HEAPF64[T], HEAPF64[T + 1], HEAPF64[T + 2], t1];
    for (let i = 0; i < 4; i++) p[i].push((s[i + 1] - s[i]) * 1000);
  };
  const now = () => performance.now();
  /* Before each trip: the worker has gone back to sleep (it does within a few µs of its answer). A
     spin, not a timer: an idle millisecond lets the OS park the CPUs, and the wake-up from that
     (the same in every case) would dominate what is measured. */
  const gap = () => { const end = now() + gapUs / 1000; while (now() < end); return Promise.resolve(); };
  /* Waits (async) until HEAP32[i] differs from v. */
  const changed = async (i, v) => {
    while (Atomics.load(HEAP32, i) === v) {
      const w = Atomics.waitAsync(HEAP32, i, v);
      if (w.async) await w.value;
    }
  };
  /* One round trip: arm the answer's waitAsync, start the clock, kick, wait for the answer. */
  const trip = async (ackIdx, kick, which) => {
    const a = Atomics.load(HEAP32, ackIdx);
    const w = Atomics.waitAsync(HEAP32, ackIdx, a);
    const e0 = profile ? _emscripten_get_now() : 0;
    const t0 = now();
    kick();
    if (w.async) await w.value;
    const t1 = now();
    if (which) stamp(which, e0, _emscripten_get_now());
    if (Atomics.load(HEAP32, ackIdx) === a) throw new Error('answer word unchanged');
    return (t1 - t0) * 1000;
  };
  const stats = (xs) => {
    const s = Float64Array.from(xs).sort();
    const q = (p) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))];
    const lo = Math.floor(s.length / 4), hi = Math.ceil((3 * s.length) / 4);
    let iqm = 0;
    for (let i = lo; i < hi; i++) iqm += s[i];
    iqm /= hi - lo;
    return { p50: q(0.5), p90: q(0.9), p99: q(0.99), iqm };
  };
  /* Under node, Atomics.waitAsync does not keep the process alive: a timer does until the end. */
  const keepalive = setInterval(() => {}, 1000);
  (async () => {
    try {
      await changed(READY, 0);
      while (Atomics.load(HEAP32, READY) < nthreads) await changed(READY, Atomics.load(HEAP32, READY));
      const t = { waiter: [], floor_wait: [], continuation: [], floor_async: [] };
      let reqSeen = 0;
      const warm = Math.min(50, rounds >> 2);
      for (let r = 0; r < warm + rounds; r++) {
        const keep = r >= warm;
        Atomics.store(HEAP32, ROUND, r);
        /* floor_wait: F blocked in Atomics.wait */
        await gap();
        let us = await trip(ACK_F, () => { Atomics.add(HEAP32, GO_F, 1); Atomics.notify(HEAP32, GO_F); });
        if (keep) t.floor_wait.push(us);
        /* waiter: W blocked in wt_completion_wait on a completion bound to this Promise */
        await changed(REQ_W, reqSeen);
        reqSeen = Atomics.load(HEAP32, REQ_W);
        let resolve;
        let rc = wtCompletion.fromPromise(new Promise((res) => { resolve = res; }), HEAP32[C_W]);
        if (rc) throw new Error('fromPromise: ' + rc);
        await gap();
        us = await trip(ACK_W, () => resolve(r), profile && keep ? 'waiter' : null);
        if (keep) t.waiter.push(us);
        /* floor_async: L idle in its event loop, Atomics.waitAsync armed */
        await gap();
        us = await trip(ACK_LF, () => { Atomics.add(HEAP32, GO_L, 1); Atomics.notify(HEAP32, GO_L); });
        if (keep) t.floor_async.push(us);
        /* continuation: wt_completion_then for L on a completion bound to this Promise */
        const c = wtCompletion.create();
        rc = wtCompletion.fromPromise(new Promise((res) => { resolve = res; }), c);
        if (rc) throw new Error('fromPromise: ' + rc);
        rc = _bench_then_on_l(c);
        if (rc) throw new Error('wt_completion_then: ' + rc);
        wtCompletion.release(c);
        await gap();
        us = await trip(ACK_L, () => resolve(r), profile && keep ? 'continuation' : null);
        if (keep) t.continuation.push(us);
      }
      const s = {};
      for (const k of Object.keys(t)) {
        s[k] = stats(t[k]);
        out(`BENCH env=${env} case=${k} p50_us=${s[k].p50.toFixed(2)} p90_us=${s[k].p90.toFixed(2)} ` +
            `p99_us=${s[k].p99.toFixed(2)} iqm_us=${s[k].iqm.toFixed(2)} rounds=${t[k].length}`);
      }
      if (profile) {
        const names = ['to_reaction', 'settle_in_c', 'to_worker', 'answer_back'];
        for (const k of Object.keys(prof))
          out(`PROFILE env=${env} case=${k} ` + names.map((n, i) => `${n}_p50_us=${stats(prof[k][i]).p50.toFixed(2)}`).join(' '));
      }
      const errors = Atomics.load(HEAP32, ERRORS);
      const ratio = (a, b) => (a / b).toFixed(3);
      out(`SUMMARY env=${env} promise_to_waiter_us=${s.waiter.p50.toFixed(2)} floor_wait_us=${s.floor_wait.p50.toFixed(2)} ` +
          `promise_to_waiter_vs_floor=${ratio(s.waiter.p50, s.floor_wait.p50)} ` +
          `promise_to_continuation_us=${s.continuation.p50.toFixed(2)} floor_async_us=${s.floor_async.p50.toFixed(2)} ` +
          `promise_to_continuation_vs_floor=${ratio(s.continuation.p50, s.floor_async.p50)} ` +
          `waiter_vs_floor_iqm=${ratio(s.waiter.iqm, s.floor_wait.iqm)} ` +
          `continuation_vs_floor_iqm=${ratio(s.continuation.iqm, s.floor_async.iqm)} errors=${errors}`);
      if (errors) err(`FAIL: ${errors} wrong values or canceled continuations`);
      return errors ? 1 : 0;
    } catch (e) {
      err('FAIL: ' + (e.stack || e));
      return 1;
    }
  })().then((code) => {
    clearInterval(keepalive);
    try {
      _bench_finish(code);
    } catch (e) {
      if (!(e instanceof ExitStatus)) throw e; /* the exit's own unwind */
    }
  });
});

int main(int argc, char **argv) {
  int rounds = 1000, gap_us = 200, profile = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--gap-us") && i + 1 < argc) gap_us = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--profile")) profile = 1;
    else {
      fprintf(stderr, "usage: completion_bench [--rounds N] [--gap-us N] [--profile]\n");
      return 2;
    }
  }
  if (rounds < 10) rounds = 10;
  pthread_t f, w, l;
  if (pthread_create(&f, NULL, f_main, NULL) || pthread_create(&w, NULL, w_main, NULL) ||
      pthread_create(&l, NULL, l_main, NULL))
    abort();
  bench_drive(g, rounds, 3, gap_us, tstamp, profile);
  emscripten_exit_with_live_runtime();
  return 0;
}
