/* Configuration knobs (webthreads/config.h).
 *
 * One table (WT_KNOB_MAP) gives every knob's name, keys, type and range; one parser (wt_knob_parse)
 * and one message format serve every entry point. Applying properties is three passes over local
 * state: parse every pair (the first bad one ends it, nothing changed), resolve (knobs not given
 * follow the given ones; given ones that contradict each other are an error naming both), apply (the
 * pool through wt_pool_configure, the rest into `in_force`). The pool's knobs are read back from the
 * pool itself (wt_pool_get_config), so wt_pool_configure and the JS object, which set it directly, are
 * never contradicted here.
 *
 * Locks: none. `in_force` holds the non-pool knobs as relaxed atomics (start-up settings; a reader
 * sees the old or the new value of each).
 */
#include "webthreads/config.h"

#include "config/internal.h"
#include "webthreads/pool.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const wt_knob_info table[WT_KNOB_COUNT] = {
    {WT_KNOB_NONE, "", "", "", WT_KNOB_INT, 0, 0, 0, ""},
#define WT__KNOB_ROW(id, name, prop, js, type, dflt, min, max, what) \
  {WT_KNOB_##id, name, prop, js, type, dflt, min, max, what},
    WT_KNOB_MAP(WT__KNOB_ROW)
#undef WT__KNOB_ROW
};

/* Defaults in force from the start (static initialisation: nothing to race on). */
static _Atomic int64_t in_force[WT_KNOB_COUNT] = {
    0,
#define WT__KNOB_DEFAULT(id, name, prop, js, type, dflt, ...) dflt,
    WT_KNOB_MAP(WT__KNOB_DEFAULT)
#undef WT__KNOB_DEFAULT
};

#include "common/threads.h"

#if defined(__EMSCRIPTEN__) && !defined(WT_SINGLE_THREADED)
#define WT__CONFIG_JS 1 /* the pool's JS service exists: reset_globals and the JS object reader */
#include <emscripten/emscripten.h>
void wt__js_pool_set_reset_globals(int on); /* pool/pool.c */
void wt__js_pool_set_park(int on);          /* pool/park.c */
#endif

const wt_knob_info *wt_knob_info_get(wt_knob knob) {
  return knob > WT_KNOB_NONE && knob < WT_KNOB_COUNT ? &table[knob] : NULL;
}

wt_knob wt_knob_find(const char *key) {
  if (!key) return WT_KNOB_NONE;
  static const char js_prefix[] = "Module.webthreads.";
  const char *js = strncmp(key, js_prefix, sizeof js_prefix - 1) ? NULL : key + sizeof js_prefix - 1;
  for (int k = 1; k < WT_KNOB_COUNT; k++)
    if (!strcmp(key, table[k].property) || !strcmp(key, table[k].name) || (js && !strcmp(js, table[k].js)))
      return (wt_knob)k;
  return WT_KNOB_NONE;
}

int wt_knob_parse(wt_knob knob, const char *text, int64_t *out) {
  const wt_knob_info *k = wt_knob_info_get(knob);
  if (!k || !text || !out) return WT_EINVAL;
  if (k->type == WT_KNOB_BOOL) {
    if (!strcmp(text, "true")) *out = 1;
    else if (!strcmp(text, "false")) *out = 0;
    else return WT_EINVAL;
    return 0;
  }
  const char *p = text;
  int neg = 0;
  if (*p == '-') {
    neg = 1;
    p++;
  }
  if (*p < '0' || *p > '9') return WT_EINVAL; /* empty, space, '+', a lone '-' */
  uint64_t v = 0;
  int overflow = 0;
  for (; *p >= '0' && *p <= '9'; p++) {
    unsigned d = (unsigned)(*p - '0');
    if (v > (UINT64_MAX - d) / 10) overflow = 1;
    else v = v * 10 + d;
  }
  if (*p) return WT_EINVAL; /* hex (0x..), exponent, fraction, trailing characters */
  if (neg && k->min >= 0) return WT_EINVAL; /* a sign the knob never takes */
  if (overflow || v > (uint64_t)INT64_MAX) return WT_ERANGE;
  int64_t x = neg ? -(int64_t)v : (int64_t)v;
  if (x < k->min || x > k->max) return WT_ERANGE;
  *out = x;
  return 0;
}

/* The pool's knobs in force, as config values (0 = none for initial/spare, -1 = never retire). */
static void pool_in_force(int64_t v[WT_KNOB_COUNT]) {
  wt_pool_config c;
  if (wt_pool_get_config(&c) != 0) return;
  v[WT_KNOB_POOL_INITIAL] = c.initial;
  v[WT_KNOB_POOL_SPARE] = c.spare;
  v[WT_KNOB_POOL_MAX] = c.max;
  v[WT_KNOB_POOL_IDLE_TIMEOUT_MS] = c.idle_timeout_ms;
}

/* All knobs in force: the table's own values, then the pool's read back from the pool. */
static void all_in_force(int64_t v[WT_KNOB_COUNT]) {
  for (int k = 1; k < WT_KNOB_COUNT; k++) v[k] = atomic_load_explicit(&in_force[k], memory_order_relaxed);
  pool_in_force(v);
}

