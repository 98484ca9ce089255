// bench/proxy: webthreads call routing against raw emscripten proxying on a custom queue, in one run.
//
// Cases (a worker "A" is the caller; the main thread idles in its event loop as the UI thread):
//   sync_ui            A -> UI thread, sync: wt_call_sync vs emscripten_proxy_sync on a custom queue, and
//                      on the system queue (emscripten_sync_run_in_main_runtime_thread's path)
//   sync_worker_idle   A -> worker B idle in its JS event loop
//   sync_worker_busy   A -> worker B busy in library code (wt: inside wt_thread_serve; raw: B polls
//                      emscripten_proxy_execute_queue in a loop, the best raw emscripten can do)
//   async_ui / async_worker  throughput of fire-and-forget calls: wt_post vs emscripten_proxy_async
//                      (time until the target ran all of them); also wt_call_async with completions
//   floors             futex ping-pong A <-> B; A <-> main with Atomics.waitAsync on main
// Raw and webthreads rounds alternate so both see the same machine state. Latency: each sample is the
// mean of a batch of 8 back-to-back calls (performance.now() is coarsened to ~5 µs in browsers); p50/p90
// over batches. Prints BENCH lines per case and one SUMMARY line with the ratios.
#include "webthreads/proxying.h"

#include <emscripten/emscripten.h>
#include <emscripten/eventloop.h>
#include <emscripten/proxying.h>
#include <emscripten/threading.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 8

static int rounds = 5, sync_calls = 4000, async_calls = 100000;
static em_proxying_queue *rawq;
static long keepalive_timer;

// ------------------------------------------------------------------ helpers

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef struct samples {
  double *v;
  int n, cap;
} samples;

static void add(samples *s, double x) {
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 1024;
    s->v = realloc(s->v, sizeof(double) * (size_t)s->cap);
  }
  s->v[s->n++] = x;
}

static double pct(samples *s, double p) {
  if (!s->n) return 0;
  qsort(s->v, (size_t)s->n, sizeof(double), cmp_double);
  int i = (int)(p * (s->n - 1));
  return s->v[i];
}

static const char *env_name(void) { return EM_ASM_INT({ return ENVIRONMENT_IS_NODE ? 1 : 0; }) ? "node" : "chromium"; }

static void report_lat(const char *name, const char *impl, samples *s) {
  printf("BENCH env=%s case=%s impl=%s p50_us=%.2f p90_us=%.2f p99_us=%.2f batches=%d\n", env_name(), name, impl,
         pct(s, 0.5), pct(s, 0.9), pct(s, 0.99), s->n);
}

// ------------------------------------------------------------------ targets

static void raw_nop(void *arg) { (void)arg; }
static int wt_nop(wt_call *c, void *arg) { (void)c; (void)arg; return 0; }

static _Atomic uint32_t async_count;
static uint32_t async_goal;
static void count_one(void) {
  if (atomic_fetch_add(&async_count, 1) + 1 == async_goal) emscripten_futex_wake((void *)&async_count, 1);
}
static void raw_count(void *arg) { (void)arg; count_one(); }
static int wt_count(wt_call *c, void *arg) { (void)c; (void)arg; count_one(); return 0; }

// Worker B: joins, then idles in its event loop (keepalive) until told otherwise.
static pthread_t b_thread;
static _Atomic uint64_t b_id;
static _Atomic int b_stop;

static void *b_main(void *arg) {
  (void)arg;
  wt_thread id;
  if (wt_thread_join(&id) != 0) abort();
  atomic_store(&b_id, id.bits);
  emscripten_futex_wake((void *)&b_id, 1);
  emscripten_runtime_keepalive_push(); // return to the event loop, stay alive
  return NULL;
}

static int until_stop(void *arg) { (void)arg; return atomic_load(&b_stop); }
static int b_serve_busy(wt_call *c, void *arg) { // runs on B: busy in library code
  (void)c; (void)arg;
  wt_thread_serve(until_stop, NULL, -1);
  return 0;
}
static int b_poll_raw(wt_call *c, void *arg) { // runs on B: raw emscripten best case, polling its queue
  (void)c; (void)arg;
  while (!atomic_load(&b_stop)) emscripten_proxy_execute_queue(rawq);
  return 0;
}

