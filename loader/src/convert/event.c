/* One event: typed getters, its v3 dictionary as json-c, and the
 * single-record entry points (telemetry_event_from_record). */
#include <stdlib.h>
#include <string.h>

#include "jsoninput.h"

json_object *sl_int_json(const stormlog_event *ev, sl_field f)
{
    if (ev->null_mask & (1u << f))
        return NULL;
    if (ev->wide_mask & (1u << f))
        return sl_wint_json(ev->wide[f]);
    return json_object_new_int64(ev->ival[f]);
}

static bool is_int_field(int f)
{
    switch (f) {
    case STORMLOG_TIMESTAMP_NS: case STORMLOG_SAMPLING_INTERVAL_MS: case STORMLOG_PID:
    case STORMLOG_DEVICE_ID: case STORMLOG_ALLOCATOR_ALLOCATED_BYTES:
    case STORMLOG_ALLOCATOR_RESERVED_BYTES: case STORMLOG_ALLOCATOR_ACTIVE_BYTES:
    case STORMLOG_ALLOCATOR_INACTIVE_BYTES: case STORMLOG_ALLOCATOR_CHANGE_BYTES:
    case STORMLOG_DEVICE_USED_BYTES: case STORMLOG_DEVICE_FREE_BYTES:
    case STORMLOG_DEVICE_TOTAL_BYTES: case STORMLOG_RANK: case STORMLOG_LOCAL_RANK:
    case STORMLOG_WORLD_SIZE:
        return true;
    default:
        return false;
    }
}

bool stormlog_event_int(const stormlog_event *ev, stormlog_int_field field, int64_t *out)
{
    if (!ev || !is_int_field((int)field) || (ev->null_mask & (1u << field)))
        return false;
    if (out)
        *out = ev->ival[field];
    return true;
}

int64_t stormlog_event_timestamp_ns(const stormlog_event *ev)
{
    return ev ? ev->ival[SL_F_TIMESTAMP_NS] : 0;
}

const char *stormlog_event_session_id(const stormlog_event *ev) { return ev ? ev->session_id.ptr : NULL; }
const char *stormlog_event_type(const stormlog_event *ev) { return ev ? ev->event_type.ptr : NULL; }
const char *stormlog_event_collector(const stormlog_event *ev) { return ev ? ev->collector.ptr : NULL; }
const char *stormlog_event_host(const stormlog_event *ev) { return ev ? ev->host.ptr : NULL; }
const char *stormlog_event_context(const stormlog_event *ev) { return ev ? ev->context.ptr : NULL; }
const char *stormlog_event_job_id(const stormlog_event *ev) { return ev ? ev->job_id.ptr : NULL; }

const char *stormlog_event_metadata_text(const stormlog_event *ev, size_t *len)
{
    if (!ev)
        return NULL;
    if (len)
        *len = ev->metadata_json.len;
    return ev->metadata_json.ptr;
}

json_object *stormlog_event_metadata_json(const stormlog_event *ev)
{
    if (!ev)
        return NULL;
    json_tokener *tok = sl_json_tokener_new();
    if (!tok)
        return NULL;
    const char *why;
    size_t where;
    json_object *md = sl_json_parse(tok, ev->metadata_json.ptr, ev->metadata_json.len, &why, &where);
    json_tokener_free(tok);
    return why ? NULL : md;
}

static json_object *str_json(sl_str s)
{
    return s.ptr ? json_object_new_string_len(s.ptr, (int)s.len) : NULL;
}

