// The demo app (issue "The main job"; scripts/demo): a Mandelbrot tile renderer built the way a runtime
// would use webthreads, and — from the same source, with -DWT_DEMO_STOCK — on stock emscripten for the
// comparison.
//
// webthreads build: main() runs on the UI thread and hands the program to the deputy thread
// (wt_deputy_main); the UI thread only serves the pool and JS and draws. Stock build: -sPROXY_TO_PTHREAD
// (main on a pthread), a fixed -sPTHREAD_POOL_SIZE, emscripten's own proxying.
//
// What the program (on the deputy / main pthread) does, in order:
//   1. fetches palette.txt with a JS Promise on the UI thread and waits for it (webthreads:
//      wt_await_js_sync; stock: a hand-written fetch that writes shared memory and notifies a futex);
//   2. frame 0 with N threads (the first frame), then the same view with 1 thread (speed-up);
//   3. an animation of --frames frames zooming in; each frame creates N worker threads and joins them,
//      as a thread pool that grows per burst does. A worker renders tiles it takes from a shared
//      counter and sends each tile to the UI thread, which draws it into a canvas (webthreads: wt_post
//      to wt_thread_ui(); stock: emscripten_async_run_in_main_runtime_thread). webthreads only: every
//      worker registers JS objects in its realm (wtHandles) and the deputy releases them from its own
//      thread while the worker waits, serving its mailbox: each release reaches the owner;
//   4. --calls sync calls to the UI thread (webthreads: wt_call_sync; stock:
//      emscripten_sync_run_in_main_runtime_thread) for the cross-thread call rate (median of 5 rounds),
//      then the fetch of step 1 again on the warm, quiet page (the first ran while it was starting);
//   5. waits --idle-ms so the pool can retire its Workers (webthreads) while the UI thread samples the
//      Workers alive; asks the UI thread for its own measurements and prints everything.
//
// Output: "DEMO <phase> ..." progress lines, "DEMO_UI {json}" (printed by the UI thread, times in ms since
// the page started: time to main and to the first frame, gaps of its event loop from page load to the
// last tile — each variant's Worker boots and the drawing — and Workers alive over time) and
// "DEMO_RESULT {json}" (the program's measurements), then "DEMO ok" — or "FAIL: ..." and exit 1.
#include <emscripten/emscripten.h>
#include <emscripten/threading.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef WT_DEMO_STOCK
#include "webthreads/completion.h"
#include "webthreads/deputy.h"
#include "webthreads/handles.h"
#include "webthreads/pool.h"
#include "webthreads/proxying.h"
#define VARIANT "webthreads"
#else
#define VARIANT "emscripten"
#endif

enum { W = 480, H = 320, TILE = 32, TX = W / TILE, TY = H / TILE, NTILES = TX * TY, OBJS = 16 };

static struct {
  int threads, frames, calls, idle_ms, maxiter;
} opt = {8, 12, 2000, 3000, 700};

static int failures;
#define FAIL(...)                  \
  do {                             \
    printf("FAIL: " __VA_ARGS__);  \
    printf("\n");                  \
    fflush(stdout);                \
    failures++;                    \
  } while (0)

static double now(void) { return emscripten_get_now(); }

// ------------------------------------------------------------------ the UI thread's side (mandel_lib.js)

void demo_draw(int x, int y, const uint8_t *px, int frame); // UI thread: a tile into the canvas
void demo_ui_start(int (*alive)(void));                     // UI thread: monitors; alive NULL: stock count
void demo_ui_report(void);                                  // UI thread: prints DEMO_UI {json}
void demo_fetch_stock(char *buf, int n, void (*done)(void)); // UI thread: fetch palette.txt into buf
#ifndef WT_DEMO_STOCK
void demo_register_obj(int i, uint64_t *out); // mandel_wt.js, worker: a JS object in its table
int demo_objs_held(void);                      // worker: values its table still holds
void demo_define_fetch(void);                  // UI thread: demoFetch for wt_await_js_sync
#endif

#ifndef WT_DEMO_STOCK
static int demo_pool_total(void) {
  struct wt_pool_stats s;
  return wt_pool_stats(&s) == 0 ? s.total : -1;
}
#endif

// ------------------------------------------------------------------ rendering

static uint8_t palette[256][3];
static struct {
  double cx, cy, scale;
  int frame;
  atomic_int next_tile, tiles_done;
} view;
static atomic_llong start_us_max, start_us_sum, starts, posts;

typedef struct tile {
  int x, y, frame;
  uint8_t px[TILE * TILE * 4];
} tile;

