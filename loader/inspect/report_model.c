/* A session as the report draws it, built in two passes over its events.
 *
 * Pass one follows the counters: each device's allocated and reserved bytes
 * into per-column buckets, the first event at the peak, the error events,
 * and the phases (phase_enter / phase_exit paired by scope id). Pass two
 * replays allocations and frees by pointer: the allocations live at the
 * first event of each device's peak are what the peak was made of; those
 * live at the end are what leaked. Collectors whose events carry no pointer
 * (the Python ones) get the curves without the replay tables. */
#include <stdlib.h>
#include <string.h>

#include "live_set.h"
#include "report.h"

/* Larger first; equal sizes: the older allocation first. */
static bool larger(const live_entry *a, const rp_alloc *b)
{
    return a->size > b->size || (a->size == b->size && a->timestamp_ns < b->timestamp_ns);
}

/* The device's live allocations: how many, how many bytes, the largest. */
static void live_snapshot(const live_set *set, int64_t device_id, rp_alloc *top, size_t *top_count,
                          uint64_t *count, int64_t *bytes)
{
    *top_count = 0;
    *count = 0;
    *bytes = 0;
    for (size_t i = 0; i < set->cap; i++) {
        const live_entry *e = &set->slots[i];
        if (!e->event || e->device_id != device_id)
            continue;
        (*count)++;
        *bytes += e->size;
        size_t n = *top_count;
        if (n == REPORT_TOP_ALLOCATIONS && !larger(e, &top[n - 1]))
            continue;
        size_t at = n < REPORT_TOP_ALLOCATIONS ? n : n - 1;
        while (at > 0 && larger(e, &top[at - 1])) {
            top[at] = top[at - 1];
            at--;
        }
        top[at] = (rp_alloc){e->ptr, e->size, e->timestamp_ns, e->event};
        if (n < REPORT_TOP_ALLOCATIONS)
            (*top_count)++;
    }
}

/* ---- devices -------------------------------------------------------------- */

