/* webthreads under a real Mono (Debian's Mono 6.8, the embedding API dotnet.native uses): the glue
 * (mono-glue/) installed in an embedder, C# code in WtMonoTests.dll. One mode per run, each registered
 * in CTest under MONO_THREADS_SUSPEND=hybrid and coop (label mono):
 *
 *   threads     10,000 C# `new Thread(...).Start(); Join()` cycles, each body a routed call (P/Invoke
 *               into C: wt_call_sync to a C server thread). Every Mono thread start/stop reached the
 *               registry (the glue's counters, the runtime stats) and the registry is back to its
 *               baseline afterwards; so is it after 100 C threads that mono_thread_attach, make a
 *               routed call and exit without detaching.
 *   finalizers  100,000 proxies whose finalizers release their handle (wt_handle_release) from Mono's
 *               finalizer thread: every one applied exactly once, on the owner thread.
 *   gc          three C threads attached with mono_thread_attach (GC-unsafe, as runtime-native code
 *               is) block in webthreads — in wt_call_sync, in wt_completion_wait and in wt_await_sync
 *               — while C# calls GC.Collect() in a loop for 2 s. A watchdog fails the run if the GCs
 *               stop progressing for 5 s, naming the threads blocked then.
 *
 * Can the gc test fail? `gc --no-glue` is the same run without wt_mono_glue_install: under hybrid
 * (and coop) the first GC.Collect() waits forever for the blocked GC-unsafe threads, and the watchdog
 * reports it:
 *   FAIL: GC stalled: no collection finished for 5000 ms (0 done); blocked in webthreads now:
 *   'call_sync' (wt_call_sync), 'completion_wait' (wt_completion_wait), 'await_sync' (wt_await_sync)
 * CTest runs that too (mono.gc_without_glue.hybrid, which passes only when the watchdog reports the
 * stall), so the test is known to catch a missing region.
 *
 * Exit status 0 and a final "PASS <mode>" line on success; "FAIL: ..." lines otherwise.
 */
#define _GNU_SOURCE
#include "webthreads/completion.h"
#include "webthreads/handles.h"
#include "webthreads/mono_glue.h"
#include "webthreads/proxying.h"
#include "webthreads/runtime.h"

#include "test/mono/mono_embed.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int failures;
#define FAIL(...)                    \
  do {                               \
    printf("FAIL: " __VA_ARGS__);    \
    printf("\n");                    \
    fflush(stdout);                  \
    failures++;                      \
  } while (0)

/* ------------------------------------------------------------------ C server threads (not Mono's) */

typedef struct server {
  pthread_t th;
  _Atomic uint64_t id;
  _Atomic int stop;
} server;

static int server_until(void *p) { return atomic_load(&((server *)p)->stop); }

static void *server_main(void *p) {
  server *s = p;
  wt_thread me;
  if (wt_thread_join(&me) != 0) abort();
  atomic_store(&s->id, me.bits);
  while (!atomic_load(&s->stop)) wt_thread_serve(server_until, s, 1000);
  wt_thread_leave();
  return NULL;
}

static void server_start(server *s) {
  memset(s, 0, sizeof *s);
  if (pthread_create(&s->th, NULL, server_main, s) != 0) abort();
  while (!atomic_load(&s->id)) sched_yield();
}

static int set_stop(wt_call *call, void *p) {
  (void)call;
  atomic_store(&((server *)p)->stop, 1);
  return 0;
}

static void server_stop(server *s) {
  wt_post((wt_thread){atomic_load(&s->id)}, set_stop, NULL, s);
  pthread_join(s->th, NULL);
}

static wt_thread server_id(server *s) { return (wt_thread){atomic_load(&s->id)}; }

/* ------------------------------------------------------------------ threads */

static server g_server;
static _Atomic uint64_t routed_ok, routed_unattached;

static int add_one(wt_call *call, void *p) {
  (void)call;
  int *v = p;
  *v += 1;
  return 0;
}

/* P/Invoke target of the C# thread bodies. */
__attribute__((visibility("default"))) int wtt_routed_call(int i) {
  if (!wt_runtime_thread_is_attached()) atomic_fetch_add(&routed_unattached, 1);
  int v = i;
  int r = wt_call_sync(server_id(&g_server), add_one, &v, 60000, NULL);
  if (r != 0) return -1000 + r;
  atomic_fetch_add(&routed_ok, 1);
  return v;
}

static _Atomic int raw_ok;
static void *raw_attached_main(void *p) {
  mono_thread_attach(domain);
  int v = (int)(intptr_t)p;
  if (wt_runtime_thread_is_attached() && wt_call_sync(server_id(&g_server), add_one, &v, 60000, NULL) == 0 &&
      v == (int)(intptr_t)p + 1)
    atomic_fetch_add(&raw_ok, 1);
  return NULL; /* no mono_thread_detach */
}

