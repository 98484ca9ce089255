/* Completions (include/webthreads/completion.h): one result, settled once, delivered across threads.
 *
 * State. A completion's `state` goes PENDING -> SETTLING -> SETTLED, the first step by one CAS (the
 * single point where "who settles" is decided: everyone else gets WT_EALREADY), the second by a
 * release store after the outcome (status, message, value) is written, so a reader that sees SETTLED
 * reads the outcome without a lock.
 *
 * Continuations. Each wt_completion_then makes a node, with its mailbox record prepared at once
 * (proxying/internal.h: prepared posts), and pushes it on the completion's lock-free stack `conts`.
 * Settling seals the stack (exchange with SEALED) and dispatches every node: a node's `state` goes
 * WAITING -> CLAIMED by one CAS (the dispatcher's) and the prepared record is sent to the node's
 * thread, where it runs the continuation through the router's user-code boundary; or, when that
 * thread leaves before the record ran, the record's cancel path runs there. A wait's node has no
 * record: the dispatcher wakes the waiter's serving wait directly (CLAIMED -> WOKEN) and the waiter,
 * which re-checks the state, unlinks it. A node can
 * instead be taken WAITING -> CANCELED first by its own thread (the registering thread leaving, or a
 * waiter that timed out): the two CASes make "continuation or cancel" exactly one.
 *
 * Nodes registered for the calling thread itself are also on that thread's list (thread-local,
 * touched by that thread only), so that its leave hook finds the ones still WAITING and runs their
 * cancel paths there, as it leaves. The hook runs after the router answered the thread's closed
 * mailbox: every record sent to it earlier has run or been canceled by then, so a node still CLAIMED
 * is one whose send is in flight and must fail (the mailbox is closed); the hook waits the few
 * instructions until the dispatcher marks it FAILED and runs the cancel itself. A node for another
 * thread whose send fails runs its cancel on the dispatching thread.
 *
 * References. A waiting node does not keep its completion alive: when the last reference goes while
 * the completion is pending, nobody can settle it any more, so it is canceled and its continuations
 * run with WT_ECANCELED. The dispatcher (who holds a reference: it is settling) gives each node it
 * claims a reference for the trip, dropped when the continuation or cancel returned. So a thread that
 * took a node WAITING -> CANCELED must not touch the completion after that CAS (it may be freed).
 * The node's own memory is counted by `nrefs`: the completion's stack, the owner list, the mailbox
 * record. Canceled nodes stay on the stack (other threads may be walking it) until the completion
 * settles, is freed, or a waiter prunes the stack after many timeouts (so a wait loop with short
 * timeouts does not grow it).
 *
 * Bindings. wt_completion_bind sets `bound` once (CAS from 0) and puts the completion on the settler
 * thread's bound list (thread-local; from another thread through a prepared record run there, whose
 * cancel path — the settler left first — cancels the completion). The leave hook cancels every
 * pending completion still on the list. A completion that settles on its settler thread leaves the
 * list at once; one settled elsewhere leaves it at the next sweep (when the list doubled).
 *
 * Locks: none. Blocking: only wt_completion_wait and wt_await_sync (through wt_thread_serve, the
 * library's one serving wait). A JS unwind out of a continuation leaks that node's references (C
 * unwinds on the host are cleaned up).
 */
#include "webthreads/completion.h"

#include "common/pthread.h"
#include "common/threads.h"
#include "common/wait.h"
#include "webthreads/diag.h"
#include "completion/internal.h"
#include "proxying/internal.h"

#include <assert.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { C_PENDING = 0, C_SETTLING, C_SETTLED };
enum { N_WAITING = 0, N_CLAIMED, N_FAILED, N_CANCELED, N_WOKEN };

typedef struct node node;

