/* webthreads — thread identity and thread-affine call routing.
 *
 * JS objects belong to one thread. This module lets any thread run a function on the thread that owns
 * something: the UI thread (DOM), or a worker (its own JS objects). Each participating thread has a
 * mailbox; a call is an item put in the target's mailbox and run by the target when it serves it:
 *   - in the browser, when it returns to its JS event loop (one wake-up per batch, sent on the library's
 *     own em_proxying_queue — never the system queue), or
 *   - at once, while it is blocked inside the library (wt_call_sync, wt_thread_serve): a thread that
 *     waits keeps serving its own mailbox, so A sync-calls B, B sync-calls A completes;
 *   - on the host backend (plain pthreads, used to test the logic natively), in wt_thread_poll /
 *     wt_thread_serve, which stand in for the event loop.
 *
 * Thread ids carry a generation: the id of a thread that left is never confused with a later thread in
 * the same registry slot, Worker or pthread_t. Calls to a stale id fail at once with WT_ESTALE, to an id
 * that was never issued with WT_ENOENT. When a target leaves (explicitly, or automatically at thread
 * exit) everything still pending to it completes with WT_ECANCELED: sync callers wake, async completions
 * run with that status, posts are dropped (their cancel function runs; counted in the stats).
 *
 * Errors are negative WT_E... codes (webthreads/error.h). The called function returns 0 or its own
 * non-zero error; that comes back as WT_ECALL plus the function's code and short message in wt_result.
 *
 * User code and the thread's stack. Every function, completion (`done`) and cancel function runs
 * through one boundary that records it on the running thread, as does every library wait
 * (wt_call_sync, wt_thread_serve, wt_thread_poll). Rules:
 *   - wt_thread_leave with any of those on the stack is refused with WT_EINCALL (leave after they
 *     return; a thread that exits from inside them leaves correctly, see the next rule);
 *   - a function that never returns — pthread_exit, a C++ exception that leaves it, a JS unwind
 *     (emscripten_unwind_to_js_event_loop) — answers its call with WT_ECANCELED (the sync caller
 *     wakes, the async completion is sent, the record is freed) and the thread's serving state is
 *     restored; the same holds for a library wait it unwinds through (its own call is withdrawn).
 *     An exception propagates on to the code that catches it. A JS unwind that reaches the event-loop
 *     task that ran the call ends there (the thread goes on serving). C++ exceptions are supported where
 *     the program is built with them (the host build compiles the router with -fexceptions);
 *   - nesting is bounded: a thread that waits runs incoming calls on its own stack, so a wait (or a
 *     call to oneself) needs WT_PROXYING_MAX_DEPTH frames (64) not yet in use and
 *     WT_PROXYING_STACK_RESERVE bytes (16 KB) of stack left, else it fails with WT_EDEPTH.
 *
 * Mailboxes are bounded: at most WT_PROXYING_MAILBOX_MAX (2^18) calls wait for one thread; a sender
 * beyond that gets WT_EMAILBOX_FULL at once (nothing is queued: backpressure; retry later).
 * Completions never count, so an answer is never refused. Serving is fair: a thread runs a snapshot
 * of its mailbox per drain, and a waiting sync caller returns as soon as its answer is in, however
 * many calls keep arriving. (Build-time knobs: cmake -DWT_PROXYING_MAX_DEPTH=..., and so on.)
 *
 * Single-threaded builds (emscripten without -pthread: the wasm-st preset, cmake -DWT_THREADS=OFF;
 * docs/single-threaded.md; and wasm32-wasi: the wasi preset, docs/wasi.md). There is one thread, the
 * main thread; it joins at start-up as the UI thread, so wt_thread_self() == wt_thread_ui(). The same
 * rules hold, and what follows from them is:
 *   - a call to oneself (wt_call_sync, wt_call_async, wt_post) runs inline, as in every build; an async
 *     call's `done` runs from the mailbox: at the next wt_thread_poll, or under emscripten from the
 *     event loop (one 0 ms timer per batch; no Worker, no shared memory). WASI has no event loop: there
 *     it waits for wt_thread_poll (what is still queued when the program exits is dropped);
 *   - every other id is refused at once with WT_ENOENT (no other thread is ever issued; WT_THREAD_NONE
 *     and ids read from elsewhere included) — nothing is queued and no function runs;
 *   - the one thread never blocks and never leaves: wt_thread_serve gives WT_EWOULDBLOCK,
 *     wt_thread_leave WT_EINVAL, wt_thread_adopt_ui WT_ENOTSUP; wt_thread_poll works;
 *   - the pool, dedicated workers, the I/O thread and the deputy (pool.h, worker.h, deputy.h) return
 *     WT_ENOTSUP; handles and completions work on the one thread (a release queued to oneself is
 *     applied at the next poll or, under emscripten, from the event loop). The JS bridges
 *     (wtProxying, wtHandles, wtCompletion) are part of the threaded build only.
 */
