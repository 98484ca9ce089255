/* Dedicated JS worker threads and the I/O thread (include/webthreads/worker.h).
 *
 * Ids before threads. Both kinds of thread are started on a reserved registry slot
 * (proxying/internal.h): the creator reserves it, so it has the id before the thread exists and
 * returns it at once — the UI thread never waits for a Worker to boot — and the new thread attaches
 * to the slot as its first act. What is sent meanwhile queues in the slot's mailbox; the attach looks
 * once at what queued (the Dekker pair is the router's). If pthread_create fails, the creator
 * unreserves: the slot closes and what queued is canceled there.
 *
 * A worker's life. The start function travels as a post the creator sends to the new id after
 * pthread_create (before it returns the id, so it is the first item in the mailbox, ahead of any
 * call someone else could make); it runs through the router's user-code boundary like any call,
 * from the thread's event loop (browser: the thread attaches, marks itself WT__TF_LOOP, claims its
 * realm and unwinds to its JS event loop with emscripten_exit_with_live_runtime; host: it serves its
 * mailbox with wt_thread_serve). Destroy is a second post, prepared by create (so destroy can neither
 * fail nor allocate): when it runs, the thread exits (pthread_exit). The exit is the router's leave:
 * what queued behind the destroy post is answered (WT_ECANCELED, cancel functions), the leave hooks
 * cancel continuations and bound completions and force-dispose handles. In the browser the realm was
 * claimed at start (js/library_pool.js: wtPoolRetireRealm), so the pool terminates the Worker when
 * the thread is gone instead of handing it to another thread.
 *
 * Who owns the destroy record. Per registry slot, `word` holds the worker's id and, once it is
 * destroyed or gone, the DESTROYED bit (bit 31: a slot number never reaches it). Setting that bit is
 * one CAS from the exact id, made by wt_worker_destroy or, for a worker that exits by itself, by the
 * leave hook; the winner owns the record: destroy sends it, the hook discards it. A stale id never
 * matches (another generation), so destroying an old id cannot touch the slot's next thread.
 *
 * The I/O thread. One per process, never destroyed. The first caller reserves a slot and publishes
 * its id with one CAS before it starts the thread, so concurrent first callers (the UI thread among
 * them, which cannot wait for a thread that needs the UI thread to start) all get that id at once and
 * exactly one thread starts; a loser gives its own reservation back. It is WT__TF_NOBLOCK: the router
 * and completion.c refuse its waits.
 *
 * Locks: none. Blocking: none (pthread_create from a worker takes the pool's round trip to the UI
 * thread).
 */
#include "webthreads/worker.h"
#include "runtime/internal.h"

#include "proxying/internal.h"
#include "worker/internal.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
/* js/library_worker.js: this Worker realm is never reused (its Worker is terminated at thread exit). */
extern void wt__js_worker_realm_claim(void);
#endif

#define DESTROYED ((uint64_t)1 << 31)

typedef struct wslot {
  _Atomic uint64_t word;        /* the worker's id bits, | DESTROYED once destroyed or gone; 0: none */
  _Atomic(wt__prepared *) rec;  /* its destroy record: owned by whoever sets DESTROYED */
} wslot;

static wslot wslots[WT_PROXYING_MAX_THREADS];

static _Atomic uint64_t io_id;
static _Atomic uint32_t io_starts;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static void on_leave(uint32_t slot_index, uint32_t gen);
static void init_module(void) { wt__proxying_on_leave(on_leave); }

static inline uint32_t slot_of(wt_thread t) { return (uint32_t)(t.bits & 0xffffffffu) - 1; }

/* Creator: starts a detached thread running main(arg). 0, WT_EAGAIN or WT_ENOMEM. */
static int spawn(void *(*main)(void *), void *arg) {
  pthread_attr_t a;
  if (pthread_attr_init(&a) != 0) return WT_ENOMEM;
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  pthread_t t;
  int r = pthread_create(&t, &a, main, arg);
  pthread_attr_destroy(&a);
  if (r == 0) return 0;
  return r == EAGAIN ? WT_EAGAIN : WT_ENOMEM;
}

/* ------------------------------------------------------------------ dedicated JS worker threads */

typedef struct start_ctx {
  wt_worker_fn start;
  wt_cancel_fn cancel;
  void *arg;
  wt_thread id;
} start_ctx;

/* The worker, first item of its mailbox (user-code boundary). */
static int start_run(wt_call *call, void *p) {
  (void)call;
  start_ctx *sc = p;
  start_ctx c = *sc;
  free(sc);
  if (atomic_load(&wslots[slot_of(c.id)].word) & DESTROYED) { /* destroyed before it started */
    if (c.cancel) c.cancel(c.arg);
  } else if (c.start) {
    c.start(c.arg);
  }
  return 0;
}

/* The worker left before its start post ran (it exited by itself first). */
static void start_drop(void *p) {
  start_ctx *sc = p;
  start_ctx c = *sc;
  free(sc);
  if (c.cancel) c.cancel(c.arg);
}

/* The worker, from its mailbox: it is destroyed. The thread exits here; the router's leave (its TSD
 * destructor) answers what is left, and an unwind through the frames below is answered as well. */
static int destroy_run(wt_call *call, void *p) {
  (void)call;
  (void)p;
  pthread_exit(NULL);
  return 0;
}

/* The destroy post reached a worker that was leaving already: nothing to do (the router frees it). */
static void destroy_drop(void *p) { (void)p; }

