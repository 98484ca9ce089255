// Routing from the real UI thread (main() runs there; no PROXY_TO_PTHREAD): the UI thread's
// wt_call_sync is refused at once (never hangs); its wt_call_async to a worker completes back on the UI
// thread from its event loop; a worker sets document.title (node: a stand-in global) through a sync
// call to the UI thread and reads it back; then the worker exits with calls pending to it, which
// complete on the UI thread with WT_ECANCELED. Prints one line the test matches:
//   PROXYING_UI refused=1 async_on_ui=1 title_ok=1 canceled=<n>/<n> env=<node|chromium>
#include "webthreads/proxying.h"

#include <emscripten/emscripten.h>
#include <emscripten/eventloop.h>
#include <emscripten/threading.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define PENDING 200

static long keepalive_timer;
static wt_thread worker_id;
static _Atomic int worker_ready, release_worker;
static int answered; /* worker-only */
static int refused, async_on_ui, title_ok, canceled, completed;
static char title_in[64] = "webthreads title from a worker";

static void finish(int code) {
  emscripten_clear_interval(keepalive_timer);
  emscripten_force_exit(code);
}

static int set_title(wt_call *c, void *arg) {
  (void)arg;
  if (!emscripten_is_main_runtime_thread()) { wt_call_set_message(c, "not on the UI thread"); return 1; }
  EM_ASM({
    var doc = typeof document !== 'undefined' ? document : (globalThis.__wtDoc || (globalThis.__wtDoc = {}));
    doc.title = UTF8ToString($0);
  }, title_in);
  return 0;
}

/* Reads the title back on the UI thread: *(int *)arg = its length if it equals what was set, else -1. */
static int get_title(wt_call *c, void *arg) {
  (void)c;
  *(int *)arg = EM_ASM_INT({
    var doc = typeof document !== 'undefined' ? document : globalThis.__wtDoc;
    return doc.title === UTF8ToString($0) ? doc.title.length : -1;
  }, title_in);
  return 0;
}

static int nop(wt_call *c, void *arg) { (void)c; (void)arg; return 0; }

static void report(void) {
  int env_node = EM_ASM_INT({ return ENVIRONMENT_IS_NODE ? 1 : 0; });
  printf("PROXYING_UI refused=%d async_on_ui=%d title_ok=%d canceled=%d/%d env=%s\n", refused, async_on_ui, title_ok,
         canceled, PENDING, env_node ? "node" : "chromium");
  int ok = refused && async_on_ui && title_ok && canceled == PENDING && completed == PENDING;
  if (!ok) printf("FAIL: see the line above (completed=%d)\n", completed);
  fflush(stdout);
  finish(ok ? 0 : 1);
}

// Completions of the calls left pending when the worker exits: they run here, on the UI thread.
static void on_pending_done(const wt_result *r, void *arg) {
  (void)arg;
  if (!emscripten_is_main_runtime_thread()) return;
  completed++;
  if (r->status == WT_ECANCELED) canceled++;
  if (completed == PENDING) report();
}

// Posted by the worker once it is done with its sync calls: queue PENDING async calls to it (it no
// longer serves), then let it exit.
static int queue_pending_then_release(wt_call *c, void *arg) {
  (void)c; (void)arg;
  for (int i = 0; i < PENDING; i++)
    if (wt_call_async(worker_id, nop, NULL, on_pending_done, NULL) != 0) { printf("FAIL: async to worker\n"); finish(1); }
  atomic_store(&release_worker, 1);
  emscripten_futex_wake((void *)&release_worker, 1);
  return 0;
}

static int until_answered(void *arg) { (void)arg; return answered; }

static void *worker(void *arg) {
  (void)arg;
  wt_thread_join(&worker_id);
  atomic_store(&worker_ready, 1);
  // Serve until the UI's async call (below) has been answered, then do the title round trip.
  if (wt_thread_serve(until_answered, NULL, 30000) != 0) printf("FAIL: the UI's async call never came\n");
  wt_result r;
  int rc = wt_call_sync(wt_thread_ui(), set_title, NULL, 10000, &r);
  int len = 0;
  if (rc == 0) rc = wt_call_sync(wt_thread_ui(), get_title, &len, 10000, &r);
  title_ok = rc == 0 && len == (int)strlen(title_in);
  if (!title_ok) printf("FAIL: title round trip: %s (%s) len=%d\n", wt_strerror(rc), r.message, len);
  wt_post(wt_thread_ui(), queue_pending_then_release, NULL, NULL);
  while (!atomic_load(&release_worker)) emscripten_futex_wait((void *)&release_worker, 0, 1000);
  return NULL; // leaves the registry at exit: the pending calls are canceled
}

static int on_worker(wt_call *c, void *arg) {
  (void)c; (void)arg;
  answered = 1;
  return emscripten_is_main_runtime_thread() ? 1 : 0;
}

static void on_async_done(const wt_result *r, void *arg) {
  (void)arg;
  async_on_ui = r->status == 0 && emscripten_is_main_runtime_thread();
}

static void start_async(void *arg) {
  (void)arg;
  if (!atomic_load(&worker_ready)) { emscripten_set_timeout(start_async, 1, NULL); return; }
  // The UI thread may not block: a sync call to a live worker is refused at once.
  double t0 = emscripten_get_now();
  int rc = wt_call_sync(worker_id, nop, NULL, -1, NULL);
  refused = refused && rc == WT_EWOULDBLOCK && emscripten_get_now() - t0 < 1000;
  if (rc != WT_EWOULDBLOCK) printf("FAIL: UI-thread sync call to a worker returned %s\n", wt_err_name(rc));
  if (wt_call_async(worker_id, on_worker, NULL, on_async_done, NULL) != 0) { printf("FAIL: async\n"); finish(1); }
}

static void keep_alive(void *arg) { (void)arg; }

int main(void) {
  // A sync call to itself runs inline: allowed even on the UI thread.
  refused = wt_call_sync(wt_thread_ui(), nop, NULL, -1, NULL) == 0;
  if (!refused) printf("FAIL: UI-thread sync call to itself\n");
  pthread_t t;
  if (pthread_create(&t, NULL, worker, NULL)) { printf("FAIL: pthread_create\n"); return 1; }
  pthread_detach(t);
  emscripten_runtime_keepalive_push();
  keepalive_timer = emscripten_set_interval(keep_alive, 1000, NULL);
  emscripten_set_timeout(start_async, 1, NULL);
  return 0;
}