#ifndef WEBTHREADS_PROXYING_H
#define WEBTHREADS_PROXYING_H

#include <stddef.h>
#include <stdint.h>

#include "webthreads/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ thread identity */

/* A thread's id in the registry: slot (low 32 bits, 1-based) and generation (high 32 bits, 1 .. 2^22-1:
 * a slot's generations wrap after 2^22 threads, so a handle can carry its owner's id). Plain value;
 * compare with wt_thread_equal. {0} (WT_THREAD_NONE) is no thread. */
typedef struct wt_thread {
  uint64_t bits;
} wt_thread;

#define WT_THREAD_NONE ((wt_thread){0})

/* Registers the calling thread (idempotent: a joined thread gets its current id back) and stores its id
 * in *out (may be NULL). Threads also join automatically on their first wt_call_* / wt_post / poll. A
 * joined thread leaves automatically when it exits. Any thread; allocates nothing (static registry of
 * WT_PROXYING_MAX_THREADS slots). Returns 0, or WT_EFULL when every slot is taken. */
int wt_thread_join(wt_thread *out);

/* The calling thread leaves the registry: its id becomes stale, every call pending to it completes with
 * WT_ECANCELED (post cancel functions run here, on this thread), completions addressed to it that it has
 * not run yet run now, and its own async calls whose completion has not arrived complete here too, with
 * WT_ECANCELED (a call not started yet is withdrawn and never runs; one already running finishes on its
 * target and its result is discarded). Waits (briefly) for senders that are notifying it. Calling thread
 * only. Returns 0; WT_EINCALL from inside a function, completion, cancel or wt_thread_serve's `until`
 * (user code or a library wait on the stack: nothing is changed); WT_ENOENT when the thread had not
 * joined; WT_EINVAL on the UI thread of a browser build (it never leaves). If a callback run here
 * unwinds out of it, the thread is left half-gone: call it again (or exit) to finish. */
int wt_thread_leave(void);

/* The calling thread's id, or WT_THREAD_NONE when it has not joined. Any thread; lock-free. */
wt_thread wt_thread_self(void);

/* The UI thread's id. Browser: the main runtime thread, joined at start-up. Host backend: the thread
 * that called wt_thread_adopt_ui(), else WT_THREAD_NONE. Any thread; lock-free. */
wt_thread wt_thread_ui(void);

/* 1 when the calling thread is the UI thread, else 0. Any thread; lock-free. */
int wt_thread_is_ui(void);

/* Host backend only: makes the calling thread "the UI thread" (joins it): sync calls from it are refused
 * like in the browser, and it runs its event loop with wt_thread_serve. Calling thread; never blocks;
 * allocates nothing. Returns 0, WT_EBUSY when another live thread is the UI thread, WT_EFULL when it
 * could not join, WT_ENOTSUP in browser builds (the main runtime thread is the UI thread). */
int wt_thread_adopt_ui(void);

/* 0 when `t` is a live, joined thread; WT_ESTALE when it has left; WT_ENOENT when never issued. Tells
 * "owner exited" apart from "owner busy" (a busy owner is live). Any thread; lock-free. */
int wt_thread_check(wt_thread t);

/* 1 when `a` and `b` are the same id (slot and generation), else 0; WT_THREAD_NONE equals only itself.
 * Compares the values only (says nothing about liveness: wt_thread_check). Any thread; pure bit work. */
