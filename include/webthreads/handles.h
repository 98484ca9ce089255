/* webthreads — per-thread handle tables and GC-safe release from any thread.
 *
 * A handle names an object (a JS value, or a C value on the host) that belongs to one thread: its
 * owner. Each joined thread (each JS realm) has its own table. A managed runtime keeps the handle in a
 * proxy; the proxy's finalizer may run on any thread, also while the owner is blocked in a wait or
 * suspended by the same GC, so releasing never waits for the owner.
 *
 * A handle is 64 bits, read without any lookup:
 *   bits  0..9   owner's registry slot + 1      bits 32..51  entry index + 1
 *   bits 10..31  owner's generation (22 bits)   bits 52..63  entry generation (12 bits)
 * so wt_handle_owner() is pure bit work and routing by argument affinity works on handles
 * (wt_thread_by_affinity over the owners). Handle 0 ({0}) is never valid. A handle of a thread that
 * left, of an entry freed since (even if the entry was reused: its generation differs), a second
 * release, or bits that were never issued are detected, counted (wt_handles_stats) and refused; they
 * never touch another object. An entry index is used at most 4095 times per owner thread (its
 * generation would wrap), then retired for that thread's life (counted): a thread registers up to
 * about 4 * 10^9 handles in its lifetime.
 *
 * Two-sided ownership. A new entry is held by two sides: the managed side (released with
 * wt_handle_release, from any thread) and the owner's side (JS: `wtHandles.release(h)`; C:
 * wt_handle_release_local, owner thread only). It is freed — its free function runs, or its JS value
 * is dropped — on the owner, only after both let go, in either order.
 *
 * Release path. wt_handle_release marks the entry "released" with one compare-and-swap on the entry
 * itself, and marks the entry's group (64 entries) and chunk as holding releases — marks that live in
 * the table, made before any handle in them existed, read first and written only when not set yet.
 * The first release of a batch also pushes the owner's one preallocated batch task onto its mailbox
 * (later ones merge into it until the owner has taken the batch); the owner applies the pending
 * releases when it serves its mailbox: from its event loop, or while it waits in wt_call_sync /
 * wt_thread_serve / wt_thread_poll. So:
 *   - no lock, never blocks, no allocation: a release is a few atomic operations on memory that lives
 *     as long as the process (tables are kept per registry slot and reused, never freed);
 *   - it cannot be full: the release is recorded in its own entry, and the marks cover every
 *     entry that exists. An owner that has not served for a long time holds at most one pending
 *     release per live handle; nothing is lost, no producer waits, and the next serve applies them all;
 *   - one mailbox task per batch, not per release. Waking an owner that sits idle in its event loop
 *     is the router's wake-up (host: a futex word; browser: one task in the ring buffer of the
 *     library's em_proxying_queue — no allocation once that buffer has grown — put there under that
 *     queue's mutex, which the owner holds only for the few instructions of a dequeue, never while
 *     it runs code or is suspended, plus one postMessage); releases that find the batch already
 *     queued do none of that.
 * If the owner has left, the release is dropped and counted (owner gone); nothing is freed twice.
 *
 * Thread exit. When the owner leaves (wt_thread_leave, or automatically at exit) every entry it still
 * has is force-disposed on that thread: releases already accepted are applied, the others' objects
 * are dropped (free functions run, JS values forgotten) and later releases of them count as owner
 * gone. In the browser the Worker's realm table is emptied then.
 *
 * Transfers. A transferable JS value (ArrayBuffer, MessagePort, OffscreenCanvas where the browser has
 * it, anything postMessage accepts in a transfer list) can move to another thread's table:
 * wt_handle_transfer, on the owner. The value is posted with a real transfer list (zero copy: to the
 * UI thread, which hands it on to the target's Worker with a transfer list again; from the UI thread
 * straight to the target's Worker) and its entry here is freed at once: the old handle is stale from
 * the moment the transfer was sent (the managed side's later release of it is refused as
 * WT_EHANDLE_STALE and counted, nothing is freed twice; a release accepted just before counts as
 * applied). The target registers the value in its own table when both its record (a prepared mailbox
 * post, so it cannot be lost) and the value (a message to its JS event loop) have arrived, and the
 * transfer's completion (webthreads/completion.h) resolves with the new handle (WT_VALUE_HANDLE, held
 * by both sides like any new handle: its receiver owns it). The value arrives through the target's JS
 * event loop: a target that stays blocked (wt_thread_serve, wt_call_sync) receives it when it returns
 * there. A transfer that fails leaves the value with its owner and the old handle valid: target gone
 * or unknown, the target is the caller, the value is not transferable (postMessage refused it), or a C
 * value (process memory needs no transfer: pass the pointer and register it there; on the host build
 * every value is a C value). If the target leaves (or exits) while the value is in flight, the
 * completion is canceled (WT_ECANCELED: it is bound to the target, wt_completion_bind) and the value
 * is dropped — wherever it lands (the UI thread's relay, the target's old realm) nothing keeps it.
 *
 * Errors: WT_EHANDLE_FORGED (never issued), WT_EHANDLE_STALE (freed, double release, wrong
 * generation), WT_EOWNER_GONE (its owner thread left), WT_ENOT_OWNER (owner-only operation on another
 * thread), WT_EHANDLES_FULL (table full), WT_ENOMEM, WT_ENOT_TRANSFERABLE (transfer of a value
 * postMessage refuses), WT_ENOTSUP (transfer of a C value).
 */
