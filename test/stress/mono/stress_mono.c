/* stress-mono: webthreads under a real Mono (Debian's Mono 6.8) for many thread lifetimes at once —
 * the real-Mono part of the stress suite (issue 14). The glue (mono-glue/) is installed in this
 * embedder; the managed half is StressMono.cs. One suspend mode per process (Mono reads
 * MONO_THREADS_SUSPEND at start-up): CTest and scripts/stress-mono run it under hybrid and coop.
 *
 * Who creates threads. `--creators` C# creator threads (default 8) take cycle numbers from one C
 * counter until `--cycles` (default 100,000) are taken, and for each run one cycle:
 *     var t = new Thread(() => Body(c, i)); t.Start(); t.Join();
 * while a C# collector thread calls GC.Collect() in a loop alongside, until the last cycle is joined.
 * A run is two such phases: a warm-up (--warmup cycles, default a tenth, at most 10,000; JIT, Mono's
 * thread and GC structures, the library's tables grow there) and the main phase; after each, the
 * proxies are drained (GC.Collect + WaitForPendingFinalizers until every one was finalized) and RSS is
 * read, so "before" and "after" are the same state: no proxies alive, every thread gone.
 *
 * What a cycle does. Its body (a fresh C# thread, attached to the registry by the glue as Mono starts
 * it) makes, as the cycle's mix says (bits drawn from the seed and the cycle number, so --seed N
 * replays the same mixes; the interleaving is the machine's):
 *   - always a routed sync call (P/Invoke -> wt_call_sync) to one of two C server threads; 1 in 8 the
 *     server sync-calls back the waiting body (A -> B -> A), 1 in 4 it posts back to the body (a post
 *     that runs if the body serves again, or is dropped as the body's thread ends: its cancel path
 *     runs inside Mono's detach);
 *   - 1 in 4 a raw internal call (mono_dangerous_add_raw_internal_call: GC-unsafe, as Mono's own
 *     runtime-native code is) that sync-calls the managed service thread — a C# thread serving its
 *     mailbox in a P/Invoke, whose routed function runs C# (a reverse P/Invoke: managed allocation,
 *     sometimes a proxy of a handle it owns). Blocked GC-unsafe on a target that needs the GC to be
 *     over to run managed code: without the glue's GC-safe region this is a GC deadlock;
 *   - 1 in 8 the same call from a P/Invoke (GC-safe already: the glue's probe path);
 *   - 1 in 2 wt_call_async to a server, half of them waited for (wt_thread_serve until `done`), the
 *     others left to the thread's end (done then runs with the result or WT_ECANCELED, exactly once);
 *   - 1 in 2 a wt_post to a server; 1 in 4 a wt_await_sync whose completion the server resolves at
 *     once or from a post to the other server;
 *   - 0-3 proxies of handles owned by a server (registered by a routed call), 1 in 4 one owned by the
 *     body's own thread (force-disposed when the thread ends, its later release WT_EOWNER_GONE). The
 *     proxies become garbage as the body ends; their finalizers call wt_handle_release on Mono's
 *     finalizer thread.
 *
 * Invariants, checked at the end (each one a FAIL line naming the seed):
 *   - every call, post, ping, async completion and handle has a ledger byte: sent once, and exactly
 *     one outcome (run/applied, or canceled/dropped); every handle registered was released exactly
 *     once by a finalizer and freed exactly once, on its owner thread;
 *   - the library's counters agree: handles registered == freed == our registrations, applied ==
 *     accepted releases, owner_gone == force_disposed == our WT_EOWNER_GONE releases, no stale or
 *     forged releases, live back to baseline; completions created == freed, live back to baseline;
 *     proxying canceled/dropped == ours, nothing unwound or refused; registry threads and attached
 *     threads back to baseline, attached == detached + exited, Mono thread starts == stops, no GC-safe
 *     region left open; every routed call came from a thread the glue had attached;
 *   - RSS after the main phase within --rss-tolerance-mib of RSS after the warm-up (see docs/stress.md
 *     for what it measures and why that tolerance).
 * Watchdog: a plain pthread, never attached to Mono, watches one progress counter (every cycle step,
 * routed call, release and GC bumps it). No progress for --stall-s seconds (default 10): it prints
 * what each thread of the test is doing (creators, their bodies, servers, service, collector,
 * finalizer, main), every library counter, dump_library_state(), then "FAIL: stalled ..." and exits 3.
 * It also prints the progress lines (--progress-ms).
 *
 * Faults, to show the run can fail: --no-glue (no wt_mono_glue_install: the raw calls deadlock the GC
 * and the watchdog reports the stall), --fault leak (1 finalizer in 997 forgets its release: leaked
 * handles reported), --fault rss (2 KiB malloc'ed and leaked per cycle: the RSS check reports it).
 * Exit 0 and "PASS stress-mono" on success; "FAIL: ..." lines and exit 1 (3: stall).
 */
#define _GNU_SOURCE
#include "webthreads/completion.h"
#include "webthreads/diag.h"
#include "webthreads/handles.h"
#include "webthreads/mono_glue.h"
#include "webthreads/proxying.h"
#include "webthreads/runtime.h"

#include "test/mono/mono_embed.h"

#include <mono/metadata/loader.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WTT_EXPORT __attribute__((visibility("default")))

enum { SLOTS = 6, MAX_CREATORS = 64, N_SERVERS = 2, CALL_TIMEOUT_MS = 30000 };

/* Mix bits (StressMono.cs has the ones it reads). */
#define M_NESTED (1 << 0)
#define M_PING (1 << 1)
#define M_RAW (1 << 2)
#define M_SERVICE (1 << 3)
#define M_ASYNC (1 << 4)
#define M_ASYNC_WAIT (1 << 5)
#define M_POST (1 << 6)
#define M_AWAIT (1 << 7)
#define M_AWAIT_DEFER (1 << 8)
#define M_PROXIES_SHIFT 9 /* 2 bits: 0-3 server-owned proxies */
#define M_OWN (1 << 11)
#define M_SVC_PROXY (1 << 12)
#define M_POLL_EXIT (1 << 13)

/* Thread tags: who owns a handle, where a callback ran. */
#define TAG_SERVER(k) (1u + (unsigned)(k))
#define TAG_SERVICE 10u
#define TAG_BODY(i) (0x80000000u | (unsigned)(i))

/* ------------------------------------------------------------------ options, failures */

static uint64_t g_seed;
static int g_cycles = 100000, g_creators = 8, g_progress_ms = 1000, g_stall_s = 10, g_warmup = -1;
static int g_glue = 1, g_fault_leak = 0, g_fault_rss = 0, g_gc_pause_ms = 1;
static double g_rss_tol_mib = 4; /* docs/stress.md: measured +0.1..0.3 MiB over 90,000 cycles */
static const char *g_susp = "hybrid";

static _Atomic int failures;
static void fail(const char *fmt, ...) {
  int n = atomic_fetch_add(&failures, 1);
  if (n >= 40) return; /* counted, not printed */
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  printf("FAIL: %s (seed %" PRIu64 ", suspend %s; replay: --seed %" PRIu64 ")\n", msg, g_seed, g_susp, g_seed);
  fflush(stdout);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long v = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &v) == 1) break;
  fclose(f);
  return v;
}

/* ------------------------------------------------------------------ what each thread is doing */

typedef struct actor {
  _Atomic(const char *) what;
  _Atomic int cycle;
  _Atomic uint64_t since_ns;
} actor;

static actor a_main, a_server[N_SERVERS], a_service, a_collector, a_finalizer, a_creator[MAX_CREATORS],
    a_body[MAX_CREATORS];
static _Atomic uint64_t progress;
static _Atomic(const char *) g_phase = "start-up";

