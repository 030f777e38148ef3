/* The sink manifest (telemetry_sink.py read_telemetry_sink_manifest), read
 * leniently: anything unreadable means "no manifest", malformed entries are
 * skipped, numbers go through Python's int(). Beyond the reference: a segment
 * filename that is not a plain file name is ignored, never followed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pytext.h"
#include "stormlog/schema/sink_names.h"

/* Python's int() on a manifest value, exactly: the decimal digits (malloc'd,
 * no leading zeros, "-" for negatives) and the value clamped to 128 bits for
 * ordering. false where int() raises (the entry is then skipped or the
 * default taken). Python keeps any size, so nothing here may wrap or drop
 * a value that merely exceeds 64 bits. */
typedef struct py_int {
    sl_wint clamped;
    char *digits;
} py_int;

/* int(str): surrounding whitespace, a sign, decimal digits of any script
 * with single underscores between them, at most 4300 digits (Python's
 * int_max_str_digits; more is a ValueError). */
static char *py_int_text(const char *s, size_t n)
{
    sl_py_strip(&s, &n);
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    char *out = malloc(n + 2);
    if (!out)
        return NULL;
    size_t o = 0;
    if (neg)
        out[o++] = '-';
    size_t ndigits = 0;
    bool prev_digit = false;
    while (i < n) {
        if (s[i] == '_') {
            if (!prev_digit || i + 1 == n)
                goto bad;
            prev_digit = false;
            i++;
            continue;
        }
        size_t adv;
        uint32_t cp = sl_utf8_decode(s + i, n - i, &adv);
        int d = sl_unicode_isdigit(cp) == 1 ? sl_unicode_decimal_value(cp) : -1;
        if (d < 0)
            goto bad;
        ndigits++;
        if (!(d == 0 && o == (size_t)neg)) /* no leading zeros */
            out[o++] = (char)('0' + d);
        prev_digit = true;
        i += adv;
    }
    if (!prev_digit || ndigits > 4300)
        goto bad;
    if (o == (size_t)neg) /* all zeros: "0", never "-0" */
        o = 0, out[o++] = '0';
    out[o] = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

static bool py_int_of(json_object *v, py_int *out)
{
    out->digits = NULL;
    if (!v)
        return false;
    const char *big = sl_bigint_digits(v);
    char buf[48];
    switch (json_object_get_type(v)) {
    case json_type_boolean:
        out->digits = strdup(json_object_get_boolean(v) ? "1" : "0");
        break;
    case json_type_int: {
        bool is_int;
        sl_wint w;
        if (big)
            out->digits = strdup(big);
        else if (sl_json_get_wint(v, &is_int, &w) && sl_wint_format(w, buf))
            out->digits = strdup(buf);
        break;
    }
    case json_type_double: {
        double d = json_object_get_double(v);
        if (!isfinite(d)) /* int(nan) is a ValueError, int(inf) an OverflowError */
            return false;
        d = trunc(d);
        /* glibc prints a double's exact decimal value. */
        if (asprintf(&out->digits, "%.0f", d == 0 ? 0.0 : d) < 0)
            out->digits = NULL;
        break;
    }
    case json_type_string:
        out->digits = py_int_text(json_object_get_string(v), (size_t)json_object_get_string_len(v));
        break;
    default:
        return false;
    }
    if (!out->digits)
        return false;
    if (!sl_wint_parse(out->digits, strlen(out->digits), &out->clamped)) {
        const sl_wint max = (sl_wint)(((unsigned __int128)1 << 127) - 1);
        out->clamped = out->digits[0] == '-' ? -max - 1 : max;
    }
    return true;
}

/* The value as a json-c node that prints it exactly. */
static json_object *py_int_node(const py_int *v)
{
    sl_wint w;
    if (sl_wint_parse(v->digits, strlen(v->digits), &w))
        return sl_wint_json(w);
    return sl_bigint_new(v->digits, strlen(v->digits));
}

/* int() of an optional key: true when absent (*out keeps its default). */
static bool optional_int(json_object *raw, const char *key, py_int *out)
{
    json_object *v;
    if (!json_object_object_get_ex(raw, key, &v))
        return true;
    free(out->digits);
    return py_int_of(v, out);
}

static bool nonblank_string(json_object *v)
{
    return v && json_object_get_type(v) == json_type_string &&
           !sl_py_is_blank(json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

/* _coerce_manifest_int: int() or the default, and the default below a
 * minimum (compared on the clamped value: only the order matters here). */
static sl_wint manifest_int(json_object *obj, const char *key, sl_wint dflt, sl_wint minimum)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(obj, key, &v))
        return dflt;
    py_int p;
    bool ok = py_int_of(v, &p);
    free(p.digits);
    if (!ok || p.clamped < minimum)
        return dflt;
    return p.clamped;
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
    json_object *ended = json_object_object_get_ex(raw, "ended_at_ns", &v) ? v : NULL;
    json_object *host = json_object_object_get_ex(raw, "host", &v) ? v : NULL;
    /* Python's order of checks: started, ended, host, then the numbers. */
    py_int started_ns = {0}, ended_ns = {0}, pid = {0}, srank = {0}, local_rank = {0},
           world_size = {0};
    bool has_ended = ended != NULL && json_object_get_type(ended) != json_type_null;
    bool ok = started && json_object_get_type(started) != json_type_null &&
              py_int_of(started, &started_ns) && (!has_ended || py_int_of(ended, &ended_ns)) &&
              nonblank_string(host);
    pid = (py_int){-1, strdup("-1")};
    srank = (py_int){0, strdup("0")};
    local_rank = (py_int){0, strdup("0")};
    world_size = (py_int){1, strdup("1")};
    ok = ok && pid.digits && srank.digits && local_rank.digits && world_size.digits &&
         optional_int(raw, "pid", &pid) && optional_int(raw, "rank", &srank) &&
         optional_int(raw, "local_rank", &local_rank) &&
         optional_int(raw, "world_size", &world_size);
    if (ok && world_size.clamped < 1) { /* max(1, int(world_size)) */
        free(world_size.digits);
        world_size = (py_int){1, strdup("1")};
        ok = world_size.digits != NULL;
    }
    json_object *job_id = json_object_object_get_ex(raw, "job_id", &v) ? v : NULL;

    json_object *s = ok ? json_object_new_object() : NULL;
    if (s) {
        json_object_object_add(s, "session_id", json_object_get(sid));
        json_object_object_add(s, "status", json_object_new_string(sl_status_name(rank)));
        json_object_object_add(s, "started_at_ns", py_int_node(&started_ns));
        json_object_object_add(s, "ended_at_ns", has_ended ? py_int_node(&ended_ns) : NULL);
        json_object_object_add(s, "host", json_object_get(host));
        json_object_object_add(s, "pid", py_int_node(&pid));
        json_object_object_add(s, "job_id", json_object_get(job_id));
        json_object_object_add(s, "rank", py_int_node(&srank));
        json_object_object_add(s, "local_rank", py_int_node(&local_rank));
        json_object_object_add(s, "world_size", py_int_node(&world_size));
        json_object_object_add(s, "source", json_object_get(source));
        out->summary = s;
        out->session_id = strndup(json_object_get_string(sid), (size_t)json_object_get_string_len(sid));
        ok = out->session_id && json_object_object_length(s) == 11;
        if (!ok) {
            json_object_put(s);
            free(out->session_id);
        }
    }
    out->status_rank = rank;
    out->started = started_ns.clamped;
    out->ended = ended_ns.clamped;
    out->has_ended = has_ended;
    py_int *all[] = {&started_ns, &ended_ns, &pid, &srank, &local_rank, &world_size};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        free(all[i]->digits);
    return s != NULL && ok;
}

static sl_manifest *manifest_read(const char *manifest_path, bool any_name)
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
            if (!any_name && !sl_sink_is_plain_name(s, sn)) {
                if (!m->unsafe_names)
                    m->unsafe_names = calloc(n, sizeof *m->unsafe_names);
                if (m->unsafe_names && (m->unsafe_names[m->unsafe_count] = strndup(s, sn)))
                    m->unsafe_count++;
                continue;
            }
            sl_manifest_segment *seg = &m->segments[m->segment_count];
            seg->filename = strndup(s, sn);
            seg->event_count = manifest_int(raw, "event_count", 0, 0);
            seg->size_bytes = manifest_int(raw, "size_bytes", 0, 0);
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

sl_manifest *sl_manifest_read(const char *manifest_path)
{
    return manifest_read(manifest_path, false);
}

sl_manifest *sl_manifest_read_all(const char *manifest_path)
{
    return manifest_read(manifest_path, true);
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

/* ---- the public view (coverage of rollups.json) ---- */

struct stormlog_manifest_view {
    sl_manifest *m;
};

stormlog_manifest_view *stormlog_manifest_view_read(const char *manifest_path)
{
    if (!manifest_path)
        return NULL;
    sl_manifest *m = sl_manifest_read_all(manifest_path);
    stormlog_manifest_view *v = m ? malloc(sizeof *v) : NULL;
    if (!v) {
        sl_manifest_free(m);
        return NULL;
    }
    v->m = m;
    return v;
}

int64_t stormlog_manifest_view_schema_version(const stormlog_manifest_view *v)
{
    return v ? v->m->schema_version : 0;
}

size_t stormlog_manifest_view_segment_count(const stormlog_manifest_view *v)
{
    return v ? v->m->segment_count : 0;
}

const char *stormlog_manifest_view_segment(const stormlog_manifest_view *v, size_t i, int64_t *event_count,
                                           int64_t *size_bytes)
{
    if (!v || i >= v->m->segment_count)
        return NULL;
    if (event_count)
        *event_count = v->m->segments[i].event_count;
    if (size_bytes)
        *size_bytes = v->m->segments[i].size_bytes;
    return v->m->segments[i].filename;
}

void stormlog_manifest_view_free(stormlog_manifest_view *v)
{
    if (!v)
        return;
    sl_manifest_free(v->m);
    free(v);
}