struct wt_completion {
  _Atomic uint32_t state;
  _Atomic uint32_t refs;
  _Atomic(node *) conts; /* newest first; SEALED once settled */
  _Atomic uint32_t canceled_nodes; /* canceled nodes left on the stack (prune hint) */
  _Atomic uint64_t bound;          /* settler's wt_thread bits, 0: none */
  /* outcome: written by the settler before state = SETTLED */
  int status;
  wt_value value;
  char message[WT_CALL_MESSAGE_MAX];
  /* the settler's bound list (settler thread only) */
  wt_completion *bprev, *bnext;
  uint32_t blinked;
};

struct node {
  node *next;                 /* on the completion's stack */
  node *tprev, *tnext;        /* on the registering thread's list (that thread only) */
  _Atomic uint32_t state;     /* N_* */
  _Atomic uint32_t nrefs;
  uint32_t linked;            /* on the registering thread's list */
  uint64_t where;             /* thread bits the continuation runs on */
  wt_completion *c;           /* set, with a reference, by the dispatcher that claimed it */
  wt_completion_fn fn;        /* NULL: a waiter's node */
  wt_cancel_fn cancel;
  void *arg;
  wt__prepared *rec;
};

#define SEALED ((node *)(uintptr_t)1)

static _Atomic uint64_t st_created, st_freed, st_resolved, st_rejected, st_canceled, st_refused, st_run,
    st_cont_canceled;

/* The calling thread's lists: continuations it registered for itself, completions bound to it. */
static _Thread_local node *tl_nodes;
static _Thread_local wt_completion *tl_bound;
static _Thread_local uint32_t tl_bound_n, tl_bound_sweep_at;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static void on_leave(uint32_t slot_index, uint32_t gen);
static void init_module(void) { wt__proxying_on_leave(on_leave); }

/* ------------------------------------------------------------------ lifetime */

static void settle_canceled(wt_completion *c, const char *why);

int wt_completion_create(wt_completion **out) {
  if (!out) return WT_EINVAL;
  pthread_once(&init_once, init_module);
  wt_completion *c = calloc(1, sizeof *c);
  if (!c) return WT_ENOMEM;
  atomic_init(&c->refs, 1);
  atomic_fetch_add(&st_created, 1);
  *out = c;
  return 0;
}

void wt_completion_retain(wt_completion *c) {
  assert(c && atomic_load(&c->refs) > 0 && "wt_completion_retain: completion already freed");
  atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
}

static void node_unref(node *n);

void wt_completion_release(wt_completion *c) {
  if (!c) return;
  uint32_t before = atomic_fetch_sub(&c->refs, 1);
  assert(before > 0 && "wt_completion_release: released more often than retained");
  if (before != 1) return;
  if (atomic_load(&c->state) == C_PENDING) {
    /* Nobody can settle it any more: cancel it, which frees the canceled nodes still stacked (live
     * nodes hold references, so there are none). The settle must not see refs 0 as "free me". */
    atomic_store(&c->refs, 1);
    settle_canceled(c, "the completion's last reference was released before it settled");
    if (atomic_fetch_sub(&c->refs, 1) != 1) return;
  }
  node *n = atomic_exchange(&c->conts, SEALED); /* SEALED already: a settled completion's stack is empty */
  assert((n == SEALED || n == NULL) && "wt_completion_release: nodes left on a settled completion");
  (void)n;
  assert(!c->blinked && "wt_completion_release: still on a bound list (it holds a reference)");
  if (c->value.kind == WT_VALUE_BYTES || c->value.kind == WT_VALUE_STRING) free((void *)c->value.data);
  free(c);
  atomic_fetch_add(&st_freed, 1);
}

/* ------------------------------------------------------------------ nodes */

static void node_unref(node *n) {
  if (atomic_fetch_sub(&n->nrefs, 1) != 1) return;
  if (n->rec) wt__proxying_discard_prepared(n->rec);
  free(n);
}

static void tl_link(node *n) {
  n->linked = 1;
  n->tprev = NULL;
  n->tnext = tl_nodes;
  if (tl_nodes) tl_nodes->tprev = n;
  tl_nodes = n;
}

/* Registering thread only. Drops the list's reference. */
static void tl_unlink(node *n) {
  if (!n->linked) return;
  n->linked = 0;
  if (n->tprev) n->tprev->tnext = n->tnext;
  else tl_nodes = n->tnext;
  if (n->tnext) n->tnext->tprev = n->tprev;
  node_unref(n);
}

