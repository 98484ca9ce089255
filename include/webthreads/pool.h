/* webthreads — the dynamic Web Worker pool.
 *
 * In the browser only the UI (main) thread can create Web Workers, asynchronously and slowly (a boot
 * costs tens of ms of CPU). Emscripten pre-allocates a fixed pool and grows it lazily, one Worker at a
 * time, never shrinking it. webthreads replaces that policy with an event-driven service on the UI
 * thread (js/library_pool.js, installed in every -pthread program that links libwebthreads.js):
 *
 *   - `initial` Workers are booted at start-up, in the background (main() does not wait for them);
 *   - `spare` loaded-but-unused Workers are kept ready and topped up in the background after each take;
 *     when creations outpace the spares, every waiting creation gets its own booting Worker at once and
 *     the pool boots ahead of the observed demand (parallel batches, never one at a time);
 *   - at most `max` Workers exist; a pthread_create beyond that returns EAGAIN promptly; the first
 *     refusal logs one line naming the `max` knob, later ones at most one summary line per ~10 s with
 *     the number of refusals since (every refusal is counted in wt_pool_stats().refused);
 *   - a Worker that fails to boot (script error, network error, out of memory: an error or exit before
 *     it has loaded) leaves the pool at once; a thread already assigned to it starts on another Worker;
 *     after WT_POOL_BOOT_FAIL_STREAK failures in a row the pool stops booting in the foreground (see
 *     docs/pool.md);
 *   - idle Workers beyond the floor (max(initial, spare), keeping `spare` spares) are terminated after
 *     `idle_timeout_ms`; a Worker that runs, or is about to run, a thread is never terminated;
 *   - an exiting thread releases its Worker's Atomics.waitAsync mailbox waiter before its pthread block
 *     can be freed (the emscripten 3.1.69 leak, and a wake swallowed at a reused address), and resets
 *     the Worker's JS realm before the Worker can be reused: the JS thread-exit hooks run and every
 *     global the thread added is deleted (once, at that exit; the realm-reset hooks run again when
 *     the next thread starts there). A realm that cannot be reset (a global that cannot be deleted, a hook that
 *     throws) is dirty: its Worker is terminated instead of reused (wt_pool_stats().dirty);
 *   - a pthread_create refused with EAGAIN frees the new thread's block (emscripten leaks it) on the
 *     creating thread, at its next pthread_create, its exit or its next event-loop turn.
 *
 * Configuration comes from the page (`Module.webthreads.pool = {initial, spare, max,
 * idle_timeout_ms}`; under node the WEBTHREADS_CONFIG environment variable holds the same object as
 * JSON) or runtimeconfig properties (webthreads/config.h), read when the runtime starts, or from
 * wt_pool_configure() at any time, from any thread. Every entry point validates against the one knob
 * table (ranges and names: docs/config.md); an invalid set is rejected as a whole with WT_EINVAL or
 * WT_ERANGE and a line naming the knob and the value, and the settings in force stay. In this struct
 * 0 means the default and WT_POOL_NONE none; in the JS object and properties an absent knob follows
 * the given ones, 0 is none and -1 never retire (docs/config.md).
 *
 * Host (non-wasm) builds have no Workers: configuration is validated and stored, stats stay zero.
 */
#ifndef WEBTHREADS_POOL_H
#define WEBTHREADS_POOL_H

#include "webthreads/config.h"
#include "webthreads/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Defaults (used for a field that is 0) and limits. */
#define WT_POOL_DEFAULT_INITIAL 4
#define WT_POOL_DEFAULT_SPARE 2
#define WT_POOL_DEFAULT_MAX 128
#define WT_POOL_DEFAULT_IDLE_TIMEOUT_MS 10000
/* Sizes above this are rejected (WT_ERANGE): Chromium crashes near 500 Workers per page. Equal to the
 * knob table's max for pool.initial, pool.spare and pool.max (checked at compile time in pool/pool.c). */
#define WT_POOL_LIMIT 400
/* Idle timeouts above one day are rejected (WT_ERANGE); the table's max for pool.idle_timeout_ms. */
#define WT_POOL_IDLE_TIMEOUT_LIMIT_MS 86400000
/* Boot failures in a row (no Worker loaded in between) after which the pool stops booting Workers for
 * takes and tops up with one Worker per second at most, until a Worker loads again. */
#define WT_POOL_BOOT_FAIL_STREAK 4
/* A thread whose Worker failed to boot and that no other Worker took for this long, while boots keep
 * failing (WT_POOL_BOOT_FAIL_STREAK), ends as if cancelled before it ran: pthread_join gives
 * PTHREAD_CANCELED, and a line names the thread. */
#define WT_POOL_ORPHAN_GRACE_MS 5000
/* "None": an explicit zero for `initial` and `spare` (0 means default there), and "never retire" for
 * `idle_timeout_ms`. Not allowed for `max`. Every other negative value is rejected. */
#define WT_POOL_NONE (-1)

