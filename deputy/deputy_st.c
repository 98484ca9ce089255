/* The deputy in a single-threaded build (WT_SINGLE_THREADED, no -pthread): there is no thread to put
 * main on, so wt_deputy_main returns WT_ENOTSUP without running main_fn (call it directly instead) and
 * wt_deputy_thread is WT_THREAD_NONE. Replaces deputy.c (deputy/sources.cmake). */
#include "webthreads/deputy.h"

#include "common/threads.h"

#ifndef WT_SINGLE_THREADED
#error "deputy/deputy_st.c is for single-threaded builds only (wasm-st, wasi)"
#endif

int wt_deputy_main(wt_main_fn main_fn, int argc, char **argv, const wt_deputy_config *cfg) {
  (void)main_fn, (void)argc, (void)argv, (void)cfg;
  return WT_ENOTSUP;
}

wt_thread wt_deputy_thread(void) { return WT_THREAD_NONE; }
