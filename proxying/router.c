/* Thread-affine call routing: registry, mailboxes, sync/async/post calls, cancellation, and the one
 * user-code boundary.
 *
 * Design. Every participating thread owns a slot of a static registry. A slot is a mailbox (lock-free
 * MPSC stack) plus a generation; ids are (slot, generation), so a stale id is detected by comparing the
 * generation and no slot memory is ever freed (no use-after-free, whatever the target did).
 *
 * A call is a heap item pushed onto the target's mailbox. The push that turns an empty mailbox into a
 * non-empty one wakes the owner (later pushes ride along: one wake-up per batch):
 *   - an owner blocked in the library (wt_call_sync, wt_thread_serve: `serving` > 0) is woken through
 *     its `seq` word and wt__wait/wt__wake — a blocked owner still receives and runs the batch;
 *   - any other owner is woken by the backend (browser: one task on the library's own
 *     em_proxying_queue that drains the mailbox from the JS event loop; host: a counter test loops
 *     wait on). A backend wake-up that fails (out of memory) leaves `wake_pending` set: every later
 *     push, and a sync caller waiting for that owner, retries it.
 * Mailboxes are bounded (WT_PROXYING_MAILBOX_MAX calls, WT_EMAILBOX_FULL beyond); completions are not
 * counted, so an answer is never refused.
 *
 * Serving is fair: a drain runs a snapshot (what was in the FIFO and the stack when it started), so a
 * flood of new calls cannot keep a thread inside one drain; a sync caller checks its own answer after
 * every item it runs and returns as soon as it is in. Calls run in push order (FIFO per sender) even
 * when a call blocks and serves again: nested drains keep consuming the same private FIFO.
 *
 * The user-code boundary. Every user callback — a call's function, an async completion (`done`), a
 * post's `cancel` — runs through run_user(), and every library wait through a wait frame; both are
 * recorded in the slot's frames[] (owner-only), so the thread always knows what is on its stack:
 *   - wt_thread_leave with any frame on the stack is refused (WT_EINCALL): leave never pulls the slot
 *     from under a drain, a wait or a nested leave;
 *   - nesting is bounded: a wait that would run incoming calls on the stack needs two free frames and
 *     WT_PROXYING_STACK_RESERVE bytes of stack, else WT_EDEPTH (never a stack overflow);
 *   - a frame that does not return — pthread_exit, a C++ exception, a JS unwind
 *     (emscripten_unwind_to_js_event_loop) — is answered: its call completes with WT_ECANCELED (sync
 *     caller woken, async completion sent), its record is released, an abandoned wait withdraws its
 *     call, and `serving` is restored. Who notices: a guard around every entry that runs user code
 *     (wt__backend_guard: a C cleanup on the host, built with -fexceptions, so pthread_exit's forced
 *     unwind and exceptions run it; a JS try/catch in the browser), the frame below when it returns
 *     (frames above it are dead: the unwind was caught in between), and the thread-exit destructor
 *     (every frame is dead; in the browser pthread_exit runs TSD destructors before it unwinds).
 *
 * Completion. Sync: the caller waits on its own `seq` and serves its mailbox meanwhile; the target sets
 * the item's state to DONE and bumps the caller's `seq`. The item is reference-counted (caller + target)
 * so a caller that timed out may leave before the target is done with it. Async: the same item travels
 * back to the caller's mailbox as a completion and runs there; it is also reference-counted (the
 * caller's `outstanding` list + the target), so a caller that leaves first runs every outstanding
 * `done` itself with WT_ECANCELED (on its own thread, exactly once) and withdraws the calls not yet
 * started; the target drops its reference when it finds the caller gone. Post: freed by the target.
 *
 * Exit. A leaving owner marks its slot CLOSING, swaps WT__CLOSED into its mailbox (later pushes fail at
 * once: WT_ESTALE), waits for backend wakers that still hold its OS thread, then answers every item:
 * WT_ECANCELED for calls, cancel() for posts; its own pending completions run, then its outstanding
 * async calls complete with WT_ECANCELED. Only then is the slot FREE for another thread (next
 * generation).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_getattr_np */
#endif
#include "proxying/internal.h"

#include "common/pthread.h"
#include "common/wait.h"
#include "runtime/internal.h"
#include "webthreads/diag.h"

#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __EMSCRIPTEN__
#include <emscripten/stack.h>
#endif

enum { K_SYNC = 1, K_ASYNC, K_POST, K_COMPLETION, K_TASK }; /* K_TASK: a library task (static) */
enum { S_QUEUED = 0, S_RUNNING, S_DONE, S_ABANDONED };
/* Frame kinds: user code; a sync call's wait; wt_thread_serve; a poll or an event-loop drain. */
enum { F_USER = 1, F_WAIT, F_SERVE, F_POLL };
/* What an F_USER frame runs. */
enum { U_FN = 1, U_DONE, U_CANCEL };

typedef struct wt__item {
  struct wt__item *next;
  struct wt__item *out_prev, *out_next; /* async: the caller's `outstanding` list (caller thread only) */
  uint32_t home;              /* slot index + 1 of the thread whose cache it returns to; 0: malloc'd */
  uint32_t kind;
  uint32_t target_gen;        /* generation the item is addressed to */
  uint32_t counted;           /* counts toward the target's `queued` (calls, not completions) */
  _Atomic uint32_t state;     /* sync, async: S_* */
  _Atomic uint32_t refs;      /* sync: caller + target; async: caller's list + target */
  uint32_t caller_slot;       /* index */
  uint32_t caller_gen;
  wt_fn fn;
  void *arg;
  wt_done_fn done;            /* async */
  void *done_arg;
  wt_cancel_fn cancel;        /* post */
  wt_result result;
} wt__item;

/* wt_call is the item seen from inside its function. */
struct wt_call {
  wt__item item;
};

static wt__slot slots[WT_PROXYING_MAX_THREADS] __attribute__((aligned(64)));
#define OS_THREAD_UNRESERVED ((uintptr_t)1) /* os_thread of a reserved slot given up (wt__proxying_unreserve) */
static _Atomic uint64_t ui_bits;
static _Atomic int ui_policy;
static _Atomic uint64_t st_posts_dropped, st_calls_canceled, st_completions_dropped, st_calls_unwound,
    st_wakeups_failed, st_mailbox_full;
static _Atomic uint32_t st_live;
static _Atomic int64_t st_records_out; /* call records taken by alloc_item and not yet released */

static _Thread_local wt__slot *tl_slot;
static _Thread_local uint32_t tl_gen;
static _Thread_local uint32_t tl_flags; /* WT__TF_* of the calling thread's current generation */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;

static void on_thread_exit(void *unused);

static void init_process(void) {
  if (pthread_key_create(&exit_key, on_thread_exit) != 0) abort();
  wt__backend_init();
}

static inline uint32_t slot_index(const wt__slot *s) { return (uint32_t)(s - slots); }
static inline wt_thread make_id(const wt__slot *s, uint32_t gen) {
  return (wt_thread){((uint64_t)gen << 32) | (uint64_t)(slot_index(s) + 1)};
}

/* Calling thread: the lowest address its stack may use (host), for the nesting guard. 0: unknown. */
static uintptr_t stack_low_bound(void) {
#if !defined(__EMSCRIPTEN__) && defined(__GLIBC__)
  pthread_attr_t a;
  void *addr = NULL;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &a) != 0) return 0;
  int r = pthread_attr_getstack(&a, &addr, &size);
  pthread_attr_destroy(&a);
  return r == 0 ? (uintptr_t)addr : 0;
#else
  return 0;
#endif
}