static inline int wt_thread_equal(wt_thread a, wt_thread b) { return a.bits == b.bits; }

/* Picks the target "by affinity": the owners of a call's arguments must agree. NONE entries (unowned
 * arguments) are skipped. Stores the common owner in *out. Any thread; lock-free, no allocation.
 * Returns 0; WT_EAFFINITY when two owners differ; WT_EINVAL when n == 0, owners/out is NULL or every
 * entry is NONE. The owner's liveness is checked by the call that uses it. */
int wt_thread_by_affinity(const wt_thread *owners, size_t n, wt_thread *out);

/* ------------------------------------------------------------------ calls */

#define WT_CALL_MESSAGE_MAX 96

/* What came back from a call. status: 0, WT_ECALL (the function returned fn_error != 0, its message in
 * `message`), or a routing error (WT_ECANCELED, WT_ESTALE, WT_ETIMEDOUT, ...). message is always
 * NUL-terminated ("" when the function set none). */
typedef struct wt_result {
  int status;
  int fn_error;
  char message[WT_CALL_MESSAGE_MAX];
} wt_result;

/* A call being run, as seen by its function (valid only during that function). */
typedef struct wt_call wt_call;

/* The function run on the target thread. Returns 0, or its own non-zero error code (reported to the
 * caller as WT_ECALL with fn_error = that code). Runs on the target thread only. */
typedef int (*wt_fn)(wt_call *call, void *arg);

/* Async completion: runs on the caller's thread when it serves its mailbox (browser: its event loop),
 * exactly once for each accepted wt_call_async. `res` is valid during the callback only. */
typedef void (*wt_done_fn)(const wt_result *res, void *done_arg);

/* Post cancel path: runs instead of the function when a post is dropped (target left), on the leaving
 * target thread, so `arg` is never leaked. */
typedef void (*wt_cancel_fn)(void *arg);

/* From inside a wt_fn: sets the short message reported with a non-zero return (copied, truncated to
 * WT_CALL_MESSAGE_MAX - 1 bytes). Target thread, during the call only. Does not allocate. */
void wt_call_set_message(wt_call *call, const char *message);

/* The caller's thread id, from inside a wt_fn (WT_THREAD_NONE for a post). Target thread, during the
 * call only; pure bit work. */
wt_thread wt_call_caller(const wt_call *call);

/* Runs fn(arg) on `target` and waits for it; returns the call's status and fills *res (may be NULL).
 * A call to oneself runs inline. While waiting, the caller keeps serving its own mailbox (nested calls
 * complete). timeout_ms < 0: wait as long as the target lives; otherwise WT_ETIMEDOUT after that many
 * ms: a call not yet started is withdrawn and never runs, one already running finishes on the target
 * with its result discarded — `arg` must then stay valid until fn returns. It returns as soon as its
 * answer is in, however many calls keep arriving for it meanwhile.
 * Blocks; allocates one call record. Not on the UI thread: WT_EWOULDBLOCK unless the dangerous spin
 * policy is set (wt_proxying_set_ui_policy). Returns 0, WT_ECALL, WT_ECANCELED (target left, or fn
 * never returned: thread exit, exception, JS unwind), WT_ESTALE, WT_ENOENT, WT_ETIMEDOUT,
 * WT_EWOULDBLOCK, WT_EINVAL (fn NULL), WT_ENOMEM, WT_EFULL (the caller could not join),
 * WT_EMAILBOX_FULL (the target's mailbox is full: nothing queued), WT_EDEPTH (nesting bound). */
int wt_call_sync(wt_thread target, wt_fn fn, void *arg, int timeout_ms, wt_result *res);

/* Queues fn(arg) on `target` and returns at once. done(res, done_arg) runs later on the caller's thread,
 * exactly once: with fn's result; WT_ECANCELED when the target left first or fn never returned; or,
 * when the caller leaves (or exits) before the completion arrives, during that leave, on the caller's
 * thread, with WT_ECANCELED (see wt_thread_leave). So done_arg is never leaked. A call to oneself runs
 * fn inline and queues the completion to the caller's own mailbox. Any thread; never blocks;
 * allocates one record. Returns 0 (done will run), or WT_ESTALE / WT_ENOENT / WT_EINVAL / WT_ENOMEM /
 * WT_EFULL / WT_EMAILBOX_FULL / WT_EDEPTH (to oneself, nesting bound) (done never runs). */