static void act(actor *a, const char *what, int cycle) {
  atomic_store_explicit(&a->cycle, cycle, memory_order_relaxed);
  atomic_store_explicit(&a->since_ns, now_ns(), memory_order_relaxed);
  atomic_store_explicit(&a->what, what, memory_order_release);
  atomic_fetch_add_explicit(&progress, 1, memory_order_relaxed);
}

/* ------------------------------------------------------------------ counters and ledgers */

#define C(name) static _Atomic uint64_t name
C(cycles_joined); C(bodies); C(sync_calls); C(sync_ok); C(nested_calls); C(nested_ok); C(raw_calls); C(raw_ok);
C(service_calls); C(service_ok); C(async_sent); C(async_ok); C(async_canceled); C(async_fn_runs);
C(posts_sent); C(posts_run); C(posts_dropped); C(pings_sent); C(pings_run); C(pings_dropped); C(awaits);
C(awaits_ok); C(deferred_sent); C(deferred_run); C(deferred_dropped); C(handle_regs); C(releases_ok);
C(releases_gone); C(releases_bad); C(releases_skipped); C(releases_off_finalizer); C(frees);
C(frees_wrong_owner); C(handle_routed); C(unattached_bodies); C(gcs); C(lat_max_ns); C(lat_sum_ns); C(lat_over_100ms);
#undef C
static _Atomic int lat_max_cycle = -1;
#define ADD(c) atomic_fetch_add_explicit(&(c), 1, memory_order_relaxed)
#define GET(c) atomic_load_explicit(&(c), memory_order_relaxed)

/* One byte per thing sent: SENT when it goes, +OK or +DROP for its outcome, so "exactly once" is a
 * byte value (0x81 or 0x90) and a second outcome or a missing one shows. Handles: +REL_OK or
 * +REL_GONE for the finalizer's release, +FREED for the free function. */
#define L_SENT 0x80
#define L_OK 0x01
#define L_DROP 0x10
#define L_REL_OK 0x01
#define L_REL_GONE 0x04
#define L_FREED 0x10
static _Atomic uint8_t *lg_async, *lg_post, *lg_ping, *lg_handle;
static uint32_t *h_owner; /* expected owner tag per handle serial (written and read on the owner) */

static _Thread_local uint32_t tl_tag;
static _Thread_local int tl_async_pending;
static _Thread_local int tl_finalizer; /* 0 unknown, 1 Mono's finalizer thread, 2 another */

static uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

static int cycle_mix(int i) {
  uint64_t r = splitmix(g_seed ^ splitmix((uint64_t)i + 1));
  int m = 0;
#define TAKE(bits) (int)(r & ((1u << (bits)) - 1)); r >>= (bits)
  int v;
  v = TAKE(3); if (v == 0) m |= M_NESTED;
  v = TAKE(2); if (v == 0) m |= M_PING;
  v = TAKE(2); if (v == 0) m |= M_RAW;
  v = TAKE(3); if (v == 0) m |= M_SERVICE;
  v = TAKE(1); if (v) m |= M_ASYNC;
  v = TAKE(1); if (v) m |= M_ASYNC_WAIT;
  v = TAKE(1); if (v) m |= M_POST;
  v = TAKE(2); if (v == 0) m |= M_AWAIT;
  v = TAKE(1); if (v) m |= M_AWAIT_DEFER;
  v = TAKE(2); m |= v << M_PROXIES_SHIFT;
  v = TAKE(2); if (v == 0) m |= M_OWN;
  v = TAKE(1); if (v) m |= M_SVC_PROXY;
  v = TAKE(1); if (v) m |= M_POLL_EXIT;
#undef TAKE
  return m;
}

static uint64_t await_value(int i) { return splitmix((uint64_t)i ^ 0xabcdef); }

/* ------------------------------------------------------------------ C server threads (not Mono's) */

typedef struct server {
  pthread_t th;
  int index;
  _Atomic uint64_t id;
  _Atomic int stop;
} server;

static server g_servers[N_SERVERS];
static _Thread_local server *tl_server;

static int server_until(void *p) { return atomic_load(&((server *)p)->stop); }

static void *server_main(void *p) {
  server *s = p;
  wt_thread me;
  if (wt_thread_join(&me) != 0) abort();
  tl_tag = TAG_SERVER(s->index);
  tl_server = s;
  act(&a_server[s->index], "serving (wt_thread_serve)", -1);
  atomic_store(&s->id, me.bits);
  while (!atomic_load(&s->stop)) wt_thread_serve(server_until, s, 1000);
  act(&a_server[s->index], "left", -1);
  wt_thread_leave();
  return NULL;
}

static int set_stop(wt_call *call, void *p) {
  (void)call;
  atomic_store((_Atomic int *)p, 1);
  return 0;
}

static wt_thread srv(int k) { return (wt_thread){atomic_load(&g_servers[k % N_SERVERS].id)}; }
static void server_busy(const char *what, int cycle) {
  if (tl_server) act(&a_server[tl_server->index], what, cycle);
}
static void server_idle(void) {
  if (tl_server) act(&a_server[tl_server->index], "serving (wt_thread_serve)", -1);
}

/* ------------------------------------------------------------------ the managed service thread */

typedef int (*service_cb)(int cycle, int slot);
static service_cb g_service_cb;
static _Atomic uint64_t g_service_id;
static _Atomic int g_service_stop;

static int service_until(void *p) {
  (void)p;
  return atomic_load(&g_service_stop);
}

/* P/Invoke: the service thread's body (a C# thread). */
WTT_EXPORT void wtt_stress_serve_managed(void *cb) {
  g_service_cb = (service_cb)cb;
  wt_thread me;
  if (wt_thread_join(&me) != 0) {
    fail("the service thread could not join the registry");
    return;
  }
  tl_tag = TAG_SERVICE;
  act(&a_service, "serving (wt_thread_serve in a P/Invoke)", -1);
  atomic_store(&g_service_id, me.bits);
  while (!atomic_load(&g_service_stop)) wt_thread_serve(service_until, NULL, 1000);
  act(&a_service, "stopped (its C# thread ends)", -1);
}

typedef struct svc_arg {
  int cycle, slot, ret;
} svc_arg;

static int service_fn(wt_call *call, void *p) {
  (void)call;
  svc_arg *a = p;
  act(&a_service, "in the managed callback (reverse P/Invoke)", a->cycle);
  a->ret = g_service_cb(a->cycle, a->slot);
  act(&a_service, "serving (wt_thread_serve in a P/Invoke)", -1);
  return 0;
}

static void service_call(int c, int i, int slot, int raw) {
  svc_arg a = {.cycle = i, .slot = slot, .ret = 0};
  wt_result res;
  int r = wt_call_sync((wt_thread){atomic_load(&g_service_id)}, service_fn, &a, CALL_TIMEOUT_MS, &res);
  act(&a_body[c], "running", i);
  if (r != 0)
    fail("cycle %d: %s call to the managed service: %s", i, raw ? "raw-icall" : "P/Invoke", wt_strerror(r));
  else if (a.ret != (i ^ 0x5a5a))
    fail("cycle %d: the managed service answered %d, expected %d", i, a.ret, i ^ 0x5a5a);
  else
    ADD(*(raw ? &raw_ok : &service_ok));
}

/* Raw internal call (Raw.Call): GC-unsafe for its whole duration, as runtime-native code is. */
static int raw_call(int c, int i, int mix) {
  ADD(raw_calls);
  act(&a_body[c], "raw icall (GC-unsafe): wt_call_sync to the managed service", i);
  service_call(c, i, (mix & M_SVC_PROXY) ? 4 : -1, 1);
  return 0;
}

WTT_EXPORT void wtt_stress_service(int c, int i, int mix) {
  ADD(service_calls);
  act(&a_body[c], "P/Invoke: wt_call_sync to the managed service", i);
  service_call(c, i, (mix & M_SVC_PROXY) ? 5 : -1, 0);
}

