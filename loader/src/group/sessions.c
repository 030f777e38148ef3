/* From events to sessions (telemetry.py _group_session_events and
 * _assemble_loaded_sessions, session.py): group by session id, order each
 * session's events by timestamp (stable), take the manifest's summary when it
 * lists the session or infer one, order the sessions, pick the default. */
#include <stdlib.h>
#include <string.h>

#include "sessions.h"

static const char *const status_names[] = {"completed", "interrupted", "incomplete", "running"};

int sl_status_rank(const char *name, size_t len)
{
    for (int i = 0; i < 4; i++)
        if (strlen(status_names[i]) == len && memcmp(status_names[i], name, len) == 0)
            return i;
    return -1;
}

const char *sl_status_name(int rank)
{
    return rank >= 0 && rank < 4 ? status_names[rank] : "incomplete";
}

/* ---- the session table: id -> index, open addressing ---- */

typedef struct builder {
    const char *id;
    size_t id_len;
    size_t count;
    const sl_manifest_session *manifest; /* the last manifest entry for the id */
} builder;

typedef struct table {
    uint32_t *slots; /* index + 1, 0 = empty */
    size_t mask;
    builder *b;
    size_t count, cap;
} table;

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static bool table_grow(table *t)
{
    size_t nslots = t->mask ? (t->mask + 1) * 2 : 64;
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < t->count; i++) {
        size_t h = hash_bytes(t->b[i].id, t->b[i].id_len) & (nslots - 1);
        while (slots[h])
            h = (h + 1) & (nslots - 1);
        slots[h] = (uint32_t)i + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->mask = nslots - 1;
    return true;
}

/* The index for id, adding a builder when new; UINT32_MAX on out-of-memory. */
static uint32_t table_get(table *t, const char *id, size_t len)
{
    if ((t->count + 1) * 2 > t->mask + 1 && !table_grow(t))
        return UINT32_MAX;
    size_t h = hash_bytes(id, len) & t->mask;
    while (t->slots[h]) {
        builder *b = &t->b[t->slots[h] - 1];
        if (b->id_len == len && memcmp(b->id, id, len) == 0)
            return t->slots[h] - 1;
        h = (h + 1) & t->mask;
    }
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        builder *grown = realloc(t->b, cap * sizeof *grown);
        if (!grown)
            return UINT32_MAX;
        t->b = grown;
        t->cap = cap;
    }
    t->b[t->count] = (builder){id, len, 0, NULL};
    t->slots[h] = (uint32_t)t->count + 1;
    return (uint32_t)t->count++;
}

/* ---- ordering ---- */

static sl_wint event_ts(const stormlog_event *ev)
{
    if (ev->wide_mask & (1u << SL_F_TIMESTAMP_NS))
        return ev->wide[SL_F_TIMESTAMP_NS];
    return ev->ival[SL_F_TIMESTAMP_NS];
}

