/* webthreads — completions: one result, settled once, delivered across threads.
 *
 * A completion is the C side of a Promise or a managed Task: a waiter creates it, something (a JS
 * Promise on its owner thread, a C function on any thread) settles it once — resolved with a value,
 * rejected with a status and a message, or canceled — and whoever is interested learns the outcome:
 *   - a continuation (wt_completion_then) runs on the mailbox of the thread it names (by default the
 *     registering thread), after the completion settled, never inline;
 *   - a worker may block for it (wt_completion_wait), serving its own mailbox meanwhile like every
 *     library wait; the UI thread never blocks (refused), nor does a thread whose own event loop is
 *     the one that must settle it (refused: that would be a deadlock, not a wait).
 *
 * Exactly once. Settling is one compare-and-swap on the completion's state: of any number of
 * racing resolve / reject / cancel calls, from any threads, one wins and the others get
 * WT_EALREADY. Each continuation then runs exactly once — or, when the thread it must run on leaves
 * before it could run, its cancel function runs instead, exactly once. Nothing is left behind when
 * threads go:
 *   - the thread a completion is bound to (wt_completion_bind: "the thread whose event loop will
 *     settle it", e.g. the owner of the JS Promise behind it) leaves before settling it: the
 *     completion is canceled (WT_ECANCELED) as that thread leaves, so its waiters wake and its
 *     continuations run;
 *   - a thread that registered a continuation on itself leaves before the completion settles, or
 *     before its mailbox ran the continuation: its cancel function runs on that thread as it leaves;
 *   - a continuation registered for another thread (the I/O thread, say) whose thread is gone when
 *     the completion settles: its cancel function runs on the settling thread;
 *   - the last reference of a completion nobody settled is released (nobody can settle it any
 *     more): it is canceled (its continuations run with WT_ECANCELED), then freed once they ran.
 *
 * Costs. Settling takes no lock, never blocks and allocates nothing (except a resolve that copies a
 * bytes or string value): a GC finalizer may cancel. Each continuation costs one allocation when it is
 * registered (its mailbox record is made then, so delivering it cannot fail for want of memory or of
 * mailbox room). Delivery to a thread blocked in a library wait wakes it directly (a futex); to an idle
 * thread it is the router's one wake-up per batch.
 *
 * Reference counting: wt_completion_create returns one reference; every wt_completion_retain needs a
 * wt_completion_release. A waiter and a binding hold their own references while they need the
 * completion; a continuation does not keep it alive (it gets one while it runs). The value (its
 * bytes) lives as long as the completion.
 *
 * Errors: WT_EALREADY (settled already / bound already), WT_EDEADLK (a wait that only this thread's
 * own event loop could end), WT_EWOULDBLOCK (a wait on the UI thread or the I/O thread), WT_ETIMEDOUT,
 * WT_EINVAL, WT_ENOMEM, WT_ESTALE / WT_ENOENT (a thread named is gone / unknown).
 */
#ifndef WEBTHREADS_COMPLETION_H
#define WEBTHREADS_COMPLETION_H

#include <stddef.h>
#include <stdint.h>

#include "webthreads/error.h"
#include "webthreads/proxying.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wt_completion wt_completion;

/* What a completion was resolved with. BYTES and STRING point at the completion's own copy (STRING is
 * UTF-8 and NUL-terminated; len excludes the NUL); HANDLE is a wt_handle's bits (webthreads/handles.h),
 * owned by the thread that registered it. */
typedef enum wt_value_kind {
  WT_VALUE_NONE = 0, /* undefined / void */
  WT_VALUE_U64 = 1,  /* integer (JS: BigInt, boolean) */
  WT_VALUE_F64 = 2,  /* JS number */
  WT_VALUE_BYTES = 3,
  WT_VALUE_STRING = 4,
  WT_VALUE_HANDLE = 5, /* a JS object, registered in its owner's handle table */
} wt_value_kind;

typedef struct wt_value {
  wt_value_kind kind;
  union {
    uint64_t u64; /* U64, HANDLE */
    double f64;   /* F64 */
  };
  const void *data; /* BYTES, STRING */
  size_t len;       /* BYTES, STRING: byte length */
} wt_value;