static void cleanup_release(wt_completion **c) {
  if (*c) wt_completion_release(*c);
}

/* Runs on `where` from its mailbox (prepared record, inside the user-code boundary). */
static int node_run(wt_call *call, void *arg) {
  (void)call;
  node *n = arg;
  /* The record is the router's now: it frees it after we return. */
  n->rec = NULL;
  wt_completion *c __attribute__((cleanup(cleanup_release))) = n->c;
  wt_completion_fn fn = n->fn;
  void *farg = n->arg;
  n->c = NULL;
  if (n->linked && wt_thread_self().bits == n->where) tl_unlink(n);
  node_unref(n); /* the record's reference */
  if (fn) {
    atomic_fetch_add(&st_run, 1);
    fn(c, farg);
  }
  return 0;
}

/* Runs on `where` as it leaves (or on the slot's next owner for a stale record): the cancel path. */
static void node_drop(void *arg) {
  node *n = arg;
  n->rec = NULL;
  wt_completion *c __attribute__((cleanup(cleanup_release))) = n->c;
  wt_cancel_fn cancel = n->cancel;
  void *carg = n->arg;
  int user = n->fn != NULL;
  n->c = NULL;
  if (n->linked && wt_thread_self().bits == n->where) tl_unlink(n);
  node_unref(n);
  if (user) {
    atomic_fetch_add(&st_cont_canceled, 1);
    if (cancel) cancel(carg);
  }
}

/* The node's cancel path outside the mailbox (leave hook, failed send to another thread). */
static void node_cancel_here(node *n) {
  wt_completion *c __attribute__((cleanup(cleanup_release))) = n->c;
  n->c = NULL;
  if (n->fn) {
    atomic_fetch_add(&st_cont_canceled, 1);
    if (n->cancel) n->cancel(n->arg);
  }
}

/* Dispatcher (any thread, holding a reference on `c`): sends one node taken off a sealed stack; drops
 * the stack's reference. */
static void dispatch_one(wt_completion *c, node *n) {
  uint32_t st = N_WAITING;
  if (atomic_compare_exchange_strong(&n->state, &st, N_CLAIMED)) {
    if (!n->fn) {
      /* A waiter's node: wake the waiter directly (it holds its own reference on `c` and re-checks
       * the state: SETTLED is stored already). The stack's reference keeps the node while we mark it;
       * the waiter unlinks it (its list's reference) when it sees it claimed. */
      wt__proxying_wake((wt_thread){n->where});
      atomic_store(&n->state, N_WOKEN);
      node_unref(n);
      return;
    }
    wt_completion_retain(c); /* a continuation's, for the trip (fn reads `c`) */
    n->c = c;
    atomic_fetch_add(&n->nrefs, 1); /* the record's */
    wt__prepared *rec = n->rec;
    if (wt__proxying_send_prepared((wt_thread){n->where}, rec) == 0) {
      /* From here on the record may already have run and dropped its reference. */
      node_unref(n); /* the stack's */
      return;
    }
    atomic_fetch_sub(&n->nrefs, 1);
    if (n->linked) {
      /* Its own thread is leaving (its hook waits for this): it runs the cancel path there. */
      atomic_store(&n->state, N_FAILED);
    } else {
      node_cancel_here(n);
      atomic_store(&n->state, N_CANCELED);
    }
  }
  node_unref(n); /* the stack's */
}

/* Dispatches every node on the stack (oldest first) and seals it. Settler, after SETTLED. */
static void dispatch(wt_completion *c) {
  node *n = atomic_exchange(&c->conts, SEALED);
  node *fifo = NULL;
  while (n && n != SEALED) { /* reverse: registration order */
    node *next = n->next;
    n->next = fifo;
    fifo = n;
    n = next;
  }
  while (fifo) {
    node *next = fifo->next;
    dispatch_one(c, fifo);
    fifo = next;
  }
}

