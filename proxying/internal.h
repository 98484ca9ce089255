/* Internal: the registry slot and the backend interface of the proxying module.
 *
 * router.c holds all routing logic (registry, generations, mailboxes, sync/async/post, cancellation);
 * a backend only says how to wake an owner that is NOT blocked in the library (browser: one task on the
 * library's em_proxying_queue, run from the owner's JS event loop; host: nothing, host threads poll).
 *
 * Lock rules: no locks. The mailbox is an intrusive MPSC stack (senders CAS-push, the owner takes the
 * whole stack with one exchange and reverses it into its private FIFO), so per-sender order is kept.
 * Invariants:
 *  - head == WT__CLOSED from the moment the owner starts leaving until the slot is claimed again;
 *  - an item carries the generation it was addressed to; an owner of another generation answers it as
 *    stale, so a race with slot reuse can never run a call on the wrong thread;
 *  - slots are a static array, never freed: waking or pushing to a slot is never a use-after-free;
 *  - a sender that must touch the owner's OS thread (backend wake) holds `senders`; a leaving owner
 *    waits for senders == 0 before its thread may exit.
 */
#ifndef WT_PROXYING_INTERNAL_H
#define WT_PROXYING_INTERNAL_H

#include "webthreads/proxying.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
typedef struct wt__slot wt__slot; /* C++ (tests) sees the hooks only */
#else
#include <stdatomic.h>

#ifndef WT_PROXYING_MAX_THREADS
#define WT_PROXYING_MAX_THREADS 256
#endif

enum { WT__FREE = 0, WT__LIVE = 1, WT__CLOSING = 2, WT__CLAIMED = 3 };
#define WT__LIFE(gen, state) (((uint32_t)(gen) << 2) | (uint32_t)(state))
#define WT__GEN(life) ((life) >> 2)
#define WT__STATE(life) ((life)&3u)

struct wt__item;
#define WT__CLOSED ((struct wt__item *)(uintptr_t)1)

typedef struct wt__slot {
  _Atomic uint32_t life;              /* WT__LIFE(generation, state) */
  _Atomic uint32_t seq;               /* bumped (then futex-woken) to wake the owner in a library wait */
  _Atomic uint32_t serving;           /* written by the owner: depth of its library waits */
  _Atomic uint32_t senders;           /* backend wakers holding the owner's OS thread alive */
  _Atomic(struct wt__item *) head;    /* MPSC stack of incoming items, newest first; WT__CLOSED */
  _Atomic uintptr_t os_thread;        /* the owner's pthread_t (backend use) */
  _Atomic(struct wt__item *) returned; /* call records freed by other threads, back to this cache */
  /* owner-only */
  struct wt__item *local_head, *local_tail; /* taken items, FIFO */
  uint32_t running;                         /* depth of calls being run */
  struct wt__item *cache;                   /* free call records allocated by this slot's threads */
  uint32_t cache_n;
  char pad[64];
} wt__slot;
#endif

#ifndef __cplusplus
/* ---- backend interface (backend_host.c / backend_em.c) */

/* Once per process, before the first join (any thread). */
void wt__backend_init(void);
/* 1 when the calling thread may not block (the browser's main thread). */
int wt__backend_is_browser_ui(void);
/* Wakes the owner of `s`, which is not inside a library wait, so it drains its mailbox from its event
 * loop. Any thread; never blocks. May be spurious. */
void wt__backend_notify_idle(wt__slot *s);

#endif

/* ---- router services for backends and tests */

/* Runs what is in the calling thread's mailbox if it has joined (no auto-join). Returns the number run. */
int wt__proxying_drain_self(void);
/* Test hook: number of items waiting in the calling thread's mailbox (not yet run). Owner thread only. */
int wt__proxying_pending_self(void);
/* The calling thread joins and becomes the UI thread. 0, WT_EBUSY (another live UI thread), WT_EFULL. */
int wt__proxying_set_ui_self(void);
/* Test hook: the slot of a thread id (NULL when out of range). */
wt__slot *wt__proxying_slot(wt_thread t);
/* Test hook: the next `n` call-record allocations fail (as if malloc returned NULL). */
void wt__proxying_fail_allocs(int n);
/* Test hook: WT_PROXYING_MAX_THREADS as built. */
int wt__proxying_max_threads(void);

#ifdef __cplusplus
}
#endif

#endif
