// The stress suite (issue "Stress suite"; docs/stress.md): new Thread/Join at scale and mixed faults,
// under node and Chromium, with a watchdog that dumps who waits on what, and invariants checked at the
// end (leaks, balanced stats, the pool back at its floor, memory stable).
//
//   stress [--scenario threads|mixed] [--cycles N] [--creators N] [--seed N] [--warmup N]
//          [--progress-ms N] [--stall-ms N] [--ui-load on|off] [--floor-ms N] [--mem-tolerance-mb N]
//          [--duration-s S]  (the run phase lasts S seconds instead of --cycles)
//   (defaults: mixed, 100,000 cycles, a tenth of them (at most 20,000) as warm-up, 8 creators, a seed
//   from the clock, progress every 2 s, stall after 20 s, UI load on, floor within idle_timeout_ms +
//   20 s, memory tolerance 64 MiB under node (RSS) and 8 MiB in Chromium (V8 heaps))
//
// Who runs what. main() runs on the UI thread (no PROXY_TO_PTHREAD) and stays a browser UI thread
// throughout: it never blocks; it drives the run as a state machine on timers, runs the watchdog
// (a progress check every --progress-ms), keeps the UI busy 50 ms of every 60 ms (--ui-load: a real
// app's load while the pool service works beside it), and measures memory when no thread is alive
// but the pool's idle Workers (run-wasm.mjs's probe must reach every Worker's V8, which a blocked
// Worker cannot answer). Each phase (warm-up, then the run) is one "driver" pthread: it starts two
// server threads (joined, serving their mailboxes), the creators, joins them, stops the servers and
// exits; the UI thread joins it (pthread_tryjoin_np from a timer).
//
// A creator runs its share of the cycles; every cycle is one action drawn from its seeded RNG:
//   plain     create a thread (its body makes a routed call to a server one time in four), join it;
//   calls     (mixed) a victim thread serves its mailbox; the creator sends it async calls and posts,
//             then one that ends it — returning, pthread_exit inside the routed call, or a JS exception
//             thrown inside the routed call (caught by the victim's own JS frame) — then more calls
//             and a sync call; every async `done` must run exactly once (status 0 or WT_ECANCELED),
//             every accepted post must run or be canceled, the sync call must get 0, WT_ECANCELED or
//             WT_ESTALE;
//   owns      (mixed) a victim registers handles and binds completions to itself, hands them over and
//             exits: every handle's free runs exactly once on the victim, every completion is canceled;
//             releases sent before and after its exit are counted (accepted or WT_EOWNER_GONE/STALE);
//   flood     (mixed) a victim registers 256 handles and blocks in wt_completion_wait while the creator
//             releases them all; the victim's wait serves the release batches: all freed, on it, before
//             the creator settles the completion;
//   detached  (mixed) a detached thread makes a routed call and ends; the driver waits for all of them.
// pthread_create's EAGAIN (a small pool max) is counted and retried when a thread was joined since.
//
// Invariants: after the run (every thread joined) the library's leak counters are back at their
// values after the warm-up (call records, live handles, live completions), the module counters
// balance with the harness's own counts (accepted releases == applied; registered == freed), the pool
// falls back to its floor within idle_timeout_ms + --floor-ms, created - retired == total in every
// snapshot the watchdog takes, and memory after the run is within --mem-tolerance-mb of memory after
// the warm-up. The watchdog: no cycle finished for --stall-ms -> it prints the library's dump
// (wt_diag_dump: threads, what each sleeps on, mailbox depths, counters) and each creator's phase,
// then FAIL with the seed, and ends the run.
//
// Output: "STRESS progress ..." lines, a summary table, "RESULT key=value ...", and "STRESS ok" (exit
// 0) or "FAIL: ... (seed S)" lines (exit 1).
#define _GNU_SOURCE // pthread_tryjoin_np
#include "webthreads/completion.h"
#include "webthreads/diag.h"
#include "webthreads/handles.h"
#include "webthreads/pool.h"
#include "webthreads/proxying.h"

#include <emscripten/emscripten.h>
#include <emscripten/eventloop.h>
#include <emscripten/threading.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ------------------------------------------------------------------ options and shared state

static struct {
  const char *scenario;
  long cycles, warmup;
  int creators;
  uint64_t seed;
  int progress_ms, stall_ms, ui_load, floor_ms, mem_tolerance_mb;
  long duration_s; /* > 0: the run phase lasts this long instead of --cycles */
} opt = {"mixed", 100000, -1, 8, 0, 2000, 20000, 1, 20000, -1, 0};
static _Atomic double run_deadline; /* --duration-s: creators start no cycle after it (0: none) */

static atomic_int failures;
#define FAIL(...)                                                                         \
  do {                                                                                    \
    printf("FAIL: " __VA_ARGS__);                                                         \
    printf(" (seed %llu; replay: --seed %llu)\n", (unsigned long long)opt.seed, (unsigned long long)opt.seed); \
    fflush(stdout);                                                                       \
    atomic_fetch_add(&failures, 1);                                                       \
  } while (0)

enum { A_PLAIN, A_CALLS, A_OWNS, A_FLOOD, A_DETACHED, A_COUNT };
static const char *const action_name[A_COUNT] = {"plain", "calls", "owns", "flood", "detached"};

