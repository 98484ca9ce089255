/* Emscripten backend of the handle tables: a JS value registered from JS lives in the owner realm's
 * table (js/library_handles.js, `wtHandles`) at its entry's index; C tells that table when an entry is
 * freed or the owner exits. The wt__js_ functions are the C side JS calls (ids and handles cross as
 * BigInt, -sWASM_BIGINT). */
#include "handles/internal.h"

#include "proxying/internal.h"

#include <emscripten/emscripten.h>
#include <stdatomic.h>
#include <stdint.h>

/* js/library_handles.js */
extern void wt__js_handles_drop(uint32_t idx);
extern void wt__js_handles_reset(void);
extern int wt__js_handles_xfer_post(uint32_t idx, uint64_t to, uint64_t id);
extern int wt__js_handles_xfer_has(uint64_t id);
extern void wt__js_handles_xfer_place(uint64_t id, uint32_t idx);
extern void wt__js_handles_xfer_forget(uint64_t id);
extern void wt__js_handles_xfer_reset(void);

void wt__handles_backend_drop(uint32_t idx) { wt__js_handles_drop(idx); }
void wt__handles_backend_reset(void) { wt__js_handles_reset(); }
int wt__handles_backend_xfer_post(uint32_t idx, wt_thread to, uint64_t id) {
  return wt__js_handles_xfer_post(idx, to.bits, id);
}
int wt__handles_backend_xfer_has(uint64_t id) { return wt__js_handles_xfer_has(id); }
void wt__handles_backend_xfer_place(uint64_t id, uint32_t idx) { wt__js_handles_xfer_place(id, idx); }
void wt__handles_backend_xfer_forget(uint64_t id) { wt__js_handles_xfer_forget(id); }
void wt__handles_backend_xfer_reset(void) { wt__js_handles_xfer_reset(); }

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

/* wt_handle_transfer from JS: the completion (the caller's reference) or NULL with the code in
 * wt__js_handle_error(). Owner thread. */
EMSCRIPTEN_KEEPALIVE wt_completion *wt__js_handle_transfer(uint64_t h, uint64_t to) {
  wt_completion *c;
  last_error = wt_handle_transfer((wt_handle){h}, (wt_thread){to}, &c);
  return last_error ? NULL : c;
}

/* A transfer's value arrived in this realm (its event loop). 1: keep it, 0: drop it (see
 * wt__handles_xfer_arrived). The realm's thread is running (JS checks that first). */
EMSCRIPTEN_KEEPALIVE int wt__js_handles_xfer_arrived(uint64_t to, uint64_t id) {
  return wt__handles_xfer_arrived((wt_thread){to}, id);
}

/* The pthread (its Worker's key in emscripten's PThread.pthreads) of the live thread `to`, or 0.
 * Any thread; lock-free. A slot taken by another thread meanwhile gives that thread's: its realm then
 * refuses the value (wt__handles_xfer_arrived). */
EMSCRIPTEN_KEEPALIVE uintptr_t wt__js_handles_thread_ptr(uint64_t to) {
  wt_thread t = {to};
  if (wt_thread_check(t) != 0) return 0;
  wt__slot *s = wt__proxying_slot(t);
  return s ? atomic_load(&s->os_thread) : 0;
}