/* Owner: 1 when less than WT_PROXYING_STACK_RESERVE bytes of stack are left. */
static int stack_low(const wt__slot *self) {
#ifdef __EMSCRIPTEN__
  (void)self;
  return emscripten_stack_get_free() < WT_PROXYING_STACK_RESERVE;
#else
  uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
  return self->stack_lo && sp < self->stack_lo + WT_PROXYING_STACK_RESERVE;
#endif
}

/* ------------------------------------------------------------------ registry */

/* Any thread: claims a FREE slot for its next generation (CLAIMED) and clears its owner-only state for
 * a new owner. The caller publishes it (life = LIVE) once its owner fields are set. 0 or WT_EFULL. */
static int claim_slot(wt__slot **out, uint32_t *gen_out) {
  for (uint32_t i = 0; i < WT_PROXYING_MAX_THREADS; i++) {
    wt__slot *s = &slots[i];
    uint32_t life = atomic_load(&s->life);
    if (WT__STATE(life) != WT__FREE) continue;
    if (!atomic_compare_exchange_strong(&s->life, &life, WT__LIFE(WT__GEN(life), WT__CLAIMED))) continue;
    uint32_t gen = WT__GEN(life) + 1;
    if (gen >= (1u << WT__GEN_BITS)) gen = 1; /* wraps after 2^22 threads in one slot (handles carry 22 bits) */
    s->local_head = s->local_tail = NULL;
    s->local_n = s->uncounted = 0;
    s->depth = s->user_depth = 0;
    s->outstanding = NULL;
    s->stack_lo = 0;
    s->notified_seen = atomic_load(&s->notified);
    s->cache = NULL; /* emptied when the previous owner left; `returned` may hold records: reused */
    s->cache_n = 0;
    atomic_store(&s->serving, 0);
    atomic_store(&s->wake_pending, 0);
    atomic_store(&s->os_thread, 0);
    /* Items a late sender pushed after we cleared CLOSED carry an older generation: answered as stale.
     * `queued` is not reset: a late sender's count is taken off when its item is answered. */
    atomic_store(&s->head, NULL);
    *out = s;
    *gen_out = gen;
    return 0;
  }
  return WT_EFULL;
}

/* Calling thread: becomes the owner of `s` (generation `gen`): its thread-locals and exit key. */
static void own_slot(wt__slot *s, uint32_t gen) {
  s->stack_lo = stack_low_bound();
  s->notified_seen = atomic_load(&s->notified);
  tl_slot = s;
  tl_gen = gen;
  tl_flags = 0;
  pthread_setspecific(exit_key, s);
}

/* Calling thread: claims a free slot (next generation) unless joined. 0 or WT_EFULL. Lock-free. */
static int join_self(void) {
  if (tl_slot) return 0;
  pthread_once(&init_once, init_process);
  wt__slot *s;
  uint32_t gen;
  if (claim_slot(&s, &gen)) return WT_EFULL;
  atomic_store(&s->os_thread, (uintptr_t)pthread_self());
  own_slot(s, gen);
  atomic_store(&s->life, WT__LIFE(gen, WT__LIVE));
  atomic_fetch_add(&st_live, 1);
  /* A sender that saw CLAIMED did not wake us: look once. */
  wt__item *h = atomic_load(&s->head);
  if (h != NULL && h != WT__CLOSED) wt__backend_notify_idle(s);
  return 0;
}

int wt_thread_join(wt_thread *out) {
  int r = join_self();
  if (r == 0 && out) *out = make_id(tl_slot, tl_gen);
  return r;
}

wt_thread wt_thread_self(void) { return tl_slot ? make_id(tl_slot, tl_gen) : WT_THREAD_NONE; }

wt_thread wt_thread_ui(void) { return (wt_thread){atomic_load(&ui_bits)}; }

int wt_thread_is_ui(void) {
  uint64_t ui = atomic_load(&ui_bits);
  return ui != 0 && tl_slot && make_id(tl_slot, tl_gen).bits == ui;
}

/* Internal (backend_em.c constructor, wt_thread_adopt_ui): the calling thread becomes the UI thread. */
int wt__proxying_set_ui_self(void) {
  int r = join_self();
  if (r) return r;
  uint64_t want = make_id(tl_slot, tl_gen).bits, cur = atomic_load(&ui_bits);
  for (;;) {
    if (cur == want) return 0;
    if (cur != 0 && wt_thread_check((wt_thread){cur}) == 0) return WT_EBUSY;
    if (atomic_compare_exchange_weak(&ui_bits, &cur, want)) return 0;
  }
}

/* Resolves an id to its live slot; 0, WT_ENOENT or WT_ESTALE. */
static int resolve(wt_thread t, wt__slot **out, uint32_t *gen_out) {
  uint32_t idx1 = (uint32_t)(t.bits & 0xffffffffu), gen = (uint32_t)(t.bits >> 32);
  if (idx1 == 0 || idx1 > WT_PROXYING_MAX_THREADS || gen == 0 || gen >= (1u << WT__GEN_BITS)) return WT_ENOENT;
  wt__slot *s = &slots[idx1 - 1];
  uint32_t life = atomic_load(&s->life);
  uint32_t cur = WT__GEN(life);
  if (gen > cur) return WT_ENOENT;
  if (gen < cur) return WT_ESTALE;
  if (WT__STATE(life) != WT__LIVE) return WT_ESTALE; /* left (CLOSING/FREE) */
  *out = s;
  *gen_out = gen;
  return 0;
}

int wt_thread_check(wt_thread t) {
  wt__slot *s;
  uint32_t g;
  return resolve(t, &s, &g);
}

wt__slot *wt__proxying_slot(wt_thread t) {
  uint32_t idx1 = (uint32_t)(t.bits & 0xffffffffu);
  return idx1 == 0 || idx1 > WT_PROXYING_MAX_THREADS ? NULL : &slots[idx1 - 1];
}

unsigned wt__proxying_queued(wt_thread t) {
  wt__slot *s = wt__proxying_slot(t);
  return s ? atomic_load(&s->queued) : 0;
}

int wt__proxying_max_threads(void) { return WT_PROXYING_MAX_THREADS; }
int wt__proxying_max_depth(void) { return WT_PROXYING_MAX_DEPTH; }
unsigned wt__proxying_mailbox_max(void) { return WT_PROXYING_MAILBOX_MAX; }

void wt__proxying_self_state(uint32_t *depth, uint32_t *serving) {
  wt__slot *s = tl_slot;
  *depth = s ? s->depth : 0;
  *serving = s ? atomic_load(&s->serving) : 0;
}

int wt_thread_by_affinity(const wt_thread *owners, size_t n, wt_thread *out) {
  if (!owners || !out || n == 0) return WT_EINVAL;
  uint64_t pick = 0;
  for (size_t i = 0; i < n; i++) {
    if (owners[i].bits == 0) continue;
    if (pick == 0) pick = owners[i].bits;
    else if (pick != owners[i].bits) return WT_EAFFINITY;
  }
  if (pick == 0) return WT_EINVAL;
  out->bits = pick;
  return 0;
}

int wt_proxying_set_ui_policy(wt_ui_policy policy) {
  if (policy != WT_UI_POLICY_REFUSE && policy != WT_UI_POLICY_DANGEROUS_SPIN) return WT_EINVAL;
  atomic_store(&ui_policy, (int)policy);
  return 0;
}

void wt_proxying_stats_get(wt_proxying_stats *out) {
  assert(out && "wt_proxying_stats_get: out must not be NULL");
  out->posts_dropped = atomic_load(&st_posts_dropped);
  out->calls_canceled = atomic_load(&st_calls_canceled);
  out->completions_dropped = atomic_load(&st_completions_dropped);
  out->threads_live = atomic_load(&st_live);
  out->calls_unwound = atomic_load(&st_calls_unwound);
  out->wakeups_failed = atomic_load(&st_wakeups_failed);
  out->mailbox_full = atomic_load(&st_mailbox_full);
  out->records_in_use = (uint64_t)atomic_load_explicit(&st_records_out, memory_order_relaxed);
}