/* wt_completion_result_get's return value while the completion has not settled. */
#define WT_COMPLETION_PENDING 1

/* Runs on the thread named at registration, after `c` settled (read the outcome with
 * wt_completion_result_get; `c` is valid during the call — retain it to keep it). */
typedef void (*wt_completion_fn)(wt_completion *c, void *arg);

/* ------------------------------------------------------------------ lifetime */

/* Creates a pending completion and stores it in *out with one reference. Any thread; allocates.
 * Returns 0, WT_EINVAL (out NULL), WT_ENOMEM. */
int wt_completion_create(wt_completion **out);

/* Takes one more reference. Any thread; lock-free. `c` must be live (asserts). */
void wt_completion_retain(wt_completion *c);

/* Drops one reference; the last one frees `c` — canceling it first when it never settled (its
 * continuations then run with WT_ECANCELED, and `c` is freed after the last of them returned; no
 * waiter can exist then, as waiters hold references). Any thread; never blocks; lock-free. NULL is
 * ignored. */
void wt_completion_release(wt_completion *c);

/* ------------------------------------------------------------------ settling (exactly once) */

/* Resolves `c` with *value (NULL: WT_VALUE_NONE). BYTES / STRING are copied (one allocation; STRING:
 * `len` bytes, or strlen(data) when len is 0). Any thread; never blocks, takes no lock; allocates only
 * for BYTES / STRING. Returns 0; WT_EALREADY (settled already: nothing changed, nothing copied);
 * WT_EINVAL (c NULL, unknown kind, data NULL with len > 0); WT_ENOMEM (c stays pending). */
int wt_completion_resolve(wt_completion *c, const wt_value *value);

/* Rejects `c` with `status` (non-zero: a negative WT_E... code, or the application's own code) and a
 * short message (copied, truncated to WT_CALL_MESSAGE_MAX - 1 bytes; NULL: ""). Any thread; never
 * blocks, takes no lock, allocates nothing. Returns 0, WT_EALREADY, WT_EINVAL (c NULL or status 0). */
int wt_completion_reject(wt_completion *c, int status, const char *message);

/* Cancels `c`: rejects it with WT_ECANCELED when it is still pending. Any thread, a GC finalizer
 * included; never blocks, takes no lock, allocates nothing. Returns 0, WT_EALREADY, WT_EINVAL. */
int wt_completion_cancel(wt_completion *c);

/* Binds `c` to `settler`, the thread whose event loop is expected to settle it (the owner of the JS
 * Promise behind it): if that thread leaves (or exits) while `c` is pending, `c` is canceled as it
 * leaves; a wait for `c` on `settler` itself is refused with WT_EDEADLK. WT_THREAD_NONE: the calling
 * thread (joins it). At most one binding per completion. Any thread; binding another thread allocates
 * one mailbox record (the binding is made when that thread next serves its mailbox; if it leaves
 * first, `c` is canceled). Returns 0; WT_EALREADY (bound already, or settled); WT_ESTALE / WT_ENOENT
 * (settler gone / never joined: nothing changed); WT_EINVAL; WT_ENOMEM; WT_EFULL (could not join). */
int wt_completion_bind(wt_completion *c, wt_thread settler);

/* ------------------------------------------------------------------ observing */

/* The outcome of `c`: returns WT_COMPLETION_PENDING (nothing written), 0 (resolved: *value filled),
 * or its rejection status (WT_ECANCELED, a WT_E... code, or the application's code; res->message
 * holds its message). res and value may be NULL. value->data stays valid while `c` lives. Any thread;
 * lock-free; no allocation. A settle call that lost the race (WT_EALREADY) may still read PENDING for
 * the few instructions the winner takes to write the outcome: read it from a continuation or a wait. */
int wt_completion_result_get(const wt_completion *c, wt_result *res, wt_value *value);