#ifndef WEBTHREADS_HANDLES_H
#define WEBTHREADS_HANDLES_H

#include <stdint.h>

#include "webthreads/completion.h"
#include "webthreads/error.h"
#include "webthreads/proxying.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A handle: plain value, compare with wt_handle_equal. {0} (WT_HANDLE_NONE) is no handle. */
typedef struct wt_handle {
  uint64_t bits;
} wt_handle;

#define WT_HANDLE_NONE ((wt_handle){0})

/* Runs on the owner thread when an entry is freed or force-disposed, with the value registered. */
typedef void (*wt_handle_free_fn)(void *value);

/* Registers `value` in the calling thread's table (joins the thread if needed) and stores the new
 * handle, held by both sides, in *out. free_fn (may be NULL) runs on this thread when the entry is
 * freed. Owner (calling) thread; allocates the table and a chunk of entries the first time they are
 * needed (never on the release path). Returns 0, WT_EINVAL (out NULL), WT_EHANDLES_FULL
 * (WT_HANDLES_MAX live entries, or every index retired), WT_ENOMEM, WT_EFULL (could not join). */
int wt_handle_register(void *value, wt_handle_free_fn free_fn, wt_handle *out);

/* The value of a live handle of the calling thread, in *value (may be NULL: checks only). Owner
 * thread; lock-free, no allocation. An entry whose managed side released it but that the owner has
 * not freed yet is still readable. Returns 0, WT_EHANDLE_STALE, WT_EHANDLE_FORGED, WT_EOWNER_GONE,
 * WT_ENOT_OWNER (called on another thread: route the call to wt_handle_owner(h)). */
int wt_handle_get(wt_handle h, void **value);

/* The managed side lets go of `h`. Any thread, the GC's finalizer thread included, also while the
 * owner is blocked or suspended; never blocks, takes no lock, allocates nothing on its common path
 * (see the essay above). On the owner thread itself it is queued like any other (applied at the next
 * serve). Returns 0 (accepted: it will be applied exactly once), or — nothing done, counted —
 * WT_EHANDLE_STALE (released twice, or the entry was freed), WT_EHANDLE_FORGED, WT_EOWNER_GONE. */
int wt_handle_release(wt_handle h);

/* The owner's side (the JS side) lets go of `h`: frees the entry now when the managed side has
 * released it and that release has been applied or is pending, else the entry lives until it does.
 * Owner thread only; no allocation. Returns 0, WT_EHANDLE_STALE (this side let go already, or freed),
 * WT_EHANDLE_FORGED, WT_EOWNER_GONE, WT_ENOT_OWNER. */
int wt_handle_release_local(wt_handle h);

