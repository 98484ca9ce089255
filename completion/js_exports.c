/* C functions called from JS (js/library_completion.js, `wtCompletion`), browser builds only, and the
 * C entry that runs a named async JS function synchronously (wt_await_js_sync). Pointers cross as
 * numbers, 64-bit values (thread ids, handles, U64 values) as BigInt (-sWASM_BIGINT).
 *
 * JS Promise -> completion: wtCompletion.fromPromise binds the completion to the calling thread
 * (wt__js_completion_bind, which takes the reference the JS side keeps) and, when the Promise settles
 * on that thread, converts the value and calls wt__js_completion_resolve / _reject, then drops its
 * reference. Completion -> JS Promise: wtCompletion.toPromise registers a continuation on the calling
 * thread (wt__js_completion_then) whose function hands the outcome to JS (wt__js_completion_settled,
 * read through wt__js_completion_outcome) and whose cancel path — this thread left first — rejects the
 * Promise with WT_ECANCELED (wt__js_completion_canceled). */
#include "webthreads/completion.h"

#include "completion/internal.h"
#include "proxying/internal.h"

#include <emscripten/emscripten.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>


/* Implemented in JS (js/library_completion.js). */
extern void wt__js_completion_settled(uint32_t token, wt_completion *c);
extern void wt__js_completion_canceled(uint32_t token);
extern int wt__js_completion_start(wt_completion *c, const char *name, const char *arg);

/* The outcome as JS reads it (wtCompletion.read): fixed offsets, checked below. */
typedef struct wt__js_outcome {
  int32_t status; /* 0, or the rejection status */
  int32_t kind;   /* wt_value_kind (resolved only) */
  uint64_t u64;   /* U64, HANDLE */
  double f64;     /* F64 */
  uint32_t data;  /* BYTES, STRING: pointer (valid while the completion lives) */
  uint32_t len;
  char message[WT_CALL_MESSAGE_MAX];
} wt__js_outcome;
_Static_assert(offsetof(wt__js_outcome, kind) == 4 && offsetof(wt__js_outcome, u64) == 8 &&
                   offsetof(wt__js_outcome, f64) == 16 && offsetof(wt__js_outcome, data) == 24 &&
                   offsetof(wt__js_outcome, len) == 28 && offsetof(wt__js_outcome, message) == 32 &&
                   sizeof(wt__js_outcome) == 128,
               "js/library_completion.js reads these offsets (wtCompletion.read)");

/* The calling thread's id without joining it (0n when it has not joined or has left). Lock-free. */
EMSCRIPTEN_KEEPALIVE uint64_t wt__js_completion_self(void) { return wt_thread_self().bits; }

/* A new completion (one reference) or 0 (out of memory). Any thread. */
EMSCRIPTEN_KEEPALIVE wt_completion *wt__js_completion_create(void) {
  wt_completion *c = NULL;
  return wt_completion_create(&c) == 0 ? c : NULL;
}

EMSCRIPTEN_KEEPALIVE void wt__js_completion_retain(wt_completion *c) { wt_completion_retain(c); }
EMSCRIPTEN_KEEPALIVE void wt__js_completion_release(wt_completion *c) { wt_completion_release(c); }
EMSCRIPTEN_KEEPALIVE int wt__js_completion_cancel(wt_completion *c) { return wt_completion_cancel(c); }

/* Binds `c` to the calling thread and takes one reference for the JS side (kept until its Promise
 * settles, or this thread exits). Returns 0 or wt_completion_bind's error (nothing taken). */
EMSCRIPTEN_KEEPALIVE int wt__js_completion_bind(wt_completion *c) {
  if (!c) return WT_EINVAL;
  int r = wt_completion_bind(c, WT_THREAD_NONE);
  if (r == 0) wt_completion_retain(c);
  return r;
}

EMSCRIPTEN_KEEPALIVE int wt__js_completion_resolve(wt_completion *c, int kind, uint64_t u64, double f64,
                                                   const void *data, uint32_t len) {
  wt_value v = {.kind = (wt_value_kind)kind, .data = data, .len = len};
  if (kind == WT_VALUE_F64) v.f64 = f64;
  else v.u64 = u64;
  return wt_completion_resolve(c, &v);
}

EMSCRIPTEN_KEEPALIVE int wt__js_completion_reject(wt_completion *c, int status, const char *message) {
  return wt_completion_reject(c, status, message);
}

EMSCRIPTEN_KEEPALIVE int wt__js_completion_outcome(const wt_completion *c, wt__js_outcome *o) {
  wt_result res;
  wt_value v;
  int st = wt_completion_result_get(c, &res, &v);
  memset(o, 0, sizeof *o);
  o->status = st;
  if (st == WT_COMPLETION_PENDING) return st;
  memcpy(o->message, res.message, sizeof o->message);
  if (st == 0) {
    o->kind = (int32_t)v.kind;
    if (v.kind == WT_VALUE_F64) o->f64 = v.f64;
    else o->u64 = v.u64;
    o->data = (uint32_t)(uintptr_t)v.data;
    o->len = (uint32_t)v.len;
  }
  return st;
}

static void then_run(wt_completion *c, void *token) { wt__js_completion_settled((uint32_t)(uintptr_t)token, c); }
static void then_cancel(void *token) { wt__js_completion_canceled((uint32_t)(uintptr_t)token); }

/* Registers the continuation of toPromise's `token` on the calling thread. Returns 0 (settled or
 * canceled will be called, exactly once, on this thread) or wt_completion_then's error. */
EMSCRIPTEN_KEEPALIVE int wt__js_completion_then(wt_completion *c, uint32_t token) {
  if (!c) return WT_EINVAL;
  return wt_completion_then(c, WT_THREAD_NONE, then_run, then_cancel, (void *)(uintptr_t)token);
}

/* ------------------------------------------------------------------ wt_await_js_sync */

typedef struct js_start {
  char *arg; /* NULL: the JS function gets null */
  char name[];
} js_start;

/* On the target, `c` bound to it: JS looks the function up, calls it and settles `c` from its Promise
 * (or rejects `c` at once). */
static int js_start_run(wt_completion *c, void *p) {
  js_start *s = p;
  int r = wt__js_completion_start(c, s->name, s->arg);
  free(s);
  return r;
}

static void js_start_drop(void *p) { free(p); }

int wt_await_js_sync(wt_thread target, const char *fn_name, const char *arg, int timeout_ms, wt_completion **out) {
  if (out) *out = NULL;
  if (!fn_name || !*fn_name) return WT_EINVAL;
  if (wt_thread_is_ui()) return WT_EWOULDBLOCK; /* before copying anything */
  size_t nl = strlen(fn_name) + 1, al = arg ? strlen(arg) + 1 : 0;
  js_start *s = malloc(sizeof *s + nl + al);
  if (!s) return WT_ENOMEM;
  memcpy(s->name, fn_name, nl);
  s->arg = NULL;
  if (arg) {
    s->arg = s->name + nl;
    memcpy(s->arg, arg, al);
  }
  return wt__await_sync_drop(target, js_start_run, js_start_drop, s, timeout_ms, out);
}
