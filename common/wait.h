/* Internal: the one blocking wait of webthreads.
 *
 * Every place where the library blocks a thread (a sync call waiting for its answer, a thread serving
 * its mailbox, a leaving thread waiting for senders to let go of it) goes through wt__wait(). That is
 * the single point where the runtime (webthreads/runtime.h) enters and leaves a GC-safe region, where a watchdog can see
 * who waits, and where the spin-then-sleep policy lives.
 *
 * wt__wait is a futex-style wait: it returns when *word no longer holds `expected`, when another thread
 * called wt__wake(word), when the deadline passes, or spuriously. Callers re-check their condition in a
 * loop. Host: Linux futex. Emscripten: emscripten_futex_wait (Atomics.wait on workers; a busy wait on the
 * browser's main thread, which callers must only reach under an explicit opt-in policy).
 * Single-threaded builds (wasm-st, wasi: WT_SINGLE_THREADED): nobody else can change the word, so an
 * unchanged word times out at the deadline and a wait without one aborts (common/wait.c).
 */
#ifndef WT_COMMON_WAIT_H
#define WT_COMMON_WAIT_H

#include <stdatomic.h>
#include <stdint.h>

#include "webthreads/diag.h" /* wt_wait_kind, wt_diag_wait */

#ifdef __cplusplus
extern "C" {
#endif

/* Monotonic clock in milliseconds (fractional). Any thread; never blocks. */
double wt__now_ms(void);

/* Blocks while *word == expected, at most until `deadline_ms` (wt__now_ms() time base; a negative value
 * means no deadline). Spins up to `spin_us` µs before sleeping (pass WT_WAIT_SPIN_US when an answer
 * is expected within µs, 0 when it needs a trip through someone's event loop: spinning then only
 * steals the core the other side needs). Any thread that may block;
 * does not allocate. Returns 0 when woken or the value changed (or spuriously), WT_ETIMEDOUT when the
 * deadline passed. */
int wt__wait(_Atomic uint32_t *word, uint32_t expected, double deadline_ms, int spin_us);

/* Default spin (µs) for waits that expect a quick answer. Build-time knob: -DWT_WAIT_SPIN_US=... */
#ifndef WT_WAIT_SPIN_US
#define WT_WAIT_SPIN_US 30
#endif

/* Why the calling thread's next waits happen (webthreads/diag.h: a wt_wait_kind and its detail), for
 * the diagnostics' table of sleepers. Returns the previous reason; put it back with
 * wt__wait_why_restore when the wait is over (reasons nest: a serve inside a completion wait keeps the
 * completion). Calling thread; never blocks or allocates. */
typedef struct wt__why {
  int kind;
  uint64_t detail;
} wt__why;
wt__why wt__wait_why(int kind, uint64_t detail);
void wt__wait_why_restore(wt__why prev);
/* The calling thread's current reason (kind WT_WAIT_OTHER when none was set). */
wt__why wt__wait_why_current(void);
/* diag/diag.c: the threads asleep in wt__wait now (see diag.h's wt_diag_waits). */
int wt__wait_sleepers(wt_diag_wait *out, int cap);

/* Wakes up to `count` threads blocked in wt__wait on `word` (INT32_MAX: all). Any thread; never blocks,
 * never allocates. Change *word before calling it. */
void wt__wake(_Atomic uint32_t *word, int count);

#ifdef __cplusplus
}
#endif
#endif
