/* webthreads — configuration knobs: one table, strict parsing, runtimeconfig-style properties.
 *
 * Every setting of webthreads is a knob in one table (wt_knob_info_get): its name, the key a runtime
 * passes at start-up (runtimeconfig.json's configProperties, as .NET hands them to the VM as arrays of
 * keys and values), its JS name (Module.webthreads), type, default and range. One parser and one
 * message format serve every entry point.
 *
 * Properties (wt_config_apply_properties):
 *   - keys are the runtimeconfig names in the table ("webthreads.pool.max") and the .NET aliases
 *     System.Threading.ThreadPool.MinThreads / MaxThreads; an unknown "webthreads."-prefixed key is a
 *     warning (a typo must not pass in silence); other keys belong to someone else and are ignored;
 *   - values are strict decimal integers (or true / false): no spaces, sign only where the range is
 *     negative, no hex, no exponent, no trailing characters, nothing beyond int64;
 *   - a knob the caller did not give follows those it did: max=2 alone lowers the default initial
 *     (4) and spare (2) to 2 instead of rejecting the set. Only values the caller gave can be wrong;
 *   - all or nothing: on the first bad value nothing changes (the settings in force stay), and the
 *     report names the key and the value as given;
 *   - applied to the modules: the pool's knobs through wt_pool_configure.
 * The JS object (Module.webthreads.pool, WEBTHREADS_CONFIG under node) goes through the same path at
 * start-up: each value becomes the string a property would be, so it is parsed, followed and reported
 * the same way (keys shown as Module.webthreads.pool.<knob>); an unknown key there warns, and a root
 * or `pool` that is not an object (an array, a number) is refused with a message.
 * A warning (not an error) when MaxThreads plus the runtime's own threads (WT_CONFIG_RUNTIME_THREADS)
 * cannot fit the pool's max: both knobs are named.
 */
#ifndef WEBTHREADS_CONFIG_H
#define WEBTHREADS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "webthreads/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(ID, name, runtimeconfig key, JS path, type, default, min, max, what it does) */
#define WT_KNOB_MAP(X)                                                                                       \
  X(POOL_INITIAL, "pool.initial", "webthreads.pool.initial", "pool.initial", WT_KNOB_INT, 4, 0, 400,       \
    "Workers booted at start-up")                                                                        \
  X(POOL_SPARE, "pool.spare", "webthreads.pool.spare", "pool.spare", WT_KNOB_INT, 2, 0, 400,               \
    "loaded, unused Workers kept ready")                                                                 \
  X(POOL_MAX, "pool.max", "webthreads.pool.max", "pool.max", WT_KNOB_INT, 128, 1, 400,                     \
    "Workers alive at most (threads at once)")                                                           \
  X(POOL_IDLE_TIMEOUT_MS, "pool.idle_timeout_ms", "webthreads.pool.idle_timeout_ms", "pool.idle_timeout_ms", \
    WT_KNOB_INT, 10000, -1, 86400000, "idle ms before a Worker beyond the floor retires (-1: never)")      \
  X(POOL_RESET_GLOBALS, "pool.reset_globals", "webthreads.pool.reset_globals", "pool.reset_globals",        \
    WT_KNOB_BOOL, 1, 0, 1, "an exiting thread deletes the JS globals it added")                          \
  X(POOL_PARK, "pool.park", "webthreads.pool.park", "pool.park", WT_KNOB_BOOL, 0, 0, 1,                     \
    "a finished thread's Worker parks for the next worker-side pthread_create")                          \
  X(THREADPOOL_MIN, "threadpool.min_threads", "System.Threading.ThreadPool.MinThreads",                    \
    "threadpool.min_threads", WT_KNOB_INT, 0, 0, 400, "the runtime's thread-pool floor (threads)")        \
  X(THREADPOOL_MAX, "threadpool.max_threads", "System.Threading.ThreadPool.MaxThreads",                    \
    "threadpool.max_threads", WT_KNOB_INT, 0, 0, 400, "the runtime's thread-pool cap (0: not set)")

typedef enum wt_knob_type { WT_KNOB_INT = 0, WT_KNOB_BOOL = 1 } wt_knob_type;

typedef enum wt_knob {
  WT_KNOB_NONE = 0,
#define WT__KNOB_ENUM(id, ...) WT_KNOB_##id,
  WT_KNOB_MAP(WT__KNOB_ENUM)
#undef WT__KNOB_ENUM
  WT_KNOB_COUNT
} wt_knob;

/* Threads a .NET runtime runs besides the thread pool's (deputy, I/O, finalizer, timer, thread-pool
 * gate, one sgen worker): MaxThreads + this must fit in pool.max, or a warning says so. */
#define WT_CONFIG_RUNTIME_THREADS 6

typedef struct wt_knob_info {
  wt_knob id;
  const char *name;          /* "pool.max" */
  const char *property;      /* runtimeconfig key */
  const char *js;            /* path in Module.webthreads */
  wt_knob_type type;
  int64_t dflt, min, max;
  const char *what;
} wt_knob_info;

/* The table entry of `knob`, or NULL for WT_KNOB_NONE / out of range. Any thread; static data. */
const wt_knob_info *wt_knob_info_get(wt_knob knob);

/* The knob whose runtimeconfig key, name or JS path (written "Module.webthreads.pool.max") is `key`,
 * else WT_KNOB_NONE. Any thread. */
wt_knob wt_knob_find(const char *key);

/* Parses `text` strictly as a value of `knob` into *out. Any thread; never allocates. Returns 0;
 * WT_EINVAL (text NULL or not a value of that type: empty, spaces, '+', hex, exponent, trailing
 * characters, a '-' where the range has no negatives, not true/false for a bool); WT_ERANGE (a
 * number outside the knob's range, int64 overflow included). */
int wt_knob_parse(wt_knob knob, const char *text, int64_t *out);

/* What went wrong (or the last warning) in a wt_config_apply_properties call. */
typedef struct wt_config_report {
  int status;        /* 0, or the error returned */
  wt_knob knob;      /* the offending knob (WT_KNOB_NONE for none) */
  char key[96];      /* the key as given (truncated) */
  char value[64];    /* the value as given (truncated) */
  char message[320]; /* one line: key, value, what is wrong, what stays in force */
  int warnings;      /* warnings written to stderr (unknown webthreads.* keys, threads that cannot fit) */
} wt_config_report;

/* Applies runtimeconfig-style properties (see the top of this file): n pairs keys[i] = values[i].
 * Validates all first; applies only when every one is good (then the settings not given keep their
 * values in force, adjusted to follow the given ones as described). report may be NULL; on error the
 * message also goes to stderr. Any thread at start-up (a worker caller blocks for one round trip to
 * the UI thread when the pool is reconfigured). Returns 0; WT_EINVAL (a NULL array with n > 0, a NULL
 * key or value, an unparsable value); WT_ERANGE (a value out of range, or two given values that
 * contradict each other: initial or spare above max, MinThreads above MaxThreads); or the pool's own
 * error from wt_pool_configure. */
int wt_config_apply_properties(size_t n, const char *const *keys, const char *const *values,
                               wt_config_report *report);

/* The value in force of `knob` (its default until something set it). Any thread; lock-free.
 * Returns 0 and writes *out; WT_EINVAL for an unknown knob or out NULL. */
int wt_config_get(wt_knob knob, int64_t *out);

#ifdef __cplusplus
}
#endif
#endif /* WEBTHREADS_CONFIG_H */
