/* Parked Workers: the shared memory behind thread start without the UI thread (js/library_pool_park.js).
 *
 * When a thread finishes on a Worker whose realm is clean, the Worker does not go back to its event
 * loop to wait for a 'run' message from the UI thread: it parks, and a later pthread_create on any
 * worker thread hands it the new thread through this area. Everything on that path is JS on
 * Atomics (the parked Worker has no thread, hence no wasm stack, so it must not call C); this file only
 * owns the memory and the switch, so the layout is declared once (the offsets JS uses are asserted below).
 *
 * Layout (int32 words from `wt__park_area`):
 *   [0]            lock: 0 free, 1 held (a spin flag held for a few loads and stores, never across a wait)
 *   [1]            count: parked slots on the stack
 *   [2]            notes: 1 while the UI thread has been told that something parked and has not read it
 *   [3]            starts: threads started on a parked Worker (wt_pool_stats().parked_starts)
 *   [4 .. 4+N)     stack of parked slot indices (LIFO: the warmest Worker first)
 *   then N slots of 4 words: state, pthread_ptr, start_routine, arg
 *   then N doubles: when the slot's Worker parked (performance.timeOrigin + now(), ms)
 * A slot belongs to one Worker from its creation to its termination (the UI thread assigns and frees
 * slots). Its state word is (generation << 3) | S, S one of OFF (not parked: booting, running a thread or
 * about to), PARKED (on the stack, waiting), RUN (a creator has popped it and written the thread),
 * UNPARK (the UI thread has popped it: go back to the event loop, a 'run' message follows), RETIRE (the
 * UI thread has popped it to terminate it). The generation changes each time the slot is given to a new
 * Worker, so a Worker being terminated can never take a thread meant for its slot's next owner.
 *
 * Lock rules: the stack and count change only under the lock; a slot is popped under the lock by
 * exactly one party (creator, UI thread), which then alone writes its fields and its state; the parked
 * Worker writes its slot only before pushing it and after seeing RUN/UNPARK/RETIRE.
 */
#include "pool/pool_internal.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>

#define WT__PARK_SLOTS 1024 /* Workers alive at once are at most WT_POOL_LIMIT (400); slots are reused FIFO */

static struct {
  _Atomic int32_t lock, count, notes, starts;
  int32_t stack[WT__PARK_SLOTS];
  struct {
    _Atomic int32_t state;
    int32_t pthread_ptr, start_routine, arg;
  } slot[WT__PARK_SLOTS];
  double parked_at[WT__PARK_SLOTS];
} area;

_Static_assert(offsetof(__typeof__(area), stack) == 4 * 4, "js/library_pool_park.js: stack at word 4");
_Static_assert(offsetof(__typeof__(area), slot) == 4 * (4 + WT__PARK_SLOTS), "js/library_pool_park.js: slots");
_Static_assert(offsetof(__typeof__(area), parked_at) == 4 * (4 + 5 * WT__PARK_SLOTS), "js/library_pool_park.js: times");

/* Any realm, with a thread (it is C): the area's address; its size in slots is WT__PARK_SLOTS. */
EMSCRIPTEN_KEEPALIVE void *wt__js_pool_park_area(void) { return &area; }
EMSCRIPTEN_KEEPALIVE int wt__js_pool_park_slots(void) { return WT__PARK_SLOTS; }

/* JS Module.webthreads.pool.park (default false, docs/pool.md: an open heap corruption under load):
 * whether the UI thread gives the Workers it creates a park slot. Set by the config, read by the UI
 * thread. */
static _Atomic int park_on = 0;
EMSCRIPTEN_KEEPALIVE void wt__js_pool_set_park(int on) { atomic_store(&park_on, on ? 1 : 0); }
EMSCRIPTEN_KEEPALIVE int wt__js_pool_park(void) { return atomic_load(&park_on); }

/* Threads started on a parked Worker so far (stats). Any thread; lock-free. */
unsigned long long wt__pool_parked_starts(void) { return (unsigned)atomic_load(&area.starts); }
#endif
