/* Emscripten backend of the handle tables: a JS value registered from JS lives in the owner realm's
 * table (js/library_handles.js, `wtHandles`) at its entry's index; C tells that table when an entry is
 * freed or the owner exits. The wt__js_ functions are the C side JS calls (ids and handles cross as
 * BigInt, -sWASM_BIGINT). */
#include "handles/internal.h"

#include <emscripten/emscripten.h>
#include <stdint.h>

/* js/library_handles.js */
extern void wt__js_handles_drop(uint32_t idx);
extern void wt__js_handles_reset(void);

void wt__handles_backend_drop(uint32_t idx) { wt__js_handles_drop(idx); }
void wt__handles_backend_reset(void) { wt__js_handles_reset(); }

static _Thread_local int last_error;

/* Registers a JS value's entry on the calling thread; JS stores the value at its index. Returns the
 * handle's bits, or 0 with the code in wt__js_handle_error(). Owner (calling) thread. */
EMSCRIPTEN_KEEPALIVE uint64_t wt__js_handle_register(void) {
  wt_handle h;
  last_error = wt__handle_register_ex(NULL, NULL, 1, &h);
  return last_error ? 0 : h.bits;
}

EMSCRIPTEN_KEEPALIVE int wt__js_handle_error(void) { return last_error; }
EMSCRIPTEN_KEEPALIVE int wt__js_handle_check(uint64_t h) { return wt_handle_get((wt_handle){h}, NULL); }
EMSCRIPTEN_KEEPALIVE int wt__js_handle_release_local(uint64_t h) { return wt_handle_release_local((wt_handle){h}); }
EMSCRIPTEN_KEEPALIVE int wt__js_handle_release(uint64_t h) { return wt_handle_release((wt_handle){h}); }