/* Pushes `n` on the stack, or dispatches it at once when the completion has settled. */
static void push_node(wt_completion *c, node *n) {
  node *h = atomic_load(&c->conts);
  do {
    if (h == SEALED) {
      dispatch_one(c, n);
      return;
    }
    n->next = h;
  } while (!atomic_compare_exchange_weak(&c->conts, &h, n));
}

/* Takes the stack, frees its canceled nodes and puts the others back (dispatching them itself when
 * the completion settled meanwhile). Any thread holding a reference. */
static void prune(wt_completion *c) {
  node *h = atomic_load(&c->conts);
  do {
    if (h == SEALED || h == NULL) return;
  } while (!atomic_compare_exchange_weak(&c->conts, &h, NULL));
  node *keep = NULL, *tail = NULL;
  uint32_t freed = 0;
  while (h) {
    node *next = h->next;
    if (atomic_load(&h->state) == N_CANCELED) {
      node_unref(h);
      freed++;
    } else {
      h->next = keep;
      if (!keep) tail = h;
      keep = h;
    }
    h = next;
  }
  atomic_fetch_sub(&c->canceled_nodes, freed);
  if (!keep) return;
  node *cur = atomic_load(&c->conts);
  do {
    if (cur == SEALED) {
      while (keep) {
        node *next = keep->next;
        dispatch_one(c, keep);
        keep = next;
      }
      return;
    }
    tail->next = cur;
  } while (!atomic_compare_exchange_weak(&c->conts, &cur, keep));
}

/* Calling thread: a node for `where` (bits), linked on this thread's list when `where` is itself. */
static int make_node(wt_completion *c, uint64_t where, wt_completion_fn fn, wt_cancel_fn cancel, void *arg,
                     node **out) {
  node *n = calloc(1, sizeof *n);
  if (!n) return WT_ENOMEM;
  if (fn && wt__proxying_prepare(node_run, node_drop, n, &n->rec) != 0) { /* a waiter's needs none */
    free(n);
    return WT_ENOMEM;
  }
  n->where = where;
  n->fn = fn;
  n->cancel = cancel;
  n->arg = arg;
  atomic_init(&n->nrefs, 1); /* the stack's */
  if (where == wt_thread_self().bits) {
    atomic_fetch_add(&n->nrefs, 1);
    tl_link(n);
  }
  *out = n;
  return 0;
}

/* Registering thread: takes a WAITING node of its own back (timeout). 1 when it was still waiting. */
static int withdraw(wt_completion *c, node *n) {
  uint32_t st = N_WAITING;
  if (!atomic_compare_exchange_strong(&n->state, &st, N_CANCELED)) return 0;
  atomic_fetch_add(&c->canceled_nodes, 1);
  tl_unlink(n);
  if (atomic_load(&c->canceled_nodes) > 16) prune(c);
  return 1;
}

/* ------------------------------------------------------------------ bound lists */

static void bound_unlink(wt_completion *c) {
  if (c->bprev) c->bprev->bnext = c->bnext;
  else tl_bound = c->bnext;
  if (c->bnext) c->bnext->bprev = c->bprev;
  c->blinked = 0;
  tl_bound_n--;
}

/* Settler thread: drops the completions on its list that settled elsewhere. */
static void bound_sweep(void) {
  for (wt_completion *c = tl_bound, *next; c; c = next) {
    next = c->bnext;
    if (atomic_load(&c->state) != C_PENDING) {
      bound_unlink(c);
      wt_completion_release(c);
    }
  }
  tl_bound_sweep_at = 2 * tl_bound_n + 32;
}

/* Settler thread: puts `c` (one reference given) on its bound list, unless it settled already. */
static void bound_link(wt_completion *c) {
  if (atomic_load(&c->state) != C_PENDING) {
    wt_completion_release(c);
    return;
  }
  if (tl_bound_n >= tl_bound_sweep_at) bound_sweep();
  c->blinked = 1;
  c->bprev = NULL;
  c->bnext = tl_bound;
  if (tl_bound) tl_bound->bprev = c;
  tl_bound = c;
  tl_bound_n++;
}

