/* Lifetime figures (lifetime.h, docs/lifetime.md). Everything here runs on
 * the writer thread (at shutdown, on the thread that joined it). */
#include "lifetime.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "pipeline_shared.h"
#include "stormlog/schema/encode.h"

static _Atomic(sl_lifetime_books_fn) books_fn;

void sl_lifetime_set_books(sl_lifetime_books_fn fn)
{
    atomic_store_explicit(&books_fn, fn, memory_order_release);
}

void sl_lifetime_init(sl_lifetime *lt, const sl_session_info *session, int64_t started_at_ns)
{
    memset(lt, 0, sizeof *lt);
    lt->session = session;
    lt->started_at_ns = started_at_ns;
}

void sl_lifetime_free(sl_lifetime *lt)
{
    for (size_t i = 0; i < lt->device_count; i++) {
        free(lt->devices[i].env_min);
        free(lt->devices[i].env_max);
    }
    free(lt->devices);
    memset(lt, 0, sizeof *lt);
}

static sl_lifetime_device *device_of(sl_lifetime *lt, int32_t id)
{
    size_t i = 0;
    while (i < lt->device_count && lt->devices[i].device_id < id)
        i++;
    if (i < lt->device_count && lt->devices[i].device_id == id)
        return &lt->devices[i];
    if (lt->device_count == lt->device_cap) {
        size_t cap = lt->device_cap ? lt->device_cap * 2 : 4;
        sl_lifetime_device *d = realloc(lt->devices, cap * sizeof *d);
        if (!d)
            return NULL;
        lt->devices = d;
        lt->device_cap = cap;
    }
    memmove(&lt->devices[i + 1], &lt->devices[i], (lt->device_count - i) * sizeof *lt->devices);
    sl_lifetime_device *d = &lt->devices[i];
    memset(d, 0, sizeof *d);
    d->device_id = id;
    d->env_start = lt->started_at_ns;
    d->env_width = SL_LIFETIME_FIRST_BUCKET_NS;
    lt->device_count++;
    return d;
}

/* Twice the width, half the buckets: each new bucket is the union of two. */
static void envelope_halve(sl_lifetime_device *d)
{
    size_t half = SL_LIFETIME_BUCKETS / 2;
    for (size_t i = 0; i < half; i++) {
        int64_t a = d->env_min[2 * i], b = d->env_min[2 * i + 1];
        d->env_min[i] = a < b ? a : b;
        a = d->env_max[2 * i], b = d->env_max[2 * i + 1];
        d->env_max[i] = a > b ? a : b;
    }
    for (size_t i = half; i < SL_LIFETIME_BUCKETS; i++) {
        d->env_min[i] = INT64_MAX;
        d->env_max[i] = INT64_MIN;
    }
    d->env_width *= 2;
    d->env_used = (d->env_used + 1) / 2;
}

static bool envelope_add(sl_lifetime_device *d, int64_t ts, int64_t bytes)
{
    if (!d->env_min) {
        d->env_min = malloc(SL_LIFETIME_BUCKETS * sizeof *d->env_min);
        d->env_max = malloc(SL_LIFETIME_BUCKETS * sizeof *d->env_max);
        if (!d->env_min || !d->env_max)
            return false;
        for (size_t i = 0; i < SL_LIFETIME_BUCKETS; i++) {
            d->env_min[i] = INT64_MAX;
            d->env_max[i] = INT64_MIN;
        }
    }
    __int128 off = (__int128)ts - d->env_start;
    if (off < 0)
        off = 0;
    while (off / d->env_width >= SL_LIFETIME_BUCKETS && d->env_width < INT64_MAX / 2)
        envelope_halve(d);
    size_t i = (size_t)(off / d->env_width);
    if (i >= SL_LIFETIME_BUCKETS)
        i = SL_LIFETIME_BUCKETS - 1;
    if (bytes < d->env_min[i])
        d->env_min[i] = bytes;
    if (bytes > d->env_max[i])
        d->env_max[i] = bytes;
    if (i + 1 > d->env_used)
        d->env_used = i + 1;
    return true;
}

