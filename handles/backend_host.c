/* Host backend of the handle tables: there is no JS realm; values are C values with free functions
 * (the C table stands in for JS in the host tests), so nothing is ever registered with `js` set. */
#include "handles/internal.h"

#include <stdlib.h>

void wt__handles_backend_drop(uint32_t idx) {
  (void)idx;
  abort(); /* no JS values on the host: impossible */
}

void wt__handles_backend_reset(void) {}
