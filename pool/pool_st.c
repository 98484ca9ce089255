/* The Worker pool in a single-threaded build (WT_SINGLE_THREADED, no -pthread): there are no Workers,
 * so there is no pool. Every function returns WT_ENOTSUP (its out-parameter is left untouched,
 * except wt_pool_config_check's knob: WT_KNOB_NONE, as no knob was wrong). Replaces pool.c, create.c and pool_abandon.c (pool/sources.cmake). */
#include "webthreads/pool.h"

#include "common/threads.h"

#ifndef WT_SINGLE_THREADED
#error "pool/pool_st.c is for single-threaded builds only (wasm-st, wasi)"
#endif

int wt_pool_config_check(const wt_pool_config *cfg, wt_pool_config *resolved, wt_knob *knob) {
  if (knob) *knob = WT_KNOB_NONE;
  (void)cfg, (void)resolved;
  return WT_ENOTSUP;
}

int wt_pool_configure(const wt_pool_config *cfg) { return (void)cfg, WT_ENOTSUP; }

int wt_pool_get_config(wt_pool_config *out) { return (void)out, WT_ENOTSUP; }

int wt_pool_stats(struct wt_pool_stats *out) { return (void)out, WT_ENOTSUP; }