static const char *meta_str(const sl_event *ev, const char *key)
{
    for (unsigned i = 0; i < ev->meta_count; i++)
        if (strcmp(ev->meta[i].key, key) == 0 && ev->meta[i].kind == SL_META_STATIC_STR)
            return ev->meta[i].v.s;
    return NULL;
}

static bool meta_int(const sl_event *ev, const char *key, int64_t *out)
{
    for (unsigned i = 0; i < ev->meta_count; i++)
        if (strcmp(ev->meta[i].key, key) == 0 && ev->meta[i].kind == SL_META_INT) {
            *out = ev->meta[i].v.i;
            return true;
        }
    return false;
}

static void count_failure(sl_lifetime_device *d, const char *reason, int64_t code)
{
    for (size_t i = 0; i < d->failure_kinds; i++)
        if (d->failures[i].code == code && strcmp(d->failures[i].reason, reason) == 0) {
            d->failures[i].count++;
            return;
        }
    if (d->failure_kinds == SL_LIFETIME_FAILURE_KINDS) {
        d->failures_other++;
        return;
    }
    d->failures[d->failure_kinds++] = (sl_lifetime_failure){reason, code, 1};
}

void sl_lifetime_observe(sl_lifetime *lt, const sl_event *ev)
{
    if (lt->events_seen == 0 || ev->timestamp_ns < lt->first_ts)
        lt->first_ts = ev->timestamp_ns;
    if (lt->events_seen == 0 || ev->timestamp_ns > lt->last_ts)
        lt->last_ts = ev->timestamp_ns;
    lt->events_seen++;
    /* start/stop describe the process, not a device's memory */
    if (ev->type == SL_EVENT_START || ev->type == SL_EVENT_STOP)
        return;
    sl_lifetime_device *d = device_of(lt, ev->device_id);
    if (!d) {
        lt->failed = true;
        return;
    }
    if (d->events == 0 || ev->timestamp_ns < d->first_ts)
        d->first_ts = ev->timestamp_ns;
    if (d->events == 0 || ev->timestamp_ns >= d->last_ts) {
        d->last_ts = ev->timestamp_ns;
        d->last_bytes = ev->allocated_bytes;
    }
    d->events++;
    if (!d->has_peak || ev->allocated_bytes > d->peak_bytes) {
        d->has_peak = true;
        d->peak_bytes = ev->allocated_bytes;
        d->peak_ts = ev->timestamp_ns;
        d->has_peak_context = (ev->flags & SL_EVENT_F_HAS_CONTEXT) != 0;
        if (d->has_peak_context) {
            size_t n = strnlen(ev->context, SL_EVENT_CONTEXT_MAX - 1);
            memcpy(d->peak_context, ev->context, n);
            d->peak_context[n] = '\0';
        }
    }
    if (!envelope_add(d, ev->timestamp_ns, ev->allocated_bytes))
        lt->failed = true;
    switch (ev->type) {
    case SL_EVENT_ALLOCATION:
        d->allocations++;
        break;
    case SL_EVENT_DEALLOCATION:
        d->frees++;
        break;
    case SL_EVENT_ERROR: {
        const char *reason = meta_str(ev, "reason");
        int64_t code = -1;
        meta_int(ev, "error_code", &code);
        d->failed++;
        if (reason && strcmp(reason, "out_of_memory") == 0)
            d->ooms++;
        count_failure(d, reason ? reason : "unknown", code);
        break;
    }
    default:
        break;
    }
}

/* ---- lifetime.json ---- */

