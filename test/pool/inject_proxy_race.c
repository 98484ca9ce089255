// Fault injection for pool_wasm's caprace scenario (target wt_pool_wasm_inject, linked with
// -Wl,--wrap=pthread_mutex_lock -Wl,--wrap=pthread_cond_signal): forces, on every other
// pthread_create of a creator thread, the interleaving in which emscripten 3.1.69's sync proxy
// (emscripten_proxy_sync, which its __pthread_create_js used for a worker's pthread_create) loses the
// creator's wake-up. Natural runs need a preemption of the UI thread inside a few instructions of
// pthread_cond_signal (docs/pool.md); this makes both halves of it happen:
//   1. the creator is late to wait: its first lock of a mutex on its own stack after it armed (the
//      sync proxy's context mutex, taken right after the call was queued) spins 300 us first, so the
//      UI thread answers before the creator waits;
//   2. the UI thread is slow inside the signal it then sends to a condition variable on a creator's
//      stack with no waiter registered (the creator was late): it reads the waiter list, spins 2 ms,
//      then writes it back, as musl's signal does, meanwhile the creator returns, makes its next
//      (unarmed) pthread_create and registers its waiter on the same stack address.
// A pthread_create that does not wait on a context on the creator's stack (pool/create.c) meets
// neither: the scenario then runs as without injection.
#include <emscripten/emscripten.h>
#include <emscripten/stack.h>
#include <emscripten/threading.h>
#include <pthread.h>
#include <stdint.h>

int wt_test_on_creator_stack(const void *p); // pool_wasm.c

static _Thread_local int arm, calls;

// pool_wasm.c's caprace creator, around each pthread_create (weak no-ops there).
void wt_test_inject_before_create(void) { arm = (calls++ & 1) == 0; }
void wt_test_inject_after_create(void) { arm = 0; }

static void spin_ms(double ms) {
  double t = emscripten_get_now();
  while (emscripten_get_now() - t < ms) {
  }
}

int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __wrap_pthread_mutex_lock(pthread_mutex_t *m) {
  // Every lock of the program comes here, some before a Worker's thread has its TLS: look at `arm`
  // only for a mutex on a creator's stack, which only that creator (or the UI thread) locks.
  uintptr_t a = (uintptr_t)m;
  if (wt_test_on_creator_stack(m) && !emscripten_is_main_runtime_thread() && arm &&
      a >= emscripten_stack_get_end() && a < emscripten_stack_get_base()) {
    arm = 0;
    spin_ms(0.3);
  }
  return __real_pthread_mutex_lock(m);
}

// musl's private condition variable (src/thread/pthread_cond_timedwait.c, __private_cond_signal with
// n = 1): words 1 (_c_head), 5 (_c_tail) and 8 (_c_lock) of pthread_cond_t, waiters on the waiting
// threads' stacks. The same algorithm, plus the spin.
struct waiter {
  struct waiter *prev, *next;
  volatile int state, barrier;
  volatile int *notify;
};

static int cas(volatile int *p, int old, int val) {
  __atomic_compare_exchange_n(p, &old, val, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return old; // the value seen
}

static void lock(volatile int *l) {
  if (cas(l, 0, 1)) {
    cas(l, 1, 2);
    do emscripten_futex_wait((void *)l, 2, 1);
    while (cas(l, 0, 2));
  }
}

static void unlock(volatile int *l) {
  if (__atomic_exchange_n(l, 0, __ATOMIC_SEQ_CST) == 2) emscripten_futex_wake((void *)l, 1);
}

int __real_pthread_cond_signal(pthread_cond_t *c);
int __wrap_pthread_cond_signal(pthread_cond_t *c) {
  if (!emscripten_is_main_runtime_thread() || !wt_test_on_creator_stack(c)) return __real_pthread_cond_signal(c);
  volatile int *w = (volatile int *)c;
  struct waiter *p, *first = 0;
  volatile int ref = 0;
  int cur, n = 1;
  lock(&w[8]);
  int nobody = w[5] == 0;
  for (p = (struct waiter *)(uintptr_t)w[5]; n && p; p = p->prev) {
    if (cas(&p->state, 0, 1) != 0) {
      ref++;
      p->notify = &ref;
    } else {
      n--;
      if (!first) first = p;
    }
  }
  if (nobody) spin_ms(2); // the UI thread is preempted here
  if (p) {
    if (p->next) p->next->prev = 0;
    p->next = 0;
  } else {
    w[1] = 0;
  }
  w[5] = (int)(uintptr_t)p;
  unlock(&w[8]);
  while ((cur = ref)) emscripten_futex_wait((void *)&ref, cur, 1);
  if (first) unlock(&first->barrier);
  return 0;
}
