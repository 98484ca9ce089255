/* Host backend of the handle tables: there is no JS realm; values are C values with free functions
 * (the C table stands in for JS in the host tests), so nothing is ever registered with `js` set. */
#include "handles/internal.h"

#include <stdlib.h>

void wt__handles_backend_drop(uint32_t idx) {
  (void)idx;
  abort(); /* no JS values on the host: impossible */
}

void wt__handles_backend_reset(void) {}

/* Transfers move JS values only (wt_handle_transfer refuses C values with WT_ENOTSUP first). */
int wt__handles_backend_xfer_post(uint32_t idx, wt_thread to, uint64_t id) {
  (void)idx, (void)to, (void)id;
  abort(); /* no JS values on the host: impossible */
}
int wt__handles_backend_xfer_has(uint64_t id) { return (void)id, 0; }
void wt__handles_backend_xfer_place(uint64_t id, uint32_t idx) {
  (void)id, (void)idx;
  abort();
}
void wt__handles_backend_xfer_forget(uint64_t id) { (void)id; }
void wt__handles_backend_xfer_reset(void) {}
