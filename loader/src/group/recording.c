/* A loaded recording and its sessions: accessors and release. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void stormlog_recording_free(stormlog_recording *rec)
{
    if (!rec)
        return;
    for (size_t i = 0; i < rec->session_count; i++)
        json_object_put(rec->sessions[i].summary);
    free(rec->sessions);
    free(rec->sorted);
    for (size_t i = 0; i < rec->warning_count; i++)
        free(rec->warnings[i]);
    free(rec->warnings);
    sl_event_list_free(&rec->events);
    sl_arena_free(&rec->arena);
    free(rec);
}

size_t stormlog_recording_session_count(const stormlog_recording *rec)
{
    return rec ? rec->session_count : 0;
}

const stormlog_session *stormlog_recording_session(const stormlog_recording *rec, size_t i)
{
    return rec && i < rec->session_count ? &rec->sessions[i] : NULL;
}

const stormlog_session *stormlog_recording_default_session(const stormlog_recording *rec)
{
    if (!rec || rec->default_index >= rec->session_count)
        return NULL;
    return &rec->sessions[rec->default_index];
}

stormlog_status stormlog_recording_find_session(const stormlog_recording *rec,
                                                const char *session_id,
                                                const stormlog_session **out, stormlog_error **err)
{
    sl_fail_info f;
    sl_fail_init(&f);
    if (out)
        *out = NULL;
    if (!rec || !session_id || !out) {
        sl_failf(&f, STORMLOG_E_INVALID_ARGUMENT, "stormlog_recording_find_session: missing argument");
        sl_fail_publish(&f, err);
        return STORMLOG_E_INVALID_ARGUMENT;
    }
    size_t len = strlen(session_id);
    for (size_t i = 0; i < rec->session_count; i++) {
        const stormlog_session *s = &rec->sessions[i];
        if (s->session_id_len == len && memcmp(s->session_id, session_id, len) == 0) {
            *out = s;
            return STORMLOG_OK;
        }
    }
    sl_failf(&f, STORMLOG_E_NOT_FOUND, "Requested session_id not found: %s", session_id);
    sl_fail_publish(&f, err);
    return STORMLOG_E_NOT_FOUND;
}

size_t stormlog_recording_event_count(const stormlog_recording *rec)
{
    return rec ? rec->events.count : 0;
}

size_t stormlog_recording_warning_count(const stormlog_recording *rec)
{
    return rec ? rec->warning_count : 0;
}

const char *stormlog_recording_warning(const stormlog_recording *rec, size_t i)
{
    return rec && i < rec->warning_count ? rec->warnings[i] : NULL;
}

const char *stormlog_session_id(const stormlog_session *s)
{
    return s ? s->session_id : NULL;
}

const char *stormlog_session_status(const stormlog_session *s)
{
    return s ? sl_status_name(s->status_rank) : NULL;
}

static int64_t saturate(sl_wint v)
{
    return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : (int64_t)v;
}

int64_t stormlog_session_started_at_ns(const stormlog_session *s)
{
    return s ? saturate(s->started) : 0;
}

bool stormlog_session_ended_at_ns(const stormlog_session *s, int64_t *out)
{
    if (!s || !s->has_ended)
        return false;
    if (out)
        *out = saturate(s->ended);
    return true;
}

json_object *stormlog_session_summary_json(const stormlog_session *s)
{
    return s ? json_object_get(s->summary) : NULL;
}

size_t stormlog_session_event_count(const stormlog_session *s)
{
    return s ? s->event_count : 0;
}

const stormlog_event *stormlog_session_event(const stormlog_session *s, size_t i)
{
    return s && i < s->event_count ? s->events[i] : NULL;
}

size_t stormlog_recording_vanished_segment_count(const stormlog_recording *rec)
{
    return rec ? rec->vanished_segments : 0;
}
