/* Pool configuration and statistics.
 *
 * The pool service is JS on the UI thread (js/library_pool.js); this file is what C sees of it:
 *   - validation of settings (one implementation, used by wt_pool_configure() and by the JS reader of
 *     Module.webthreads.pool through the knob table, config/config.c);
 *   - a published snapshot of the stats and the settings in force, readable from any thread.
 *
 * Snapshot invariant: a reader sees the fields of exactly one publication (so created - retired ==
 * total holds in every snapshot). It is a sequence lock: the writer makes `seq` odd, stores every
 * field (relaxed atomics, so there is no data race for a reader to trip on), then makes `seq` even
 * again with release order; a reader retries while `seq` is odd or changed across its loads. Writers
 * are serialised by `writer` (a spin flag held for a dozen stores); readers never wait on it, and on
 * wasm the only writer is the UI thread, which therefore never spins.
 */
#include "pool/pool_internal.h"

#include "common/wait.h"
#include "config/internal.h"
#include "webthreads/proxying.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#include <emscripten/threading.h>
#include <limits.h>
#include <pthread.h>
#endif

/* ------------------------------------------------------------------ validation */

/* The table's ranges are the pool's limits (one set of ranges for every entry point). */
enum {
#define WT__POOL_KNOB_LIMIT(id, name, prop, js, type, dflt, min, max, what) \
  WT__LIMIT_##id = (max), WT__DEFAULT_##id = (dflt),
  WT_KNOB_MAP(WT__POOL_KNOB_LIMIT)
#undef WT__POOL_KNOB_LIMIT
};
_Static_assert(WT__LIMIT_POOL_MAX == WT_POOL_LIMIT && WT__LIMIT_POOL_INITIAL == WT_POOL_LIMIT &&
                   WT__LIMIT_POOL_SPARE == WT_POOL_LIMIT,
               "WT_POOL_LIMIT and the knob table disagree");
_Static_assert(WT__LIMIT_POOL_IDLE_TIMEOUT_MS == WT_POOL_IDLE_TIMEOUT_LIMIT_MS,
               "WT_POOL_IDLE_TIMEOUT_LIMIT_MS and the knob table disagree");
_Static_assert(WT__DEFAULT_POOL_INITIAL == WT_POOL_DEFAULT_INITIAL && WT__DEFAULT_POOL_SPARE == WT_POOL_DEFAULT_SPARE &&
                   WT__DEFAULT_POOL_MAX == WT_POOL_DEFAULT_MAX &&
                   WT__DEFAULT_POOL_IDLE_TIMEOUT_MS == WT_POOL_DEFAULT_IDLE_TIMEOUT_MS,
               "the WT_POOL_DEFAULT_* macros and the knob table disagree");

static int fail(wt_knob *out, wt_knob knob, int err) {
  if (out) *out = knob;
  return err;
}

/* One field of the struct: 0 is the default, WT_POOL_NONE the knob's "none" where it has one
 * (`none` is its table value, or 1 if it has none); anything else must be in the table's range. */
static int field(int v, wt_knob knob, int has_none, int none, int *resolved) {
  const wt_knob_info *k = wt_knob_info_get(knob);
  if (v == 0) *resolved = (int)k->dflt;
  else if (v == WT_POOL_NONE && has_none) *resolved = none;
  else if (v < k->min || v > k->max || v < 0) return WT_ERANGE;
  else *resolved = v;
  return WT_OK;
}

