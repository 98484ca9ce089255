/* Host backend (plain pthreads): there is no JS event loop. An owner that is not blocked in the library
 * runs its calls in wt_thread_poll / wt_thread_serve, the stand-in for the UI thread's event loop; an
 * idle wake-up bumps the slot's `notified` word, which test event loops wait on
 * (wt__proxying_wait_notified), so wake-up rules are testable natively. Everything else is the shared
 * logic of router.c (the unwind guard too: a C cleanup there). */
#include "proxying/internal.h"

#include "common/wait.h"

#include <limits.h>

void wt__backend_init(void) {}

int wt__backend_is_browser_ui(void) { return 0; }

int wt__backend_notify_idle(wt__slot *s) {
  atomic_fetch_add(&s->notified, 1);
  wt__wake(&s->notified, INT_MAX);
  return 1;
}

int wt_thread_adopt_ui(void) { return wt__proxying_set_ui_self(); }