/* diag/diag.c: the joined threads now (wt_diag_threads). Any thread; atomics only. */
int wt__proxying_diag_threads(wt_diag_thread *out, int cap) {
  int n = 0;
  uint64_t ui = atomic_load(&ui_bits);
  for (int i = 0; i < WT_PROXYING_MAX_THREADS; i++) {
    wt__slot *s = &slots[i];
    uint32_t life = atomic_load(&s->life);
    uint32_t st = WT__STATE(life);
    if (st != WT__LIVE && st != WT__CLOSING) continue;
    uintptr_t os = atomic_load(&s->os_thread);
    if (os == OS_THREAD_UNRESERVED) continue;
    wt_diag_thread d = {.id = make_id(s, WT__GEN(life)), .os_thread = os};
    d.is_ui = d.id.bits == ui;
    d.leaving = st == WT__CLOSING;
    d.mailbox = atomic_load_explicit(&s->queued, memory_order_relaxed);
    d.waits = atomic_load_explicit(&s->serving, memory_order_relaxed);
    if (atomic_load(&s->life) != life) continue; /* left meanwhile */
    if (out && n < cap) out[n] = d;
    n++;
  }
  return n;
}

/* ------------------------------------------------------------------ mailbox */

static _Atomic int fail_wakes; /* test hook: the next N backend wake-ups fail */

void wt__proxying_fail_wakes(int n) { atomic_store(&fail_wakes, n); }

/* Any thread: wakes the owner of `s` out of a library wait (wt__wait on its `seq`). */
static void wake_owner(wt__slot *s) {
  atomic_fetch_add(&s->seq, 1);
  wt__wake(&s->seq, 1);
}

/* Any thread: wakes the owner of `s` in its event loop through the backend. A failure is remembered in
 * `wake_pending` (retried by the next push and by waiting sync callers) and counted. */
static void notify_idle(wt__slot *s) {
  int ok;
  if (atomic_load_explicit(&fail_wakes, memory_order_relaxed) > 0 && atomic_fetch_sub(&fail_wakes, 1) > 0) ok = 0;
  else ok = wt__backend_notify_idle(s);
  if (ok) {
    if (atomic_load_explicit(&s->wake_pending, memory_order_relaxed)) atomic_store(&s->wake_pending, 0);
    return;
  }
  atomic_fetch_add(&st_wakeups_failed, 1);
  atomic_store(&s->wake_pending, 1);
}

/* Pushes `it` to slot `s` for generation `gen`. Any thread; lock-free. 0, WT_ESTALE (closed) or
 * WT_EMAILBOX_FULL (`bounded` and the mailbox holds WT_PROXYING_MAILBOX_MAX calls).
 * *serving (may be NULL): whether the owner was blocked in the library, i.e. likely to answer in µs. */
static int push_ex(wt__slot *s, uint32_t gen, wt__item *it, int bounded, int *serving) {
  it->target_gen = gen;
  it->counted = (uint32_t)bounded;
  if (bounded && atomic_fetch_add(&s->queued, 1) >= WT_PROXYING_MAILBOX_MAX) {
    atomic_fetch_sub(&s->queued, 1);
    atomic_fetch_add(&st_mailbox_full, 1);
    return WT_EMAILBOX_FULL;
  }
  wt__item *h = atomic_load(&s->head);
  do {
    if (h == WT__CLOSED) {
      if (bounded) atomic_fetch_sub(&s->queued, 1);
      return WT_ESTALE;
    }
    it->next = h;
  } while (!atomic_compare_exchange_weak(&s->head, &h, it));
  uint32_t srv = atomic_load(&s->serving);
  if (serving) *serving = srv != 0;
  /* First of a batch: wake the owner. Later pushes ride along, unless a wake-up failed. */
  if (h == NULL || atomic_load_explicit(&s->wake_pending, memory_order_relaxed)) {
    if (srv) wake_owner(s);
    else notify_idle(s);
  }
  return 0;
}

static int push(wt__slot *s, uint32_t gen, wt__item *it, int bounded) { return push_ex(s, gen, it, bounded, NULL); }

/* Owner only: moves the incoming stack into the private FIFO (closing the mailbox when `close`). */
static void take(wt__slot *s, int close) {
  wt__item *h;
  if (close) {
    h = atomic_exchange(&s->head, WT__CLOSED);
    if (h == WT__CLOSED) h = NULL;
  } else {
    h = atomic_load(&s->head);
    do {
      if (h == NULL || h == WT__CLOSED) return;
    } while (!atomic_compare_exchange_weak(&s->head, &h, NULL));
  }
  wt__item *rev = NULL, *tail = h;
  uint32_t n = 0;
  while (h) {
    wt__item *nx = h->next;
    h->next = rev;
    rev = h;
    h = nx;
    n++;
  }
  if (!rev) return;
  if (s->local_tail) s->local_tail->next = rev;
  else s->local_head = rev;
  s->local_tail = tail;
  s->local_n += n;
}

/* Owner only: gives the mailbox bound back for the calls taken off the FIFO since the last flush. */
static void flush_uncounted(wt__slot *s) {
  if (s->uncounted) {
    atomic_fetch_sub(&s->queued, s->uncounted);
    s->uncounted = 0;
  }
}

/* Owner only. */
static wt__item *pop_local(wt__slot *s) {
  wt__item *it = s->local_head;
  if (it) {
    s->local_head = it->next;
    if (!s->local_head) s->local_tail = NULL;
    it->next = NULL;
    s->local_n--;
    s->uncounted += it->counted;
  }
  return it;
}

/* Owner only: something waits in the FIFO or the incoming stack. */
static int has_work(wt__slot *s) {
  if (s->local_head) return 1;
  wt__item *h = atomic_load(&s->head); /* seq_cst: pairs with a sender's push, then its load of `serving` */
  return h != NULL && h != WT__CLOSED;
}

/* ---- call records: a per-thread cache, so steady traffic does not go through malloc/free (whose lock
 * the sender and the target would fight over). A record returns to the cache of the thread that
 * allocated it: directly when freed there, else through that slot's lock-free `returned` stack, which
 * the owner takes whole. Records outlive their thread in the slot (static) and serve its next owner. */
#define WT__CACHE_MAX 4096

static _Atomic int fail_allocs; /* test hook: the next N allocations fail */

void wt__proxying_fail_allocs(int n) { atomic_store(&fail_allocs, n); }

/* Calling thread (its cache, else malloc; home 0 when it has not joined). NULL when out of memory. */
static wt__item *alloc_item(void) {
  if (atomic_load_explicit(&fail_allocs, memory_order_relaxed) > 0 && atomic_fetch_sub(&fail_allocs, 1) > 0)
    return NULL;
  wt__slot *self = tl_slot;
  if (!self) {
    wt__item *it = malloc(sizeof *it);
    if (it) {
      it->home = 0;
      atomic_fetch_add_explicit(&st_records_out, 1, memory_order_relaxed);
    }
    return it;
  }
  if (!self->cache) {
    wt__item *r = atomic_exchange(&self->returned, NULL);
    uint32_t n = 0;
    for (wt__item *i = r; i; i = i->next) n++;
    self->cache = r;
    self->cache_n = n;
  }
  wt__item *it = self->cache;
  if (it) {
    self->cache = it->next;
    self->cache_n--;
    atomic_fetch_add_explicit(&st_records_out, 1, memory_order_relaxed);
    return it;
  }
  it = malloc(sizeof *it);
  if (it) {
    it->home = slot_index(self) + 1;
    atomic_fetch_add_explicit(&st_records_out, 1, memory_order_relaxed);
  }
  return it;
}

