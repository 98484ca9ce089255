/* The one blocking wait (see wait.h). Spin, then sleep on a futex. The runtime's GC-safe region
 * (webthreads/runtime.h: the Mono glue) wraps the sleep here and nowhere else; the spin stays outside it
 * (bounded, like any short native call). Single-threaded builds (wasm-st, wasi) have no futex and
 * nobody to wake the one thread: see the WT_SINGLE_THREADED wt__wait below. */
#include "common/wait.h"

#include "common/threads.h"
#include "runtime/internal.h"

#include "webthreads/diag.h"
#include "webthreads/error.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#include <emscripten/threading.h>
#elif !defined(WT_SINGLE_THREADED)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* Spinning (WT_WAIT_SPIN_US, wait.h): a waiter in the library (a sync caller whose target is serving, a
 * serving target) that is answered or called within the window needs no futex round trip on either
 * side: that is what makes a target "busy in library code" answer in about a µs. Bounded, so a waiter
 * costs at most that much CPU per wait; callers pass 0 when the answer must come through an event loop.
 */


double wt__now_ms(void) {
#ifdef __EMSCRIPTEN__
  return emscripten_get_now();
#else
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
#endif
}

/* ------------------------------------------------------------------ why, and who sleeps (diag.h)
 *
 * Each sleep (not the spin) is recorded in a fixed table for wt_diag_waits: the sleeper claims an
 * entry by CAS of its OS thread into `who` (starting at a hash of it, probing linearly), writes what it
 * waits for, and clears `who` when it wakes. Readers load `who`, the fields, then `who` again, and
 * skip an entry that changed meanwhile. Relaxed atomics throughout (a best-effort snapshot; nothing
 * is ordered by it). A full table leaves the sleep unrecorded and counted. */
static _Thread_local wt__why tl_why; /* kind 0 == WT_WAIT_OTHER */

wt__why wt__wait_why(int kind, uint64_t detail) {
  wt__why prev = tl_why;
  tl_why.kind = kind;
  tl_why.detail = detail;
  return prev;
}
void wt__wait_why_restore(wt__why prev) { tl_why = prev; }
wt__why wt__wait_why_current(void) { return tl_why; }

typedef struct sleeper {
  _Atomic uintptr_t who; /* 0: free */
  _Atomic int kind;
  _Atomic uint64_t detail;
  _Atomic int64_t since_us;
} sleeper;
static sleeper sleepers[WT_DIAG_WAITS_MAX];
static _Atomic uint64_t untracked;

#ifndef WT_SINGLE_THREADED /* one thread never sleeps (see wt__wait below): nothing to record */
#include <pthread.h>
static uintptr_t os_self(void) { return (uintptr_t)pthread_self(); }

/* Calling thread, before it sleeps. Returns its entry, or NULL (table full: counted). */
static sleeper *sleep_begin(void) {
  uintptr_t me = os_self();
  size_t start = (size_t)((me >> 4) * 2654435761u) % WT_DIAG_WAITS_MAX;
  for (size_t i = 0; i < WT_DIAG_WAITS_MAX; i++) {
    sleeper *e = &sleepers[(start + i) % WT_DIAG_WAITS_MAX];
    uintptr_t none = 0;
    if (atomic_load_explicit(&e->who, memory_order_relaxed) == 0 &&
        atomic_compare_exchange_strong_explicit(&e->who, &none, me, memory_order_acquire, memory_order_relaxed)) {
      atomic_store_explicit(&e->kind, tl_why.kind, memory_order_relaxed);
      atomic_store_explicit(&e->detail, tl_why.detail, memory_order_relaxed);
      atomic_store_explicit(&e->since_us, (int64_t)(wt__now_ms() * 1000.0), memory_order_relaxed);
      return e;
    }
  }
  atomic_fetch_add_explicit(&untracked, 1, memory_order_relaxed);
  return NULL;
}

static void sleep_end(sleeper *e) {
  if (e) atomic_store_explicit(&e->who, 0, memory_order_release);
}
#endif

