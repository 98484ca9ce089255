// bench/boot: Worker boot cost (issue 17, docs/benchmarks.md "Worker boot"). One program, built as
// webthreads with the lean boot ("wt"), webthreads booting from the main JS ("wtmain") and stock
// emscripten ("em"), each small and with the ~2 MB generated JS library (test/boot/gen_big_lib.mjs),
// run by bench/boot/run.mjs in headless Chromium with the runner's --cpu (the browser's CPU).
//   prewarm N   N pre-warmed Workers: webthreads' pool.initial = N (main runs at once), emscripten's
//               PTHREAD_POOL_SIZE = N (main waits for them); prints main_ms (main since navigation) and
//               loaded_ms (all N loaded) once all N have loaded. N = 0 is the baseline run whose CPU
//               the run subtracts.
//   blob N      the floor: N Workers from a Blob script that only receive the compiled module and the
//               memory and instantiate it (dummy imports); prints loaded_ms.
//   floor_http N  the same script served as a file (bench/boot/floor_worker.js, beside the program).
#include <emscripten.h>
#include <emscripten/eventloop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef WT_BENCH_BIG
int wt_big_call(int i, int x, int *out);
#endif
void bench_workers(int *out);   // bench/pool/bench_pool_lib.js: alive, loaded spare, booting
double bench_page_now(void);
double bench_cpu_ms(void);      // node: this process's CPU (its Workers are its threads); -1 in a browser
#ifdef WT_BENCH_WEBTHREADS
#include "webthreads/pool.h"
#endif
void bench_blob_floor(int n, int http); // bench/boot/boot_bench_lib.js: calls bench_blob_done

static double main_ms;
static int want, timer;
static const char *scenario;

#define BENCH_PRINT(fmt, ...) printf("BENCH env=%s variant=%s scenario=%s " fmt "\n", \
  EM_ASM_INT({ return typeof process == 'object' && !!process.versions?.node; }) ? "node" : "chromium", \
  BENCH_VARIANT, scenario, __VA_ARGS__)

static void finish(void) { emscripten_force_exit(0); }

static void poll(void *unused) {
  (void)unused;
  int w[3];
  bench_workers(w);
  if (w[1] < want) return;
  emscripten_clear_interval(timer);
  double cpu = bench_cpu_ms(), boot_mean = -1;
  unsigned long long lean = 0, main_js = 0;
#ifdef WT_BENCH_WEBTHREADS
  struct wt_pool_stats s;
  wt_pool_stats(&s);
  boot_mean = s.boot_mean_ms;
  lean = s.boot_lean;
  main_js = s.boot_main;
#endif
  BENCH_PRINT("workers=%d main_ms=%.1f loaded_ms=%.1f cpu_ms=%.1f boot_mean_ms=%.1f boot_lean=%llu boot_main=%llu", want,
              main_ms, bench_page_now(), cpu, boot_mean, lean, main_js);
  finish();
}

EMSCRIPTEN_KEEPALIVE void bench_blob_done(int n, double ms) {
  BENCH_PRINT("workers=%d loaded_ms=%.1f cpu_ms=%.1f", n, ms, bench_cpu_ms());
  finish();
}

int main(int argc, char **argv) {
  main_ms = bench_page_now();
  scenario = argc > 1 ? argv[1] : "";
  want = argc > 2 ? atoi(argv[2]) : -1;
#ifdef WT_BENCH_BIG
  if (argc > 99) wt_big_call(argc, 0, NULL); // keeps every function of the big library linked
#endif
  if (want < 0 || (strcmp(scenario, "prewarm") && strcmp(scenario, "blob") && strcmp(scenario, "floor_http"))) {
    printf("usage: %s prewarm N | blob N | floor_http N\n", BENCH_VARIANT);
    return 2;
  }
  emscripten_runtime_keepalive_push();
  if (!strcmp(scenario, "blob") || !strcmp(scenario, "floor_http")) bench_blob_floor(want, !strcmp(scenario, "floor_http"));
  else timer = emscripten_set_interval(poll, 1, NULL);
  return 0;
}
