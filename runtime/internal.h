/* Internal: the runtime hooks as the core uses them (runtime.c; see webthreads/runtime.h).
 *
 * common/wait.c brackets its one sleep with wt__runtime_sleep_enter/_leave; the blocking entry points
 * (router: wt_call_sync, wt_thread_serve; completion waits go through serve) ask wt__runtime_may_block.
 * The I/O thread asks the runtime to attach it with wt__runtime_attach_self.
 */
#ifndef WT_RUNTIME_INTERNAL_H
#define WT_RUNTIME_INTERNAL_H

#include "webthreads/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Calling thread, just before the futex sleep. Returns the cookie to pass to wt__runtime_sleep_leave
 * (NULL: no region was entered) and the table it used in *used. Never blocks, never allocates. */
void *wt__runtime_sleep_enter(const wt_runtime_hooks **used, void **sp);
/* Calling thread, just after the sleep, with what wt__runtime_sleep_enter gave (cookie non-NULL). */
void wt__runtime_sleep_leave(const wt_runtime_hooks *used, void *cookie, void **sp);
/* 1 when the calling thread may block (no hook, or the hook says yes), 0 when the runtime refuses
 * (counted). Calling thread; never blocks. */
int wt__runtime_may_block(void);
/* A thread webthreads started to run runtime code: the runtime's attach hook, if any. */
void wt__runtime_attach_self(void);

#ifdef __cplusplus
}
#endif
#endif