static _Atomic uint32_t fx_req, fx_resp;
static int b_futex_pong(wt_call *c, void *arg) { // runs on B: futex ping-pong floor
  (void)c; (void)arg;
  uint32_t seen = 0;
  for (;;) {
    while (atomic_load(&fx_req) == seen) emscripten_futex_wait((void *)&fx_req, seen, 1000);
    seen = atomic_load(&fx_req);
    if (atomic_load(&b_stop)) return 0;
    atomic_fetch_add(&fx_resp, 1);
    emscripten_futex_wake((void *)&fx_resp, 1);
  }
}

// Main thread responder with Atomics.waitAsync (floor of a worker <-> main round trip).
static _Atomic int32_t wa_req, wa_resp;
static int main_arm_waitasync(wt_call *c, void *arg) {
  (void)c; (void)arg;
  EM_ASM({
    var idx = $0 >> 2;
    var ridx = $1 >> 2;
    function fire() {
      var v = Atomics.load(HEAP32, idx);
      if (v == 2) return;
      Atomics.store(HEAP32, idx, 0);
      Atomics.add(HEAP32, ridx, 1);
      Atomics.notify(HEAP32, ridx);
      arm();
    }
    function arm() {
      var r = Atomics.waitAsync(HEAP32, idx, 0);
      if (r.async) r.value.then(fire); else fire();
    }
    arm();
  }, &wa_req, &wa_resp);
  return 0;
}

// ------------------------------------------------------------------ cases

typedef void (*one_call)(void *ctx);

static void lat_round(samples *s, int n, one_call f, void *ctx) {
  for (int i = 0; i < n; i += BATCH) {
    double t = emscripten_get_now();
    for (int k = 0; k < BATCH; k++) f(ctx);
    add(s, (emscripten_get_now() - t) * 1000.0 / BATCH);
  }
}

static pthread_t raw_target;
static wt_thread wt_target;
static void raw_sync_once(void *ctx) {
  (void)ctx;
  if (!emscripten_proxy_sync(rawq, raw_target, raw_nop, NULL)) abort();
}
// The system queue: what emscripten_sync_run_in_main_runtime_thread and its JS __proxy: 'sync'
// functions use (stock emscripten's own path to the main thread; the demo's stock variant).
static void raw_sys_sync_once(void *ctx) {
  (void)ctx;
  if (!emscripten_proxy_sync(emscripten_proxy_get_system_queue(), raw_target, raw_nop, NULL)) abort();
}
static void wt_sync_once(void *ctx) {
  (void)ctx;
  int r = wt_call_sync(wt_target, wt_nop, NULL, -1, NULL);
  if (r) { printf("FAIL: wt_call_sync: %s\n", wt_strerror(r)); abort(); }
}
static void futex_once(void *ctx) {
  (void)ctx;
  uint32_t r = atomic_load(&fx_resp);
  atomic_fetch_add(&fx_req, 1);
  emscripten_futex_wake((void *)&fx_req, 1);
  while (atomic_load(&fx_resp) == r) emscripten_futex_wait((void *)&fx_resp, r, 1000);
}
static void waitasync_once(void *ctx) {
  (void)ctx;
  int32_t r = atomic_load(&wa_resp);
  atomic_store(&wa_req, 1);
  emscripten_futex_wake((void *)&wa_req, 1);
  while (atomic_load(&wa_resp) == r) emscripten_futex_wait((void *)&wa_resp, (uint32_t)r, 1000);
}

// sys_p50 non-NULL: also emscripten_proxy_sync on the system queue.
static double sync_case(const char *name, pthread_t raw_t, wt_thread wt_t, double *raw_p50, double *sys_p50) {
  samples raw = {0}, wt = {0}, sys = {0};
  raw_target = raw_t;
  wt_target = wt_t;
  lat_round(&raw, 400, raw_sync_once, NULL); // warm-up
  lat_round(&wt, 400, wt_sync_once, NULL);
  if (sys_p50) lat_round(&sys, 400, raw_sys_sync_once, NULL);
  raw.n = wt.n = sys.n = 0;
  for (int r = 0; r < rounds; r++) {
    lat_round(&raw, sync_calls, raw_sync_once, NULL);
    lat_round(&wt, sync_calls, wt_sync_once, NULL);
    if (sys_p50) lat_round(&sys, sync_calls, raw_sys_sync_once, NULL);
  }
  report_lat(name, "raw", &raw);
  report_lat(name, "wt", &wt);
  if (sys_p50) report_lat(name, "raw_system_queue", &sys), *sys_p50 = pct(&sys, 0.5);
  *raw_p50 = pct(&raw, 0.5);
  double w = pct(&wt, 0.5);
  free(raw.v);
  free(wt.v);
  free(sys.v);
  return w;
}

