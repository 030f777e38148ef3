/* One event as one v3 record line: the fixed-size event plus the session it
 * belongs to, validated by the schema's validator and written by its
 * canonical encoder. Used by the writer thread and, for the stop event, by
 * the thread that stops the pipeline. */
#ifndef STORMLOG_SHIM_PIPELINE_EVENT_RECORD_H
#define STORMLOG_SHIM_PIPELINE_EVENT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "event.h"
#include "pipeline.h"
#include "stormlog/schema/error.h"

#define SL_DROPPED_EVENTS_KEY "dropped_events_total"
#define SL_EXTRA_META_MAX 64 /* extra top-level metadata members of one record */

typedef struct sl_event_extras {
    const sl_member *members; /* added after the event's own metadata; same key: these win */
    size_t count;
    bool with_dropped;        /* add metadata.dropped_events_total (replaces any of that name) */
    uint64_t dropped_total;
} sl_event_extras;

typedef enum sl_event_line_status {
    SL_LINE_OK = 0,
    SL_LINE_INVALID, /* the validator refused it: err says why */
    SL_LINE_NOMEM,
} sl_event_line_status;

/* Appends the record line (with its "\n") to out. */
sl_event_line_status sl_event_append_line(const sl_event *ev, const sl_session_info *session,
                                          const sl_event_extras *extras, sl_buf *out, sl_error *err);

#endif