/* ------------------------------------------------------------------ cycles */

static int g_phase_end;
static _Atomic int g_next;
static _Atomic int g_running;
static _Atomic uint64_t start_ns[MAX_CREATORS];

WTT_EXPORT int wtt_stress_next(int c) {
  int i = atomic_fetch_add(&g_next, 1);
  if (i >= g_phase_end) {
    act(&a_creator[c], "done (no cycles left)", -1);
    return -1;
  }
  act(&a_creator[c], "new Thread(...)", i);
  return i;
}

WTT_EXPORT void wtt_stress_starting(int c, int i) {
  act(&a_creator[c], "Thread.Start()", i);
  atomic_store(&start_ns[c], now_ns());
}

WTT_EXPORT void wtt_stress_joining(int c, int i) { act(&a_creator[c], "Thread.Join()", i); }

WTT_EXPORT void wtt_stress_joined(int c, int i) {
  act(&a_creator[c], "joined", i);
  act(&a_body[c], "gone", i);
  if (atomic_fetch_add(&cycles_joined, 1) + 1 == (uint64_t)g_phase_end) atomic_store(&g_running, 0);
}

WTT_EXPORT int wtt_stress_body_enter(int c, int i) {
  uint64_t lat = now_ns() - atomic_load(&start_ns[c]);
  atomic_fetch_add(&lat_sum_ns, lat);
  if (lat > 100000000u) ADD(lat_over_100ms);
  uint64_t m = atomic_load(&lat_max_ns);
  while (lat > m && !atomic_compare_exchange_weak(&lat_max_ns, &m, lat)) {
  }
  if (lat > m) atomic_store(&lat_max_cycle, i);
  ADD(bodies);
  if (g_fault_rss) { /* the injected fault: 2 KiB leaked per cycle, touched */
    volatile char *p = malloc(2048);
    if (p)
      for (int k = 0; k < 2048; k += 64) p[k] = 1;
  }
  tl_tag = TAG_BODY(i);
  tl_async_pending = 0;
  if (!wt_runtime_thread_is_attached()) {
    ADD(unattached_bodies);
    wt_thread_join(NULL); /* without the glue: join by hand, so the caller checks below still hold */
  }
  act(&a_body[c], "running", i);
  return cycle_mix(i);
}

WTT_EXPORT void wtt_stress_body_exit(int c, int i, int mix) {
  if (mix & M_POLL_EXIT) {
    act(&a_body[c], "wt_thread_poll before exit", i);
    wt_thread_poll();
  }
  act(&a_body[c], "thread ending (Mono detach -> registry leave)", i);
}

/* --- sync calls, nested calls back, pings */

typedef struct sync_arg {
  int cycle, mix, v;
  uint64_t caller;
} sync_arg;

typedef struct nested_arg {
  uint64_t expect;
  int ok;
} nested_arg;

static int nested_fn(wt_call *call, void *p) {
  (void)call;
  nested_arg *n = p;
  n->ok = wt_thread_self().bits == n->expect;
  return 0;
}

static void ping_fn_outcome(int i, int dropped) {
  if (tl_tag != TAG_BODY(i)) fail("cycle %d: ping %s on another thread than its body", i, dropped ? "dropped" : "run");
  atomic_fetch_add(&lg_ping[i], dropped ? L_DROP : L_OK);
  ADD(*(dropped ? &pings_dropped : &pings_run));
}
static int ping_fn(wt_call *call, void *p) {
  (void)call;
  ping_fn_outcome((int)(intptr_t)p, 0);
  return 0;
}
static void ping_cancel(void *p) { ping_fn_outcome((int)(intptr_t)p, 1); }

static int srv_sync_fn(wt_call *call, void *p) {
  sync_arg *a = p;
  server_busy("running a sync call", a->cycle);
  if (wt_call_caller(call).bits != a->caller) fail("cycle %d: sync call's caller id is not the body's", a->cycle);
  a->v = a->v * 3 + 1;
  if (a->mix & M_NESTED) {
    ADD(nested_calls);
    server_busy("nested wt_call_sync back to the waiting body", a->cycle);
    nested_arg n = {.expect = a->caller, .ok = 0};
    wt_result res;
    int r = wt_call_sync((wt_thread){a->caller}, nested_fn, &n, CALL_TIMEOUT_MS, &res);
    if (r != 0 || !n.ok)
      fail("cycle %d: nested call back to the body: %s%s", a->cycle, wt_strerror(r), n.ok ? "" : " (not run on the body)");
    else
      ADD(nested_ok);
  }
  if (a->mix & M_PING) {
    atomic_fetch_add(&lg_ping[a->cycle], L_SENT);
    ADD(pings_sent);
    int r = wt_post((wt_thread){a->caller}, ping_fn, ping_cancel, (void *)(intptr_t)a->cycle);
    if (r != 0) fail("cycle %d: ping post to the waiting body: %s", a->cycle, wt_strerror(r));
  }
  server_idle();
  return 0;
}

WTT_EXPORT void wtt_stress_sync(int c, int i, int mix) {
  ADD(sync_calls);
  act(&a_body[c], "P/Invoke: wt_call_sync to a C server", i);
  sync_arg a = {.cycle = i, .mix = mix, .v = i, .caller = wt_thread_self().bits};
  wt_result res;
  int r = wt_call_sync(srv(i), srv_sync_fn, &a, CALL_TIMEOUT_MS, &res);
  act(&a_body[c], "running", i);
  if (r != 0)
    fail("cycle %d: sync call to server %d: %s", i, i % N_SERVERS, wt_strerror(r));
  else if (a.v != i * 3 + 1)
    fail("cycle %d: sync call's answer %d, expected %d", i, a.v, i * 3 + 1);
  else
    ADD(sync_ok);
}

/* --- async calls */

static int srv_async_fn(wt_call *call, void *p) {
  (void)call;
  server_busy("running an async call", (int)(intptr_t)p);
  ADD(async_fn_runs);
  server_idle();
  return 0;
}

static void async_done(const wt_result *res, void *p) {
  int i = (int)(intptr_t)p;
  if (tl_tag != TAG_BODY(i)) fail("cycle %d: async done ran on another thread than its caller", i);
  if (res->status == 0) {
    atomic_fetch_add(&lg_async[i], L_OK);
    ADD(async_ok);
  } else if (res->status == WT_ECANCELED) {
    atomic_fetch_add(&lg_async[i], L_DROP);
    ADD(async_canceled);
  } else {
    fail("cycle %d: async done with %s", i, wt_strerror(res->status));
  }
  tl_async_pending--;
}

static int async_until(void *p) {
  (void)p;
  return tl_async_pending == 0;
}

WTT_EXPORT void wtt_stress_async(int c, int i, int mix) {
  act(&a_body[c], "wt_call_async to a C server", i);
  atomic_fetch_add(&lg_async[i], L_SENT);
  ADD(async_sent);
  tl_async_pending++;
  int r = wt_call_async(srv(i + 1), srv_async_fn, (void *)(intptr_t)i, async_done, (void *)(intptr_t)i);
  if (r != 0) {
    tl_async_pending--;
    fail("cycle %d: wt_call_async: %s", i, wt_strerror(r));
    return;
  }
  if (mix & M_ASYNC_WAIT) {
    act(&a_body[c], "wt_thread_serve until its async done ran", i);
    r = wt_thread_serve(async_until, NULL, CALL_TIMEOUT_MS);
    if (r != 0) fail("cycle %d: serving for the async completion: %s", i, wt_strerror(r));
  }
  act(&a_body[c], "running", i);
}

/* --- posts */

