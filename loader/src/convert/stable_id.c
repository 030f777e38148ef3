/* Stable legacy session ids (session.py stable_legacy_session_id):
 * "legacy-" + uuid5(NAMESPACE_URL, "::".join(str(p) for p in parts if p is
 * not None)). The parts are JSON values; str() is Python's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uuid/uuid.h>

#include "internal.h"
#include "stormlog/schema/encode.h"

void sl_stable_id(const char *const *parts, size_t n, char out[44])
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (parts[i])
            total += strlen(parts[i]) + 2;
    char stackbuf[1024];
    char *payload = total < sizeof stackbuf ? stackbuf : malloc(total + 1);
    size_t len = 0;
    bool first = true;
    for (size_t i = 0; payload && i < n; i++) {
        if (!parts[i])
            continue;
        if (!first) {
            memcpy(payload + len, "::", 2);
            len += 2;
        }
        size_t pl = strlen(parts[i]);
        memcpy(payload + len, parts[i], pl);
        len += pl;
        first = false;
    }
    uuid_t ns, id;
    uuid_parse("6ba7b811-9dad-11d1-80b4-00c04fd430c8", ns);
    /* Without memory for a long payload we still hash something deterministic
     * rather than crash; the caller's path is then the empty string. */
    uuid_generate_sha1(id, ns, payload ? payload : "", payload ? len : 0);
    memcpy(out, "legacy-", 7);
    uuid_unparse_lower(id, out + 7);
    if (payload != stackbuf)
        free(payload);
}

void stormlog_stable_legacy_id(const char *const *parts, size_t count, char out[44])
{
    sl_stable_id(parts, count, out);
}

/* ---- Python str() / repr() of a JSON value ---- */

typedef struct strbuf {
    char *p;
    size_t len, cap;
    bool failed;
} strbuf;

static void sb_put(strbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->failed = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(strbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

/* repr() of a str: quotes chosen as Python chooses them, control characters escaped. */
static void py_repr_string(strbuf *b, const char *s, size_t n)
{
    bool has_single = memchr(s, '\'', n) != NULL, has_double = memchr(s, '"', n) != NULL;
    char q = (has_single && !has_double) ? '"' : '\'';
    sb_put(b, &q, 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '\\' || c == (unsigned char)q) {
            esc[0] = '\\';
            esc[1] = (char)c;
            sb_put(b, esc, 2);
        } else if (c == '\n') {
            sb_puts(b, "\\n");
        } else if (c == '\r') {
            sb_puts(b, "\\r");
        } else if (c == '\t') {
            sb_puts(b, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", c);
            sb_puts(b, esc);
        } else {
            sb_put(b, (const char *)&c, 1);
        }
    }
    sb_put(b, &q, 1);
}

static void py_write(strbuf *b, json_object *v, bool repr, unsigned depth)
{
    if (depth > SL_JSON_DEPTH) {
        sb_puts(b, "...");
        return;
    }
    const char *digits = sl_bigint_digits(v);
    if (digits) {
        sb_puts(b, digits);
        return;
    }
    switch (json_object_get_type(v)) {
    case json_type_null:
        sb_puts(b, "None");
        break;
    case json_type_boolean:
        sb_puts(b, json_object_get_boolean(v) ? "True" : "False");
        break;
    case json_type_int: {
        char buf[48];
        bool is_int;
        sl_wint w = 0;
        sl_json_get_wint(v, &is_int, &w);
        sb_put(b, buf, sl_wint_format(w, buf));
        break;
    }
    case json_type_double: {
        char buf[32];
        size_t n = sl_format_double(json_object_get_double(v), buf);
        sb_put(b, buf, n);
        break;
    }
    case json_type_string:
        if (repr)
            py_repr_string(b, json_object_get_string(v), (size_t)json_object_get_string_len(v));
        else
            sb_put(b, json_object_get_string(v), (size_t)json_object_get_string_len(v));
        break;
    case json_type_array: {
        sb_puts(b, "[");
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
            if (i)
                sb_puts(b, ", ");
            py_write(b, json_object_array_get_idx(v, i), true, depth + 1);
        }
        sb_puts(b, "]");
        break;
    }
    case json_type_object: {
        sb_puts(b, "{");
        bool first = true;
        json_object_object_foreach(v, key, val) {
            if (!first)
                sb_puts(b, ", ");
            first = false;
            py_repr_string(b, key, strlen(key));
            sb_puts(b, ": ");
            py_write(b, val, true, depth + 1);
        }
        sb_puts(b, "}");
        break;
    }
    }
}

char *sl_py_str(json_object *v)
{
    strbuf b = {0};
    sb_put(&b, "", 0);
    py_write(&b, v, false, 0);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