int wt_pool_config_check(const wt_pool_config *cfg, wt_pool_config *resolved, wt_knob *knob) {
  if (knob) *knob = WT_KNOB_NONE;
  if (!cfg) return WT_EINVAL;
  wt_pool_config r;
  /* Per-knob range first, in field order, so the first bad knob is the one reported. */
  if (field(cfg->initial, WT_KNOB_POOL_INITIAL, 1, 0, &r.initial)) return fail(knob, WT_KNOB_POOL_INITIAL, WT_ERANGE);
  if (field(cfg->spare, WT_KNOB_POOL_SPARE, 1, 0, &r.spare)) return fail(knob, WT_KNOB_POOL_SPARE, WT_ERANGE);
  if (field(cfg->max, WT_KNOB_POOL_MAX, 0, 0, &r.max)) return fail(knob, WT_KNOB_POOL_MAX, WT_ERANGE);
  if (field(cfg->idle_timeout_ms, WT_KNOB_POOL_IDLE_TIMEOUT_MS, 1, WT_POOL_NONE, &r.idle_timeout_ms))
    return fail(knob, WT_KNOB_POOL_IDLE_TIMEOUT_MS, WT_ERANGE);
  /* Relations, on the resolved values (a default max of 128 and spare 200 is still spare > max). */
  if (r.spare > r.max) return fail(knob, WT_KNOB_POOL_SPARE, WT_ERANGE);
  if (r.initial > r.max) return fail(knob, WT_KNOB_POOL_INITIAL, WT_ERANGE);
  if (resolved) *resolved = r;
  return WT_OK;
}

/* ------------------------------------------------------------------ published snapshot */

static struct {
  atomic_uint seq;
  atomic_flag writer;
  atomic_int total, spare, loading, running, peak, parked;
  atomic_ullong created, retired, boot_failed, refused, dirty;
  atomic_llong boot_last_us, boot_mean_us, boot_max_us;
  atomic_int initial, spare_target, max, idle_timeout_ms;
  atomic_int configured; /* 0 until the first publication of settings: defaults are in force */
} state = {.writer = ATOMIC_FLAG_INIT};

/* Workers loaded from the lean worker script / the main JS (wt__js_pool_boot_count; monotonic, read
 * outside the sequence lock). */
static atomic_ullong boot_lean, boot_main;

#define ST(field, v) atomic_store_explicit(&state.field, (v), memory_order_relaxed)
#define LD(field) atomic_load_explicit(&state.field, memory_order_relaxed)

void wt__pool_publish(const struct wt_pool_stats *s, const wt_pool_config *cfg) {
  while (atomic_flag_test_and_set_explicit(&state.writer, memory_order_acquire)) {
  }
  atomic_fetch_add_explicit(&state.seq, 1, memory_order_relaxed); /* odd: publication in progress */
  atomic_thread_fence(memory_order_release);
  if (s) {
    ST(total, s->total);
    ST(spare, s->spare);
    ST(loading, s->loading);
    ST(running, s->running);
    ST(peak, s->peak);
    ST(parked, s->parked);
    ST(created, s->created);
    ST(retired, s->retired);
    ST(boot_failed, s->boot_failed);
    ST(refused, s->refused);
    ST(dirty, s->dirty);
    ST(boot_last_us, (long long)(s->boot_last_ms * 1000.0));
    ST(boot_mean_us, (long long)(s->boot_mean_ms * 1000.0));
    ST(boot_max_us, (long long)(s->boot_max_ms * 1000.0));
  }
  if (cfg) {
    ST(initial, cfg->initial);
    ST(spare_target, cfg->spare);
    ST(max, cfg->max);
    ST(idle_timeout_ms, cfg->idle_timeout_ms);
    ST(configured, 1);
  }
  atomic_fetch_add_explicit(&state.seq, 1, memory_order_release); /* even: done */
  atomic_flag_clear_explicit(&state.writer, memory_order_release);
#ifdef __EMSCRIPTEN__
  wt__wake(&state.seq, INT32_MAX); /* wt__pool_wait_change() */
#endif
}

unsigned wt__pool_generation(void) { return atomic_load_explicit(&state.seq, memory_order_acquire); }

int wt__pool_wait_change(unsigned seen, double timeout_ms) {
#ifdef __EMSCRIPTEN__
  if (emscripten_is_main_browser_thread()) return WT_EWOULDBLOCK;
  double deadline = wt__now_ms() + timeout_ms;
  wt__why why = wt__wait_why(WT_WAIT_POOL, 0);
  while (atomic_load_explicit(&state.seq, memory_order_acquire) == seen)
    if (wt__wait(&state.seq, seen, deadline, 0) == WT_ETIMEDOUT) break;
  wt__wait_why_restore(why);
  return atomic_load_explicit(&state.seq, memory_order_acquire) != seen ? WT_OK : WT_ETIMEDOUT;
#else
  (void)seen;
  (void)timeout_ms;
  return WT_ENOTSUP;
#endif
}