static int bind_run(wt_call *call, void *arg) {
  (void)call;
  bound_link(arg);
  return 0;
}

static void bind_drop(void *arg) { /* the settler left before the binding reached it */
  wt_completion *c = arg;
  wt_completion_cancel(c);
  wt_completion_release(c);
}

int wt_completion_bind(wt_completion *c, wt_thread settler) {
  if (!c) return WT_EINVAL;
  int r0;
  if (settler.bits == 0 && (r0 = wt_thread_join(&settler)) != 0) return r0;
  /* Also for the calling thread: while it leaves, a binding made after the leave hook ran would
   * never cancel `c`. */
  if ((r0 = wt_thread_check(settler)) != 0) return r0;
  if (atomic_load(&c->state) != C_PENDING) return WT_EALREADY;
  uint64_t none = 0;
  if (!atomic_compare_exchange_strong(&c->bound, &none, settler.bits)) return WT_EALREADY;
  wt_completion_retain(c); /* the list's */
  if (settler.bits == wt_thread_self().bits) {
    bound_link(c);
    return 0;
  }
  wt__prepared *rec;
  if (wt__proxying_prepare(bind_run, bind_drop, c, &rec) != 0) {
    atomic_store(&c->bound, 0);
    wt_completion_release(c);
    return WT_ENOMEM;
  }
  int r = wt__proxying_send_prepared(settler, rec);
  if (r) {
    wt__proxying_discard_prepared(rec);
    atomic_store(&c->bound, 0);
    wt_completion_release(c);
  }
  return r;
}

/* ------------------------------------------------------------------ settling */

static int settle_begin(wt_completion *c) {
  uint32_t st = C_PENDING;
  if (atomic_compare_exchange_strong(&c->state, &st, C_SETTLING)) return 0;
  atomic_fetch_add(&st_refused, 1);
  return WT_EALREADY;
}

static void settle_end(wt_completion *c) {
  atomic_store_explicit(&c->state, C_SETTLED, memory_order_release);
  if (atomic_load(&c->bound) == wt_thread_self().bits && c->blinked) { /* settled on its settler */
    bound_unlink(c);
    /* The list's reference: the caller holds one more, so this cannot free `c` under it. */
    atomic_fetch_sub(&c->refs, 1);
  }
  dispatch(c);
}

static void set_message(wt_completion *c, const char *m) {
  snprintf(c->message, sizeof c->message, "%s", m ? m : "");
}

static void settle_canceled(wt_completion *c, const char *why) {
  if (settle_begin(c)) return;
  c->status = WT_ECANCELED;
  set_message(c, why);
  atomic_fetch_add(&st_canceled, 1);
  settle_end(c);
}

int wt_completion_resolve(wt_completion *c, const wt_value *value) {
  if (!c) return WT_EINVAL;
  wt_value v = value ? *value : (wt_value){.kind = WT_VALUE_NONE};
  void *copy = NULL;
  switch (v.kind) {
  case WT_VALUE_NONE:
  case WT_VALUE_U64:
  case WT_VALUE_F64:
  case WT_VALUE_HANDLE:
    v.data = NULL;
    v.len = 0;
    break;
  case WT_VALUE_STRING:
    if (!v.data) {
      if (v.len) return WT_EINVAL;
      v.data = "";
    }
    if (v.len == 0) v.len = strlen(v.data);
    /* fall through */
  case WT_VALUE_BYTES:
    if (!v.data && v.len) return WT_EINVAL;
    if (atomic_load(&c->state) != C_PENDING) { /* do not copy for a loser */
      atomic_fetch_add(&st_refused, 1);
      return WT_EALREADY;
    }
    copy = malloc(v.len + 1);
    if (!copy) return WT_ENOMEM;
    if (v.len) memcpy(copy, v.data, v.len);
    ((char *)copy)[v.len] = 0;
    v.data = copy;
    break;
  default:
    return WT_EINVAL;
  }
  if (settle_begin(c)) {
    free(copy);
    return WT_EALREADY;
  }
  c->status = 0;
  c->value = v;
  c->message[0] = 0;
  atomic_fetch_add(&st_resolved, 1);
  settle_end(c);
  return 0;
}

