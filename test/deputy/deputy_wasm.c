/* The deputy in a real program (node and Chromium). One source, two programs:
 *   wt_deputy_ui       linked WITHOUT -sPROXY_TO_PTHREAD: main() runs on the UI thread and calls
 *                      wt_deputy_main, which starts the deputy pthread and unwinds to the event loop;
 *   wt_deputy_proxied  linked WITH -sPROXY_TO_PTHREAD: main() runs on emscripten's pthread, which
 *                      wt_deputy_main makes the deputy (inline).
 * app_main checks that it runs on a joined, normal (non-UI) thread, routes an async and a sync call to
 * the UI thread (answered from its event loop), uses the I/O thread the deputy started before it, prints
 * the DEPUTY line and returns 3: the program's exit status must be 3 (the test checks both). */
#include "webthreads/deputy.h"
#include "webthreads/proxying.h"
#include "webthreads/worker.h"

#include "deputy/internal.h"

#include <emscripten/emscripten.h>
#include <emscripten/threading.h>
#include <stdatomic.h>
#include <stdio.h>

#define HANG 30000 /* ms: only turns a hang into a failure */

static int main_on_ui = -1;

static int on_ui(wt_call *call, void *arg) {
  (void)call;
  (void)arg;
  return emscripten_is_main_runtime_thread() && wt_thread_is_ui() ? 0 : 9;
}

static int on_io(wt_call *call, void *arg) {
  (void)call;
  wt_thread io = *(wt_thread *)arg;
  return wt_thread_equal(wt_thread_self(), io) ? 0 : 9;
}

static atomic_int async_status = -999;
static void async_done(const wt_result *r, void *arg) {
  (void)arg;
  atomic_store(&async_status, r->status);
}
static int async_arrived(void *arg) {
  (void)arg;
  return atomic_load(&async_status) != -999;
}

static int app_main(int argc, char **argv) {
  wt_thread self = wt_thread_self();
  int joined = self.bits != 0 && wt_thread_check(self) == 0 && wt_thread_equal(wt_deputy_thread(), self);
  int on_ui_thread = wt_thread_is_ui() || emscripten_is_main_runtime_thread();
  int args_ok = argc == 2 && argv[1][0] == 'x';

  int r = wt_call_async(wt_thread_ui(), on_ui, NULL, async_done, NULL);
  if (r == 0) r = wt_thread_serve(async_arrived, NULL, HANG); /* the completion comes back here */
  int async_ok = r == 0 && atomic_load(&async_status) == 0;
  if (!async_ok)
    printf("FAIL: async call to the UI thread: rc %s status %d\n", wt_err_name(r),
           atomic_load(&async_status));

  wt_result res;
  r = wt_call_sync(wt_thread_ui(), on_ui, NULL, HANG, &res);
  int sync_ok = r == 0;
  if (!sync_ok) printf("FAIL: sync call to the UI thread: %s (fn_error %d)\n", wt_err_name(r), res.fn_error);

  wt_thread io = wt__deputy_io_started(); /* started by the deputy before app_main */
  int io_ok = io.bits != 0 && wt_thread_check(io) == 0 && wt_call_sync(io, on_io, &io, HANG, NULL) == 0;
  if (!io_ok) printf("FAIL: the I/O thread was not started before app_main\n");

  /* JS, not C: clang-format would split its === into "== =". */
  /* clang-format off */
  int node = EM_ASM_INT({ return typeof process === 'object' && !!(process.versions && process.versions.node); });
  /* clang-format on */
  printf("DEPUTY mode=%s main_on_ui=%d deputy_on_ui=%d joined=%d args=%d async_on_ui=%d sync_on_ui=%d io=%d "
         "env=%s\n",
#ifdef WT_TEST_PROXY_TO_PTHREAD
         "proxied",
#else
         "ui",
#endif
         main_on_ui, on_ui_thread, joined, args_ok, async_ok, sync_ok, io_ok, node ? "node" : "chromium");
  fflush(stdout);
  return 3;
}

int main(int argc, char **argv) {
  main_on_ui = emscripten_is_main_runtime_thread();
  static char a0[] = "deputy", a1[] = "x";
  static char *args[] = {a0, a1, NULL};
  (void)argc;
  (void)argv;
  wt_deputy_config cfg = {.start_io_thread = 1};
  int r = wt_deputy_main(app_main, 2, args, &cfg);
#ifndef WT_TEST_PROXY_TO_PTHREAD
  printf("FAIL: wt_deputy_main returned on the UI thread: %d %s\n", r, wt_err_name(r));
#endif
  return r;
}
