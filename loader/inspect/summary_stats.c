/* The numbers behind `stormlog-inspect summary`, computed from the events
 * any loader caller gets.
 *
 * Two sources, one rule. The events give the shape over time (when the peak
 * was reached, each OOM and what it asked for). The shim's stop event
 * carries its own books (metadata.devices: exact counters kept under the
 * device lock, complete even when a full ring dropped events). When a
 * session has those books, the counts, the final live bytes and the peak
 * come from them; otherwise from the events. Recordings from other
 * collectors (Python's) have no stop books and are summarised from their
 * events alone; figures only the shim can know (unmatched frees, dropped
 * events) are then unknown, not zero. */
#include <stdlib.h>
#include <string.h>

#include "summary_stats.h"

static summary_device *device_of(summary_session *s, int64_t device_id)
{
    /* Few devices per session: a sorted array with a linear scan. */
    size_t i = 0;
    while (i < s->device_count && s->devices[i].device_id < device_id)
        i++;
    if (i < s->device_count && s->devices[i].device_id == device_id)
        return &s->devices[i];
    if (s->device_count == s->device_cap) {
        size_t cap = s->device_cap ? s->device_cap * 2 : 4;
        summary_device *grown = realloc(s->devices, cap * sizeof *grown);
        if (!grown)
            return NULL;
        s->devices = grown;
        s->device_cap = cap;
    }
    memmove(&s->devices[i + 1], &s->devices[i], (s->device_count - i) * sizeof *s->devices);
    s->device_count++;
    summary_device *d = &s->devices[i];
    memset(d, 0, sizeof *d);
    d->device_id = device_id;
    d->peak_bytes = -1;
    return d;
}

static bool metadata_mentions(const stormlog_event *ev, const char *key)
{
    size_t len;
    const char *text = stormlog_event_metadata_text(ev, &len);
    return text && len > 0 && strstr(text, key) != NULL;
}

static void note_error(summary_device *d, const stormlog_event *ev, json_object *meta)
{
    const char *reason = cli_meta_string(meta, "reason");
    int64_t requested;
    bool has_requested = cli_meta_int(meta, "requested_bytes", &requested);
    bool oom = reason && strcmp(reason, "out_of_memory") == 0;
    /* The shim writes error events for failed allocations only, with the
     * size asked for; an error event of another shape is not an allocation. */
    if (has_requested || oom)
        d->failed++;
    if (!oom)
        return;
    d->oom_count++;
    if (d->oom_kept == SUMMARY_OOM_KEPT)
        return;
    summary_oom *o = &d->ooms[d->oom_kept++];
    o->timestamp_ns = stormlog_event_timestamp_ns(ev);
    o->has_requested = has_requested;
    o->requested_bytes = has_requested ? requested : 0;
    const char *api = cli_meta_string(meta, "api");
    snprintf(o->api, sizeof o->api, "%s", api ? api : "");
}

/* The shim's stop books: metadata.devices.{"<id>": {...}}. */
static bool apply_stop_books(summary_session *s, json_object *meta)
{
    json_object *devices;
    if (!meta || !json_object_object_get_ex(meta, "devices", &devices) ||
        !json_object_is_type(devices, json_type_object))
        return true;
    bool any = false;
    json_object_object_foreach(devices, key, books)
    {
        char *end;
        long long id = strtoll(key, &end, 10);
        /* "64+" pools every device id beyond the shim's table: not one device. */
        if (*key == '\0' || *end != '\0' || !json_object_is_type(books, json_type_object))
            continue;
        summary_device *d = device_of(s, id);
        if (!d)
            return false;
        int64_t v;
        if (cli_meta_int(books, "allocations", &v))
            d->allocations = (uint64_t)v;
        if (cli_meta_int(books, "frees", &v))
            d->frees = (uint64_t)v;
        if (cli_meta_int(books, "failed_allocations", &v))
            d->failed = (uint64_t)v;
        if (cli_meta_int(books, "allocated_bytes", &v))
            d->final_bytes = v;
        if (cli_meta_int(books, "unmatched_frees", &v)) {
            d->has_unmatched = true;
            d->unmatched_frees = v;
        }
        if (cli_meta_int(books, "dropped_events", &v)) {
            d->has_dropped = true;
            d->dropped_events = v;
        }
        /* The peak event itself may have been dropped: the books' peak
         * stands, without a time, when it is above what the events show. */
        if (cli_meta_int(books, "peak_bytes", &v) && v > d->peak_bytes) {
            d->peak_bytes = v;
            d->has_peak_time = false;
        }
        any = true;
    }
    s->from_stop_summary = s->from_stop_summary || any;
    return true;
}

