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
#include <inttypes.h>
#include <stdio.h>
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
    if (!has_requested && !oom)
        return;
    d->failed++;
    if (oom) {
        d->oom_count++;
        d->oom_last++; /* until an allocation on the device succeeds */
    }
    if (d->oom_kept == SUMMARY_OOM_KEPT)
        return;
    summary_oom *o = &d->ooms[d->oom_kept++];
    memset(o, 0, sizeof *o);
    o->timestamp_ns = stormlog_event_timestamp_ns(ev);
    o->oom = oom;
    o->has_requested = has_requested;
    o->requested_bytes = has_requested ? requested : 0;
    o->has_code = cli_meta_int(meta, "error_code", &o->code);
    o->has_device_memory = stormlog_event_int(ev, STORMLOG_DEVICE_FREE_BYTES, &o->device_free_bytes) &&
                           stormlog_event_int(ev, STORMLOG_DEVICE_TOTAL_BYTES, &o->device_total_bytes);
    const char *api = cli_meta_string(meta, "api");
    snprintf(o->api, sizeof o->api, "%s", api ? api : "");
}

/* An allocation succeeded on the device: every OOM before it was survived
 * (a caching allocator freed its cache and retried), not the one that ended
 * the run. */
static void note_allocation(summary_device *d)
{
    d->oom_recovered += d->oom_last;
    d->oom_last = 0;
    /* Kept failures are in time order: only those since the last
     * allocation are new (constant work per allocation event). */
    for (size_t i = d->settled; i < d->oom_kept; i++)
        d->ooms[i].recovered = d->ooms[i].oom;
    d->settled = d->oom_kept;
}

/* "cudaFree", "hipHostFree", "cudaFreeAsync", "cuMemFree_v2": an API that
 * gives memory back. */
static bool is_free_api(const char *api)
{
    return strstr(api, "Free") != NULL;
}

