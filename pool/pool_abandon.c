/* Ending a thread that never ran, and freeing a refused one (wasm only): the one place where the pool
 * uses musl's and emscripten's internal headers (pthread_impl.h, em_task_queue.h; include paths in
 * pool/sources.cmake).
 *
 * A thread whose Worker failed to boot is placed on another Worker (js/library_pool.js,
 * placeOrphans). When none can take it for WT_POOL_ORPHAN_GRACE_MS while boots keep failing, the
 * pool ends it as if it had been cancelled before running: this does, from the UI thread, what
 * emscripten's _emscripten_thread_exit does on an exiting thread, minus what a thread that never ran
 * cannot have (cleanup handlers, TSD values). A joiner then gets PTHREAD_CANCELED instead of waiting
 * for ever. */
#define _GNU_SOURCE
#include "pthread_impl.h"
#include "em_task_queue.h"

#include <emscripten/emscripten.h>
#include <stdatomic.h>

void _emscripten_thread_free_data(pthread_t t); /* system/lib/pthread/pthread_create.c */

/* A pthread_create refused by __pthread_create_js (EAGAIN at the cap) leaves emscripten's
 * __pthread_create with the new thread's block (pthread struct, TLS, TSD, stack: one malloc block,
 * map_base) and its mailbox queue allocated and owned by nobody: it unlinks the thread and returns
 * the error without freeing them. Called on the creating thread once that __pthread_create has
 * returned ($wtRefused in js/library_pool.js); frees both. */
EMSCRIPTEN_KEEPALIVE void wt__js_pool_free_refused(pthread_t t) {
  em_task_queue_destroy(t->mailbox);
  _emscripten_thread_free_data(t);
}

/* UI thread only; `t` has no Worker and never ran. Returns 1 if `t` was detached (the caller frees
 * its block: nobody will join it), 0 if a joiner (now or later) will clean it up. Never blocks
 * beyond senders finishing an enqueue on `t`'s mailbox. */
EMSCRIPTEN_KEEPALIVE int wt__js_pool_abandon(pthread_t t) {
  /* Close the mailbox as _emscripten_thread_mailbox_shutdown does for its own thread: drop the
   * thread's reference, wait for senders (they hold one only while enqueueing), cancel what was
   * sent (sync senders return, callbacks get their cancel). */
  int count = atomic_fetch_sub(&t->mailbox_refcount, 1) - 1;
  while (count != 0) count = atomic_load(&t->mailbox_refcount);
  em_task_queue_cancel(t->mailbox);
  em_task_queue_destroy(t->mailbox);

  if (!--libc.threads_minus_1) libc.need_locks = 0;
  __tl_lock();
  t->next->prev = t->prev;
  t->prev->next = t->next;
  t->prev = t->next = t;
  __tl_unlock();

  t->result = PTHREAD_CANCELED;
  int state = a_cas(&t->detach_state, DT_JOINABLE, DT_EXITING);
  if (state == DT_DETACHED) return 1;
  a_store(&t->detach_state, DT_EXITED);
  __wake(&t->detach_state, 1, 1);
  return 0;
}
