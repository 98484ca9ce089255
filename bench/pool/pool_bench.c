// bench/pool: the webthreads Worker pool against emscripten's fixed pool, one scenario per page load.
//
// The same program is built twice over: linked with webthreads (variant "wt", PTHREAD_POOL_SIZE=0, the
// pool configured from Module.webthreads / WEBTHREADS_CONFIG) and as stock emscripten with
// PTHREAD_POOL_SIZE = 0, 4 and 64 (variants "em0", "em4", "em64"). bench/pool/run.mjs loads each
// (scenario, variant) in a fresh page or process, alternating variants, and computes the ratios.
//
//   startup          time from navigation (node: process start) to main(); then the time until the
//                    pool's pre-warm has loaded (wt: `initial` Workers; emscripten loads its pool
//                    before main, so that is main itself)
//   burst N          a worker creates N threads at once once the start-up pool is loaded; time until
//                    all N run (they stay alive until then), then join; Workers alive 2 s later
//   spare R          R rounds: wait until 2 loaded spares are ready, create 2 threads, time from each
//                    pthread_create call to its thread running, join
//   churn K          K timed create+join cycles from a worker (after 50 untimed ones)
//   floor N          (UI thread) boot N Workers of this program in parallel, nothing else: the raw floor
//   boot N           (UI thread) boot N Workers one after the other: per-Worker boot latency
// Worker counts come from emscripten's own lists (PThread.unusedWorkers/pthreads) in every
// variant, so both pools are counted the same way. Prints one "BENCH ..." line, or "FAIL: ...".
#ifdef WT_BENCH_WEBTHREADS
#include "webthreads/pool.h"
#endif

#include <emscripten/emscripten.h>
#include <emscripten/eventloop.h>
#include <emscripten/threading.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BENCH_VARIANT
#error "build with -DBENCH_VARIANT=\"name\""
#endif
#ifndef BENCH_POOL_SIZE
#define BENCH_POOL_SIZE 0
#endif
#define SPARE_BURST 2 // threads per spare-burst round: webthreads' default `spare`
#define WAIT_MS 60000 // a wait longer than this is a hang: FAIL

// bench/pool/bench_pool_lib.js
double bench_page_now(void);
void bench_workers(int out[3]);
void bench_boot(int n, int serial);

static const char *scenario;
static int arg_n;
static long keepalive_timer;
static double main_ms;

// ------------------------------------------------------------------ plumbing

static const char *env_name(void) { return EM_ASM_INT({ return ENVIRONMENT_IS_NODE ? 1 : 0; }) ? "node" : "chromium"; }

static void exit_on_main(int code) {
  emscripten_clear_interval(keepalive_timer);
  fflush(stdout);
  emscripten_force_exit(code);
}

static void finish(int code) {
  if (emscripten_is_main_runtime_thread()) exit_on_main(code);
  else emscripten_async_run_in_main_runtime_thread(EM_FUNC_SIG_VI, exit_on_main, code);
}

#define FAIL(...)                                \
  do {                                           \
    printf("FAIL: %s %s: ", BENCH_VARIANT, scenario); \
    printf(__VA_ARGS__);                         \
    printf("\n");                                \
    finish(1);                                   \
    return NULL;                                 \
  } while (0)

#define BENCH_PRINT(fmt, ...) \
  printf("BENCH env=%s variant=%s scenario=%s " fmt "\n", env_name(), BENCH_VARIANT, scenario, __VA_ARGS__)

typedef struct workers {
  int alive, spare, loading; // spare: loaded and not assigned a thread
} workers;

static workers count_workers(void) {
  int v[3];
  bench_workers(v);
  return (workers){v[0], v[1], v[2]};
}

// Polls (1 ms) until nothing is booting and at least `spare` loaded Workers are unassigned. Workers only.
static int wait_warm(int spare, workers *out) {
  double deadline = emscripten_get_now() + WAIT_MS;
  for (;;) {
    *out = count_workers();
    if (out->loading == 0 && out->spare >= spare) return 1;
    if (emscripten_get_now() > deadline) return 0;
    emscripten_thread_sleep(1);
  }
}

// Workers the pool keeps when nothing runs: webthreads max(initial, spare); emscripten its fixed size.
static int pool_floor(void) {
#ifdef WT_BENCH_WEBTHREADS
  wt_pool_config c;
  wt_pool_get_config(&c);
  return c.initial > c.spare ? c.initial : c.spare;
#else
  return BENCH_POOL_SIZE;
#endif
}

