// Pool behaviour under node and Chromium: one program, one scenario per run (argv[1]).
//
//   burst [N]        a non-UI thread creates N (64) threads that all stay alive until every one runs,
//                    then joins them: no EAGAIN, no deadlock, stats balanced throughout.
//   churn N [W]      N create/join cycles from a non-UI thread, each of W (1) concurrent threads: the pool
//                    stays at its floor and memory after N cycles is within a tolerance of memory after
//                    N/10 cycles. W = 2 moves threads between Workers and addresses (stale-waiter release).
//   cap              (config max=8) the UI thread creates 8 blocked threads; the 9th and 10th give
//                    EAGAIN at once and their blocks are freed; after they are joined 8 more succeed.
//   retire           (config with a short idle_timeout_ms) after a burst of 16 the pool falls back to
//                    its floor; waits on the pool's publications, not on a sleep.
//   ui               (config initial/spare = none) pthread_create on the UI thread with an empty pool
//                    returns before the thread runs; the thread runs once main is back in its loop.
//   reset N          N rounds of 3 concurrent threads, N sequential ones and N detached ones: each thread
//                    finds its Worker's realm reset (wtPoolOnRealmReset hooks, pool_test_lib.js) exactly
//                    once per earlier thread there, and at least one realm is reused.
//   realm            (config initial 2, spare 1, max 2: this driver holds one Worker, so every test thread
//                    runs on the other unless it is retired) thread 1 adds globals (plain, non-enumerable,
//                    symbol-keyed, an eval'd `var`) and exits; thread 2 runs in the same realm (same realm
//                    id) and finds none of them; they were deleted at thread 1's exit (exactly 4); the thread-exit hooks ran after thread 1's TSD destructor (a key created at
//                    run time, in two passes); nothing retired, nothing dirty.
//   dirty            (same config) three rounds, each: thread 1 leaves its realm dirty and is joined; the
//                    pool must count it (dirty, retired) and terminate that Worker; thread 2 runs in
//                    another realm and does not see thread 1's global. Round 1: a non-configurable
//                    global; round 2: a thread-exit hook throws; round 3: the realm is clean at exit, then
//                    a timer of the finished thread defines a non-configurable global: the next thread
//                    runs there (the Worker was clean at its return), and its own exit marks the realm dirty.
//   configure        wt_pool_configure() from main before the first thread applies; then, from a worker
//                    while threads run (live): raising spare boots spares, lowering max below the running
//                    Workers retires only unassigned ones, refuses new Workers, and retires returning ones.
//   refuse N         (config max=2) N pthread_create calls refused at the cap leave the wasm heap in use
//                    where it was (emscripten's __pthread_create leaked each refused thread's block).
//   cap_log N        (config max=2) N refusals, with a thread joined and re-created every 10 (Workers come
//                    back between refusals): the pool logs its cap line once, plus at most a summary per
//                    ~10 s, and counts every refusal in the stats.
//   boot_fail N      (config test.fail_boot = 3: Workers 3 and up throw at load) the UI thread creates N (8)
//                    threads before any Worker has loaded: all run (those whose Worker failed move to
//                    another), nothing hangs, node survives, the failures are counted (boot_failed, in
//                    retired; created - retired == total throughout).
//   boot_fail_join   (config initial/spare none, test.fail_boot = 3) a worker holds Worker 2 with a blocked
//                    thread and creates one more, whose Workers all fail: no Worker can ever take it, so
//                    it must end as cancelled (pthread_join gives PTHREAD_CANCELED) instead of hanging.
//   stale_waiter     a thread exits and is joined; a block malloc'd at its old pthread address holds a
//                    futex word; a waiter on it must be woken by a single wake with count 1.
//   caprace R [I] [B] (config max=8) R rounds of 4 creator threads started by the UI thread, each running
//                    I (1,500) iterations of create 1-4 short threads (16 KB stacks) and join them, at
//                    the cap (EAGAIN: join what you hold, retry), beside B spinning Workers (load); a
//                    creator without progress for 10 s fails the run, naming it and its stuck proxy.
//   config           prints the settings in force (tests of the JS config object).
// The UI thread checks `created - retired == total` on every snapshot it takes (a 1 ms interval) and
// the worker scenarios check it after every step. Ends with "POOL <scenario> ok ..." or "FAIL: ...".
#define _GNU_SOURCE // pthread_tryjoin_np
#include "pool/pool_internal.h"
#include "webthreads/pool.h"

#include <emscripten/emscripten.h>
#include <emscripten/eventloop.h>
#include <emscripten/proxying.h>
#include <emscripten/stack.h>
#include <emscripten/threading.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *scenario;
static int arg_n, arg_w, arg_b;
static long keepalive_timer;
static atomic_int observations, imbalances;

// ------------------------------------------------------------------ plumbing

static void exit_on_main(int code) {
  emscripten_clear_interval(keepalive_timer);
  fflush(stdout);
  emscripten_force_exit(code);
}

// Ends the run from any thread; the exit happens on the UI thread.
static void finish(int code) {
  if (emscripten_is_main_runtime_thread()) exit_on_main(code);
  else emscripten_async_run_in_main_runtime_thread(EM_FUNC_SIG_VI, exit_on_main, code);
}

#define FAIL(...)                                                   \
  do {                                                              \
    printf("FAIL: %s: ", scenario);                                 \
    printf(__VA_ARGS__);                                            \
    printf("\n");                                                   \
    finish(1);                                                      \
    return NULL;                                                    \
  } while (0)

static struct wt_pool_stats observe(void) {
  struct wt_pool_stats s;
  wt_pool_stats(&s);
  atomic_fetch_add(&observations, 1);
  if (s.created - s.retired != (unsigned long long)s.total) {
    if (atomic_fetch_add(&imbalances, 1) == 0)
      printf("FAIL: %s: stats imbalance: created %llu - retired %llu != total %d\n", scenario, s.created, s.retired,
             s.total);
  }
  return s;
}

static void tick(void *unused) { (void)unused; observe(); }

static int floor_of(const wt_pool_config *c) { return c->initial > c->spare ? c->initial : c->spare; }

// Waits (worker thread) until pred() holds on a snapshot, up to timeout_ms; wakes on each publication.
static int wait_for(int (*pred)(const struct wt_pool_stats *, void *), void *ctx, double timeout_ms,
                    struct wt_pool_stats *out) {
  double deadline = emscripten_get_now() + timeout_ms;
  for (;;) {
    unsigned gen = wt__pool_generation();
    *out = observe();
    if (pred(out, ctx)) return 1;
    double left = deadline - emscripten_get_now();
    if (left <= 0) return 0;
    wt__pool_wait_change(gen, left);
  }
}

// Waits (worker thread) until *v >= want, up to timeout_ms; returns 0 on time-out.
static int wait_at_least(atomic_int *v, int want, double timeout_ms) {
  double deadline = emscripten_get_now() + timeout_ms;
  int x;
  while ((x = atomic_load(v)) < want && emscripten_get_now() < deadline) emscripten_futex_wait(v, x, 1000);
  return atomic_load(v) >= want;
}

// ------------------------------------------------------------------ burst

static atomic_int started, release;

// A test thread is running: counts it in `started` and wakes a wait_at_least(&started, ...).
static void announce_started(void) {
  atomic_fetch_add(&started, 1);
  emscripten_futex_wake(&started, 1);
}

static void *burst_child(void *arg) {
  announce_started();
  // Stay alive until every sibling runs: the N threads are truly concurrent. Bounded.
  wait_at_least(&release, 1, 60000);
  return arg;
}

static void *burst(void *unused) {
  (void)unused;
  int n = arg_n > 0 ? arg_n : 64;
  pthread_t *t = calloc((size_t)n, sizeof *t);
  double t0 = emscripten_get_now();
  for (int i = 0; i < n; i++) {
    int rc = pthread_create(&t[i], NULL, burst_child, (void *)(intptr_t)i);
    if (rc) FAIL("pthread_create %d of %d: %s", i + 1, n, strerror(rc));
    observe();
  }
  if (!wait_at_least(&started, n, 60000)) FAIL("only %d of %d threads ran within 60 s (deadlock?)", atomic_load(&started), n);
  double all_running_ms = emscripten_get_now() - t0;
  struct wt_pool_stats st = observe();
  atomic_store(&release, 1);
  emscripten_futex_wake(&release, INT32_MAX);
  for (int i = 0; i < n; i++) {
    void *r;
    if (pthread_join(t[i], &r) || r != (void *)(intptr_t)i) FAIL("join %d", i);
  }
  if (atomic_load(&imbalances)) FAIL("stats imbalance seen");
  printf("POOL burst ok threads=%d all_running_ms=%.1f total=%d peak=%d created=%llu boot_mean_ms=%.1f "
         "observations=%d\n", n, all_running_ms, st.total, st.peak, st.created, st.boot_mean_ms,
         atomic_load(&observations));
  free(t);
  finish(0);
  return NULL;
}

