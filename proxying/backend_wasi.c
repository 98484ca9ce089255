/* WASI backend (wasm32-wasi without threads, the `wasi` preset: WT_SINGLE_THREADED and __wasi__). One
 * thread, the program's, and no event loop: WASI preview 1 has no timers and no callbacks, a command
 * runs main() and ends. The thread joins the registry at start-up as the UI thread and is the only
 * thread there will ever be. router.c is unchanged; what follows from it (the same contract as the
 * single-threaded emscripten build, backend_st.c, minus its event loop):
 *   - a call to oneself (wt_call_sync / wt_call_async / wt_post to wt_thread_self()) runs inline;
 *   - every other id fails in the registry: WT_ENOENT (never issued) or WT_ESTALE (an earlier
 *     generation);
 *   - what is queued to oneself (an async call's done, a handle release batch, a completion's
 *     continuation) stays in the mailbox until the program calls wt_thread_poll — the program's own
 *     loop is the only one there is; nothing runs it behind the program's back, and what is still
 *     queued when the program exits is dropped. An idle wake-up only bumps the slot's `notified` word,
 *     as on the host (wt__proxying_wait_notified sees it at once: tests check that the router asked);
 *   - the thread is the UI thread: it never blocks, because nothing could ever wake it
 *     (wt_thread_serve, wt_call_sync's wait, wt_completion_wait: WT_EWOULDBLOCK), and never leaves
 *     (wt_thread_leave: WT_EINVAL).
 * The user-code guard is router.c's host one (a C cleanup); there is nothing for it to catch: the
 * library is built without exceptions, and WASI has neither pthread_exit nor a JS unwind. */
#include "proxying/internal.h"

#include "common/threads.h"

#if !defined(WT_SINGLE_THREADED) || !defined(__wasi__)
#error "proxying/backend_wasi.c is the backend of wasm32-wasi builds without threads only"
#endif

void wt__backend_init(void) {}

int wt__backend_is_browser_ui(void) { return 1; } /* "may not block": nothing can wake it */

int wt__backend_notify_idle(wt__slot *s) {
  atomic_fetch_add(&s->notified, 1); /* nothing to wake: the work waits for wt_thread_poll */
  return 1;
}

int wt_thread_adopt_ui(void) { return WT_ENOTSUP; }

/* The one thread is the UI thread: it joins before main() runs. */
__attribute__((constructor)) static void wt__wasi_join_ui(void) { wt__proxying_set_ui_self(); }
