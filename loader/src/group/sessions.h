/* Grouping a recording's events into sessions (sessions.c). */
#ifndef STORMLOG_LOADER_SESSIONS_H
#define STORMLOG_LOADER_SESSIONS_H

#include "internal.h"

/* Fill rec->sorted, rec->sessions (ordered) and rec->default_index from
 * rec->events and the manifests' sessions; labels[origin] is the source of
 * an inferred summary. */
SL_HIDDEN bool sl_recording_finalize(stormlog_recording *rec, sl_manifest *const *manifests,
                                     size_t manifest_count, char *const *labels, sl_fail_info *f);
struct sl_plan;
/* Fills each session's sources (sources.c), after finalize. */
SL_HIDDEN bool sl_recording_sources(stormlog_recording *rec, const struct sl_plan *plan, sl_fail_info *f);

#endif
