/* Load options: an opaque struct so that new settings never break the ABI. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void sl_options_defaults(stormlog_options *o)
{
    o->permissive_legacy = true;
    o->events_key = NULL;
    o->threads = 1;
    o->job_depth = 4;
    o->max_line_bytes = (size_t)256 << 20;
}

stormlog_options *stormlog_options_new(void)
{
    stormlog_options *o = malloc(sizeof *o);
    if (o)
        sl_options_defaults(o);
    return o;
}

void stormlog_options_free(stormlog_options *opts)
{
    if (!opts)
        return;
    free(opts->events_key);
    free(opts);
}

void stormlog_options_set_permissive_legacy(stormlog_options *opts, bool on)
{
    if (opts)
        opts->permissive_legacy = on;
}

stormlog_status stormlog_options_set_events_key(stormlog_options *opts, const char *key)
{
    if (!opts)
        return STORMLOG_E_INVALID_ARGUMENT;
    char *copy = NULL;
    if (key && !(copy = strdup(key)))
        return STORMLOG_E_NO_MEMORY;
    free(opts->events_key);
    opts->events_key = copy;
    return STORMLOG_OK;
}

void stormlog_options_set_threads(stormlog_options *opts, unsigned threads)
{
    if (opts)
        opts->threads = threads ? threads : 1;
}

void stormlog_options_set_job_depth(stormlog_options *opts, unsigned depth)
{
    if (opts)
        opts->job_depth = depth;
}

void stormlog_options_set_max_line_bytes(stormlog_options *opts, size_t bytes)
{
    if (opts && bytes)
        opts->max_line_bytes = bytes;
}

const stormlog_options *sl_options_or_defaults(const stormlog_options *opts, stormlog_options *defaults)
{
    if (opts)
        return opts;
    sl_options_defaults(defaults);
    return defaults;
}