static struct {
  atomic_llong cycles, eagain, actions[A_COUNT];
  atomic_llong longest_start_us, routed;
  atomic_llong async_sent, async_done, async_canceled, posts_sent, posts_ran, posts_canceled;
  atomic_llong sync_after_exit[3]; // 0, WT_ECANCELED, WT_ESTALE
  atomic_llong releases_accepted, releases_refused, handles_registered, handles_freed_on_owner;
  atomic_llong completions_bound, completions_canceled;
  atomic_llong exits_return, exits_pthread, exits_throw;
  atomic_llong detached_started, detached_done;
  atomic_int joins; // bumped (and futex-woken) by every join: an EAGAIN retry waits on it
} ct;

// What each creator is doing, for the watchdog's dump.
enum { P_IDLE, P_CREATE, P_JOIN, P_CALLS, P_WAIT_DONE, P_RELEASE, P_WAIT_VICTIM, P_DONE };
static const char *const phase_name[] = {"idle", "pthread_create", "pthread_join", "sending calls",
                                         "serving until its async calls are done", "releasing handles",
                                         "waiting for its victim", "done"};
typedef struct creator {
  pthread_t th;
  int index;
  uint64_t rng;
  long share;
  _Atomic int phase, action;
  _Atomic long cycle;
  _Atomic uint64_t peer; // the victim's id bits (or 0)
  _Atomic double since;
} creator;
static creator *creators;
static int ncreators;

static _Atomic uint64_t servers[2];
static atomic_int servers_stop;

static double now_ms(void) { return emscripten_get_now(); }

static uint64_t next_rand(uint64_t *s) { // xorshift64*
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 2685821657736338717ull;
}

static void set_phase(creator *c, int p) {
  atomic_store(&c->since, now_ms());
  atomic_store(&c->phase, p);
}

static void max_store(atomic_llong *m, long long v) {
  long long cur = atomic_load(m);
  while (v > cur && !atomic_compare_exchange_weak(m, &cur, v)) {
  }
}

// pthread_create, retried on EAGAIN once a thread was joined since (the pool at its max). Returns 0 or
// the last error other than EAGAIN.
static int create_retry(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg) {
  for (;;) {
    int seen = atomic_load(&ct.joins);
    int rc = pthread_create(t, a, fn, arg);
    if (rc != EAGAIN) return rc;
    atomic_fetch_add(&ct.eagain, 1);
    emscripten_futex_wait(&ct.joins, seen, 50); // woken by the next join; 50 ms: a Worker that retired
  }
}

static void joined_one(void) {
  atomic_fetch_add(&ct.joins, 1);
  emscripten_futex_wake(&ct.joins, INT32_MAX);
}

// ------------------------------------------------------------------ servers

static int until_stop(void *p) { return atomic_load((atomic_int *)p); }

static void *server_main(void *arg) {
  int i = (int)(intptr_t)arg;
  wt_thread me;
  if (wt_thread_join(&me)) abort();
  atomic_store(&servers[i], me.bits);
  emscripten_futex_wake((void *)&servers[i], INT32_MAX);
  int r = wt_thread_serve(until_stop, &servers_stop, -1);
  if (r) FAIL("server %d: wt_thread_serve gave %s", i, wt_err_name(r));
  wt_thread_leave();
  return NULL;
}

static int routed_fn(wt_call *call, void *arg) {
  (void)call, (void)arg;
  atomic_fetch_add(&ct.routed, 1);
  return 0;
}

static void routed_call(uint64_t *rng) {
  wt_thread s = {atomic_load(&servers[next_rand(rng) & 1])};
  int r = wt_call_sync(s, routed_fn, NULL, 60000, NULL);
  if (r) FAIL("routed call to a server: %s", wt_err_name(r));
}

// ------------------------------------------------------------------ plain and detached bodies

typedef struct body_arg {
  double t_create;
  uint64_t rng;
  int routed;
} body_arg;

static void *plain_body(void *p) {
  body_arg *b = p;
  max_store(&ct.longest_start_us, (long long)((now_ms() - b->t_create) * 1000.0));
  if (b->routed) routed_call(&b->rng);
  return p;
}

static void *detached_body(void *p) {
  body_arg *b = p;
  max_store(&ct.longest_start_us, (long long)((now_ms() - b->t_create) * 1000.0));
  routed_call(&b->rng);
  free(b);
  wt_thread_leave();
  atomic_fetch_add(&ct.detached_done, 1);
  emscripten_futex_wake((void *)&ct.detached_done, INT32_MAX);
  return NULL;
}

// ------------------------------------------------------------------ victims

enum { END_RETURN, END_PTHREAD_EXIT, END_THROW };

typedef struct victim {
  _Atomic uint64_t id;
  atomic_int stop;
  int end_how;
  pthread_t self;
  // owns / flood
  int nh;
  wt_handle h[256];
  _Atomic int freed;
  wt_completion *c[4];
  wt_completion *gate; // flood: the victim waits for it
} victim;

static void victim_free(void *value) {
  victim *v = value;
  if (!pthread_equal(pthread_self(), v->self)) FAIL("a handle's free ran off its owner");
  atomic_fetch_add(&v->freed, 1);
  emscripten_futex_wake((void *)&v->freed, INT32_MAX);
}

static void publish_id(victim *v) {
  wt_thread me;
  if (wt_thread_join(&me)) abort();
  v->self = pthread_self();
  atomic_store(&v->id, me.bits);
  emscripten_futex_wake((void *)&v->id, INT32_MAX);
}

