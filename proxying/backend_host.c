/* Host backend (plain pthreads): there is no JS event loop, so an owner that is not blocked in the
 * library is not woken: it runs its calls in wt_thread_poll / wt_thread_serve, the stand-in for the UI
 * thread's event loop. Everything else is the shared logic of router.c. */
#include "proxying/internal.h"

void wt__backend_init(void) {}

int wt__backend_is_browser_ui(void) { return 0; }

void wt__backend_notify_idle(wt__slot *s) { (void)s; }

int wt_thread_adopt_ui(void) { return wt__proxying_set_ui_self(); }