int wt_completion_reject(wt_completion *c, int status, const char *message) {
  if (!c || status == 0) return WT_EINVAL;
  if (settle_begin(c)) return WT_EALREADY;
  c->status = status;
  set_message(c, message);
  atomic_fetch_add(status == WT_ECANCELED ? &st_canceled : &st_rejected, 1);
  settle_end(c);
  return 0;
}

int wt_completion_cancel(wt_completion *c) {
  if (!c) return WT_EINVAL;
  if (settle_begin(c)) return WT_EALREADY;
  c->status = WT_ECANCELED;
  set_message(c, "canceled");
  atomic_fetch_add(&st_canceled, 1);
  settle_end(c);
  return 0;
}

/* ------------------------------------------------------------------ observing */

int wt_completion_result_get(const wt_completion *c, wt_result *res, wt_value *value) {
  assert(c && "wt_completion_result_get: c must not be NULL");
  if (atomic_load_explicit(&((wt_completion *)c)->state, memory_order_acquire) != C_SETTLED)
    return WT_COMPLETION_PENDING;
  if (res) {
    res->status = c->status;
    res->fn_error = c->status;
    memcpy(res->message, c->message, sizeof res->message);
  }
  if (value) {
    if (c->status == 0) *value = c->value;
    else *value = (wt_value){.kind = WT_VALUE_NONE};
  }
  return c->status;
}

int wt_completion_then(wt_completion *c, wt_thread where, wt_completion_fn fn, wt_cancel_fn cancel,
                       void *arg) {
  if (!c || !fn) return WT_EINVAL;
  int r;
  if (where.bits == 0 && (r = wt_thread_join(&where)) != 0) return r;
  /* Also for the calling thread: while it leaves it is no longer live (WT_ESTALE), and a node linked
   * after the leave hook ran would never run nor be canceled. */
  if ((r = wt_thread_check(where)) != 0) return r;
  node *n;
  if ((r = make_node(c, where.bits, fn, cancel, arg, &n)) != 0) return r;
  push_node(c, n);
  return 0;
}

typedef struct wait_ctx {
  wt_completion *c;
} wait_ctx;

static int settled(void *p) {
  wait_ctx *w = p;
  return atomic_load_explicit(&w->c->state, memory_order_acquire) == C_SETTLED;
}

int wt_completion_wait(wt_completion *c, int timeout_ms) {
  if (!c) return WT_EINVAL;
  int r = wt_completion_result_get(c, NULL, NULL);
  if (r != WT_COMPLETION_PENDING) return r;
  if (wt_thread_is_ui()) return WT_EWOULDBLOCK;
  wt_thread self;
  if ((r = wt_thread_join(&self)) != 0) return r;
  uint32_t flags = wt__proxying_self_flags();
  if (flags & WT__TF_NOBLOCK) return WT_EWOULDBLOCK;
  uint64_t bound = atomic_load(&c->bound);
  if (bound == self.bits) return WT_EDEADLK;
  if ((flags & WT__TF_LOOP) && (bound == 0 || wt_thread_check((wt_thread){bound}) != 0)) return WT_EDEADLK;
  node *n;
  /* The node tells the dispatcher whom to wake (wt__proxying_wake: a futex wake of this thread's
   * serving wait) when `c` settles. */
  if ((r = make_node(c, self.bits, NULL, NULL, NULL, &n)) != 0) return r;
  push_node(c, n);
  wait_ctx w = {c};
  wt__why why = wt__wait_why_current(); /* wt_await_sync's reason, if it is the caller */
  if (why.kind == WT_WAIT_OTHER) wt__wait_why(WT_WAIT_COMPLETION, (uint64_t)(uintptr_t)c);
  r = wt_thread_serve(settled, &w, timeout_ms);
  wt__wait_why_restore(why);
  if (!withdraw(c, n)) tl_unlink(n); /* claimed (being woken, or woken): the dispatcher keeps it alive */
  /* `c` may have settled as the wait ended (timeout): then the outcome is the answer — once the
   * settler finished writing it (a few instructions: it never blocks between its CAS and its release
   * store). */
  if (atomic_load(&c->state) == C_PENDING) return r; /* WT_ETIMEDOUT, WT_EDEPTH, ...: still pending */
  while ((r = wt_completion_result_get(c, NULL, NULL)) == WT_COMPLETION_PENDING) sched_yield();
  return r;
}