int wt_config_get(wt_knob knob, int64_t *out) {
  if (!wt_knob_info_get(knob) || !out) return WT_EINVAL;
  int64_t v[WT_KNOB_COUNT];
  all_in_force(v);
  *out = v[knob];
  return 0;
}

static void copy_cut(char *dst, size_t n, const char *src) { snprintf(dst, n, "%s", src ? src : "(null)"); }

const char *wt__knob_range_text(const wt_knob_info *k, char *buf, size_t n) {
  if (k->type == WT_KNOB_BOOL) snprintf(buf, n, "true or false");
  else snprintf(buf, n, "a decimal integer in %lld..%lld", (long long)k->min, (long long)k->max);
  return buf;
}

int wt__config_refuse(wt_config_report *rep, int status, wt_knob knob, const char *key, const char *value,
                      const char *fmt_what) {
  wt_config_report local;
  if (!rep) rep = &local;
  rep->status = status;
  rep->knob = knob;
  copy_cut(rep->key, sizeof rep->key, key);
  copy_cut(rep->value, sizeof rep->value, value);
  int n = snprintf(rep->message, sizeof rep->message,
                   "webthreads: config: %s=\"%s\": WT_%s: %s; nothing applied, the settings in force stay", rep->key,
                   rep->value, wt_err_name(status), fmt_what);
  if (n >= (int)sizeof rep->message) // cut (a long key or value): say so at the end
    memcpy(rep->message + sizeof rep->message - 4, "...", 4);
  fprintf(stderr, "%s\n", rep->message);
  return status;
}

static void warn(wt_config_report *rep, const char *line) {
  fprintf(stderr, "webthreads: config: warning: %s\n", line);
  if (rep) rep->warnings++;
}

