// webthreads JS library: configuration read from the page.
//
// An application configures webthreads from JS by setting `Module.webthreads` before the runtime
// starts, e.g. `Module.webthreads = { pool: { initial: 8, max: 64 } }`. C reads it through
// wt__js_config_number(), which always runs on the main runtime thread (where `Module` is the
// page's object), so any thread may ask. Under node, where there is no page to set it, the
// WEBTHREADS_CONFIG environment variable holds the same object as JSON.
addToLibrary({
  // Looks up a dotted path ("pool.max") in Module.webthreads. Returns the number found, or `dflt`
  // when the path is absent; NaN (reported to C as `dflt` with *found = -1) when present but not a
  // finite number. Runs on the main runtime thread (sync proxy); never blocks there.
  wt__js_config_number__proxy: 'sync',
  wt__js_config_number: (path, dflt, found) => {
    let v = Module['webthreads'];
    if (v === undefined && ENVIRONMENT_IS_NODE && process.env['WEBTHREADS_CONFIG']) {
      v = Module['webthreads'] = JSON.parse(process.env['WEBTHREADS_CONFIG']);
    }
    for (const key of UTF8ToString(path).split('.')) {
      if (v === undefined || v === null || typeof v !== 'object') { v = undefined; break; }
      v = v[key];
    }
    if (v === undefined || v === null) { if (found) HEAP32[found >> 2] = 0; return dflt; }
    if (typeof v !== 'number' || !Number.isFinite(v)) { if (found) HEAP32[found >> 2] = -1; return dflt; }
    if (found) HEAP32[found >> 2] = 1;
    return v;
  },
  wt__js_config_number__sig: 'dpdp',
});