static wt_runtime_stats rt0;
static wt_proxying_stats px0;
static wt_mono_glue_stats gl0;
static int attached_back(void) {
  wt_runtime_stats s;
  wt_runtime_stats_get(&s);
  wt_proxying_stats p;
  wt_proxying_stats_get(&p);
  return s.threads_attached == rt0.threads_attached && p.threads_live == px0.threads_live;
}

static void test_threads(int n) {
  server_start(&g_server);
  wt_runtime_stats_get(&rt0);
  wt_proxying_stats_get(&px0);
  wt_mono_glue_stats_get(&gl0);
  double t0 = now_ms();
  int bad = invoke_int("ThreadCycles", n);
  double dt = now_ms() - t0;
  if (bad) FAIL("%d of %d thread bodies did not get their routed call's answer", bad, n);
  if (atomic_load(&routed_ok) != (uint64_t)n) FAIL("routed calls answered: %llu of %d", (unsigned long long)routed_ok, n);
  if (routed_unattached) FAIL("%llu routed calls came from threads the glue had not attached", (unsigned long long)routed_unattached);
  /* A joined C# thread may still be inside Mono's detach: wait for the registry (bounded). */
  if (!wait_until(attached_back, 30000)) {
    wt_runtime_stats s;
    wt_runtime_stats_get(&s);
    FAIL("registry not back to its baseline: %u threads attached (baseline %u)", s.threads_attached, rt0.threads_attached);
  }
  wt_mono_glue_stats gl;
  wt_mono_glue_stats_get(&gl);
  wt_runtime_stats rt;
  wt_runtime_stats_get(&rt);
  uint64_t started = gl.threads_started - gl0.threads_started, stopped = gl.threads_stopped - gl0.threads_stopped;
  if (started < (uint64_t)n) FAIL("the glue saw %llu Mono thread starts for %d C# threads", (unsigned long long)started, n);
  if (stopped != started) FAIL("the glue saw %llu thread starts but %llu stops", (unsigned long long)started, (unsigned long long)stopped);
  if (rt.attached - rt0.attached != started) FAIL("registry attaches %llu != Mono thread starts %llu", (unsigned long long)(rt.attached - rt0.attached), (unsigned long long)started);
  if ((rt.detached - rt0.detached) + (rt.exited_attached - rt0.exited_attached) != started)
    FAIL("registry detaches + exits %llu != Mono thread starts %llu", (unsigned long long)((rt.detached - rt0.detached) + (rt.exited_attached - rt0.exited_attached)), (unsigned long long)started);
  printf("threads: %d cycles in %.0f ms (%.1f us each); Mono starts %llu, stops %llu; registry attached %llu, detached %llu, exited attached %llu\n",
         n, dt, dt * 1e3 / n, (unsigned long long)started, (unsigned long long)stopped,
         (unsigned long long)(rt.attached - rt0.attached), (unsigned long long)(rt.detached - rt0.detached),
         (unsigned long long)(rt.exited_attached - rt0.exited_attached));
  /* C threads that mono_thread_attach, make a routed call and exit without mono_thread_detach: still
   * cleaned up (Mono's own exit path, or the registry's). */
  enum { N_RAW = 100 };
  wt_runtime_stats_get(&rt0);
  wt_proxying_stats_get(&px0);
  pthread_t raw[N_RAW];
  for (int i = 0; i < N_RAW; i++) pthread_create(&raw[i], NULL, raw_attached_main, (void *)(intptr_t)i);
  for (int i = 0; i < N_RAW; i++) pthread_join(raw[i], NULL);
  if (atomic_load(&raw_ok) != N_RAW) FAIL("exit-without-detach threads: %d of %d routed calls answered", (int)raw_ok, N_RAW);
  if (!wait_until(attached_back, 30000)) {
    wt_runtime_stats s;
    wt_runtime_stats_get(&s);
    FAIL("after %d threads exited without detaching: %u threads attached (baseline %u)", N_RAW, s.threads_attached,
         rt0.threads_attached);
  }
  wt_runtime_stats rt2;
  wt_runtime_stats_get(&rt2);
  printf("threads: %d C threads exited without mono_thread_detach: registry attached %llu, detached %llu, exited attached %llu\n", N_RAW,
         (unsigned long long)(rt2.attached - rt0.attached), (unsigned long long)(rt2.detached - rt0.detached),
         (unsigned long long)(rt2.exited_attached - rt0.exited_attached));
  if (rt2.attached - rt0.attached != N_RAW) FAIL("%llu of %d exit-without-detach threads were attached", (unsigned long long)(rt2.attached - rt0.attached), N_RAW);
  server_stop(&g_server);
}