/* Any thread: back to the home cache (directly on the home thread, else its `returned` stack). */
static void release(wt__item *it) {
  atomic_fetch_sub_explicit(&st_records_out, 1, memory_order_relaxed);
  if (it->home == 0) {
    free(it);
    return;
  }
  wt__slot *home = &slots[it->home - 1];
  if (home == tl_slot) {
    if (home->cache_n >= WT__CACHE_MAX) {
      free(it);
      return;
    }
    it->next = home->cache;
    home->cache = it;
    home->cache_n++;
    return;
  }
  wt__item *h = atomic_load(&home->returned);
  do {
    it->next = h;
  } while (!atomic_compare_exchange_weak(&home->returned, &h, it));
}

/* Owner, when leaving: gives its cached records back to malloc. */
static void free_cache(wt__slot *self) {
  wt__item *lists[2] = {self->cache, atomic_exchange(&self->returned, NULL)};
  for (int k = 0; k < 2; k++) {
    for (wt__item *it = lists[k], *n; it; it = n) {
      n = it->next;
      free(it);
    }
  }
  self->cache = NULL;
  self->cache_n = 0;
}

/* Any thread: drops one reference of a sync or async record. */
static void unref(wt__item *it) {
  if (atomic_fetch_sub(&it->refs, 1) == 1) release(it);
}

/* Caller thread: the `outstanding` list of async calls whose completion has not run. */
static void out_link(wt__slot *self, wt__item *it) {
  it->out_prev = NULL;
  it->out_next = self->outstanding;
  if (self->outstanding) self->outstanding->out_prev = it;
  self->outstanding = it;
}

static void out_unlink(wt__slot *self, wt__item *it) {
  if (it->out_prev) it->out_prev->out_next = it->out_next;
  else self->outstanding = it->out_next;
  if (it->out_next) it->out_next->out_prev = it->out_prev;
  it->out_prev = it->out_next = NULL;
}

static void set_status(wt_result *r, int status, const char *message) {
  r->status = status;
  r->fn_error = 0;
  snprintf(r->message, sizeof r->message, "%s", message);
}

static void set_result(wt__item *it, int fn_ret) {
  if (fn_ret == 0) {
    it->result.status = 0;
    it->result.fn_error = 0;
  } else {
    it->result.status = WT_ECALL;
    it->result.fn_error = fn_ret;
  }
}

/* Target side: publishes a sync item's result (or an error status) and wakes its caller. */
static void finish_sync(wt__item *it, uint32_t from_state) {
  wt__slot *caller = &slots[it->caller_slot];
  uint32_t st = from_state;
  atomic_compare_exchange_strong(&it->state, &st, S_DONE); /* fails when the caller abandoned it */
  wake_owner(caller);
  unref(it);
}

/* Target side: sends an async item back to its caller as a completion (never refused for the mailbox
 * bound), or drops the target's reference when the caller left. */
static void send_completion(wt__item *it) {
  it->kind = K_COMPLETION;
  if (push(&slots[it->caller_slot], it->caller_gen, it, 0) != 0) {
    atomic_fetch_add(&st_completions_dropped, 1);
    unref(it);
  }
}

/* ------------------------------------------------------------------ library tasks and leave hooks */

/* One static item per (slot, task). `armed` is set by the poster that pushes the item and cleared when
 * the owner takes it off its FIFO (run or refused) or the push failed, so the item is in at most one
 * mailbox (the task's function clears it itself, wt__proxying_task_done, once it has taken its work:
 * posts until then merge into the running task). Its kind, fn and arg are set once (task_register) and never written again: a poster may
 * push it while the owner still runs it. */
static wt__item task_items[WT_PROXYING_MAX_THREADS][WT__TASKS];
static _Atomic uint32_t task_armed[WT_PROXYING_MAX_THREADS][WT__TASKS];
static _Atomic(wt__task_fn) task_fns[WT__TASKS];
#define WT__LEAVE_HOOKS 8 /* handles, completion, worker use three */
static _Atomic(wt__leave_fn) leave_hooks[WT__LEAVE_HOOKS];

static int task_trampoline(wt_call *call, void *arg) {
  wt__item *it = &call->item;
  uint32_t idx = (uint32_t)((it - &task_items[0][0]) / WT__TASKS);
  wt__task_fn fn = atomic_load(&task_fns[(int)(uintptr_t)arg]);
  if (fn) fn(idx, tl_gen);
  return 0;
}

static _Atomic uint32_t *task_armed_of(wt__item *it) {
  ptrdiff_t k = it - &task_items[0][0];
  return &task_armed[k / WT__TASKS][k % WT__TASKS];
}

static void task_disarm(wt__item *it) { atomic_store(task_armed_of(it), 0); }

void wt__proxying_task_register(int task, wt__task_fn fn) {
  assert(task >= 0 && task < WT__TASKS && "wt__proxying_task_register: no such task");
  static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER; /* start-up only, never on a release path */
  pthread_mutex_lock(&once);
  for (uint32_t i = 0; i < WT_PROXYING_MAX_THREADS; i++) {
    wt__item *it = &task_items[i][task];
    it->kind = K_TASK;
    it->home = 0;
    it->fn = task_trampoline;
    it->arg = (void *)(uintptr_t)task;
  }
  atomic_store(&task_fns[task], fn);
  pthread_mutex_unlock(&once);
}

static int task_push(wt__slot *s, uint32_t gen, int task) {
  uint32_t idx = slot_index(s);
  if (atomic_load(&task_armed[idx][task]) || atomic_exchange(&task_armed[idx][task], 1)) return 0;
  int r = push(s, gen, &task_items[idx][task], 0);
  if (r != 0) atomic_store(&task_armed[idx][task], 0);
  return r;
}

int wt__proxying_task_post(wt_thread target, int task) {
  uint32_t idx1 = (uint32_t)(target.bits & 0xffffffffu);
  /* Fast path: queued already (merged). The owner disarms before it does the work, so whatever the
   * poster published before this read is seen by that work. */
  if (idx1 - 1 < WT_PROXYING_MAX_THREADS && atomic_load(&task_armed[idx1 - 1][task])) return 0;
  wt__slot *s;
  uint32_t gen;
  int r = resolve(target, &s, &gen);
  return r ? r : task_push(s, gen, task);
}

void wt__proxying_task_done(int task) {
  assert(tl_slot && task >= 0 && task < WT__TASKS && "wt__proxying_task_done: owner thread, from its task");
  atomic_store(&task_armed[slot_index(tl_slot)][task], 0);
}

/* Owner: a task whose function unwound goes back to the mailbox, so its work is finished later. */
static void task_repost(wt__slot *self, wt__item *it) {
  ptrdiff_t k = it - &task_items[0][0];
  task_push(self, tl_gen, (int)(k % WT__TASKS));
}

void wt__proxying_on_leave(wt__leave_fn fn) {
  for (int i = 0; i < WT__LEAVE_HOOKS; i++) {
    wt__leave_fn cur = atomic_load(&leave_hooks[i]);
    if (cur == fn) return;
    if (!cur && atomic_compare_exchange_strong(&leave_hooks[i], &cur, fn)) return;
    if (cur == fn) return;
  }
  assert(0 && "wt__proxying_on_leave: more than WT__LEAVE_HOOKS hooks");
  abort();
}

int wt__proxying_self_slot(uint32_t *slot_index_out, uint32_t *gen) {
  if (!tl_slot) return WT_ENOENT;
  if (slot_index_out) *slot_index_out = slot_index(tl_slot);
  if (gen) *gen = tl_gen;
  return 0;
}

/* ------------------------------------------------------------------ the user-code boundary */

static const char msg_unwound[] = "the target thread exited or unwound while running the call";