static int srv_post_fn(wt_call *call, void *p) {
  (void)call;
  atomic_fetch_add(&lg_post[(int)(intptr_t)p], L_OK);
  ADD(posts_run);
  return 0;
}
static void post_cancel(void *p) {
  atomic_fetch_add(&lg_post[(int)(intptr_t)p], L_DROP);
  ADD(posts_dropped);
}

WTT_EXPORT void wtt_stress_post(int c, int i) {
  act(&a_body[c], "wt_post to a C server", i);
  atomic_fetch_add(&lg_post[i], L_SENT);
  ADD(posts_sent);
  int r = wt_post(srv(i + 1), srv_post_fn, post_cancel, (void *)(intptr_t)i);
  if (r != 0) fail("cycle %d: wt_post: %s", i, wt_strerror(r));
  act(&a_body[c], "running", i);
}

/* --- sync over async */

typedef struct deferred {
  wt_completion *c;
  int cycle;
} deferred;

static int deferred_fn(wt_call *call, void *p) {
  (void)call;
  deferred *d = p;
  wt_value v = {.kind = WT_VALUE_U64, .u64 = await_value(d->cycle)};
  if (wt_completion_resolve(d->c, &v) != 0) fail("cycle %d: deferred resolve refused", d->cycle);
  wt_completion_release(d->c);
  free(d);
  ADD(deferred_run);
  return 0;
}
static void deferred_cancel(void *p) {
  deferred *d = p;
  wt_completion_cancel(d->c);
  wt_completion_release(d->c);
  free(d);
  ADD(deferred_dropped);
}

static int await_start(wt_completion *c, void *p) {
  int i = (int)(intptr_t)p;
  if (cycle_mix(i) & M_AWAIT_DEFER) {
    deferred *d = malloc(sizeof *d);
    if (!d) return WT_ENOMEM;
    d->c = c;
    d->cycle = i;
    wt_completion_retain(c);
    ADD(deferred_sent);
    int r = wt_post(srv(i + 1), deferred_fn, deferred_cancel, d);
    if (r != 0) {
      wt_completion_release(c);
      free(d);
      return r;
    }
    return 0;
  }
  wt_value v = {.kind = WT_VALUE_U64, .u64 = await_value(i)};
  return wt_completion_resolve(c, &v) == 0 ? 0 : WT_EALREADY;
}

WTT_EXPORT void wtt_stress_await(int c, int i, int mix) {
  (void)mix;
  ADD(awaits);
  act(&a_body[c], "wt_await_sync on a C server", i);
  wt_completion *out = NULL;
  int r = wt_await_sync(srv(i), await_start, (void *)(intptr_t)i, CALL_TIMEOUT_MS, &out);
  act(&a_body[c], "running", i);
  if (r != 0) {
    fail("cycle %d: wt_await_sync: %s", i, wt_strerror(r));
  } else {
    wt_value v;
    int s = wt_completion_result_get(out, NULL, &v);
    if (s != 0 || v.kind != WT_VALUE_U64 || v.u64 != await_value(i))
      fail("cycle %d: wt_await_sync's value is wrong (status %d, kind %d)", i, s, (int)v.kind);
    else
      ADD(awaits_ok);
  }
  wt_completion_release(out);
}

/* --- handles and their finalizer releases */

static void handle_free(void *value) {
  int serial = (int)((uintptr_t)value - 1);
  if (h_owner[serial] != tl_tag) {
    ADD(frees_wrong_owner);
    fail("handle %d (cycle %d slot %d) freed on another thread than its owner", serial, serial / SLOTS, serial % SLOTS);
  }
  atomic_fetch_add(&lg_handle[serial], L_FREED);
  ADD(frees);
}

/* Registers a handle for serial on the calling thread (its owner); the owner side (the JS side)
 * lets go at once, so the finalizer's release frees it. */
static uint64_t register_here(int serial) {
  wt_handle h;
  int r = wt_handle_register((void *)(uintptr_t)(serial + 1), handle_free, &h);
  if (r != 0) {
    fail("handle %d: wt_handle_register: %s", serial, wt_strerror(r));
    return 0;
  }
  h_owner[serial] = tl_tag;
  atomic_fetch_add(&lg_handle[serial], L_SENT);
  ADD(handle_regs);
  r = wt_handle_release_local(h);
  if (r != 0) fail("handle %d: wt_handle_release_local: %s", serial, wt_strerror(r));
  return h.bits;
}

typedef struct reg_arg {
  int serial;
  uint64_t h;
} reg_arg;

static int srv_register_fn(wt_call *call, void *p) {
  (void)call;
  reg_arg *a = p;
  server_busy("registering a handle", a->serial / SLOTS);
  a->h = register_here(a->serial);
  server_idle();
  return 0;
}

WTT_EXPORT long long wtt_stress_handle_server(int c, int i, int k) {
  act(&a_body[c], "P/Invoke: wt_call_sync to register a handle on a C server", i);
  ADD(handle_routed);
  reg_arg a = {.serial = i * SLOTS + k, .h = 0};
  int r = wt_call_sync(srv(i + k), srv_register_fn, &a, CALL_TIMEOUT_MS, NULL);
  act(&a_body[c], "running", i);
  if (r != 0) fail("cycle %d: handle registration on a server: %s", i, wt_strerror(r));
  return (long long)a.h;
}

WTT_EXPORT long long wtt_stress_handle_here(int i, int slot) { return (long long)register_here(i * SLOTS + slot); }

WTT_EXPORT void wtt_stress_release(long long h, int serial) {
  if (!tl_finalizer) {
    char name[32] = "";
    pthread_getname_np(pthread_self(), name, sizeof name);
    tl_finalizer = strcmp(name, "Finalizer") == 0 ? 1 : 2;
  }
  if (tl_finalizer != 1) ADD(releases_off_finalizer);
  act(&a_finalizer, "wt_handle_release", serial / SLOTS);
  if (g_fault_leak && serial % 997 == 0) { /* the injected fault: this finalizer forgets its release */
    ADD(releases_skipped);
  } else {
    int r = wt_handle_release((wt_handle){(uint64_t)h});
    if (r == 0) {
      atomic_fetch_add(&lg_handle[serial], L_REL_OK);
      ADD(releases_ok);
    } else if (r == WT_EOWNER_GONE) {
      atomic_fetch_add(&lg_handle[serial], L_REL_GONE);
      ADD(releases_gone);
    } else {
      ADD(releases_bad);
      fail("handle %d (cycle %d slot %d): wt_handle_release: %s", serial, serial / SLOTS, serial % SLOTS, wt_strerror(r));
    }
  }
  act(&a_finalizer, "idle (Mono's finalizer loop)", -1);
}

WTT_EXPORT long long wtt_stress_unreleased(void) {
  return (long long)(GET(handle_regs) - GET(releases_ok) - GET(releases_gone) - GET(releases_bad));
}
WTT_EXPORT long long wtt_stress_releases(void) {
  return (long long)(GET(releases_ok) + GET(releases_gone) + GET(releases_bad) + GET(releases_skipped));
}

/* --- the collector */

WTT_EXPORT int wtt_stress_running(void) { return atomic_load(&g_running); }
WTT_EXPORT void wtt_stress_gc_tick(void) { ADD(gcs); }
WTT_EXPORT int wtt_stress_gc_pause_ms(void) { return g_gc_pause_ms; }
WTT_EXPORT void wtt_stress_collector(int state) {
  static const char *const what[] = {"between collections", "in GC.Collect()", "stopped"};
  act(&a_collector, what[state], (int)GET(gcs));
}

/* ------------------------------------------------------------------ stats, dump, watchdog */

typedef struct snapshot {
  wt_proxying_stats px;
  wt_handles_stats hd;
  wt_completion_stats cp;
  wt_runtime_stats rt;
  wt_mono_glue_stats gl;
} snapshot;

