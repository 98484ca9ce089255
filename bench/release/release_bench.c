// bench/release: wt_handle_release (per-thread handle tables, releases batched to the owner) against
// the .NET way — one message per release to the owner — measured in the same run.
//
// Built twice from this one file: for wasm (bench.cmake, target wt_bench_release; run under node and
// headless Chromium) and for the host (bench/release/run: cc against build/host-bench/libwebthreads.a).
//
// Threads. A driver D (host: main; wasm: a worker, the main thread idles as the UI thread), an owner O
// and 4 producers P0..P3, all created once. O owns the objects. Host: O serves in wt_thread_serve (the
// host backend's event loop). wasm: O idles in its JS event loop (keepalive), so webthreads' batch task,
// wt_post's calls and raw emscripten_proxy_async tasks all reach it the same way (one wake-up message).
//
// One rep of a case with k producers (k = 1 or 4):
//   - release:   D has O register N handles (wt_handle_register, then wt_handle_release_local: only the
//                managed side holds them); the producers, each a contiguous range of N/k, time their
//                own wt_handle_release loop; the entry's free function runs on O;
//   - wt_post:   each producer does one wt_post(O, fn, NULL, &obj[i]) per release; fn runs on O;
//   - raw_proxy: (wasm) one emscripten_proxy_async(q, O, fn, &obj[i]) per release on a custom
//                em_proxying_queue (as bench/proxy); fn runs on O.
// The function run on O is the same for all three ("free": marks the object freed and counts; the
// count reaching N stamps the end time). Per-producer throughput = its releases / its own loop's time;
// end to end = N / (time from D's start signal to O's last free). Per case: median over reps (a rep's
// per-producer figure is the mean of its producers). Allocations: malloc, calloc, realloc, memalign,
// posix_memalign, aligned_alloc are interposed in this binary (host: forwarded to glibc's __libc_*;
// wasm: to emscripten's dlmalloc via emscripten_builtin_* / __libc_realloc), counted per thread; a producer
// counts its own over its loop. Reported for the first rep of a case (cold) and the others (warm).
// Prints BENCH lines per case and one SUMMARY line.
#include "webthreads/handles.h"
#include "webthreads/proxying.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <time.h>

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#include <emscripten/eventloop.h>
#include <emscripten/heap.h>
#include <emscripten/proxying.h>
#include <emscripten/threading.h>
#endif

#define MAXP 4

static int reps = 9, n_total = 250000;
static _Atomic long mailbox_full_retries; // wt_post refused (WT_EMAILBOX_FULL) and retried

// ------------------------------------------------------------------ allocation counter

static _Thread_local long tl_allocs;