static void render_tile(tile *t) {
  for (int j = 0; j < TILE; j++)
    for (int i = 0; i < TILE; i++) {
      double x0 = view.cx + (t->x + i - W / 2) * view.scale, y0 = view.cy + (t->y + j - H / 2) * view.scale;
      double x = 0, y = 0;
      int n = 0;
      while (n < opt.maxiter && x * x + y * y < 4) {
        double xt = x * x - y * y + x0;
        y = 2 * x * y + y0;
        x = xt;
        n++;
      }
      uint8_t *p = &t->px[4 * (j * TILE + i)];
      const uint8_t *c = n == opt.maxiter ? (const uint8_t[3]){0, 0, 0} : palette[n & 255];
      p[0] = c[0], p[1] = c[1], p[2] = c[2], p[3] = 255;
    }
}

static void draw_on_ui(tile *t) {
  demo_draw(t->x, t->y, t->px, t->frame);
  free(t);
}

#ifndef WT_DEMO_STOCK
static int draw_call(wt_call *call, void *arg) {
  (void)call;
  draw_on_ui(arg);
  return 0;
}
static void draw_canceled(void *arg) { free(arg); }

// The JS objects a worker owns (registered in its realm) and the deputy releases.
static wt_handle objs[64][OBJS];
static atomic_int objs_ready, releases;
static double release_ms; // time the deputy spent in wt_handle_release (it never blocks)
#endif

typedef struct worker_arg {
  int index;
  double t_create;
} worker_arg;

#ifndef WT_DEMO_STOCK
static int released_all(void *p) { return (void)p, demo_objs_held() == 0; }
#endif

static void *worker(void *p) {
  worker_arg *a = p;
  long long us = (long long)((now() - a->t_create) * 1000.0);
  atomic_fetch_add(&start_us_sum, us);
  atomic_fetch_add(&starts, 1);
  for (long long m = atomic_load(&start_us_max); us > m && !atomic_compare_exchange_weak(&start_us_max, &m, us);) {
  }
#ifndef WT_DEMO_STOCK
  int k = a->index;
  for (int i = 0; i < OBJS; i++) demo_register_obj(i, &objs[k][i].bits);
  atomic_fetch_add(&objs_ready, 1);
  emscripten_futex_wake(&objs_ready, INT32_MAX);
#endif
  for (int i; (i = atomic_fetch_add(&view.next_tile, 1)) < NTILES;) {
    tile *t = malloc(sizeof *t);
    t->x = (i % TX) * TILE, t->y = (i / TX) * TILE, t->frame = view.frame;
    render_tile(t);
    atomic_fetch_add(&posts, 1);
#ifndef WT_DEMO_STOCK
    int r = wt_post(wt_thread_ui(), draw_call, draw_canceled, t);
    if (r) { FAIL("wt_post to the UI thread: %s", wt_err_name(r)); free(t); }
#else
    emscripten_async_run_in_main_runtime_thread(EM_FUNC_SIG_VI, draw_on_ui, t);
#endif
    atomic_fetch_add(&view.tiles_done, 1);
  }
#ifndef WT_DEMO_STOCK
  // Wait, serving this thread's mailbox, until the deputy's releases of our objects were applied here.
  int r = wt_thread_serve(released_all, NULL, 30000);
  if (r) FAIL("worker %d: its objects' releases did not arrive (%s; %d still held)", k, wt_err_name(r), demo_objs_held());
  wt_thread_leave();
#endif
  return NULL;
}

// One frame with n threads, created and joined as a thread pool's burst. Returns its time in ms.
static double frame(int n) {
  atomic_store(&view.next_tile, 0);
  atomic_store(&view.tiles_done, 0);
  pthread_t th[64];
  worker_arg args[64];
  double t0 = now();
#ifndef WT_DEMO_STOCK
  atomic_store(&objs_ready, 0);
#endif
  for (int i = 0; i < n; i++) {
    args[i] = (worker_arg){i, now()};
    int rc;
    while ((rc = pthread_create(&th[i], NULL, worker, &args[i])) == EAGAIN) sched_yield();
    if (rc) { FAIL("pthread_create: %s", strerror(rc)); n = i; break; }
  }
#ifndef WT_DEMO_STOCK
  // Release every worker's objects from this thread once they exist (the workers wait for them).
  for (int r; (r = atomic_load(&objs_ready)) < n;) emscripten_futex_wait(&objs_ready, (uint32_t)r, 1000);
  double r0 = now();
  for (int k = 0; k < n; k++)
    for (int i = 0; i < OBJS; i++) {
      int r = wt_handle_release(objs[k][i]);
      if (r) FAIL("wt_handle_release: %s", wt_err_name(r));
      else atomic_fetch_add(&releases, 1);
    }
  release_ms += now() - r0;
#endif
  for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
  return now() - t0;
}

