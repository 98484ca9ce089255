/* Single-threaded emscripten backend (WT_SINGLE_THREADED: built without -pthread). One thread, the
 * browser's (or node's) main thread: it joins the registry at start-up as the UI thread and is the
 * only thread there will ever be. router.c is unchanged; what follows from it:
 *   - a call to oneself (wt_call_sync / wt_call_async / wt_post to wt_thread_self()) runs inline, as in
 *     every build; its async completion runs from the mailbox (next wt_thread_poll, or the event loop);
 *   - every other id fails in the registry: WT_ENOENT (never issued; no other thread can be created) or
 *     WT_ESTALE (an earlier generation);
 *   - what is queued to oneself (an async completion, a handle release batch, a completion's
 *     continuation) wakes the thread through its event loop: one 0 ms timer per batch
 *     (emscripten_set_timeout, no Worker, no shared memory), or runs earlier in wt_thread_poll;
 *   - the thread is the UI thread: it never blocks (wt_thread_serve, wt_completion_wait: WT_EWOULDBLOCK)
 *     and never leaves (wt_thread_leave: WT_EINVAL).
 * There is no JS try/catch around user code here (no wtProxying bridge in this build): an exception or
 * a JS unwind out of a callback is not answered; in a single-threaded program nobody waits for it. */
#include "proxying/internal.h"

#include "common/threads.h"

#ifndef WT_SINGLE_THREADED
#error "proxying/backend_st.c is the backend of single-threaded emscripten builds only"
#endif

#include <emscripten/emscripten.h>
#include <emscripten/eventloop.h>

void wt__backend_init(void) {}

int wt__backend_is_browser_ui(void) { return 1; }

static _Atomic int armed; /* a timer is on its way: later wake-ups merge into it */

/* From the event loop (the 0 ms timer). */
static void drain_timer(void *unused) {
  (void)unused;
  atomic_store(&armed, 0);
  wt__proxying_drain_self();
}

int wt__backend_notify_idle(wt__slot *s) {
  (void)s; /* the one slot that has an owner is the calling thread's */
  if (atomic_exchange(&armed, 1)) return 1;
  emscripten_set_timeout(drain_timer, 0, NULL);
  return 1;
}

int wt__backend_guard(int (*body)(void *), void *ctx, uint32_t depth, int top) {
  (void)depth, (void)top;
  return body(ctx);
}

int wt_thread_adopt_ui(void) { return WT_ENOTSUP; }

/* The one thread is the UI thread: it joins before main() runs. */
__attribute__((constructor)) static void wt__st_join_ui(void) { wt__proxying_set_ui_self(); }
