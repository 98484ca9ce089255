/* Internal: configuration read from the page's `Module.webthreads` object (wasm builds only). */
#ifndef WT_COMMON_JS_CONFIG_H
#define WT_COMMON_JS_CONFIG_H

#ifdef __EMSCRIPTEN__
/* Reads the number at dotted `path` ("pool.max") in Module.webthreads. Returns it, or `dflt` when it
 * is absent (*found = 0) or not a finite number (*found = -1); *found = 1 when read. `found` may be
 * NULL. Any thread: runs on the main runtime thread through a sync proxy, so a worker caller blocks
 * for one round trip; from the main thread it runs inline. Does not allocate. */
double wt__js_config_number(const char *path, double dflt, int *found);
#endif

#endif