#if defined(__EMSCRIPTEN__)
extern void *__libc_realloc(void *, size_t); // dlmalloc.c: alias of dlrealloc
void *malloc(size_t n) { tl_allocs++; return emscripten_builtin_malloc(n); }
void *calloc(size_t a, size_t b) { tl_allocs++; return emscripten_builtin_calloc(a, b); }
void *realloc(void *p, size_t n) { tl_allocs++; return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { tl_allocs++; return emscripten_builtin_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { tl_allocs++; return emscripten_builtin_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
  tl_allocs++;
  void *p = emscripten_builtin_memalign(a, n);
  if (!p) return 12;
  *out = p;
  return 0;
}
#elif defined(__GLIBC__)
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
void *malloc(size_t n) { tl_allocs++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { tl_allocs++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { tl_allocs++; return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { tl_allocs++; return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { tl_allocs++; return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
  tl_allocs++;
  void *p = __libc_memalign(a, n);
  if (!p) return 12;
  *out = p;
  return 0;
}
#else
#error "release_bench: allocation counting needs glibc or emscripten"
#endif

// ------------------------------------------------------------------ helpers

static double now_ms(void) {
#ifdef __EMSCRIPTEN__
  return emscripten_get_now();
#else
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
#endif
}

static const char *env_name(void) {
#ifdef __EMSCRIPTEN__
  return EM_ASM_INT({ return ENVIRONMENT_IS_NODE ? 1 : 0; }) ? "node" : "chromium";
#else
  return "host";
#endif
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}
static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n ? v[n / 2] : 0;
}

static void die(const char *what, int r) {
  printf("FAIL: %s: %d (%s)\n", what, r, r < 0 ? wt_strerror(r) : "");
  fflush(stdout);
  abort();
}

// ------------------------------------------------------------------ the objects and their "free"

typedef struct obj {
  _Atomic int freed;
  char pad[60];
} obj;

static obj *objs;
static wt_handle *handles;
static _Atomic uint32_t freed_count;
static uint32_t free_goal;
static double t_end; // O's clock when the last object was freed

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void free_obj(void *p) { // on O
  obj *o = p;
  if (atomic_exchange_explicit(&o->freed, 1, memory_order_relaxed)) die("object freed twice", 0);
  if (atomic_fetch_add_explicit(&freed_count, 1, memory_order_relaxed) + 1 == free_goal) {
    double t = now_ms();
    pthread_mutex_lock(&mu);
    t_end = t;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
  }
}
static int post_free(wt_call *c, void *arg) { (void)c; free_obj(arg); return 0; }

// ------------------------------------------------------------------ owner O

static pthread_t o_thread;
static wt_thread o_id;
static _Atomic int o_ready;

static int setup_register(wt_call *c, void *arg) { // on O: N fresh handles held by the managed side only
  (void)c; (void)arg;
  for (int i = 0; i < n_total; i++) {
    atomic_store_explicit(&objs[i].freed, 0, memory_order_relaxed);
    int r = wt_handle_register(&objs[i], free_obj, &handles[i]);
    if (r) die("wt_handle_register", r);
    if ((r = wt_handle_release_local(handles[i]))) die("wt_handle_release_local", r);
  }
  return 0;
}
static int setup_plain(wt_call *c, void *arg) {
  (void)c; (void)arg;
  for (int i = 0; i < n_total; i++) atomic_store_explicit(&objs[i].freed, 0, memory_order_relaxed);
  return 0;
}

static int nop(wt_call *c, void *arg) { (void)c; (void)arg; return 0; }

// C_BUSY: O is kept busy outside the library (blocked in this call) until every producer is done, so
// nothing is applied while they release; then it returns to its loop and applies them in one batch.
static int owner_hold, owner_held;
static int block_owner(wt_call *c, void *arg) {
  (void)c; (void)arg;
  pthread_mutex_lock(&mu);
  owner_held = 1;
  pthread_cond_broadcast(&cv);
  while (owner_hold) pthread_cond_wait(&cv, &mu);
  owner_held = 0;
  pthread_mutex_unlock(&mu);
  return 0;
}

#ifndef __EMSCRIPTEN__
static _Atomic int o_stop;
static int until_stop(void *arg) { (void)arg; return atomic_load(&o_stop); }
#endif

static void *o_main(void *arg) {
  (void)arg;
  if (wt_thread_join(&o_id)) die("owner join", 0);
  pthread_mutex_lock(&mu);
  o_ready = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
#ifdef __EMSCRIPTEN__
  emscripten_runtime_keepalive_push(); // idle in the JS event loop, stay alive
#else
  int r = wt_thread_serve(until_stop, NULL, -1); // the host backend's event loop
  if (r) die("wt_thread_serve", r);
  wt_thread_leave();
#endif
  return NULL;
}

// ------------------------------------------------------------------ producers

enum { C_RELEASE, C_POST, C_RAW, C_BUSY };
static const char *case_names[] = {"release", "wt_post", "raw_proxy_async", "release_owner_busy"};

#ifdef __EMSCRIPTEN__
static em_proxying_queue *rawq;
#endif

static int cur_case, cur_k;
static unsigned go_gen, done_n;
static double p_ms[MAXP];
static long p_allocs[MAXP];

static void *p_main(void *arg) {
  int id = (int)(intptr_t)arg;
  if (wt_thread_join(NULL)) die("producer join", 0); // like a runtime thread: wt_post uses its record cache
  unsigned seen = 0;
  for (;;) {
    pthread_mutex_lock(&mu);
    while (go_gen == seen) pthread_cond_wait(&cv, &mu);
    seen = go_gen;
    int kase = cur_case, k = cur_k;
    pthread_mutex_unlock(&mu);
    if (kase < 0) return NULL;
    if (id >= k) continue;
    int per = n_total / k, lo = id * per, hi = id == k - 1 ? n_total : lo + per;
    long a0 = tl_allocs;
    double t0 = now_ms();
    if (kase == C_RELEASE || kase == C_BUSY) {
      for (int i = lo; i < hi; i++) {
        int r = wt_handle_release(handles[i]);
        if (r) die("wt_handle_release", r);
      }
    } else if (kase == C_POST) {
      for (int i = lo; i < hi; i++) {
        int r;
        while ((r = wt_post(o_id, post_free, NULL, &objs[i])) == WT_EMAILBOX_FULL) { // backpressure
          atomic_fetch_add_explicit(&mailbox_full_retries, 1, memory_order_relaxed);
          sched_yield();
        }
        if (r) die("wt_post", r);
      }
    } else {
#ifdef __EMSCRIPTEN__
      for (int i = lo; i < hi; i++)
        if (!emscripten_proxy_async(rawq, o_thread, free_obj, &objs[i])) die("emscripten_proxy_async", 0);
#endif
    }
    double t1 = now_ms();
    long a1 = tl_allocs;
    pthread_mutex_lock(&mu);
    p_ms[id] = t1 - t0;
    p_allocs[id] = a1 - a0;
    done_n++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
  }
}

// ------------------------------------------------------------------ driver

typedef struct result {
  double per_producer_mps, e2e_mps, allocs_cold, allocs_warm, releases_per_batch;
  double pp_min, pp_max, e2e_min, e2e_max;
} result;

static result run_case(int kase, int k) {
  double pp[64], e2e[64];
  long warm_allocs = 0, warm_n = 0;
  double cold = 0;
  uint64_t batches = 0, applied = 0;
  int total = reps + 1; // rep 0 is the cold one: timed apart, not in the medians
  for (int rep = 0; rep < total; rep++) {
    int r = wt_call_sync(o_id, kase == C_RELEASE || kase == C_BUSY ? setup_register : setup_plain, NULL, -1, NULL);
    if (r) die("setup on owner", r);
    if (kase == C_BUSY) {
      pthread_mutex_lock(&mu);
      owner_hold = 1;
      pthread_mutex_unlock(&mu);
      if ((r = wt_post(o_id, block_owner, NULL, NULL))) die("wt_post block_owner", r);
      pthread_mutex_lock(&mu);
      while (!owner_held) pthread_cond_wait(&cv, &mu);
      pthread_mutex_unlock(&mu);
    }
    wt_handles_stats s0, s1;
    wt_handles_stats_get(&s0);
    pthread_mutex_lock(&mu);
    atomic_store(&freed_count, 0);
    free_goal = (uint32_t)n_total;
    t_end = 0;
    done_n = 0;
    cur_case = kase;
    cur_k = k;
    double t_go = now_ms();
    go_gen++;
    pthread_cond_broadcast(&cv);
    while (done_n < (unsigned)k || t_end == 0) {
      if (done_n == (unsigned)k && owner_hold) {
        owner_hold = 0;
        pthread_cond_broadcast(&cv);
      }
      pthread_cond_wait(&cv, &mu);
    }
    double te = t_end;
    pthread_mutex_unlock(&mu);
    // The batch adds to `applied` after its pass (after the last free): let O finish that task first.
    if ((r = wt_call_sync(o_id, nop, NULL, -1, NULL))) die("nop on owner", r);
    wt_handles_stats_get(&s1);
    double sum = 0;
    long allocs = 0;
    for (int i = 0; i < k; i++) {
      int per = n_total / k, cnt = i == k - 1 ? n_total - per * (k - 1) : per;
      sum += cnt / p_ms[i] / 1e3; // M/s
      allocs += p_allocs[i];
    }
    if ((kase == C_RELEASE || kase == C_BUSY) && s1.applied - s0.applied != (uint64_t)n_total) die("applied delta != N", 0);
    if (rep == 0) {
      cold = (double)allocs / n_total;
      continue;
    }
    pp[rep - 1] = sum / k;
    e2e[rep - 1] = n_total / (te - t_go) / 1e3;
    warm_allocs += allocs;
    warm_n += n_total;
    batches += s1.batches - s0.batches;
    applied += s1.applied - s0.applied;
  }
  result res = {0};
  res.per_producer_mps = median(pp, reps);
  res.pp_min = pp[0];
  res.pp_max = pp[reps - 1];
  res.e2e_mps = median(e2e, reps);
  res.e2e_min = e2e[0];
  res.e2e_max = e2e[reps - 1];
  res.allocs_cold = cold;
  res.allocs_warm = (double)warm_allocs / (double)warm_n;
  res.releases_per_batch = batches ? (double)applied / (double)batches : 0;
  printf("BENCH env=%s case=%s producers=%d n=%d reps=%d per_producer_mps=%.2f (min %.2f max %.2f) "
         "e2e_mps=%.2f (min %.2f max %.2f) allocs_per_release_cold=%.6f allocs_per_release_warm=%.6f",
         env_name(), case_names[kase], k, n_total, reps, res.per_producer_mps, res.pp_min, res.pp_max, res.e2e_mps,
         res.e2e_min, res.e2e_max, res.allocs_cold, res.allocs_warm);
  if (kase == C_RELEASE || kase == C_BUSY) printf(" releases_per_batch=%.0f", res.releases_per_batch);
  if (kase == C_POST) printf(" mailbox_full_retries=%ld", atomic_exchange(&mailbox_full_retries, 0));
  printf("\n");
  fflush(stdout);
  return res;
}

static void stop_producers(void) {
  pthread_mutex_lock(&mu);
  cur_case = -1;
  go_gen++;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

static void *driver(void *arg) {
  (void)arg;
  objs = calloc((size_t)n_total, sizeof *objs);
  handles = calloc((size_t)n_total, sizeof *handles);
  if (!objs || !handles) die("out of memory", 0);
  if (pthread_create(&o_thread, NULL, o_main, NULL)) die("pthread_create owner", 0);
  pthread_mutex_lock(&mu);
  while (!o_ready) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  pthread_t p[MAXP];
  for (int i = 0; i < MAXP; i++)
    if (pthread_create(&p[i], NULL, p_main, (void *)(intptr_t)i)) die("pthread_create producer", 0);

  int ncases = 2;
#ifdef __EMSCRIPTEN__
  ncases = 3;
#endif
  result r[4][2];
  int ks[2] = {1, 4};
  for (int ki = 0; ki < 2; ki++) {
    for (int c = 0; c < ncases; c++) r[c][ki] = run_case(c, ks[ki]);
    r[C_BUSY][ki] = run_case(C_BUSY, ks[ki]);
  }

  // The per-release post to compare with: the faster of wt_post and (wasm) raw emscripten_proxy_async.
  int best1 = C_POST, best4 = C_POST;
  if (ncases == 3 && r[C_RAW][0].per_producer_mps > r[C_POST][0].per_producer_mps) best1 = C_RAW;
  if (ncases == 3 && r[C_RAW][1].per_producer_mps > r[C_POST][1].per_producer_mps) best4 = C_RAW;
  double post_cold = r[C_POST][0].allocs_cold, post_warm = r[C_POST][0].allocs_warm;
  double rel_allocs = 0;
  for (int ki = 0; ki < 2; ki++) {
    if (r[C_RELEASE][ki].allocs_cold > rel_allocs) rel_allocs = r[C_RELEASE][ki].allocs_cold;
    if (r[C_RELEASE][ki].allocs_warm > rel_allocs) rel_allocs = r[C_RELEASE][ki].allocs_warm;
    if (r[C_BUSY][ki].allocs_cold > rel_allocs) rel_allocs = r[C_BUSY][ki].allocs_cold;
    if (r[C_BUSY][ki].allocs_warm > rel_allocs) rel_allocs = r[C_BUSY][ki].allocs_warm;
  }
  printf("SUMMARY env=%s release_1p_mps=%.2f release_4p_mps=%.2f release_e2e_1p_mps=%.2f release_e2e_4p_mps=%.2f "
         "post_1p_mps=%.2f post_4p_mps=%.2f post_e2e_1p_mps=%.2f post_e2e_4p_mps=%.2f",
         env_name(), r[C_RELEASE][0].per_producer_mps, r[C_RELEASE][1].per_producer_mps, r[C_RELEASE][0].e2e_mps,
         r[C_RELEASE][1].e2e_mps, r[C_POST][0].per_producer_mps, r[C_POST][1].per_producer_mps, r[C_POST][0].e2e_mps,
         r[C_POST][1].e2e_mps);
  printf(" release_owner_busy_1p_mps=%.2f release_owner_busy_4p_mps=%.2f", r[C_BUSY][0].per_producer_mps,
         r[C_BUSY][1].per_producer_mps);
  if (ncases == 3)
    printf(" vs_raw_1p=%.2f vs_raw_4p=%.2f", r[C_RELEASE][0].per_producer_mps / r[C_RAW][0].per_producer_mps,
           r[C_RELEASE][1].per_producer_mps / r[C_RAW][1].per_producer_mps);
  if (ncases == 3)
    printf(" raw_1p_mps=%.2f raw_4p_mps=%.2f raw_e2e_1p_mps=%.2f raw_e2e_4p_mps=%.2f raw_allocs_cold=%.6f "
           "raw_allocs_warm=%.6f",
           r[C_RAW][0].per_producer_mps, r[C_RAW][1].per_producer_mps, r[C_RAW][0].e2e_mps, r[C_RAW][1].e2e_mps,
           r[C_RAW][0].allocs_cold, r[C_RAW][0].allocs_warm);
  double e2e_post[2];
  for (int ki = 0; ki < 2; ki++) {
    e2e_post[ki] = r[C_POST][ki].e2e_mps;
    if (ncases == 3 && r[C_RAW][ki].e2e_mps > e2e_post[ki]) e2e_post[ki] = r[C_RAW][ki].e2e_mps;
  }
  printf(" vs_post_1p=%.2f vs_post_4p=%.2f e2e_vs_post_1p=%.2f e2e_vs_post_4p=%.2f allocs_per_release=%.6f "
         "post_allocs_cold=%.6f post_allocs_warm=%.6f\n",
         r[C_RELEASE][0].per_producer_mps / r[best1][0].per_producer_mps,
         r[C_RELEASE][1].per_producer_mps / r[best4][1].per_producer_mps, r[C_RELEASE][0].e2e_mps / e2e_post[0],
         r[C_RELEASE][1].e2e_mps / e2e_post[1], rel_allocs, post_cold, post_warm);
  fflush(stdout);
  stop_producers();
  for (int i = 0; i < MAXP; i++) pthread_join(p[i], NULL);
#ifndef __EMSCRIPTEN__
  atomic_store(&o_stop, 1);
  wt_call_sync(o_id, nop, NULL, -1, NULL); // wakes the serve loop, which sees the stop flag
  pthread_join(o_thread, NULL);
#endif
  return NULL;
}

// ------------------------------------------------------------------ main

#ifdef __EMSCRIPTEN__
static long keepalive_timer;
static void keep_node_alive(void *unused) { (void)unused; }
static void force_exit_on_main(void *code) {
  emscripten_clear_interval(keepalive_timer);
  emscripten_force_exit((int)(intptr_t)code);
}
static void *wasm_driver(void *arg) {
  driver(arg);
  emscripten_proxy_async(rawq, emscripten_main_runtime_thread_id(), force_exit_on_main, (void *)0);
  return NULL;
}
#endif

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--n") && i + 1 < argc) n_total = atoi(argv[++i]);
    else { printf("usage: wt_bench_release [--reps N (1..63)] [--n RELEASES (4..1000000)]\n"); return 2; }
  }
  // Near or beyond the mailbox bound (WT_PROXYING_MAILBOX_MAX, 262144) wt_post refuses calls: the
  // producers then yield and retry (counted: mailbox_full_retries).
  if (reps < 1 || reps > 63 || n_total < 4 || n_total > 1000000) { printf("FAIL: bad arguments\n"); return 2; }
#ifdef __EMSCRIPTEN__
  rawq = em_proxying_queue_create();
  pthread_t d;
  if (pthread_create(&d, NULL, wasm_driver, NULL)) { printf("FAIL: pthread_create\n"); return 1; }
  pthread_detach(d);
  emscripten_runtime_keepalive_push();
  keepalive_timer = emscripten_set_interval(keep_node_alive, 1000, NULL);
  return 0;
#else
  driver(NULL);
  return 0;
#endif
}