/* Owner only: pushes a frame. The caller checked there is room. Returns its index. */
static uint32_t frame_push(wt__slot *self, uint8_t kind, uint8_t what, wt__item *it, uint8_t stack_item) {
  uint32_t i = self->depth;
  if (i >= WT_PROXYING_MAX_DEPTH) abort(); /* callers check: impossible */
  self->frames[i] = (wt__frame){kind, what, stack_item, it};
  self->depth = i + 1;
  if (kind == F_USER) self->user_depth++;
  else if (kind == F_WAIT || kind == F_SERVE) atomic_store(&self->serving, atomic_load(&self->serving) + 1);
  return i;
}

/* Owner only: one frame less in a library wait. Items that arrived while we served but after our last
 * drain were announced through `seq` only: when no wait is left, hand them to the event loop. */
static void serving_dec(wt__slot *self) {
  uint32_t d = atomic_load(&self->serving) - 1;
  atomic_store(&self->serving, d);
  if (d == 0 && has_work(self)) notify_idle(self);
}

/* Owner only: answers the top frame, which did not return, and pops it. */
static void frame_abandon_top(wt__slot *self) {
  wt__frame *f = &self->frames[--self->depth];
  wt__item *it = f->it;
  switch (f->kind) {
  case F_USER:
    self->user_depth--;
    if (f->stack_item) break; /* a call to oneself: its caller's frame is gone as well */
    if (f->what == U_FN) {
      switch (it->kind) {
      case K_SYNC:
        set_status(&it->result, WT_ECANCELED, msg_unwound);
        atomic_fetch_add(&st_calls_unwound, 1);
        finish_sync(it, S_RUNNING);
        break;
      case K_ASYNC:
        set_status(&it->result, WT_ECANCELED, msg_unwound);
        atomic_fetch_add(&st_calls_unwound, 1);
        atomic_store(&it->state, S_DONE);
        send_completion(it);
        break;
      case K_TASK: /* static: nothing to free; the work it left is done at the next serve */
        task_disarm(it);
        task_repost(self, it);
        break;
      default: /* a post: its function had taken `arg` */
        release(it);
        break;
      }
    } else if (f->what == U_DONE) {
      unref(it);
    } else {
      release(it); /* a post's cancel */
    }
    break;
  case F_WAIT: { /* a sync call whose caller is gone: withdraw it as a timeout would */
    uint32_t st = atomic_load(&it->state);
    while (st != S_DONE && !atomic_compare_exchange_weak(&it->state, &st, S_ABANDONED)) {
    }
    unref(it);
    serving_dec(self);
    break;
  }
  case F_SERVE:
    serving_dec(self);
    break;
  default:
    break;
  }
}

/* Owner only: every frame from index `keep` up did not return. */
static void unwind_frames(wt__slot *self, uint32_t keep) {
  while (self->depth > keep) frame_abandon_top(self);
  if (keep == 0) wt__wait_why(WT_WAIT_OTHER, 0); /* no library wait left: a reason set for one is stale */
}

/* Owner only: frame `i` returns normally. Frames above it did not (an unwind was caught between). */
static void frame_pop(wt__slot *self, uint32_t i) {
  if (self->depth > i + 1) unwind_frames(self, i + 1);
  if (self->depth != i + 1) { /* frames are only popped by their own code or unwinds: impossible */
    fprintf(stderr, "webthreads: router: frame %u returns but the thread has %u frames (slot %u gen %u, kind %u); "
            "impossible: abort\n", i, self->depth, (unsigned)slot_index(self), tl_gen, self->frames[i].kind);
    abort();
  }
  wt__frame *f = &self->frames[i];
  self->depth = i;
  if (f->kind == F_USER) self->user_depth--;
  else if (f->kind == F_WAIT || f->kind == F_SERVE) serving_dec(self);
}

void wt__proxying_unwound(uint32_t depth) {
  wt__slot *self = tl_slot;
  if (self && self->depth > depth) unwind_frames(self, depth);
}

#ifndef __EMSCRIPTEN__
/* Host guard: a cleanup that runs when an exception or pthread_exit's forced unwind leaves body. */
typedef struct host_guard {
  wt__slot *self;
  uint32_t gen, depth;
  int returned;
} host_guard;

static void host_guard_cleanup(host_guard *g) {
  if (!g->returned && tl_slot == g->self && tl_gen == g->gen) wt__proxying_unwound(g->depth);
}

int wt__backend_guard(int (*body)(void *), void *ctx, uint32_t depth, int top) {
  (void)top;
  __attribute__((cleanup(host_guard_cleanup))) host_guard g = {tl_slot, tl_gen, depth, 0};
  int r = body(ctx);
  g.returned = 1;
  return r;
}
#endif

/* Owner only: the one path through which user code runs. `res` is what `done` sees (U_DONE). */
static int run_user(wt__slot *self, uint8_t what, wt__item *it, int stack_item, const wt_result *res) {
  uint32_t i = frame_push(self, F_USER, what, it, (uint8_t)stack_item);
  int r = 0;
  switch (what) {
  case U_FN:
    it->result.message[0] = 0;
    r = it->fn((wt_call *)it, it->arg);
    break;
  case U_DONE:
    it->done(res, it->done_arg);
    break;
  default:
    it->cancel(it->arg);
    break;
  }
  frame_pop(self, i);
  return r;
}

/* A run_user call through the guard, for user code run outside a guarded drain (calls to oneself). */
typedef struct user_ctx {
  wt__slot *self;
  wt__item *it;
  uint8_t what;
  int stack_item;
} user_ctx;

static int user_body(void *p) {
  user_ctx *c = p;
  return run_user(c->self, c->what, c->it, c->stack_item, c->what == U_DONE ? &c->it->result : NULL);
}

static int run_user_guarded(wt__slot *self, uint8_t what, wt__item *it, int stack_item) {
  user_ctx c = {self, it, what, stack_item};
  return wt__backend_guard(user_body, &c, self->depth, 0);
}

/* ------------------------------------------------------------------ running items */

/* Answers an item without running it (target left, or the item is for another generation). */
static void refuse(wt__slot *self, wt__item *it, int status) {
  switch (it->kind) {
  case K_SYNC: {
    uint32_t st = S_QUEUED;
    if (!atomic_compare_exchange_strong(&it->state, &st, S_RUNNING)) { /* abandoned by a timeout */
      unref(it);
      return;
    }
    set_status(&it->result, status, "");
    if (status == WT_ECANCELED) atomic_fetch_add(&st_calls_canceled, 1);
    finish_sync(it, S_RUNNING);
    return;
  }
  case K_ASYNC: {
    uint32_t st = S_QUEUED;
    if (!atomic_compare_exchange_strong(&it->state, &st, S_DONE)) { /* withdrawn: its caller left */
      unref(it);
      return;
    }
    set_status(&it->result, status, "");
    if (status == WT_ECANCELED) atomic_fetch_add(&st_calls_canceled, 1);
    send_completion(it);
    return;
  }
  case K_POST:
    atomic_fetch_add(&st_posts_dropped, 1);
    if (it->cancel) run_user(self, U_CANCEL, it, 0, NULL);
    release(it);
    return;
  case K_COMPLETION: /* its caller (this slot's previous owner) is gone and ran `done` already */
    atomic_fetch_add(&st_completions_dropped, 1);
    unref(it);
    return;
  case K_TASK: /* the owner is leaving: its leave hooks do the task's work */
    task_disarm(it);
    return;
  }
  abort();
}