// ------------------------------------------------------------------ churn
// The driver thread runs cycles 1..n/10, then returns to its event loop (kept alive) while the UI
// thread measures memory (no Worker of the test is blocked in a wait then: a blocked Worker cannot
// answer the DevTools protocol), which then sends it on to cycles n/10+1..n, and measures again.

static struct {
  int n, width, first, floor, top, mem_kind; // mem_kind: 1 node RSS, 2 V8 heap (Chromium), see measure_on_main
  unsigned long long created0;
  double t0, mem_first, mem_last;
  size_t heap_first;
  pthread_t driver;
} ch;

static void *churn_child(void *arg) { return arg; }

static int warm(const struct wt_pool_stats *s, void *ctx) {
  (void)ctx;
  return s->loading == 0;
}

static void measure_on_main(int at);
void wtt_memory_measure(int at, void (*done)(int at, double bytes, int kind)); // test/wasm/test_memory.js

// Driver thread: cycles arg..(first or n); then hands over to the UI thread and returns to its loop.
static void *churn_cycles(void *arg) {
  int from = (int)(intptr_t)arg, to = from == 1 ? ch.first : ch.n;
  struct wt_pool_stats st;
  if (from == 1) {
    // Start from a warm pool (the start-up pre-warm finished), so growth can only come from the churn.
    if (!wait_for(warm, NULL, 60000, &st)) FAIL("the pre-warm did not finish within 60 s");
    ch.created0 = st.created;
    ch.t0 = emscripten_get_now();
  }
  for (int i = from; i <= to; i++) {
    pthread_t t[2];
    for (int j = 0; j < ch.width; j++) {
      int rc = pthread_create(&t[j], NULL, churn_child, (void *)(intptr_t)(i + j));
      if (rc) FAIL("pthread_create at cycle %d: %s", i, strerror(rc));
    }
    for (int j = 0; j < ch.width; j++) {
      void *r;
      if (pthread_join(t[j], &r) || r != (void *)(intptr_t)(i + j)) FAIL("join at cycle %d", i);
    }
    st = observe();
    if (st.total > ch.top) ch.top = st.total;
  }
  emscripten_async_run_in_main_runtime_thread(EM_FUNC_SIG_VI, measure_on_main, to);
  return NULL;
}

static void *churn(void *unused) {
  (void)unused;
  ch.n = arg_n > 0 ? arg_n : 10000;
  ch.first = ch.n / 10;
  if (ch.first < 1) FAIL("churn needs N >= 10 cycles, got %d", ch.n);
  ch.width = arg_w > 0 ? arg_w : 1;
  if (ch.width > 2) FAIL("churn: W is 1 or 2, got %d", ch.width);
  wt_pool_config cfg;
  wt_pool_get_config(&cfg);
  ch.floor = floor_of(&cfg);
  ch.driver = pthread_self();
  emscripten_runtime_keepalive_push(); // the thread lives on in its event loop after returning
  return churn_cycles((void *)(intptr_t)1);
}

static void churn_continue(void *from) { (void)churn_cycles(from); }

// UI thread: the checks, once memory after n cycles is known (< 0: see measure_on_main).
static void *churn_report(void) {
  double mem_last = ch.mem_last;
  size_t heap_last = mallinfo().uordblks;
  printf("churn: wasm heap in use %zu -> %zu bytes\n", ch.heap_first, heap_last);
  struct wt_pool_stats st = observe();
  double growth_mb = (mem_last - ch.mem_first) / 1048576.0;
  // Stock emscripten 3.1.69's mailbox code leaks ~1 KB per thread start (never-released
  // Atomics.waitAsync waiters). Measured here from cycle 1,000 to 10,000, 5 runs each, stock = the
  // pool's fix disabled (library_pool.js's _emscripten_thread_mailbox_await, which then also released
  // stale waiters from the UI thread):
  //   node, RSS: stock +4.8..5.2 MB, fixed +1.8..2.7 MB (GC noise in the Workers' heaps).
  //     Tolerance 512 B per cycle (4.4 MB).
  //   Chromium, V8 heap after a forced GC in every realm: stock +0.75 MB (~87 B per cycle: only the
  //     leak's JS objects, promises and reactions, live in the V8 heap), fixed +0.05 MB (all in the
  //     page; the Workers stay flat). Tolerance 28 B per cycle (0.24 MB): a third of the leak, ~5x the
  //     fixed build's growth.
  // With W = 2 (threads change Worker and address, so finished threads leave stale waiters that the
  // next thread on the realm must release), 2026-11-25: no release at all: node +9.8 MB, Chromium
  // +1.64 MB; fixed: node +4.1..4.5 MB, Chromium +0.06 MB. The tolerances are per thread start.
  // Since the exiting thread releases its waiter (docs/pool.md, reuse hygiene), every thread start
  // arms a fresh one (before, a realm whose next thread had the same address kept its waiter): node
  // RSS then grows +3.1..4.6 MB over cycles 1,000..10,000 (up to 530 B per cycle under load, above the
  // tolerance) but only +6.5..7.6 MB over 3,000..30,000 (240..280 B per cycle: garbage in the Workers'
  // heaps that levels off, not a leak). node runs 30,000 cycles (test/pool/CMakeLists.txt); stock's leak
  // stays linear: stock mailbox code +16.0 MB over 3,000..30,000 (fails the 13.2 MB tolerance).
  double tolerance_mb = (ch.mem_kind == 2 ? 28.0 : 512.0) * (ch.n - ch.first) * ch.width / 1048576.0;
  printf("POOL churn cycles=%d ms=%.0f floor=%d warm_total=%d max_total=%d created_during=%llu mem_first_mb=%.3f "
         "mem_last_mb=%.3f growth_mb=%.3f tolerance_mb=%.2f mem=%s parked_starts=%llu\n", ch.n,
         emscripten_get_now() - ch.t0, ch.floor, (int)(ch.created0 - st.retired), ch.top, st.created - ch.created0,
         ch.mem_first / 1048576.0, mem_last / 1048576.0, growth_mb, tolerance_mb,
         ch.mem_kind == 2 ? "v8_heap" : ch.mem_kind == 1 ? "rss" : "none", st.parked_starts);
  // The floor plus the threads this test runs (the driver and the current churn threads).
  if (st.created != ch.created0) FAIL("the pool grew under churn: %llu Workers created", st.created - ch.created0);
  if (ch.top > ch.floor + 1 + ch.width)
    FAIL("the pool over-grew under churn: %d Workers > floor %d + %d running", ch.top, ch.floor, 1 + ch.width);
  if (ch.mem_first == -2 || mem_last == -2) FAIL("the memory measurement failed (see run-wasm's message)");
  int have_mem = ch.mem_first >= 0 && mem_last >= 0;
  if (!have_mem) printf("churn: memory not measurable in this environment; only the pool size was checked\n");
  if (have_mem && growth_mb > tolerance_mb)
    FAIL("memory grew %.2f MB from cycle %d to %d (> %.2f MB)", growth_mb, ch.first, ch.n, tolerance_mb);
  if (atomic_load(&imbalances)) FAIL("stats imbalance seen");
  printf("POOL churn ok\n");
  finish(0);
  return NULL;
}

// UI thread: the next step once memory after `at` cycles is known.
static void churn_measured(void *at) {
  if ((intptr_t)at != ch.first) {
    (void)churn_report();
    return;
  }
  ch.heap_first = mallinfo().uordblks;
  if (!emscripten_proxy_async(emscripten_proxy_get_system_queue(), ch.driver, churn_continue,
                              (void *)(intptr_t)(ch.first + 1))) {
    printf("FAIL: churn: the driver thread is gone\n");
    finish(1);
  }
}

// UI thread, from wtt_memory_measure's callback; the step runs from a timer, where emscripten handles an
// exit (finish) the way it does in any callback.
static void churn_mem_done(int at, double bytes, int kind) {
  ch.mem_kind = kind;
  *(at == ch.first ? &ch.mem_first : &ch.mem_last) = bytes;
  emscripten_async_call(churn_measured, (void *)(intptr_t)at, 0);
}

// Memory of the whole program, every Worker included (test/wasm/test_memory.js says what is measured);
// UI thread only. Call it only while no thread of the program is blocked (see the churn driver).
static void measure_on_main(int at) { wtt_memory_measure(at, churn_mem_done); }