/* Runs `read` until it saw one whole publication. */
#define WT__SEQ_READ(body)                                                              \
  for (;;) {                                                                            \
    unsigned s1 = atomic_load_explicit(&state.seq, memory_order_acquire);               \
    if (s1 & 1u) continue;                                                              \
    body;                                                                               \
    atomic_thread_fence(memory_order_acquire);                                          \
    if (atomic_load_explicit(&state.seq, memory_order_relaxed) == s1) break;            \
  }

int wt_pool_stats(struct wt_pool_stats *out) {
  if (!out) return WT_EINVAL;
  WT__SEQ_READ({
    out->total = LD(total);
    out->spare = LD(spare);
    out->loading = LD(loading);
    out->running = LD(running);
    out->peak = LD(peak);
    out->parked = LD(parked);
    out->created = LD(created);
    out->retired = LD(retired);
    out->boot_failed = LD(boot_failed);
    out->refused = LD(refused);
    out->dirty = LD(dirty);
    out->boot_last_ms = (double)LD(boot_last_us) / 1000.0;
    out->boot_mean_ms = (double)LD(boot_mean_us) / 1000.0;
    out->boot_max_ms = (double)LD(boot_max_us) / 1000.0;
  });
#ifdef __EMSCRIPTEN__
  out->parked_starts = wt__pool_parked_starts();
#else
  out->parked_starts = 0;
#endif
  out->boot_lean = atomic_load_explicit(&boot_lean, memory_order_relaxed);
  out->boot_main = atomic_load_explicit(&boot_main, memory_order_relaxed);
  return WT_OK;
}

int wt_pool_get_config(wt_pool_config *out) {
  if (!out) return WT_EINVAL;
  int configured = 0;
  WT__SEQ_READ({
    configured = LD(configured);
    out->initial = LD(initial);
    out->spare = LD(spare_target);
    out->max = LD(max);
    out->idle_timeout_ms = LD(idle_timeout_ms);
  });
  if (!configured) {
    wt_pool_config zero = {0, 0, 0, 0};
    wt_pool_config_check(&zero, out, NULL);
  }
  return WT_OK;
}

/* The struct field of each pool knob, as the caller wrote it. */
static int field_of(const wt_pool_config *cfg, wt_knob knob, const char **name) {
  switch (knob) {
    case WT_KNOB_POOL_INITIAL: *name = "wt_pool_config.initial"; return cfg->initial;
    case WT_KNOB_POOL_SPARE: *name = "wt_pool_config.spare"; return cfg->spare;
    case WT_KNOB_POOL_MAX: *name = "wt_pool_config.max"; return cfg->max;
    default: *name = "wt_pool_config.idle_timeout_ms"; return cfg->idle_timeout_ms;
  }
}

/* Any thread: validates `cfg` into `*r` for wt_pool_configure; a refusal is logged in the knob
 * table's format, naming the field, its value as given, what it takes and the knob. */