static void key(sl_json_writer *w, const char *k) { sl_jw_key(w, k, strlen(k)); }
static void kint(sl_json_writer *w, const char *k, int64_t v) { key(w, k); sl_jw_int(w, v); }
static void kopt(sl_json_writer *w, const char *k, bool set, int64_t v)
{
    key(w, k);
    if (set)
        sl_jw_int(w, v);
    else
        sl_jw_null(w);
}
static void kstr(sl_json_writer *w, const char *k, const char *s)
{
    key(w, k);
    if (s)
        sl_jw_string(w, s, strlen(s));
    else
        sl_jw_null(w);
}

static uint64_t device_drops(int32_t id)
{
    if (id == -1)
        return atomic_load_explicit(&sl_pipe.drops_host, memory_order_relaxed);
    if (id >= 0 && id < SL_MAX_DEVICES)
        return atomic_load_explicit(&sl_pipe.drops_device[id], memory_order_relaxed);
    return 0;
}

/* What other threads keep changing, read once per document: the text is
 * measured, then written, and both passes must see the same figures. */
typedef struct device_snapshot {
    bool books;
    sl_lifetime_books b;
    uint64_t drops;
} device_snapshot;

static void device_json(sl_json_writer *w, const sl_lifetime_device *d, const device_snapshot *snap)
{
    bool books = snap->books;
    const sl_lifetime_books b = snap->b;
    /* The books are exact even when events were dropped; the peak's time
     * and context are known only when its event reached the writer. */
    int64_t peak = d->peak_bytes;
    bool peak_seen = d->has_peak;
    if (books && (!d->has_peak || b.peak_bytes > d->peak_bytes)) {
        peak = b.peak_bytes;
        peak_seen = false;
    }
    sl_jw_begin_object(w);
    kint(w, "allocations", (int64_t)(books ? b.allocations : d->allocations));
    kstr(w, "counts_from", books ? "books" : "events");
    kint(w, "device_id", d->device_id);
    kint(w, "dropped_events", (int64_t)snap->drops);
    kint(w, "events", (int64_t)d->events);
    kint(w, "failed_allocations", (int64_t)(books ? b.failures : d->failed));
    key(w, "failures");
    sl_jw_begin_array(w);
    for (size_t i = 0; i < d->failure_kinds; i++) {
        sl_jw_begin_object(w);
        kint(w, "count", (int64_t)d->failures[i].count);
        kint(w, "error_code", d->failures[i].code);
        kstr(w, "reason", d->failures[i].reason);
        sl_jw_end_object(w);
    }
    sl_jw_end_array(w);
    kint(w, "failures_other", (int64_t)d->failures_other);
    kopt(w, "first_timestamp_ns", d->events > 0, d->first_ts);
    kint(w, "frees", (int64_t)(books ? b.frees : d->frees));
    kopt(w, "last_timestamp_ns", d->events > 0, d->last_ts);
    kint(w, "live_bytes", books ? b.live_bytes : d->last_bytes);
    kint(w, "oom_count", (int64_t)(books ? b.ooms : d->ooms));
    kopt(w, "peak_allocated_bytes", d->has_peak || books, peak);
    kstr(w, "peak_context", peak_seen && d->has_peak_context ? d->peak_context : NULL);
    kopt(w, "peak_timestamp_ns", peak_seen, d->peak_ts);
    key(w, "timeline");
    sl_jw_begin_object(w);
    kint(w, "bucket_ns", d->env_width);
    key(w, "max");
    sl_jw_begin_array(w);
    for (size_t i = 0; i < d->env_used; i++) {
        if (d->env_max[i] == INT64_MIN)
            sl_jw_null(w);
        else
            sl_jw_int(w, d->env_max[i]);
    }
    sl_jw_end_array(w);
    key(w, "min");
    sl_jw_begin_array(w);
    for (size_t i = 0; i < d->env_used; i++) {
        if (d->env_min[i] == INT64_MAX)
            sl_jw_null(w);
        else
            sl_jw_int(w, d->env_min[i]);
    }
    sl_jw_end_array(w);
    kint(w, "start_ns", d->env_start);
    sl_jw_end_object(w);
    kopt(w, "unmatched_frees", books, books ? (int64_t)b.unmatched_frees : 0);
    sl_jw_end_object(w);
}

