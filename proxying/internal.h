/* Internal: the registry slot and the backend interface of the proxying module.
 *
 * router.c holds all routing logic (registry, generations, mailboxes, sync/async/post, cancellation,
 * the user-code boundary); a backend only says how to wake an owner that is NOT blocked in the library
 * (browser: one task on the library's em_proxying_queue, run from the owner's JS event loop; host: a
 * counter that test event loops wait on; host threads poll) and how to guard user code against unwinds.
 *
 * Lock rules: no locks. The mailbox is an intrusive MPSC stack (senders CAS-push, the owner takes the
 * whole stack with one exchange and reverses it into its private FIFO), so per-sender order is kept.
 * Invariants:
 *  - head == WT__CLOSED from the moment the owner starts leaving until the slot is claimed again;
 *  - an item carries the generation it was addressed to; an owner of another generation answers it as
 *    stale, so a race with slot reuse can never run a call on the wrong thread;
 *  - slots are a static array, never freed: waking or pushing to a slot is never a use-after-free;
 *  - a sender that must touch the owner's OS thread (backend wake) holds `senders`; a leaving owner
 *    waits for senders == 0 before its thread may exit;
 *  - `queued` counts the calls pushed and not yet taken off the owner's FIFO (completions excluded);
 *    a push that would take it past WT_PROXYING_MAILBOX_MAX is refused (WT_EMAILBOX_FULL);
 *  - frames[0..depth) mirror the owner's stack: a frame is pushed before user code or a wait starts
 *    and popped when it returns; frames above a returning one did not return and are answered then.
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
/* Library frames (calls being run, waits) one thread may have on its stack; see router.c. */
#ifndef WT_PROXYING_MAX_DEPTH
#define WT_PROXYING_MAX_DEPTH 64
#endif
/* Stack (bytes) a thread must have left to enter a wait that runs incoming calls on it. */
#ifndef WT_PROXYING_STACK_RESERVE
#define WT_PROXYING_STACK_RESERVE 16384
#endif
/* Calls (sync, async, posts) waiting in one mailbox at most; completions do not count. */
#ifndef WT_PROXYING_MAILBOX_MAX
#define WT_PROXYING_MAILBOX_MAX (1u << 18)
#endif

/* Bits of a thread generation (ids wrap after 2^WT__GEN_BITS threads in one slot; handles carry it). */
#define WT__GEN_BITS 22
#if WT_PROXYING_MAX_THREADS > 1023
#error "WT_PROXYING_MAX_THREADS must be at most 1023 (handles carry the slot in 10 bits)"
#endif

enum { WT__FREE = 0, WT__LIVE = 1, WT__CLOSING = 2, WT__CLAIMED = 3 };
#define WT__LIFE(gen, state) (((uint32_t)(gen) << 2) | (uint32_t)(state))
#define WT__GEN(life) ((life) >> 2)
#define WT__STATE(life) ((life)&3u)

struct wt__item;
#define WT__CLOSED ((struct wt__item *)(uintptr_t)1)

/* One library frame on the owner's stack: user code being run (fn, done or cancel of `it`), or a wait
 * (wt_call_sync for `it`, wt_thread_serve, a poll). See "The user-code boundary" in router.c. */
typedef struct wt__frame {
  uint8_t kind;       /* F_* (router.c) */
  uint8_t what;       /* F_USER: U_* */
  uint8_t stack_item; /* `it` lives on a stack that may be gone: never touch it when unwinding */
  struct wt__item *it;
} wt__frame;