static int check_configure(const wt_pool_config *cfg, wt_pool_config *r) {
  wt_knob knob;
  int err = wt_pool_config_check(cfg, r, &knob);
  if (err != WT_ERANGE) return err;
  const wt_knob_info *k = wt_knob_info_get(knob);
  const char *name;
  int v = field_of(cfg, knob, &name);
  char value[16], what[224];
  snprintf(value, sizeof value, "%d", v);
  if (knob != WT_KNOB_POOL_MAX && knob != WT_KNOB_POOL_IDLE_TIMEOUT_MS && v >= WT_POOL_NONE && v <= (int)k->max)
  {
    char dflt[40] = "";
    if (!v) snprintf(dflt, sizeof dflt, "its default %lld is ", (long long)k->dflt);
    snprintf(what, sizeof what, "%sabove wt_pool_config.max=%d%s (knob %s, docs/config.md)", dflt,
             cfg->max ? cfg->max : WT_POOL_DEFAULT_MAX, cfg->max ? "" : " (the default)", k->name);
  }
  else
    snprintf(what, sizeof what, "out of range: it takes 1..%lld, 0 for the default%s (knob %s, docs/config.md)",
             (long long)k->max,
             knob == WT_KNOB_POOL_MAX              ? ""
             : knob == WT_KNOB_POOL_IDLE_TIMEOUT_MS ? " or WT_POOL_NONE (-1) to never retire"
                                                    : " or WT_POOL_NONE (-1) for none",
             k->name);
  return wt__config_refuse(NULL, err, knob, name, value, what);
}

#ifdef __EMSCRIPTEN__

/* js/library_pool.js: applies resolved settings. UI thread only (the pool's state lives there). */
int wt__js_pool_configure(int initial, int spare, int max, int idle_timeout_ms);

static int configure_on_ui(wt_call *call, void *arg) {
  const wt_pool_config *r = arg;
  (void)call;
  return wt__js_pool_configure(r->initial, r->spare, r->max, r->idle_timeout_ms);
}

int wt_pool_configure(const wt_pool_config *cfg) {
  wt_pool_config r;
  int err = check_configure(cfg, &r);
  if (err) return err;
  if (emscripten_is_main_browser_thread()) return wt__js_pool_configure(r.initial, r.spare, r.max, r.idle_timeout_ms);
  // A worker: a routed sync call to the UI thread, so the wait is the library's one wait (GC-safe
  // under the runtime hooks, refused where the runtime says this thread may not block, visible to
  // diag) — not emscripten's sync proxy. The function's own status never fails (WT_OK).
  wt_result res;
  err = wt_call_sync(wt_thread_ui(), configure_on_ui, &r, -1, &res);
  return err == WT_ECALL ? res.fn_error : err;
}

/* Returned Workers. A finished thread's Worker goes back to the pool when the thread is joined (or a
 * detached thread exits), on the joining/exiting thread. Stock emscripten tells the UI thread with a
 * postMessage, which in create/join loops arrives after the next create has already taken (or
 * booted) another Worker: the pool over-grows. Here the joiner pushes the finished thread into this
 * bounded lock-free set and the UI thread drains it at every take (and on a wake-up message), so the
 * Worker is reused at once. One slot per Worker that can be pending: WT_POOL_LIMIT is enough; if it
 * were ever full, the caller falls back to emscripten's message. */
#define WT__RETURN_SLOTS 512
static _Atomic(uintptr_t) returns[WT__RETURN_SLOTS];
static atomic_int returns_pending;

/* Any thread (the joiner); lock-free, no allocation. Returns 1 if queued, 0 if the set is full. */
EMSCRIPTEN_KEEPALIVE int wt__js_pool_push_return(uintptr_t thread) {
  for (int i = 0; i < WT__RETURN_SLOTS; i++) {
    uintptr_t empty = 0;
    if (atomic_compare_exchange_strong(&returns[i], &empty, thread)) {
      atomic_fetch_add(&returns_pending, 1);
      return 1;
    }
  }
  return 0;
}

/* UI thread only; lock-free. Returns a finished thread whose Worker can come back, or 0. */
EMSCRIPTEN_KEEPALIVE uintptr_t wt__js_pool_pop_return(void) {
  if (!atomic_load(&returns_pending)) return 0;
  for (int i = 0; i < WT__RETURN_SLOTS; i++) {
    uintptr_t t = atomic_exchange(&returns[i], 0);
    if (t) {
      atomic_fetch_sub(&returns_pending, 1);
      return t;
    }
  }
  return 0;
}

/* Called from JS (UI thread only, js/library_pool_boot.js) when a Worker has loaded: from the lean
 * worker script (lean = 1) or from the main JS (0). */