/* ------------------------------------------------------------------ sync over async */

typedef struct start_ctx {
  wt_completion *c;
  wt_async_start_fn start;
  wt_cancel_fn drop; /* runs instead of start when start never runs (may be NULL) */
  void *arg;
} start_ctx;

static int start_run(wt_call *call, void *p) {
  (void)call;
  start_ctx *s = p;
  wt_completion *c = s->c;
  wt_async_start_fn start = s->start;
  void *arg = s->arg;
  free(s);
  wt_completion_retain(c);
  bound_link(c); /* its binding: bound bits were set by the caller */
  int r = start(c, arg);
  if (r) wt_completion_reject(c, r, wt_strerror(r));
  wt_completion_release(c);
  return 0;
}

static void start_drop(void *p) { /* the target left before running it */
  start_ctx *s = p;
  settle_canceled(s->c, "the target thread left before the async work started");
  wt_completion_release(s->c);
  if (s->drop) s->drop(s->arg);
  free(s);
}

static int await_sync(wt_thread target, wt_async_start_fn start, wt_cancel_fn drop, void *arg, int timeout_ms,
                      wt_completion **out);

int wt_await_sync(wt_thread target, wt_async_start_fn start, void *arg, int timeout_ms, wt_completion **out) {
  return await_sync(target, start, NULL, arg, timeout_ms, out);
}

/* completion/internal.h. Used by completion/js_exports.c (wt_await_js_sync), whose start reads a heap
 * copy of its strings that may outlive a timed-out caller. */
int wt__await_sync_drop(wt_thread target, wt_async_start_fn start, wt_cancel_fn drop, void *arg, int timeout_ms,
                        wt_completion **out) {
  if (!start || !drop) return WT_EINVAL; /* drop NULL: the caller keeps arg (nothing ran) */
  return await_sync(target, start, drop, arg, timeout_ms, out);
}

static int await_sync(wt_thread target, wt_async_start_fn start, wt_cancel_fn drop, void *arg, int timeout_ms,
                      wt_completion **out) {
  int r = 0;
  if (out) *out = NULL;
  if (!start) return WT_EINVAL;
#define AWAIT_RETURN(v) do { r = (v); goto unsent; } while (0)
  if (target.bits == 0) target = wt_thread_ui();
  if (target.bits == 0) AWAIT_RETURN(WT_ENOENT);
  if (wt_thread_is_ui()) AWAIT_RETURN(WT_EWOULDBLOCK);
  wt_thread self;
  if ((r = wt_thread_join(&self)) != 0) AWAIT_RETURN(r);
  if (wt__proxying_self_flags() & WT__TF_NOBLOCK) AWAIT_RETURN(WT_EWOULDBLOCK);
  if (target.bits == self.bits) AWAIT_RETURN(WT_EDEADLK);
  if ((r = wt_thread_check(target)) != 0) AWAIT_RETURN(r);
  wt_completion *c;
  if ((r = wt_completion_create(&c)) != 0) AWAIT_RETURN(r);
  start_ctx *s = malloc(sizeof *s);
  wt__prepared *rec = NULL;
  if (!s || wt__proxying_prepare(start_run, start_drop, s, &rec) != 0) {
    free(s);
    wt_completion_release(c);
    AWAIT_RETURN(WT_ENOMEM);
  }
  atomic_store(&c->bound, target.bits);
  wt_completion_retain(c); /* the record's */
  *s = (start_ctx){c, start, drop, arg};
  if ((r = wt__proxying_send_prepared(target, rec)) != 0) {
    wt__proxying_discard_prepared(rec);
    free(s);
    wt_completion_release(c);
    wt_completion_release(c);
    AWAIT_RETURN(r);
  }
  wt__why why = wt__wait_why(WT_WAIT_AWAIT, (uint64_t)(uintptr_t)c);
  r = wt_completion_wait(c, timeout_ms);
  wt__wait_why_restore(why);
  if (wt_completion_result_get(c, NULL, NULL) == WT_COMPLETION_PENDING && wt_completion_cancel(c) == 0) {
    wt_completion_release(c); /* timed out (or refused): canceled by us, *out stays NULL */
    return r;
  }
  /* Settled — maybe just after the wait timed out (then its outcome, not WT_ETIMEDOUT, is the answer),
   * or by a settler whose CAS beat our cancel and that is still writing the outcome (SETTLING): that
   * takes it a few instructions. */
  while ((r = wt_completion_result_get(c, NULL, NULL)) == WT_COMPLETION_PENDING) sched_yield();
  if (out) *out = c;
  else wt_completion_release(c);
  return r;
unsent: /* nothing was sent: start never runs */
  if (drop) drop(arg);
  return r;
#undef AWAIT_RETURN
}