static int by_time_then_seq(const void *pa, const void *pb)
{
    const stormlog_event *a = *(stormlog_event *const *)pa, *b = *(stormlog_event *const *)pb;
    sl_wint ta = event_ts(a), tb = event_ts(b);
    if (ta != tb)
        return ta < tb ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static sl_wint recency(const stormlog_session *s)
{
    /* Python: ended_at_ns or started_at_ns (a zero end counts as none). */
    return (s->has_ended && s->ended != 0) ? s->ended : s->started;
}

static int session_order(const void *pa, const void *pb)
{
    const stormlog_session *a = pa, *b = pb;
    if (a->status_rank != b->status_rank)
        return a->status_rank < b->status_rank ? -1 : 1;
    sl_wint ra = recency(a), rb = recency(b);
    if (ra != rb)
        return ra > rb ? -1 : 1;
    if (a->started != b->started)
        return a->started > b->started ? -1 : 1;
    size_t n = a->session_id_len < b->session_id_len ? a->session_id_len : b->session_id_len;
    int c = memcmp(a->session_id, b->session_id, n);
    if (c)
        return c;
    return a->session_id_len < b->session_id_len ? -1 : a->session_id_len > b->session_id_len;
}

/* ---- summaries ---- */

static bool infer_summary(stormlog_session *s, const char *source)
{
    const stormlog_event *first = s->events[0];
    s->status_rank = 2; /* incomplete */
    s->has_ended = false;
    for (size_t i = s->event_count; i-- > 0;) {
        const stormlog_event *ev = s->events[i];
        if (ev->event_type.len == 4 && memcmp(ev->event_type.ptr, "stop", 4) == 0) {
            s->status_rank = 0; /* completed at the last stop */
            s->has_ended = true;
            s->ended = event_ts(ev);
            break;
        }
    }
    s->started = event_ts(first);
    json_object *o = json_object_new_object();
    if (!o)
        return false;
    int64_t world_size = first->ival[SL_F_WORLD_SIZE] < 1 ? 1 : first->ival[SL_F_WORLD_SIZE];
    json_object_object_add(o, "session_id", json_object_new_string_len(s->session_id, (int)s->session_id_len));
    json_object_object_add(o, "status", json_object_new_string(sl_status_name(s->status_rank)));
    json_object_object_add(o, "started_at_ns", sl_wint_json(s->started));
    json_object_object_add(o, "ended_at_ns", s->has_ended ? sl_wint_json(s->ended) : NULL);
    json_object_object_add(o, "host", json_object_new_string_len(first->host.ptr, (int)first->host.len));
    json_object_object_add(o, "pid", sl_int_json(first, SL_F_PID));
    json_object_object_add(o, "job_id", first->job_id.ptr ? json_object_new_string_len(first->job_id.ptr, (int)first->job_id.len) : NULL);
    json_object_object_add(o, "rank", sl_int_json(first, SL_F_RANK));
    json_object_object_add(o, "local_rank", sl_int_json(first, SL_F_LOCAL_RANK));
    json_object_object_add(o, "world_size", json_object_new_int64(world_size));
    json_object_object_add(o, "source", json_object_new_string(source));
    s->summary = o;
    return true;
}

bool sl_recording_finalize(stormlog_recording *rec, sl_manifest *const *manifests,
                           size_t manifest_count, char *const *labels, sl_fail_info *f)
{
    table t = {0};
    bool ok = true;
    const char *last_ptr = NULL;
    uint32_t last_idx = 0;
    for (sl_event_block *blk = rec->events.head; ok && blk; blk = blk->next) {
        for (size_t i = 0; i < blk->count; i++) {
            stormlog_event *ev = &blk->ev[i];
            if (ev->session_id.ptr != last_ptr) {
                last_idx = table_get(&t, ev->session_id.ptr, ev->session_id.len);
                if (last_idx == UINT32_MAX) {
                    ok = false;
                    break;
                }
                last_ptr = ev->session_id.ptr;
            }
            ev->session_index = last_idx;
            t.b[last_idx].count++;
        }
    }
    for (size_t m = 0; ok && m < manifest_count; m++) {
        for (size_t i = 0; i < manifests[m]->session_count; i++) {
            const sl_manifest_session *ms = &manifests[m]->sessions[i];
            uint32_t idx = table_get(&t, ms->session_id, strlen(ms->session_id));
            if (idx == UINT32_MAX) {
                ok = false;
                break;
            }
            t.b[idx].manifest = ms;
        }
    }
    size_t n = t.count;
    size_t *offset = ok ? calloc(n + 1, sizeof *offset) : NULL;
    rec->sorted = ok ? malloc((rec->events.count ? rec->events.count : 1) * sizeof *rec->sorted) : NULL;
    rec->sessions = ok ? calloc(n ? n : 1, sizeof *rec->sessions) : NULL;
    if (!offset || !rec->sorted || !rec->sessions)
        ok = false;
    if (ok) {
        /* Counting sort by session keeps reading order inside each session. */
        for (size_t i = 0; i < n; i++)
            offset[i + 1] = offset[i] + t.b[i].count;
        size_t *fill = malloc((n ? n : 1) * sizeof *fill);
        if (!fill) {
            ok = false;
        } else {
            memcpy(fill, offset, n * sizeof *fill);
            for (sl_event_block *blk = rec->events.head; blk; blk = blk->next)
                for (size_t i = 0; i < blk->count; i++)
                    rec->sorted[fill[blk->ev[i].session_index]++] = &blk->ev[i];
            free(fill);
        }
    }
    for (size_t i = 0; ok && i < n; i++) {
        stormlog_session *s = &rec->sessions[i];
        s->events = rec->sorted + offset[i];
        s->event_count = t.b[i].count;
        for (size_t k = 1; k < s->event_count; k++) {
            if (event_ts(s->events[k]) < event_ts(s->events[k - 1])) {
                qsort(s->events, s->event_count, sizeof *s->events, by_time_then_seq);
                break;
            }
        }
        s->session_id = sl_arena_strdup(&rec->arena, t.b[i].id, t.b[i].id_len);
        s->session_id_len = t.b[i].id_len;
        if (!s->session_id) {
            ok = false;
            break;
        }
        const sl_manifest_session *ms = t.b[i].manifest;
        if (ms) {
            s->summary = json_object_get(ms->summary);
            s->status_rank = ms->status_rank;
            s->started = ms->started;
            s->ended = ms->ended;
            s->has_ended = ms->has_ended;
        } else {
            const char *source = labels[s->events[0]->origin];
            ok = infer_summary(s, source);
        }
        rec->session_count = i + 1;
    }
    if (ok) {
        qsort(rec->sessions, n, sizeof *rec->sessions, session_order);
        rec->default_index = SIZE_MAX;
        for (size_t i = 0; i < n && rec->default_index == SIZE_MAX; i++)
            if (rec->sessions[i].event_count > 0)
                rec->default_index = i;
        if (rec->default_index == SIZE_MAX && n > 0)
            rec->default_index = 0;
    }
    free(offset);
    free(t.slots);
    free(t.b);
    if (!ok)
        return sl_failf(f, STORMLOG_E_NO_MEMORY, "out of memory");
    return true;
}