static bool summarise_session(summary_session *s)
{
    const stormlog_session *ses = s->session;
    size_t n = stormlog_session_event_count(ses);
    const stormlog_event *last_stop = NULL;
    for (size_t i = 0; i < n; i++) {
        const stormlog_event *ev = stormlog_session_event(ses, i);
        const char *type = stormlog_event_type(ev);
        /* NVTX phase marks carry no device (device_id -1): they are not
         * pinned-host activity and would show an empty host row. */
        if (strcmp(type, "phase_enter") == 0 || strcmp(type, "phase_exit") == 0)
            continue;
        int64_t device_id = -1, allocated = 0;
        stormlog_event_int(ev, STORMLOG_DEVICE_ID, &device_id);
        stormlog_event_int(ev, STORMLOG_ALLOCATOR_ALLOCATED_BYTES, &allocated);
        summary_device *d = device_of(s, device_id);
        if (!d)
            return false;
        d->events++;
        int64_t ts = stormlog_event_timestamp_ns(ev);
        if (allocated > d->peak_bytes) {
            d->peak_bytes = allocated;
            d->has_peak_time = true;
            d->peak_timestamp_ns = ts;
        }
        d->final_bytes = allocated; /* events are in time order */
        if (strcmp(type, "allocation") == 0) {
            d->allocations++;
        } else if (strcmp(type, "deallocation") == 0) {
            d->frees++;
        } else if (strcmp(type, "error") == 0) {
            json_object *meta = stormlog_event_metadata_json(ev);
            note_error(d, ev, meta);
            json_object_put(meta);
        } else if (strcmp(type, "stop") == 0) {
            last_stop = ev;
        }
        /* The writer reports drops on whichever record it writes next. */
        if (metadata_mentions(ev, "dropped_events_total")) {
            json_object *meta = stormlog_event_metadata_json(ev);
            int64_t dropped;
            if (cli_meta_int(meta, "dropped_events_total", &dropped) &&
                (!s->has_dropped_total || dropped > s->dropped_total)) {
                s->has_dropped_total = true;
                s->dropped_total = dropped;
            }
            json_object_put(meta);
        }
    }
    if (last_stop) {
        json_object *meta = stormlog_event_metadata_json(last_stop);
        bool ok = apply_stop_books(s, meta);
        json_object_put(meta);
        if (!ok)
            return false;
    }
    for (size_t i = 0; i < s->device_count; i++)
        if (s->devices[i].peak_bytes < 0)
            s->devices[i].peak_bytes = 0;
    return true;
}