EMSCRIPTEN_KEEPALIVE int stress_victim_serve(victim *v) { return wt_thread_serve(until_stop, &v->stop, 60000); }
int stress_serve_guarded(victim *v); // stress_lib.js: stress_victim_serve in a JS try; -1000: it threw

static void *calls_victim(void *p) {
  victim *v = p;
  publish_id(v);
  // The victim's own JS frame catches the exception thrown inside a routed call (END_THROW); anything
  // else (pthread_exit's unwind) goes on.
  int r = stress_serve_guarded(v);
  if (r == -1000) {
    if (v->end_how != END_THROW) FAIL("calls victim: an exception it did not expect");
    atomic_fetch_add(&ct.exits_throw, 1);
  } else if (r != 0) {
    FAIL("calls victim: serve gave %s", wt_err_name(r));
  } else {
    atomic_fetch_add(&ct.exits_return, 1);
  }
  wt_thread_leave();
  return NULL;
}

static int end_fn(wt_call *call, void *p) {
  (void)call;
  victim *v = p;
  switch (v->end_how) {
    case END_PTHREAD_EXIT: atomic_fetch_add(&ct.exits_pthread, 1); pthread_exit(NULL);
    case END_THROW: EM_ASM({ var e = new Error('stress: thrown inside a routed call'); e.wtStress = 1; throw e; });
    default: atomic_store(&v->stop, 1); return 0;
  }
}

typedef struct async_ctx {
  atomic_int done_runs;
} async_ctx;

static void async_done(const wt_result *res, void *p) {
  async_ctx *a = p;
  if (res->status == WT_ECANCELED) atomic_fetch_add(&ct.async_canceled, 1);
  else if (res->status != 0) FAIL("async call: done with %s", wt_err_name(res->status));
  atomic_fetch_add(&a->done_runs, 1);
  atomic_fetch_add(&ct.async_done, 1);
}

static int post_fn(wt_call *call, void *p) {
  (void)call, (void)p;
  atomic_fetch_add(&ct.posts_ran, 1);
  return 0;
}
static void post_cancel(void *p) {
  (void)p;
  atomic_fetch_add(&ct.posts_canceled, 1);
}

static int done_all(void *p) { return atomic_load(&((async_ctx *)p)[0].done_runs) == ((async_ctx *)p)[1].done_runs; }

static uint64_t wait_id(creator *c, victim *v) {
  set_phase(c, P_WAIT_VICTIM);
  uint64_t id;
  while ((id = atomic_load(&v->id)) == 0) emscripten_futex_wait((void *)&v->id, 0, 1000);
  atomic_store(&c->peer, id);
  return id;
}

static void join_victim(creator *c, pthread_t t) {
  set_phase(c, P_JOIN);
  pthread_join(t, NULL);
  joined_one();
}

static void do_calls(creator *c) {
  victim *v = calloc(1, sizeof *v);
  v->end_how = (int)(next_rand(&c->rng) % 3);
  pthread_t t;
  set_phase(c, P_CREATE);
  int rc = create_retry(&t, NULL, calls_victim, v);
  if (rc) { FAIL("calls: pthread_create: %s", strerror(rc)); free(v); return; }
  wt_thread id = {wait_id(c, v)};
  set_phase(c, P_CALLS);
  async_ctx a[2] = {0}; // [0]: runs seen; [1].done_runs: calls accepted
  int before = 1 + (int)(next_rand(&c->rng) % 3), after = (int)(next_rand(&c->rng) % 3);
  for (int k = 0; k < before + after + 1; k++) {
    if (k == before) {
      if ((rc = wt_post(id, end_fn, NULL, v)) != 0) FAIL("calls: the ending post: %s", wt_err_name(rc));
      continue;
    }
    if (wt_call_async(id, routed_fn, NULL, async_done, &a[0]) == 0) {
      a[1].done_runs++;
      atomic_fetch_add(&ct.async_sent, 1);
    }
    if (wt_post(id, post_fn, post_cancel, NULL) == 0) atomic_fetch_add(&ct.posts_sent, 1);
  }
  rc = wt_call_sync(id, routed_fn, NULL, 60000, NULL);
  if (rc == 0) atomic_fetch_add(&ct.sync_after_exit[0], 1);
  else if (rc == WT_ECANCELED) atomic_fetch_add(&ct.sync_after_exit[1], 1);
  else if (rc == WT_ESTALE) atomic_fetch_add(&ct.sync_after_exit[2], 1);
  else FAIL("calls: a sync call to an ending thread gave %s", wt_err_name(rc));
  join_victim(c, t);
  set_phase(c, P_WAIT_DONE);
  if ((rc = wt_thread_serve(done_all, a, 60000)) != 0)
    FAIL("calls: %d of %d async completions ran within 60 s (%s)", atomic_load(&a[0].done_runs), a[1].done_runs,
         wt_err_name(rc));
  if (atomic_load(&a[0].done_runs) != a[1].done_runs) FAIL("calls: a completion ran twice");
  free(v);
}

static void *owns_victim(void *p) {
  victim *v = p;
  v->self = pthread_self();
  for (int i = 0; i < v->nh; i++) {
    if (wt_handle_register(v, victim_free, &v->h[i])) FAIL("owns: register");
    wt_handle_release_local(v->h[i]); // the JS side lets go: the managed release (or the exit) frees it
  }
  atomic_fetch_add(&ct.handles_registered, v->nh);
  for (int i = 0; i < 4; i++)
    if (wt_completion_create(&v->c[i]) || wt_completion_bind(v->c[i], WT_THREAD_NONE)) FAIL("owns: completion");
  atomic_fetch_add(&ct.completions_bound, 4);
  publish_id(v); // handles and completions are ready: the creator releases while this thread exits
  return NULL;    // the exit force-disposes what is left and cancels the bound completions
}