// ------------------------------------------------------------------ the program

static char palette_text[4096];
#ifdef WT_DEMO_STOCK
static _Atomic uint32_t fetched;
static void demo_fetched(void) {
  atomic_store(&fetched, 1);
  emscripten_futex_wake(&fetched, INT32_MAX);
}
#endif

static int fetch_palette(void) {
#ifndef WT_DEMO_STOCK
  wt_completion *c = NULL;
  int r = wt_await_js_sync(wt_thread_ui(), "demoFetch", NULL, 10000, &c);
  if (r) { FAIL("fetch palette.txt: %s", wt_err_name(r)); if (c) wt_completion_release(c); return -1; }
  wt_value v;
  wt_completion_result_get(c, NULL, &v);
  size_t n = v.len < sizeof palette_text - 1 ? v.len : sizeof palette_text - 1;
  memcpy(palette_text, v.data, n);
  palette_text[n] = 0;
  wt_completion_release(c);
#else
  // Stock emscripten has no Promise-to-thread path: a hand-written one (start on the UI thread, write
  // shared memory, notify a futex the program waits on).
  atomic_store(&fetched, 0);
  emscripten_async_run_in_main_runtime_thread(EM_FUNC_SIG_VIII, demo_fetch_stock, palette_text,
                                              (int)sizeof palette_text, demo_fetched);
  while (!atomic_load(&fetched)) emscripten_futex_wait(&fetched, 0, 10000);
#endif
  int k = 0;
  for (char *p = palette_text; *p && k < 256;) {
    unsigned r, g, b;
    int used;
    if (sscanf(p, "%u %u %u%n", &r, &g, &b, &used) != 3) break;
    palette[k][0] = (uint8_t)r, palette[k][1] = (uint8_t)g, palette[k][2] = (uint8_t)b;
    k++;
    p += used;
  }
  if (k == 0) { FAIL("palette.txt: no colours read"); return -1; }
  for (int i = k; i < 256; i++) memcpy(palette[i], palette[i % k], 3);
  return k;
}

static int nop_fn(void) { return 7; }
#ifndef WT_DEMO_STOCK
static int nop_call(wt_call *call, void *arg) { *(int *)arg = nop_fn(); return (void)call, 0; }
#endif

static double call_round(int n) {
  double t0 = now();
  for (int i = 0; i < n; i++) {
#ifndef WT_DEMO_STOCK
    int v = 0, r = wt_call_sync(wt_thread_ui(), nop_call, &v, 10000, NULL);
    if (r || v != 7) { FAIL("sync call to the UI thread: %s", wt_err_name(r)); return 0; }
#else
    int r = emscripten_sync_run_in_main_runtime_thread(EM_FUNC_SIG_I, nop_fn);
    if (r != 7) { FAIL("sync call to the UI thread: %d", r); return 0; }
#endif
  }
  return n / ((now() - t0) / 1000.0);
}

/* Calls per second: the median of 5 rounds of n/5 (one round's rate swings 5x with the page's state). */
static double call_rate(int n) {
  double r[5];
  for (int k = 0; k < 5; k++) {
    r[k] = call_round(n / 5 > 0 ? n / 5 : 1);
    if (r[k] == 0) return 0; // failed (FAIL printed)
  }
  for (int i = 1; i < 5; i++)
    for (int j = i; j > 0 && r[j - 1] > r[j]; j--) { double x = r[j]; r[j] = r[j - 1]; r[j - 1] = x; }
  return r[2];
}

static void ui_report(void) { demo_ui_report(); }
#ifndef WT_DEMO_STOCK
static int report_call(wt_call *call, void *arg) { (void)call, (void)arg; ui_report(); return 0; }
#endif

