/* webthreads — the runtime hooks: how a managed runtime (Mono) and webthreads see each other's threads.
 *
 * webthreads never links a runtime. A runtime (mono-glue/ for Mono, or a test runtime) fills one table
 * of hooks at start-up; webthreads calls them, and the runtime tells webthreads about its threads with
 * wt_runtime_thread_attached / _detached.
 *
 * GC-safe waits. A runtime with cooperative (or hybrid) suspend cannot finish a stop-the-world while an
 * attached thread is blocked outside a GC-safe region: the GC waits for it forever. webthreads blocks in
 * exactly one place (the futex sleep of its one wait: sync calls, serving, completion waits,
 * sync-over-async, waiting for a Worker, the joins it makes), and wraps that sleep in
 * enter_gc_safe / leave_gc_safe. The sleep is never nested, so webthreads never enters twice; a thread
 * that is already GC-safe when it calls in (a P/Invoke under hybrid/coop suspend) is the hook's to
 * recognise: it returns NULL and nothing is entered (mono-glue asks Mono for the thread's real state).
 * Spinning before the sleep stays GC-unsafe: it is bounded (WT_WAIT_SPIN_US), like any short native call.
 *
 * Threads. A thread the runtime attaches is joined to the routing registry (wt_runtime_thread_attached);
 * one it detaches leaves it (wt_runtime_thread_detached), so the registry and its stats follow the
 * runtime's threads. A runtime thread that exits without detaching still leaves the registry (the
 * registry's exit path); `thread_exiting` tells the runtime and the stats count it.
 */
#ifndef WEBTHREADS_RUNTIME_H
#define WEBTHREADS_RUNTIME_H

#include <stdint.h>

#include "webthreads/error.h"
#include "webthreads/proxying.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The hooks a runtime provides. Every hook runs on the thread it is about; none may block, call
 * webthreads or unwind. A NULL hook means "nothing to do" (may_block NULL: every thread may block). */
typedef struct wt_runtime_hooks {
  void *ctx; /* passed to every hook */
  /* The calling thread is about to sleep in webthreads. Enter a GC-safe region when the thread is
   * attached and GC-unsafe, and return a non-NULL cookie; return NULL when nothing was entered (not
   * attached, already GC-safe, suspend mode without regions). `sp` is the address of a local of the
   * waiting frame (the runtime may scan the stack up to it). Must not allocate (it may run while a GC
   * is starting). enter_gc_safe and leave_gc_safe are set together or not at all. */
  void *(*enter_gc_safe)(void *ctx, void **sp);
  /* The sleep is over: leave the region `cookie` (non-NULL, from enter_gc_safe on this thread). May
   * wait for a GC in progress to finish (that is the point of the region). */
  void (*leave_gc_safe)(void *ctx, void *cookie, void **sp);
  /* Before a blocking entry point (wt_call_sync, wt_thread_serve, wt_completion_wait, wt_await_sync)
   * starts: 0 refuses it with WT_EWOULDBLOCK (the runtime's "this thread must never block", e.g. a
   * thread running its JS event loop), non-zero lets it block. */
  int (*may_block)(void *ctx);
  /* A thread webthreads starts to run runtime code on (the I/O thread) begins / ends: attach it to the
   * runtime / detach it. attach returns 0 or a negative WT_E... code (the thread then runs unattached).
   */
  int (*attach)(void *ctx);
  void (*detach)(void *ctx);
  /* An attached thread left the registry without wt_runtime_thread_detached (it exited): last call about
   * it, on it, from the registry's exit path. */
  void (*thread_exiting)(void *ctx, wt_thread self);
} wt_runtime_hooks;

/* Installs the runtime's hooks (NULL: removes them). `hooks` is not copied: it must stay valid while
 * installed and until every wait that entered through it has left (a static table). Call at start-up,
 * before runtime threads block in webthreads; replacing a table while threads sleep is a misuse (a sleep
 * leaves through the table it entered with). Any thread; never blocks. Returns 0; WT_EINVAL when exactly
 * one of enter_gc_safe / leave_gc_safe is set. */
int wt_runtime_hooks_set(const wt_runtime_hooks *hooks);

/* The installed table, or NULL. Any thread; lock-free. */
const wt_runtime_hooks *wt_runtime_hooks_get(void);

/* The runtime attached the calling thread: it joins the routing registry (idempotent for the registry)
 * and is marked attached. Call it from the runtime's thread-attach callback, before the thread's first
 * routed call. Calling thread; never blocks; allocates nothing. Stores the thread's id in *out (may be
 * NULL). Returns 0; WT_EBUSY when already marked attached (a second attach is refused, nothing changes);
 * WT_EFULL when the registry is full (WT_PROXYING_MAX_THREADS). */
int wt_runtime_thread_attached(wt_thread *out);

/* The runtime detaches the calling thread: it leaves the registry like wt_thread_leave (what is pending
 * to it is canceled) and is no longer marked attached. Calling thread; may wait briefly (senders, see
 * wt_thread_leave). Returns 0; WT_ENOENT when the thread is not marked attached; WT_EINCALL from inside
 * a webthreads callback or wait (nothing changes: it leaves at exit instead). */
int wt_runtime_thread_detached(void);

/* 1 when the calling thread is marked attached, else 0. Calling thread; lock-free. */
int wt_runtime_thread_is_attached(void);

typedef struct wt_runtime_stats {
  uint64_t attached;         /* wt_runtime_thread_attached accepted */
  uint64_t detached;         /* wt_runtime_thread_detached accepted */
  uint64_t exited_attached;  /* attached threads that left the registry without detaching */
  uint32_t threads_attached; /* marked attached now */
  uint64_t gc_safe_entered;  /* sleeps wrapped in a region (enter_gc_safe returned a cookie) */
  uint64_t gc_safe_skipped;  /* sleeps with hooks installed whose enter_gc_safe returned NULL */
  uint64_t waits_refused;    /* blocking entry points refused by may_block */
} wt_runtime_stats;

/* Snapshot of the counters. Any thread; lock-free. `out` must not be NULL (asserts). */
void wt_runtime_stats_get(wt_runtime_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* WEBTHREADS_RUNTIME_H */