static void snap(snapshot *s) {
  wt_proxying_stats_get(&s->px);
  wt_handles_stats_get(&s->hd);
  wt_completion_stats_get(&s->cp);
  wt_runtime_stats_get(&s->rt);
  wt_mono_glue_stats_get(&s->gl);
}

#define U(x) ((unsigned long long)(x))
static void print_stats(const char *indent, const snapshot *s) {
  printf("%sproxying: threads_live %u, calls_canceled %llu, posts_dropped %llu, completions_dropped %llu, "
         "calls_unwound %llu, mailbox_full %llu, wakeups_failed %llu\n",
         indent, s->px.threads_live, U(s->px.calls_canceled), U(s->px.posts_dropped), U(s->px.completions_dropped),
         U(s->px.calls_unwound), U(s->px.mailbox_full), U(s->px.wakeups_failed));
  printf("%shandles: registered %llu, freed %llu, applied %llu, batches %llu, live %llu, stale %llu, forged %llu, "
         "owner_gone %llu, force_disposed %llu\n",
         indent, U(s->hd.registered), U(s->hd.freed), U(s->hd.applied), U(s->hd.batches), U(s->hd.live),
         U(s->hd.stale), U(s->hd.forged), U(s->hd.owner_gone), U(s->hd.force_disposed));
  printf("%scompletion: created %llu, freed %llu, live %llu, resolved %llu, rejected %llu, canceled %llu, "
         "refused %llu, continuations_run %llu\n",
         indent, U(s->cp.created), U(s->cp.freed), U(s->cp.live), U(s->cp.resolved), U(s->cp.rejected),
         U(s->cp.canceled), U(s->cp.refused), U(s->cp.continuations_run));
  printf("%sruntime: attached %llu, detached %llu, exited_attached %llu, threads_attached %u, gc_safe_entered %llu, "
         "gc_safe_skipped %llu, waits_refused %llu\n",
         indent, U(s->rt.attached), U(s->rt.detached), U(s->rt.exited_attached), s->rt.threads_attached,
         U(s->rt.gc_safe_entered), U(s->rt.gc_safe_skipped), U(s->rt.waits_refused));
  printf("%smono glue: threads_started %llu, threads_stopped %llu, attach_refused %llu, regions_entered %llu, "
         "already_safe %llu, not_mono %llu, in_region %u\n",
         indent, U(s->gl.threads_started), U(s->gl.threads_stopped), U(s->gl.attach_refused),
         U(s->gl.regions_entered), U(s->gl.already_safe), U(s->gl.not_mono), s->gl.in_region);
}

static void print_counters(const char *indent) {
  printf("%sours: cycles joined %llu, bodies %llu (unattached %llu); sync %llu/%llu ok, nested %llu/%llu, raw %llu/%llu, "
         "service %llu/%llu; async sent %llu = ok %llu + canceled %llu (fn ran %llu); posts %llu = run %llu + dropped %llu; "
         "pings %llu = run %llu + dropped %llu; awaits %llu/%llu (deferred %llu = run %llu + dropped %llu); handles %llu, "
         "releases ok %llu + owner gone %llu + refused %llu (+ skipped by fault %llu), frees %llu; GCs %llu\n",
         indent, U(GET(cycles_joined)), U(GET(bodies)), U(GET(unattached_bodies)), U(GET(sync_ok)), U(GET(sync_calls)),
         U(GET(nested_ok)), U(GET(nested_calls)), U(GET(raw_ok)), U(GET(raw_calls)), U(GET(service_ok)),
         U(GET(service_calls)), U(GET(async_sent)), U(GET(async_ok)), U(GET(async_canceled)), U(GET(async_fn_runs)),
         U(GET(posts_sent)), U(GET(posts_run)), U(GET(posts_dropped)), U(GET(pings_sent)), U(GET(pings_run)),
         U(GET(pings_dropped)), U(GET(awaits_ok)), U(GET(awaits)), U(GET(deferred_sent)), U(GET(deferred_run)),
         U(GET(deferred_dropped)), U(GET(handle_regs)), U(GET(releases_ok)), U(GET(releases_gone)),
         U(GET(releases_bad)), U(GET(releases_skipped)), U(GET(frees)), U(GET(gcs)));
}

static void dump_actor(const char *name, int k, actor *a, uint64_t now) {
  const char *what = atomic_load_explicit(&a->what, memory_order_acquire);
  if (!what) return;
  char nm[32];
  if (k >= 0)
    snprintf(nm, sizeof nm, "%s %d", name, k);
  else
    snprintf(nm, sizeof nm, "%s", name);
  int cycle = atomic_load(&a->cycle);
  char cyc[16] = "-";
  if (cycle >= 0) snprintf(cyc, sizeof cyc, "%d", cycle);
  printf("  %-12s %-8s %8.0f ms  %s\n", nm, cyc, (double)(now - atomic_load(&a->since_ns)) / 1e6, what);
}

/* The library's own view (webthreads/diag.h): every registry thread, what each one sleeps on and for
 * how long, each mailbox's depth, every module's counters. Lock-free, no allocation: callable from
 * this watchdog while the threads it describes run on. */
static void dump_library_state(void) {
  static char buf[65536];
  size_t need = wt_diag_dump(buf, sizeof buf);
  fputs(buf, stdout);
  if (need >= sizeof buf) printf("  (library dump cut: %zu of %zu bytes shown)\n", sizeof buf - 1, need);
}

static snapshot base; /* before the warm-up */

static void dump_state(double stalled_ms) {
  uint64_t now = now_ns();
  printf("== stress-mono dump: phase %s, no progress for %.0f ms (seed %" PRIu64 ", suspend %s, glue %s)\n",
         atomic_load(&g_phase), stalled_ms, g_seed, g_susp, g_glue ? "on" : "off");
  printf("  %-12s %-8s %11s  %s\n", "thread", "cycle", "in state", "doing / waiting on");
  dump_actor("main", -1, &a_main, now);
  for (int k = 0; k < N_SERVERS; k++) dump_actor("C server", k, &a_server[k], now);
  dump_actor("service", -1, &a_service, now);
  dump_actor("collector", -1, &a_collector, now);
  dump_actor("finalizer", -1, &a_finalizer, now);
  for (int c = 0; c < g_creators; c++) {
    dump_actor("creator", c, &a_creator[c], now);
    dump_actor("  its body", -1, &a_body[c], now);
  }
  printf("  library counters now:\n");
  snapshot s;
  snap(&s);
  print_stats("    ", &s);
  printf("  library counters at the start:\n");
  print_stats("    ", &base);
  print_counters("  ");
  dump_library_state();
  fflush(stdout);
}

static _Atomic int wd_stop;

static void *watchdog_main(void *p) {
  (void)p;
  uint64_t last = atomic_load(&progress);
  double since = now_ms(), next_print = now_ms() + g_progress_ms;
  uint64_t last_cycles = GET(cycles_joined);
  double last_t = now_ms();
  while (!atomic_load(&wd_stop)) {
    usleep(20000);
    double t = now_ms();
    uint64_t pr = atomic_load(&progress);
    if (pr != last) {
      last = pr;
      since = t;
    } else if (t - since > g_stall_s * 1000.0) {
      dump_state(t - since);
      fail("stalled: no progress for %d s in phase %s (%llu of %d cycles joined, %llu GCs done)", g_stall_s,
           atomic_load(&g_phase), U(GET(cycles_joined)), g_cycles, U(GET(gcs)));
      fflush(stdout);
      _exit(3);
    }
    if (g_progress_ms > 0 && t >= next_print) {
      uint64_t cy = GET(cycles_joined);
      printf("progress: %-8s cycles %llu/%d (%.0f/s now), GCs %llu, releases %llu, RSS %.1f MiB\n",
             atomic_load(&g_phase), U(cy), g_cycles, (double)(cy - last_cycles) * 1e3 / (t - last_t), U(GET(gcs)),
             U(GET(releases_ok) + GET(releases_gone)), rss_kib() / 1024.0);
      fflush(stdout);
      last_cycles = cy;
      last_t = t;
      next_print = t + g_progress_ms;
    }
  }
  return NULL;
}

