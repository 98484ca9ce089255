/* pthread_create from a worker thread: the call to the UI thread that runs it.
 *
 * Only the UI thread can hand a thread to a Worker (js/library_pool.js's take), so emscripten's
 * __pthread_create_js sends a worker's pthread_create there and waits for the result. Emscripten
 * 3.1.69 does that with emscripten_proxy_sync on a context that lives on the creator's stack, and its
 * emscripten_proxy_finish unlocks the context's mutex before it signals the condition variable: a
 * creator that finds the answer before it started waiting returns (its stack is reused by its next
 * pthread_create), and the UI thread's late pthread_cond_signal then runs on the next call's
 * condition variable and can unlink the waiter that call has just registered. That waiter is never
 * signalled: the creator hangs in pthread_create although the UI thread answered (docs/pool.md,
 * "pthread_create from a worker"; fixed upstream after 3.1.69 by signalling before unlocking).
 *
 * Here js/library_pool_create.js routes the call through wt__pool_create_proxied instead: an async
 * task on the same system queue (so it runs where and when emscripten's sync proxy ran: in the UI
 * thread's event loop or at its blocking points), and a completion word on the creator's stack that
 * the creator waits on.
 */
#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#include <emscripten/proxying.h>
#include <emscripten/threading.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>

#include "common/wait.h"

/* js/library_pool_create.js, UI thread: emscripten's __pthread_create_js there (spawnThread). */
int wt__js_pool_create_on_ui(uintptr_t pthread_ptr, uintptr_t attr, uintptr_t start_routine, uintptr_t arg);

struct create_call {
  uintptr_t pthread_ptr, attr, start_routine, arg;
  int result;
  _Atomic uint32_t done;
};

/* UI thread (system queue task). */
static void create_on_ui(void *p) {
  struct create_call *c = p;
  c->result = wt__js_pool_create_on_ui(c->pthread_ptr, c->attr, c->start_routine, c->arg);
  /* Invariant: this store is the UI thread's last access to *c. Once the creator sees done it
   * returns and its stack is reused; the wake below only names the address (a waiter there now at
   * most wakes spuriously, which every futex user tolerates), and wakes every waiter so that no
   * other waiter on the word (e.g. a stale Atomics.waitAsync) can take the creator's wake-up. */
  atomic_store_explicit(&c->done, 1, memory_order_release);
  wt__wake(&c->done, INT_MAX);
}

/* Worker thread, from __pthread_create_js (js/library_pool_create.js's pthreadCreateProxied):
 * runs the create on the UI thread and returns its result (0 or an errno value). */
EMSCRIPTEN_KEEPALIVE int wt__pool_create_proxied(uintptr_t pthread_ptr, uintptr_t attr, uintptr_t start_routine,
                                                 uintptr_t arg) {
  struct create_call c = {.pthread_ptr = pthread_ptr, .attr = attr, .start_routine = start_routine, .arg = arg};
  if (!emscripten_proxy_async(emscripten_proxy_get_system_queue(), emscripten_main_runtime_thread_id(),
                              create_on_ui, &c))
    return EAGAIN; /* the UI thread's mailbox is closed: the runtime is exiting */
  /* The one wait function (common/wait.h); no spin: the answer needs a trip through the UI thread. */
  wt__why why = wt__wait_why(WT_WAIT_WORKER, pthread_ptr);
  while (!atomic_load_explicit(&c.done, memory_order_acquire)) wt__wait(&c.done, 0, -1, 0);
  wt__wait_why_restore(why);
  return c.result;
}
#endif