/* The stop books' failed_calls: {"<api>": {"<code>": count, "other": count}}. */
static void apply_failed_calls(summary_session *s, json_object *meta)
{
    json_object *calls;
    if (!meta || !json_object_object_get_ex(meta, "failed_calls", &calls) ||
        !json_object_is_type(calls, json_type_object))
        return;
    s->has_failed_calls = true;
    json_object_object_foreach(calls, api, codes)
    {
        if (!json_object_is_type(codes, json_type_object))
            continue;
        json_object_object_foreach(codes, key, count)
        {
            if (!json_object_is_type(count, json_type_int))
                continue;
            int64_t n = json_object_get_int64(count);
            if (is_free_api(api))
                s->failed_frees += n;
            if (s->failed_call_count == SUMMARY_FAILED_CALLS_KEPT)
                continue;
            summary_failed_call *c = &s->failed_calls[s->failed_call_count++];
            snprintf(c->api, sizeof c->api, "%s", api);
            char *end;
            long long code = strtoll(key, &end, 10);
            c->has_code = *key != '\0' && *end == '\0';
            c->code = c->has_code ? code : 0;
            c->count = n;
            c->is_free = is_free_api(api);
        }
    }
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

bool summary_apply_stop(summary_session *s, json_object *meta)
{
    cli_meta_int(meta, "events_lost_to_disk", &s->lost_to_disk);
    bool ok = apply_stop_books(s, meta);
    apply_failed_calls(s, meta);
    return ok;
}

static bool summarise_session(summary_session *s)
{
    const stormlog_session *ses = s->session;
    size_t n = stormlog_session_event_count(ses);
    const stormlog_event *last_stop = NULL;
    for (size_t i = 0; i < n; i++) {
        const stormlog_event *ev = stormlog_session_event(ses, i);
        const char *type = stormlog_event_type(ev);
        if (i == 0) {
            const char *collector = stormlog_event_collector(ev);
            size_t len = collector ? strlen(collector) : 0;
            s->shim = len > 5 && strcmp(collector + len - 5, "_shim") == 0;
        }
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
            note_allocation(d);
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
        bool ok = summary_apply_stop(s, meta);
        json_object_put(meta);
        if (!ok)
            return false;
    }
    for (size_t i = 0; i < s->device_count; i++)
        if (s->devices[i].peak_bytes < 0)
            s->devices[i].peak_bytes = 0;
    return true;
}

void summary_print_disk_loss(const summary_session *s)
{
    if (s->lost_to_disk > 0)
        cli_printf(stdout, "  incomplete recording: %" PRId64 " events were lost to a full disk; the event list has gaps, "
               "counts and leaks come from the shim's stop summary\n",
               s->lost_to_disk);
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

/* The cross-rank view of some sessions (members[0..n), or all when members
 * is NULL): each rank's largest GPU peak (device_id >= 0; pinned host
 * memory, device -1, is not what ranks compete for). */
static bool summarise_job(summary_report *r, const size_t *members, size_t n, summary_job *job)
{
    summary_rank *ranks = calloc(n ? n : 1, sizeof *ranks);
    if (!ranks)
        return false;
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        summary_session *s = &r->sessions[members ? members[i] : i];
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

static int compare_groups(const void *a, const void *b)
{
    const summary_group *x = a, *y = b;
    /* Newest first; equal starts by job id, so that the order is stable. */
    if (x->newest_ns != y->newest_ns)
        return x->newest_ns < y->newest_ns ? 1 : -1;
    if ((x->job_id == NULL) != (y->job_id == NULL))
        return x->job_id == NULL ? 1 : -1;
    return x->job_id ? strcmp(x->job_id, y->job_id) : 0;
}

/* The sessions by job id: the processes of one run share it (a launcher's,
 * or STORMLOG_JOB_ID); processes without one form a group of their own. */
static bool group_by_job(summary_report *r)
{
    size_t n = r->session_count;
    size_t *group_of = malloc((n ? n : 1) * sizeof *group_of);
    r->groups = calloc(n ? n : 1, sizeof *r->groups);
    if (!group_of || !r->groups) {
        free(group_of);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const char *id = info_string(r->sessions[i].info, "job_id");
        int64_t started = r->sessions[i].started_at_ns;
        size_t k = 0;
        while (k < r->group_count && !((r->groups[k].job_id == NULL && id == NULL) ||
                                       (r->groups[k].job_id && id && strcmp(r->groups[k].job_id, id) == 0)))
            k++;
        summary_group *g = &r->groups[k];
        if (k == r->group_count) {
            r->group_count++;
            g->job_id = id;
            g->newest_ns = started;
        }
        g->member_count++;
        if (started > g->newest_ns)
            g->newest_ns = started;
        group_of[i] = k;
    }
    bool ok = true;
    for (size_t k = 0; k < r->group_count && ok; k++) {
        r->groups[k].members = malloc(r->groups[k].member_count * sizeof *r->groups[k].members);
        ok = r->groups[k].members != NULL;
        r->groups[k].member_count = 0;
    }
    for (size_t i = 0; i < n && ok; i++) {
        summary_group *g = &r->groups[group_of[i]];
        g->members[g->member_count++] = i;
    }
    free(group_of);
    if (ok)
        qsort(r->groups, r->group_count, sizeof *r->groups, compare_groups);
    return ok;
}

static bool summarise_one(void *sessions, size_t i)
{
    summary_session *s = &((summary_session *)sessions)[i];
    return summarise_session(s);
}

bool summary_compute(const stormlog_recording *rec, summary_report *out)
{
    if (!summary_sessions_read(rec, out))
        return false;
    size_t n = out->session_count;
    /* Each session's pass over its own events is independent of the others'. */
    if (!cli_parallel_for(n, summarise_one, out->sessions))
        return false;
    return summary_group_jobs(out);
}

bool summary_sessions_read(const stormlog_recording *rec, summary_report *out)
{
    memset(out, 0, sizeof *out);
    size_t n = stormlog_recording_session_count(rec);
    out->default_session = stormlog_recording_default_session(rec);
    out->sessions = calloc(n ? n : 1, sizeof *out->sessions);
    if (!out->sessions)
        return false;
    out->session_count = n;
    for (size_t i = 0; i < n; i++) {
        summary_session *s = &out->sessions[i];
        s->session = stormlog_recording_session(rec, i);
        s->is_default = s->session == out->default_session;
        s->info = stormlog_session_summary_json(s->session);
        if (!s->info)
            return false;
        s->id = stormlog_session_id(s->session);
        s->status = stormlog_session_status(s->session);
        s->event_count = stormlog_session_event_count(s->session);
        s->started_at_ns = stormlog_session_started_at_ns(s->session);
    }
    return true;
}

bool summary_group_jobs(summary_report *out)
{
    size_t n = out->session_count;
    if (!group_by_job(out))
        return false;
    for (size_t g = 0; g < out->group_count; g++) {
        summary_group *grp = &out->groups[g];
        if (!summarise_job(out, grp->members, grp->member_count, &grp->job))
            return false;
    }
    /* One job (or sessions without any): the table the callers always had. */
    if (out->group_count <= 1)
        return summarise_job(out, NULL, n, &out->job);
    return true;
}

void summary_free(summary_report *r)
{
    for (size_t i = 0; i < r->session_count; i++) {
        json_object_put(r->sessions[i].info);
        json_object_put(r->sessions[i].lifetime);
        free(r->sessions[i].devices);
    }
    free(r->sessions);
    for (size_t g = 0; g < r->group_count; g++) {
        free(r->groups[g].members);
        free(r->groups[g].job.ranks);
    }
    free(r->groups);
    free(r->job.ranks);
    memset(r, 0, sizeof *r);
}
