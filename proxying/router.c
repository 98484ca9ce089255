/* Thread-affine call routing: registry, mailboxes, sync/async/post calls, cancellation.
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
 *     em_proxying_queue that drains the mailbox from the JS event loop; host: nothing, it polls).
 * The owner takes the whole stack with one exchange, reverses it and appends it to a private FIFO that
 * nested drains keep consuming, so calls run in push order (FIFO per sender) even when a call blocks and
 * serves again.
 *
 * Completion. Sync: the caller waits on its own `seq` and serves its mailbox meanwhile; the target sets
 * the item's state to DONE and bumps the caller's `seq`. The item is reference-counted (caller + target)
 * so a caller that timed out may leave before the target is done with it. Async: the same item travels
 * back to the caller's mailbox as a completion and runs there. Post: freed by the target.
 *
 * Exit. A leaving owner marks its slot CLOSING, swaps WT__CLOSED into its mailbox (later pushes fail at
 * once: WT_ESTALE), waits for backend wakers that still hold its OS thread, then answers every item:
 * WT_ECANCELED for calls, cancel() for posts; its own pending completions run. Only then is the slot FREE
 * for another thread (next generation).
 */
#include "proxying/internal.h"

#include "common/wait.h"

#include <assert.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_SYNC = 1, K_ASYNC, K_POST, K_COMPLETION };
enum { S_QUEUED = 0, S_RUNNING, S_DONE, S_ABANDONED };

typedef struct wt__item {
  struct wt__item *next;
  uint32_t home;              /* slot index + 1 of the thread whose cache it returns to; 0: malloc'd */
  uint32_t kind;
  uint32_t target_gen;        /* generation the item is addressed to */
  _Atomic uint32_t state;     /* sync only: S_* */
  _Atomic uint32_t refs;      /* sync only: caller + target */
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
static _Atomic uint64_t ui_bits;
static _Atomic int ui_policy;
static _Atomic uint64_t st_posts_dropped, st_calls_canceled, st_completions_dropped;
static _Atomic uint32_t st_live;

static _Thread_local wt__slot *tl_slot;
static _Thread_local uint32_t tl_gen;

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

/* ------------------------------------------------------------------ registry */

/* Calling thread: claims a free slot (next generation) unless joined. 0 or WT_EFULL. Lock-free. */
static int join_self(void) {
  if (tl_slot) return 0;
  pthread_once(&init_once, init_process);
  for (uint32_t i = 0; i < WT_PROXYING_MAX_THREADS; i++) {
    wt__slot *s = &slots[i];
    uint32_t life = atomic_load(&s->life);
    if (WT__STATE(life) != WT__FREE) continue;
    if (!atomic_compare_exchange_strong(&s->life, &life, WT__LIFE(WT__GEN(life), WT__CLAIMED))) continue;
    uint32_t gen = WT__GEN(life) + 1;
    if (gen >= (1u << 30)) gen = 1; /* wraps after 2^30 threads in one slot */
    s->local_head = s->local_tail = NULL;
    s->running = 0;
    s->cache = NULL; /* emptied when the previous owner left; `returned` may hold records: reused */
    s->cache_n = 0;
    atomic_store(&s->serving, 0);
    atomic_store(&s->os_thread, (uintptr_t)pthread_self());
    /* Items a late sender pushed after we cleared CLOSED carry an older generation: answered as stale. */
    atomic_store(&s->head, NULL);
    tl_slot = s;
    tl_gen = gen;
    atomic_store(&s->life, WT__LIFE(gen, WT__LIVE));
    atomic_fetch_add(&st_live, 1);
    pthread_setspecific(exit_key, s);
    /* A sender that saw CLAIMED did not wake us: look once. */
    wt__item *h = atomic_load(&s->head);
    if (h != NULL && h != WT__CLOSED) wt__backend_notify_idle(s);
    return 0;
  }
  return WT_EFULL;
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
  if (idx1 == 0 || idx1 > WT_PROXYING_MAX_THREADS || gen == 0 || gen >= (1u << 30)) return WT_ENOENT;
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

int wt__proxying_max_threads(void) { return WT_PROXYING_MAX_THREADS; }

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
}

/* ------------------------------------------------------------------ mailbox */

/* Any thread: wakes the owner of `s` out of a library wait (wt__wait on its `seq`). */
static void wake_owner(wt__slot *s) {
  atomic_fetch_add(&s->seq, 1);
  wt__wake(&s->seq, 1);
}

/* Pushes `it` to slot `s` for generation `gen`. Any thread; lock-free. 0 or WT_ESTALE (closed).
 * *serving (may be NULL): whether the owner was blocked in the library, i.e. likely to answer in µs. */
static int push_ex(wt__slot *s, uint32_t gen, wt__item *it, int *serving) {
  it->target_gen = gen;
  wt__item *h = atomic_load(&s->head);
  do {
    if (h == WT__CLOSED) return WT_ESTALE;
    it->next = h;
  } while (!atomic_compare_exchange_weak(&s->head, &h, it));
  uint32_t srv = atomic_load(&s->serving);
  if (serving) *serving = srv != 0;
  if (h == NULL) { /* first of a batch: wake the owner */
    if (srv) wake_owner(s);
    else wt__backend_notify_idle(s);
  }
  return 0;
}

static int push(wt__slot *s, uint32_t gen, wt__item *it) { return push_ex(s, gen, it, NULL); }

/* Owner only: moves the incoming stack into the private FIFO. Leaves WT__CLOSED in place. */
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
  while (h) {
    wt__item *n = h->next;
    h->next = rev;
    rev = h;
    h = n;
  }
  if (!rev) return;
  if (s->local_tail) s->local_tail->next = rev;
  else s->local_head = rev;
  s->local_tail = tail;
}