/* Applies the pending releases of the calling thread's table now (the batch task does this by
 * itself; this is for owners that want to apply them at a point of their choosing). Owner thread.
 * Returns the number applied (>= 0). */
int wt_handles_apply(void);

/* Moves the JS value of `h` to thread `to`'s table (see "Transfers" above). Owner thread only; never
 * blocks; allocates the completion and one mailbox record. On 0 the value is on its way and `h` is
 * stale already (its entry freed here); *out receives a new completion (one reference, the caller's:
 * release it) that resolves with the new handle on `to` (WT_VALUE_HANDLE: its owner is `to`, both
 * sides hold it, the receiver of the completion owns it), or is canceled (WT_ECANCELED) when `to`
 * leaves or exits first (the value is dropped then). A wait for it on `to` itself is refused
 * (WT_EDEADLK: only `to`'s event loop can receive the value). On error nothing changed (the value stays
 * here, `h` is still valid) and *out is NULL: WT_EINVAL (out NULL, `to` is WT_THREAD_NONE or the
 * calling thread), WT_EHANDLE_STALE / WT_EHANDLE_FORGED / WT_EOWNER_GONE / WT_ENOT_OWNER (as
 * wt_handle_get), WT_ENOTSUP (a C value: every value on the host build), WT_ESTALE / WT_ENOENT (`to`
 * gone / never joined), WT_ENOT_TRANSFERABLE (postMessage refused the value), WT_ENOMEM. Every error
 * but the first two WT_EINVAL cases counts as a failed transfer. Not reading the result: cancel `c`
 * (wt_completion_cancel) before releasing it, so a value that arrives later is dropped (released
 * while pending, it still resolves, and the new handle is held by nobody until `to` exits). */
int wt_handle_transfer(wt_handle h, wt_thread to, wt_completion **out);

/* The owner of `h` (WT_THREAD_NONE for a handle whose slot bits are 0). Any thread; pure bit work. */
wt_thread wt_handle_owner(wt_handle h);

/* 1 when `a` and `b` are the same handle (owner, entry and both generations), else 0; WT_HANDLE_NONE
 * equals only itself. Compares the values only (says nothing about liveness: wt_handle_get). Any
 * thread; pure bit work. */
static inline int wt_handle_equal(wt_handle a, wt_handle b) { return a.bits == b.bits; }

typedef struct wt_handles_stats {
  uint64_t registered;        /* handles created */
  uint64_t freed;             /* entries freed after both sides let go */
  uint64_t applied;           /* accepted releases (wt_handle_release returned 0) applied on their
                               * owner: by a batch, wt_handles_apply, or its exit */
  uint64_t batches;           /* batch tasks run (one per batch, not per release) */
  uint64_t stale;             /* releases and lookups refused: freed entry, double release, stale gen */
  uint64_t forged;            /* refused: bits never issued */
  uint64_t owner_gone;        /* refused: the owner thread had left (its handles were disposed) */
  uint64_t force_disposed;    /* entries disposed because their owner left while they were held */
  uint64_t retired;           /* entry indices retired (generation wrap) */
  uint64_t live;              /* entries in use now, all threads */
  /* transfers (wt_handle_transfer): the moved entry counts in `freed` on its old owner and in
   * `registered` on its new one; sent == received + dropped once nothing is in flight */
  uint64_t transfers_sent;     /* values posted to another thread (their old handles made stale) */
  uint64_t transfers_received; /* values registered on their target and their completion resolved */
  uint64_t transfers_failed;   /* wt_handle_transfer that returned an error (value kept by its owner) */
  uint64_t transfers_dropped;  /* values sent but dropped: target left first, or the completion was
                                * settled (canceled) by someone else before the value arrived */
} wt_handles_stats;

/* Snapshot of process-wide counters. Any thread; lock-free. `out` must not be NULL (asserts). The owner
 * adds a pass's `applied` and `freed` at the end of that pass, after its free functions ran: a reader
 * that saw a free function run may read the counters before they include it. */
void wt_handles_stats_get(wt_handles_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* WEBTHREADS_HANDLES_H */