static void *flood_victim(void *p) {
  victim *v = p;
  v->self = pthread_self();
  for (int i = 0; i < v->nh; i++) {
    if (wt_handle_register(v, victim_free, &v->h[i])) FAIL("flood: register");
    wt_handle_release_local(v->h[i]);
  }
  atomic_fetch_add(&ct.handles_registered, v->nh);
  publish_id(v); // the creator starts releasing now
  int r = wt_completion_wait(v->gate, 60000); // blocked; the wait serves the release batches
  if (r) FAIL("flood: the victim's wait gave %s", wt_err_name(r));
  if (atomic_load(&v->freed) != v->nh) FAIL("flood: %d of %d handles freed while the owner waited", atomic_load(&v->freed), v->nh);
  wt_thread_leave();
  return NULL;
}

static void release_all(victim *v, int from, int to) {
  for (int i = from; i < to; i++) {
    int r = wt_handle_release(v->h[i]);
    if (r == 0) atomic_fetch_add(&ct.releases_accepted, 1);
    else if (r == WT_EOWNER_GONE || r == WT_EHANDLE_STALE) atomic_fetch_add(&ct.releases_refused, 1);
    else FAIL("release: %s", wt_err_name(r));
  }
}

static void do_owns(creator *c) {
  victim *v = calloc(1, sizeof *v);
  v->nh = 1 + (int)(next_rand(&c->rng) % 32);
  pthread_t t;
  set_phase(c, P_CREATE);
  int rc = create_retry(&t, NULL, owns_victim, v);
  if (rc) { FAIL("owns: pthread_create: %s", strerror(rc)); free(v); return; }
  wait_id(c, v);
  set_phase(c, P_RELEASE);
  int half = v->nh / 2;
  release_all(v, 0, half); // may race the victim's exit: accepted, or refused once it has gone
  join_victim(c, t);
  release_all(v, half, v->nh); // after its exit: refused (force-disposed at the exit)
  if (atomic_load(&v->freed) != v->nh) FAIL("owns: %d of %d handles freed by the owner's exit", atomic_load(&v->freed), v->nh);
  for (int i = 0; i < 4; i++) {
    int st = wt_completion_result_get(v->c[i], NULL, NULL);
    if (st == WT_ECANCELED) atomic_fetch_add(&ct.completions_canceled, 1);
    else FAIL("owns: a completion bound to an exited thread is %s, not canceled", wt_err_name(st));
    wt_completion_release(v->c[i]);
  }
  atomic_fetch_add(&ct.handles_freed_on_owner, atomic_load(&v->freed));
  free(v);
}

static void do_flood(creator *c) {
  victim *v = calloc(1, sizeof *v);
  v->nh = 256;
  if (wt_completion_create(&v->gate)) { FAIL("flood: completion"); free(v); return; }
  pthread_t t;
  set_phase(c, P_CREATE);
  int rc = create_retry(&t, NULL, flood_victim, v);
  if (rc) { FAIL("flood: pthread_create: %s", strerror(rc)); wt_completion_release(v->gate); free(v); return; }
  wait_id(c, v);
  set_phase(c, P_RELEASE);
  release_all(v, 0, v->nh);
  // Settle the gate once the owner has applied every release (it serves them while it waits).
  double deadline = now_ms() + 60000;
  for (int f; (f = atomic_load(&v->freed)) < v->nh && now_ms() < deadline;)
    emscripten_futex_wait((void *)&v->freed, (uint32_t)f, 1000);
  if (atomic_load(&v->freed) < v->nh) FAIL("flood: %d of %d releases applied by the waiting owner within 60 s", atomic_load(&v->freed), v->nh);
  wt_value none = {0};
  wt_completion_resolve(v->gate, &none);
  join_victim(c, t);
  atomic_fetch_add(&ct.handles_freed_on_owner, atomic_load(&v->freed));
  wt_completion_release(v->gate);
  free(v);
}

// ------------------------------------------------------------------ creators and the driver

static void do_plain(creator *c) {
  body_arg b = {.rng = next_rand(&c->rng), .routed = (next_rand(&c->rng) & 3) == 0};
  pthread_t t;
  set_phase(c, P_CREATE);
  b.t_create = now_ms();
  int rc = create_retry(&t, NULL, plain_body, &b);
  if (rc) { FAIL("plain: pthread_create: %s", strerror(rc)); return; }
  set_phase(c, P_JOIN);
  void *ret;
  pthread_join(t, &ret);
  joined_one();
  if (ret != &b) FAIL("plain: wrong thread result");
}

static void do_detached(creator *c) {
  body_arg *b = malloc(sizeof *b);
  *b = (body_arg){.rng = next_rand(&c->rng)};
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  pthread_t t;
  set_phase(c, P_CREATE);
  b->t_create = now_ms();
  atomic_fetch_add(&ct.detached_started, 1);
  int rc = create_retry(&t, &a, detached_body, b);
  pthread_attr_destroy(&a);
  if (rc) {
    atomic_fetch_sub(&ct.detached_started, 1);
    FAIL("detached: pthread_create: %s", strerror(rc));
    free(b);
  }
}