/* ------------------------------------------------------------------ finalizers */

static wt_handle *handles;
static _Atomic uint8_t *freed;
static _Atomic uint64_t freed_total, freed_wrong_thread, release_errors;
static pthread_t owner_thread;
static int n_handles;

__attribute__((visibility("default"))) long long wtt_handle(int i) { return (long long)handles[i].bits; }
__attribute__((visibility("default"))) int wtt_release(long long h) {
  int r = wt_handle_release((wt_handle){(uint64_t)h});
  if (r) atomic_fetch_add(&release_errors, 1);
  return r;
}

static void free_value(void *v) {
  uintptr_t i = (uintptr_t)v;
  if (!pthread_equal(pthread_self(), owner_thread)) atomic_fetch_add(&freed_wrong_thread, 1);
  atomic_fetch_add(&freed[i], 1);
  atomic_fetch_add(&freed_total, 1);
}

static int register_all(wt_call *call, void *p) {
  (void)call;
  (void)p;
  owner_thread = pthread_self();
  for (int i = 0; i < n_handles; i++) {
    if (wt_handle_register((void *)(uintptr_t)i, free_value, &handles[i]) != 0) return 1;
    if (wt_handle_release_local(handles[i]) != 0) return 2; /* the JS side lets go first */
  }
  return 0;
}

static int all_freed(void) { return atomic_load(&freed_total) >= (uint64_t)n_handles; }

static void test_finalizers(int n) {
  n_handles = n;
  handles = calloc(n, sizeof *handles);
  freed = calloc(n, sizeof *freed);
  server owner;
  server_start(&owner);
  wt_result res;
  if (wt_call_sync(server_id(&owner), register_all, NULL, 60000, &res) != 0) {
    FAIL("registering %d handles on the owner: %s (%d)", n, wt_strerror(res.status), res.fn_error);
    return;
  }
  double t0 = now_ms();
  invoke_int("ProxiesAndCollect", n);
  if (!wait_until(all_freed, 60000)) FAIL("only %llu of %d releases applied", (unsigned long long)freed_total, n);
  double dt = now_ms() - t0;
  int twice = 0, never = 0;
  for (int i = 0; i < n; i++) {
    if (freed[i] == 0) never++;
    if (freed[i] > 1) twice++;
  }
  if (never || twice) FAIL("%d handles never freed, %d freed more than once", never, twice);
  if (freed_wrong_thread) FAIL("%llu frees ran on another thread than the owner", (unsigned long long)freed_wrong_thread);
  if (release_errors) FAIL("%llu releases refused", (unsigned long long)release_errors);
  printf("finalizers: %d proxies finalized and applied in %.0f ms\n", n, dt);
  server_stop(&owner);
}

/* ------------------------------------------------------------------ gc */

static _Atomic uint64_t gc_ticks;
static _Atomic int gc_over;
__attribute__((visibility("default"))) void wtt_gc_tick(void) { atomic_fetch_add(&gc_ticks, 1); }

enum { B_CALL_SYNC, B_COMPLETION_WAIT, B_AWAIT_SYNC, B_N };
static const char *const blocked_name[B_N] = {"call_sync", "completion_wait", "await_sync"};
static const char *const blocked_in[B_N] = {"wt_call_sync", "wt_completion_wait", "wt_await_sync"};
static _Atomic int blocked_now[B_N], blocked_rc[B_N];
static server gc_servers[2];
static wt_completion *gc_completion;
static _Atomic(wt_completion *) gc_async;

static int hold_until_gc_over(wt_call *call, void *p) {
  (void)call;
  (void)p;
  while (!atomic_load(&gc_over)) usleep(1000); /* a C server, not Mono's: it may wait as it likes */
  return 0;
}

static int start_async(wt_completion *c, void *p) {
  (void)p;
  wt_completion_retain(c);
  atomic_store(&gc_async, c); /* settled by the main thread when the GC loop is over */
  return 0;
}

static void *blocked_main(void *p) {
  int k = (int)(intptr_t)p;
  mono_thread_attach(domain); /* GC-unsafe from here on, like the runtime's own native code */
  atomic_store(&blocked_now[k], 1);
  int r = -1;
  if (k == B_CALL_SYNC) r = wt_call_sync(server_id(&gc_servers[0]), hold_until_gc_over, NULL, 120000, NULL);
  if (k == B_COMPLETION_WAIT) r = wt_completion_wait(gc_completion, 120000);
  if (k == B_AWAIT_SYNC) {
    wt_completion *out = NULL;
    r = wt_await_sync(server_id(&gc_servers[1]), start_async, NULL, 120000, &out);
    wt_completion_release(out);
  }
  atomic_store(&blocked_now[k], 0);
  atomic_store(&blocked_rc[k], r);
  mono_thread_detach(mono_thread_current());
  return NULL;
}

