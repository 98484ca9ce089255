/* C functions called from JS (js/library_webthreads_proxying.js), browser builds only. Ids cross the
 * boundary as BigInt (uint64_t, -sWASM_BIGINT). An async call started from JS settles a JS Promise on the
 * calling thread: the completion runs there (router.c guarantees it) and calls wt__js_proxying_settle. */
#include "proxying/internal.h"

#include <emscripten/emscripten.h>
#include <pthread.h>
#include <stdint.h>

/* Implemented in JS: settles the Promise registered under `token` in this thread's realm. */
extern void wt__js_proxying_settle(uint32_t token, int status, int fn_error, const char *message);

EMSCRIPTEN_KEEPALIVE uint64_t wt__js_thread_self(void) {
  wt_thread t;
  return wt_thread_join(&t) == 0 ? t.bits : 0;
}

EMSCRIPTEN_KEEPALIVE uint64_t wt__js_thread_ui(void) { return wt_thread_ui().bits; }

EMSCRIPTEN_KEEPALIVE int wt__js_thread_check(uint64_t bits) { return wt_thread_check((wt_thread){bits}); }

static void settle(const wt_result *res, void *token) {
  wt__js_proxying_settle((uint32_t)(uintptr_t)token, res->status, res->fn_error, res->message);
}

/* Starts fn(arg) on `target`; the Promise `token` settles on this thread. Any thread; never blocks.
 * Returns 0 or a WT_E code (the Promise is then rejected by the JS side at once). */
EMSCRIPTEN_KEEPALIVE int wt__js_call_async(uint64_t target, wt_fn fn, void *arg, uint32_t token) {
  return wt_call_async((wt_thread){target}, fn, arg, settle, (void *)(uintptr_t)token);
}

/* Fire and forget from JS. Returns 0 or a WT_E code. */
EMSCRIPTEN_KEEPALIVE int wt__js_post(uint64_t target, wt_fn fn, void *arg) {
  return wt_post((wt_thread){target}, fn, NULL, arg);
}

/* The JS guard (wt__js_guard) saw an unwind leave the body it ran: frames from `depth` up are dead. */
EMSCRIPTEN_KEEPALIVE void wt__js_proxying_unwound(uint32_t depth) { wt__proxying_unwound(depth); }

/* 1 while the calling Worker still hosts its thread (0 once pthread_exit has torn it down). */
EMSCRIPTEN_KEEPALIVE int wt__js_thread_alive(void) { return pthread_self() != 0; }