/* ------------------------------------------------------------------ phases */

/* Every release the finalizers made has been applied on its owner (live handles are checked at the
 * end: a handle nobody released stays live, and must not make this wait run out). */
static int frees_done(void) {
  wt_handles_stats h;
  wt_handles_stats_get(&h);
  return h.applied - base.hd.applied == GET(releases_ok); /* counted after the pass's free functions ran */
}

static int registry_back(void) {
  snapshot s;
  snap(&s);
  return s.px.threads_live == base.px.threads_live && s.rt.threads_attached == base.rt.threads_attached;
}

static int service_started(void) { return atomic_load(&g_service_id) != 0; }

/* Runs cycles [from, to) and drains; returns the phase's wall time in ms (cycles only). */
static double run_phase(const char *name, int from, int to) {
  atomic_store(&g_phase, name);
  g_phase_end = to;
  atomic_store(&g_next, from);
  atomic_store(&g_running, 1);
  act(&a_main, "in Tests.Phase (joining the creators)", -1);
  double t0 = now_ms();
  invoke_int("Phase", g_creators);
  double dt = now_ms() - t0;
  if (GET(cycles_joined) != (uint64_t)to) fail("phase %s: %llu cycles joined, expected %d", name, U(GET(cycles_joined)), to);
  act(&a_main, "in Tests.Drain (GC.Collect + WaitForPendingFinalizers until all finalized)", -1);
  if (invoke_int("Drain", 1000) != 0)
    fail("phase %s: %lld proxies never released after the drain (finalizers ran %lld releases)", name,
         wtt_stress_unreleased(), wtt_stress_releases());
  act(&a_main, "waiting for the owners to apply the releases", -1);
  if (!wait_until(frees_done, 30000)) {
    wt_handles_stats h;
    wt_handles_stats_get(&h);
    fail("phase %s: releases not all applied: frees %llu for %llu accepted + %llu owner-gone; handles live %llu "
         "(baseline %llu), applied %llu",
         name, U(GET(frees)), U(GET(releases_ok)), U(GET(releases_gone)), U(h.live), U(base.hd.live),
         U(h.applied - base.hd.applied));
  }
  act(&a_main, "waiting for the registry to return to its baseline", -1);
  if (!wait_until(registry_back, 30000)) {
    snapshot s;
    snap(&s);
    fail("phase %s: registry not back to its baseline: %u threads live (baseline %u), %u attached (baseline %u)", name,
         s.px.threads_live, base.px.threads_live, s.rt.threads_attached, base.rt.threads_attached);
  }
  return dt;
}

/* ------------------------------------------------------------------ final checks */

static void check_ledgers(void) {
  static const struct {
    const char *name;
    _Atomic uint8_t **lg;
  } kinds[] = {{"async call", &lg_async}, {"post", &lg_post}, {"ping", &lg_ping}};
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    int bad = 0;
    for (int i = 0; i < g_cycles; i++) {
      uint8_t v = atomic_load(&(*kinds[k].lg)[i]);
      if (v == 0 || v == (L_SENT | L_OK) || v == (L_SENT | L_DROP)) continue;
      if (bad++ < 3)
        fail("%s of cycle %d: ledger 0x%02x (%s)", kinds[k].name, i, v,
             (v & 0x0f) + ((v >> 4) & 0x7) == 0 ? "no outcome" : "more than one outcome");
    }
    if (bad) fail("%d %ss without exactly one outcome", bad, kinds[k].name);
  }
  int never_released = 0, twice = 0, not_freed = 0, gone_bad = 0;
  for (int s = 0; s < g_cycles * SLOTS; s++) {
    uint8_t v = atomic_load(&lg_handle[s]);
    if (v == 0 || v == (L_SENT | L_REL_OK | L_FREED)) continue;
    if (v == (L_SENT | L_REL_GONE | L_FREED)) {
      if (s % SLOTS != 3 && gone_bad++ < 3) fail("handle %d (cycle %d slot %d): owner gone, but its owner lives", s, s / SLOTS, s % SLOTS);
      continue;
    }
    int rel = (v & 0x03) + ((v >> 2) & 0x03), fr = (v >> 4) & 0x07;
    if (rel == 0) never_released++;
    if (rel > 1 || fr > 1) twice++;
    if (fr == 0) not_freed++;
    if (never_released + twice + not_freed <= 5)
      fail("handle %d (cycle %d slot %d): ledger 0x%02x (released %d times, freed %d times)", s, s / SLOTS, s % SLOTS, v,
           rel, fr);
  }
  if (never_released || twice || not_freed)
    fail("handles: %d never released, %d released or freed more than once, %d not freed", never_released, twice,
         not_freed);
}