// Async throughput: calls per second until the target ran all of them.
static double async_raw(pthread_t t) {
  atomic_store(&async_count, 0);
  async_goal = (uint32_t)async_calls;
  double t0 = emscripten_get_now();
  for (int i = 0; i < async_calls; i++)
    if (!emscripten_proxy_async(rawq, t, raw_count, NULL)) abort();
  uint32_t v;
  while ((v = atomic_load(&async_count)) != async_goal) emscripten_futex_wait((void *)&async_count, v, 100);
  return async_calls / ((emscripten_get_now() - t0) / 1000.0);
}
static double async_wt_post(wt_thread t) {
  atomic_store(&async_count, 0);
  async_goal = (uint32_t)async_calls;
  double t0 = emscripten_get_now();
  for (int i = 0; i < async_calls; i++)
    if (wt_post(t, wt_count, NULL, NULL)) abort();
  uint32_t v;
  while ((v = atomic_load(&async_count)) != async_goal) emscripten_futex_wait((void *)&async_count, v, 100);
  return async_calls / ((emscripten_get_now() - t0) / 1000.0);
}
static int completions;
static void on_done(const wt_result *r, void *arg) { (void)arg; if (r->status) abort(); completions++; }
static int all_done(void *arg) { (void)arg; return completions == async_calls; }
static double async_wt_call(wt_thread t) {
  atomic_store(&async_count, 0);
  async_goal = (uint32_t)async_calls;
  completions = 0;
  double t0 = emscripten_get_now();
  for (int i = 0; i < async_calls; i++)
    if (wt_call_async(t, wt_count, NULL, on_done, NULL)) abort();
  if (wt_thread_serve(all_done, NULL, 60000)) abort();
  return async_calls / ((emscripten_get_now() - t0) / 1000.0);
}

static void async_case(const char *name, pthread_t raw_t, wt_thread wt_t, double *raw_best, double *wt_best) {
  samples raw = {0}, post = {0}, call = {0};
  for (int r = 0; r < rounds; r++) {
    add(&raw, async_raw(raw_t));
    add(&post, async_wt_post(wt_t));
    add(&call, async_wt_call(wt_t));
  }
  *raw_best = pct(&raw, 0.5);
  *wt_best = pct(&post, 0.5);
  printf("BENCH env=%s case=%s impl=raw_proxy_async calls_per_s=%.0f\n", env_name(), name, pct(&raw, 0.5));
  printf("BENCH env=%s case=%s impl=wt_post calls_per_s=%.0f\n", env_name(), name, pct(&post, 0.5));
  printf("BENCH env=%s case=%s impl=wt_call_async_with_completions calls_per_s=%.0f\n", env_name(), name,
         pct(&call, 0.5));
  free(raw.v);
  free(post.v);
  free(call.v);
}

// ------------------------------------------------------------------ driver (worker A)

static void force_exit_on_main(void *code) {
  emscripten_clear_interval(keepalive_timer);
  emscripten_force_exit((int)(intptr_t)code);
}

