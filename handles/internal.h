/* Internal: the handle module's backend (how the owner realm's JS table is told) and test hooks. */
#ifndef WT_HANDLES_INTERNAL_H
#define WT_HANDLES_INTERNAL_H

#include "webthreads/handles.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* wt_handle_register with `js` = 1: the value lives in the owner realm's JS table (js/library_handles.js)
 * at the entry's index; freeing the entry drops it there. Owner thread. */
int wt__handle_register_ex(void *value, wt_handle_free_fn free_fn, int js, wt_handle *out);

/* Backend (backend_em.c: JS; backend_host.c: no JS values exist). Owner thread. */
void wt__handles_backend_drop(uint32_t idx); /* the JS value at idx is forgotten */
void wt__handles_backend_reset(void);        /* the whole JS table is emptied (owner exit) */

/* Transfers (wt_handle_transfer). Backend, owner / target thread:
 *   xfer_post: posts the JS value at idx (owner) to thread `to` with a transfer list, tagged `id`.
 *     0, WT_ENOT_TRANSFERABLE (postMessage refused it: nothing sent, the value is still at idx),
 *     WT_ESTALE (the UI thread posts straight to the target's Worker: it has none any more).
 *   xfer_has: 1 when the value tagged `id` has arrived in the calling thread's realm, else 0.
 *   xfer_place: the arrived value tagged `id` becomes the JS value at entry idx.
 *   xfer_forget: the arrived value tagged `id` is dropped.
 *   xfer_reset: every arrived value not placed yet is dropped (the thread leaves). */
int wt__handles_backend_xfer_post(uint32_t idx, wt_thread to, uint64_t id);
int wt__handles_backend_xfer_has(uint64_t id);
void wt__handles_backend_xfer_place(uint64_t id, uint32_t idx);
void wt__handles_backend_xfer_forget(uint64_t id);
void wt__handles_backend_xfer_reset(void);

/* The realm's JS side saw the value tagged `id`, sent to `to`, arrive (its event loop; no auto-join).
 * Returns 1 when it is the calling thread's (the JS side keeps it until it is placed or forgotten),
 * 0 when it is not (`to` left, or this is another thread: the JS side drops it). */
int wt__handles_xfer_arrived(wt_thread to, uint64_t id);

/* Test hook: WT_HANDLES_MAX as built. */
uint32_t wt__handles_max(void);

#ifdef __cplusplus
}
#endif
#endif