/* Registers fn(c, arg) to run on thread `where`'s mailbox once `c` settled (at once if it has: still
 * through the mailbox, never inline). WT_THREAD_NONE: the calling thread (joins it). Exactly one of
 * fn and cancel (may be NULL) runs, exactly once:
 *   - fn, on `where`, when it serves its mailbox after `c` settled (its event loop, or a library wait);
 *   - cancel(arg) instead when `where` leaves before fn ran: on `where` as it leaves when it is the
 *     registering thread or `c` had settled already; otherwise (the continuation was waiting for `c`
 *     and `where` was another thread) on the thread that settles or frees `c`.
 * Any thread; allocates a node and its mailbox record (so delivery never fails for memory or mailbox
 * room). It does not
 * keep `c` alive: if the last reference goes while `c` is pending, `c` is canceled and fn runs (with
 * WT_ECANCELED); `c` is valid during fn. Returns 0 (fn or cancel will run), WT_EINVAL (c or fn
 * NULL), WT_ENOMEM, WT_ESTALE / WT_ENOENT (`where` gone / never joined), WT_EFULL (could not join);
 * on error neither runs. */
int wt_completion_then(wt_completion *c, wt_thread where, wt_completion_fn fn, wt_cancel_fn cancel,
                       void *arg);

/* Blocks until `c` settles, at most timeout_ms (< 0: no limit), serving the calling thread's mailbox
 * meanwhile (calls to it, continuations, releases run as in wt_call_sync). Returns what
 * wt_completion_result_get would (0 or the rejection status) once settled; or, nothing changed:
 * WT_ETIMEDOUT (`c` still pending); WT_EWOULDBLOCK on the UI thread or the I/O thread (they never
 * block: register a continuation instead); WT_EDEADLK when `c` is bound to the calling thread (only
 * its own event loop could settle it) or the calling thread is a dedicated JS worker thread and `c`
 * is bound to no other thread; WT_EDEPTH (nesting bound, see proxying.h); WT_EFULL; WT_ENOMEM;
 * WT_EINVAL. Calling thread; a wait that does not find `c` settled allocates one node (the settle
 * wakes the waiter directly, nothing goes through its mailbox). */
int wt_completion_wait(wt_completion *c, int timeout_ms);

/* ------------------------------------------------------------------ sync over async */

/* Starts the async work on its target thread: must arrange for `c` to be settled (from a JS Promise,
 * a later call, anything), or return a non-zero status (then `c` is rejected with it and its message
 * is wt_strerror's). Runs on the target thread, with `c` already bound to it. */
typedef int (*wt_async_start_fn)(wt_completion *c, void *arg);

/* Sync over async: runs start(c, arg) on `target` (WT_THREAD_NONE: the UI thread) with a new
 * completion bound to `target`, and blocks until it settles (serving the caller's mailbox), at most
 * timeout_ms (< 0: no limit). When it settled, *out (may be NULL) receives `c` with one reference
 * (release it after reading its value). Returns c's outcome (0 or its rejection status; WT_ECANCELED
 * when `target` left first); WT_ETIMEDOUT (`c` canceled; `start` may still run or have run, its
 * settle then returns WT_EALREADY); WT_EWOULDBLOCK (called on the UI thread or the I/O thread);
 * WT_EDEADLK (target is the calling thread: its own event loop would have to run the work);
 * WT_ESTALE / WT_ENOENT (target gone / never joined), WT_EINVAL (start NULL), WT_ENOMEM, WT_EFULL,
 * WT_EDEPTH (the start is a prepared post: a full mailbox does not refuse it). *out is NULL on every
 * return but 0 and a rejection. Calling thread; blocks; allocates the completion, the start's context
 * and record, and the wait's node. */
int wt_await_sync(wt_thread target, wt_async_start_fn start, void *arg, int timeout_ms,
                  wt_completion **out);

/* ------------------------------------------------------------------ stats */

