/* Internal: the knob table's one message format, shared by the modules that validate knobs.
 *
 * A refusal is one line, whatever the entry point (runtimeconfig properties, the JS object, a module's
 * C struct such as wt_pool_config):
 *   webthreads: config: <key as given>="<value as given>": WT_<code>: <what>; nothing applied, the
 *   settings in force stay
 */
#ifndef WT_CONFIG_INTERNAL_H
#define WT_CONFIG_INTERNAL_H

#include "webthreads/config.h"

/* Fills `rep` (may be NULL: a local one is used) with the refusal, writes its message to stderr and
 * returns `status`. Any thread; never allocates (stdio only). */
int wt__config_refuse(wt_config_report *rep, int status, wt_knob knob, const char *key, const char *value,
                      const char *what);

/* "a decimal integer in MIN..MAX" or "true or false" for `k`, in buf. Returns buf. */
const char *wt__knob_range_text(const wt_knob_info *k, char *buf, size_t n);

#endif