// ------------------------------------------------------------------ retire

static int at_floor(const struct wt_pool_stats *s, void *ctx) { return s->total <= *(int *)ctx && s->loading == 0; }

static void *retire(void *unused) {
  (void)unused;
  wt_pool_config cfg;
  wt_pool_get_config(&cfg);
  int floor = floor_of(&cfg), n = 16;
  pthread_t t[16];
  atomic_store(&started, 0);
  atomic_store(&release, 0);
  for (int i = 0; i < n; i++) {
    int rc = pthread_create(&t[i], NULL, burst_child, (void *)(intptr_t)i);
    if (rc) FAIL("pthread_create %d: %s", i, strerror(rc));
  }
  int s;
  while ((s = atomic_load(&started)) < n) emscripten_futex_wait(&started, s, 1000);
  struct wt_pool_stats peak = observe();
  atomic_store(&release, 1);
  emscripten_futex_wake(&release, INT32_MAX);
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
  double t0 = emscripten_get_now();
  struct wt_pool_stats st;
  double bound = 20000 + 4.0 * cfg.idle_timeout_ms;
  if (!wait_for(at_floor, &floor, bound, &st))
    FAIL("total %d did not fall to the floor %d within %.0f ms (idle_timeout_ms=%d)", st.total, floor, bound,
         cfg.idle_timeout_ms);
  double ms = emscripten_get_now() - t0;
  if (st.total < floor) FAIL("total %d fell below the floor %d", st.total, floor);
  if (st.retired == 0) FAIL("nothing was retired");
  if (atomic_load(&imbalances)) FAIL("stats imbalance seen");
  printf("POOL retire ok floor=%d peak_total=%d total=%d retired=%llu after_ms=%.0f idle_timeout_ms=%d\n", floor,
         peak.total, st.total, st.retired, ms, cfg.idle_timeout_ms);
  finish(0);
  return NULL;
}

// ------------------------------------------------------------------ cap (UI thread)

static pthread_t cap_t[8];
static int cap_phase, cap_joined;
static double cap_deadline;

static void *cap_child(void *arg) {
  wait_at_least(&release, 1, 60000);
  return arg;
}

static void cap_step(void *unused);

static int cap_create_all(int phase) {
  for (int i = 0; i < 8; i++) {
    int rc = pthread_create(&cap_t[i], NULL, cap_child, (void *)(intptr_t)(phase * 100 + i));
    if (rc) {
      printf("FAIL: cap: phase %d create %d of 8: %s\n", phase, i + 1, strerror(rc));
      return 0;
    }
  }
  return 1;
}

// UI thread: polls pthread_tryjoin_np from its event loop (it may not block) until all 8 are joined.
static void cap_step(void *unused) {
  (void)unused;
  for (int i = 0; i < 8; i++) {
    if (!cap_t[i]) continue;
    void *r;
    if (pthread_tryjoin_np(cap_t[i], &r) == 0) {
      if (r != (void *)(intptr_t)(cap_phase * 100 + i)) { printf("FAIL: cap: wrong result\n"); finish(1); return; }
      cap_t[i] = 0;
      cap_joined++;
    }
  }
  if (cap_joined < 8) {
    if (emscripten_get_now() > cap_deadline) { printf("FAIL: cap: only %d of 8 joined within 60 s\n", cap_joined); finish(1); return; }
    emscripten_set_timeout(cap_step, 2, NULL);
    return;
  }
  if (cap_phase == 0) {
    // Joined: the Workers are back. Eight more must succeed at once.
    cap_phase = 1;
    cap_joined = 0;
    atomic_store(&release, 0);
    if (!cap_create_all(1)) { finish(1); return; }
    atomic_store(&release, 1);
    emscripten_futex_wake(&release, INT32_MAX);
    cap_deadline = emscripten_get_now() + 60000;
    emscripten_set_timeout(cap_step, 2, NULL);
    return;
  }
  struct wt_pool_stats st = observe();
  if (st.total > 8 || st.peak > 8) { printf("FAIL: cap: total %d peak %d above max 8\n", st.total, st.peak); finish(1); return; }
  printf("POOL cap ok max=8 eagain_9th=1 eagain_10th=1 second_round=8 peak=%d\n", st.peak);
  finish(atomic_load(&imbalances) ? 1 : 0);
}

static size_t cap_heap0;

// UI thread: the two refused threads' blocks must be freed (the creating thread frees them at its
// next event-loop turn, once pthread_create has returned) before the 8 are released; then cap_step.
static void cap_heap_step(void *unused) {
  (void)unused;
  size_t heap = mallinfo().uordblks, tol = 32 * 1024; // below one refused block (see refuse)
  if (heap > cap_heap0 + tol) {
    if (emscripten_get_now() > cap_deadline) {
      printf("FAIL: cap: the 2 refused threads' blocks were not freed: heap in use %zu -> %zu bytes\n", cap_heap0, heap);
      finish(1);
      return;
    }
    emscripten_set_timeout(cap_heap_step, 1, NULL);
    return;
  }
  printf("cap: heap in use after the 2 refusals on the UI thread %zu -> %zu bytes\n", cap_heap0, heap);
  atomic_store(&release, 1);
  emscripten_futex_wake(&release, INT32_MAX);
  cap_deadline = emscripten_get_now() + 60000;
  emscripten_set_timeout(cap_step, 2, NULL);
}

static int cap_main(void) {
  wt_pool_config cfg;
  wt_pool_get_config(&cfg);
  if (cfg.max != 8) { printf("FAIL: cap: run with {\"pool\":{\"max\":8}} (max is %d)\n", cfg.max); return 1; }
  if (!cap_create_all(0)) return 1;
  cap_heap0 = mallinfo().uordblks;
  pthread_t t9, t10;
  double t0 = emscripten_get_now();
  int rc9 = pthread_create(&t9, NULL, cap_child, NULL);
  int rc10 = pthread_create(&t10, NULL, cap_child, NULL);
  double ms = emscripten_get_now() - t0;
  if (rc9 != EAGAIN || rc10 != EAGAIN) {
    printf("FAIL: cap: 9th/10th pthread_create gave %d/%d, expected EAGAIN (%d)\n", rc9, rc10, EAGAIN);
    return 1;
  }
  printf("cap: 9th and 10th pthread_create returned EAGAIN in %.2f ms\n", ms);
  cap_deadline = emscripten_get_now() + 10000;
  emscripten_set_timeout(cap_heap_step, 1, NULL);
  return -1; // stay in the event loop
}

// ------------------------------------------------------------------ ui

static atomic_int ui_ran;

static void *ui_child(void *unused) {
  (void)unused;
  atomic_store(&ui_ran, 1);
  struct wt_pool_stats st = observe();
  printf("POOL ui ok thread ran after main returned; total=%d created=%llu\n", st.total, st.created);
  finish(atomic_load(&imbalances) ? 1 : 0);
  return NULL;
}

static int ui_main(void) {
  struct wt_pool_stats before = observe();
  if (before.total != 0) { printf("FAIL: ui: run with initial/spare none; pool has %d Workers\n", before.total); return 1; }
  pthread_t t;
  double t0 = emscripten_get_now();
  int rc = pthread_create(&t, NULL, ui_child, NULL);
  double ms = emscripten_get_now() - t0;
  struct wt_pool_stats after = observe();
  if (rc) { printf("FAIL: ui: pthread_create: %s\n", strerror(rc)); return 1; }
  if (atomic_load(&ui_ran)) { printf("FAIL: ui: the thread ran before pthread_create returned\n"); return 1; }
  if (after.loading != 1 || after.running != 1)
    printf("FAIL: ui: expected one booting Worker assigned to the thread, stats loading=%d running=%d\n", after.loading,
           after.running);
  printf("ui: pthread_create on the UI thread with an empty pool returned in %.2f ms; Worker booting\n", ms);
  pthread_detach(t);
  return -1;
}

// ------------------------------------------------------------------ reset

int wt_test_realm_enter(int token); // pool_test_lib.js

static atomic_int reset_bad, reset_max_starts, reset_entered, reset_done;

static void *reset_child(void *arg) {
  int got = wt_test_realm_enter((int)(intptr_t)arg + 1);
  if (got < 0) atomic_compare_exchange_strong(&reset_bad, &(int){0}, got);
  for (int m = atomic_load(&reset_max_starts); got > m && !atomic_compare_exchange_weak(&reset_max_starts, &m, got);)
    ;
  atomic_fetch_add(&reset_entered, 1);
  emscripten_futex_wake(&reset_entered, INT32_MAX);
  if (arg == (void *)-1) { // detached: tell the driver it is done (it then exits and its Worker comes back)
    atomic_fetch_add(&reset_done, 1);
    emscripten_futex_wake(&reset_done, 1);
  }
  return NULL;
}