typedef struct wt_completion_stats {
  uint64_t created;            /* wt_completion_create that succeeded */
  uint64_t freed;              /* completions whose last reference went */
  uint64_t resolved;           /* settled by wt_completion_resolve */
  uint64_t rejected;           /* settled by wt_completion_reject (WT_ECANCELED excluded) */
  uint64_t canceled;           /* settled with WT_ECANCELED (cancel, binding thread left, last release) */
  uint64_t refused;            /* settle calls that lost the race (WT_EALREADY) */
  uint64_t continuations_run;  /* continuation functions run */
  uint64_t continuations_canceled; /* continuations whose cancel path ran instead */
  uint64_t live;               /* completions not freed yet */
} wt_completion_stats;

/* Snapshot of process-wide counters. Any thread; lock-free. `out` must not be NULL (asserts). */
void wt_completion_stats_get(wt_completion_stats *out);

/* ------------------------------------------------------------------ JS (browser builds)
 *
 * JS Promises and completions (js/library_completion.js; full contracts there). On the thread that owns
 * a Promise (its event loop settles it), from JS, EM_ASM or EM_JS:
 *   wtCompletion.fromPromise(promise, c) -> 0 or a WT_E code: binds c to this thread and settles c when
 *       the promise settles. Values: undefined/null -> NONE, number -> F64, bigint / boolean -> U64,
 *       string -> STRING, ArrayBuffer / TypedArray / DataView -> BYTES (copied), other objects -> HANDLE
 *       (registered here; the reader owns its managed side: wt_handle_release it once). Rejection ->
 *       wt_completion_reject(c, reason.code if a WT_E code else WT_ECALL, String(reason)). This thread
 *       leaving first cancels c; a later settle is a no-op. Takes its own reference.
 *   wtCompletion.toPromise(c) -> a Promise of this thread, settled by a continuation on this thread:
 *       NONE -> undefined, U64 -> BigInt, F64 -> number, STRING -> string, BYTES -> Uint8Array (a copy),
 *       HANDLE -> the object when this thread owns it, else a BigInt; rejection -> an Error with .code =
 *       status and the message. Rejected with .code WT_ECANCELED when this thread leaves or exits first.
 *   wtCompletion.define(name, asyncFn): makes asyncFn(arg) runnable on this thread by wt_await_js_sync
 *       (also Module.webthreads.async[name] on the main runtime thread).
 */

#if defined(__EMSCRIPTEN__) && defined(__EMSCRIPTEN_PTHREADS__) /* threaded browser builds only */
/* Sync over async JS: runs the async JS function defined as `fn_name` on `target` (WT_THREAD_NONE: the
 * UI thread — the main runtime thread, also under PROXY_TO_PTHREAD) with `arg` (a C string, copied; NULL:
 * the function gets null), and blocks until the Promise it returns settles, at most timeout_ms (< 0: no
 * limit), serving the calling thread's mailbox meanwhile. The function runs from the target's mailbox
 * (its event loop: the target must return to it for the Promise to settle); its result settles the
 * completion as wtCompletion.fromPromise does (a synchronous throw rejects it). When it settled, *out (may
 * be NULL) receives the completion with one reference: read its value (wt_completion_result_get), then
 * release it. Calling thread: a worker; blocks; allocates one copy of the strings, the completion and two
 * records (browser builds; the host build does not have it).
 * Returns the outcome: 0 (resolved), the rejection status (WT_ECALL or the Error's WT code, message in
 * wt_completion_result_get's wt_result), WT_EINVAL with a message naming `fn_name` when the target has no
 * such function, WT_ECANCELED (the target left first); or, *out NULL: WT_ETIMEDOUT (the completion is
 * canceled; the function may still run, its result is then ignored), WT_EWOULDBLOCK (called on the UI
 * thread or the I/O thread), WT_EDEADLK (target is the calling thread), WT_ESTALE / WT_ENOENT (target
 * gone / never joined), WT_EINVAL (fn_name NULL or ""), WT_ENOMEM, WT_EFULL, WT_EMAILBOX_FULL, WT_EDEPTH. */
int wt_await_js_sync(wt_thread target, const char *fn_name, const char *arg, int timeout_ms,
                     wt_completion **out);
#endif

#ifdef __cplusplus
}
#endif
#endif /* WEBTHREADS_COMPLETION_H */
