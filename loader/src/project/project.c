/* Projection into the backend-neutral envelope (stormlog telemetry_model.py,
 * schema 1) and the record id: "telemetry-" + the first 32 hex digits of
 * SHA-256 over json.dumps(event_dict, sort_keys=True). The canonical bytes
 * come from the schema core's encoder (sl_canonical_jsonc); the digest from
 * libcrypto. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "convert.h"
#include "pytext.h"
#include "stormlog/schema/jsonc.h"

/* The event dictionary, keys in sorted order, through the schema writer. */
static void write_int(sl_json_writer *w, const stormlog_event *ev, sl_field f)
{
    if (ev->null_mask & (1u << f)) {
        sl_jw_null(w);
    } else if (ev->wide_mask & (1u << f)) {
        char buf[48];
        sl_jw_raw(w, buf, sl_wint_format(ev->wide[f], buf));
    } else {
        sl_jw_int(w, ev->ival[f]);
    }
}

static void write_str(sl_json_writer *w, sl_str s)
{
    if (s.ptr)
        sl_jw_string(w, s.ptr, s.len);
    else
        sl_jw_null(w);
}

static void write_event_dict(sl_json_writer *w, const stormlog_event *ev, json_object *metadata)
{
    /* Every key of telemetry_event_to_dict, in byte order. */
    static const sl_field sorted[] = {
        SL_F_ALLOCATOR_ACTIVE_BYTES, SL_F_ALLOCATOR_ALLOCATED_BYTES, SL_F_ALLOCATOR_CHANGE_BYTES,
        SL_F_ALLOCATOR_INACTIVE_BYTES, SL_F_ALLOCATOR_RESERVED_BYTES, SL_F_COLLECTOR, SL_F_CONTEXT,
        SL_F_DEVICE_FREE_BYTES, SL_F_DEVICE_ID, SL_F_DEVICE_TOTAL_BYTES, SL_F_DEVICE_USED_BYTES,
        SL_F_EVENT_TYPE, SL_F_HOST, SL_F_JOB_ID, SL_F_LOCAL_RANK, SL_F_METADATA, SL_F_PID,
        SL_F_RANK, SL_F_SAMPLING_INTERVAL_MS, SL_F_SCHEMA_VERSION, SL_F_SESSION_ID,
        SL_F_TIMESTAMP_NS, SL_F_WORLD_SIZE};
    sl_jw_begin_object(w);
    for (size_t i = 0; i < sizeof sorted / sizeof *sorted; i++) {
        sl_field f = sorted[i];
        const char *key = sl_field_name(f);
        sl_jw_key(w, key, strlen(key));
        switch (f) {
        case SL_F_SCHEMA_VERSION: sl_jw_int(w, 3); break;
        case SL_F_SESSION_ID: write_str(w, ev->session_id); break;
        case SL_F_EVENT_TYPE: write_str(w, ev->event_type); break;
        case SL_F_COLLECTOR: write_str(w, ev->collector); break;
        case SL_F_HOST: write_str(w, ev->host); break;
        case SL_F_CONTEXT: write_str(w, ev->context); break;
        case SL_F_JOB_ID: write_str(w, ev->job_id); break;
        case SL_F_METADATA: sl_jw_jsonc(w, metadata); break;
        default: write_int(w, ev, f); break;
        }
    }
    sl_jw_end_object(w);
}

stormlog_status stormlog_event_record_id(const stormlog_event *ev, char out[43])
{
    if (!ev || !out)
        return STORMLOG_E_INVALID_ARGUMENT;
    json_object *metadata = stormlog_event_metadata_json(ev);
    if (!metadata)
        return STORMLOG_E_NO_MEMORY;
    char stackbuf[4096];
    char *buf = stackbuf;
    size_t cap = sizeof stackbuf, len = 0;
    sl_json_writer w;
    sl_jw_init(&w, buf, cap);
    write_event_dict(&w, ev, metadata);
    sl_encode_status st = sl_jw_finish(&w, &len);
    if (st == SL_ENCODE_TRUNCATED) {
        cap = len + 1;
        buf = malloc(cap);
        if (buf) {
            sl_jw_init(&w, buf, cap);
            write_event_dict(&w, ev, metadata);
            st = sl_jw_finish(&w, &len);
        }
    }
    json_object_put(metadata);
    stormlog_status result = STORMLOG_OK;
    if (!buf)
        result = STORMLOG_E_NO_MEMORY;
    else if (st != SL_ENCODE_OK)
        result = STORMLOG_E_LIMIT;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (result == STORMLOG_OK && (!EVP_Digest(buf, len, digest, &dlen, EVP_sha256(), NULL) || dlen < 16))
        result = STORMLOG_E_NO_MEMORY;
    if (buf != stackbuf)
        free(buf);
    if (result != STORMLOG_OK)
        return result;
    memcpy(out, "telemetry-", 10);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[10 + 2 * i] = hex[digest[i] >> 4];
        out[11 + 2 * i] = hex[digest[i] & 15];
    }
    out[42] = '\0';
    return STORMLOG_OK;
}