static void *reset(void *unused) {
  (void)unused;
  int n = arg_n > 0 ? arg_n : 20;
  for (int r = 0; r < n; r++) { // 3 concurrent threads: 3 Workers, reused round after round
    pthread_t t[3];
    int base = atomic_load(&reset_entered);
    for (int i = 0; i < 3; i++)
      if (pthread_create(&t[i], NULL, reset_child, (void *)(intptr_t)i)) FAIL("pthread_create in round %d", r);
    if (!wait_at_least(&reset_entered, base + 3, 10000)) FAIL("round %d: threads did not run within 10 s", r);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  }
  for (int i = 0; i < n; i++) { // sequential: one Worker reused again and again
    pthread_t t;
    if (pthread_create(&t, NULL, reset_child, (void *)(intptr_t)i)) FAIL("pthread_create (sequential %d)", i);
    pthread_join(t, NULL);
  }
  for (int i = 0; i < n; i++) { // detached: the thread's own exit hands its Worker back
    pthread_t t;
    if (pthread_create(&t, NULL, reset_child, (void *)-1)) FAIL("pthread_create (detached %d)", i);
    pthread_detach(t);
    if (!wait_at_least(&reset_done, i + 1, 10000)) FAIL("detached thread %d did not run within 10 s", i);
  }
  int bad = atomic_load(&reset_bad), max = atomic_load(&reset_max_starts);
  if (bad == -1) FAIL("a thread found the previous thread's state in its Worker's realm: no reset before reuse");
  if (bad == -2) FAIL("a realm's reset hooks ran a different number of times than the realm was reused");
  if (max < 2) FAIL("no Worker ran two threads (max %d): the test proves nothing", max);
  printf("POOL reset ok threads=%d max_threads_per_realm=%d\n", atomic_load(&reset_entered), max);
  finish(0);
  return NULL;
}

// ------------------------------------------------------------------ realm, dirty

void wt_test_realm_op(int op, atomic_int *flag); // pool_test_lib.js
void wt_test_realm_probe(int *out);              // pool_test_lib.js

struct realm_job {
  int op;
  atomic_int *flag;
  int tsd;                 // set a value of realm_key (created at run time, after the pool's key)
  int before[9], after[9]; // wt_test_realm_probe at the thread's start and after its op
  int at_dtor[2][9];       // ... in realm_key's destructor, which sets its value again once (2 passes)
  int dtor_runs;
};

static pthread_key_t realm_key;

static void realm_dtor(void *v) {
  struct realm_job *j = v;
  if (j->dtor_runs < 2) wt_test_realm_probe(j->at_dtor[j->dtor_runs]);
  if (++j->dtor_runs == 1) pthread_setspecific(realm_key, j); // a second destructor pass
}

static void *realm_thread(void *arg) {
  struct realm_job *j = arg;
  wt_test_realm_probe(j->before);
  if (j->op) wt_test_realm_op(j->op, j->flag);
  wt_test_realm_probe(j->after);
  if (j->tsd) pthread_setspecific(realm_key, j);
  return NULL;
}

// Runs one test thread to its join. Returns 0 if it could not be created or joined.
static int realm_run(struct realm_job *j) {
  pthread_t t;
  if (pthread_create(&t, NULL, realm_thread, j)) return 0;
  return pthread_join(t, NULL) == 0;
}

static int pool_settled(const struct wt_pool_stats *s, void *ctx) {
  (void)ctx;
  return s->loading == 0 && s->total == 2;
}

// The realm scenarios' start: config max 2, both Workers booted and loaded; *st: the stats then.
// Returns st, or NULL after FAIL.
static void *settle_max2(struct wt_pool_stats *st) {
  wt_pool_config cfg;
  wt_pool_get_config(&cfg);
  if (cfg.max != 2) FAIL("run with max 2 (max is %d)", cfg.max);
  if (!wait_for(pool_settled, NULL, 30000, st)) FAIL("the pool did not settle at 2 loaded Workers within 30 s");
  return st;
}

static int dirty_at_least(const struct wt_pool_stats *s, void *ctx) {
  return s->dirty >= (unsigned long long)*(int *)ctx && s->running == 1;
}

static void *realm(void *unused) {
  (void)unused;
  struct wt_pool_stats st0, st;
  if (!settle_max2(&st0)) return NULL;
  if (pthread_key_create(&realm_key, realm_dtor)) FAIL("pthread_key_create");
  struct realm_job a = {.op = 1, .tsd = 1}, b = {.op = 0};
  if (!realm_run(&a)) FAIL("thread 1");
  if (!a.after[1]) FAIL("thread 1's globals were not set");
  if (!realm_run(&b)) FAIL("thread 2");
  st = observe();
  if (b.before[0] != a.before[0])
    FAIL("thread 2 ran in another realm (ids %d, %d): the Worker was not reused (retired %llu -> %llu)", a.before[0],
         b.before[0], st0.retired, st.retired);
  if (b.before[1]) FAIL("thread 2 found thread 1's globals in the reused realm: no reset before reuse");
  int at_exit = b.before[4] - a.after[4];
  // Exactly its 4: fewer, the exit-time reset missed them; more, it deleted a global of the runtime's own
  // (one created after the snapshot).
  if (at_exit != 4) FAIL("thread 1's exit deleted %d globals, expected exactly its 4", at_exit);
  // The thread-exit hooks run after the thread's other TSD destructors, also a destructor's second pass.
  if (a.dtor_runs != 2) FAIL("thread 1's TSD destructor ran %d times, expected 2", a.dtor_runs);
  for (int p = 0; p < 2; p++)
    if (a.at_dtor[p][8] != a.after[8] || a.at_dtor[p][6] != a.after[6])
      FAIL("thread 1's thread-exit hooks ran before its TSD destructor's pass %d (a later key's)", p + 1);
  if (b.before[8] != a.after[8] + 1) FAIL("thread 1's thread-exit hook ran %d times, expected once", b.before[8] - a.after[8]);
  if (st.retired != st0.retired || st.created != st0.created || st.dirty != 0)
    FAIL("a Worker was replaced: created %llu -> %llu, retired %llu -> %llu, dirty %llu", st0.created, st.created,
         st0.retired, st.retired, st.dirty);
  if (atomic_load(&imbalances)) FAIL("stats imbalance seen");
  printf("POOL realm ok same_realm=1 deleted_at_exit=%d exit_hooks_after_tsd_dtors=1 retired=%llu dirty=%llu\n",
         at_exit, st.retired, st.dirty);
  finish(0);
  return NULL;
}

// JS Module.webthreads.pool.reset_globals = false: the sweep is off, so thread 2 on the same Worker still
// sees thread 1's globals and none was deleted (the knob works; the realm scenario is the default's test).
static void *realm_off(void *unused) {
  (void)unused;
  struct wt_pool_stats st0;
  if (!settle_max2(&st0)) return NULL;
  struct realm_job a = {.op = 1}, b = {.op = 0};
  if (!realm_run(&a)) FAIL("thread 1");
  if (!realm_run(&b)) FAIL("thread 2");
  if (b.before[0] != a.before[0]) FAIL("thread 2 ran in another realm: the Worker was not reused");
  if (!b.before[1]) FAIL("thread 2 did not find thread 1's globals with reset_globals off: the knob is ignored");
  if (b.before[4] != a.after[4]) FAIL("%d globals deleted at exit with reset_globals off", b.before[4] - a.after[4]);
  printf("POOL realm_off ok same_realm=1 globals_kept=1\n");
  finish(0);
  return NULL;
}

static atomic_int late_flag;