static rp_device *device_of(rp_session *s, int64_t device_id, size_t columns)
{
    size_t i = 0;
    while (i < s->device_count && s->devices[i].device_id < device_id)
        i++;
    if (i < s->device_count && s->devices[i].device_id == device_id)
        return &s->devices[i];
    rp_device *grown = realloc(s->devices, (s->device_count + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    s->devices = grown;
    memmove(&s->devices[i + 1], &s->devices[i], (s->device_count - i) * sizeof *s->devices);
    rp_device *d = &s->devices[i];
    memset(d, 0, sizeof *d);
    d->device_id = device_id;
    d->peak_bytes = -1;
    s->device_count++;
    if (!ds_init(&d->allocated, s->t0, s->t1, columns) || !ds_init(&d->reserved, s->t0, s->t1, columns))
        return NULL; /* the device stays listed with what it has: rp_session_free copes */
    return d;
}

const rp_device *rp_session_device(const rp_session *s, int64_t device_id)
{
    for (size_t i = 0; i < s->device_count; i++)
        if (s->devices[i].device_id == device_id)
            return &s->devices[i];
    return NULL;
}

/* ---- phases --------------------------------------------------------------- */

#define OPEN_PHASES_MAX 4096 /* beyond this, the oldest open phase stays unclosed */

typedef struct open_phases {
    size_t *index; /* into s->phases, oldest first */
    size_t count;
    char (*key)[64];
    bool *has_key;
} open_phases;

static bool phase_enter(rp_session *s, open_phases *open, const stormlog_event *ev)
{
    phase_scope_info info;
    if (!phase_scope_read(ev, &info))
        return true; /* no usable scope: nothing to draw */
    if (s->phase_count == s->phase_cap) {
        size_t cap = s->phase_cap ? s->phase_cap * 2 : 64;
        rp_phase *grown = realloc(s->phases, cap * sizeof *grown);
        if (!grown) {
            phase_scope_clear(&info);
            return false;
        }
        s->phases = grown;
        s->phase_cap = cap;
    }
    rp_phase *p = &s->phases[s->phase_count];
    *p = (rp_phase){.start_ns = stormlog_event_timestamp_ns(ev),
                    .end_ns = s->t1,
                    .depth = info.depth,
                    .thread_id = info.has_thread ? info.thread_id : -1,
                    .start_end = info.start_end,
                    .id = strtoull(info.scope_key, NULL, 10),
                    .name = info.name,
                    .path = info.path};
    if (open->count == OPEN_PHASES_MAX) {
        memmove(open->index, open->index + 1, (OPEN_PHASES_MAX - 1) * sizeof *open->index);
        memmove(open->key, open->key + 1, (OPEN_PHASES_MAX - 1) * sizeof *open->key);
        memmove(open->has_key, open->has_key + 1, (OPEN_PHASES_MAX - 1) * sizeof *open->has_key);
        open->count--;
    }
    open->index[open->count] = s->phase_count;
    memcpy(open->key[open->count], info.scope_key, sizeof info.scope_key);
    open->has_key[open->count] = info.has_scope_id;
    open->count++;
    s->phase_count++;
    return true;
}

static void phase_exit(rp_session *s, open_phases *open, const stormlog_event *ev)
{
    phase_scope_info info;
    if (!phase_scope_read(ev, &info)) {
        s->phase_exits_unmatched++;
        return;
    }
    /* The newest open phase with the same scope id; without ids, the newest
     * with the same path on the same thread. */
    size_t i = open->count;
    while (i > 0) {
        i--;
        const rp_phase *p = &s->phases[open->index[i]];
        bool same = info.has_scope_id && open->has_key[i]
                        ? strcmp(open->key[i], info.scope_key) == 0
                        : strcmp(p->path, info.path) == 0 && p->thread_id == (info.has_thread ? info.thread_id : -1);
        if (!same)
            continue;
        rp_phase *hit = &s->phases[open->index[i]];
        hit->end_ns = stormlog_event_timestamp_ns(ev);
        hit->closed = true;
        open->count--;
        memmove(open->index + i, open->index + i + 1, (open->count - i) * sizeof *open->index);
        memmove(open->key + i, open->key + i + 1, (open->count - i) * sizeof *open->key);
        memmove(open->has_key + i, open->has_key + i + 1, (open->count - i) * sizeof *open->has_key);
        phase_scope_clear(&info);
        return;
    }
    s->phase_exits_unmatched++;
    phase_scope_clear(&info);
}

/* ---- the two passes ------------------------------------------------------- */

static bool is_oom(const stormlog_event *ev)
{
    return meta_event_string_is(ev, "reason", "out_of_memory");
}

static bool follow_counters(rp_session *s, size_t columns)
{
    const stormlog_session *ses = s->session;
    size_t n = stormlog_session_event_count(ses);
    open_phases open = {.index = malloc(OPEN_PHASES_MAX * sizeof *open.index),
                        .key = malloc(OPEN_PHASES_MAX * sizeof *open.key),
                        .has_key = malloc(OPEN_PHASES_MAX * sizeof *open.has_key)};
    bool ok = open.index && open.key && open.has_key;
    rp_device *d = NULL;
    for (size_t i = 0; ok && i < n; i++) {
        const stormlog_event *ev = stormlog_session_event(ses, i);
        int64_t device_id = -1, allocated = 0, reserved = 0;
        stormlog_event_int(ev, STORMLOG_DEVICE_ID, &device_id);
        stormlog_event_int(ev, STORMLOG_ALLOCATOR_ALLOCATED_BYTES, &allocated);
        stormlog_event_int(ev, STORMLOG_ALLOCATOR_RESERVED_BYTES, &reserved);
        int64_t ts = stormlog_event_timestamp_ns(ev);
        const char *type = stormlog_event_type(ev);
        /* Phase events are about the thread, not the device's bytes: their
         * device fields are whatever the writer had; they do not step the
         * curves. */
        if (strcmp(type, "phase_enter") == 0) {
            ok = phase_enter(s, &open, ev);
            continue;
        }
        if (strcmp(type, "phase_exit") == 0) {
            phase_exit(s, &open, ev);
            continue;
        }
        if (!d || d->device_id != device_id)
            d = device_of(s, device_id, columns);
        if (!d) {
            ok = false;
            break;
        }
        d->events++;
        ds_add(&d->allocated, ts, allocated);
        ds_add(&d->reserved, ts, reserved);
        if (allocated > d->peak_bytes) {
            d->peak_bytes = allocated;
            d->peak_timestamp_ns = ts;
            d->peak_event = i;
        }
        if (reserved > d->max_reserved)
            d->max_reserved = reserved;
        if (strcmp(type, "allocation") == 0) {
            d->has_allocation = true;
            d->last_allocation = i;
        }
        if (strcmp(type, "error") == 0) {
            if (s->error_count < REPORT_ERRORS_KEPT)
                s->errors[s->error_count++] = (rp_error){ts, device_id, ev, is_oom(ev), i, false};
            s->error_total++;
        }
    }
    for (size_t i = 0; i < open.count; i++)
        s->phases_unclosed++;
    /* An OOM the program got past (a later allocation on its device
     * succeeded) is not the one that ended the run. */
    for (size_t i = 0; ok && i < s->error_count; i++) {
        const rp_device *dev = rp_session_device(s, s->errors[i].device_id);
        s->errors[i].recovered = dev && dev->has_allocation && dev->last_allocation > s->errors[i].index;
    }
    free(open.index);
    free(open.key);
    free(open.has_key);
    return ok;
}

static bool replay_pointers(rp_session *s)
{
    const stormlog_session *ses = s->session;
    size_t n = stormlog_session_event_count(ses);
    live_set set = {0};
    bool ok = live_grow(&set);
    for (size_t i = 0; ok && i < n; i++) {
        const stormlog_event *ev = stormlog_session_event(ses, i);
        const char *type = stormlog_event_type(ev);
        bool alloc = strcmp(type, "allocation") == 0;
        if (alloc || strcmp(type, "deallocation") == 0) {
            int64_t device_id = -1, change = 0;
            stormlog_event_int(ev, STORMLOG_DEVICE_ID, &device_id);
            stormlog_event_int(ev, STORMLOG_ALLOCATOR_CHANGE_BYTES, &change);
            rp_device *d = (rp_device *)rp_session_device(s, device_id);
            uint64_t ptr;
            if (!d)
                continue;
            if (!meta_event_u64(ev, "ptr", &ptr)) {
                d->untracked++;
            } else if (alloc) {
                d->tracked = true;
                live_entry e = {ptr, device_id, change, stormlog_event_timestamp_ns(ev), ev};
                ok = live_put(&set, &e);
            } else {
                live_remove(&set, ptr, device_id);
            }
        }
        /* The peak's own event included: what was live right after it. */
        for (size_t k = 0; k < s->device_count; k++) {
            rp_device *d = &s->devices[k];
            if (d->peak_event == i && d->events > 0)
                live_snapshot(&set, d->device_id, d->at_peak, &d->at_peak_count, &d->live_at_peak,
                              &d->live_at_peak_bytes);
        }
    }
    for (size_t k = 0; ok && k < s->device_count; k++) {
        rp_device *d = &s->devices[k];
        live_snapshot(&set, d->device_id, d->leaks, &d->leak_count, &d->live_at_end, &d->live_at_end_bytes);
    }
    free(set.slots);
    return ok;
}

bool rp_session_build(rp_session *s, const summary_session *sum, size_t columns, bool replay)
{
    memset(s, 0, sizeof *s);
    s->session = sum->session;
    s->summary = sum;
    json_object *v;
    if (json_object_object_get_ex(sum->info, "rank", &v) && json_object_is_type(v, json_type_int))
        s->rank = json_object_get_int64(v);
    size_t n = stormlog_session_event_count(s->session);
    if (n == 0)
        return true;
    s->t0 = stormlog_event_timestamp_ns(stormlog_session_event(s->session, 0));
    s->t1 = stormlog_event_timestamp_ns(stormlog_session_event(s->session, n - 1));
    s->errors = malloc(REPORT_ERRORS_KEPT * sizeof *s->errors);
    if (!s->errors)
        return false;
    if (!follow_counters(s, columns))
        return false;
    for (size_t k = 0; k < s->device_count; k++)
        if (s->devices[k].peak_bytes < 0)
            s->devices[k].peak_bytes = 0;
    return !replay || replay_pointers(s);
}

void rp_session_free(rp_session *s)
{
    for (size_t i = 0; i < s->device_count; i++) {
        ds_free(&s->devices[i].allocated);
        ds_free(&s->devices[i].reserved);
    }
    for (size_t i = 0; i < s->phase_count; i++) {
        free(s->phases[i].name);
        free(s->phases[i].path);
    }
    free(s->devices);
    free(s->phases);
    free(s->errors);
    memset(s, 0, sizeof *s);
}

bool rp_series_for_axis(const rp_session *s, int64_t device_id, int64_t t0, int64_t t1, size_t columns,
                        ds_series *out)
{
    if (!s->session)
        return rp_envelope_series(s->summary, device_id, t0, t1, columns, out);
    const stormlog_session *session = s->session;
    if (!ds_init(out, t0, t1, columns))
        return false;
    size_t n = stormlog_session_event_count(session);
    for (size_t i = 0; i < n; i++) {
        const stormlog_event *ev = stormlog_session_event(session, i);
        int64_t id = -1, allocated = 0;
        stormlog_event_int(ev, STORMLOG_DEVICE_ID, &id);
        if (id != device_id)
            continue;
        const char *type = stormlog_event_type(ev);
        if (strcmp(type, "phase_enter") == 0 || strcmp(type, "phase_exit") == 0)
            continue;
        stormlog_event_int(ev, STORMLOG_ALLOCATOR_ALLOCATED_BYTES, &allocated);
        ds_add(out, stormlog_event_timestamp_ns(ev), allocated);
    }
    return true;
}