#define EXPECT_EQ(what, a, b)                                                                          \
  do {                                                                                                 \
    unsigned long long _a = (a), _b = (b);                                                             \
    if (_a != _b) fail("%s: %llu != %llu (%s vs %s)", what, _a, _b, #a, #b);                           \
  } while (0)

static void check_counters(const snapshot *e) {
  const snapshot *b = &base;
  EXPECT_EQ("bodies run", GET(bodies), g_cycles);
  EXPECT_EQ("cycles joined", GET(cycles_joined), g_cycles);
  EXPECT_EQ("sync calls answered", GET(sync_ok), GET(sync_calls));
  EXPECT_EQ("nested calls answered", GET(nested_ok), GET(nested_calls));
  EXPECT_EQ("raw-icall calls answered", GET(raw_ok), GET(raw_calls));
  EXPECT_EQ("service calls answered", GET(service_ok), GET(service_calls));
  EXPECT_EQ("awaits resolved", GET(awaits_ok), GET(awaits));
  EXPECT_EQ("async sent == ok + canceled", GET(async_sent), GET(async_ok) + GET(async_canceled));
  if (GET(async_fn_runs) < GET(async_ok) || GET(async_fn_runs) > GET(async_sent))
    fail("async functions ran %llu times for %llu sent and %llu answered", U(GET(async_fn_runs)), U(GET(async_sent)),
         U(GET(async_ok)));
  EXPECT_EQ("posts sent == run + dropped", GET(posts_sent), GET(posts_run) + GET(posts_dropped));
  EXPECT_EQ("pings sent == run + dropped", GET(pings_sent), GET(pings_run) + GET(pings_dropped));
  EXPECT_EQ("deferred resolves sent == run + dropped", GET(deferred_sent), GET(deferred_run) + GET(deferred_dropped));
  if (g_glue) EXPECT_EQ("bodies the glue had not attached", GET(unattached_bodies), 0);
  EXPECT_EQ("releases off Mono's finalizer thread", GET(releases_off_finalizer), 0);
  EXPECT_EQ("frees on the wrong thread", GET(frees_wrong_owner), 0);
  EXPECT_EQ("handles freed == registered", GET(frees), GET(handle_regs));
  EXPECT_EQ("releases (ok + owner gone) == registered", GET(releases_ok) + GET(releases_gone), GET(handle_regs));
  /* the library's own counters against ours */
  EXPECT_EQ("handles.registered delta == ours", e->hd.registered - b->hd.registered, GET(handle_regs));
  /* freed counts entries freed after both sides let go; force-disposed ones (owner left) are apart */
  EXPECT_EQ("handles.freed + force_disposed delta == registered delta",
            (e->hd.freed - b->hd.freed) + (e->hd.force_disposed - b->hd.force_disposed), e->hd.registered - b->hd.registered);
  EXPECT_EQ("handles.applied delta == accepted releases", e->hd.applied - b->hd.applied, GET(releases_ok));
  EXPECT_EQ("handles.owner_gone delta == our WT_EOWNER_GONE releases", e->hd.owner_gone - b->hd.owner_gone, GET(releases_gone));
  EXPECT_EQ("handles.force_disposed delta == owner-gone releases", e->hd.force_disposed - b->hd.force_disposed, GET(releases_gone));
  EXPECT_EQ("handles.stale delta", e->hd.stale - b->hd.stale, 0);
  EXPECT_EQ("handles.forged delta", e->hd.forged - b->hd.forged, 0);
  EXPECT_EQ("handles.live back to baseline", e->hd.live, b->hd.live);
  /* Completions settled on another thread than the one they are bound to (the deferred resolves) leave
   * that thread's bound list at its next sweep (completion.c: when the list doubled) or when it leaves:
   * while the servers live a few may be held. Balanced here, all freed after the shutdown (main). */
  EXPECT_EQ("completions created - freed == live - baseline live (delta)", e->cp.created - b->cp.created,
            (e->cp.freed - b->cp.freed) + (e->cp.live - b->cp.live));
  EXPECT_EQ("completions created == awaits", e->cp.created - b->cp.created, GET(awaits));
  EXPECT_EQ("proxying.calls_canceled delta == our canceled async calls", e->px.calls_canceled - b->px.calls_canceled,
            GET(async_canceled));
  EXPECT_EQ("proxying.posts_dropped delta == our dropped posts + pings + deferred",
            e->px.posts_dropped - b->px.posts_dropped, GET(posts_dropped) + GET(pings_dropped) + GET(deferred_dropped));
  EXPECT_EQ("proxying.calls_unwound delta", e->px.calls_unwound - b->px.calls_unwound, 0);
  EXPECT_EQ("proxying.mailbox_full delta", e->px.mailbox_full - b->px.mailbox_full, 0);
  EXPECT_EQ("registry threads_live back to baseline", e->px.threads_live, b->px.threads_live);
  EXPECT_EQ("runtime.threads_attached back to baseline", e->rt.threads_attached, b->rt.threads_attached);
  EXPECT_EQ("runtime attached == detached + exited_attached (delta)", e->rt.attached - b->rt.attached,
            (e->rt.detached - b->rt.detached) + (e->rt.exited_attached - b->rt.exited_attached));
  EXPECT_EQ("runtime.waits_refused delta", e->rt.waits_refused - b->rt.waits_refused, 0);
  if (g_glue) {
    EXPECT_EQ("glue: Mono thread starts == stops (delta)", e->gl.threads_started - b->gl.threads_started,
              e->gl.threads_stopped - b->gl.threads_stopped);
    EXPECT_EQ("glue: starts == registry attaches (delta)", e->gl.threads_started - b->gl.threads_started,
              e->rt.attached - b->rt.attached);
    EXPECT_EQ("glue: attach refused", e->gl.attach_refused, 0);
    EXPECT_EQ("glue: GC-safe regions open", e->gl.in_region, 0);
    uint64_t want = (uint64_t)g_cycles + 2 * (uint64_t)g_creators + 2; /* bodies, creators and collectors of 2 phases */
    if (e->gl.threads_started - b->gl.threads_started < want)
      fail("glue saw %llu Mono thread starts, expected at least %llu", U(e->gl.threads_started - b->gl.threads_started),
           U(want));
    if (strcmp(g_susp, "preemptive") != 0 && GET(raw_calls) > 0 && e->gl.regions_entered == b->gl.regions_entered)
      fail("glue entered no GC-safe region for %llu GC-unsafe raw-icall waits", U(GET(raw_calls)));
  }
}

/* ------------------------------------------------------------------ main */

/* Faults every page in (a memset of calloc'ed memory may be dropped by the compiler, and fresh
 * pages of a large calloc are not resident until written). */
static void touch_pages(void *p, size_t n) {
  volatile char *c = p;
  for (size_t i = 0; i < n; i += 4096) c[i] = 0;
  if (n) c[n - 1] = 0;
}

static void usage(const char *argv0) {
  fprintf(stderr,
          "stress-mono: C# new Thread(body).Start(); Join() cycles with routed calls and finalizer releases\n"
          "while GC.Collect() loops (design: test/stress/mono/stress_mono.c; figures: docs/stress.md)\n"
          "  --cycles N            cycles in all (default 100000), --warmup N of them first (default a tenth, <= 10000)\n"
          "  --creators N          C# creator threads (default 8, at most %d)\n"
          "  --seed N              the mixes of the cycles (default: a fresh one, printed)\n"
          "  --progress-ms N       a progress line every N ms (0: none; default 1000)\n"
          "  --stall-s N           the watchdog's limit without progress (default 10)\n"
          "  --gc-pause-ms N       the collector's pause between GC.Collect() calls (default 1; 0: back to back)\n"
          "  --rss-tolerance-mib X RSS growth allowed over the main phase (default 4)\n"
          "  --no-glue, --fault leak|rss   faults: the run must fail\n",
          MAX_CREATORS);
  fprintf(stderr,
          "usage: %s StressMono.dll [--cycles N] [--creators N] [--seed N] [--progress-ms N] [--stall-s N]\n"
          "          [--warmup N] [--gc-pause-ms N] [--rss-tolerance-mib X] [--no-glue] [--fault leak|rss]\n",
          argv0);
  exit(2);
}

int main(int argc, char **argv) {
  const char *dll = NULL;
  int seeded = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (!strcmp(a, name) && v && (i++, 1))
    if (OPT("--cycles")) g_cycles = atoi(v);
    else if (OPT("--creators")) g_creators = atoi(v);
    else if (OPT("--seed")) g_seed = strtoull(v, NULL, 0), seeded = 1;
    else if (OPT("--progress-ms")) g_progress_ms = atoi(v);
    else if (OPT("--stall-s")) g_stall_s = atoi(v);
    else if (OPT("--warmup")) g_warmup = atoi(v);
    else if (OPT("--gc-pause-ms")) g_gc_pause_ms = atoi(v);
    else if (OPT("--rss-tolerance-mib")) g_rss_tol_mib = atof(v);
    else if (OPT("--fault")) {
      if (!strcmp(v, "leak")) g_fault_leak = 1;
      else if (!strcmp(v, "rss")) g_fault_rss = 1;
      else usage(argv[0]);
    } else if (!strcmp(a, "--no-glue")) g_glue = 0;
    else if (a[0] != '-' && !dll) dll = a;
    else usage(argv[0]);
#undef OPT
  }
  if (!dll || g_cycles < 1 || g_creators < 1 || g_creators > MAX_CREATORS || g_stall_s < 1) usage(argv[0]);
  if (!seeded) g_seed = splitmix(now_ns() ^ ((uint64_t)getpid() << 32));
  if (g_warmup < 0) g_warmup = g_cycles / 10 < 10000 ? g_cycles / 10 : 10000;
  if (g_warmup >= g_cycles) g_warmup = g_cycles / 2;
  const char *susp = getenv("MONO_THREADS_SUSPEND");
  g_susp = susp && *susp ? susp : "hybrid";
  printf("stress-mono: seed %" PRIu64 ", %d cycles (%d warm-up) from %d creators, suspend %s, glue %s%s%s\n", g_seed,
         g_cycles, g_warmup, g_creators, g_susp, g_glue ? "on" : "off", g_fault_leak ? ", fault leak" : "",
         g_fault_rss ? ", fault rss" : "");
  fflush(stdout);

  /* Ledgers: allocated and touched now, so their pages are in every RSS reading. */
  size_t nh = (size_t)g_cycles * SLOTS;
  lg_async = calloc(g_cycles, 1);
  lg_post = calloc(g_cycles, 1);
  lg_ping = calloc(g_cycles, 1);
  lg_handle = calloc(nh, 1);
  h_owner = calloc(nh, sizeof *h_owner);
  if (!lg_async || !lg_post || !lg_ping || !lg_handle || !h_owner) return 2;
  touch_pages((void *)lg_async, g_cycles);
  touch_pages((void *)lg_post, g_cycles);
  touch_pages((void *)lg_ping, g_cycles);
  touch_pages((void *)lg_handle, nh);
  touch_pages(h_owner, nh * sizeof *h_owner);

  long rss_start = rss_kib();
  act(&a_main, "mono_jit_init", -1);
  embed_start("wt_stress_mono", dll);
  mono_dangerous_add_raw_internal_call("Raw::Call", (const void *)raw_call);
  if (g_glue && wt_mono_glue_install() != 0) {
    printf("FAIL: wt_mono_glue_install (seed %" PRIu64 ")\n", g_seed);
    return 2;
  }
  pthread_t wd;
  pthread_create(&wd, NULL, watchdog_main, NULL);
  for (int k = 0; k < N_SERVERS; k++) {
    g_servers[k].index = k;
    if (pthread_create(&g_servers[k].th, NULL, server_main, &g_servers[k]) != 0) abort();
  }
  act(&a_main, "starting the managed service thread", -1);
  invoke_int("StartService", 0);
  if (!wait_until(service_started, 30000)) fail("the managed service thread did not start serving");
  for (int k = 0; k < N_SERVERS; k++)
    while (!atomic_load(&g_servers[k].id)) sched_yield();
  snap(&base);

  double warm_ms = run_phase("warm-up", 0, g_warmup);
  long rss_warm = rss_kib();
  uint64_t gcs_warm = GET(gcs);
  printf("warm-up: %d cycles in %.0f ms; RSS %.1f MiB (at start %.1f MiB)\n", g_warmup, warm_ms, rss_warm / 1024.0,
         rss_start / 1024.0);
  fflush(stdout);
  double main_ms = run_phase("main", g_warmup, g_cycles);
  long rss_end = rss_kib();

  atomic_store(&g_phase, "checks");
  act(&a_main, "final checks", -1);
  snapshot end;
  snap(&end);
  check_ledgers();
  check_counters(&end);
  double growth_mib = (rss_end - rss_warm) / 1024.0;
  if (growth_mib > g_rss_tol_mib)
    fail("RSS grew %.1f MiB over the main phase (%.1f -> %.1f MiB), tolerance %.1f MiB", growth_mib, rss_warm / 1024.0,
         rss_end / 1024.0, g_rss_tol_mib);

  /* Stop the service (a C# thread: its end is Mono's detach) and the servers; nothing may be left. */
  atomic_store(&g_phase, "shutdown");
  act(&a_main, "stopping the service and the servers", -1);
  wt_post((wt_thread){atomic_load(&g_service_id)}, set_stop, NULL, &g_service_stop);
  invoke_int("JoinService", 0);
  for (int k = 0; k < N_SERVERS; k++) {
    wt_post(srv(k), set_stop, NULL, &g_servers[k].stop);
    pthread_join(g_servers[k].th, NULL);
  }
  snapshot fin;
  snap(&fin);
  EXPECT_EQ("handles live after shutdown", fin.hd.live, base.hd.live);
  EXPECT_EQ("handles force-disposed at shutdown", fin.hd.force_disposed, end.hd.force_disposed);
  EXPECT_EQ("completions live after shutdown", fin.cp.live, base.cp.live);
  EXPECT_EQ("completions created == freed after shutdown", fin.cp.created - base.cp.created, fin.cp.freed - base.cp.freed);
  atomic_store(&wd_stop, 1);
  pthread_join(wd, NULL);

  uint64_t main_cycles = (uint64_t)(g_cycles - g_warmup);
  uint64_t routed = GET(sync_calls) + GET(nested_calls) + GET(raw_calls) + GET(service_calls) + GET(async_sent) +
                    GET(posts_sent) + GET(pings_sent) + GET(awaits) + GET(deferred_sent) + GET(handle_routed);
  uint64_t releases = GET(releases_ok) + GET(releases_gone);
  double cps = main_cycles * 1e3 / main_ms, lat_max = GET(lat_max_ns) / 1e6, lat_mean = GET(lat_sum_ns) / 1e6 / GET(bodies);
  int nf = atomic_load(&failures);
  printf("\n== stress-mono summary (suspend %s, seed %" PRIu64 ", glue %s)\n", g_susp, g_seed, g_glue ? "on" : "off");
  printf("| %-40s | %s\n", "measure", "value");
  printf("| %-40s | %d (%d warm-up + %llu main), %d creators\n", "cycles", g_cycles, g_warmup, U(main_cycles), g_creators);
  printf("| %-40s | %.0f (main phase: %.1f s; warm-up %.0f/s)\n", "cycles/s", cps, main_ms / 1e3, g_warmup * 1e3 / warm_ms);
  printf("| %-40s | %.2f ms max (cycle %d), %.3f ms mean, %llu over 100 ms\n", "Thread.Start -> body running", lat_max,
         atomic_load(&lat_max_cycle), lat_mean, U(GET(lat_over_100ms)));
  printf("| %-40s | %llu (sync %llu, nested %llu, raw icall %llu, service %llu, async %llu, posts %llu, pings %llu, "
         "awaits %llu + deferred %llu, handle registrations %llu)\n",
         "routed calls", U(routed), U(GET(sync_calls)), U(GET(nested_calls)), U(GET(raw_calls)), U(GET(service_calls)),
         U(GET(async_sent)), U(GET(posts_sent)), U(GET(pings_sent)), U(GET(awaits)), U(GET(deferred_sent)),
         U(GET(handle_routed)));
  printf("| %-40s | %llu (applied on the owner %llu, owner gone %llu)\n", "finalizer releases", U(releases),
         U(GET(releases_ok)), U(GET(releases_gone)));
  printf("| %-40s | %llu (%llu in the warm-up; includes the drains' collections)\n", "GCs", U(GET(gcs)), U(gcs_warm));
  printf("| %-40s | %.1f MiB start, %.1f MiB after warm-up, %.1f MiB end: %+.1f MiB (tolerance %.1f MiB)\n", "RSS",
         rss_start / 1024.0, rss_warm / 1024.0, rss_end / 1024.0, growth_mib, g_rss_tol_mib);
  printf("| %-40s | %llu GC-safe regions entered, %llu already safe; Mono threads started %llu\n", "glue",
         U(end.gl.regions_entered - base.gl.regions_entered), U(end.gl.already_safe - base.gl.already_safe),
         U(end.gl.threads_started - base.gl.threads_started));
  printf("| %-40s | %d\n", "failures", nf);
  printf("RESULT stress_mono suspend=%s seed=%" PRIu64 " cycles=%d creators=%d cycles_per_s=%.0f start_max_ms=%.2f "
         "start_mean_ms=%.3f routed=%llu releases=%llu gcs=%llu rss_warm_kib=%ld rss_end_kib=%ld rss_growth_kib=%ld "
         "failures=%d\n",
         g_susp, g_seed, g_cycles, g_creators, cps, lat_max, lat_mean, U(routed), U(releases), U(GET(gcs)), rss_warm,
         rss_end, rss_end - rss_warm, nf);
  if (nf) {
    printf("stress-mono: %d failure(s); replay with --seed %" PRIu64 "\n", nf, g_seed);
    fflush(stdout);
    _exit(1);
  }
  printf("PASS stress-mono (suspend %s, seed %" PRIu64 ")\n", g_susp, g_seed);
  fflush(stdout);
  _exit(0);
}