typedef struct session_snapshot {
    int64_t now;
    uint64_t drops_total;
    device_snapshot *devices;
} session_snapshot;

static void session_json(sl_json_writer *w, const sl_lifetime *lt, const char *status, bool has_ended,
                         int64_t ended_at_ns, uint64_t pruned_segments, uint64_t pruned_bytes,
                         const session_snapshot *snap)
{
    sl_jw_begin_object(w);
    key(w, "devices");
    sl_jw_begin_array(w);
    for (size_t i = 0; i < lt->device_count; i++)
        device_json(w, &lt->devices[i], &snap->devices[i]);
    sl_jw_end_array(w);
    kint(w, "dropped_events", (int64_t)snap->drops_total);
    kopt(w, "ended_at_ns", has_ended, ended_at_ns);
    kint(w, "events_pruned", (int64_t)lt->pruned_events);
    kint(w, "events_seen", (int64_t)lt->events_seen);
    kint(w, "events_written", (int64_t)lt->events_written);
    kopt(w, "first_timestamp_ns", lt->events_seen > 0, lt->first_ts);
    kopt(w, "last_timestamp_ns", lt->events_seen > 0, lt->last_ts);
    kint(w, "pruned_bytes", (int64_t)pruned_bytes);
    kint(w, "pruned_segments", (int64_t)pruned_segments);
    kstr(w, "session_id", lt->session->session_id);
    kint(w, "started_at_ns", lt->started_at_ns);
    kstr(w, "status", status);
    kint(w, "written_at_ns", snap->now);
    sl_jw_end_object(w);
}

bool sl_lifetime_render(const sl_lifetime *lt, const char *status, bool has_ended, int64_t ended_at_ns,
                        uint64_t pruned_segments, uint64_t pruned_bytes, const sl_buf *others, sl_buf *out)
{
    if (lt->failed)
        return false;
    static const char head[] = "{\"format\": \"" SL_LIFETIME_FORMAT "\", \"schema_version\": 1, \"sessions\": [\n";
    if (!sl_buf_append(out, head, sizeof head - 1))
        return false;
    if (others && others->len && !sl_buf_append(out, others->data, others->len))
        return false;
    session_snapshot snap = {sl_realtime_ns(), atomic_load_explicit(&sl_pipe.drops_total, memory_order_relaxed),
                             calloc(lt->device_count ? lt->device_count : 1, sizeof *snap.devices)};
    if (!snap.devices)
        return false;
    sl_lifetime_books_fn fn = atomic_load_explicit(&books_fn, memory_order_acquire);
    for (size_t i = 0; i < lt->device_count; i++) {
        snap.devices[i].books = fn && fn(lt->devices[i].device_id, &snap.devices[i].b);
        snap.devices[i].drops = device_drops(lt->devices[i].device_id);
    }
    /* Measure, make room, write: the canonical writer never allocates. */
    sl_json_writer w;
    sl_jw_init(&w, NULL, 0);
    session_json(&w, lt, status, has_ended, ended_at_ns, pruned_segments, pruned_bytes, &snap);
    size_t need = 0, got = 0;
    bool ok = sl_jw_finish(&w, &need) != SL_ENCODE_INVALID && sl_buf_reserve(out, need + 1);
    if (ok) {
        sl_jw_init(&w, out->data + out->len, need + 1);
        session_json(&w, lt, status, has_ended, ended_at_ns, pruned_segments, pruned_bytes, &snap);
        ok = sl_jw_finish(&w, &got) == SL_ENCODE_OK;
    }
    free(snap.devices);
    if (!ok)
        return false;
    out->len += got;
    return sl_buf_append(out, "\n]}\n", 4);
}
