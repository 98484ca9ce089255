/* The runtime hooks (webthreads/runtime.h).
 *
 * One table pointer, read with acquire by every sleep. A sleep keeps the table it entered with and
 * leaves through it, so installing a table (start-up) never pairs one runtime's enter with another's
 * leave. The core's own invariant: a thread is in at most one region entered by webthreads — the
 * sleep in wait.c is the only place that enters, and nothing runs between its enter and leave but the
 * futex call. tl_in_region checks it (an impossible state: abort). Whether the thread was already
 * GC-safe before it called in (a P/Invoke) is the hook's to know: it returns NULL then.
 *
 * Attached threads. tl_attached marks a thread the runtime attached (wt_runtime_thread_attached). It
 * leaves the registry either through wt_runtime_thread_detached (tl_detaching tells the leave hook it
 * is a detach) or on its own — exit, wt_thread_leave — where the leave hook (run on the thread, by the
 * router's leave path, also from its exit destructor) unmarks it, counts it and calls thread_exiting.
 * So threads_attached always equals the threads marked now, and after every attached thread is gone it
 * is back to its baseline whichever way they went.
 *
 * Locks: none. Counters are relaxed atomics (a sleep already costs a futex call).
 */
#include "runtime/internal.h"

#include "proxying/internal.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static _Atomic(const wt_runtime_hooks *) table;

static _Atomic uint64_t st_attached, st_detached, st_exited_attached, st_entered, st_skipped, st_refused;
static _Atomic uint32_t st_threads_attached;

static _Thread_local uint8_t tl_in_region; /* a sleep of this thread is inside a region it entered */
static _Thread_local uint8_t tl_attached;  /* the runtime attached this thread (and it has not left) */
static _Thread_local uint8_t tl_detaching; /* wt_runtime_thread_detached is leaving the registry */

#define COUNT(c) atomic_fetch_add_explicit(&(c), 1, memory_order_relaxed)

int wt_runtime_hooks_set(const wt_runtime_hooks *hooks) {
  if (hooks && (!hooks->enter_gc_safe) != (!hooks->leave_gc_safe)) return WT_EINVAL;
  atomic_store_explicit(&table, hooks, memory_order_release);
  return 0;
}

const wt_runtime_hooks *wt_runtime_hooks_get(void) { return atomic_load_explicit(&table, memory_order_acquire); }

void *wt__runtime_sleep_enter(const wt_runtime_hooks **used, void **sp) {
  const wt_runtime_hooks *h = atomic_load_explicit(&table, memory_order_acquire);
  *used = h;
  if (!h || !h->enter_gc_safe) return NULL;
  if (tl_in_region) {
    fprintf(stderr, "webthreads: impossible state: a sleep entered a GC-safe region inside another\n");
    abort();
  }
  void *cookie = h->enter_gc_safe(h->ctx, sp);
  if (cookie) {
    tl_in_region = 1;
    COUNT(st_entered);
  } else {
    COUNT(st_skipped);
  }
  return cookie;
}

void wt__runtime_sleep_leave(const wt_runtime_hooks *used, void *cookie, void **sp) {
  tl_in_region = 0;
  used->leave_gc_safe(used->ctx, cookie, sp);
}

int wt__runtime_may_block(void) {
  const wt_runtime_hooks *h = atomic_load_explicit(&table, memory_order_acquire);
  if (!h || !h->may_block || h->may_block(h->ctx)) return 1;
  COUNT(st_refused);
  return 0;
}

void wt__runtime_attach_self(void) {
  const wt_runtime_hooks *h = atomic_load_explicit(&table, memory_order_acquire);
  if (h && h->attach) (void)h->attach(h->ctx); /* refused: the thread runs unattached (documented) */
}

/* Router leave hook: runs on every thread leaving the registry (explicit leave or exit). */
static void on_leave(uint32_t slot_index, uint32_t gen) {
  if (!tl_attached || tl_detaching) return;
  tl_attached = 0;
  atomic_fetch_sub_explicit(&st_threads_attached, 1, memory_order_relaxed);
  COUNT(st_exited_attached);
  const wt_runtime_hooks *h = atomic_load_explicit(&table, memory_order_acquire);
  if (h && h->thread_exiting)
    h->thread_exiting(h->ctx, (wt_thread){((uint64_t)gen << 32) | (uint64_t)(slot_index + 1)});
}

int wt_runtime_thread_attached(wt_thread *out) {
  if (tl_attached) return WT_EBUSY;
  wt__proxying_on_leave(on_leave); /* idempotent; registered before the first attached thread can leave */
  int r = wt_thread_join(out);
  if (r) return r;
  tl_attached = 1;
  atomic_fetch_add_explicit(&st_threads_attached, 1, memory_order_relaxed);
  COUNT(st_attached);
  return 0;
}

int wt_runtime_thread_detached(void) {
  if (!tl_attached) return WT_ENOENT;
  tl_detaching = 1;
  int r = wt_thread_leave();
  tl_detaching = 0;
  /* WT_EINVAL: the browser's UI thread never leaves the registry; it is only unmarked. WT_ENOENT cannot
   * happen (leaving unmarks through on_leave), kept as "nothing to leave". */
  if (r == WT_EINCALL) return r;
  tl_attached = 0;
  atomic_fetch_sub_explicit(&st_threads_attached, 1, memory_order_relaxed);
  COUNT(st_detached);
  return 0;
}

int wt_runtime_thread_is_attached(void) { return tl_attached; }

void wt_runtime_stats_get(wt_runtime_stats *out) {
  assert(out && "wt_runtime_stats_get: out must not be NULL");
  out->attached = atomic_load_explicit(&st_attached, memory_order_relaxed);
  out->detached = atomic_load_explicit(&st_detached, memory_order_relaxed);
  out->exited_attached = atomic_load_explicit(&st_exited_attached, memory_order_relaxed);
  out->threads_attached = atomic_load_explicit(&st_threads_attached, memory_order_relaxed);
  out->gc_safe_entered = atomic_load_explicit(&st_entered, memory_order_relaxed);
  out->gc_safe_skipped = atomic_load_explicit(&st_skipped, memory_order_relaxed);
  out->waits_refused = atomic_load_explicit(&st_refused, memory_order_relaxed);
}