json_object *stormlog_event_json(const stormlog_event *ev)
{
    if (!ev)
        return NULL;
    json_object *md = stormlog_event_metadata_json(ev);
    json_object *o = json_object_new_object();
    if (!o || !md) {
        json_object_put(o);
        json_object_put(md);
        return NULL;
    }
    /* telemetry_event_to_dict's key order. */
    json_object_object_add(o, "schema_version", json_object_new_int(3));
    json_object_object_add(o, "session_id", str_json(ev->session_id));
    json_object_object_add(o, "timestamp_ns", sl_int_json(ev, SL_F_TIMESTAMP_NS));
    json_object_object_add(o, "event_type", str_json(ev->event_type));
    json_object_object_add(o, "collector", str_json(ev->collector));
    json_object_object_add(o, "sampling_interval_ms", sl_int_json(ev, SL_F_SAMPLING_INTERVAL_MS));
    json_object_object_add(o, "pid", sl_int_json(ev, SL_F_PID));
    json_object_object_add(o, "host", str_json(ev->host));
    json_object_object_add(o, "job_id", str_json(ev->job_id));
    json_object_object_add(o, "rank", sl_int_json(ev, SL_F_RANK));
    json_object_object_add(o, "local_rank", sl_int_json(ev, SL_F_LOCAL_RANK));
    json_object_object_add(o, "world_size", sl_int_json(ev, SL_F_WORLD_SIZE));
    static const sl_field counters[] = {
        SL_F_DEVICE_ID, SL_F_ALLOCATOR_ALLOCATED_BYTES, SL_F_ALLOCATOR_RESERVED_BYTES,
        SL_F_ALLOCATOR_ACTIVE_BYTES, SL_F_ALLOCATOR_INACTIVE_BYTES, SL_F_ALLOCATOR_CHANGE_BYTES,
        SL_F_DEVICE_USED_BYTES, SL_F_DEVICE_FREE_BYTES, SL_F_DEVICE_TOTAL_BYTES};
    for (size_t i = 0; i < sizeof counters / sizeof *counters; i++)
        json_object_object_add(o, sl_field_name(counters[i]), sl_int_json(ev, counters[i]));
    json_object_object_add(o, "context", str_json(ev->context));
    json_object_object_add(o, "metadata", md);
    if (json_object_object_length(o) != SL_F_COUNT) {
        json_object_put(o); /* an allocation inside failed */
        return NULL;
    }
    return o;
}

/* ---- single events: they own their strings ---- */

typedef struct owned_event {
    stormlog_event ev; /* first: a stormlog_event * is an owned_event * */
    sl_arena arena;
} owned_event;

stormlog_status stormlog_event_from_json(json_object *record, const stormlog_options *opts,
                                         const char *default_session_id, stormlog_event **out,
                                         stormlog_error **err)
{
    sl_fail_info f;
    sl_fail_init(&f);
    if (out)
        *out = NULL;
    if (!out)
        return sl_fail_now(&f, err, STORMLOG_E_INVALID_ARGUMENT, "stormlog_event_from_json: out is required");
    stormlog_options defaults;
    opts = sl_options_or_defaults(opts, &defaults);
    owned_event *oe = calloc(1, sizeof *oe);
    if (!oe)
        return sl_fail_now(&f, err, STORMLOG_E_NO_MEMORY, "out of memory");
    sl_arena_init(&oe->arena);
    sl_event_alloc al = {.arena = &oe->arena};
    sl_convert_ctx ctx = {opts->permissive_legacy, default_session_id, &al, NULL, 0};
    if (!sl_event_from_record(record, &ctx, &oe->ev, &f)) {
        sl_arena_free(&oe->arena);
        free(oe);
        sl_fail_publish(&f, err);
        return f.code;
    }
    *out = &oe->ev;
    return STORMLOG_OK;
}

stormlog_status stormlog_event_from_file(const char *path, const stormlog_options *opts,
                                         stormlog_event **out, stormlog_error **err)
{
    sl_fail_info f;
    sl_fail_init(&f);
    if (out)
        *out = NULL;
    json_object *doc;
    if (!path || !sl_json_input_parse(path, &doc, &f)) {
        if (!path)
            sl_failf(&f, STORMLOG_E_INVALID_ARGUMENT, "stormlog_event_from_file: path is required");
        sl_fail_publish(&f, err);
        return f.code;
    }
    stormlog_status st = stormlog_event_from_json(doc, opts, NULL, out, err);
    if (st != STORMLOG_OK && err && *err && !(*err)->file && (*err)->code != STORMLOG_E_NO_MEMORY)
        (*err)->file = strdup(path);
    json_object_put(doc);
    return st;
}

void stormlog_event_free(stormlog_event *ev)
{
    if (!ev)
        return;
    owned_event *oe = (owned_event *)ev;
    sl_arena_free(&oe->arena);
    free(oe);
}