// The loaded spares the start-up pool leaves once the bench's driver thread runs.
static int startup_spares(void) { return pool_floor() > 1 ? pool_floor() - 1 : 0; }

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p) {
  if (n <= 0) return 0;
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return v[(int)(p * (n - 1) + 0.5)];
}

// ------------------------------------------------------------------ burst

static _Atomic int started, release;
static double *start_at;

static void *burst_child(void *arg) {
  start_at[(intptr_t)arg] = emscripten_get_now();
  atomic_fetch_add(&started, 1);
  emscripten_futex_wake(&started, 1);
  double deadline = emscripten_get_now() + WAIT_MS;
  while (!atomic_load(&release) && emscripten_get_now() < deadline) emscripten_futex_wait(&release, 0, 1000);
  return arg;
}

// Creates n threads that stay alive until all run; returns the time from the first pthread_create to
// the last thread starting, or -1. `created_at` (n entries) receives each create call's time.
static double run_burst(int n, pthread_t *t, double *created_at) {
  atomic_store(&started, 0);
  atomic_store(&release, 0);
  double t0 = emscripten_get_now();
  for (int i = 0; i < n; i++) {
    created_at[i] = emscripten_get_now();
    int rc = pthread_create(&t[i], NULL, burst_child, (void *)(intptr_t)i);
    if (rc) {
      printf("FAIL: %s %s: pthread_create %d of %d: %s\n", BENCH_VARIANT, scenario, i + 1, n, strerror(rc));
      return -1;
    }
  }
  double deadline = emscripten_get_now() + WAIT_MS;
  int s;
  while ((s = atomic_load(&started)) < n && emscripten_get_now() < deadline) emscripten_futex_wait(&started, s, 1000);
  if (atomic_load(&started) < n) {
    printf("FAIL: %s %s: only %d of %d threads ran within %d s\n", BENCH_VARIANT, scenario, s, n, WAIT_MS / 1000);
    return -1;
  }
  double last = t0;
  for (int i = 0; i < n; i++)
    if (start_at[i] > last) last = start_at[i];
  atomic_store(&release, 1);
  emscripten_futex_wake(&release, INT32_MAX);
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
  return last - t0;
}

static void *burst(void *unused) {
  (void)unused;
  int n = arg_n > 0 ? arg_n : 64;
  pthread_t *t = calloc((size_t)n, sizeof *t);
  double *created_at = calloc((size_t)n, sizeof *created_at);
  start_at = calloc((size_t)n, sizeof *start_at);
  workers w;
  if (!wait_warm(startup_spares(), &w)) FAIL("the start-up pool did not load within %d s", WAIT_MS / 1000);
  double ms = run_burst(n, t, created_at);
  if (ms < 0) { finish(1); return NULL; }
  workers after = count_workers();
  emscripten_thread_sleep(2000);
  workers later = count_workers();
  BENCH_PRINT("threads=%d spare_at_start=%d missing=%d burst_ms=%.1f alive_after=%d alive_2s=%d floor=%d", n, w.spare,
              n > w.spare ? n - w.spare : 0, ms, after.alive, later.alive, pool_floor());
  finish(0);
  return NULL;
}

// ------------------------------------------------------------------ spare burst

static void *spare(void *unused) {
  (void)unused;
  int rounds = arg_n > 0 ? arg_n : 20, n = 0;
  double *lat = calloc((size_t)rounds * SPARE_BURST, sizeof *lat), *round_max = calloc((size_t)rounds, sizeof *round_max);
  start_at = calloc(SPARE_BURST, sizeof *start_at);
  for (int r = 0; r < rounds; r++) {
    pthread_t t[SPARE_BURST];
    double created_at[SPARE_BURST];
    workers w;
    if (!wait_warm(SPARE_BURST, &w)) FAIL("round %d: %d loaded spares not ready within %d s", r, SPARE_BURST, WAIT_MS / 1000);
    if (run_burst(SPARE_BURST, t, created_at) < 0) { finish(1); return NULL; }
    for (int i = 0; i < SPARE_BURST; i++) {
      double ms = lat[n++] = start_at[i] - created_at[i];
      if (ms > round_max[r]) round_max[r] = ms;
    }
  }
  double first = round_max[0];
  BENCH_PRINT("rounds=%d threads=%d round_max_p50_ms=%.3f start_p50_ms=%.3f start_p90_ms=%.3f start_max_ms=%.3f "
              "first_round_max_ms=%.3f", rounds, n, pct(round_max, rounds, 0.5), pct(lat, n, 0.5), pct(lat, n, 0.9),
              pct(lat, n, 1), first);
  finish(0);
  return NULL;
}