static void *dirty(void *unused) {
  (void)unused;
  struct wt_pool_stats st0, st;
  if (!settle_max2(&st0)) return NULL;
  static const char *what[] = {"", "a non-configurable global", "a thread-exit hook that throws",
                               "a non-configurable global from a timer after the thread's exit"};
  for (int round = 1; round <= 3; round++) {
    struct wt_pool_stats before = observe();
    struct realm_job a = {.op = round == 1 ? 2 : round == 2 ? 3 : 4, .flag = &late_flag}, b = {.op = 0};
    if (!realm_run(&a)) FAIL("round %d: thread 1", round);
    if (round == 3) {
      // Clean at exit: the Worker comes back as a spare. Its timer then dirties the realm.
      if (!wait_at_least(&late_flag, 1, 10000)) FAIL("round 3: the finished thread's timer did not run within 10 s");
      struct realm_job c = {.op = 0};
      if (!realm_run(&c)) FAIL("round 3: the thread after the timer");
      if (c.before[0] != a.before[0])
        FAIL("round 3: the next thread ran in another realm: the Worker was not reused (it was clean at exit)");
    }
    // The join has put the Worker in the return set; thread 2's create drains it first (the take), so
    // the dirty Worker is terminated before thread 2 is placed: no wait is needed for that. Without
    // the termination thread 2 would run in the dirty realm (max 2: it has no other Worker).
    if (!realm_run(&b)) FAIL("round %d: thread 2", round);
    if (b.before[0] == a.before[0])
      FAIL("round %d (%s): thread 2 ran in the dirty realm (Worker reused)", round, what[round]);
    if (b.before[2] || b.before[3] || b.before[1]) FAIL("round %d: thread 2 sees a dirty realm's global", round);
    int want = (int)before.dirty + 1;
    if (!wait_for(dirty_at_least, &want, 10000, &st))
      FAIL("round %d (%s): the pool counted dirty %llu, expected %d, within 10 s", round, what[round], st.dirty, want);
    if (st.retired < before.retired + 1) FAIL("round %d: dirty counted but nothing retired", round);
  }
  st = observe();
  if (st.dirty != 3) FAIL("dirty %llu after 3 dirty realms, expected 3", st.dirty);
  if (st.created - st0.created < 3) FAIL("only %llu Workers created for 3 terminated ones", st.created - st0.created);
  if (atomic_load(&imbalances)) FAIL("stats imbalance seen");
  printf("POOL dirty ok dirty=%llu retired=%llu created=%llu total=%d\n", st.dirty, st.retired, st.created, st.total);
  finish(0);
  return NULL;
}

// ------------------------------------------------------------------ configure (UI thread)

static void *noop(void *a) { return a; }

static int configured_live(const struct wt_pool_stats *s, void *ctx) {
  (void)ctx;
  return s->spare >= 2 && s->loading == 0;
}

static int at_most_total(const struct wt_pool_stats *s, void *ctx) { return s->total <= *(int *)ctx; }

// Worker thread, while the pool serves threads: live reconfiguration.
static void *configure_live(void *unused) {
  (void)unused;
  wt_pool_config up = {.initial = WT_POOL_NONE, .spare = 2, .max = 6, .idle_timeout_ms = WT_POOL_NONE};
  int rc = wt_pool_configure(&up);
  if (rc != WT_OK) FAIL("wt_pool_configure from a worker while threads run gave %d (%s), expected WT_OK", rc, wt_err_name(rc));
  struct wt_pool_stats st;
  if (!wait_for(configured_live, NULL, 30000, &st)) FAIL("raising spare to 2 did not boot 2 spares within 30 s (spare %d)", st.spare);
  pthread_t t[3];
  atomic_store(&started, 0);
  atomic_store(&release, 0);
  for (int i = 0; i < 3; i++)
    if (pthread_create(&t[i], NULL, burst_child, (void *)(intptr_t)i)) FAIL("pthread_create %d", i);
  if (!wait_at_least(&started, 3, 60000)) FAIL("3 threads did not run within 60 s");
  struct wt_pool_stats before = observe();
  // Lower max below the Workers running threads (this one and the 3): only unassigned ones go.
  wt_pool_config down = {.initial = WT_POOL_NONE, .spare = 1, .max = 2, .idle_timeout_ms = WT_POOL_NONE};
  rc = wt_pool_configure(&down);
  if (rc != WT_OK) FAIL("lowering max from a worker gave %d (%s)", rc, wt_err_name(rc));
  st = observe();
  if (st.running != before.running || st.running < 4)
    FAIL("lowering max changed the running Workers %d -> %d (a running Worker was terminated?)", before.running, st.running);
  if (st.total != st.running) FAIL("unassigned Workers beyond max stayed: total %d, running %d", st.total, st.running);
  pthread_t extra;
  rc = pthread_create(&extra, NULL, noop, NULL);
  if (rc != EAGAIN) FAIL("pthread_create above the lowered max gave %d, expected EAGAIN", rc);
  atomic_store(&release, 1);
  emscripten_futex_wake(&release, INT32_MAX);
  for (int i = 0; i < 3; i++) {
    void *r;
    if (pthread_join(t[i], &r) || r != (void *)(intptr_t)i) FAIL("join %d after lowering max", i);
  }
  int two = 2;
  if (!wait_for(at_most_total, &two, 30000, &st)) FAIL("total %d did not come down to the lowered max 2 within 30 s", st.total);
  if (atomic_load(&imbalances)) FAIL("stats imbalance seen");
  printf("POOL configure ok applied=1 live_raise_spare=%d running_kept=%d total_after=%d retired=%llu\n", 2, before.running,
         st.total, st.retired);
  finish(0);
  return NULL;
}

static int configure_main(void) {
  wt_pool_config bad = {.spare = 9, .max = 8};
  int rc = wt_pool_configure(&bad);
  if (rc != WT_ERANGE) { printf("FAIL: configure: bad config gave %d\n", rc); return 1; }
  wt_pool_config c = {.initial = 2, .spare = 1, .max = 6, .idle_timeout_ms = 1000}, got;
  rc = wt_pool_configure(&c);
  wt_pool_get_config(&got);
  if (rc != WT_OK || got.initial != 2 || got.spare != 1 || got.max != 6 || got.idle_timeout_ms != 1000) {
    printf("FAIL: configure: rc=%d got initial=%d spare=%d max=%d idle=%d\n", rc, got.initial, got.spare, got.max,
           got.idle_timeout_ms);
    return 1;
  }
  pthread_t t;
  if (pthread_create(&t, NULL, configure_live, NULL)) { printf("FAIL: configure: pthread_create\n"); return 1; }
  pthread_detach(t);
  return -1; // the thread finishes the run
}

// ------------------------------------------------------------------ refuse, cap_log

int wt_test_log_count(const char *needle); // pool_test_lib.js

static atomic_int hold; // hold_child threads block while it is 0

static void *hold_child(void *arg) {
  wait_at_least(&hold, 1, 60000);
  return arg;
}

static void *noop_child(void *arg) { return arg; }

// Bounded pause of a worker thread (no wake-up expected): the poll interval of bounded waits below.
static void pause_ms(double ms) {
  static uint32_t never;
  emscripten_futex_wait(&never, 0, ms);
}

static int running_at_most(const struct wt_pool_stats *s, void *ctx) { return s->running <= *(int *)ctx; }

static void *refuse(void *unused) {
  (void)unused;
  int n = arg_n > 0 ? arg_n : 1000, with_returns = !strcmp(scenario, "cap_log");
  wt_pool_config cfg;
  wt_pool_get_config(&cfg);
  if (cfg.max != 2) FAIL("run with {\"pool\":{\"initial\":2,\"spare\":1,\"max\":2}} (max is %d)", cfg.max);
  pthread_t child, t;
  atomic_store(&hold, 0);
  if (pthread_create(&child, NULL, hold_child, NULL)) FAIL("pthread_create of the holding child");
  struct wt_pool_stats st0 = observe();
  size_t heap0 = mallinfo().uordblks;
  double t0 = emscripten_get_now();
  int refused = 0;
  for (int i = 0; i < n; i++) {
    int rc = pthread_create(&t, NULL, noop_child, NULL);
    if (rc != EAGAIN) FAIL("refusal %d of %d: pthread_create gave %d, expected EAGAIN", i + 1, n, rc);
    refused++;
    if (with_returns && i % 10 == 9) { // the child's Worker comes back, then holds again
      atomic_store(&hold, 1);
      emscripten_futex_wake(&hold, INT32_MAX);
      if (pthread_join(child, NULL)) FAIL("join of the holding child");
      atomic_store(&hold, 0);
      if (pthread_create(&child, NULL, hold_child, NULL)) FAIL("re-create of the holding child after %d", i + 1);
    }
  }
  double ms = emscripten_get_now() - t0;
  struct wt_pool_stats st = observe();
  if (st.refused - st0.refused != (unsigned long long)refused)
    FAIL("stats count %llu refusals, %d were made", st.refused - st0.refused, refused);
  if (with_returns) {
    int first = wt_test_log_count("pthread_create refused with EAGAIN: all");
    int summaries = wt_test_log_count("more pthread_create refused with EAGAIN");
    printf("cap_log: %d refusals in %.0f ms: %d cap line(s), %d summary line(s)\n", refused, ms, first, summaries);
    if (first != 1) FAIL("the cap line was logged %d times for %d refusals (expected once)", first, refused);
    if (summaries > (int)(ms / 10000) + 1) FAIL("%d summary lines in %.0f ms (at most one per ~10 s)", summaries, ms);
  } else {
    // A refused block is freed on this thread at its next pthread_create (or exit, or next event-loop
    // turn): after N refusals in a row one block (the last) may still be held. Tolerance: that one
    // block (pthread struct, TLS, mailbox queue and the 1 MB stack of this build) plus 32 KB, so two
    // leaked blocks fail; one-time growth of the proxying queue stays far below it.
    const size_t tol = 32 * 1024 + ((size_t)1 << 20) + 4096;
    double deadline = emscripten_get_now() + 10000;
    size_t heap1;
    while ((heap1 = mallinfo().uordblks) > heap0 + tol && emscripten_get_now() < deadline) pause_ms(2);
    printf("refuse: %d refusals: wasm heap in use %zu -> %zu bytes (%+lld, tolerance %zu)\n", refused, heap0, heap1,
           (long long)heap1 - (long long)heap0, tol);
    if (heap1 > heap0 + tol)
      FAIL("the heap grew %zu bytes over %d refusals (%zu per refusal): refused threads' blocks leak", heap1 - heap0,
           refused, (heap1 - heap0) / (size_t)refused);
  }
  atomic_store(&hold, 1);
  emscripten_futex_wake(&hold, INT32_MAX);
  if (pthread_join(child, NULL)) FAIL("final join");
  if (atomic_load(&imbalances)) FAIL("stats imbalance seen");
  printf("POOL %s ok refusals=%d refused_stat=%llu\n", scenario, refused, st.refused);
  finish(0);
  return NULL;
}