/* Owner only. */
static wt__item *pop_local(wt__slot *s) {
  wt__item *it = s->local_head;
  if (it) {
    s->local_head = it->next;
    if (!s->local_head) s->local_tail = NULL;
    it->next = NULL;
  }
  return it;
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
    if (it) it->home = 0;
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
    return it;
  }
  it = malloc(sizeof *it);
  if (it) it->home = slot_index(self) + 1;
  return it;
}

/* Any thread: back to the home cache (directly on the home thread, else its `returned` stack). */
static void release(wt__item *it) {
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

/* Any thread: drops one reference of a sync record. */
static void unref(wt__item *it) {
  if (atomic_fetch_sub(&it->refs, 1) == 1) release(it);
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

/* Target thread: runs the function and records its result. */
static void invoke(wt__slot *self, wt__item *it) {
  it->result.message[0] = 0;
  self->running++;
  int r = it->fn((wt_call *)it, it->arg);
  self->running--;
  set_result(it, r);
}

/* Target side: publishes a sync item's result (or an error status) and wakes its caller. */
static void finish_sync(wt__item *it, uint32_t from_state) {
  wt__slot *caller = &slots[it->caller_slot];
  uint32_t st = from_state;
  atomic_compare_exchange_strong(&it->state, &st, S_DONE); /* fails when the caller abandoned it */
  wake_owner(caller);
  unref(it);
}

/* Sends an async item back to its caller as a completion, or drops it when the caller left. */
static void send_completion(wt__item *it) {
  it->kind = K_COMPLETION;
  if (push(&slots[it->caller_slot], it->caller_gen, it) != 0) {
    atomic_fetch_add(&st_completions_dropped, 1);
    release(it);
  }
}

/* Answers an item without running it (target left, or the item is for another generation). */
static void refuse(wt__item *it, int status) {
  switch (it->kind) {
  case K_SYNC: {
    uint32_t st = S_QUEUED;
    if (!atomic_compare_exchange_strong(&it->state, &st, S_RUNNING)) { /* abandoned by a timeout */
      unref(it);
      return;
    }
    it->result.status = status;
    it->result.fn_error = 0;
    snprintf(it->result.message, sizeof it->result.message, "%s", "");
    if (status == WT_ECANCELED) atomic_fetch_add(&st_calls_canceled, 1);
    finish_sync(it, S_RUNNING);
    return;
  }
  case K_ASYNC:
    it->result.status = status;
    it->result.fn_error = 0;
    it->result.message[0] = 0;
    if (status == WT_ECANCELED) atomic_fetch_add(&st_calls_canceled, 1);
    send_completion(it);
    return;
  case K_POST:
    atomic_fetch_add(&st_posts_dropped, 1);
    if (it->cancel) it->cancel(it->arg);
    release(it);
    return;
  case K_COMPLETION: /* its caller (this slot's previous owner) is gone */
    atomic_fetch_add(&st_completions_dropped, 1);
    release(it);
    return;
  }
  abort();
}

/* Owner only: runs one item of its mailbox (or answers it as stale). */
static void run_item(wt__slot *self, uint32_t gen, wt__item *it) {
  if (it->target_gen != gen) {
    refuse(it, WT_ESTALE);
    return;
  }
  switch (it->kind) {
  case K_SYNC: {
    uint32_t st = S_QUEUED;
    if (!atomic_compare_exchange_strong(&it->state, &st, S_RUNNING)) {
      unref(it); /* withdrawn by a timeout before it started */
      return;
    }
    invoke(self, it);
    finish_sync(it, S_RUNNING);
    return;
  }
  case K_ASYNC:
    invoke(self, it);
    send_completion(it);
    return;
  case K_POST:
    self->running++;
    it->fn((wt_call *)it, it->arg);
    self->running--;
    release(it);
    return;
  case K_COMPLETION:
    it->done(&it->result, it->done_arg);
    release(it);
    return;
  }
  abort();
}

/* Owner only: runs everything pending, including what arrives meanwhile. Re-entrant (a call may block
 * and serve again): nested drains continue the same private FIFO. Returns the number run. */
static int drain(wt__slot *self, uint32_t gen) {
  int n = 0;
  for (;;) {
    wt__item *it = pop_local(self);
    if (!it) {
      take(self, 0);
      it = pop_local(self);
      if (!it) return n;
    }
    run_item(self, gen, it);
    n++;
  }
}

int wt__proxying_drain_self(void) { return tl_slot ? drain(tl_slot, tl_gen) : 0; }

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
  return drain(tl_slot, tl_gen);
}

/* Leaving a library wait: items that arrived while we were serving but after our last drain were
 * announced through `seq` only; hand them to the event loop. */
static void serve_exit(wt__slot *self) {
  uint32_t d = atomic_load(&self->serving) - 1;
  atomic_store(&self->serving, d);
  if (d == 0) {
    wt__item *h = atomic_load(&self->head);
    if (h != NULL && h != WT__CLOSED) wt__backend_notify_idle(self);
  }
}

int wt_thread_serve(int (*until)(void *), void *until_arg, int timeout_ms) {
  if (wt__backend_is_browser_ui()) return WT_EWOULDBLOCK;
  int r = join_self();
  if (r) return r;
  wt__slot *self = tl_slot;
  uint32_t gen = tl_gen;
  double deadline = timeout_ms < 0 ? -1 : wt__now_ms() + timeout_ms;
  atomic_store(&self->serving, atomic_load(&self->serving) + 1);
  for (;;) {
    uint32_t seq = atomic_load(&self->seq);
    drain(self, gen);
    if (until && until(until_arg)) {
      r = 0;
      break;
    }
    if (wt__wait(&self->seq, seq, deadline, WT_WAIT_SPIN_US) == WT_ETIMEDOUT) {
      drain(self, gen);
      r = until && until(until_arg) ? 0 : WT_ETIMEDOUT;
      break;
    }
  }
  serve_exit(self);
  return r;
}

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

/* Runs a call to oneself inline, with a stack record. */
static int run_inline(wt_fn fn, void *arg, wt_result *res) {
  wt__item it;
  memset(&it, 0, sizeof it);
  it.kind = K_SYNC;
  it.caller_slot = slot_index(tl_slot);
  it.caller_gen = tl_gen;
  it.fn = fn;
  it.arg = arg;
  invoke(tl_slot, &it);
  if (res) *res = it.result;
  return it.result.status;
}

static int fail(wt_result *res, int code) {
  if (res) {
    res->status = code;
    res->fn_error = 0;
    res->message[0] = 0;
  }
  return code;
}

int wt_call_sync(wt_thread target, wt_fn fn, void *arg, int timeout_ms, wt_result *res) {
  if (!fn) return fail(res, WT_EINVAL);
  int r = join_self();
  if (r) return fail(res, r);
  wt__slot *self = tl_slot, *t;
  uint32_t gen = tl_gen, tgen;
  if ((r = resolve(target, &t, &tgen)) != 0) return fail(res, r);
  if (t == self) return run_inline(fn, arg, res);
  if ((wt_thread_is_ui() || wt__backend_is_browser_ui()) && atomic_load(&ui_policy) != WT_UI_POLICY_DANGEROUS_SPIN)
    return fail(res, WT_EWOULDBLOCK);

  wt__item *it = new_item(K_SYNC, fn, arg);
  if (!it) return fail(res, WT_ENOMEM);
  atomic_store(&it->refs, 2);
  atomic_store(&it->state, S_QUEUED);
  int target_serving = 0;
  if ((r = push_ex(t, tgen, it, &target_serving)) != 0) {
    release(it);
    return fail(res, r);
  }
  /* Spin only when the target is blocked in the library (it answers in µs); an owner in its event loop
   * answers after a notification round trip, during which spinning would take its core. */
  int spin = target_serving ? WT_WAIT_SPIN_US : 0;
  double deadline = timeout_ms < 0 ? -1 : wt__now_ms() + timeout_ms;
  atomic_store(&self->serving, atomic_load(&self->serving) + 1);
  int timed_out = 0;
  for (;;) {
    if (atomic_load_explicit(&it->state, memory_order_acquire) == S_DONE) break;
    uint32_t seq = atomic_load(&self->seq);
    drain(self, gen);
    if (atomic_load_explicit(&it->state, memory_order_acquire) == S_DONE) break;
    if (wt__wait(&self->seq, seq, deadline, spin) == WT_ETIMEDOUT) {
      uint32_t st = atomic_load(&it->state);
      while (st != S_DONE && !atomic_compare_exchange_weak(&it->state, &st, S_ABANDONED)) {
      }
      if (st != S_DONE) {
        timed_out = 1;
        break;
      }
    }
  }
  serve_exit(self);
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
  wt__slot *t;
  uint32_t tgen;
  if ((r = resolve(target, &t, &tgen)) != 0) return r;
  wt__item *it = new_item(K_ASYNC, fn, arg);
  if (!it) return WT_ENOMEM;
  it->done = done;
  it->done_arg = done_arg;
  if (t == tl_slot) { /* to oneself: run now, complete from the mailbox */
    invoke(tl_slot, it);
    send_completion(it);
    return 0;
  }
  if ((r = push(t, tgen, it)) != 0) release(it);
  return r;
}

int wt_post(wt_thread target, wt_fn fn, wt_cancel_fn cancel, void *arg) {
  if (!fn) return WT_EINVAL;
  wt__slot *t;
  uint32_t tgen;
  int r = resolve(target, &t, &tgen);
  if (r) return r;
  if (t == tl_slot && tgen == tl_gen) { /* to oneself: inline */
    wt__item it;
    memset(&it, 0, sizeof it);
    it.kind = K_POST;
    it.fn = fn;
    it.arg = arg;
    tl_slot->running++;
    fn((wt_call *)&it, arg);
    tl_slot->running--;
    return 0;
  }
  /* A post needs no caller identity: a thread that never joined may post without joining. */
  wt__item *it = alloc_item();
  if (!it) return WT_ENOMEM;
  reset_item(it, K_POST, fn, arg);
  it->cancel = cancel;
  if ((r = push(t, tgen, it)) != 0) release(it);
  return r;
}

/* ------------------------------------------------------------------ leaving */

/* Calling thread: leaves the registry (explicitly, or from its TSD destructor at exit). */
static int leave(int from_exit) {
  wt__slot *self = tl_slot;
  if (!self) return WT_ENOENT;
  if (!from_exit && wt__backend_is_browser_ui()) return WT_EINVAL;
  assert(self->running == 0 && "wt_thread_leave: not from inside a call the thread is running");
  uint32_t gen = tl_gen;
  atomic_store(&self->life, WT__LIFE(gen, WT__CLOSING));
  take(self, 1); /* from now on pushes fail with WT_ESTALE */
  for (uint32_t n; (n = atomic_load(&self->senders)) != 0;) wt__wait(&self->senders, n, -1, WT_WAIT_SPIN_US);
  for (wt__item *it; (it = pop_local(self)) != NULL;) {
    if (it->kind == K_COMPLETION && it->target_gen == gen) run_item(self, gen, it);
    else refuse(it, it->target_gen == gen ? WT_ECANCELED : WT_ESTALE);
  }
  free_cache(self);
  uint64_t me = make_id(self, gen).bits;
  atomic_compare_exchange_strong(&ui_bits, &me, 0);
  tl_slot = NULL;
  tl_gen = 0;
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
