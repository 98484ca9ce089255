/* Internal: test hooks of the worker module (worker/worker.c). */
#ifndef WT_WORKER_INTERNAL_H
#define WT_WORKER_INTERNAL_H

#ifdef __cplusplus
extern "C" {
#endif

/* Test hook: I/O threads started in this process (0 or 1). Any thread; lock-free. */
unsigned wt__worker_io_starts(void);

#ifdef __cplusplus
}
#endif
#endif
