/* bench/mono: what the Mono glue costs (host, Debian's Mono 6.8; run by bench/mono/run under
 * MONO_THREADS_SUSPEND=hybrid and coop, one process per mode since Mono reads the mode at start-up).
 *
 *   gcsafe_ns       one GC-safe enter + leave as webthreads' sleep pays it, on a GC-unsafe attached
 *                   thread (the glue's probe included): the hooks called directly, 1,000,000 times
 *   probe_safe_ns   the same on a thread that is GC-safe already (P/Invoke): the probe alone
 *   sync_sleep_ns_plain / _glue
 *                   a sync call that sleeps (the target's function runs 100 µs, longer than the
 *                   caller's spin): without hooks (the floor) and with the glue, alternated
 *   thread_join_us_plain / _glue
 *                   C# new Thread(() => {}).Start(); Join(): glue off (the floor) and on, 5 rounds of
 *                   2,000 each, the order alternating per round; medians
 *
 * Prints one BENCH line; the run script turns the two modes into the RESULT line.
 */
#define _GNU_SOURCE
#include "webthreads/mono_glue.h"
#include "webthreads/proxying.h"
#include "webthreads/runtime.h"

#include "test/mono/mono_embed.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern void *mono_threads_enter_gc_safe_region_unbalanced(void **stackpointer);
extern void mono_threads_exit_gc_safe_region_unbalanced(void *cookie, void **stackpointer);

/* A C server serving its mailbox; its function works 100 µs, so a sync caller passes its spin and
 * sleeps. */
static _Atomic uint64_t srv_id;
static _Atomic int srv_stop;
static int srv_until(void *p) { return atomic_load((_Atomic int *)p); }
static void *server_main(void *p) {
  (void)p;
  wt_thread me;
  wt_thread_join(&me);
  atomic_store(&srv_id, me.bits);
  while (!atomic_load(&srv_stop)) wt_thread_serve(srv_until, &srv_stop, 1000);
  wt_thread_leave();
  return NULL;
}
static int nop(wt_call *c, void *p) {
  (void)c;
  (void)p;
  double end = now_ms() + 0.1;
  while (now_ms() < end) {
  }
  return 0;
}
static int set_stop(wt_call *c, void *p) {
  (void)c;
  atomic_store((_Atomic int *)p, 1);
  return 0;
}

static double gcsafe_ns, probe_safe_ns, sleep_plain_ns, sleep_glue_ns;

static void *attached_main(void *p) {
  (void)p;
  mono_thread_attach(domain); /* GC-unsafe: what runtime-native code calling webthreads is */
  const wt_runtime_hooks *h = wt_runtime_hooks_get();
  const int n = 1000000;
  void *anchor = NULL;
  double t0 = now_ms();
  for (int i = 0; i < n; i++) {
    void *c = h->enter_gc_safe(h->ctx, &anchor);
    if (c) h->leave_gc_safe(h->ctx, c, &anchor);
  }
  gcsafe_ns = (now_ms() - t0) * 1e6 / n;
  /* Already GC-safe (as inside a P/Invoke): the probe alone. */
  void *outer = mono_threads_enter_gc_safe_region_unbalanced(&anchor);
  t0 = now_ms();
  for (int i = 0; i < n; i++) {
    void *c = h->enter_gc_safe(h->ctx, &anchor);
    if (c) h->leave_gc_safe(h->ctx, c, &anchor);
  }
  probe_safe_ns = (now_ms() - t0) * 1e6 / n;
  if (outer) mono_threads_exit_gc_safe_region_unbalanced(outer, &anchor);
  /* Sleeping sync calls, hooks off and on, alternated in rounds. */
  wt_thread target = {atomic_load(&srv_id)};
  const int calls = 2000;
  double plain = 0, glue = 0;
  for (int round = 0; round < 4; round++) {
    for (int on = 0; on < 2; on++) {
      wt_runtime_hooks_set(on ? h : NULL);
      double s = now_ms();
      for (int i = 0; i < calls; i++) wt_call_sync(target, nop, NULL, -1, NULL);
      double dt = (now_ms() - s) * 1e6 / calls;
      if (on) glue += dt; else plain += dt;
    }
  }
  wt_runtime_hooks_set(h);
  sleep_plain_ns = plain / 4;
  sleep_glue_ns = glue / 4;
  mono_thread_detach(mono_thread_current());
  return NULL;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s WtMonoTests.dll\n", argv[0]);
    return 2;
  }
  embed_start("wt_bench_mono", argv[1]);
  const char *susp = getenv("MONO_THREADS_SUSPEND");

  /* C# thread create + join, glue off / on, alternated; medians of 5 rounds each. */
  const int joins = 2000;
  double off[5], on[5];
  invoke_int("ThreadJoins", 200); /* warm-up: JIT, thread-pool start */
  for (int r = 0; r < 5; r++) { /* order alternates per round, so neither side always goes first */
    for (int k = 0; k < 2; k++) {
      int glue = (r + k) % 2;
      if (glue) wt_mono_glue_install();
      double t0 = now_ms();
      invoke_int("ThreadJoins", joins);
      (glue ? on : off)[r] = (now_ms() - t0) * 1e3 / joins;
      if (glue) wt_mono_glue_uninstall();
    }
  }
  qsort(off, 5, sizeof off[0], cmp);
  qsort(on, 5, sizeof on[0], cmp);

  wt_mono_glue_install();
  pthread_t s, t;
  pthread_create(&s, NULL, server_main, NULL);
  while (!atomic_load(&srv_id)) sched_yield();
  pthread_create(&t, NULL, attached_main, NULL);
  pthread_join(t, NULL);
  wt_post((wt_thread){atomic_load(&srv_id)}, set_stop, NULL, &srv_stop);
  pthread_join(s, NULL);

  printf("BENCH mono suspend=%s gcsafe_ns=%.1f probe_safe_ns=%.1f sync_sleep_ns_plain=%.0f sync_sleep_ns_glue=%.0f "
         "sync_sleep_glue_vs_plain=%.3f thread_join_us_plain=%.1f thread_join_us_glue=%.1f thread_join_glue_vs_plain=%.3f\n",
         susp ? susp : "hybrid", gcsafe_ns, probe_safe_ns, sleep_plain_ns, sleep_glue_ns, sleep_glue_ns / sleep_plain_ns, off[2], on[2], on[2] / off[2]);
  fflush(stdout);
  _exit(0);
}