typedef struct wt__slot {
  _Atomic uint32_t life;              /* WT__LIFE(generation, state) */
  _Atomic uint32_t seq;               /* bumped (then futex-woken) to wake the owner in a library wait */
  _Atomic uint32_t serving;           /* written by the owner: number of its library waits */
  _Atomic uint32_t senders;           /* backend wakers holding the owner's OS thread alive */
  _Atomic(struct wt__item *) head;    /* MPSC stack of incoming items, newest first; WT__CLOSED */
  _Atomic uint32_t queued;            /* calls pushed and not yet taken off the FIFO (mailbox bound) */
  _Atomic uint32_t wake_pending;      /* a backend wake-up failed: the next push retries it */
  _Atomic uint32_t notified;          /* host backend: bumped by every idle wake-up (test event loops) */
  _Atomic uintptr_t os_thread;        /* the owner's pthread_t (backend use); 0 while the slot is
                                         reserved and no thread has attached, 1 once unreserved */
  _Atomic(struct wt__item *) returned; /* call records freed by other threads, back to this cache */
  /* owner-only */
  struct wt__item *local_head, *local_tail; /* taken items, FIFO */
  uint32_t local_n;                         /* items in the FIFO */
  uint32_t uncounted;                       /* FIFO items taken off `queued` lazily */
  uint32_t depth;                           /* frames in use */
  uint32_t user_depth;                      /* F_USER frames among them */
  uint32_t notified_seen;                   /* host test event loop: last `notified` served */
  uintptr_t stack_lo;                       /* lowest usable stack address (host; 0: unknown) */
  struct wt__item *outstanding;             /* async calls made by this owner, completion not run */
  struct wt__item *cache;                   /* free call records allocated by this slot's threads */
  uint32_t cache_n;
  wt__frame frames[WT_PROXYING_MAX_DEPTH];
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
 * loop. Any thread; never blocks. May be spurious. Returns 1 when the wake-up is on its way (or the
 * owner is leaving, which answers everything itself), 0 when it could not be sent (out of memory):
 * the router then retries it. */
int wt__backend_notify_idle(wt__slot *s);
/* Runs body(ctx) so that an unwind through it (C++ exception, pthread_exit, JS unwind) first answers
 * the calling thread's frames from index `depth` up (wt__proxying_unwound). `top`: body runs straight
 * from the JS event loop; a JS unwind (emscripten_unwind_to_js_event_loop) of a live thread ends
 * there, as if it had reached the event loop. Host: C cleanup attribute (router.c, -fexceptions);
 * browser: JS try/catch (js/library_webthreads_proxying.js). */
int wt__backend_guard(int (*body)(void *), void *ctx, uint32_t depth, int top);

#endif

/* ---- library tasks and leave hooks (for modules above the router: handles/)
 *
 * A library task is a mailbox item the router owns, one per (slot, task id), never allocated: a module
 * posts it to wake an owner for work the module keeps itself (the handle table's pending releases).
 * Posting a task that is already queued does nothing (wake-ups merge); the task is run once per post
 * that queued it, on the owner, through the user-code boundary, with the owner's slot and generation —
 * also when it was posted for an earlier generation of the slot (the module checks its own state). A
 * task still queued when the owner leaves is dropped without running (the leave hook sees to it). If
 * the task's function unwinds, the router posts it again so the work goes on at the next serve.
 * Posts merge until the task's function calls wt__proxying_task_done (it must, on every path): the
 * function takes its work, calls it, then takes once more what was published before — so a burst
 * that keeps coming while it works costs no further wake-up. */
enum { WT__TASK_HANDLES = 0, WT__TASKS = 1 };
typedef void (*wt__task_fn)(uint32_t slot_index, uint32_t gen);
/* Once, before the first post (any thread). */
void wt__proxying_task_register(int task, wt__task_fn fn);
/* Owner, from its task's function: later posts queue the task again. */
void wt__proxying_task_done(int task);
/* Any thread; lock-free, never blocks, allocates nothing. 0 (queued now, or queued already: then
 * whatever the poster published before is seen by the run that follows), or WT_ESTALE / WT_ENOENT
 * (owner gone). */
int wt__proxying_task_post(wt_thread target, int task);
/* Runs on a leaving thread (explicit leave or exit), after its mailbox is answered and before its
 * slot is free for another thread, inside the boundary's guard. At most 8 hooks; once each. */
typedef void (*wt__leave_fn)(uint32_t slot_index, uint32_t gen);
void wt__proxying_on_leave(wt__leave_fn fn);
/* The calling thread's slot index and generation; 0 when joined, WT_ENOENT when not. Lock-free. */
int wt__proxying_self_slot(uint32_t *slot_index, uint32_t *gen);

/* ---- prepared posts (for modules above the router: completion/)
 *
 * A post whose record is allocated ahead of time, so that sending it later cannot fail for want of
 * memory or of mailbox room (it does not count toward WT_PROXYING_MAILBOX_MAX, like a completion).
 * Sent, it is a wt_post: fn(arg) runs on the target through the user-code boundary when it serves its
 * mailbox — never inline, also when the target is the sender — or, when the target leaves first,
 * cancel(arg) runs there as it leaves (a record found addressed to an older generation of the slot is
 * answered the same way by the slot's current owner). */
typedef struct wt__item wt__prepared;
/* Any thread; allocates one record. 0 or WT_ENOMEM (fn NULL asserts). */
int wt__proxying_prepare(wt_fn fn, wt_cancel_fn cancel, void *arg, wt__prepared **out);
/* Any thread; lock-free, never blocks, allocates nothing. 0 (fn or cancel will run; the record is the
 * router's now), or WT_ESTALE / WT_ENOENT (target gone: nothing queued, the record is still the
 * caller's: send it elsewhere or discard it). */
int wt__proxying_send_prepared(wt_thread target, wt__prepared *p);
/* Frees a record that was never sent (or whose send failed). Any thread. */
void wt__proxying_discard_prepared(wt__prepared *p);

/* Wakes thread `t` if it is blocked in a library wait (wt_thread_serve, wt_call_sync), so that it
 * re-checks its condition; does nothing to a thread that is not waiting (it checks its condition
 * before it sleeps: publish the change first). Any thread; lock-free, allocates nothing. */
void wt__proxying_wake(wt_thread t);

/* ---- thread roles (for modules above the router: completion/, worker/)
 *
 * Flags a thread sets on itself; cleared when it leaves. NOBLOCK: it never blocks (the I/O thread):
 * wt_call_sync, wt_thread_serve and completion waits refuse with WT_EWOULDBLOCK. LOOP: it runs its own
 * JS event loop (a dedicated JS worker thread): waits for what only that loop could deliver are refused
 * with WT_EDEADLK. */
enum { WT__TF_NOBLOCK = 1u, WT__TF_LOOP = 2u };
/* Calling thread (joins it). 0 or WT_EFULL. */
int wt__proxying_self_flags_set(uint32_t flags);
/* The calling thread's flags (0 when not joined). Lock-free. */
uint32_t wt__proxying_self_flags(void);

/* ---- reserved slots (for modules above the router: worker/)
 *
 * Starting a thread whose id is known before it runs: the creator reserves a slot (LIVE, a new
 * generation, no OS thread yet), hands the id out at once and starts the thread, which attaches to
 * it. Items posted in between queue and are run once the thread serves; nothing is lost between the
 * last push before the attach and the attach itself (router.c, "reserved slots": a Dekker pair on
 * head / os_thread). A reserved slot counts as a live thread (wt_thread_check gives 0). */
/* Any thread; lock-free, allocates nothing. 0 (*out: the id) or WT_EFULL. out NULL asserts. */
int wt__proxying_reserve(wt_thread *out);
/* The new thread, first thing (before any other use of the router): takes slot `id` over as its own
 * (thread-locals, exit key, os_thread), then wakes itself through the backend if items queued. Its
 * flags start at 0. Lock-free. 0; WT_EBUSY (the calling thread has joined already, or the slot has
 * an OS thread: attached already, a joined thread's id, or unreserved); WT_ESTALE / WT_ENOENT. */
int wt__proxying_attach(wt_thread id);
/* The creator, when the thread could not be started (no thread will attach): the slot leaves like
 * an owner that exits — later sends fail with WT_ESTALE, queued sync calls get WT_ECANCELED, async
 * ones their completion with WT_ECANCELED, posts' cancel functions run here, on the calling thread
 * (through its user-code boundary; it joins for that when something queued). Never blocks beyond
 * waiting for backend wakers. 0; WT_EBUSY (a thread attached: it owns the slot now); WT_ESTALE /
 * WT_ENOENT. */
int wt__proxying_unreserve(wt_thread id);

/* ---- router services for backends and tests */

/* Event-loop entry: runs a snapshot of the calling thread's mailbox if it has joined (no auto-join),
 * through the user-code boundary; re-notifies itself when more is waiting. Returns the number run. */
int wt__proxying_drain_self(void);
/* The calling thread's frames from index `depth` up did not return (an unwind passed through them):
 * answers their records (WT_ECANCELED) and restores the counters. No-op when there are none. */
void wt__proxying_unwound(uint32_t depth);
/* Test hook: the next `n` backend wake-ups fail (as if emscripten_proxy_async ran out of memory). */
void wt__proxying_fail_wakes(int n);
/* Test hook, host backend: the calling thread's stand-in for an idle JS event loop. Waits until a
 * sender woke it through the backend (not through a library wait) since the last call, or timeout_ms
 * passes. 0 or WT_ETIMEDOUT. */
int wt__proxying_wait_notified(int timeout_ms);
/* Test hook: number of items waiting in the calling thread's mailbox (not yet run). Owner thread only. */
int wt__proxying_pending_self(void);
/* The calling thread joins and becomes the UI thread. 0, WT_EBUSY (another live UI thread), WT_EFULL. */
int wt__proxying_set_ui_self(void);
/* Test hook: the slot of a thread id (NULL when out of range). */
wt__slot *wt__proxying_slot(wt_thread t);
/* Test hook: calls queued for thread `t`'s slot and not yet taken by its owner (0 when out of range). */
unsigned wt__proxying_queued(wt_thread t);
/* Test hook: the next `n` call-record allocations fail (as if malloc returned NULL). */
void wt__proxying_fail_allocs(int n);
/* Test hook: WT_PROXYING_MAX_THREADS as built. */
int wt__proxying_max_threads(void);
/* Test hook: WT_PROXYING_MAX_DEPTH / WT_PROXYING_MAILBOX_MAX as built. */
int wt__proxying_max_depth(void);
unsigned wt__proxying_mailbox_max(void);
/* Test hook: the calling thread's frames in use and its `serving` count (0, 0 when not joined). */
void wt__proxying_self_state(uint32_t *depth, uint32_t *serving);

#ifdef __cplusplus
}
#endif

#endif
