/* Names inside a sink directory (spec/sink-format.md), one rule for the
 * writer that makes them and the readers that find them. */
#ifndef STORMLOG_SCHEMA_SINK_NAMES_H
#define STORMLOG_SCHEMA_SINK_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* segment-*.jsonl: a file discovery counts as a segment. */
bool sl_sink_is_segment_name(const char *name);
/* A name that stays inside the directory: not empty, no '/', not "." or
 * "..", no NUL among its len bytes (a manifest's JSON string may hold one). */
bool sl_sink_is_plain_name(const char *name, size_t len);

#endif