// ------------------------------------------------------------------ stale_waiter
// The thread that exits ("dead") runs on a Worker W whose realm armed an Atomics.waitAsync mailbox
// waiter on the thread's pthread address P. After the join, P is freed and malloc hands it out again;
// a futex word there gets a real waiter (on another Worker: it was started before the dead thread, so
// W runs no new thread, which would also release the stale waiter). A single-waiter wake must wake it.

static atomic_int sw_go, sw_result;
static uint32_t *sw_word;

// Holds its Worker: announces itself (started), then blocks until `hold`.
static void *sw_waiter_hold(void *arg) {
  announce_started();
  wait_at_least(&hold, 1, 120000);
  return arg;
}

static void *sw_waiter(void *unused) {
  (void)unused;
  announce_started();
  wait_at_least(&sw_go, 1, 60000);
  int r = emscripten_futex_wait(sw_word, 0, 10000); // 0: woken; -ETIMEDOUT: the wake never came
  atomic_store(&sw_result, r == 0 ? 1 : -1);
  emscripten_futex_wake(&sw_result, 1);
  return NULL;
}

static void *stale_waiter(void *unused) {
  (void)unused;
  pthread_t waiter, dead;
  atomic_store(&started, 0);
  if (pthread_create(&waiter, NULL, sw_waiter, NULL)) FAIL("pthread_create of the waiter");
  if (!wait_at_least(&started, 1, 60000)) FAIL("the waiter did not start within 60 s");
  if (pthread_create(&dead, NULL, noop_child, (void *)7)) FAIL("pthread_create of the exiting thread");
  void *r;
  if (pthread_join(dead, &r) || r != (void *)7) FAIL("join of the exiting thread");
  void *p = (void *)dead;
  struct wt_pool_stats st;
  int two = 2; // this driver and the waiter
  if (!wait_for(running_at_most, &two, 30000, &st)) FAIL("the exited thread's Worker did not come back within 30 s");
  // Its block (pthread struct first, 64 KB stack) is freed by the UI thread when it handles the join's
  // return (a parked Worker can be counted back before that): take it back once it is free.
  uint32_t *hit = NULL;
  for (double until = emscripten_get_now() + 10000; !hit && emscripten_get_now() < until; pause_ms(1)) {
    void *blocks[64];
    int nb = 0;
    while (nb < 64) {
      void *b = malloc(64 * 1024);
      if (b == p) { hit = b; break; }
      blocks[nb++] = b;
    }
    for (int i = 0; i < nb; i++) free(blocks[i]);
  }
  if (!hit) FAIL("could not malloc a block at the exited thread's address %p within 10 s", p);
  sw_word = hit;
  atomic_store((_Atomic uint32_t *)sw_word, 0);
  atomic_store(&sw_go, 1);
  emscripten_futex_wake(&sw_go, INT32_MAX);
  // Wake one waiter, as a mutex unlock does, once there is one: the waiter may not be blocked yet
  // (wake then reports 0 woken). A stale waiter queued at this address earlier takes the wake instead.
  double deadline = emscripten_get_now() + 10000;
  int woke = 0;
  while (!(woke = emscripten_futex_wake(sw_word, 1)) && emscripten_get_now() < deadline) pause_ms(0.2);
  if (!woke) FAIL("the waiter never blocked on the word within 10 s");
  int res;
  while (!(res = atomic_load(&sw_result)) && emscripten_get_now() < deadline + 15000)
    emscripten_futex_wait(&sw_result, 0, 1000);
  if (res != 1)
    FAIL("a wake with count 1 at the exited thread's old address %p did not wake the waiter there (%s): a stale "
         "mailbox waiter took it", p, res ? "its wait timed out" : "no answer");
  pthread_join(waiter, NULL);
  free(hit);
  printf("POOL stale_waiter ok address=%p\n", p);
  finish(0);
  return NULL;
}

// ------------------------------------------------------------------ boot_fail (UI thread)
// main() creates the threads before any Worker has loaded, so each gets a booting Worker and those of
// Workers 3 and up fail: the pool must move them. The UI thread polls pthread_tryjoin_np (it may not
// block), in any order: a blocking joiner could hold the healthy Workers (docs/pool.md, known limits).

static atomic_int bf_ran;
static pthread_t bf_t[64];
static int bf_n, bf_joined;
static double bf_deadline;

static void *bf_child(void *arg) {
  atomic_fetch_add(&bf_ran, 1);
  return arg;
}

static void bf_step(void *unused) {
  (void)unused;
  for (int i = 0; i < bf_n; i++) {
    void *r;
    if (bf_t[i] && pthread_tryjoin_np(bf_t[i], &r) == 0) {
      if (r != (void *)(intptr_t)i) { printf("FAIL: boot_fail: thread %d returned %p\n", i, r); finish(1); return; }
      bf_t[i] = 0;
      bf_joined++;
    }
  }
  if (bf_joined < bf_n) {
    if (emscripten_get_now() > bf_deadline) {
      printf("FAIL: boot_fail: only %d of %d threads ran and were joined within 60 s (a thread stuck on a Worker that "
             "failed to boot?)\n", bf_joined, bf_n);
      finish(1);
      return;
    }
    emscripten_set_timeout(bf_step, 2, NULL);
    return;
  }
  struct wt_pool_stats st = observe();
  int bad = 0;
  if (atomic_load(&bf_ran) != bf_n) { printf("FAIL: boot_fail: %d threads, %d ran\n", bf_n, atomic_load(&bf_ran)); bad = 1; }
  if (st.boot_failed < (unsigned long long)(bf_n - 2)) {
    printf("FAIL: boot_fail: boot_failed is %llu, expected at least %d (Workers 3..%d)\n", st.boot_failed, bf_n - 2, bf_n);
    bad = 1;
  }
  if (st.retired < st.boot_failed) { printf("FAIL: boot_fail: retired %llu < boot_failed %llu\n", st.retired, st.boot_failed); bad = 1; }
  if (!bad)
    printf("POOL boot_fail ok threads=%d ran=%d boot_failed=%llu created=%llu retired=%llu total=%d\n", bf_n,
           atomic_load(&bf_ran), st.boot_failed, st.created, st.retired, st.total);
  finish(bad || atomic_load(&imbalances) ? 1 : 0);
}

static int boot_fail_main(void) {
  bf_n = arg_n > 0 && arg_n <= 64 ? arg_n : 8;
  struct wt_pool_stats st = observe();
  if (st.total != 0) { printf("FAIL: boot_fail: expected no Worker before main's first pthread_create\n"); return 1; }
  for (int i = 0; i < bf_n; i++) {
    int rc = pthread_create(&bf_t[i], NULL, bf_child, (void *)(intptr_t)i);
    if (rc) { printf("FAIL: boot_fail: pthread_create %d of %d: %s\n", i + 1, bf_n, strerror(rc)); return 1; }
  }
  bf_deadline = emscripten_get_now() + 60000;
  emscripten_set_timeout(bf_step, 2, NULL);
  return -1;
}

// ------------------------------------------------------------------ boot_fail_join

static void *bfj_never(void *arg) {
  atomic_fetch_add(&bf_ran, 1);
  return arg;
}

