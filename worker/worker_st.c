/* Dedicated JS worker threads and the I/O thread in a single-threaded build (WT_SINGLE_THREADED, no
 * -pthread): no thread can be started, so every function returns WT_ENOTSUP (out-parameters untouched,
 * start and cancel never run); wt_worker_is_worker is 0. Replaces worker.c (worker/sources.cmake). */
#include "webthreads/worker.h"

#include "common/threads.h"

#ifndef WT_SINGLE_THREADED
#error "worker/worker_st.c is for single-threaded builds only (wasm-st, wasi)"
#endif

int wt_worker_create(wt_worker_fn start, wt_cancel_fn cancel, void *arg, wt_thread *out) {
  (void)start, (void)cancel, (void)arg, (void)out;
  return WT_ENOTSUP;
}

int wt_worker_destroy(wt_thread w) { return (void)w, WT_ENOTSUP; }

int wt_worker_is_worker(wt_thread t) { return (void)t, 0; }

int wt_io_thread(wt_thread *out) { return (void)out, WT_ENOTSUP; }