/* Owner only: runs one item of its mailbox (or answers it as stale). Inside a guarded drain. */
static void run_item(wt__slot *self, uint32_t gen, wt__item *it) {
  if (it->kind == K_TASK) { /* for whichever generation owns the slot now: the module checks */
    run_user(self, U_FN, it, 0, NULL); /* it disarms itself (wt__proxying_task_done) */
    return;
  }
  if (it->target_gen != gen) {
    refuse(self, it, WT_ESTALE);
    return;
  }
  switch (it->kind) {
  case K_SYNC: {
    uint32_t st = S_QUEUED;
    if (!atomic_compare_exchange_strong(&it->state, &st, S_RUNNING)) {
      unref(it); /* withdrawn by a timeout before it started */
      return;
    }
    set_result(it, run_user(self, U_FN, it, 0, NULL));
    finish_sync(it, S_RUNNING);
    return;
  }
  case K_ASYNC: {
    uint32_t st = S_QUEUED;
    if (!atomic_compare_exchange_strong(&it->state, &st, S_RUNNING)) {
      unref(it); /* withdrawn: its caller left before it started */
      return;
    }
    set_result(it, run_user(self, U_FN, it, 0, NULL));
    atomic_store(&it->state, S_DONE);
    send_completion(it);
    return;
  }
  case K_POST:
    run_user(self, U_FN, it, 0, NULL);
    release(it);
    return;
  case K_COMPLETION:
    /* Ours alone now (the target's reference came with it): one reference, dropped after `done`. */
    out_unlink(self, it);
    atomic_store(&it->refs, 1);
    run_user(self, U_DONE, it, 0, &it->result);
    unref(it);
    return;
  }
  abort();
}

/* Owner only: runs a snapshot of the mailbox — what was in the FIFO and the incoming stack when it
 * started — so new arrivals cannot keep it here; returns early once `watch` (a sync call the thread
 * waits for) is DONE. Re-entrant (a call may block and serve again): nested drains continue the same
 * private FIFO. Returns the number run. */
static int drain(wt__slot *self, uint32_t gen, wt__item *watch) {
  take(self, 0);
  uint32_t budget = self->local_n;
  int n = 0;
  while (budget-- > 0) {
    wt__item *it = pop_local(self);
    if (!it) break; /* a nested drain ran the rest */
    run_item(self, gen, it);
    n++;
    if (watch && atomic_load_explicit(&watch->state, memory_order_acquire) == S_DONE) break;
  }
  flush_uncounted(self);
  return n;
}

typedef struct drain_ctx {
  wt__slot *self;
  uint32_t gen;
  wt__item *watch;
} drain_ctx;

static int drain_body(void *p) {
  drain_ctx *c = p;
  return drain(c->self, c->gen, c->watch);
}

/* Owner only: a drain through the guard; an unwind through it answers frames from `depth` up. */
static int drain_guarded(wt__slot *self, uint32_t gen, wt__item *watch, uint32_t depth, int top) {
  drain_ctx c = {self, gen, watch};
  return wt__backend_guard(drain_body, &c, depth, top);
}

/* Owner only: room for a frame that runs incoming calls on this stack (itself plus one above it). */
static int may_nest(const wt__slot *self) { return self->depth + 2 <= WT_PROXYING_MAX_DEPTH && !stack_low(self); }

int wt__proxying_drain_self(void) {
  wt__slot *self = tl_slot;
  if (!self) return 0;
  if (!may_nest(self)) return 0; /* cannot happen from the event loop; the next wait serves them */
  uint32_t f = frame_push(self, F_POLL, 0, NULL, 0);
  int n = drain_guarded(self, tl_gen, NULL, f, 1);
  if (tl_slot == self && self->depth == f + 1) {
    frame_pop(self, f);
    if (has_work(self)) notify_idle(self); /* the rest of the flood: after what else is queued */
  }
  return n;
}

int wt__proxying_pending_self(void) {
  wt__slot *s = tl_slot;
  if (!s) return 0;
  int n = 0;
  for (wt__item *it = s->local_head; it; it = it->next) n++;
  wt__item *h = atomic_load(&s->head);
  if (h == WT__CLOSED) return n;
  for (; h; h = h->next) n++; /* items are only unlinked by this thread */
  return n;
}

int wt_thread_poll(void) {
  int r = join_self();
  if (r) return r;
  wt__slot *self = tl_slot;
  if (!may_nest(self)) return WT_EDEPTH;
  uint32_t f = frame_push(self, F_POLL, 0, NULL, 0);
  int n = drain_guarded(self, tl_gen, NULL, f, 0);
  frame_pop(self, f);
  return n;
}

int wt_thread_serve(int (*until)(void *), void *until_arg, int timeout_ms) {
  if (wt__backend_is_browser_ui() || (tl_flags & WT__TF_NOBLOCK)) return WT_EWOULDBLOCK;
  if (!wt__runtime_may_block()) return WT_EWOULDBLOCK;
  int r = join_self();
  if (r) return r;
  wt__slot *self = tl_slot;
  uint32_t gen = tl_gen;
  if (!may_nest(self)) return WT_EDEPTH;
  double deadline = timeout_ms < 0 ? -1 : wt__now_ms() + timeout_ms;
  uint32_t f = frame_push(self, F_SERVE, 0, NULL, 0);
  wt__why why = wt__wait_why_current();
  if (why.kind == WT_WAIT_OTHER) wt__wait_why(WT_WAIT_SERVE, 0); /* else: a completion wait's reason */
  for (;;) {
    uint32_t seq = atomic_load(&self->seq);
    if (has_work(self)) drain_guarded(self, gen, NULL, f, 0);
    if (until && until(until_arg)) {
      r = 0;
      break;
    }
    if (self->local_head) continue; /* a snapshot left some: no sleep */
    if (wt__wait(&self->seq, seq, deadline, WT_WAIT_SPIN_US) == WT_ETIMEDOUT) {
      if (has_work(self)) drain_guarded(self, gen, NULL, f, 0);
      r = until && until(until_arg) ? 0 : WT_ETIMEDOUT;
      break;
    }
  }
  wt__wait_why_restore(why);
  frame_pop(self, f);
  return r;
}

#ifndef __EMSCRIPTEN__
int wt__proxying_wait_notified(int timeout_ms) {
  if (join_self()) return WT_EFULL;
  wt__slot *self = tl_slot;
  double deadline = timeout_ms < 0 ? -1 : wt__now_ms() + timeout_ms;
  for (;;) {
    uint32_t n = atomic_load(&self->notified);
    if (n != self->notified_seen) {
      self->notified_seen = n;
      return 0;
    }
    if (wt__wait(&self->notified, n, deadline, 0) == WT_ETIMEDOUT) return WT_ETIMEDOUT;
  }
}
#endif

/* ------------------------------------------------------------------ calls */

void wt_call_set_message(wt_call *call, const char *message) {
  assert(call && "wt_call_set_message: call must be the wt_call passed to the function");
  snprintf(call->item.result.message, sizeof call->item.result.message, "%s", message ? message : "");
}

wt_thread wt_call_caller(const wt_call *call) {
  const wt__item *it = &call->item;
  if (it->kind == K_POST) return WT_THREAD_NONE;
  return (wt_thread){((uint64_t)it->caller_gen << 32) | (uint64_t)(it->caller_slot + 1)};
}

/* Any thread: clears a record from alloc_item() for a new call, keeping its home cache. */
static void reset_item(wt__item *it, uint32_t kind, wt_fn fn, void *arg) {
  uint32_t home = it->home;
  memset(it, 0, offsetof(wt__item, result) + offsetof(wt_result, message) + 1);
  it->home = home;
  it->kind = kind;
  it->fn = fn;
  it->arg = arg;
}

/* Calling thread (joined): a record for a call it makes. */
static wt__item *new_item(uint32_t kind, wt_fn fn, void *arg) {
  wt__item *it = alloc_item();
  if (!it) return NULL;
  reset_item(it, kind, fn, arg);
  it->caller_slot = slot_index(tl_slot);
  it->caller_gen = tl_gen;
  return it;
}

/* Owner: room to run a call to oneself inline. */
static int may_run_inline(const wt__slot *self) { return self->depth < WT_PROXYING_MAX_DEPTH && !stack_low(self); }

