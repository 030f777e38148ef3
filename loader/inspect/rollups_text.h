/* The rollups' reading of one loaded event (rollups.md 4.4-4.6): alert,
 * severity text, OOM marker, collector transition and status, with Python's
 * text semantics (section 6). */
#ifndef STORMLOG_INSPECT_ROLLUPS_TEXT_H
#define STORMLOG_INSPECT_ROLLUPS_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "rollups.h"
#include "stormlog/loader.h"

/* Scratch strings an event's view points into; reused from event to event. */
typedef struct rollup_text_scratch {
    char *severity, *health, *dump_path;
    size_t severity_cap, health_cap, dump_path_cap;
} rollup_text_scratch;

/* Fills *out from ev; false when out of memory. */
bool rollup_event_view(const stormlog_event *ev, rollup_text_scratch *scratch, sl_rollup_event *out);
void rollup_text_scratch_free(rollup_text_scratch *scratch);

/* normalize_text_dimension of a string (strip, lower, <hex>, <num>, one
 * space per whitespace run) into a malloc'd string; NULL on OOM. */
char *rollup_normalize_text(const char *s, size_t len, size_t *out_len);
/* strip().lower() only. */
char *rollup_strip_lower(const char *s, size_t len, size_t *out_len);

#endif
