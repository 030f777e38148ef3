/* The sink manifest (telemetry_sink.py read_telemetry_sink_manifest), read
 * leniently: anything unreadable means "no manifest", malformed entries are
 * skipped, numbers go through Python's int(). Beyond upstream: a segment
 * filename that is not a plain file name is ignored, never followed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pytext.h"
#include "stormlog/schema/sink_names.h"

/* Python int(str): surrounding whitespace, a sign, decimal digits (any
 * script) with single underscores between them. */
static bool py_int_text(const char *s, size_t n, int64_t *out)
{
    sl_py_strip(&s, &n);
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    if (i == n)
        return false;
    unsigned __int128 acc = 0;
    bool prev_digit = false;
    while (i < n) {
        if (s[i] == '_') {
            if (!prev_digit || i + 1 == n)
                return false;
            prev_digit = false;
            i++;
            continue;
        }
        size_t adv;
        uint32_t cp = sl_utf8_decode(s + i, n - i, &adv);
        int d = sl_unicode_isdigit(cp) == 1 ? sl_unicode_decimal_value(cp) : -1;
        if (d < 0)
            return false;
        acc = acc * 10 + (unsigned)d;
        if (acc > (unsigned __int128)INT64_MAX + 1)
            return false;
        prev_digit = true;
        i += adv;
    }
    if (!prev_digit)
        return false;
    if (!neg && acc > (unsigned __int128)INT64_MAX)
        return false;
    *out = neg ? (int64_t)(-(__int128)acc) : (int64_t)acc;
    return true;
}

bool sl_py_int(json_object *v, int64_t *out)
{
    if (!v)
        return false;
    if (sl_bigint_digits(v))
        return false; /* beyond int64: not representable here */
    switch (json_object_get_type(v)) {
    case json_type_boolean:
        *out = json_object_get_boolean(v) ? 1 : 0;
        return true;
    case json_type_int: {
        bool is_int;
        sl_wint w;
        if (!sl_json_get_wint(v, &is_int, &w) || w > INT64_MAX)
            return false;
        *out = (int64_t)w;
        return true;
    }
    case json_type_double: {
        double d = json_object_get_double(v);
        if (!isfinite(d))
            return false;
        d = trunc(d);
        if (d < -0x1p63 || d >= 0x1p63)
            return false;
        *out = (int64_t)d;
        return true;
    }
    case json_type_string:
        return py_int_text(json_object_get_string(v), (size_t)json_object_get_string_len(v), out);
    default:
        return false;
    }
}