/* Runs a call to oneself inline, with a stack record. */
static int run_inline(wt_fn fn, void *arg, wt_result *res) {
  wt__item it;
  memset(&it, 0, sizeof it);
  it.kind = K_SYNC;
  it.caller_slot = slot_index(tl_slot);
  it.caller_gen = tl_gen;
  it.fn = fn;
  it.arg = arg;
  set_result(&it, run_user_guarded(tl_slot, U_FN, &it, 1));
  if (res) *res = it.result;
  return it.result.status;
}

static int fail(wt_result *res, int code) {
  if (res) set_status(res, code, "");
  return code;
}

int wt_call_sync(wt_thread target, wt_fn fn, void *arg, int timeout_ms, wt_result *res) {
  if (!fn) return fail(res, WT_EINVAL);
  int r = join_self();
  if (r) return fail(res, r);
  wt__slot *self = tl_slot, *t;
  uint32_t gen = tl_gen, tgen;
  if ((r = resolve(target, &t, &tgen)) != 0) return fail(res, r);
  if (t == self) return may_run_inline(self) ? run_inline(fn, arg, res) : fail(res, WT_EDEPTH);
  if ((wt_thread_is_ui() || wt__backend_is_browser_ui()) && atomic_load(&ui_policy) != WT_UI_POLICY_DANGEROUS_SPIN)
    return fail(res, WT_EWOULDBLOCK);
  if (tl_flags & WT__TF_NOBLOCK) return fail(res, WT_EWOULDBLOCK);
  if (!wt__runtime_may_block()) return fail(res, WT_EWOULDBLOCK);
  if (!may_nest(self)) return fail(res, WT_EDEPTH);

  wt__item *it = new_item(K_SYNC, fn, arg);
  if (!it) return fail(res, WT_ENOMEM);
  atomic_store(&it->refs, 2);
  atomic_store(&it->state, S_QUEUED);
  int target_serving = 0;
  if ((r = push_ex(t, tgen, it, 1, &target_serving)) != 0) {
    release(it);
    return fail(res, r);
  }
  /* Spin only when the target is blocked in the library (it answers in µs); an owner in its event loop
   * answers after a notification round trip, during which spinning would take its core. */
  int spin = target_serving ? WT_WAIT_SPIN_US : 0;
  double deadline = timeout_ms < 0 ? -1 : wt__now_ms() + timeout_ms;
  uint32_t f = frame_push(self, F_WAIT, 0, it, 0);
  int timed_out = 0;
  wt__why why = wt__wait_why(WT_WAIT_CALL, target.bits);
  for (;;) {
    if (atomic_load_explicit(&it->state, memory_order_acquire) == S_DONE) break;
    uint32_t seq = atomic_load(&self->seq);
    if (has_work(self)) drain_guarded(self, gen, it, f, 0);
    if (atomic_load_explicit(&it->state, memory_order_acquire) == S_DONE) break;
    if (self->local_head) continue; /* a snapshot left some: no sleep */
    double until = deadline;
    if (atomic_load_explicit(&t->wake_pending, memory_order_relaxed)) {
      notify_idle(t); /* the target was never told: retry, and look again soon */
      double soon = wt__now_ms() + 5;
      if (until < 0 || soon < until) until = soon;
    }
    if (wt__wait(&self->seq, seq, until, spin) == WT_ETIMEDOUT && until == deadline) {
      uint32_t st = atomic_load(&it->state);
      while (st != S_DONE && !atomic_compare_exchange_weak(&it->state, &st, S_ABANDONED)) {
      }
      if (st != S_DONE) {
        timed_out = 1;
        break;
      }
    }
  }
  wt__wait_why_restore(why);
  frame_pop(self, f);
  if (timed_out) {
    unref(it);
    return fail(res, WT_ETIMEDOUT);
  }
  r = it->result.status;
  if (res) *res = it->result;
  unref(it);
  return r;
}

int wt_call_async(wt_thread target, wt_fn fn, void *arg, wt_done_fn done, void *done_arg) {
  if (!fn || !done) return WT_EINVAL;
  int r = join_self();
  if (r) return r;
  wt__slot *self = tl_slot, *t;
  uint32_t tgen;
  if ((r = resolve(target, &t, &tgen)) != 0) return r;
  if (t == self && !may_run_inline(self)) return WT_EDEPTH;
  wt__item *it = new_item(K_ASYNC, fn, arg);
  if (!it) return WT_ENOMEM;
  it->done = done;
  it->done_arg = done_arg;
  atomic_store(&it->refs, 2);
  atomic_store(&it->state, S_QUEUED);
  out_link(self, it);
  if (t == self) { /* to oneself: run now, complete from the mailbox */
    atomic_store(&it->state, S_RUNNING);
    set_result(it, run_user_guarded(self, U_FN, it, 0));
    atomic_store(&it->state, S_DONE);
    send_completion(it);
    return 0;
  }
  if ((r = push(t, tgen, it, 1)) != 0) {
    out_unlink(self, it);
    release(it);
  }
  return r;
}

int wt_post(wt_thread target, wt_fn fn, wt_cancel_fn cancel, void *arg) {
  if (!fn) return WT_EINVAL;
  wt__slot *t;
  uint32_t tgen;
  int r = resolve(target, &t, &tgen);
  if (r) return r;
  if (t == tl_slot && tgen == tl_gen) { /* to oneself: inline */
    if (!may_run_inline(t)) return WT_EDEPTH;
    wt__item it;
    memset(&it, 0, sizeof it);
    it.kind = K_POST;
    it.fn = fn;
    it.arg = arg;
    run_user_guarded(t, U_FN, &it, 1);
    return 0;
  }
  /* A post needs no caller identity: a thread that never joined may post without joining. */
  wt__item *it = alloc_item();
  if (!it) return WT_ENOMEM;
  reset_item(it, K_POST, fn, arg);
  it->cancel = cancel;
  if ((r = push(t, tgen, it, 1)) != 0) release(it);
  return r;
}

/* ------------------------------------------------------------------ prepared posts, roles */

int wt__proxying_prepare(wt_fn fn, wt_cancel_fn cancel, void *arg, wt__prepared **out) {
  assert(fn && out && "wt__proxying_prepare: fn and out are required");
  wt__item *it = alloc_item();
  if (!it) return WT_ENOMEM;
  reset_item(it, K_POST, fn, arg);
  it->cancel = cancel;
  *out = it;
  return 0;
}

int wt__proxying_send_prepared(wt_thread target, wt__prepared *p) {
  wt__slot *t;
  uint32_t tgen;
  int r = resolve(target, &t, &tgen);
  if (r) return r;
  return push(t, tgen, p, 0); /* unbounded: only WT_ESTALE can come back */
}

void wt__proxying_discard_prepared(wt__prepared *p) {
  if (p) release(p);
}

void wt__proxying_wake(wt_thread t) {
  wt__slot *s = wt__proxying_slot(t);
  if (s) wake_owner(s); /* slots are static: a stale id wakes nobody harmfully */
}

int wt__proxying_self_flags_set(uint32_t flags) {
  int r = join_self();
  if (r) return r;
  tl_flags = flags;
  return 0;
}

uint32_t wt__proxying_self_flags(void) { return tl_slot ? tl_flags : 0; }

/* ------------------------------------------------------------------ leaving */

typedef struct leave_ctx {
  wt__slot *self;
  uint32_t gen;
} leave_ctx;

/* Leaving owner (CLOSING, mailbox closed): answers everything, running completions and cancels through
 * the boundary. Its own async calls still outstanding complete here with WT_ECANCELED: withdrawn when
 * not started yet, else their result is discarded (the target drops its reference when it finds this
 * generation gone). `done` may make new async calls: they are answered in the same loop. */