static void *creator_main(void *p) {
  creator *c = p;
  int mixed = !strcmp(opt.scenario, "mixed");
  for (long i = 0; i < c->share; i++) {
    double dl = atomic_load(&run_deadline);
    if (dl > 0 && now_ms() >= dl) break;
    atomic_store(&c->cycle, i);
    int a = A_PLAIN;
    if (mixed) {
      uint64_t r = next_rand(&c->rng) % 100;
      a = r < 40 ? A_PLAIN : r < 65 ? A_CALLS : r < 80 ? A_OWNS : r < 85 ? A_FLOOD : A_DETACHED;
    }
    atomic_store(&c->action, a);
    atomic_store(&c->peer, 0);
    switch (a) {
      case A_PLAIN: do_plain(c); break;
      case A_CALLS: do_calls(c); break;
      case A_OWNS: do_owns(c); break;
      case A_FLOOD: do_flood(c); break;
      default: do_detached(c); break;
    }
    atomic_fetch_add(&ct.actions[a], 1);
    atomic_fetch_add(&ct.cycles, 1);
  }
  set_phase(c, P_DONE);
  wt_thread_leave();
  return NULL;
}

static void *driver_main(void *p) {
  long cycles = (long)(intptr_t)p; /* < 0: until --duration-s has passed */
  atomic_store(&run_deadline, cycles < 0 ? now_ms() + (double)opt.duration_s * 1000.0 : 0.0);
  if (cycles < 0) cycles = (long)ncreators * (LONG_MAX / 2 / ncreators);
  atomic_store(&servers_stop, 0);
  pthread_t srv[2];
  for (int i = 0; i < 2; i++) {
    atomic_store(&servers[i], 0);
    if (create_retry(&srv[i], NULL, server_main, (void *)(intptr_t)i)) { FAIL("server: pthread_create"); return NULL; }
    while (!atomic_load(&servers[i])) emscripten_futex_wait((void *)&servers[i], 0, 1000);
  }
  static uint64_t phase_no;
  phase_no++;
  for (int i = 0; i < ncreators; i++) {
    creator *c = &creators[i];
    c->index = i;
    c->rng = opt.seed * 0x9E3779B97F4A7C15ull + (uint64_t)i * 1000003u + phase_no * 7919u + 1;
    c->share = cycles / ncreators + (i < cycles % ncreators);
    set_phase(c, P_IDLE);
    if (create_retry(&c->th, NULL, creator_main, c)) { FAIL("creator: pthread_create"); return NULL; }
  }
  for (int i = 0; i < ncreators; i++) {
    pthread_join(creators[i].th, NULL);
    joined_one();
  }
  double deadline = now_ms() + 60000;
  long long st;
  while ((st = atomic_load(&ct.detached_done)) < atomic_load(&ct.detached_started) && now_ms() < deadline)
    emscripten_futex_wait((void *)&ct.detached_done, (uint32_t)st, 100);
  if (atomic_load(&ct.detached_done) != atomic_load(&ct.detached_started))
    FAIL("%lld of %lld detached threads finished within 60 s", atomic_load(&ct.detached_done),
         atomic_load(&ct.detached_started));
  atomic_store(&servers_stop, 1);
  for (int i = 0; i < 2; i++) {
    wt_post((wt_thread){atomic_load(&servers[i])}, routed_fn, NULL, NULL); // wakes it to see the flag
    pthread_join(srv[i], NULL);
  }
  return NULL;
}

// ------------------------------------------------------------------ the UI thread: state machine, watchdog

enum { S_WARMUP, S_WARM_FLOOR, S_WARM_MEM, S_RUN, S_FLOOR, S_MEM, S_DONE };
static int state;
static pthread_t driver;
static int driver_running;
static double t_start, t_run, t_run_end, last_progress_t, last_cycle_t;
static long long last_cycles;
static double mem[2] = {-1, -1};
static int mem_kind;
static size_t heap_in_use[2];
static wt_proxying_stats ps0;
static wt_handles_stats hs0;
static wt_completion_stats cs0;
static struct wt_pool_stats pool_peak_seen;
static int pool_floor;
static double floor_deadline;
static long loop_timer;

static void finish(void) {
  emscripten_clear_interval(loop_timer);
  EM_ASM({ if (globalThis.stressLoad) clearInterval(globalThis.stressLoad); }); // node: nothing keeps it alive
  fflush(stdout);
  emscripten_force_exit(atomic_load(&failures) ? 1 : 0);
}

static void dump_and_fail(const char *why) {
  static char buf[32768];
  wt_diag_dump(buf, sizeof buf);
  printf("STRESS watchdog: %s\n%s", why, buf);
  printf("  creators (scenario %s):\n", opt.scenario);
  for (int i = 0; i < ncreators; i++) {
    creator *c = &creators[i];
    printf("    creator %d cycle %ld/%ld action %s: %s for %.0f ms%s", i, atomic_load(&c->cycle), c->share,
           action_name[atomic_load(&c->action)], phase_name[atomic_load(&c->phase)], now_ms() - atomic_load(&c->since),
           atomic_load(&c->peer) ? "" : "\n");
    if (atomic_load(&c->peer)) printf(" (victim 0x%016llx)\n", (unsigned long long)atomic_load(&c->peer));
  }
  // The UI thread's view of each joined thread's Worker: gone Workers would explain a sleeper that
  // never wakes.
  wt_diag_thread th[128];
  int nt = wt_diag_threads(th, 128);
  for (int i = 0; i < nt && i < 128; i++) {
    if (th[i].os_thread <= 1 || th[i].is_ui) continue;
    EM_ASM({
      var w = PThread.pthreads[$0];
      out(`  thread os=0x${($0 >>> 0).toString(16)}: ` +
          (w ? `Worker ${w.workerID ?? '?'} assigned=${PThread.pthreads[$0] === w}` : 'no Worker (PThread.pthreads has none)'));
    }, th[i].os_thread);
  }
  FAIL("%s", why);
  finish();
}