static int app_main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    int v = atoi(argv[i + 1]);
    if (!strcmp(argv[i], "--threads") && v > 0 && v <= 64) opt.threads = v;
    else if (!strcmp(argv[i], "--frames") && v >= 0) opt.frames = v;
    else if (!strcmp(argv[i], "--calls") && v >= 0) opt.calls = v;
    else if (!strcmp(argv[i], "--idle-ms") && v >= 0) opt.idle_ms = v;
    else if (!strcmp(argv[i], "--maxiter") && v > 0) opt.maxiter = v;
    else { printf("FAIL: unknown option %s\n", argv[i]); return 2; }
  }
  double t_start = now();
  printf("DEMO start variant=%s threads=%d frames=%d calls=%d\n", VARIANT, opt.threads, opt.frames, opt.calls);
  fflush(stdout);
  int colours = fetch_palette();
  double t_fetch = now() - t_start;
  printf("DEMO fetched palette.txt colours=%d ms=%.1f\n", colours, t_fetch);
  view.cx = -0.743643887, view.cy = 0.131825904, view.scale = 3.0 / W, view.frame = 0;
  double t_first = frame(opt.threads); // the first frame: the pool grows to meet it
  printf("DEMO first frame threads=%d ms=%.1f\n", opt.threads, t_first);
  fflush(stdout);
  double anim0 = now();
  for (int f = 0; f < opt.frames; f++) {
    view.frame = 1 + f;
    view.scale *= 0.8;
    frame(opt.threads);
    printf("DEMO frame %d/%d\n", f + 1, opt.frames);
    fflush(stdout);
  }
  double fps = opt.frames ? opt.frames / ((now() - anim0) / 1000.0) : 0;
  // Speed-up: one view, warm pool, with N threads and with one.
  view.scale = 3.0 / W * 0.05;
  view.frame = 1 + opt.frames;
  double t_n = frame(opt.threads);
  double t_1 = frame(1);
  printf("DEMO speedup threads=%d frame_ms_1=%.1f frame_ms_n=%.1f speedup=%.2f\n", opt.threads, t_1, t_n, t_1 / t_n);
  fflush(stdout);
  double rate = call_rate(opt.calls);
  printf("DEMO calls sync_to_ui_per_s=%.0f\n", rate);
  // The Promise step again, on a warm, quiet page: the first one ran during start-up.
  double t_refetch = now();
  if (fetch_palette() < 0) return 1;
  t_refetch = now() - t_refetch;
  printf("DEMO fetched again palette.txt ms=%.1f\n", t_refetch);
  fflush(stdout);
  // Idle: the pool may retire its Workers now (the UI thread keeps sampling).
  double idle_until = now() + opt.idle_ms;
  static _Atomic uint32_t never;
  while (now() < idle_until) emscripten_futex_wait(&never, 0, idle_until - now());
#ifndef WT_DEMO_STOCK
  wt_call_sync(wt_thread_ui(), report_call, NULL, 10000, NULL);
  int rel = atomic_load(&releases);
  double rel_rate = release_ms > 0 ? rel / (release_ms / 1000.0) : 0;
#else
  emscripten_sync_run_in_main_runtime_thread(EM_FUNC_SIG_V, ui_report);
  int rel = -1;
  double rel_rate = -1;
#endif
  long long n_starts = atomic_load(&starts);
  printf("DEMO_RESULT {\"variant\":\"%s\",\"threads\":%d,\"frames\":%d,\"fetch_ms\":%.1f,\"fetch_warm_ms\":%.1f,\"first_frame_render_ms\":%.1f,\"frame_ms_1\":%.1f,"
         "\"frame_ms_n\":%.1f,\"speedup\":%.2f,\"anim_fps\":%.2f,\"thread_start_mean_ms\":%.2f,"
         "\"thread_start_max_ms\":%.2f,\"threads_started\":%lld,\"tiles_posted\":%lld,\"sync_calls_per_s\":%.0f,"
         "\"releases\":%d,\"releases_per_s\":%.0f,\"failures\":%d}\n",
         VARIANT, opt.threads, opt.frames, t_fetch, t_refetch, t_first, t_1, t_n, t_1 / t_n, fps,
         n_starts ? atomic_load(&start_us_sum) / 1000.0 / n_starts : 0, atomic_load(&start_us_max) / 1000.0, n_starts,
         atomic_load(&posts), rate, rel, rel_rate, failures);
  printf(failures ? "DEMO failed\n" : "DEMO ok\n");
  fflush(stdout);
  return failures ? 1 : 0;
}

#ifndef WT_DEMO_STOCK
int main(int argc, char **argv) {
  demo_ui_start(demo_pool_total);
  demo_define_fetch();
  static wt_deputy_config cfg = {0};
  int r = wt_deputy_main(app_main, argc, argv, &cfg);
  if (r) { printf("FAIL: wt_deputy_main: %s\n", wt_err_name(r)); return 1; }
  return 0;
}
#else
// -sPROXY_TO_PTHREAD: main runs on a pthread; the UI thread's monitors start first (a sync call).
static void ui_start_stock(void) { demo_ui_start(NULL); }
int main(int argc, char **argv) {
  emscripten_sync_run_in_main_runtime_thread(EM_FUNC_SIG_V, ui_start_stock);
  return app_main(argc, argv);
}
#endif