EMSCRIPTEN_KEEPALIVE void wt__js_pool_boot_count(int lean) {
  atomic_fetch_add_explicit(lean ? &boot_lean : &boot_main, 1, memory_order_relaxed);
}

/* Called from JS (UI thread only) after every change of the pool. */
EMSCRIPTEN_KEEPALIVE void wt__js_pool_publish(int total, int spare, int loading, int running, int peak,
                                              double created, double retired, double boot_last_ms,
                                              double boot_mean_ms, double boot_max_ms, int initial,
                                              int spare_target, int max, int idle_timeout_ms,
                                              double boot_failed, double refused, double dirty, int parked) {
  struct wt_pool_stats s = {.total = total, .spare = spare, .loading = loading, .running = running, .peak = peak,
                            .created = (unsigned long long)created, .retired = (unsigned long long)retired,
                            .boot_failed = (unsigned long long)boot_failed, .refused = (unsigned long long)refused,
                            .dirty = (unsigned long long)dirty, .parked = parked,
                            .boot_last_ms = boot_last_ms, .boot_mean_ms = boot_mean_ms, .boot_max_ms = boot_max_ms};
  wt_pool_config c = {initial, spare_target, max, idle_timeout_ms};
  wt__pool_publish(&s, &c);
}

/* Dirty realms. A thread whose exit could not reset its Worker's JS realm (js/library_pool.js: a
 * global it left cannot be deleted, or a thread-exit hook threw) records its pthread pointer here, on
 * the exiting thread, before it is marked exited; the UI thread checks the returning thread here when
 * it hands the Worker back (wtPool.giveBack) and terminates that Worker instead of reusing it. A
 * message from the dying Worker would not do: messages from different Workers are not ordered, so it
 * could arrive after a joiner's return (and the next take). The pthread block is freed only after the
 * check (emscripten's returnWorkerToPool, run by the same giveBack), so the address cannot name
 * another thread meanwhile. One entry per Worker whose thread has finished and not been handed back:
 * at most WT_POOL_LIMIT (400) < WT__DIRTY_SLOTS. Should the set ever be full anyway, the mark goes to
 * a sticky overflow flag instead, and from then on the UI thread terminates every returning Worker
 * (it cannot tell which realm was dirty): slower, never unsafe. */
#define WT__DIRTY_SLOTS 512
static _Atomic(uintptr_t) dirty_set[WT__DIRTY_SLOTS];
static atomic_int dirty_pending, dirty_overflow;

/* Exiting thread (its own pointer); lock-free, no allocation. */
static void mark_dirty(uintptr_t thread) {
  for (int i = 0; i < WT__DIRTY_SLOTS; i++) {
    uintptr_t empty = 0;
    if (atomic_compare_exchange_strong(&dirty_set[i], &empty, thread)) {
      atomic_fetch_add(&dirty_pending, 1);
      return;
    }
  }
  atomic_store(&dirty_overflow, 1);
}

/* UI thread (wtPool.giveBack), for a finished thread whose block is not yet freed; lock-free. Returns
 * 1 if that thread left its realm dirty (and forgets the mark), 2 if the set has overflowed (treat
 * every returning Worker as dirty), 0 otherwise. */
EMSCRIPTEN_KEEPALIVE int wt__js_pool_take_dirty(uintptr_t thread) {
  if (atomic_load(&dirty_overflow)) return 2;
  if (!thread || !atomic_load(&dirty_pending)) return 0;
  for (int i = 0; i < WT__DIRTY_SLOTS; i++) {
    uintptr_t t = thread;
    if (atomic_compare_exchange_strong(&dirty_set[i], &t, 0)) {
      atomic_fetch_sub(&dirty_pending, 1);
      return 1;
    }
  }
  return 0;
}