static void start_driver(long cycles) {
  if (create_retry(&driver, NULL, driver_main, (void *)(intptr_t)cycles)) {
    FAIL("driver: pthread_create");
    finish();
  }
  driver_running = 1;
}

static void stress_measured(int at, double bytes, int kind) {
  mem[at] = bytes;
  mem_kind = kind;
}

// Memory of the whole program, every Worker included (test/wasm/test_memory.js: node's RSS after a GC
// of the UI thread's heap; Chromium's V8 heaps of the page and every Worker after a forced GC).
// Asynchronous: stress_measured(at, bytes, kind) from the event loop.
void wtt_memory_measure(int at, void (*done)(int at, double bytes, int kind));
static void measure(int at) {
  mem[at] = -3; // pending
  wtt_memory_measure(at, stress_measured);
}

static int snapshot_balanced(struct wt_pool_stats *s) {
  wt_pool_stats(s);
  if ((long long)s->created - (long long)s->retired != s->total) {
    FAIL("pool stats unbalanced: created %llu - retired %llu != total %d", s->created, s->retired, s->total);
    return 0;
  }
  if (s->peak > pool_peak_seen.peak) pool_peak_seen = *s;
  return 1;
}

static void tick(void *unused) {
  (void)unused;
  double t = now_ms();
  struct wt_pool_stats ps;
  snapshot_balanced(&ps);
  long long cyc = atomic_load(&ct.cycles);
  if (cyc != last_cycles) {
    last_cycles = cyc;
    last_cycle_t = t;
  }
  if (t - last_progress_t >= opt.progress_ms) {
    double el = (t - (t_run ? t_run : t_start)) / 1000.0;
    printf("STRESS progress t=%.1fs phase=%s cycles=%lld rate=%.0f/s eagain=%lld workers=%d spare=%d peak=%d\n",
           (t - t_start) / 1000.0, state <= S_WARM_MEM ? "warmup" : "run", cyc,
           el > 0 ? (double)(cyc - (t_run ? opt.warmup : 0)) / el : 0.0, atomic_load(&ct.eagain), ps.total, ps.spare,
           ps.peak);
    fflush(stdout);
    last_progress_t = t;
  }
  if (driver_running && t - last_cycle_t > opt.stall_ms) {
    char why[160];
    snprintf(why, sizeof why, "stalled: no cycle finished for %d ms (%lld done)", opt.stall_ms, cyc);
    dump_and_fail(why);
    return;
  }
  if (driver_running) {
    if (pthread_tryjoin_np(driver, NULL) != 0) return;
    driver_running = 0;
    if (atomic_load(&failures)) { finish(); return; }
    wt_pool_config cfg;
    wt_pool_get_config(&cfg);
    pool_floor = cfg.initial > cfg.spare ? cfg.initial : cfg.spare;
    floor_deadline = t + (cfg.idle_timeout_ms > 0 ? cfg.idle_timeout_ms : 0) + opt.floor_ms;
    state = state == S_WARMUP ? S_WARM_FLOOR : S_FLOOR;
    if (state == S_FLOOR) t_run_end = t;
  }
  if (state == S_WARM_FLOOR || state == S_FLOOR) {
    wt_pool_config cfg;
    wt_pool_get_config(&cfg);
    int at_floor = ps.total <= pool_floor && ps.loading == 0;
    if (cfg.idle_timeout_ms < 0) at_floor = ps.loading == 0; // never retires: nothing to wait for
    if (!at_floor) {
      if (t > floor_deadline) {
        char why[200];
        snprintf(why, sizeof why, "the pool did not fall back to its floor %d (total %d, loading %d) within idle_timeout_ms %d + %d ms",
                 pool_floor, ps.total, ps.loading, cfg.idle_timeout_ms, opt.floor_ms);
        dump_and_fail(why);
      }
      return;
    }
    int at = state == S_WARM_FLOOR ? 0 : 1;
    heap_in_use[at] = mallinfo().uordblks;
    if (at == 0) {
      wt_proxying_stats_get(&ps0);
      wt_handles_stats_get(&hs0);
      wt_completion_stats_get(&cs0);
    }
    measure(at);
    state = at == 0 ? S_WARM_MEM : S_MEM;
    return;
  }
  if (state == S_WARM_MEM || state == S_MEM) {
    int at = state == S_WARM_MEM ? 0 : 1;
    if (mem[at] == -3) return;
    if (at == 0) {
      state = S_RUN;
      t_run = now_ms();
      last_cycle_t = t_run;
      start_driver(opt.duration_s > 0 ? -1 : opt.cycles);
      return;
    }
    state = S_DONE;
    // -------- invariants and the summary
    wt_proxying_stats p1;
    wt_handles_stats h1;
    wt_completion_stats c1;
    wt_proxying_stats_get(&p1);
    wt_handles_stats_get(&h1);
    wt_completion_stats_get(&c1);
    if (p1.records_in_use != ps0.records_in_use)
      FAIL("call records leaked: %llu in use after the run, %llu after the warm-up", (unsigned long long)p1.records_in_use,
           (unsigned long long)ps0.records_in_use);
    if (h1.live != hs0.live) FAIL("handles leaked: %llu live after the run, %llu after the warm-up", (unsigned long long)h1.live, (unsigned long long)hs0.live);
    if (c1.live != cs0.live) FAIL("completions leaked: %llu live after the run, %llu after the warm-up", (unsigned long long)c1.live, (unsigned long long)cs0.live);
    if (h1.registered != h1.freed + h1.force_disposed + h1.live)
      FAIL("handles: registered %llu != freed %llu + force-disposed %llu + live %llu", (unsigned long long)h1.registered,
           (unsigned long long)h1.freed, (unsigned long long)h1.force_disposed, (unsigned long long)h1.live);
    if (h1.applied != (uint64_t)atomic_load(&ct.releases_accepted))
      FAIL("releases: %lld accepted, %llu applied", atomic_load(&ct.releases_accepted), (unsigned long long)h1.applied);
    if (atomic_load(&ct.handles_freed_on_owner) != atomic_load(&ct.handles_registered))
      FAIL("handles: %lld registered, %lld freed on their owner", atomic_load(&ct.handles_registered), atomic_load(&ct.handles_freed_on_owner));
    if (atomic_load(&ct.async_done) != atomic_load(&ct.async_sent))
      FAIL("async calls: %lld accepted, %lld completions ran", atomic_load(&ct.async_sent), atomic_load(&ct.async_done));
    if (atomic_load(&ct.posts_ran) + atomic_load(&ct.posts_canceled) != atomic_load(&ct.posts_sent))
      FAIL("posts: %lld accepted != %lld ran + %lld canceled", atomic_load(&ct.posts_sent), atomic_load(&ct.posts_ran), atomic_load(&ct.posts_canceled));
    if (atomic_load(&ct.completions_canceled) != atomic_load(&ct.completions_bound))
      FAIL("completions: %lld bound to exiting threads, %lld canceled", atomic_load(&ct.completions_bound), atomic_load(&ct.completions_canceled));
    // Tolerances (docs/stress.md): node's RSS holds the Worker isolates' heaps and malloc arenas,
    // which V8 and the allocator keep once grown (+10 MiB after 3,000 cycles, +21 MiB after 100,000:
    // it levels off); Chromium's figure is the V8 heaps in use after a forced GC (+0.1 MiB).
    if (opt.mem_tolerance_mb < 0) opt.mem_tolerance_mb = mem_kind == 2 ? 8 : 64;
    double tol = (double)opt.mem_tolerance_mb * 1048576.0;
    if (mem[0] >= 0 && mem[1] >= 0 && mem[1] - mem[0] > tol)
      FAIL("memory grew by %.1f MiB over the run (%.1f -> %.1f MiB; tolerance %d MiB)", (mem[1] - mem[0]) / 1048576.0,
           mem[0] / 1048576.0, mem[1] / 1048576.0, opt.mem_tolerance_mb);
    long heap_delta = (long)heap_in_use[1] - (long)heap_in_use[0];
    // The wasm heap in use may grow a little after the warm-up: each registry slot keeps its handle
    // table (a 4 KiB directory and 16 KiB chunks, allocated on first use, kept for the process: the
    // lock-free release path may still read it) for its next thread, and a run at a higher peak of
    // threads touches more slots (at most WT_PROXYING_MAX_THREADS). A leak per cycle would be far more.
    if (heap_delta > 2 << 20) FAIL("the wasm heap in use grew by %ld bytes over the run (tolerance 2 MiB)", heap_delta);
    double secs = (t_run_end - t_run) / 1000.0;
    long long cyc_run = atomic_load(&ct.cycles) - opt.warmup;
    const char *envname = mem_kind == 1 ? "node" : mem_kind == 2 ? "chromium" : "unknown";
    printf("STRESS summary (scenario %s, %s, seed %llu)\n", opt.scenario, envname, (unsigned long long)opt.seed);
    printf("  %-28s %lld in %.1f s (%.0f/s), %d creators, %ld warm-up\n", "cycles", cyc_run, secs, cyc_run / secs, ncreators, opt.warmup);
    printf("  %-28s", "actions");
    for (int a = 0; a < A_COUNT; a++) printf(" %s=%lld", action_name[a], atomic_load(&ct.actions[a]));
    printf("\n  %-28s %lld\n", "EAGAIN (retried)", atomic_load(&ct.eagain));
    printf("  %-28s %d (pool max %d)\n", "peak Workers", pool_peak_seen.peak, ({ wt_pool_config cc; wt_pool_get_config(&cc); cc.max; }));
    printf("  %-28s %.2f ms\n", "longest thread start", atomic_load(&ct.longest_start_us) / 1000.0);
    printf("  %-28s %lld\n", "routed calls run", atomic_load(&ct.routed));
    printf("  %-28s sent=%lld done=%lld canceled=%lld\n", "async calls", atomic_load(&ct.async_sent), atomic_load(&ct.async_done), atomic_load(&ct.async_canceled));
    printf("  %-28s sent=%lld ran=%lld canceled=%lld\n", "posts", atomic_load(&ct.posts_sent), atomic_load(&ct.posts_ran), atomic_load(&ct.posts_canceled));
    printf("  %-28s ok=%lld canceled=%lld stale=%lld\n", "sync calls to ending threads", atomic_load(&ct.sync_after_exit[0]), atomic_load(&ct.sync_after_exit[1]), atomic_load(&ct.sync_after_exit[2]));
    printf("  %-28s return=%lld pthread_exit=%lld js_throw=%lld\n", "victim ends", atomic_load(&ct.exits_return), atomic_load(&ct.exits_pthread), atomic_load(&ct.exits_throw));
    printf("  %-28s registered=%lld accepted=%lld refused=%lld applied=%llu force_disposed=%llu\n", "handles", atomic_load(&ct.handles_registered), atomic_load(&ct.releases_accepted), atomic_load(&ct.releases_refused), (unsigned long long)h1.applied, (unsigned long long)h1.force_disposed);
    printf("  %-28s bound=%lld canceled=%lld live=%llu\n", "completions", atomic_load(&ct.completions_bound), atomic_load(&ct.completions_canceled), (unsigned long long)c1.live);
    printf("  %-28s %lld\n", "detached threads", atomic_load(&ct.detached_done));
    printf("  %-28s %.1f -> %.1f MiB (%s; tolerance %d MiB)\n", "memory after warm-up -> end", mem[0] / 1048576.0, mem[1] / 1048576.0, mem_kind == 1 ? "node RSS" : "V8 heaps of page + Workers", opt.mem_tolerance_mb);
    printf("  %-28s %zu -> %zu bytes\n", "wasm heap in use", heap_in_use[0], heap_in_use[1]);
    printf("  %-28s %llu\n", "call records in use at end", (unsigned long long)p1.records_in_use);
    printf("RESULT scenario=%s env=%s cycles=%lld cycles_per_s=%.0f eagain=%lld peak_workers=%d longest_start_ms=%.2f "
           "mem_before_mb=%.1f mem_after_mb=%.1f seed=%llu failures=%d\n",
           opt.scenario, envname, cyc_run, cyc_run / secs, atomic_load(&ct.eagain), pool_peak_seen.peak,
           atomic_load(&ct.longest_start_us) / 1000.0, mem[0] / 1048576.0, mem[1] / 1048576.0,
           (unsigned long long)opt.seed, atomic_load(&failures));
    if (!atomic_load(&failures)) printf("STRESS ok\n");
    finish();
  }
}

