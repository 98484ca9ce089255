/* webthreads — dedicated JS worker threads and the I/O thread.
 *
 * A dedicated JS worker thread is a thread with a JS realm of its own that it keeps: its start
 * function runs there, then — in the browser — the thread goes back to its JS event loop and stays
 * alive (timers, Promises, listeners and the JS objects it made keep working), serving the calls
 * routed to it (wt_call_async / wt_post / wt_call_sync from other threads, continuations
 * registered on it) until it is destroyed. It is what a managed runtime's JSWebWorker is built on.
 * On the host backend it serves its mailbox (wt_thread_serve) in place of the event loop.
 *
 * Its id is known at once: wt_worker_create returns it before the thread has started (calls posted
 * meanwhile queue), so the UI thread, which never blocks, can create one and use it right away.
 *
 * It runs its own event loop, so it must not block for what only that loop could deliver: a
 * completion wait there (wt_completion_wait) for a completion bound to itself or to no other live
 * thread is refused with WT_EDEADLK (register a continuation instead); wt_await_sync targeting
 * itself likewise. Blocking for other threads (wt_call_sync to another thread, a wait for a
 * completion another live thread will settle) is allowed.
 *
 * Destroy. wt_worker_destroy ends the thread when it next serves its mailbox: everything still
 * pending to it is canceled (sync callers get WT_ECANCELED, async completions WT_ECANCELED, posts'
 * cancel functions run), continuations registered on it run their cancel paths, completions bound
 * to it are canceled (pending Promises it owned reject), its handles are force-disposed. In the
 * browser its Worker is then terminated, never handed to another thread: user JS may have left
 * anything in its realm (wt_pool_stats: counted in `dirty` and `retired`).
 *
 * The I/O thread (wt_io_thread) is the library's one thread that never blocks: started on first use,
 * it only serves its mailbox from its event loop. Continuations of completions settled on the UI
 * thread (a JS Promise's) are meant to run there, so that they run even while the thread that will
 * consume the result (the deputy, or any worker) is blocked in a sync call or a wait.
 *
 * Errors are negative WT_E... codes (webthreads/error.h).
 */
#ifndef WEBTHREADS_WORKER_H
#define WEBTHREADS_WORKER_H

#include "webthreads/error.h"
#include "webthreads/proxying.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A worker's start function: runs once on the new thread, through the router's user-code boundary
 * (as a post to itself), before any other call to it. In the browser, the thread keeps running its
 * JS event loop after it returns. */
typedef void (*wt_worker_fn)(void *arg);

/* Creates a dedicated JS worker thread and stores its id in *out at once, before the thread runs
 * (calls to it queue meanwhile; wt_thread_check(*out) is 0). Exactly one of start(arg) and
 * cancel(arg) runs later, on the new thread: start (may be NULL) first thing, or, when the worker
 * was destroyed before it started, cancel (may be NULL) instead — so `arg` is never leaked. The
 * thread is detached: it ends only through wt_worker_destroy (or by exiting itself, which cancels
 * what is pending to it the same way).
 * Any thread, the UI thread included; never waits for the new thread (from a worker, the underlying
 * pthread_create takes one round trip to the UI thread, which never blocks). Allocates the thread,
 * one start record and one destroy record (so wt_worker_destroy cannot fail for memory or mailbox
 * room). Returns 0; WT_EINVAL (out NULL); WT_EFULL (thread registry full); WT_EAGAIN (no thread
 * could be started: the Worker pool is at its max); WT_ENOMEM. On error neither start nor cancel
 * runs and *out is untouched. */
int wt_worker_create(wt_worker_fn start, wt_cancel_fn cancel, void *arg, wt_thread *out);

/* Destroys dedicated JS worker thread `w`. Returns at once; the thread ends when it next serves its
 * mailbox — from its event loop, or inside a library wait (then that wait and the code around it
 * never return: the thread exits with pthread_exit, running its cleanup handlers and TSD
 * destructors). Everything sent to `w` before that is answered as it leaves (see the file comment);
 * nothing sent after wt_worker_destroy returned runs there: a call is refused with WT_ESTALE once the
 * worker has left, and before that accepted and then canceled (sync: WT_ECANCELED; async: its `done`
 * with WT_ECANCELED; post: its cancel function). A worker that destroys itself ends when it returns
 * to its event loop (or next serves). Browser: its Worker is terminated, not reused.
 * Any thread, the UI thread included; never blocks; allocates nothing (the destroy record was made by
 * wt_worker_create). Returns 0; WT_ESTALE (destroyed already, or the worker has exited); WT_ENOENT
 * (never issued); WT_EINVAL (a live thread that is not a dedicated JS worker thread: the UI thread,
 * the I/O thread, a thread that joined itself). */
int wt_worker_destroy(wt_thread w);

/* 1 when `t` is a live dedicated JS worker thread that has not been destroyed, else 0. Any thread;
 * lock-free. */
int wt_worker_is_worker(wt_thread t);

/* The library's I/O thread: stores its id in *out, starting it on the first call. Concurrent first
 * calls start exactly one thread and all get its id; every later call returns the same id at once.
 * Lifetime: until the process exits (it is never destroyed; wt_worker_destroy refuses it). What runs
 * there: only what is sent to it — posts, async calls, sync calls from other threads, continuations
 * (wt_completion_then(c, io, ...): e.g. for completions settled on the UI thread, so they run while
 * the thread that will use the result is blocked). What is refused there, because it never blocks:
 * wt_call_sync, wt_thread_serve, wt_completion_wait and wt_await_sync called on the I/O thread
 * return WT_EWOULDBLOCK. Functions run there must be short and must not block by other means
 * (mutexes, joins): its whole mailbox waits behind them.
 * Any thread, the UI thread included; never waits for the thread to start (its calls queue until it
 * does; the first call from a worker takes one round trip to the UI thread for pthread_create).
 * Allocates the thread on the first call only. Returns 0; WT_EINVAL (out NULL); WT_EFULL; WT_EAGAIN
 * (the thread could not be started: the Worker pool is at its max; a later call tries again, and the
 * id a concurrent first caller got meanwhile is stale: what it sent there is canceled); WT_ENOMEM. */
int wt_io_thread(wt_thread *out);

#ifdef __cplusplus
}
#endif
#endif /* WEBTHREADS_WORKER_H */