int wt_config_apply_properties(size_t n, const char *const *keys, const char *const *values,
                               wt_config_report *rep) {
  if (rep) memset(rep, 0, sizeof *rep);
  if (n > 0 && (!keys || !values)) return wt__config_refuse(rep, WT_EINVAL, WT_KNOB_NONE, "(keys)", "(null)", "keys and values must not be NULL");
  int64_t v[WT_KNOB_COUNT];
  int given[WT_KNOB_COUNT] = {0};
  const char *given_value[WT_KNOB_COUNT] = {0}, *given_key[WT_KNOB_COUNT] = {0};
  all_in_force(v);
  char buf[96], what[160];

  /* 1. Parse. */
  for (size_t i = 0; i < n; i++) {
    if (!keys[i] || !values[i]) return wt__config_refuse(rep, WT_EINVAL, WT_KNOB_NONE, keys[i], values[i], "a NULL key or value");
    wt_knob k = wt_knob_find(keys[i]);
    if (k == WT_KNOB_NONE) {
      if (!strncmp(keys[i], "webthreads.", 11) || !strncmp(keys[i], "Module.webthreads.", 18)) {
        snprintf(what, sizeof what, "unknown key %.96s ignored (see docs/config.md for the knobs)", keys[i]);
        warn(rep, what);
      }
      continue; /* another component's key */
    }
    int64_t x;
    int r = wt_knob_parse(k, values[i], &x);
    if (r) {
      snprintf(what, sizeof what, "%s: it takes %s", r == WT_ERANGE ? "out of range" : "not a valid value",
               wt__knob_range_text(&table[k], buf, sizeof buf));
      return wt__config_refuse(rep, r, k, keys[i], values[i], what);
    }
    v[k] = x;
    given[k] = 1;
    given_value[k] = values[i];
    given_key[k] = keys[i];
  }
#define KEY(k) (given_key[k] ? given_key[k] : table[k].property) /* as the caller wrote it */

  /* 2. Resolve: knobs not given follow the given ones; given ones must agree. */
  const wt_knob below_max[2] = {WT_KNOB_POOL_INITIAL, WT_KNOB_POOL_SPARE};
  for (int j = 0; j < 2; j++) {
    wt_knob k = below_max[j];
    if (v[k] <= v[WT_KNOB_POOL_MAX]) continue;
    if (given[k]) {
      snprintf(what, sizeof what, "above %s=%lld%s", KEY(WT_KNOB_POOL_MAX), (long long)v[WT_KNOB_POOL_MAX],
               given[WT_KNOB_POOL_MAX] ? "" : " (in force)");
      return wt__config_refuse(rep, WT_ERANGE, k, KEY(k), given_value[k], what);
    }
    v[k] = v[WT_KNOB_POOL_MAX]; /* follows the max the caller gave */
  }
  if (v[WT_KNOB_THREADPOOL_MAX] && v[WT_KNOB_THREADPOOL_MIN] > v[WT_KNOB_THREADPOOL_MAX]) {
    if (given[WT_KNOB_THREADPOOL_MIN] && given[WT_KNOB_THREADPOOL_MAX]) {
      snprintf(what, sizeof what, "above %s=%s", KEY(WT_KNOB_THREADPOOL_MAX), given_value[WT_KNOB_THREADPOOL_MAX]);
      return wt__config_refuse(rep, WT_ERANGE, WT_KNOB_THREADPOOL_MIN, KEY(WT_KNOB_THREADPOOL_MIN), given_value[WT_KNOB_THREADPOOL_MIN],
                  what);
    }
    wt_knob bad = given[WT_KNOB_THREADPOOL_MIN] ? WT_KNOB_THREADPOOL_MIN : WT_KNOB_THREADPOOL_MAX;
    snprintf(what, sizeof what, "MinThreads %lld above MaxThreads %lld", (long long)v[WT_KNOB_THREADPOOL_MIN],
             (long long)v[WT_KNOB_THREADPOOL_MAX]);
    return wt__config_refuse(rep, WT_ERANGE, bad, KEY(bad), given_value[bad], what);
  }
  if (v[WT_KNOB_THREADPOOL_MAX] && v[WT_KNOB_THREADPOOL_MAX] + WT_CONFIG_RUNTIME_THREADS > v[WT_KNOB_POOL_MAX]) {
    char line[320];
    snprintf(line, sizeof line,
             "%s=%lld plus the runtime's own %d threads (deputy, I/O, finalizer, timer, thread-pool gate, GC "
             "worker) cannot fit %s=%lld: raise %s to at least %lld or lower %s",
             KEY(WT_KNOB_THREADPOOL_MAX), (long long)v[WT_KNOB_THREADPOOL_MAX], WT_CONFIG_RUNTIME_THREADS,
             KEY(WT_KNOB_POOL_MAX), (long long)v[WT_KNOB_POOL_MAX], KEY(WT_KNOB_POOL_MAX),
             (long long)(v[WT_KNOB_THREADPOOL_MAX] + WT_CONFIG_RUNTIME_THREADS), KEY(WT_KNOB_THREADPOOL_MAX));
    warn(rep, line);
  }

  /* 3. Apply. */
  if (given[WT_KNOB_POOL_INITIAL] || given[WT_KNOB_POOL_SPARE] || given[WT_KNOB_POOL_MAX] ||
      given[WT_KNOB_POOL_IDLE_TIMEOUT_MS]) {
    wt_pool_config c = {
        .initial = v[WT_KNOB_POOL_INITIAL] == 0 ? WT_POOL_NONE : (int)v[WT_KNOB_POOL_INITIAL],
        .spare = v[WT_KNOB_POOL_SPARE] == 0 ? WT_POOL_NONE : (int)v[WT_KNOB_POOL_SPARE],
        .max = (int)v[WT_KNOB_POOL_MAX],
        .idle_timeout_ms = v[WT_KNOB_POOL_IDLE_TIMEOUT_MS] < 0 ? WT_POOL_NONE : (int)v[WT_KNOB_POOL_IDLE_TIMEOUT_MS],
    };
#ifdef WT_SINGLE_THREADED
    (void)c;
    warn(rep, "the pool's knobs have no effect in a single-threaded build (no Workers): ignored");
#else
    int r = wt_pool_configure(&c);
    if (r) return wt__config_refuse(rep, r, WT_KNOB_POOL_MAX, "webthreads.pool.*", "", wt_strerror(r));
#endif
  }
#ifdef WT__CONFIG_JS
  if (given[WT_KNOB_POOL_RESET_GLOBALS]) wt__js_pool_set_reset_globals((int)v[WT_KNOB_POOL_RESET_GLOBALS]);
  if (given[WT_KNOB_POOL_PARK]) wt__js_pool_set_park((int)v[WT_KNOB_POOL_PARK]);
#endif
  for (int k = 1; k < WT_KNOB_COUNT; k++) /* the pool's knobs are read back from the pool */
    if (given[k]) atomic_store_explicit(&in_force[k], v[k], memory_order_relaxed);
  return 0;
#undef KEY
}

#ifdef WT__CONFIG_JS
/* js/library_pool.js, at start-up on the UI thread: the Module.webthreads object's sections as pairs
 * "Module.webthreads.<section>.<key>\x1fvalue" separated by "\x1e" (a malloc'd buffer the caller frees,
 * split here in place). Applied like properties (refusals are logged by wt_config_apply_properties).
 * Returns its status, or WT_ENOMEM (logged). */
EMSCRIPTEN_KEEPALIVE int wt__js_config_apply(char *pairs) {
  size_t cap = 1;
  for (const char *p = pairs; *p; p++) cap += *p == '\x1e';
  const char **keys = malloc(cap * sizeof *keys), **values = malloc(cap * sizeof *values);
  if (!keys || !values) {
    free(keys), free(values);
    return wt__config_refuse(NULL, WT_ENOMEM, WT_KNOB_NONE, "Module.webthreads", "", "no memory to read it");
  }
  size_t n = 0;
  for (char *p = pairs; p && *p;) {
    char *end = strchr(p, '\x1e');
    if (end) *end = 0;
    char *sep = strchr(p, '\x1f');
    if (sep) {
      *sep = 0;
      keys[n] = p;
      values[n] = sep + 1;
      n++;
    }
    p = end ? end + 1 : NULL;
  }
  int r = wt_config_apply_properties(n, keys, values, NULL);
  free(keys), free(values);
  return r;
}
#endif
