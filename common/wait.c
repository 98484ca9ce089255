/* The one blocking wait (see wait.h). Spin, then sleep on a futex. The GC-safe region of the Mono glue
 * (roadmap item 5) will wrap the sleeping part here and nowhere else. */
#include "common/wait.h"

#include "webthreads/error.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <time.h>

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#include <emscripten/threading.h>
#else
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* Checks of *word before sleeping. A target that is already inside a library wait answers a sync call
 * within this window without a futex round trip; ~a few µs on both host and wasm. */
#ifndef WT_WAIT_SPIN
#define WT_WAIT_SPIN 2000
#endif

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

double wt__now_ms(void) {
#ifdef __EMSCRIPTEN__
  return emscripten_get_now();
#else
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
#endif
}

int wt__wait(_Atomic uint32_t *word, uint32_t expected, double deadline_ms) {
  for (int i = 0; i < WT_WAIT_SPIN; i++) {
    if (atomic_load_explicit(word, memory_order_acquire) != expected) return 0;
    cpu_relax();
  }
  double rel = -1;
  if (deadline_ms >= 0) {
    rel = deadline_ms - wt__now_ms();
    if (rel <= 0) return WT_ETIMEDOUT;
  }
  /* (GC-safe enter goes here.) */
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
  /* (GC-safe leave goes here.) */
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