/* Pool settings. Zero-initialise and set what you need: every 0 field takes its default. */
typedef struct wt_pool_config {
  int initial;         /* Workers booted at start-up. Default 4; WT_POOL_NONE: none. <= max. */
  int spare;           /* Loaded, unused Workers kept ready. Default 2; WT_POOL_NONE: none. <= max. */
  int max;             /* Workers alive at most (booting ones count). Default 128; 1..WT_POOL_LIMIT. */
  int idle_timeout_ms; /* Idle time before a Worker beyond the floor retires. Default 10000;
                          WT_POOL_NONE: never retire; at most WT_POOL_IDLE_TIMEOUT_LIMIT_MS. */
} wt_pool_config;

/* Validates `cfg` against the knob table (webthreads/config.h, docs/config.md: one set of ranges for
 * this struct, runtimeconfig properties and the JS object) and, when `resolved` is not NULL, writes it
 * there with every default filled in (WT_POOL_NONE becomes 0 for initial/spare and stays -1 for
 * idle_timeout_ms). When `knob` is not NULL it receives the offending knob (WT_KNOB_POOL_INITIAL,
 * _SPARE, _MAX or _IDLE_TIMEOUT_MS; WT_KNOB_NONE on success); wt_knob_info_get(*knob)->name names it.
 * Any thread; never blocks or allocates; does not change the pool. `cfg` and `resolved` are the
 * caller's and may alias; `resolved` is untouched on error. Returns WT_OK, WT_EINVAL (cfg NULL) or
 * WT_ERANGE (a field outside its range, WT_POOL_NONE for max, or spare / initial above max, the
 * latter reported on the smaller knob). */
int wt_pool_config_check(const wt_pool_config *cfg, wt_pool_config *resolved, wt_knob *knob);

/* Applies `cfg` (validated as by wt_pool_config_check) at any time, also while threads run (live
 * reconfiguration): raising initial/spare boots the difference in the background; lowering max
 * terminates idle (unassigned) Workers beyond it at once and refuses new Workers, retiring returning
 * ones, until total <= max again; a Worker that runs, or is assigned, a thread is never terminated (so
 * `total` may stay above a lowered max until those threads finish). On error nothing changes and one
 * line naming the field, its value and the knob goes to stderr (the knob table's message format).
 * Any thread. On the UI thread it applies at once and does not allocate; a worker caller makes a sync
 * call to the UI thread (wt_call_sync: the library's one wait, GC-safe under the runtime hooks; one
 * call record) and blocks for that round trip (the UI thread never blocks). Returns WT_OK, a
 * validation error of wt_pool_config_check (WT_EINVAL, WT_ERANGE), WT_ENOTSUP in a single-threaded
 * build (no Workers), or from a worker wt_call_sync's own errors (e.g. WT_EWOULDBLOCK where the
 * runtime's may_block says the thread may not block, WT_ENOMEM, WT_EFULL). */
int wt_pool_configure(const wt_pool_config *cfg);

/* The settings in force (defaults resolved). Any thread; never blocks or allocates. Returns WT_OK, or
 * WT_EINVAL if `out` is NULL. */
int wt_pool_get_config(wt_pool_config *out);

/* A consistent snapshot of the pool. Counts are Workers; latencies are milliseconds from
 * `new Worker()` to the Worker reporting it has loaded the program. Named like POSIX `struct stat`:
 * the type is `struct wt_pool_stats`, the function wt_pool_stats(). */
struct wt_pool_stats {
  int total;             /* alive: loading + loaded spare + running (== created - retired); may exceed
                            a lowered max while the threads running on the excess finish */
  int spare;             /* loaded and not running a thread (parked ones included) */
  int loading;           /* still booting (some may already be assigned a thread) */
  int running;           /* assigned a thread (running it, or about to once loaded) */
  int peak;              /* highest `total` seen */
  unsigned long long created; /* Workers ever created */
  unsigned long long retired; /* Workers ever gone: terminated by the pool (idle retirement, lowered
                                 max) or failed to boot (those are also counted in boot_failed) */
  unsigned long long boot_failed; /* Workers that errored or exited before they had loaded */
  unsigned long long refused;     /* pthread_create calls refused with EAGAIN (at `max`, or no spare
                                     while Workers keep failing to boot) */
  unsigned long long dirty;       /* Workers terminated instead of reused because a finished thread
                                     left their JS realm dirty: a global it added could not be
                                     deleted, or a thread-exit hook threw (also counted in retired) */
  double boot_last_ms, boot_mean_ms, boot_max_ms; /* 0 before the first boot completes */
  int parked;            /* of `spare`: Workers parked after their thread finished, which a worker's
                            pthread_create hands a thread through shared memory (docs/pool.md) */
  unsigned long long parked_starts; /* threads started on a parked Worker; read live (the UI thread
                                       is not on that path), so it may be ahead of the snapshot */
  unsigned long long boot_lean;   /* Workers that loaded from the lean worker script <prog>.worker.js
                                     (built by wt_lean_boot / js/pool_boot_gen.mjs; docs/pool.md, Lean
                                     Worker boot). Counted apart from the publication: it may lag it */
  unsigned long long boot_main;   /* Workers that loaded from the main JS (stock boot) */
};

/* Fills `out` with a snapshot in which created - retired == total always holds. Any thread, including
 * the UI thread and signal/GC contexts: lock-free (a sequence-lock read that retries only while the UI
 * thread is publishing), never blocks or allocates. Returns WT_OK, or WT_EINVAL if `out` is NULL. */
int wt_pool_stats(struct wt_pool_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* WEBTHREADS_POOL_H */
