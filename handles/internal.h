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

/* Test hook: WT_HANDLES_MAX as built. */
uint32_t wt__handles_max(void);

#ifdef __cplusplus
}
#endif
#endif
