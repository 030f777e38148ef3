#include "json_scan.h"

#include <stdlib.h>
#include <string.h>

typedef struct scanner {
    const char *p;
    const char *end;
    int depth;
} scanner;

static void skip_ws(scanner *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool read_hex4(scanner *s, unsigned *out)
{
    if (s->end - s->p < 4)
        return false;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(s->p[i]);
        if (d < 0)
            return false;
        v = v * 16 + (unsigned)d;
    }
    s->p += 4;
    *out = v;
    return true;
}

static size_t put_utf8(char *dst, unsigned cp)
{
    if (cp < 0x80) {
        dst[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        dst[0] = (char)(0xC0 | (cp >> 6));
        dst[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (char)(0xE0 | (cp >> 12));
        dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    dst[0] = (char)(0xF0 | (cp >> 18));
    dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    dst[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes the string at s->p (which points at the opening quote) into a new
 * buffer. The decoded form is never longer than the source. */
static bool scan_string(scanner *s, char **out, size_t *out_len)
{
    s->p++; /* opening quote */
    const char *start = s->p;
    while (s->p < s->end && *s->p != '"') {
        if (*s->p == '\\')
            s->p++;
        s->p++;
    }
    if (s->p >= s->end)
        return false;
    size_t raw_len = (size_t)(s->p - start);
    char *buf = malloc(raw_len + 1);
    if (!buf)
        return false;
    scanner in = {start, s->p, 0};
    size_t n = 0;
    while (in.p < in.end) {
        unsigned char c = (unsigned char)*in.p++;
        if (c < 0x20)
            goto fail; /* control characters must be escaped */
        if (c != '\\') {
            buf[n++] = (char)c;
            continue;
        }
        char e = *in.p++;
        switch (e) {
        case '"': buf[n++] = '"'; break;
        case '\\': buf[n++] = '\\'; break;
        case '/': buf[n++] = '/'; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (!read_hex4(&in, &cp))
                goto fail;
            if (cp >= 0xD800 && cp < 0xDC00 && in.end - in.p >= 6 && in.p[0] == '\\' && in.p[1] == 'u') {
                scanner look = {in.p + 2, in.end, 0};
                unsigned lo;
                if (read_hex4(&look, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    in.p = look.p;
                }
            }
            if (cp >= 0xD800 && cp < 0xE000)
                cp = 0xFFFD; /* a lone surrogate has no UTF-8 form */
            n += put_utf8(buf + n, cp);
            break;
        }
        default:
            goto fail;
        }
    }
    buf[n] = '\0';
    s->p++; /* closing quote */
    *out = buf;
    *out_len = n;
    return true;
fail:
    free(buf);
    return false;
}

static bool scan_number(scanner *s, sl_jnode *n)
{
    const char *start = s->p;
    bool negative = false, integral = true, overflow = false;
    if (s->p < s->end && *s->p == '-') {
        negative = true;
        s->p++;
    }
    if (s->p >= s->end || *s->p < '0' || *s->p > '9')
        return false;
    if (*s->p == '0' && s->p + 1 < s->end && s->p[1] >= '0' && s->p[1] <= '9')
        return false; /* leading zero */
    uint64_t mag = 0;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
        unsigned d = (unsigned)(*s->p++ - '0');
        if (mag > (UINT64_MAX - d) / 10)
            overflow = true;
        else
            mag = mag * 10 + d;
    }
    if (s->p < s->end && *s->p == '.') {
        integral = false;
        s->p++;
        if (s->p >= s->end || *s->p < '0' || *s->p > '9')
            return false;
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
            s->p++;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        integral = false;
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (s->p >= s->end || *s->p < '0' || *s->p > '9')
            return false;
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
            s->p++;
    }
    (void)start;
    uint64_t limit = negative ? (UINT64_C(1) << 63) : (uint64_t)INT64_MAX;
    if (integral && !overflow && mag <= limit) {
        n->kind = SL_JN_INT;
        n->integer = negative ? (int64_t)(0 - mag) : (int64_t)mag;
    } else {
        n->kind = SL_JN_NUMBER;
    }
    return true;
}

static bool literal(scanner *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return false;
    s->p += n;
    return true;
}

static sl_jnode *scan_value(scanner *s);

/* Members of an object (with_keys) or items of an array, up to `close`. */
static bool scan_children(scanner *s, sl_jnode *parent, bool with_keys, char close)
{
    s->p++; /* opening bracket */
    sl_jnode **link = &parent->first_child;
    skip_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return true;
    }
    for (;;) {
        char *key = NULL;
        size_t key_len = 0;
        skip_ws(s);
        if (with_keys) {
            if (s->p >= s->end || *s->p != '"' || !scan_string(s, &key, &key_len))
                return false;
            skip_ws(s);
            if (s->p >= s->end || *s->p != ':') {
                free(key);
                return false;
            }
            s->p++;
        }
        sl_jnode *child = scan_value(s);
        if (!child) {
            free(key);
            return false;
        }
        child->key = key;
        child->key_len = key_len;
        *link = child;
        link = &child->next;
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == close) {
            s->p++;
            return true;
        }
        return false;
    }
}

static sl_jnode *scan_value(scanner *s)
{
    skip_ws(s);
    if (s->p >= s->end || s->depth >= SL_JSON_SCAN_MAX_DEPTH)
        return NULL;
    sl_jnode *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    bool ok;
    switch (*s->p) {
    case '{':
    case '[':
        n->kind = *s->p == '{' ? SL_JN_OBJECT : SL_JN_ARRAY;
        s->depth++;
        ok = scan_children(s, n, n->kind == SL_JN_OBJECT, n->kind == SL_JN_OBJECT ? '}' : ']');
        s->depth--;
        break;
    case '"':
        n->kind = SL_JN_STRING;
        ok = scan_string(s, &n->str, &n->str_len);
        break;
    case 't':
        n->kind = SL_JN_BOOL;
        n->boolean = true;
        ok = literal(s, "true");
        break;
    case 'f':
        n->kind = SL_JN_BOOL;
        ok = literal(s, "false");
        break;
    case 'n':
        n->kind = SL_JN_NULL;
        ok = literal(s, "null");
        break;
    default:
        ok = scan_number(s, n);
        break;
    }
    if (!ok) {
        sl_json_scan_free(n);
        return NULL;
    }
    return n;
}

sl_jnode *sl_json_scan(const char *text, size_t len)
{
    scanner s = {text, text + len, 0};
    sl_jnode *root = scan_value(&s);
    if (!root)
        return NULL;
    skip_ws(&s);
    if (s.p != s.end) {
        sl_json_scan_free(root);
        return NULL;
    }
    return root;
}

void sl_json_scan_free(sl_jnode *n)
{
    while (n) {
        sl_jnode *next = n->next;
        sl_json_scan_free(n->first_child);
        free(n->str);
        free(n->key);
        free(n);
        n = next;
    }
}

const sl_jnode *sl_jnode_member(const sl_jnode *object, const char *key)
{
    if (!object || object->kind != SL_JN_OBJECT)
        return NULL;
    size_t len = strlen(key);
    const sl_jnode *found = NULL;
    for (const sl_jnode *c = object->first_child; c; c = c->next)
        if (c->key_len == len && memcmp(c->key, key, len) == 0)
            found = c;
    return found;
}
