/* Emscripten backend: wakes an owner that sits in its JS event loop with one task on the library's own
 * em_proxying_queue (never the system queue, whose tasks run at arbitrary blocking points). The task
 * drains the owner's whole mailbox, so a burst of calls costs one wake-up. Owners blocked in the library
 * are woken by router.c through their futex word and never need this queue.
 *
 * emscripten_proxy_async touches the target's pthread struct, which is freed once that thread has been
 * joined: a waker holds the slot's `senders` count while it reads the pthread_t and proxies, and a
 * leaving owner (still alive: it leaves from its TSD destructor or explicitly) waits for that count to
 * drop to zero. The main runtime thread joins the registry at start-up as the UI thread. */
#include "proxying/internal.h"

#include "common/wait.h"

#include <emscripten/emscripten.h>
#include <emscripten/proxying.h>
#include <emscripten/threading.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>

static em_proxying_queue *_Atomic queue;

void wt__backend_init(void) {
  if (atomic_load(&queue)) return;
  em_proxying_queue *q = em_proxying_queue_create();
  if (!q) abort();
  em_proxying_queue *expected = NULL;
  if (!atomic_compare_exchange_strong(&queue, &expected, q)) em_proxying_queue_destroy(q);
}

int wt__backend_is_browser_ui(void) { return emscripten_is_main_browser_thread(); }

/* Runs on the owner, from its event loop. */
static void drain_task(void *unused) {
  (void)unused;
  wt__proxying_drain_self();
}

int wt__backend_notify_idle(wt__slot *s) {
  int ok = 1;
  atomic_fetch_add(&s->senders, 1);
  uint32_t life = atomic_load(&s->life);
  if (WT__STATE(life) == WT__LIVE) {
    uintptr_t t = atomic_load(&s->os_thread);
    /* 0 / 1: a reserved slot no thread has attached to (it looks at its mailbox when it attaches:
     * router.c, "reserved slots"), or one that was unreserved (it answers everything itself).
     * emscripten_proxy_async gives 0 when out of memory, or when the thread's mailbox is shut (it is
     * exiting: it answers everything). */
    ok = t <= 1 || emscripten_proxy_async(atomic_load(&queue), (pthread_t)t, drain_task, NULL) ||
         WT__STATE(atomic_load(&s->life)) != WT__LIVE;
  }
  if (atomic_fetch_sub(&s->senders, 1) == 1 && WT__STATE(atomic_load(&s->life)) == WT__CLOSING)
    wt__wake(&s->senders, INT32_MAX);
  return ok;
}

/* js/library_webthreads_proxying.js: body(ctx) inside a JS try/catch. */
extern int wt__js_guard(int (*body)(void *), void *ctx, uint32_t depth, int top);

int wt__backend_guard(int (*body)(void *), void *ctx, uint32_t depth, int top) {
  return wt__js_guard(body, ctx, depth, top);
}

int wt_thread_adopt_ui(void) { return WT_ENOTSUP; }

/* Links js_exports.c (and with it the JS side, `wtProxying`) into every program that routes calls. */
extern uint64_t wt__js_thread_self(void);
__attribute__((used)) static uint64_t (*const keep_js_exports)(void) = wt__js_thread_self;

/* The main runtime thread is the UI thread: it joins before main() runs. */
__attribute__((constructor)) static void wt__em_join_ui(void) {
  if (emscripten_is_main_runtime_thread()) wt__proxying_set_ui_self();
}
