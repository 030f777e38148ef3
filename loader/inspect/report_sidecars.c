/* The report's model of a session read from the sidecars (summary_fast.c):
 * no event is parsed, so each chart is lifetime.json's timeline envelope,
 * the lowest and highest allocated bytes of every time slice of the whole
 * run (docs/lifetime.md), which keeps the shape and every peak. What only
 * the events know (reserved bytes, failed-allocation markers, NVTX phases,
 * live allocations) is left out, and the page says so. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

static json_object *member(json_object *o, const char *key)
{
    json_object *v;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static json_object *device_entry(json_object *lifetime, int64_t device_id)
{
    json_object *list = member(lifetime, "devices");
    for (size_t i = 0; list && json_object_is_type(list, json_type_array) && i < json_object_array_length(list); i++) {
        json_object *d = json_object_array_get_idx(list, i);
        int64_t id;
        if (cli_meta_int(d, "device_id", &id) && id == device_id)
            return d;
    }
    return NULL;
}

bool rp_envelope_series(const summary_session *sum, int64_t device_id, int64_t t0, int64_t t1, size_t columns,
                        ds_series *out)
{
    if (!ds_init(out, t0, t1, columns))
        return false;
    json_object *tl = member(device_entry(sum->lifetime, device_id), "timeline");
    json_object *mins = member(tl, "min"), *maxs = member(tl, "max");
    int64_t start, width;
    if (!cli_meta_int(tl, "start_ns", &start) || !cli_meta_int(tl, "bucket_ns", &width) || width <= 0 || !mins ||
        !maxs || !json_object_is_type(mins, json_type_array) || !json_object_is_type(maxs, json_type_array))
        return true;
    size_t n = json_object_array_length(mins);
    if (json_object_array_length(maxs) < n)
        n = json_object_array_length(maxs);
    for (size_t i = 0; i < n; i++) {
        json_object *lo = json_object_array_get_idx(mins, i), *hi = json_object_array_get_idx(maxs, i);
        if (!json_object_is_type(lo, json_type_int) || !json_object_is_type(hi, json_type_int))
            continue; /* a slice without events */
        /* Within a slice the order of low and high is not kept: the low
         * first, the high at its middle, so a column shows both. */
        int64_t at = start + (int64_t)i * width;
        ds_add(out, at, json_object_get_int64(lo));
        ds_add(out, at + width / 2, json_object_get_int64(hi));
    }
    return true;
}

bool rp_session_from_sidecars(rp_session *s, const summary_session *sum, size_t columns)
{
    memset(s, 0, sizeof *s);
    s->summary = sum;
    json_object *v;
    if (json_object_object_get_ex(sum->info, "rank", &v) && json_object_is_type(v, json_type_int))
        s->rank = json_object_get_int64(v);
    if (!cli_meta_int(sum->lifetime, "first_timestamp_ns", &s->t0) ||
        !cli_meta_int(sum->lifetime, "last_timestamp_ns", &s->t1) || sum->device_count == 0)
        return true;
    s->devices = calloc(sum->device_count, sizeof *s->devices);
    if (!s->devices)
        return false;
    for (size_t i = 0; i < sum->device_count; i++) {
        const summary_device *sd = &sum->devices[i];
        rp_device *d = &s->devices[s->device_count++];
        d->device_id = sd->device_id;
        d->events = sd->events;
        d->peak_bytes = sd->peak_bytes;
        d->peak_timestamp_ns = sd->has_peak_time ? sd->peak_timestamp_ns : s->t0;
        if (!ds_init(&d->reserved, s->t0, s->t1 > s->t0 ? s->t1 : s->t0 + 1, columns) ||
            !rp_envelope_series(sum, sd->device_id, s->t0, s->t1 > s->t0 ? s->t1 : s->t0 + 1, columns, &d->allocated))
            return false;
    }
    return true;
}
