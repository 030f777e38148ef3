/* One line on stderr, the only way the pipeline talks to the user. */
#ifndef STORMLOG_SHIM_PIPELINE_WARN_H
#define STORMLOG_SHIM_PIPELINE_WARN_H

#include <stdbool.h>

/* Formats "stormlog: <message>\n" into a stack buffer and writes it with one
 * write(2) to fd 2: no stdio lock (the writer thread may be the caller, and a
 * fork may happen at any time), no allocation, errno left as it was. Nothing
 * is printed when quiet. */
void sl_pipeline_warn(bool quiet, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
