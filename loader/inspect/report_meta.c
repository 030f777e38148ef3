/* Reading a few members of event metadata quickly.
 *
 * The report replays every allocation and free by pointer; parsing each
 * event's metadata into a json-c tree to read one member would dominate the
 * time of a ten-million-event report. meta_find walks the object text once,
 * skipping values it does not want without decoding them. Anything it is not
 * sure about (an escaped key, which might spell the wanted one; text that is
 * not a well-formed object) is answered by json-c instead, so the fast path
 * never changes a result. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p at an opening quote: returns the byte after the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end, bool *escaped)
{
    for (p++; p < end; p++) {
        if (*p == '\\') {
            *escaped = true;
            p++;
        } else if (*p == '"') {
            return p + 1;
        }
    }
    return NULL;
}

/* p at the start of a value: returns the byte after it, or NULL. */
static const char *skip_value(const char *p, const char *end)
{
    bool escaped = false;
    if (p >= end)
        return NULL;
    if (*p == '"')
        return skip_string(p, end, &escaped);
    if (*p == '{' || *p == '[') {
        size_t depth = 0;
        while (p < end) {
            if (*p == '"') {
                p = skip_string(p, end, &escaped);
                if (!p)
                    return NULL;
                continue;
            }
            if (*p == '{' || *p == '[')
                depth++;
            else if ((*p == '}' || *p == ']') && --depth == 0)
                return p + 1;
            p++;
        }
        return NULL;
    }
    const char *start = p;
    while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' && *p != '\n' &&
           *p != '\r')
        p++;
    return p > start ? p : NULL;
}

meta_lookup meta_find(const char *text, size_t len, const char *key, const char **val, size_t *vlen)
{
    if (!text)
        return META_UNSURE;
    const char *p = text, *end = text + len;
    size_t key_len = strlen(key);
    meta_lookup found = META_ABSENT;
    p = skip_ws(p, end);
    if (p >= end || *p != '{')
        return META_UNSURE;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}')
        return META_ABSENT;
    for (;;) {
        if (p >= end || *p != '"')
            return META_UNSURE;
        bool escaped = false;
        const char *key_start = p + 1;
        p = skip_string(p, end, &escaped);
        if (!p)
            return META_UNSURE;
        if (escaped)
            return META_UNSURE;
        bool match = (size_t)(p - 1 - key_start) == key_len && memcmp(key_start, key, key_len) == 0;
        p = skip_ws(p, end);
        if (p >= end || *p != ':')
            return META_UNSURE;
        p = skip_ws(p + 1, end);
        const char *value = p;
        p = skip_value(p, end);
        if (!p)
            return META_UNSURE;
        if (match) { /* a later duplicate wins, as in json-c */
            *val = value;
            *vlen = (size_t)(p - value);
            found = META_FOUND;
        }
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}')
            return found;
        return META_UNSURE;
    }
}

/* "0x1f", "31" (a JSON string's content or a bare integer). */
static bool parse_u64(const char *text, size_t len, uint64_t *out)
{
    char buf[40];
    if (len == 0 || len >= sizeof buf || text[0] == '-' || text[0] == '+' || text[0] == ' ')
        return false;
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *stop;
    errno = 0;
    unsigned long long v = strtoull(buf, &stop, 0);
    if (errno != 0 || *stop != '\0')
        return false;
    *out = v;
    return true;
}

static bool u64_from_json(json_object *v, uint64_t *out)
{
    if (json_object_is_type(v, json_type_int)) {
        int64_t i = json_object_get_int64(v);
        if (i < 0)
            return false;
        *out = (uint64_t)i;
        return true;
    }
    if (json_object_is_type(v, json_type_string))
        return parse_u64(json_object_get_string(v), (size_t)json_object_get_string_len(v), out);
    return false;
}

bool meta_event_u64(const stormlog_event *ev, const char *key, uint64_t *out)
{
    size_t len;
    const char *text = stormlog_event_metadata_text(ev, &len);
    const char *val;
    size_t vlen;
    switch (meta_find(text, len, key, &val, &vlen)) {
    case META_ABSENT:
        return false;
    case META_FOUND:
        if (val[0] != '"')
            return val[0] != '{' && val[0] != '[' && parse_u64(val, vlen, out);
        if (vlen >= 2 && !memchr(val, '\\', vlen))
            return parse_u64(val + 1, vlen - 2, out);
        break; /* an escaped string: let json-c decode it */
    case META_UNSURE:
        break;
    }
    json_object *meta = stormlog_event_metadata_json(ev);
    json_object *v;
    bool ok = meta && json_object_object_get_ex(meta, key, &v) && u64_from_json(v, out);
    json_object_put(meta);
    return ok;
}