static void *boot_fail_join(void *unused) {
  (void)unused;
  pthread_t holder, orphan;
  atomic_store(&hold, 0);
  atomic_store(&started, 0);
  if (pthread_create(&holder, NULL, sw_waiter_hold, NULL)) FAIL("pthread_create of the holder");
  if (!wait_at_least(&started, 1, 60000)) FAIL("the holder did not start within 60 s");
  int rc = pthread_create(&orphan, NULL, bfj_never, (void *)5);
  if (rc) FAIL("pthread_create of the thread whose Workers fail: %s (the pool refused before any failure?)", strerror(rc));
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += 60;
  void *r = NULL;
  rc = pthread_timedjoin_np(orphan, &r, &ts);
  if (rc == ETIMEDOUT) FAIL("pthread_join of a thread no Worker can take did not return within 60 s (hang)");
  if (rc || r != PTHREAD_CANCELED) FAIL("join gave %d, result %p, expected PTHREAD_CANCELED", rc, r);
  if (atomic_load(&bf_ran)) FAIL("the cancelled thread ran");
  atomic_store(&hold, 1);
  emscripten_futex_wake(&hold, INT32_MAX);
  pthread_join(holder, NULL);
  struct wt_pool_stats st = observe();
  if (st.boot_failed < WT_POOL_BOOT_FAIL_STREAK) FAIL("boot_failed %llu < %d", st.boot_failed, WT_POOL_BOOT_FAIL_STREAK);
  if (atomic_load(&imbalances)) FAIL("stats imbalance seen");
  printf("POOL boot_fail_join ok result=PTHREAD_CANCELED boot_failed=%llu created=%llu retired=%llu total=%d\n",
         st.boot_failed, st.created, st.retired, st.total);
  finish(0);
  return NULL;
}

// ------------------------------------------------------------------ caprace (UI thread drives)
// Rounds of 4 creator threads, started by the UI thread, each running `iters` iterations of: create
// 1-4 short threads (16 KB stacks) and join them, with the pool capped at 8 Workers, so creations
// keep hitting the cap (EAGAIN). A creator that gets EAGAIN joins the threads it holds first (they
// hold Workers) and then retries (holding none: once the pool shows a free Worker, at most 2 ms
// later): with 4 creators and 8 Workers every creator always gets on. The UI
// thread watches each creator's progress counter; a creator that makes none for CR_STALL_MS (far
// beyond any create or join here: microseconds, a Worker boot at most) is stuck, e.g. on a lost
// answer to its proxied pthread_create (docs/pool.md, "pthread_create from a worker"), and the run
// ends with a FAIL line naming it, what its stack shows of emscripten's sync proxy if it waits in one,
// and whether waking every futex word of its stack frees it.

#define CR_CREATORS 4
#define CR_STALL_MS 10000.0

struct cr_creator {
  atomic_int progress; // bumped each time pthread_create or pthread_join returns
  atomic_int where;    // 0 running, 1 in pthread_create, 2 in pthread_join, 3 finished
  atomic_int iter;
  atomic_int fail;     // 0, or the errno of an unexpected pthread_create / join failure
  atomic_llong creates, eagain;
  atomic_uintptr_t self, stack_lo, stack_hi;
  int seen_progress;   // UI thread
  double seen_at;      // UI thread
};

static struct {
  int rounds, iters, round, finished, burners, stuck;
  double t0;
  pthread_t t[CR_CREATORS];
  int joined[CR_CREATORS];
  struct cr_creator c[CR_CREATORS];
} cr;

static void *caprace_child(void *arg) { return arg; }

static int caprace_room(const struct wt_pool_stats *s, void *ctx) {
  (void)ctx;
  return s->spare > 0 || s->total < 8;
}

// Fault injection hooks (test/pool/inject_proxy_race.c in wt_pool_wasm_inject; no-ops here).
__attribute__((weak)) void wt_test_inject_before_create(void) {}
__attribute__((weak)) void wt_test_inject_after_create(void) {}

// Any thread: whether p lies on the stack of one of this round's creators.
int wt_test_on_creator_stack(const void *p) {
  uintptr_t a = (uintptr_t)p;
  for (int i = 0; i < CR_CREATORS; i++)
    if (a >= atomic_load(&cr.c[i].stack_lo) && a < atomic_load(&cr.c[i].stack_hi)) return 1;
  return 0;
}

static void *caprace_creator(void *arg) {
  struct cr_creator *c = arg;
  atomic_store(&c->self, (uintptr_t)pthread_self());
  atomic_store(&c->stack_lo, (uintptr_t)emscripten_stack_get_end());
  atomic_store(&c->stack_hi, (uintptr_t)emscripten_stack_get_base());
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 16 * 1024);
  unsigned seed = 2654435761u * (unsigned)(c - cr.c + 1) + (unsigned)cr.round * 40503u;
  for (int i = 0; i < cr.iters; i++) {
    atomic_store(&c->iter, i);
    seed = seed * 1103515245u + 12345u;
    int k = 1 + (int)((seed >> 16) % 4), held = 0;
    pthread_t t[4];
    while (held < k) {
      atomic_store(&c->where, 1);
      wt_test_inject_before_create();
      int rc = pthread_create(&t[held], &attr, caprace_child, (void *)(intptr_t)(held + 1));
      wt_test_inject_after_create();
      atomic_store(&c->where, 0);
      atomic_fetch_add(&c->progress, 1);
      if (rc == 0) {
        held++;
        atomic_fetch_add(&c->creates, 1);
        continue;
      }
      if (rc != EAGAIN) { atomic_store(&c->fail, rc); return NULL; }
      atomic_fetch_add(&c->eagain, 1);
      // Holding nothing: retry once a Worker is free (a spare, or room under max), or after 2 ms.
      struct wt_pool_stats st;
      if (!held) wait_for(caprace_room, NULL, 2.0, &st);
      // At the cap: give back the Workers this creator holds, then retry the rest.
      for (int j = 0; j < held; j++) {
        void *r;
        atomic_store(&c->where, 2);
        int jr = pthread_join(t[j], &r);
        atomic_store(&c->where, 0);
        atomic_fetch_add(&c->progress, 1);
        if (jr || r != (void *)(intptr_t)(j + 1)) { atomic_store(&c->fail, jr ? jr : -1); return NULL; }
      }
      k -= held;
      held = 0;
    }
    for (int j = 0; j < held; j++) {
      void *r;
      atomic_store(&c->where, 2);
      int jr = pthread_join(t[j], &r);
      atomic_store(&c->where, 0);
      atomic_fetch_add(&c->progress, 1);
      if (jr || r != (void *)(intptr_t)(j + 1)) { atomic_store(&c->fail, jr ? jr : -1); return NULL; }
    }
  }
  pthread_attr_destroy(&attr);
  atomic_store(&c->where, 3);
  return NULL;
}

// UI thread, on a stall: what the stuck creator's stack holds of the emscripten_proxy_sync it waits in
// (emscripten 3.1.69, system/lib/pthread/proxying.c; wasm32 layouts): the proxied_js_func_t
// {funcIndex, emAsmAddr, callingThread, numArgs, argBuffer, ...} of _emscripten_run_on_main_thread_js,
// the task {func, cancel, arg = &f} and the em_proxying_ctx {func, arg = &task, kind = SYNC,
// sync.state, sync.mutex (24 bytes), sync.cond (48 bytes)}; the cond's _c_head/_c_tail are its words
// 1 and 5, _c_lock word 8 (musl). A frame of the cond wait is {prev, next, state, barrier, notify}
// with barrier 2 while the waiter sleeps.
static void caprace_dump(struct cr_creator *c) {
  uint32_t self = (uint32_t)atomic_load(&c->self);
  uint32_t *lo = (uint32_t *)atomic_load(&c->stack_lo), *hi = (uint32_t *)atomic_load(&c->stack_hi);
  for (uint32_t *f = lo; f + 8 < hi; f++) {
    if (f[1] != 0 || f[2] != self || f[3] != 8) continue; // 4 proxied args, two words each (WASM_BIGINT)
    for (uint32_t *t = lo; t + 3 < hi; t++) {
      if (t[2] != (uint32_t)(uintptr_t)f || t[1] != 0) continue;
      for (uint32_t *x = lo; x + 24 < hi; x++) {
        if (x[1] != (uint32_t)(uintptr_t)t || x[2] != 0) continue;
        uint32_t *cond = x + 10;
        printf("caprace: stuck creator's sync proxy: ctx %p state=%u (0 pending, 1 done, 2 canceled) mutex_lock=%u "
               "cond head=%#x tail=%#x lock=%u\n", (void *)x, x[3], x[5], cond[1], cond[5], cond[8]);
        for (uint32_t *w = lo; w + 5 < (uint32_t *)x; w++)
          if (w[3] == 2 && w[2] <= 2 && w[4] == 0 && w[0] == 0 && w[1] == 0 && (uintptr_t)w > (uintptr_t)lo + 64)
            printf("caprace:   cond wait node candidate %p state=%u barrier=%u (on the cond's list: %s)\n", (void *)w,
                   w[2], w[3], (cond[1] == (uint32_t)(uintptr_t)w || cond[5] == (uint32_t)(uintptr_t)w) ? "yes" : "no");
      }
    }
  }
}

