/* Internal: completion/ services for the module's own JS bridge (completion/js_exports.c). */
#ifndef WT_COMPLETION_INTERNAL_H
#define WT_COMPLETION_INTERNAL_H

#include "webthreads/completion.h"

/* wt_await_sync whose `arg` is owned by the call: exactly one of start(c, arg) and drop(arg) runs —
 * drop on the calling thread when nothing was sent (every early return), or on the target as it
 * leaves before running start. Same returns as wt_await_sync; WT_EINVAL when start or drop is NULL
 * (then nothing runs and the caller keeps arg). */
int wt__await_sync_drop(wt_thread target, wt_async_start_fn start, wt_cancel_fn drop, void *arg, int timeout_ms,
                        wt_completion **out);

#endif