static void *a_main(void *arg) {
  (void)arg;
  wt_thread ui = wt_thread_ui();
  pthread_t main_t = emscripten_main_runtime_thread_id();
  if (pthread_create(&b_thread, NULL, b_main, NULL)) abort();
  while (atomic_load(&b_id) == 0) emscripten_futex_wait((void *)&b_id, 0, 100);
  wt_thread b = {atomic_load(&b_id)};

  double raw_ui, sys_ui, raw_idle, raw_busy;
  double wt_ui = sync_case("sync_ui", main_t, ui, &raw_ui, &sys_ui);
  double wt_idle = sync_case("sync_worker_idle", b_thread, b, &raw_idle, NULL);

  // Busy: B polls (raw) / serves in the library (wt). Only one mode at a time.
  atomic_store(&b_stop, 0);
  wt_post(b, b_poll_raw, NULL, NULL);
  samples raw = {0}, wt = {0};
  raw_target = b_thread;
  lat_round(&raw, 400, raw_sync_once, NULL);
  raw.n = 0;
  for (int r = 0; r < rounds; r++) lat_round(&raw, sync_calls, raw_sync_once, NULL);
  atomic_store(&b_stop, 1);
  wt_call_sync(b, wt_nop, NULL, -1, NULL); // B left its poll loop and runs calls again
  atomic_store(&b_stop, 0);
  wt_post(b, b_serve_busy, NULL, NULL);
  wt_target = b;
  lat_round(&wt, 400, wt_sync_once, NULL);
  wt.n = 0;
  for (int r = 0; r < rounds; r++) lat_round(&wt, sync_calls, wt_sync_once, NULL);
  atomic_store(&b_stop, 1);
  wt_call_sync(b, wt_nop, NULL, -1, NULL); // wakes the serve loop, which sees the stop flag
  report_lat("sync_worker_busy", "raw_polling", &raw);
  report_lat("sync_worker_busy", "wt", &wt);
  raw_busy = pct(&raw, 0.5);
  double wt_busy = pct(&wt, 0.5);

  // Floors.
  atomic_store(&b_stop, 0);
  wt_post(b, b_futex_pong, NULL, NULL);
  samples fx = {0}, wa = {0};
  lat_round(&fx, 400, futex_once, NULL);
  fx.n = 0;
  for (int r = 0; r < rounds; r++) lat_round(&fx, sync_calls, futex_once, NULL);
  atomic_store(&b_stop, 1);
  atomic_fetch_add(&fx_req, 1);
  emscripten_futex_wake((void *)&fx_req, 1);
  report_lat("floor_futex_worker_worker", "atomics", &fx);
  wt_call_sync(ui, main_arm_waitasync, NULL, -1, NULL);
  lat_round(&wa, 400, waitasync_once, NULL);
  wa.n = 0;
  for (int r = 0; r < rounds; r++) lat_round(&wa, sync_calls, waitasync_once, NULL);
  atomic_store(&wa_req, 2);
  emscripten_futex_wake((void *)&wa_req, 1);
  report_lat("floor_waitasync_worker_main", "atomics", &wa);

  double a_raw_ui, a_wt_ui, a_raw_w, a_wt_w;
  async_case("async_ui", main_t, ui, &a_raw_ui, &a_wt_ui);
  async_case("async_worker", b_thread, b, &a_raw_w, &a_wt_w);

  printf("SUMMARY env=%s sync_ui_vs_raw=%.3f sync_worker_idle_vs_raw=%.3f sync_worker_busy_p50_us=%.2f "
         "sync_worker_busy_raw_polling_p50_us=%.2f async_vs_raw=%.3f async_worker_vs_raw=%.3f "
         "floor_futex_p50_us=%.2f floor_waitasync_p50_us=%.2f sync_ui_vs_system_queue=%.3f\n",
         env_name(), wt_ui / raw_ui, wt_idle / raw_idle, wt_busy, raw_busy, a_wt_ui / a_raw_ui, a_wt_w / a_raw_w,
         pct(&fx, 0.5), pct(&wa, 0.5), wt_ui / sys_ui);
  fflush(stdout);
  emscripten_proxy_async(rawq, main_t, force_exit_on_main, (void *)0);
  return NULL;
}

static void keep_node_alive(void *unused) { (void)unused; }

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--sync-calls") && i + 1 < argc) sync_calls = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--async-calls") && i + 1 < argc) async_calls = atoi(argv[++i]);
    else { printf("usage: wt_bench_proxy [--rounds N] [--sync-calls N] [--async-calls N]\n"); return 2; }
  }
  rawq = em_proxying_queue_create();
  pthread_t a;
  if (pthread_create(&a, NULL, a_main, NULL)) { printf("FAIL: pthread_create\n"); return 1; }
  pthread_detach(a);
  emscripten_runtime_keepalive_push();
  keepalive_timer = emscripten_set_interval(keep_node_alive, 1000, NULL);
  return 0;
}
