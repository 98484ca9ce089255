/* webthreads — diagnostics: who exists, who waits on what, how deep each mailbox is.
 *
 * For watchdogs and stuck runs (the stress suite's dump, a runtime's hang report): a snapshot of the
 * thread registry (every joined thread: its id, OS thread, whether it is the UI thread or leaving, and
 * the calls waiting in its mailbox) and of every thread asleep in the library's one wait
 * (common/wait.c), with what it waits for: a sync call's answer (and from which thread), a completion,
 * its own mailbox (wt_thread_serve), senders letting go of a leaving thread, the UI thread creating its
 * Worker (pthread_create), a pool change, the deputy's program. A thread that never joined the
 * registry (a plain pthread in pthread_create) appears among the waits with WT_THREAD_NONE.
 *
 * Every function here may run on any thread, the UI thread and a watchdog included, while the threads
 * it describes run on: it reads atomics only (no lock, no allocation, no wait), so a snapshot is
 * best-effort — each entry is consistent in itself, entries may be from slightly different moments.
 * Only sleeps are listed: a waiter inside its bounded spin (WT_WAIT_SPIN_US) is not asleep yet.
 */
#ifndef WEBTHREADS_DIAG_H
#define WEBTHREADS_DIAG_H

#include <stddef.h>
#include <stdint.h>

#include "webthreads/proxying.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, text, what `detail` holds) */
#define WT_WAIT_KIND_MAP(X)                                                                          \
  X(OTHER, "wait", "0")                                                                              \
  X(CALL, "call_sync", "the target thread's id bits (wt_call_sync waits for its answer)")            \
  X(SERVE, "serve", "0 (wt_thread_serve: serving its own mailbox until its condition holds)")        \
  X(COMPLETION, "completion", "the wt_completion pointer (wt_completion_wait)")                      \
  X(AWAIT, "await_sync", "the wt_completion pointer (wt_await_sync / wt_await_js_sync)")             \
  X(LEAVE, "leave", "the leaving thread's id bits (waits for senders to let go of it)")              \
  X(WORKER, "worker", "the new pthread (pthread_create waits for the UI thread to create it)")       \
  X(POOL, "pool", "0 (a wait for the pool's next publication)")                                      \
  X(DEPUTY, "deputy", "0 (the host deputy waits for the program to finish)")

typedef enum wt_wait_kind {
#define WT__WAIT_KIND_ENUM(name, text, detail) WT_WAIT_##name,
  WT_WAIT_KIND_MAP(WT__WAIT_KIND_ENUM)
#undef WT__WAIT_KIND_ENUM
  WT_WAIT_KIND_COUNT
} wt_wait_kind;

/* "call_sync", "completion", ...; "?" for an unknown kind. Any thread; static string. */
const char *wt_wait_kind_name(wt_wait_kind kind);

/* One joined thread of the registry. */
typedef struct wt_diag_thread {
  wt_thread id;
  uintptr_t os_thread; /* its pthread_t (0: reserved for a thread not started yet, wt_worker_create) */
  int is_ui;           /* it is the UI thread */
  int leaving;         /* it is leaving (wt_thread_leave or exit in progress) */
  uint32_t mailbox;    /* calls waiting in its mailbox (sync, async, posts; completions not counted) */
  uint32_t waits;      /* library waits it is inside now (wt_call_sync, wt_thread_serve, nested) */
} wt_diag_thread;

/* One thread asleep in the library's wait. */
typedef struct wt_diag_wait {
  uintptr_t os_thread; /* the sleeper's pthread_t */
  wt_thread thread;    /* its registry id, WT_THREAD_NONE if it never joined */
  wt_wait_kind kind;
  uint64_t detail;     /* see WT_WAIT_KIND_MAP */
  double since_ms;     /* when this sleep began, on the library's clock (wt_diag_now_ms) */
} wt_diag_wait;

/* The library's monotonic clock, in ms. Any thread; never blocks. */
double wt_diag_now_ms(void);

/* Writes up to `cap` joined threads to `out` (may be NULL when cap is 0). Any thread; lock-free, never
 * blocks or allocates. Returns how many there are (may exceed cap: call again with a larger array). */
int wt_diag_threads(wt_diag_thread *out, int cap);

/* Writes up to `cap` sleeping waiters to `out` (may be NULL when cap is 0). Any thread; lock-free,
 * never blocks or allocates. Returns how many were found (may exceed cap). Sleepers beyond the
 * table's size (WT_DIAG_WAITS_MAX) are not listed; wt_diag_untracked_waits() counts those sleeps. */
int wt_diag_waits(wt_diag_wait *out, int cap);

/* Sleepers the library tracks at once (the size of the table wt_diag_waits reads). */
#define WT_DIAG_WAITS_MAX 512

/* Sleeps that began while the table already held WT_DIAG_WAITS_MAX sleepers, since the process
 * started (never reset): wt_diag_waits did not list them. 0 in single-threaded builds (nothing
 * sleeps). Any thread; lock-free, never blocks or allocates. */
uint64_t wt_diag_untracked_waits(void);

/* Formats a human-readable dump into buf (always NUL-terminated when n > 0): one line per joined thread
 * (id, OS thread, UI / leaving, mailbox depth, what it sleeps on and for how long), one per sleeper
 * outside the registry, then the counters of every module (proxying, handles, completion, runtime,
 * pool). Any thread; lock-free; never allocates (the caller's buffer; 16 KiB holds ~100 threads).
 * Returns the length the whole dump needs (like snprintf): a result >= n means it was cut. */
size_t wt_diag_dump(char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* WEBTHREADS_DIAG_H */