/* diag/diag.c: the sleepers now. Any thread; lock-free. Returns how many were found. */
int wt__wait_sleepers(wt_diag_wait *out, int cap) {
  int n = 0;
  for (size_t i = 0; i < WT_DIAG_WAITS_MAX; i++) {
    sleeper *e = &sleepers[i];
    uintptr_t who = atomic_load_explicit(&e->who, memory_order_acquire);
    if (!who) continue;
    wt_diag_wait w = {.os_thread = who, .thread = WT_THREAD_NONE};
    w.kind = (wt_wait_kind)atomic_load_explicit(&e->kind, memory_order_relaxed);
    w.detail = atomic_load_explicit(&e->detail, memory_order_relaxed);
    w.since_ms = (double)atomic_load_explicit(&e->since_us, memory_order_relaxed) / 1000.0;
    if (atomic_load_explicit(&e->who, memory_order_acquire) != who) continue; /* woke meanwhile */
    if (n < cap && out) out[n] = w;
    n++;
  }
  return n;
}

uint64_t wt_diag_untracked_waits(void) { return atomic_load_explicit(&untracked, memory_order_relaxed); }

#ifdef WT_SINGLE_THREADED
/* One thread: nobody else can change *word or wake us, so an unchanged word stays unchanged:
 *   - a word that differs already: 0 at once, as in every build;
 *   - a wait with a deadline sleeps it out and gives WT_ETIMEDOUT (emscripten: a busy wait, the
 *     browser's main thread has no sleep; WASI: nanosleep, i.e. poll_oneoff on a clock). The public
 *     API never gets here: the one thread is the UI thread, whose waits are refused before they wait
 *     (WT_EWOULDBLOCK), and waits for another thread fail before (WT_ENOENT);
 *   - a wait without a deadline could never end: that is a bug, not a hang, and it aborts with a
 *     message (callers loop on anything but WT_ETIMEDOUT, so an error code would spin forever). */
int wt__wait(_Atomic uint32_t *word, uint32_t expected, double deadline_ms, int spin_us) {
  (void)spin_us;
  if (atomic_load_explicit(word, memory_order_acquire) != expected) return 0;
  if (deadline_ms < 0) {
    fprintf(stderr, "webthreads: a wait without a deadline in a single-threaded build (nothing can end it)\n");
    abort();
  }
  for (double now; (now = wt__now_ms()) < deadline_ms;) {
#ifdef __wasi__
    double rel = deadline_ms - now;
    struct timespec ts;
    ts.tv_sec = (time_t)(rel / 1e3);
    ts.tv_nsec = (long)((rel - (double)ts.tv_sec * 1e3) * 1e6);
    nanosleep(&ts, NULL); /* may end early: the loop looks at the clock again */
#endif
  }
  return WT_ETIMEDOUT;
}

void wt__wake(_Atomic uint32_t *word, int count) { (void)word, (void)count; }
#else
static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

int wt__wait(_Atomic uint32_t *word, uint32_t expected, double deadline_ms, int spin_us) {
  if (spin_us > 0) {
    double spin_end = wt__now_ms() + spin_us / 1000.0;
    if (deadline_ms >= 0 && deadline_ms < spin_end) spin_end = deadline_ms;
    for (unsigned i = 1;; i++) {
      if (atomic_load_explicit(word, memory_order_acquire) != expected) return 0;
      cpu_relax();
      if ((i & 63) == 0 && wt__now_ms() >= spin_end) break;
    }
  }
  double rel = -1;
  if (deadline_ms >= 0) {
    rel = deadline_ms - wt__now_ms();
    if (rel <= 0) return WT_ETIMEDOUT;
  }
  /* `anchor` is a local of this frame: the runtime may scan the stack up to it while we sleep. */
  void *anchor = NULL;
  const wt_runtime_hooks *hooks;
  sleeper *rec = sleep_begin();
  void *region = wt__runtime_sleep_enter(&hooks, &anchor);
#ifdef __EMSCRIPTEN__
  int r = emscripten_futex_wait((void *)word, expected, rel < 0 ? INFINITY : rel);
  (void)r;
#else
  struct timespec ts, *tsp = NULL;
  if (rel >= 0) {
    ts.tv_sec = (time_t)(rel / 1e3);
    ts.tv_nsec = (long)((rel - (double)ts.tv_sec * 1e3) * 1e6);
    tsp = &ts;
  }
  syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, tsp, NULL, 0);
#endif
  if (region) wt__runtime_sleep_leave(hooks, region, &anchor);
  sleep_end(rec);
  if (atomic_load_explicit(word, memory_order_acquire) != expected) return 0;
  if (deadline_ms >= 0 && wt__now_ms() >= deadline_ms) return WT_ETIMEDOUT;
  return 0;
}

void wt__wake(_Atomic uint32_t *word, int count) {
#ifdef __EMSCRIPTEN__
  emscripten_futex_wake((void *)word, count);
#else
  syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
#endif
}
#endif
