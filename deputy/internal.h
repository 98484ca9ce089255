/* Internal: test hooks of the deputy module (deputy/deputy.c). */
#ifndef WT_DEPUTY_INTERNAL_H
#define WT_DEPUTY_INTERNAL_H

#include "webthreads/proxying.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Test hook: the I/O thread id the latest deputy started before its main_fn ran (cfg->start_io_thread);
 * WT_THREAD_NONE when it started none (reset by each wt_deputy_main that gets past its checks). Any
 * thread; lock-free. */
wt_thread wt__deputy_io_started(void);

/* Test hook: the next deputy pthread_create fails with errno `err` (0: no failure). Any thread. */
void wt__deputy_fail_next_create(int err);

#ifdef __cplusplus
}
#endif
#endif