/* ------------------------------------------------------------------ leaving */

/* Leave hook (router, on the leaving thread, its mailbox answered): cancels the completions bound to
 * it, then runs the cancel path of each continuation it registered for itself that is still waiting. */
static void on_leave(uint32_t slot_index, uint32_t gen) {
  (void)slot_index;
  (void)gen;
  while (tl_bound) {
    wt_completion *c = tl_bound;
    bound_unlink(c);
    settle_canceled(c, "the thread that was to settle it (its binding) left");
    wt_completion_release(c);
  }
  tl_bound_sweep_at = 0;
  while (tl_nodes) {
    node *n = tl_nodes;
    uint32_t st = atomic_load(&n->state);
    if (st == N_WAITING) {
      if (!atomic_compare_exchange_strong(&n->state, &st, N_CANCELED)) continue;
      /* From here the completion may be freed by another thread: do not touch it. */
      node_cancel_here(n); /* n->c is NULL: only the user's cancel */
      tl_unlink(n);
      continue;
    }
    if (st == N_CLAIMED) { /* its dispatcher's send is failing right now (or it is waking a waiter) */
      sched_yield();
      continue;
    }
    if (st == N_WOKEN) { /* a waiter's node: the thread exits from inside its wait */
      tl_unlink(n);
      continue;
    }
    /* N_FAILED: ours to cancel. (Sent and canceled nodes are never on the list here.) */
    assert(st == N_FAILED && "completion leave hook: unexpected node state");
    node_cancel_here(n);
    atomic_store(&n->state, N_CANCELED);
    tl_unlink(n);
  }
}

/* ------------------------------------------------------------------ stats */

void wt_completion_stats_get(wt_completion_stats *out) {
  assert(out && "wt_completion_stats_get: out must not be NULL");
  /* freed first: every free it counts has its create counted by the later load, so live >= 0. */
  out->freed = atomic_load(&st_freed);
  out->created = atomic_load(&st_created);
  out->resolved = atomic_load(&st_resolved);
  out->rejected = atomic_load(&st_rejected);
  out->canceled = atomic_load(&st_canceled);
  out->refused = atomic_load(&st_refused);
  out->continuations_run = atomic_load(&st_run);
  out->continuations_canceled = atomic_load(&st_cont_canceled);
  out->live = out->created - out->freed;
}

#if defined(__EMSCRIPTEN__) && !defined(WT_SINGLE_THREADED)
/* Links completion/js_exports.c (and with it the JS side, `wtCompletion`) into every program that uses
 * completions, so JS (EM_ASM, the page) can bridge Promises without naming a C entry. */
extern uint64_t wt__js_completion_self(void);
__attribute__((used)) static uint64_t (*const keep_js_exports)(void) = wt__js_completion_self;
#endif