static void *watchdog_main(void *p) {
  (void)p;
  uint64_t last = atomic_load(&gc_ticks);
  double since = now_ms();
  while (!atomic_load(&gc_over)) {
    usleep(10000);
    uint64_t t = atomic_load(&gc_ticks);
    if (t != last) {
      last = t;
      since = now_ms();
    } else if (now_ms() - since > 5000) {
      char who[256] = "";
      for (int k = 0; k < B_N; k++)
        if (atomic_load(&blocked_now[k]))
          snprintf(who + strlen(who), sizeof who - strlen(who), "%s'%s' (%s)", who[0] ? ", " : "", blocked_name[k],
                   blocked_in[k]);
      wt_mono_glue_stats gl;
      wt_mono_glue_stats_get(&gl);
      printf("FAIL: GC stalled: no collection finished for 5000 ms (%llu done); blocked in webthreads now: %s; "
             "GC-safe regions open: %u\n",
             (unsigned long long)t, who[0] ? who : "none", gl.in_region);
      fflush(stdout);
      _exit(3); /* the GC is deadlocked: nothing else can finish */
    }
  }
  return NULL;
}

static int all_blocked(void) {
  for (int k = 0; k < B_N; k++)
    if (!atomic_load(&blocked_now[k])) return 0;
  return atomic_load(&gc_async) != NULL;
}

static void test_gc(int ms) {
  server_start(&gc_servers[0]);
  server_start(&gc_servers[1]);
  if (wt_completion_create(&gc_completion) != 0) abort();
  pthread_t b[B_N], wd;
  for (int k = 0; k < B_N; k++) pthread_create(&b[k], NULL, blocked_main, (void *)(intptr_t)k);
  if (!wait_until(all_blocked, 30000)) FAIL("the blocked threads did not all start");
  usleep(20000); /* not a synchronisation: lets them pass their bounded spin and sleep; the test holds either way */
  pthread_create(&wd, NULL, watchdog_main, NULL);
  int n = invoke_int("CollectLoop", ms);
  atomic_store(&gc_over, 1);
  wt_completion_resolve(gc_completion, NULL);
  wt_completion *a = atomic_load(&gc_async);
  wt_completion_resolve(a, NULL);
  wt_completion_release(a);
  for (int k = 0; k < B_N; k++) pthread_join(b[k], NULL);
  pthread_join(wd, NULL);
  for (int k = 0; k < B_N; k++)
    if (blocked_rc[k] != 0) FAIL("'%s' returned %d from %s", blocked_name[k], blocked_rc[k], blocked_in[k]);
  wt_mono_glue_stats gl;
  wt_mono_glue_stats_get(&gl);
  printf("gc: %d collections in %d ms with 3 threads blocked in webthreads; glue regions entered %llu, already safe %llu\n",
         n, ms, (unsigned long long)gl.regions_entered, (unsigned long long)gl.already_safe);
  if (n < 2) FAIL("only %d collections in %d ms", n, ms);
  wt_completion_release(gc_completion);
  server_stop(&gc_servers[0]);
  server_stop(&gc_servers[1]);
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s threads|finalizers|gc WtMonoTests.dll [--no-glue] [N]\n", argv[0]);
    return 2;
  }
  const char *mode = argv[1];
  int glue = 1, n = -1;
  for (int i = 3; i < argc; i++) {
    if (!strcmp(argv[i], "--no-glue"))
      glue = 0;
    else
      n = atoi(argv[i]);
  }
  embed_start("wt_mono_test", argv[2]);
  const char *susp = getenv("MONO_THREADS_SUSPEND");
  printf("mode %s, suspend %s, glue %s\n", mode, susp ? susp : "(default: hybrid)", glue ? "on" : "off");
  if (glue && wt_mono_glue_install() != 0) {
    printf("FAIL: wt_mono_glue_install\n");
    return 2;
  }
  if (!strcmp(mode, "threads"))
    test_threads(n > 0 ? n : 10000);
  else if (!strcmp(mode, "finalizers"))
    test_finalizers(n > 0 ? n : 100000);
  else if (!strcmp(mode, "gc"))
    test_gc(n > 0 ? n : 2000);
  else {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  if (failures) return 1;
  printf("PASS %s\n", mode);
  fflush(stdout);
  _exit(0); /* mono_jit_cleanup with C servers gone is fine, but not needed for the verdict */
}
