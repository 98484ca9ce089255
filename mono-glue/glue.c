/* The Mono glue (webthreads/mono_glue.h): webthreads' runtime hooks over Mono's exported API.
 *
 * Which state is a thread in? Mono's coop/hybrid suspend gives each attached thread a state: RUNNING
 * (GC-unsafe: the GC waits for it to reach a safepoint) or BLOCKING (GC-safe: the GC goes on without
 * it). Entering a GC-safe region from BLOCKING is fatal in Mono, and a webthreads wait can start in
 * either: a C thread right after mono_thread_attach is RUNNING, a P/Invoke and the main thread after
 * mono_jit_init are BLOCKING. Mono exports no query, and state the glue kept itself would be wrong
 * as soon as the thread passes a P/Invoke wrapper. So before each sleep the glue asks Mono:
 * mono_threads_enter_gc_unsafe_region_unbalanced returns NULL on a RUNNING thread (nothing done) and
 * a cookie on a BLOCKING one (it went RUNNING: undo it at once). RUNNING: enter the GC-safe region
 * for the sleep; BLOCKING: sleep as it is. With preemptive suspend both calls return NULL and nothing
 * is entered, which is right there. Threads Mono does not know (mono_thread_info_current_unchecked()
 * is NULL) are left alone: the transitions would abort on them.
 *
 * The core already guarantees one region per sleep and no nesting (runtime/runtime.c); tl_entered is
 * the glue's own check that enter and leave pair on this thread.
 *
 * Threads. Mono raises thread_started on the thread being attached (C# threads, the finalizer,
 * thread-pool workers, mono_thread_attach) and thread_stopped on it as it detaches; the glue forwards
 * them to wt_runtime_thread_attached / _detached. Both run inside Mono, GC-unsafe, before the thread
 * runs managed code / after it ran its last: nothing there blocks but the registry's brief wait for
 * senders at leave, which is itself a GC-safe sleep.
 *
 * Locks: none. Allocation: the profiler handle, once.
 */
#include "webthreads/mono_glue.h"

#include "webthreads/runtime.h"

#include <assert.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Mono's exported embedding API, declared here: mono/utils/mono-threads-api.h is not installed, and
 * the glue needs nothing else from Mono's headers. */
typedef struct _MonoProfiler MonoProfiler;
typedef struct _MonoProfilerDesc *MonoProfilerHandle;
typedef struct _MonoDomain MonoDomain;
typedef struct _MonoThread MonoThread;
typedef void (*wt__mono_thread_cb)(MonoProfiler *prof, uintptr_t tid);
extern void *mono_threads_enter_gc_safe_region_unbalanced(void **stackpointer);
extern void mono_threads_exit_gc_safe_region_unbalanced(void *cookie, void **stackpointer);
extern void *mono_threads_enter_gc_unsafe_region_unbalanced(void **stackpointer);
extern void mono_threads_exit_gc_unsafe_region_unbalanced(void *cookie, void **stackpointer);
extern void *mono_thread_info_current_unchecked(void);
extern MonoProfilerHandle mono_profiler_create(MonoProfiler *prof);
extern void mono_profiler_set_thread_started_callback(MonoProfilerHandle handle, wt__mono_thread_cb cb);
extern void mono_profiler_set_thread_stopped_callback(MonoProfilerHandle handle, wt__mono_thread_cb cb);
extern MonoDomain *mono_get_root_domain(void);
extern MonoThread *mono_thread_attach(MonoDomain *domain);
extern MonoThread *mono_thread_current(void);
extern void mono_thread_detach(MonoThread *thread);

static _Atomic int installed;        /* 1 while the hooks are installed */
static MonoProfilerHandle profiler;  /* created once, never freed (Mono keeps it) */
static _Atomic uint64_t st_started, st_stopped, st_refused, st_entered, st_already_safe, st_not_mono;
static _Atomic uint32_t st_in_region;
static _Thread_local uint8_t tl_entered;   /* this thread sleeps in a region the glue entered */
static _Thread_local uint8_t tl_no_block;  /* wt_mono_glue_thread_may_block(0) */

#define COUNT(c) atomic_fetch_add_explicit(&(c), 1, memory_order_relaxed)