static void *worker_main(void *p) {
  uint32_t idx = (uint32_t)(uintptr_t)p;
  wt_thread id = {atomic_load(&wslots[idx].word) & ~DESTROYED};
  if (wt__proxying_attach(id) != 0) abort(); /* the slot was reserved for this thread: impossible */
  if (wt__proxying_self_flags_set(WT__TF_LOOP) != 0) abort();
#ifdef __EMSCRIPTEN__
  wt__js_worker_realm_claim();
  emscripten_exit_with_live_runtime(); /* to the JS event loop, alive: the mailbox is served from there */
#else
  wt_thread_serve(NULL, NULL, -1); /* until destroy_run ends the thread */
  wt_thread_leave();
#endif
  return NULL;
}

int wt_worker_create(wt_worker_fn start, wt_cancel_fn cancel, void *arg, wt_thread *out) {
  if (!out) return WT_EINVAL;
  pthread_once(&init_once, init_module);
  start_ctx *sc = malloc(sizeof *sc);
  if (!sc) return WT_ENOMEM;
  *sc = (start_ctx){start, cancel, arg, WT_THREAD_NONE};
  wt__prepared *srec = NULL, *drec = NULL;
  if (wt__proxying_prepare(start_run, start_drop, sc, &srec) != 0 ||
      wt__proxying_prepare(destroy_run, destroy_drop, NULL, &drec) != 0) {
    wt__proxying_discard_prepared(srec);
    free(sc);
    return WT_ENOMEM;
  }
  wt_thread id;
  int r = wt__proxying_reserve(&id);
  if (r) {
    wt__proxying_discard_prepared(srec);
    wt__proxying_discard_prepared(drec);
    free(sc);
    return r;
  }
  sc->id = id;
  wslot *w = &wslots[slot_of(id)];
  atomic_store(&w->rec, drec);
  atomic_store(&w->word, id.bits); /* before the thread exists: it reads its id here */
  if ((r = spawn(worker_main, (void *)(uintptr_t)slot_of(id))) != 0) {
    atomic_store(&w->word, id.bits | DESTROYED);
    atomic_store(&w->rec, NULL);
    wt__proxying_unreserve(id); /* nobody has the id: nothing queued */
    wt__proxying_discard_prepared(srec);
    wt__proxying_discard_prepared(drec);
    free(sc);
    return r;
  }
  /* First in its mailbox: nobody else has the id yet. The thread cannot have left (it only exits by
   * running a post, and none is queued before this one). */
  r = wt__proxying_send_prepared(id, srec);
  assert(r == 0 && "wt_worker_create: the new worker left before its start post was sent");
  (void)r;
  *out = id;
  return 0;
}

int wt_worker_destroy(wt_thread w) {
  int live = wt_thread_check(w);
  if (live == WT_ENOENT) return WT_ENOENT;
  wslot *ws = &wslots[slot_of(w)];
  uint64_t cur = w.bits;
  if (!atomic_compare_exchange_strong(&ws->word, &cur, w.bits | DESTROYED)) {
    if (cur == (w.bits | DESTROYED)) return WT_ESTALE; /* destroyed already, or exited */
    return live ? live : WT_EINVAL;                    /* gone; or live and not a worker */
  }
  wt__prepared *rec = atomic_exchange(&ws->rec, NULL);
  if (wt__proxying_send_prepared(w, rec) != 0) { /* it is leaving by itself right now */
    wt__proxying_discard_prepared(rec);
    return WT_ESTALE;
  }
  return 0;
}

int wt_worker_is_worker(wt_thread t) {
  if (wt_thread_check(t) != 0) return 0;
  return atomic_load(&wslots[slot_of(t)].word) == t.bits;
}

/* Leave hook (every thread that leaves): a worker that exits without being destroyed gives its
 * destroy record back. */
static void on_leave(uint32_t slot_index, uint32_t gen) {
  wslot *ws = &wslots[slot_index];
  uint64_t id = ((uint64_t)gen << 32) | (uint64_t)(slot_index + 1);
  uint64_t cur = id;
  if (atomic_compare_exchange_strong(&ws->word, &cur, id | DESTROYED))
    wt__proxying_discard_prepared(atomic_exchange(&ws->rec, NULL));
}

/* ------------------------------------------------------------------ the I/O thread */

static void *io_main(void *p) {
  (void)p;
  wt_thread id = {atomic_load(&io_id)};
  if (wt__proxying_attach(id) != 0) abort(); /* reserved for this thread: impossible */
  if (wt__proxying_self_flags_set(WT__TF_NOBLOCK) != 0) abort();
  wt__runtime_attach_self(); /* so completions delivered here may run runtime code */
#ifdef __EMSCRIPTEN__
  emscripten_exit_with_live_runtime(); /* its JS event loop serves the mailbox */
#else
  for (;;) { /* the host's stand-in for an event loop: drain, then wait for a wake-up */
    wt__proxying_drain_self();
    wt__proxying_wait_notified(-1);
  }
#endif
  return NULL;
}

int wt_io_thread(wt_thread *out) {
  if (!out) return WT_EINVAL;
  uint64_t cur = atomic_load(&io_id);
  if (cur) {
    out->bits = cur;
    return 0;
  }
  pthread_once(&init_once, init_module);
  wt_thread id;
  int r = wt__proxying_reserve(&id);
  if (r) return r;
  if (!atomic_compare_exchange_strong(&io_id, &cur, id.bits)) { /* another first call won */
    wt__proxying_unreserve(id); /* nobody saw this one */
    out->bits = cur;
    return 0;
  }
  if ((r = spawn(io_main, NULL)) != 0) {
    uint64_t mine = id.bits;
    atomic_compare_exchange_strong(&io_id, &mine, 0); /* a later call tries again */
    wt__proxying_unreserve(id); /* what concurrent callers sent is canceled */
    return r;
  }
  atomic_fetch_add(&io_starts, 1);
  *out = id;
  return 0;
}

unsigned wt__worker_io_starts(void) { return atomic_load(&io_starts); }