static int compare_ranks(const void *a, const void *b)
{
    int64_t x = ((const summary_rank *)a)->rank, y = ((const summary_rank *)b)->rank;
    return (x > y) - (x < y);
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static uint64_t distance(int64_t a, int64_t b)
{
    return a > b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
}

static const char *info_string(json_object *info, const char *key)
{
    json_object *v;
    if (!info || !json_object_object_get_ex(info, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* The cross-rank view: each rank's largest GPU peak (device_id >= 0; pinned
 * host memory, device -1, is not what ranks compete for). */
static bool summarise_job(summary_report *r)
{
    summary_job *job = &r->job;
    summary_rank *ranks = calloc(r->session_count ? r->session_count : 1, sizeof *ranks);
    if (!ranks)
        return false;
    size_t count = 0;
    for (size_t i = 0; i < r->session_count; i++) {
        summary_session *s = &r->sessions[i];
        json_object *v;
        int64_t rank = 0;
        if (json_object_object_get_ex(s->info, "rank", &v) && json_object_is_type(v, json_type_int))
            rank = json_object_get_int64(v);
        summary_rank *k = NULL;
        for (size_t j = 0; j < count && !k; j++)
            if (ranks[j].rank == rank)
                k = &ranks[j];
        if (!k) {
            k = &ranks[count++];
            k->rank = rank;
        }
        k->sessions++;
        for (size_t d = 0; d < s->device_count; d++) {
            const summary_device *dev = &s->devices[d];
            if (dev->device_id < 0)
                continue;
            if (!k->has_device || dev->peak_bytes > k->peak_bytes) {
                k->has_device = true;
                k->device_id = dev->device_id;
                k->peak_bytes = dev->peak_bytes;
                k->has_peak_time = dev->has_peak_time;
                k->peak_timestamp_ns = dev->peak_timestamp_ns;
            }
        }
        const char *id = info_string(s->info, "job_id");
        if (i == 0)
            job->job_id = id;
        else if ((id == NULL) != (job->job_id == NULL) || (id && strcmp(id, job->job_id) != 0))
            job->mixed_job_ids = true;
    }
    job->ranks = ranks;
    job->rank_count = count;
    job->present = count >= 2;
    if (job->mixed_job_ids)
        job->job_id = NULL;
    if (!job->present)
        return true;
    qsort(ranks, count, sizeof *ranks, compare_ranks);
    int64_t *peaks = malloc(count * sizeof *peaks);
    if (!peaks)
        return false;
    for (size_t i = 0; i < count; i++)
        peaks[i] = ranks[i].peak_bytes;
    qsort(peaks, count, sizeof *peaks, compare_i64);
    /* The lower-middle plus half the gap: the usual median, floored. */
    int64_t lo = peaks[(count - 1) / 2], hi = peaks[count / 2];
    job->median_peak_bytes = lo + (int64_t)(((uint64_t)hi - (uint64_t)lo) / 2);
    free(peaks);
    /* Ties go to the lowest rank (ranks are sorted): strict comparisons. */
    for (size_t i = 1; i < count; i++) {
        if (ranks[i].peak_bytes > ranks[job->highest].peak_bytes)
            job->highest = i;
        if (distance(ranks[i].peak_bytes, job->median_peak_bytes) >
            distance(ranks[job->furthest].peak_bytes, job->median_peak_bytes))
            job->furthest = i;
    }
    return true;
}

static bool summarise_one(void *sessions, size_t i)
{
    summary_session *s = &((summary_session *)sessions)[i];
    s->info = stormlog_session_summary_json(s->session);
    return s->info && summarise_session(s);
}

bool summary_compute(const stormlog_recording *rec, summary_report *out)
{
    memset(out, 0, sizeof *out);
    size_t n = stormlog_recording_session_count(rec);
    out->default_session = stormlog_recording_default_session(rec);
    out->sessions = calloc(n ? n : 1, sizeof *out->sessions);
    if (!out->sessions)
        return false;
    out->session_count = n;
    for (size_t i = 0; i < n; i++)
        out->sessions[i].session = stormlog_recording_session(rec, i);
    /* Each session's pass over its own events is independent of the others'. */
    if (!cli_parallel_for(n, summarise_one, out->sessions))
        return false;
    return summarise_job(out);
}

void summary_free(summary_report *r)
{
    for (size_t i = 0; i < r->session_count; i++) {
        json_object_put(r->sessions[i].info);
        free(r->sessions[i].devices);
    }
    free(r->sessions);
    free(r->job.ranks);
    memset(r, 0, sizeof *r);
}
