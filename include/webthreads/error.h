/* webthreads — error codes.
 *
 * Every fallible webthreads call returns `int`: 0 (WT_OK) on success or a negative WT_E... code.
 * The codes come from one X-macro list so that the enum, wt_err_name() and wt_strerror() never drift
 * apart. Messages say what went wrong and, where a setting decides it, which knob to change.
 * Codes are stable: new codes are appended, values are never reused. Retired: -16..-21 (the pool's own
 * WT_EPOOL_* codes, replaced by WT_ERANGE plus the offending knob; README "Changes").
 * This is the lowest layer: messages name knobs by their table name (docs/config.md), never a
 * module's struct field or JS path.
 */
#ifndef WEBTHREADS_ERROR_H
#define WEBTHREADS_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, message) */
#define WT_ERRNO_MAP(X)                                                                            \
  X(OK, 0, "success")                                                                              \
  X(EINVAL, -1, "invalid argument")                                                                \
  X(ENOMEM, -2, "out of memory")                                                                   \
  X(EAGAIN, -3, "worker pool is at its cap: raise the knob pool.max (docs/config.md) or join "     \
                "threads first")                                                                   \
  X(ETIMEDOUT, -4, "timed out waiting for the target thread; raise the call's timeout_ms or make "  \
                   "the target return to its event loop")                                          \
  X(ECANCELED, -5, "canceled: the target thread exited (or its stack unwound) before finishing the "\
                   "call, or the caller left before the call's completion arrived")               \
  X(EWOULDBLOCK, -6, "refused: the call would block the UI thread (Atomics.wait is not allowed "   \
                     "there); use an async call or set the dangerous spin policy")                 \
  X(EAFFINITY, -7, "the call's arguments belong to different owner threads")                      \
  X(ESTALE, -8, "stale thread id: that thread has exited (its generation is gone)")               \
  X(ENOENT, -9, "unknown thread id: the thread never joined the registry")                        \
  X(EBUSY, -10, "busy: another live thread holds that role (wt_thread_adopt_ui: another thread is " \
                "the UI thread; let it leave first)")                                              \
  X(ERANGE, -11, "value out of range for its knob, or contradicting another knob (the report or "  \
                 "log line names the knob; docs/config.md lists every range)")                     \
  X(ENOTSUP, -12, "not supported on this platform or build")                                       \
  X(ECALL, -13, "the called function reported an error (see the call's message)")                 \
  X(ESTATE, -14, "not allowed in the current state (not initialized, or already shut down)")      \
  X(EFULL, -15, "thread registry is full; raise WT_PROXYING_MAX_THREADS (cmake "                   \
                "-DWT_PROXYING_MAX_THREADS=...) or let exited threads leave first")   \
  X(EINCALL, -22, "not allowed while the thread runs a call, completion or cancel function, or waits " \
                  "inside webthreads: return from it first (wt_thread_leave)")                          \
  X(EDEPTH, -23, "call nesting too deep: a waiting thread runs incoming calls on its own stack; "      \
                 "return first, or raise WT_PROXYING_MAX_DEPTH / lower WT_PROXYING_STACK_RESERVE "      \
                 "(cmake -D...) or give the thread a larger stack")                                    \
  X(EMAILBOX_FULL, -24, "the target thread's mailbox is full (WT_PROXYING_MAILBOX_MAX calls waiting): " \
                        "it is not keeping up; retry later, or raise WT_PROXYING_MAILBOX_MAX (cmake "   \
                        "-DWT_PROXYING_MAILBOX_MAX=...)")                                   \
  X(EHANDLE_STALE, -25, "stale handle: it was released already (double release) or its entry was "   \
                        "freed since")                                                               \
  X(EHANDLE_FORGED, -26, "not a handle: these bits were never issued by webthreads")                  \
  X(EOWNER_GONE, -27, "the handle's owner thread has exited: its objects were disposed")              \
  X(ENOT_OWNER, -28, "only the handle's owner thread may do this: route the call to "                 \
                     "wt_handle_owner(h)")                                                           \
  X(EHANDLES_FULL, -29, "this thread's handle table is full (WT_HANDLES_MAX live handles): release "  \
                        "some, or raise WT_HANDLES_MAX (cmake -DWT_HANDLES_MAX=..., at most 2^20-1)")     \
  X(EALREADY, -30, "already settled (or already bound): a completion settles exactly once")          \
  X(EDEADLK, -31, "refused: only this thread's own event loop could deliver what it would wait "    \
                  "for (a deadlock); register a continuation (wt_completion_then) and return")    \
  X(ENOT_TRANSFERABLE, -32, "the handle's value cannot be transferred to another thread (postMessage " \
                            "refused it: not an ArrayBuffer, MessagePort, OffscreenCanvas or other "  \
                            "transferable, or detached already); it stays with its owner: route the " \
                            "work to wt_handle_owner(h) instead")

typedef enum wt_err {
#define WT__ERR_ENUM(name, value, msg) WT_##name = (value),
  WT_ERRNO_MAP(WT__ERR_ENUM)
#undef WT__ERR_ENUM
} wt_err;

/* Human-readable message for `err`, naming the knob to change where one decides it.
 * Any thread; never blocks or allocates. Returns a static string; unknown codes give
 * "unknown webthreads error". */
const char *wt_strerror(int err);

/* The code's name without the "WT_" prefix ("EAGAIN", "OK"). Any thread; never blocks or allocates.
 * Returns a static string; unknown codes give "UNKNOWN". */
const char *wt_err_name(int err);

#ifdef __cplusplus
}
#endif
#endif /* WEBTHREADS_ERROR_H */
