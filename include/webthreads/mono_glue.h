/* webthreads — the Mono glue: the runtime hooks (webthreads/runtime.h) over Mono's embedding API.
 *
 * Link libwebthreads_mono.a (mono-glue/) besides libwebthreads.a in a Mono embedder; the core never
 * links Mono. After wt_mono_glue_install:
 *   - every sleep of webthreads on a Mono thread that is GC-unsafe runs inside a GC-safe region
 *     (mono_threads_enter/exit_gc_safe_region_unbalanced), so a thread blocked in webthreads never
 *     stalls a stop-the-world under hybrid or coop suspend. A thread that is GC-safe already (inside a
 *     P/Invoke, or the main thread after mono_jit_init) is left as it is: the glue asks Mono for the
 *     thread's real state before every sleep (a GC-unsafe enter, undone at once, tells which), since
 *     entering twice aborts Mono. Threads Mono does not know are left alone;
 *   - every thread Mono attaches (C# threads, the finalizer, thread-pool workers, mono_thread_attach)
 *     joins the routing registry as it starts, and leaves it as Mono detaches it (Mono's profiler
 *     thread started / stopped events); one that exits without detaching leaves at exit;
 *   - the I/O thread (webthreads/worker.h) is attached to Mono's root domain when it starts;
 *   - blocking entry points are refused (WT_EWOULDBLOCK) on threads marked with
 *     wt_mono_glue_thread_may_block(0) (a thread running a JS event loop, in the browser).
 */
#ifndef WEBTHREADS_MONO_GLUE_H
#define WEBTHREADS_MONO_GLUE_H

#include <stdint.h>

#include "webthreads/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Installs the glue: the runtime hooks, and Mono thread start/stop callbacks (a profiler handle).
 * Call once, after mono_jit_init, before other threads use webthreads. The calling thread, when Mono
 * knows it, is attached like the others. Any thread Mono knows; allocates the profiler handle. Returns
 * 0; WT_EBUSY when installed already; WT_EINVAL when Mono is not initialised (mono_get_root_domain()
 * is NULL: call mono_jit_init first). */
int wt_mono_glue_install(void);

/* Removes the hooks; Mono's thread events are ignored from now on (Mono cannot unregister a profiler:
 * the handle stays). Threads marked attached stay marked until they detach or exit. For measurements
 * (glue on vs off in one process) and tests. Same thread rules as install; call while no thread
 * sleeps in webthreads. Returns 0, WT_ENOENT when not installed. */
int wt_mono_glue_uninstall(void);

/* Marks the calling thread as one that must never block in webthreads (0) or may (non-zero, the
 * default). Calling thread; never blocks. */
void wt_mono_glue_thread_may_block(int allowed);

typedef struct wt_mono_glue_stats {
  uint64_t threads_started;  /* Mono thread-started events seen while installed */
  uint64_t threads_stopped;  /* Mono thread-stopped events seen while installed */
  uint64_t attach_refused;   /* thread-started events the registry refused (WT_EFULL) */
  uint64_t regions_entered;  /* sleeps the glue wrapped in a GC-safe region */
  uint64_t already_safe;     /* sleeps of a thread that was GC-safe already (left as it was) */
  uint64_t not_mono;         /* sleeps of threads Mono does not know */
  uint32_t in_region;        /* threads asleep in a region the glue entered, now */
} wt_mono_glue_stats;

/* Snapshot of the counters. Any thread; lock-free. `out` must not be NULL (asserts). */
void wt_mono_glue_stats_get(wt_mono_glue_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* WEBTHREADS_MONO_GLUE_H */
