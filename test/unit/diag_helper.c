/* C half of diag_test.cc: a sleep in the library's one wait (common/wait.h is C only) with a given
 * reason, on a thread that never joined the registry, and its wake-up. */
#include "common/wait.h"

static _Atomic uint32_t word;

void wtt_diag_sleep_until_woken(int kind, uint64_t detail) {
  wt__why prev = wt__wait_why(kind, detail);
  while (atomic_load(&word) == 0) wt__wait(&word, 0, -1, 0);
  wt__wait_why_restore(prev);
  atomic_store(&word, 0);
}

void wtt_diag_wake(void) {
  atomic_store(&word, 1);
  wt__wake(&word, 1);
}