/* Thread exit hook. Every thread the pool starts sets `exit_key` (wt__js_pool_thread_start, called by
 * the Worker realm's wrapped threadInitTLS), so its destructor runs on the exiting thread inside
 * emscripten's _emscripten_thread_exit: after the mailbox is closed, after the thread's other TSD
 * destructors (C++ thread_local destructors included; see on_thread_exit) and before it is marked
 * exited, i.e. before a joiner (or, detached, the UI thread) can free the pthread block. That is the
 * last moment at which the realm's Atomics.waitAsync mailbox waiter still watches this thread's own
 * memory; js/library_pool.js releases it there, after resetting the realm (thread-exit hooks, then
 * the globals the thread added). It returns nonzero if the realm could not be reset: the mark is
 * recorded here, still before the thread is marked exited, so the UI thread sees it whenever it gets
 * the Worker back. */
int wt__js_pool_thread_exit(void); /* js/library_pool.js, Worker realm */

/* JS Module.webthreads.pool.reset_globals (default true): whether an exiting thread sweeps the globals
 * it added (docs/pool.md: it costs one enumeration of globalThis per thread exit). Set by the UI
 * thread at start-up, read by every Worker realm at each thread exit: shared memory, no message. */
static _Atomic int reset_globals = 1;
EMSCRIPTEN_KEEPALIVE void wt__js_pool_set_reset_globals(int on) { atomic_store(&reset_globals, on ? 1 : 0); }
EMSCRIPTEN_KEEPALIVE int wt__js_pool_reset_globals(void) { return atomic_load(&reset_globals); }

static pthread_key_t exit_key;
static int exit_key_ok;
static _Thread_local int exit_passes; /* destructor passes this thread's exit hook has waited */

/* Whether a TSD value other than the exit key's is set on the calling thread: a destructor still to run
 * in this pass (a later key) or in the next (a value set again by a destructor). */
static int other_tsd_pending(void) {
  for (pthread_key_t k = 0; k < PTHREAD_KEYS_MAX; k++)
    if (k != exit_key && pthread_getspecific(k)) return 1;
  return 0;
}

/* Runs last among the thread's TSD destructors: musl runs them in key order, in up to
 * PTHREAD_DESTRUCTOR_ITERATIONS passes while values are set, and this key is created before main()
 * (so before the routing layer's, libc++abi's thread_local key and any the program creates). While
 * another value is still set, the hook sets its own value again (one more pass) instead of running,
 * except in the last pass, where it runs whatever is left. */
static void on_thread_exit(void *unused) {
  (void)unused;
  if (exit_passes < PTHREAD_DESTRUCTOR_ITERATIONS - 1 && other_tsd_pending() &&
      pthread_setspecific(exit_key, (void *)1) == 0) {
    exit_passes++;
    return;
  }
  if (wt__js_pool_thread_exit()) mark_dirty((uintptr_t)pthread_self());
}

/* Main thread, before main() (pool.o is always linked with the pool's JS). If it failed (no keys
 * left), nothing runs at thread exit: the realm's next thread releases the waiter and resets the realm
 * when it starts (see library_pool.js), and a dirty realm is only reported there, not terminated. */
__attribute__((constructor)) static void create_exit_key(void) {
  exit_key_ok = pthread_key_create(&exit_key, on_thread_exit) == 0;
}

/* UI thread (js/library_pool_park.js): whether the thread-exit hook exists. Without it an exiting thread
 * cannot decide to park, so no Worker is given a park slot. */
EMSCRIPTEN_KEEPALIVE int wt__js_pool_exit_hook_ok(void) { return exit_key_ok; }

/* Worker realm, on the starting thread (stack and thread pointer set); never blocks or allocates. */
EMSCRIPTEN_KEEPALIVE void wt__js_pool_thread_start(void) {
  if (exit_key_ok) pthread_setspecific(exit_key, (void *)1);
}

#else /* ------------------------------------------------------------------ platform: host */

/* Host builds have no Workers: the settings are validated and stored; stats stay zero. */
int wt_pool_configure(const wt_pool_config *cfg) {
  wt_pool_config r;
  int err = check_configure(cfg, &r);
  if (err) return err;
  wt__pool_publish(NULL, &r);
  return WT_OK;
}
#endif
