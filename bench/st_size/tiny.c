/* bench/st_size/tiny.c — the program whose size bench/st_size/run measures, built with emcc -O2 and no
 * -pthread: once as it is (the baseline), once with -DWITH_WEBTHREADS linking libwebthreads.a from the
 * wasm-st tree. Both print the same line; the webthreads one gets its numbers from a call to itself,
 * an async call completed at the poll, and a C handle released through the batch path. */
#include <stdio.h>

#ifdef WITH_WEBTHREADS
#include "webthreads/handles.h"
#include "webthreads/proxying.h"

static int twice(wt_call *call, void *arg) {
  (void)call;
  *(int *)arg *= 2;
  return 0;
}
static void done(const wt_result *res, void *arg) { *(int *)arg += res->status == 0; }
static int freed;
static void free_value(void *v) { (void)v, freed++; }

int main(void) {
  int x = 21, d = 0;
  wt_result res;
  int r = wt_call_sync(wt_thread_self(), twice, &x, -1, &res);
  int other = wt_call_sync((wt_thread){wt_thread_self().bits + 1}, twice, &x, -1, &res);
  wt_call_async(wt_thread_ui(), twice, &x, done, &d);
  wt_handle h;
  wt_handle_register(&x, free_value, &h);
  wt_handle_release_local(h);
  wt_handle_release(h);
  wt_thread_poll();
  printf("TINY x=%d r=%d other=%s done=%d freed=%d\n", x, r, wt_err_name(other), d, freed);
  return 0;
}
#else
int main(void) {
  int x = 84;
  printf("TINY x=%d r=%d other=%s done=%d freed=%d\n", x, 0, "ENOENT", 1, 1);
  return 0;
}
#endif