static bool nonblank(json_object *v)
{
    return v && json_object_get_type(v) == json_type_string &&
           !sl_py_is_blank(json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

/* s.strip().lower() as a new json-c string. */
static json_object *stripped_lower(json_object *v)
{
    const char *s = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    sl_py_strip(&s, &n);
    char *low = malloc(n + 1);
    if (!low)
        return NULL;
    for (size_t i = 0; i < n; i++)
        low[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] | 0x20) : s[i];
    json_object *o = json_object_new_string_len(low, (int)n);
    free(low);
    return o;
}

static json_object *source_kind(const stormlog_event *ev, json_object *metadata)
{
    json_object *backend = sl_get(metadata, "backend", NULL);
    if (nonblank(backend))
        return stripped_lower(backend);
    static const char *const candidates[] = {"cuda", "rocm", "mps", "cpu", "tensorflow"};
    char *low = strndup(ev->collector.ptr, ev->collector.len);
    if (!low)
        return NULL;
    for (char *p = low; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p | 0x20);
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++) {
        if (strstr(low, candidates[i])) {
            free(low);
            return json_object_new_string(candidates[i]);
        }
    }
    free(low);
    return json_object_new_string(ev->ival[SL_F_DEVICE_ID] >= 0 ? "gpu" : "other");
}

static json_object *stage(json_object *metadata)
{
    json_object *scope = sl_get(metadata, "phase_scope", NULL);
    if (json_object_get_type(scope) != json_type_object)
        return NULL;
    json_object *name = sl_get(scope, "name", NULL);
    if (nonblank(name))
        return json_object_get(name);
    json_object *path = sl_get(scope, "path", NULL);
    if (json_object_get_type(path) == json_type_array && json_object_array_length(path) > 0) {
        json_object *tail = json_object_array_get_idx(path, json_object_array_length(path) - 1);
        if (nonblank(tail))
            return json_object_get(tail);
    }
    return NULL;
}

static json_object *severity(const stormlog_event *ev, json_object *metadata)
{
    json_object *explicit_value = sl_get(metadata, "severity", NULL);
    if (nonblank(explicit_value))
        return stripped_lower(explicit_value);
    static const char *const table[][2] = {
        {"critical", "critical"}, {"error", "error"}, {"warning", "warning"},
        {"collector_degraded", "warning"}, {"collector_recovered", "info"}, {"start", "info"},
        {"stop", "info"}, {"phase_enter", "info"}, {"phase_exit", "info"}, {"sample", "info"}};
    const char *s = ev->event_type.ptr;
    size_t n = ev->event_type.len;
    sl_py_strip(&s, &n);
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        if (strlen(table[i][0]) != n)
            continue;
        size_t k = 0;
        while (k < n && ((s[k] >= 'A' && s[k] <= 'Z') ? (s[k] | 0x20) : s[k]) == table[i][0][k])
            k++;
        if (k == n)
            return json_object_new_string(table[i][1]);
    }
    return NULL;
}

static json_object *str_or_null(sl_str s)
{
    return s.ptr ? json_object_new_string_len(s.ptr, (int)s.len) : NULL;
}

static json_object *resource(const stormlog_event *ev, json_object *kind)
{
    json_object *r = json_object_new_object();
    if (!r)
        return NULL;
    json_object_object_add(r, "source_kind", json_object_get(kind));
    json_object_object_add(r, "collector", str_or_null(ev->collector));
    json_object_object_add(r, "host", str_or_null(ev->host));
    json_object_object_add(r, "pid", sl_int_json(ev, SL_F_PID));
    json_object_object_add(r, "device_id", sl_int_json(ev, SL_F_DEVICE_ID));
    json_object_object_add(r, "job_id", str_or_null(ev->job_id));
    json_object_object_add(r, "rank", sl_int_json(ev, SL_F_RANK));
    json_object_object_add(r, "local_rank", sl_int_json(ev, SL_F_LOCAL_RANK));
    json_object_object_add(r, "world_size", sl_int_json(ev, SL_F_WORLD_SIZE));
    return r;
}

static json_object *correlation(const stormlog_event *ev, json_object *metadata)
{
    json_object *c = json_object_new_object();
    if (!c)
        return NULL;
    json_object_object_add(c, "session_id", str_or_null(ev->session_id));
    json_object_object_add(c, "job_id", str_or_null(ev->job_id));
    json_object_object_add(c, "rank", sl_int_json(ev, SL_F_RANK));
    json_object_object_add(c, "local_rank", sl_int_json(ev, SL_F_LOCAL_RANK));
    json_object_object_add(c, "world_size", sl_int_json(ev, SL_F_WORLD_SIZE));
    json_object *scope = sl_get(metadata, "phase_scope", NULL);
    if (json_object_get_type(scope) == json_type_object) {
        static const char *const keys[][2] = {{"scope_id", "phase.scope_id"},
                                              {"parent_scope_id", "phase.parent_scope_id"},
                                              {"sequence", "phase.sequence"}};
        for (int i = 0; i < 3; i++) {
            json_object *v = sl_get(scope, keys[i][0], NULL);
            if (v)
                json_object_object_add(c, keys[i][1], json_object_get(v));
        }
    }
    return c;
}