static void *glue_enter(void *ctx, void **sp) {
  (void)ctx;
  if (!mono_thread_info_current_unchecked()) {
    COUNT(st_not_mono);
    return NULL;
  }
  void *probe = mono_threads_enter_gc_unsafe_region_unbalanced(sp);
  if (probe) { /* it was GC-safe: back to where it was, sleep as it is */
    mono_threads_exit_gc_unsafe_region_unbalanced(probe, sp);
    COUNT(st_already_safe);
    return NULL;
  }
  void *cookie = mono_threads_enter_gc_safe_region_unbalanced(sp);
  if (cookie) {
    assert(!tl_entered && "mono-glue: a GC-safe region entered twice on one thread");
    tl_entered = 1;
    COUNT(st_entered);
    atomic_fetch_add_explicit(&st_in_region, 1, memory_order_relaxed);
  }
  return cookie; /* NULL: preemptive suspend, no regions */
}

static void glue_leave(void *ctx, void *cookie, void **sp) {
  (void)ctx;
  assert(tl_entered && "mono-glue: leaving a GC-safe region this thread did not enter");
  tl_entered = 0;
  atomic_fetch_sub_explicit(&st_in_region, 1, memory_order_relaxed);
  mono_threads_exit_gc_safe_region_unbalanced(cookie, sp); /* waits here for a GC in progress */
}

static int glue_may_block(void *ctx) {
  (void)ctx;
  return !tl_no_block;
}

/* The I/O thread: attached to the root domain; thread_started marks it in the registry. */
static int glue_attach(void *ctx) {
  (void)ctx;
  MonoDomain *d = mono_get_root_domain();
  if (!d) return WT_EINVAL;
  return mono_thread_attach(d) ? 0 : WT_EINVAL;
}

static void glue_detach(void *ctx) {
  (void)ctx;
  MonoThread *t = mono_thread_current();
  if (t) mono_thread_detach(t);
}

static void glue_exiting(void *ctx, wt_thread self) {
  (void)ctx;
  (void)self; /* Mono cleans its own thread up at exit; the registry slot is already given back */
}

static const wt_runtime_hooks glue_hooks = {
    .ctx = NULL,
    .enter_gc_safe = glue_enter,
    .leave_gc_safe = glue_leave,
    .may_block = glue_may_block,
    .attach = glue_attach,
    .detach = glue_detach,
    .thread_exiting = glue_exiting,
};

static void on_thread_started(MonoProfiler *prof, uintptr_t tid) {
  (void)prof;
  (void)tid;
  if (!atomic_load_explicit(&installed, memory_order_acquire)) return;
  COUNT(st_started);
  int r = wt_runtime_thread_attached(NULL);
  if (r == WT_EFULL) COUNT(st_refused); /* the thread runs unregistered: its routed calls fail */
}

static void on_thread_stopped(MonoProfiler *prof, uintptr_t tid) {
  (void)prof;
  (void)tid;
  if (!atomic_load_explicit(&installed, memory_order_acquire)) return;
  COUNT(st_stopped);
  /* WT_EINCALL (detached from inside a webthreads callback): it leaves at exit instead. */
  (void)wt_runtime_thread_detached();
}

int wt_mono_glue_install(void) {
  if (!mono_get_root_domain()) return WT_EINVAL;
  int expected = 0;
  if (!atomic_compare_exchange_strong(&installed, &expected, 1)) return WT_EBUSY;
  if (!profiler) {
    profiler = mono_profiler_create(NULL);
    mono_profiler_set_thread_started_callback(profiler, on_thread_started);
    mono_profiler_set_thread_stopped_callback(profiler, on_thread_stopped);
  }
  wt_runtime_hooks_set(&glue_hooks);
  if (mono_thread_info_current_unchecked() && !wt_runtime_thread_is_attached())
    (void)wt_runtime_thread_attached(NULL);
  return 0;
}

int wt_mono_glue_uninstall(void) {
  int expected = 1;
  if (!atomic_compare_exchange_strong(&installed, &expected, 0)) return WT_ENOENT;
  wt_runtime_hooks_set(NULL);
  return 0;
}

void wt_mono_glue_thread_may_block(int allowed) { tl_no_block = allowed ? 0 : 1; }

void wt_mono_glue_stats_get(wt_mono_glue_stats *out) {
  assert(out && "wt_mono_glue_stats_get: out must not be NULL");
  out->threads_started = atomic_load_explicit(&st_started, memory_order_relaxed);
  out->threads_stopped = atomic_load_explicit(&st_stopped, memory_order_relaxed);
  out->attach_refused = atomic_load_explicit(&st_refused, memory_order_relaxed);
  out->regions_entered = atomic_load_explicit(&st_entered, memory_order_relaxed);
  out->already_safe = atomic_load_explicit(&st_already_safe, memory_order_relaxed);
  out->not_mono = atomic_load_explicit(&st_not_mono, memory_order_relaxed);
  out->in_region = atomic_load_explicit(&st_in_region, memory_order_relaxed);
}