static void answer_pending(wt__slot *self, uint32_t gen) {
  for (;;) {
    wt__item *it = pop_local(self);
    if (it) {
      if (it->kind == K_COMPLETION && it->target_gen == gen) run_item(self, gen, it);
      else refuse(self, it, it->target_gen == gen ? WT_ECANCELED : WT_ESTALE);
      continue;
    }
    it = self->outstanding;
    if (!it) break;
    out_unlink(self, it);
    uint32_t st = S_QUEUED;
    int withdrawn = atomic_compare_exchange_strong(&it->state, &st, S_ABANDONED);
    wt_result res;
    set_status(&res, WT_ECANCELED,
               withdrawn ? "the caller left before the call ran: withdrawn, it never runs"
                         : "the caller left before the completion arrived: the result is discarded");
    atomic_fetch_add(&st_calls_canceled, 1);
    run_user(self, U_DONE, it, 0, &res);
    unref(it);
  }
}

/* Then the modules above (handles) dispose of the thread's objects through the leave hooks, and what
 * their callbacks started is answered in a second pass. */
static int answer_all(void *p) {
  leave_ctx *c = p;
  answer_pending(c->self, c->gen);
  for (int i = 0; i < WT__LEAVE_HOOKS; i++) {
    wt__leave_fn fn = atomic_load(&leave_hooks[i]);
    if (fn) fn(slot_index(c->self), c->gen);
  }
  answer_pending(c->self, c->gen);
  flush_uncounted(c->self);
  return 0;
}

/* Calling thread: leaves the registry (explicitly, or from its TSD destructor at exit). Resumable: if
 * a callback unwinds out of it, calling it again (or the thread's exit) finishes the job. */
static int leave(int from_exit) {
  wt__slot *self = tl_slot;
  if (!self) return WT_ENOENT;
  if (!from_exit && wt__backend_is_browser_ui()) return WT_EINVAL;
  if (self->depth > 0 && !from_exit) return WT_EINCALL;
  uint32_t gen = tl_gen;
  atomic_store(&self->life, WT__LIFE(gen, WT__CLOSING)); /* wakers stop touching our OS thread */
  unwind_frames(self, 0); /* exiting with frames on the stack: none of them returns */
  take(self, 1); /* from now on pushes fail with WT_ESTALE */
  wt__why why = wt__wait_why(WT_WAIT_LEAVE, make_id(self, gen).bits);
  for (uint32_t n; (n = atomic_load(&self->senders)) != 0;) wt__wait(&self->senders, n, -1, WT_WAIT_SPIN_US);
  wt__wait_why_restore(why);
  leave_ctx c = {self, gen};
  wt__backend_guard(answer_all, &c, 0, 0);
  free_cache(self);
  uint64_t me = make_id(self, gen).bits;
  atomic_compare_exchange_strong(&ui_bits, &me, 0);
  tl_slot = NULL;
  tl_gen = 0;
  tl_flags = 0;
  pthread_setspecific(exit_key, NULL);
  atomic_fetch_sub(&st_live, 1);
  atomic_store(&self->life, WT__LIFE(gen, WT__FREE));
  return 0;
}

int wt_thread_leave(void) { return leave(0); }

static void on_thread_exit(void *unused) {
  (void)unused;
  if (tl_slot) leave(1);
}

/* ------------------------------------------------------------------ reserved slots
 *
 * A thread whose id must be known before it runs (worker/: the UI thread, which never blocks, gets a
 * dedicated worker's or the I/O thread's id at once) is started on a reserved slot: the creator claims
 * it LIVE for a new generation with no OS thread yet (os_thread 0). Items posted to it queue; the
 * backend is not told (there is no thread to tell). The new thread then takes the slot over
 * (attach) and looks once at what has queued. The Dekker pair: a sender pushes (seq_cst CAS on head)
 * and then reads os_thread (backend_em.c); the attacher stores os_thread (seq_cst CAS) and then reads
 * head — at least one of them sees the other, so the first item is never left unannounced. If the
 * thread cannot be started, the creator unreserves: the slot closes like a leaving owner's and what
 * queued is answered on the creator (sync callers WT_ECANCELED, posts' cancel functions run there). */

/* os_thread of a slot that was unreserved: its thread will never come (no pthread_t is 1). */

int wt__proxying_reserve(wt_thread *out) {
  assert(out && "wt__proxying_reserve: out is required");
  pthread_once(&init_once, init_process);
  wt__slot *s;
  uint32_t gen;
  if (claim_slot(&s, &gen)) return WT_EFULL;
  atomic_store(&s->life, WT__LIFE(gen, WT__LIVE));
  atomic_fetch_add(&st_live, 1);
  *out = make_id(s, gen);
  return 0;
}

int wt__proxying_attach(wt_thread id) {
  pthread_once(&init_once, init_process);
  if (tl_slot) return WT_EBUSY;
  wt__slot *s;
  uint32_t gen;
  int r = resolve(id, &s, &gen);
  if (r) return r;
  uintptr_t none = 0;
  if (!atomic_compare_exchange_strong(&s->os_thread, &none, (uintptr_t)pthread_self())) return WT_EBUSY;
  own_slot(s, gen);
  /* The other half of the Dekker pair (see above): our os_thread is visible to every later sender. */
  wt__item *h = atomic_load(&s->head);
  if (h != NULL && h != WT__CLOSED) wt__backend_notify_idle(s);
  return 0;
}

typedef struct unreserve_ctx {
  wt__slot *s;
  wt__item *items; /* push order */
} unreserve_ctx;

/* Creator, for a slot no thread ever owned: answers its items as a leaving owner would. Cancel
 * functions run through the creator's own boundary when it has joined (else plainly). */
static int answer_reserved(void *p) {
  unreserve_ctx *c = p;
  wt__slot *self = tl_slot && may_run_inline(tl_slot) ? tl_slot : NULL;
  while (c->items) {
    wt__item *it = c->items;
    c->items = it->next;
    it->next = NULL;
    if (it->counted) atomic_fetch_sub(&c->s->queued, 1);
    if (it->kind == K_POST && !self) {
      atomic_fetch_add(&st_posts_dropped, 1);
      if (it->cancel) it->cancel(it->arg);
      release(it);
      continue;
    }
    refuse(self, it, it->target_gen == WT__GEN(atomic_load(&c->s->life)) ? WT_ECANCELED : WT_ESTALE);
  }
  return 0;
}

int wt__proxying_unreserve(wt_thread id) {
  wt__slot *s;
  uint32_t gen;
  int r = resolve(id, &s, &gen);
  if (r) return r;
  uintptr_t none = 0;
  if (!atomic_compare_exchange_strong(&s->os_thread, &none, OS_THREAD_UNRESERVED)) return WT_EBUSY;
  atomic_store(&s->life, WT__LIFE(gen, WT__CLOSING)); /* new sends fail (WT_ESTALE) */
  wt__item *h = atomic_exchange(&s->head, WT__CLOSED);
  wt__why why = wt__wait_why(WT_WAIT_LEAVE, id.bits);
  for (uint32_t n; (n = atomic_load(&s->senders)) != 0;) wt__wait(&s->senders, n, -1, WT_WAIT_SPIN_US);
  wt__wait_why_restore(why);
  unreserve_ctx c = {s, NULL};
  for (; h && h != WT__CLOSED;) { /* reverse: push order */
    wt__item *nx = h->next;
    h->next = c.items;
    c.items = h;
    h = nx;
  }
  if (c.items) {
    join_self(); /* cancel functions run on this thread, inside its boundary (best effort: EFULL) */
    if (tl_slot) wt__backend_guard(answer_reserved, &c, tl_slot->depth, 0);
    else answer_reserved(&c);
  }
  free_cache(s);
  atomic_fetch_sub(&st_live, 1);
  atomic_store(&s->life, WT__LIFE(gen, WT__FREE));
  return 0;
}