// ------------------------------------------------------------------ churn

static void *churn_child(void *arg) { return arg; }

static void *churn(void *unused) {
  (void)unused;
  int k = arg_n > 0 ? arg_n : 2000;
  double *us = calloc((size_t)k, sizeof *us), *create_us = calloc((size_t)k, sizeof *create_us), sum = 0;
  workers w;
  if (!wait_warm(startup_spares(), &w)) FAIL("the start-up pool did not load within %d s", WAIT_MS / 1000);
  for (int i = -50; i < k; i++) {
    pthread_t t;
    double t0 = emscripten_get_now();
    int rc = pthread_create(&t, NULL, churn_child, NULL);
    double t1 = emscripten_get_now();
    if (rc) FAIL("pthread_create at cycle %d: %s", i, strerror(rc));
    pthread_join(t, NULL);
    if (i < 0) continue;
    sum += us[i] = (emscripten_get_now() - t0) * 1000;
    create_us[i] = (t1 - t0) * 1000;
  }
  workers after = count_workers();
  double mean = sum / k;
  BENCH_PRINT("cycles=%d p50_us=%.1f p90_us=%.1f p99_us=%.1f mean_us=%.1f create_p50_us=%.1f alive_before=%d "
              "alive_after=%d", k, pct(us, k, 0.5), pct(us, k, 0.9), pct(us, k, 0.99), mean, pct(create_us, k, 0.5),
              w.alive, after.alive);
  finish(0);
  return NULL;
}

// ------------------------------------------------------------------ UI-thread scenarios

// startup: polls the pool from the UI thread until its pre-warm has loaded.
static int prewarm_target;
static long startup_timer;
static void startup_poll(void *unused) {
  (void)unused;
  workers w = count_workers();
  if (w.spare < prewarm_target || w.loading) return;
  emscripten_clear_interval(startup_timer);
  BENCH_PRINT("main_ms=%.1f ready_ms=%.1f prewarmed=%d", main_ms, bench_page_now(), w.spare);
  finish(0);
}

// Called by bench_boot() on the UI thread when the Workers have loaded.
EMSCRIPTEN_KEEPALIVE void bench_boot_done(int n, double total_ms, double median_ms, double max_ms) {
  if (!strcmp(scenario, "floor"))
    BENCH_PRINT("workers=%d floor_ms=%.1f", n, total_ms);
  else
    BENCH_PRINT("workers=%d boot_median_ms=%.1f boot_max_ms=%.1f total_ms=%.1f", n, median_ms, max_ms, total_ms);
  finish(0);
}

static void keep_node_alive(void *unused) { (void)unused; }

int main(int argc, char **argv) {
  main_ms = bench_page_now();
  scenario = argc > 1 ? argv[1] : "";
  arg_n = argc > 2 ? atoi(argv[2]) : 0;
  emscripten_runtime_keepalive_push();
  keepalive_timer = emscripten_set_interval(keep_node_alive, 1000, NULL);
  void *(*driver)(void *) = NULL;
  if (!strcmp(scenario, "startup")) {
#ifdef WT_BENCH_WEBTHREADS
    wt_pool_config c;
    wt_pool_get_config(&c);
    prewarm_target = c.initial;
#else
    prewarm_target = BENCH_POOL_SIZE;
#endif
    startup_timer = emscripten_set_interval(startup_poll, 1, NULL);
  } else if (!strcmp(scenario, "burst")) driver = burst;
  else if (!strcmp(scenario, "spare")) driver = spare;
  else if (!strcmp(scenario, "churn")) driver = churn;
  else if (!strcmp(scenario, "floor") || !strcmp(scenario, "boot")) {
    workers w = count_workers();
    if (w.alive) {
      printf("FAIL: %s %s: %d Workers exist already (configure the pool empty)\n", BENCH_VARIANT, scenario, w.alive);
      finish(1);
      return 0;
    }
    bench_boot(arg_n > 0 ? arg_n : 8, !strcmp(scenario, "boot"));
  } else {
    printf("usage: %s startup | burst [N] | spare [R] | churn [K] | floor [N] | boot [N]\n", BENCH_VARIANT);
    finish(2);
    return 0;
  }
  if (driver) {
    pthread_t t;
    if (pthread_create(&t, NULL, driver, NULL)) { printf("FAIL: driver pthread_create\n"); finish(1); }
    else pthread_detach(t);
  }
  return 0;
}