int wt_call_async(wt_thread target, wt_fn fn, void *arg, wt_done_fn done, void *done_arg);

/* Fire and forget: queues fn(arg) on `target`; fn's result is ignored. If the target leaves first, the
 * post is dropped: cancel(arg) runs (when not NULL) and the drop is counted. A post to oneself runs
 * inline. Any thread; never blocks; allocates one record. Returns 0 (fn or cancel will run), or
 * WT_ESTALE / WT_ENOENT / WT_EINVAL / WT_ENOMEM / WT_EMAILBOX_FULL / WT_EDEPTH (to oneself) (nothing
 * will run). */
int wt_post(wt_thread target, wt_fn fn, wt_cancel_fn cancel, void *arg);

/* ------------------------------------------------------------------ serving */

/* Runs the calls and completions that were waiting in the calling thread's mailbox when it was called
 * (a snapshot: what arrives meanwhile waits for the next poll, so a flood cannot keep it here); does
 * not block. Joins the thread if needed. Returns the number run (>= 0), WT_EFULL, or WT_EDEPTH
 * (nesting bound). Any thread (the browser runs it for you from the event loop). */
int wt_thread_poll(void);

/* Serving loop: blocks, running calls as they arrive, until until(until_arg) returns non-zero (checked
 * before each sleep, after each batch; wake a server whose condition changed by posting it a call) or
 * timeout_ms passes (< 0: no timeout). `until` may be NULL: serve until the timeout. The host backend's
 * stand-in for the UI thread's event loop; on workers, "busy in library code" that still answers calls
 * at once. Calling thread (it serves its own mailbox); blocks; allocates nothing itself (the calls it
 * runs may). Returns 0 when until() held, WT_ETIMEDOUT, WT_EWOULDBLOCK on the browser's UI thread (it
 * must return to its event loop instead), on the I/O thread, or when the runtime's may_block refuses
 * (webthreads/runtime.h), WT_EFULL, WT_EDEPTH (nesting bound). `until` runs on this thread and must not
 * leave (WT_EINCALL). */
int wt_thread_serve(int (*until)(void *until_arg), void *until_arg, int timeout_ms);

/* ------------------------------------------------------------------ policy and stats */

typedef enum wt_ui_policy {
  /* Default: wt_call_sync on the UI thread returns WT_EWOULDBLOCK. */
  WT_UI_POLICY_REFUSE = 0,
  /* DANGEROUS: the UI thread spin-waits for sync calls (serving its own mailbox while spinning). It
   * freezes the page for the whole call and deadlocks if the target needs the UI thread's event loop
   * (e.g. it creates a Worker or waits for a JS Promise). Tests and measurements only. */
  WT_UI_POLICY_DANGEROUS_SPIN = 1,
} wt_ui_policy;

/* Sets the UI thread's policy for blocking calls. Any thread; takes effect for later calls. Returns 0 or
 * WT_EINVAL. */
int wt_proxying_set_ui_policy(wt_ui_policy policy);

typedef struct wt_proxying_stats {
  uint64_t posts_dropped;       /* posts whose target left before running them */
  uint64_t calls_canceled;      /* sync + async calls completed with WT_ECANCELED (target or caller left) */
  uint64_t completions_dropped; /* async completions that found their caller gone (it ran `done` itself) */
  uint32_t threads_live;        /* threads joined now */
  uint64_t calls_unwound;       /* calls whose function never returned (exit, exception, JS unwind) */
  uint64_t wakeups_failed;      /* event-loop wake-ups that could not be sent (retried) */
  uint64_t mailbox_full;        /* calls refused with WT_EMAILBOX_FULL */
  uint64_t records_in_use;      /* call records (sync, async, post) taken and not yet given back: back
                                   to its earlier value once nothing is in flight (a leak check) */
} wt_proxying_stats;

/* Snapshot of process-wide counters. Any thread; lock-free. `out` must not be NULL (asserts). */
void wt_proxying_stats_get(wt_proxying_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* WEBTHREADS_PROXYING_H */
