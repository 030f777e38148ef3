/* sources_loaded of each session (the reference's LoadedTelemetrySession field,
 * rollups.md 4.2): the segment files that contributed to it. A segment
 * contributes to every session one of its records belongs to; a segment
 * without records contributes to the session its default id names (the
 * manifest's entry, else the sink's fallback legacy id), if there is one.
 * Paths are the plan's, i.e. as the reference names them. */
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "sessions.h"

static stormlog_session *find(stormlog_recording *rec, const char *id)
{
    for (size_t i = 0; i < rec->session_count; i++)
        if (strcmp(rec->sessions[i].session_id, id) == 0)
            return &rec->sessions[i];
    return NULL;
}

static bool add_source(stormlog_recording *rec, stormlog_session *s, const char *path, size_t *cap)
{
    if (s->source_count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        const char **grown = sl_arena_alloc(&rec->arena, ncap * sizeof *grown);
        if (!grown)
            return false;
        if (s->source_count)
            memcpy(grown, s->sources, s->source_count * sizeof *grown);
        s->sources = grown;
        *cap = ncap;
    }
    s->sources[s->source_count++] = path;
    return true;
}

bool sl_recording_sources(stormlog_recording *rec, const sl_plan *plan, sl_fail_info *f)
{
    size_t nseg = plan->segment_count;
    if (nseg == 0 || rec->session_count == 0)
        return true;
    bool *has_events = calloc(nseg, sizeof *has_events);
    bool *mark = calloc(nseg, sizeof *mark);
    const char **copies = calloc(nseg, sizeof *copies);
    size_t *caps = calloc(rec->session_count, sizeof *caps);
    bool ok = has_events && mark && copies && caps;
    for (size_t k = 0; ok && k < nseg; k++) {
        copies[k] = sl_arena_strdup(&rec->arena, plan->segments[k].path, strlen(plan->segments[k].path));
        ok = copies[k] != NULL;
    }
    for (size_t i = 0; ok && i < rec->session_count; i++) {
        stormlog_session *s = &rec->sessions[i];
        memset(mark, 0, nseg * sizeof *mark);
        for (size_t e = 0; e < s->event_count; e++)
            mark[s->events[e]->segment] = true;
        for (size_t k = 0; ok && k < nseg; k++)
            if (mark[k]) {
                has_events[k] = true;
                ok = add_source(rec, s, copies[k], &caps[i]);
            }
    }
    for (size_t k = 0; ok && k < nseg; k++) {
        if (has_events[k] || !plan->segments[k].default_id)
            continue;
        stormlog_session *s = find(rec, plan->segments[k].default_id);
        if (s)
            ok = add_source(rec, s, copies[k], &caps[s - rec->sessions]);
    }
    free(has_events);
    free(mark);
    free(copies);
    free(caps);
    return ok || sl_failf(f, STORMLOG_E_NO_MEMORY, "out of memory");
}

size_t stormlog_session_source_count(const stormlog_session *s)
{
    return s ? s->source_count : 0;
}

const char *stormlog_session_source(const stormlog_session *s, size_t i)
{
    return s && i < s->source_count ? s->sources[i] : NULL;
}
