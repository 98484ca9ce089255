// Smoke test and demo measurement: a worker thread makes N emscripten_proxy_sync calls on a custom
// em_proxying_queue to the main thread while main sits in its event loop. Every call must run on the
// main thread, in order. Prints a human summary and one machine-readable line:
//   SMOKE env=<node|browser> calls=<n> on_main=<n> mean_us=<x> p50_us=<x> p99_us=<x> coi=<0|1>
// N comes from --calls, else Module.webthreads.smoke.calls, else 10,000. --expect-calls M fails the
// run unless N == M (tests that the JS configuration object is read).
#include "common/js_config.h"

#include <emscripten/emscripten.h>
#include <emscripten/eventloop.h>
#include <emscripten/proxying.h>
#include <emscripten/threading.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static em_proxying_queue *queue;
static int calls = 10000, expect_calls = -1;
static int on_main, in_order, next_seq;
static double *lat_us;

struct call { int seq; };

static void on_main_thread(void *arg) {
  struct call *c = arg;
  if (emscripten_is_main_runtime_thread() && pthread_self() == emscripten_main_runtime_thread_id()) on_main++;
  if (c->seq == next_seq) in_order++;
  next_seq = c->seq + 1;
}

static long keepalive_timer;

static void force_exit_on_main(void *code) {
  emscripten_clear_interval(keepalive_timer);
  emscripten_force_exit((int)(intptr_t)code);
}

// Ends the run with `code` from any thread: the exit happens on the main thread, which holds the
// runtime alive (keepalive + timer) until then.
static void finish(int code) {
  if (emscripten_is_main_runtime_thread()) force_exit_on_main((void *)(intptr_t)code);
  else emscripten_proxy_async(queue, emscripten_main_runtime_thread_id(), force_exit_on_main, (void *)(intptr_t)code);
}

static void keep_node_alive(void *unused) { (void)unused; }

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void *worker(void *arg) {
  (void)arg;
  if (calls < 0) {
    int found = 0;
    double v = wt__js_config_number("smoke.calls", 10000, &found);
    if (found < 0 || v < 1 || v > 10000000) {
      printf("FAIL: Module.webthreads.smoke.calls must be a number in 1..10000000\n");
      finish(2);
      return NULL;
    }
    calls = (int)v;
  }
  lat_us = malloc(sizeof(double) * (size_t)calls);
  pthread_t main_thread = emscripten_main_runtime_thread_id();
  double t0 = emscripten_get_now();
  for (int i = 0; i < calls; i++) {
    struct call c = {i};
    double s = emscripten_get_now();
    if (!emscripten_proxy_sync(queue, main_thread, on_main_thread, &c)) {
      printf("FAIL: emscripten_proxy_sync returned 0 at call %d\n", i);
      finish(1);
      return NULL;
    }
    lat_us[i] = (emscripten_get_now() - s) * 1000.0;
  }
  double total_ms = emscripten_get_now() - t0;
  qsort(lat_us, (size_t)calls, sizeof(double), cmp_double);
  int coi = EM_ASM_INT({ return typeof crossOriginIsolated === 'undefined' ? 1 : (crossOriginIsolated ? 1 : 0); });
  const char *env = EM_ASM_INT({ return ENVIRONMENT_IS_NODE; }) ? "node" : "browser";
  printf("proxy smoke (%s): %d sync calls worker -> main on a custom queue in %.1f ms; %d ran on the main "
         "thread, %d in order\n", env, calls, total_ms, on_main, in_order);
  printf("SMOKE env=%s calls=%d on_main=%d mean_us=%.2f p50_us=%.2f p99_us=%.2f coi=%d\n", env, calls, on_main,
         total_ms * 1000.0 / calls, lat_us[calls / 2], lat_us[(int)(calls * 0.99)], coi);
  int ok = on_main == calls && in_order == calls && coi && (expect_calls < 0 || expect_calls == calls);
  if (!ok) printf("FAIL: expected %d calls on the main thread in order%s\n", calls,
                  expect_calls >= 0 && expect_calls != calls ? " and the configured call count" : "");
  fflush(stdout);
  finish(ok ? 0 : 1);
  return NULL;
}

int main(int argc, char **argv) {
  calls = -1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--calls") && i + 1 < argc) calls = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--expect-calls") && i + 1 < argc) expect_calls = atoi(argv[++i]);
    else { printf("usage: proxy_smoke [--calls N] [--expect-calls N]\n"); return 2; }
  }
  queue = em_proxying_queue_create();
  pthread_t t;
  int rc = pthread_create(&t, NULL, worker, NULL);
  if (rc) { printf("FAIL: pthread_create: %s\n", strerror(rc)); return 1; }
  pthread_detach(t);
  // Stay alive in the event loop: the worker's calls are served from there, and it ends the run.
  // Under node a pending timer is what keeps the process from exiting.
  emscripten_runtime_keepalive_push();
  keepalive_timer = emscripten_set_interval(keep_node_alive, 1000, NULL);
  return 0;
}