static bool nonblank_string(json_object *v)
{
    return v && json_object_get_type(v) == json_type_string &&
           !sl_py_is_blank(json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

/* _coerce_manifest_int: int() or the default, and the default below a minimum. */
static int64_t manifest_int(json_object *obj, const char *key, int64_t dflt, int64_t minimum)
{
    bool present;
    json_object *v = NULL;
    present = json_object_object_get_ex(obj, key, &v);
    int64_t out;
    if (!present)
        return dflt;
    if (!sl_py_int(v, &out) || out < minimum)
        return dflt;
    return out;
}

/* session_summary_from_dict; false (entry skipped) where it raises. */
static bool parse_session(json_object *raw, sl_manifest_session *out)
{
    json_object *v;
    memset(out, 0, sizeof *out);
    json_object *sid = json_object_object_get_ex(raw, "session_id", &v) ? v : NULL;
    if (!nonblank_string(sid))
        return false;
    json_object *source = json_object_object_get_ex(raw, "source", &v) ? v : NULL;
    if (!nonblank_string(source))
        return false;
    json_object *status = json_object_object_get_ex(raw, "status", &v) ? v : NULL;
    if (!nonblank_string(status))
        return false;
    const char *st = json_object_get_string(status);
    size_t stn = (size_t)json_object_get_string_len(status);
    sl_py_strip(&st, &stn);
    char low[16];
    if (stn >= sizeof low)
        return false;
    for (size_t i = 0; i < stn; i++)
        low[i] = (st[i] >= 'A' && st[i] <= 'Z') ? (char)(st[i] | 0x20) : st[i];
    int rank = sl_status_rank(low, stn);
    if (rank < 0)
        return false;
    json_object *started = json_object_object_get_ex(raw, "started_at_ns", &v) ? v : NULL;
    int64_t started_ns, ended_ns = 0;
    if (!started || !sl_py_int(started, &started_ns))
        return false;
    json_object *ended = json_object_object_get_ex(raw, "ended_at_ns", &v) ? v : NULL;
    bool has_ended = ended != NULL;
    if (has_ended && !sl_py_int(ended, &ended_ns))
        return false;
    json_object *host = json_object_object_get_ex(raw, "host", &v) ? v : NULL;
    if (!nonblank_string(host))
        return false;
    int64_t pid = -1, srank = 0, local_rank = 0, world_size = 1;
    if (json_object_object_get_ex(raw, "pid", &v) && !sl_py_int(v, &pid))
        return false;
    if (json_object_object_get_ex(raw, "rank", &v) && !sl_py_int(v, &srank))
        return false;
    if (json_object_object_get_ex(raw, "local_rank", &v) && !sl_py_int(v, &local_rank))
        return false;
    if (json_object_object_get_ex(raw, "world_size", &v) && !sl_py_int(v, &world_size))
        return false;
    if (world_size < 1)
        world_size = 1;
    json_object *job_id = json_object_object_get_ex(raw, "job_id", &v) ? v : NULL;

    json_object *s = json_object_new_object();
    if (!s)
        return false;
    json_object_object_add(s, "session_id", json_object_get(sid));
    json_object_object_add(s, "status", json_object_new_string(sl_status_name(rank)));
    json_object_object_add(s, "started_at_ns", json_object_new_int64(started_ns));
    json_object_object_add(s, "ended_at_ns", has_ended ? json_object_new_int64(ended_ns) : NULL);
    json_object_object_add(s, "host", json_object_get(host));
    json_object_object_add(s, "pid", json_object_new_int64(pid));
    json_object_object_add(s, "job_id", json_object_get(job_id));
    json_object_object_add(s, "rank", json_object_new_int64(srank));
    json_object_object_add(s, "local_rank", json_object_new_int64(local_rank));
    json_object_object_add(s, "world_size", json_object_new_int64(world_size));
    json_object_object_add(s, "source", json_object_get(source));
    out->summary = s;
    out->session_id = strndup(json_object_get_string(sid), (size_t)json_object_get_string_len(sid));
    if (!out->session_id || json_object_object_length(s) != 11) {
        json_object_put(s);
        free(out->session_id);
        return false;
    }
    out->status_rank = rank;
    out->started = started_ns;
    out->ended = ended_ns;
    out->has_ended = has_ended;
    return true;
}

sl_manifest *sl_manifest_read(const char *manifest_path)
{
    sl_fail_info f;
    sl_fail_init(&f);
    size_t len;
    char *text = sl_read_whole_file(manifest_path, &len, &f);
    if (!text)
        return NULL;
    json_tokener *tok = sl_json_tokener_new();
    const char *why = NULL;
    size_t where;
    json_object *payload = tok ? sl_json_parse(tok, text, len, &why, &where) : NULL;
    if (tok)
        json_tokener_free(tok);
    free(text);
    if (!payload || json_object_get_type(payload) != json_type_object) {
        json_object_put(payload);
        return NULL;
    }
    sl_manifest *m = calloc(1, sizeof *m);
    if (!m) {
        json_object_put(payload);
        return NULL;
    }
    m->schema_version = manifest_int(payload, "schema_version", 1, 1);
    json_object *v;
    if (m->schema_version >= 2 && json_object_object_get_ex(payload, "sessions", &v) &&
        json_object_get_type(v) == json_type_array) {
        size_t n = json_object_array_length(v);
        m->sessions = calloc(n ? n : 1, sizeof *m->sessions);
        for (size_t i = 0; m->sessions && i < n; i++) {
            json_object *raw = json_object_array_get_idx(v, i);
            if (json_object_get_type(raw) == json_type_object &&
                parse_session(raw, &m->sessions[m->session_count]))
                m->session_count++;
        }
    }
    if (json_object_object_get_ex(payload, "segments", &v) &&
        json_object_get_type(v) == json_type_array) {
        size_t n = json_object_array_length(v);
        m->segments = calloc(n ? n : 1, sizeof *m->segments);
        for (size_t i = 0; m->segments && i < n; i++) {
            json_object *raw = json_object_array_get_idx(v, i);
            json_object *name, *sid;
            if (json_object_get_type(raw) != json_type_object ||
                !json_object_object_get_ex(raw, "filename", &name) ||
                json_object_get_type(name) != json_type_string)
                continue;
            const char *s = json_object_get_string(name);
            size_t sn = (size_t)json_object_get_string_len(name);
            if (!sl_sink_is_plain_name(s, sn)) {
                if (!m->unsafe_names)
                    m->unsafe_names = calloc(n, sizeof *m->unsafe_names);
                if (m->unsafe_names && (m->unsafe_names[m->unsafe_count] = strndup(s, sn)))
                    m->unsafe_count++;
                continue;
            }
            sl_manifest_segment *seg = &m->segments[m->segment_count];
            seg->filename = strndup(s, sn);
            seg->session_id = NULL;
            if (json_object_object_get_ex(raw, "session_id", &sid) &&
                json_object_get_type(sid) == json_type_string)
                seg->session_id =
                    strndup(json_object_get_string(sid), (size_t)json_object_get_string_len(sid));
            if (!seg->filename) {
                free(seg->session_id);
                continue;
            }
            m->segment_count++;
        }
    }
    json_object_put(payload);
    return m;
}

void sl_manifest_free(sl_manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->session_count; i++) {
        json_object_put(m->sessions[i].summary);
        free(m->sessions[i].session_id);
    }
    for (size_t i = 0; i < m->segment_count; i++) {
        free(m->segments[i].filename);
        free(m->segments[i].session_id);
    }
    for (size_t i = 0; i < m->unsafe_count; i++)
        free(m->unsafe_names[i]);
    free(m->unsafe_names);
    free(m->sessions);
    free(m->segments);
    free(m);
}