static void caprace_round(void);

static void caprace_report(void) {
  long long creates = 0, eagain = 0;
  for (int i = 0; i < CR_CREATORS; i++) creates += atomic_load(&cr.c[i].creates), eagain += atomic_load(&cr.c[i].eagain);
  struct wt_pool_stats st = observe();
  if (st.peak > 8) { printf("FAIL: caprace: peak %d above max 8\n", st.peak); finish(1); return; }
  if (atomic_load(&imbalances)) { printf("FAIL: caprace: stats imbalance seen\n"); finish(1); return; }
  printf("POOL caprace ok rounds=%d creators=%d iterations=%d threads=%lld eagain=%lld peak=%d created=%llu ms=%.0f\n",
         cr.rounds, CR_CREATORS, cr.iters, creates, eagain, st.peak, st.created, emscripten_get_now() - cr.t0);
  finish(0);
}

// UI thread, 500 ms after a stalled creator's stack was woken: ends the run.
static void caprace_after_wake(void *unused) {
  (void)unused;
  struct cr_creator *c = &cr.c[cr.stuck];
  printf("caprace: waking every futex word of creator %d's stack %s\n", cr.stuck,
         atomic_load(&c->progress) != c->seen_progress ? "let it go on" : "did not free it");
  finish(1);
}

// UI thread: joins finished creators (it may not block: pthread_tryjoin_np), watches the others.
static void caprace_step(void *unused) {
  (void)unused;
  double now = emscripten_get_now();
  for (int i = 0; i < CR_CREATORS; i++) {
    struct cr_creator *c = &cr.c[i];
    if (cr.joined[i]) continue;
    int fail = atomic_load(&c->fail);
    if (fail) {
      printf("FAIL: caprace: round %d creator %d: %s at iteration %d\n", cr.round, i,
             fail < 0 ? "a joined thread returned the wrong value" : strerror(fail), atomic_load(&c->iter));
      finish(1);
      return;
    }
    if (pthread_tryjoin_np(cr.t[i], NULL) == 0) {
      cr.joined[i] = 1;
      cr.finished++;
      continue;
    }
    int p = atomic_load(&c->progress);
    if (p != c->seen_progress) {
      c->seen_progress = p;
      c->seen_at = now;
    } else if (now - c->seen_at > CR_STALL_MS) {
      int where = atomic_load(&c->where);
      printf("FAIL: caprace: round %d of %d: creator %d stuck for %.0f ms in %s at iteration %d (threads %lld, "
             "EAGAIN %lld)\n", cr.round, cr.rounds, i, now - c->seen_at,
             where == 1 ? "pthread_create" : where == 2 ? "pthread_join" : where == 3 ? "its exit" : "its loop",
             atomic_load(&c->iter), atomic_load(&c->creates), atomic_load(&c->eagain));
      if (where == 1) caprace_dump(c);
      // Whether a lost futex wake-up is all that is missing: wake every word of its stack.
      for (uint32_t *w = (uint32_t *)atomic_load(&c->stack_lo); w < (uint32_t *)atomic_load(&c->stack_hi); w++)
        emscripten_futex_wake(w, INT32_MAX);
      cr.stuck = i;
      emscripten_set_timeout(caprace_after_wake, 500, NULL);
      return;
    }
  }
  if (cr.finished < CR_CREATORS) { emscripten_set_timeout(caprace_step, 20, NULL); return; }
  if (cr.round < cr.rounds) caprace_round();
  else caprace_report();
}

static void caprace_round(void) {
  cr.round++;
  cr.finished = 0;
  double now = emscripten_get_now();
  for (int i = 0; i < CR_CREATORS; i++) {
    struct cr_creator *c = &cr.c[i];
    atomic_store(&c->where, 0);
    atomic_store(&c->iter, 0);
    c->seen_progress = atomic_load(&c->progress);
    c->seen_at = now;
    cr.joined[i] = 0;
    int rc = pthread_create(&cr.t[i], NULL, caprace_creator, c);
    if (rc) { printf("FAIL: caprace: round %d: creator %d: pthread_create: %s\n", cr.round, i, strerror(rc)); finish(1); return; }
  }
  emscripten_set_timeout(caprace_step, 20, NULL);
}

static int caprace_main(void) {
  wt_pool_config cfg;
  wt_pool_get_config(&cfg);
  if (cfg.max != 8) { printf("FAIL: caprace: run with {\"pool\":{\"max\":8,...}} (max is %d)\n", cfg.max); return 1; }
  cr.rounds = arg_n > 0 ? arg_n : 1;
  cr.iters = arg_w > 0 ? arg_w : 1500;
  cr.burners = arg_b;
  // Load: plain Workers outside the pool that spin, so the page's threads share the cores with
  // something else (the hang needs a thread to be preempted at the wrong moment).
  if (cr.burners > 0) EM_ASM({
    var src = 'for (;;) {}';
    for (var i = 0; i < $0; i++) {
      if (typeof process == 'object' && typeof require == 'function') new (require('worker_threads').Worker)(src, { eval: true }).unref();
      else new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
    }
  }, cr.burners);
  cr.t0 = emscripten_get_now();
  caprace_round();
  return -1; // stay in the event loop
}

// ------------------------------------------------------------------ main

int main(int argc, char **argv) {
  scenario = argc > 1 ? argv[1] : "";
  arg_n = argc > 2 ? atoi(argv[2]) : 0;
  arg_w = argc > 3 ? atoi(argv[3]) : 0;
  arg_b = argc > 4 ? atoi(argv[4]) : 0;
  emscripten_runtime_keepalive_push();
  keepalive_timer = emscripten_set_interval(tick, 1, NULL); // also observes stats from the UI thread
  void *(*driver)(void *) = NULL;
  int rc = -1;
  if (!strcmp(scenario, "burst")) driver = burst;
  else if (!strcmp(scenario, "churn")) {
    // node: small young generations in the Workers booted from here on, so RSS tracks retained memory
    // rather than garbage not yet collected (each isolate's new space may otherwise grow by MBs).
    EM_ASM({ if (typeof process == 'object') try { require('v8').setFlagsFromString('--max-semi-space-size=1'); } catch (e) {} });
    driver = churn;
  }
  else if (!strcmp(scenario, "retire")) driver = retire;
  else if (!strcmp(scenario, "reset")) driver = reset;
  else if (!strcmp(scenario, "realm")) driver = realm;
  else if (!strcmp(scenario, "realm_off")) driver = realm_off;
  else if (!strcmp(scenario, "dirty")) driver = dirty;
  else if (!strcmp(scenario, "refuse") || !strcmp(scenario, "cap_log")) driver = refuse;
  else if (!strcmp(scenario, "stale_waiter")) driver = stale_waiter;
  else if (!strcmp(scenario, "boot_fail")) rc = boot_fail_main();
  else if (!strcmp(scenario, "boot_fail_join")) driver = boot_fail_join;
  else if (!strcmp(scenario, "cap")) rc = cap_main();
  else if (!strcmp(scenario, "ui")) rc = ui_main();
  else if (!strcmp(scenario, "configure")) rc = configure_main();
  else if (!strcmp(scenario, "caprace")) rc = caprace_main();
  else if (!strcmp(scenario, "config")) {
    wt_pool_config c;
    wt_pool_get_config(&c);
    printf("POOL config initial=%d spare=%d max=%d idle_timeout_ms=%d\n", c.initial, c.spare, c.max, c.idle_timeout_ms);
    rc = 0;
  } else {
    printf("usage: pool_wasm burst|churn|retire|reset|realm|dirty|cap|caprace|ui|configure|config|refuse|cap_log|stale_waiter|boot_fail|boot_fail_join [N]\n");
    rc = 2;
  }
  if (driver) {
    pthread_t t;
    if (pthread_create(&t, NULL, driver, NULL)) { printf("FAIL: driver pthread_create\n"); rc = 1; }
    else pthread_detach(t);
  }
  if (rc >= 0) finish(rc);
  return 0;
}