static json_object *attributes(const stormlog_event *ev, json_object *metadata)
{
    json_object *a = json_object_new_object();
    if (!a)
        return NULL;
    json_object_object_foreach(metadata, key, val) {
        json_object_object_add(a, key, json_object_get(val));
    }
    static const struct {
        const char *name;
        sl_field field;
    } counters[] = {
        {"sampling.interval_ms", SL_F_SAMPLING_INTERVAL_MS},
        {"memory.allocator.allocated_bytes", SL_F_ALLOCATOR_ALLOCATED_BYTES},
        {"memory.allocator.reserved_bytes", SL_F_ALLOCATOR_RESERVED_BYTES},
        {"memory.allocator.active_bytes", SL_F_ALLOCATOR_ACTIVE_BYTES},
        {"memory.allocator.inactive_bytes", SL_F_ALLOCATOR_INACTIVE_BYTES},
        {"memory.allocator.change_bytes", SL_F_ALLOCATOR_CHANGE_BYTES},
        {"memory.device.used_bytes", SL_F_DEVICE_USED_BYTES},
        {"memory.device.free_bytes", SL_F_DEVICE_FREE_BYTES},
        {"memory.device.total_bytes", SL_F_DEVICE_TOTAL_BYTES},
    };
    for (size_t i = 0; i < sizeof counters / sizeof *counters; i++)
        json_object_object_add(a, counters[i].name, sl_int_json(ev, counters[i].field));
    return a;
}

json_object *stormlog_event_project_json(const stormlog_event *ev)
{
    if (!ev)
        return NULL;
    char record_id[43];
    if (stormlog_event_record_id(ev, record_id) != STORMLOG_OK)
        return NULL;
    json_object *metadata = stormlog_event_metadata_json(ev);
    json_object *o = json_object_new_object();
    json_object *kind = metadata ? source_kind(ev, metadata) : NULL;
    if (!metadata || !o || !kind) {
        json_object_put(metadata);
        json_object_put(o);
        json_object_put(kind);
        return NULL;
    }
    json_object *severity_text = sl_get(metadata, "severity_text", NULL);
    char *severity_str = severity_text ? sl_py_str(severity_text) : NULL;
    json_object_object_add(o, "schema_version", json_object_new_int(1));
    json_object_object_add(o, "record_id", json_object_new_string(record_id));
    json_object_object_add(o, "timestamp_ns", sl_int_json(ev, SL_F_TIMESTAMP_NS));
    json_object_object_add(o, "observed_timestamp_ns", sl_int_json(ev, SL_F_TIMESTAMP_NS));
    json_object_object_add(o, "session_id", str_or_null(ev->session_id));
    json_object_object_add(o, "source_kind", json_object_get(kind));
    json_object_object_add(o, "event_type", str_or_null(ev->event_type));
    json_object_object_add(o, "stage", stage(metadata));
    json_object_object_add(o, "severity", severity(ev, metadata));
    json_object_object_add(o, "severity_text", severity_str ? json_object_new_string(severity_str) : NULL);
    json_object_object_add(o, "body", str_or_null(ev->context));
    json_object_object_add(o, "resource", resource(ev, kind));
    json_object_object_add(o, "attributes", attributes(ev, metadata));
    json_object_object_add(o, "correlation", correlation(ev, metadata));
    free(severity_str);
    json_object_put(kind);
    json_object_put(metadata);
    return o;
}

/* Unique values in first-seen order, compared by their canonical encoding. */
static json_object *unique_of(const stormlog_session *s, bool resources)
{
    json_object *list = json_object_new_array();
    json_object *seen = json_object_new_object();
    if (!list || !seen) {
        json_object_put(list);
        json_object_put(seen);
        return NULL;
    }
    for (size_t i = 0; i < s->event_count; i++) {
        const stormlog_event *ev = s->events[i];
        json_object *metadata = stormlog_event_metadata_json(ev);
        json_object *kind = metadata ? source_kind(ev, metadata) : NULL;
        json_object *item = !metadata ? NULL : resources ? (kind ? resource(ev, kind) : NULL)
                                                         : correlation(ev, metadata);
        json_object_put(kind);
        json_object_put(metadata);
        char *key = item ? sl_canonical_jsonc(item, NULL) : NULL;
        if (!key) {
            json_object_put(item);
            json_object_put(list);
            json_object_put(seen);
            return NULL;
        }
        if (json_object_object_get_ex(seen, key, NULL)) {
            json_object_put(item);
        } else {
            json_object_object_add(seen, key, NULL);
            json_object_array_add(list, item);
        }
        free(key);
    }
    json_object_put(seen);
    return list;
}

json_object *stormlog_session_resources_json(const stormlog_session *s)
{
    return s ? unique_of(s, true) : NULL;
}

json_object *stormlog_session_correlations_json(const stormlog_session *s)
{
    return s ? unique_of(s, false) : NULL;
}
