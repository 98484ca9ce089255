/* Internal to the pool module and its tests. */
#ifndef WT_POOL_INTERNAL_H
#define WT_POOL_INTERNAL_H

#include "webthreads/pool.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Publishes a new snapshot: `stats` (NULL keeps the current stats) and the settings in force `cfg`
 * (resolved; NULL keeps the current settings). Writers are serialised by an internal flag held for a
 * few stores (on wasm the only writer is the UI thread); readers never wait for a lock. Any thread;
 * does not allocate. */
void wt__pool_publish(const struct wt_pool_stats *stats, const wt_pool_config *cfg);

/* Publication counter: changes on every publication (even when no publication is in progress). Any
 * thread; lock-free. */
unsigned wt__pool_generation(void);

/* Waits until the publication counter differs from `seen` (a value of wt__pool_generation()) or
 * `timeout_ms` passes. Blocks: worker threads only (WT_EWOULDBLOCK on the UI thread; WT_ENOTSUP on
 * host builds, which have no publisher). Returns WT_OK on a change, WT_ETIMEDOUT otherwise. */
int wt__pool_wait_change(unsigned seen, double timeout_ms);

#ifdef __EMSCRIPTEN__
/* Threads started on a parked Worker so far (pool/park.c). Any thread; lock-free. */
unsigned long long wt__pool_parked_starts(void);
#endif

#ifdef __cplusplus
}
#endif
#endif