static void parse(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NUM(name, field)                                       \
  if (!strcmp(k, name) && v) {                                 \
    char *end;                                                 \
    long long x = strtoll(v, &end, 10);                        \
    if (*end || x < 0) { printf("FAIL: bad value for %s: %s\n", name, v); exit(2); } \
    opt.field = x;                                             \
    i++;                                                       \
    continue;                                                  \
  }
    NUM("--cycles", cycles)
    NUM("--warmup", warmup)
    NUM("--creators", creators)
    NUM("--seed", seed)
    NUM("--progress-ms", progress_ms)
    NUM("--stall-ms", stall_ms)
    NUM("--floor-ms", floor_ms)
    NUM("--mem-tolerance-mb", mem_tolerance_mb)
    NUM("--duration-s", duration_s)
#undef NUM
    if (!strcmp(k, "--scenario") && v && (!strcmp(v, "threads") || !strcmp(v, "mixed"))) { opt.scenario = argv[++i]; continue; }
    if (!strcmp(k, "--ui-load") && v && (!strcmp(v, "on") || !strcmp(v, "off"))) { opt.ui_load = !strcmp(argv[++i], "on"); continue; }
    printf("FAIL: unknown option %s (see test/stress/stress.c)\n", k);
    exit(2);
  }
  if (opt.creators < 1) opt.creators = 1;
  if (opt.warmup < 0) opt.warmup = opt.cycles / 10 > 20000 ? 20000 : opt.cycles / 10;
  if (opt.warmup < opt.creators) opt.warmup = opt.creators;
  if (!opt.seed) opt.seed = (uint64_t)emscripten_get_now() ^ ((uint64_t)(uintptr_t)&opt << 16);
}

int main(int argc, char **argv) {
  parse(argc, argv);
  ncreators = opt.creators;
  creators = calloc((size_t)ncreators, sizeof *creators);
  wt_pool_config cfg;
  wt_pool_get_config(&cfg);
  printf("STRESS start scenario=%s cycles=%ld warmup=%ld creators=%d seed=%llu ui_load=%s pool initial=%d spare=%d "
         "max=%d idle_timeout_ms=%d\n",
         opt.scenario, opt.cycles, opt.warmup, ncreators, (unsigned long long)opt.seed, opt.ui_load ? "50/60ms" : "off",
         cfg.initial, cfg.spare, cfg.max, cfg.idle_timeout_ms);
  fflush(stdout);
  if (opt.ui_load)
    EM_ASM({ globalThis.stressLoad = setInterval(() => { var end = performance.now() + 50; while (performance.now() < end) {} }, 60); });
  t_start = last_progress_t = last_cycle_t = now_ms();
  state = S_WARMUP;
  start_driver(opt.warmup);
  loop_timer = emscripten_set_interval(tick, 10, NULL);
  emscripten_exit_with_live_runtime();
  return 0;
}