bool meta_event_string_is(const stormlog_event *ev, const char *key, const char *value)
{
    size_t len, vlen, want = strlen(value);
    const char *text = stormlog_event_metadata_text(ev, &len), *val;
    switch (meta_find(text, len, key, &val, &vlen)) {
    case META_ABSENT:
        return false;
    case META_FOUND:
        /* A plain JSON string: its quotes around exactly the bytes wanted. */
        if (vlen >= 2 && val[0] == '"' && !memchr(val, '\\', vlen))
            return vlen == want + 2 && memcmp(val + 1, value, want) == 0;
        if (val[0] != '"')
            return false;
        break; /* an escaped string: json-c decodes it */
    case META_UNSURE:
        break;
    }
    json_object *meta = stormlog_event_metadata_json(ev);
    json_object *v;
    bool same = meta && json_object_object_get_ex(meta, key, &v) && json_object_is_type(v, json_type_string) &&
                strcmp(json_object_get_string(v), value) == 0;
    json_object_put(meta);
    return same;
}

static bool nonblank_string(json_object *v)
{
    if (!json_object_is_type(v, json_type_string))
        return false;
    for (const char *p = json_object_get_string(v); *p; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            return true;
    return false;
}

/* path: ["train", "step"] (the shim's form) or "train/step". */
static char *path_text(json_object *path, int *depth)
{
    if (json_object_is_type(path, json_type_string)) {
        const char *s = json_object_get_string(path);
        *depth = 0;
        for (const char *p = s; *p; p++)
            *depth += *p == '/';
        return strdup(s);
    }
    if (!json_object_is_type(path, json_type_array) || json_object_array_length(path) == 0)
        return NULL;
    size_t n = json_object_array_length(path), total = 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(json_object_get_string(json_object_array_get_idx(path, i))) + 1;
    char *out = malloc(total), *w = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *part = json_object_get_string(json_object_array_get_idx(path, i));
        size_t l = strlen(part);
        if (i)
            *w++ = '/';
        memcpy(w, part, l);
        w += l;
    }
    *w = '\0';
    *depth = (int)(n - 1);
    return out;
}

bool phase_scope_read(const stormlog_event *ev, phase_scope_info *out)
{
    memset(out, 0, sizeof *out);
    out->thread_id = -1;
    json_object *meta = stormlog_event_metadata_json(ev);
    json_object *scope, *v;
    json_object *name = NULL, *path = NULL, *context_path = NULL;
    if (meta && json_object_object_get_ex(meta, "phase_scope", &scope) &&
        json_object_is_type(scope, json_type_object)) {
        json_object_object_get_ex(scope, "name", &name);
        json_object_object_get_ex(scope, "path", &path);
    } else if (meta && json_object_object_get_ex(meta, "scope_id", NULL) && stormlog_event_context(ev)) {
        /* A shim whose writer keeps the phase keys flat: the scope's members
         * are top-level and the path is the event's context. */
        scope = meta;
        path = context_path = json_object_new_string(stormlog_event_context(ev));
    } else {
        json_object_put(meta);
        return false;
    }
    int depth = 0;
    out->path = path ? path_text(path, &depth) : NULL;
    if (nonblank_string(name))
        out->name = strdup(json_object_get_string(name));
    else if (json_object_is_type(path, json_type_array) && json_object_array_length(path) > 0)
        out->name = strdup(json_object_get_string(
            json_object_array_get_idx(path, json_object_array_length(path) - 1)));
    else if (out->path)
        out->name = strdup(strrchr(out->path, '/') ? strrchr(out->path, '/') + 1 : out->path);
    if (out->name && !out->path)
        out->path = strdup(out->name);
    out->depth = depth;
    if (json_object_object_get_ex(scope, "scope_id", &v) &&
        (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_string))) {
        snprintf(out->scope_key, sizeof out->scope_key, "%s", json_object_get_string(v));
        out->has_scope_id = true;
    }
    /* The thread: in the scope itself, else the event's own thread_id. */
    if ((json_object_object_get_ex(scope, "thread_id", &v) || json_object_object_get_ex(meta, "thread_id", &v)) &&
        json_object_is_type(v, json_type_int)) {
        out->thread_id = json_object_get_int64(v);
        out->has_thread = true;
    }
    const char *call = NULL;
    if (json_object_object_get_ex(meta, "nvtx", &v) && json_object_is_type(v, json_type_string))
        call = json_object_get_string(v);
    out->start_end = call && strcmp(call, "start_end") == 0;
    json_object_put(context_path);
    json_object_put(meta);
    if (!out->name || !out->path) {
        phase_scope_clear(out);
        return false;
    }
    return true;
}

void phase_scope_clear(phase_scope_info *p)
{
    free(p->name);
    free(p->path);
    p->name = p->path = NULL;
}
