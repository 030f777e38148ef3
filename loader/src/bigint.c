/* Integers beyond 64 bits. Python reads them exactly; json-c 0.16 saturates
 * them silently (to INT64_MIN below, UINT64_MAX above) and stores values in
 * (INT64_MAX, UINT64_MAX] as unsigned. We keep what json-c gives for every
 * value it holds exactly (int64 and uint64), and put back an exact node for
 * the rest: a json-c int holding the saturated value whose serializer prints
 * the original digits (json_object_get_userdata() is those digits), so
 * json-c's own printing writes the integer. sl_bigint_digits() tells them
 * apart: json-c never gives its own ints userdata.
 *
 * A saturated value does not say what it was, so when the tree holds one we
 * re-read the text: every integer literal outside strings that json-c would
 * saturate, in document order, matched one for one with the saturated nodes
 * in tree order (json-c keeps members in input order). This runs only for
 * documents that hold such a value; others cost one walk of the tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int bigint_serialize(json_object *obj, struct printbuf *pb, int level, int flags)
{
    const char *digits = json_object_get_userdata(obj);
    return printbuf_memappend(pb, digits, (int)strlen(digits));
}

static bool all_digits(const char *s, size_t len)
{
    size_t i = (len > 0 && s[0] == '-') ? 1 : 0;
    if (i == len)
        return false;
    for (; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

json_object *sl_bigint_new(const char *digits, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return NULL;
    memcpy(copy, digits, len);
    copy[len] = '\0';
    json_object *obj = json_object_new_int64(copy[0] == '-' ? INT64_MIN : INT64_MAX);
    if (!obj) {
        free(copy);
        return NULL;
    }
    json_object_set_serializer(obj, bigint_serialize, copy, json_object_free_userdata);
    return obj;
}

const char *sl_bigint_digits(json_object *obj)
{
    if (!obj || json_object_get_type(obj) != json_type_int)
        return NULL;
    const char *text = json_object_get_userdata(obj);
    if (!text || !all_digits(text, strlen(text)))
        return NULL;
    return text;
}

/* ---- saturation detection ---- */

typedef enum { INT_EXACT, INT_WIDE_KNOWN, INT_SATURATED } int_state;

static int_state classify_int(json_object *obj)
{
    if (sl_bigint_digits(obj))
        return INT_EXACT;
    int64_t i = json_object_get_int64(obj);
    if (i == INT64_MIN)
        return INT_SATURATED;
    if (i == INT64_MAX) {
        uint64_t u = json_object_get_uint64(obj);
        if (u == UINT64_MAX)
            return INT_SATURATED;
        if (u > (uint64_t)INT64_MAX)
            return INT_WIDE_KNOWN;
    }
    return INT_EXACT;
}

/* ---- the text scan: integer literals json-c would saturate ---- */

typedef struct literal_list {
    const char **ptr;
    size_t *len;
    size_t count, cap;
} literal_list;

static bool literal_push(literal_list *l, const char *p, size_t n)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        const char **np = realloc(l->ptr, cap * sizeof *np);
        if (!np)
            return false;
        l->ptr = np;
        size_t *nl = realloc(l->len, cap * sizeof *nl);
        if (!nl)
            return false;
        l->len = nl;
        l->cap = cap;
    }
    l->ptr[l->count] = p;
    l->len[l->count] = n;
    l->count++;
    return true;
}

/* Would json-c saturate this integer literal? (magnitude >= 2^63 negative,
 * >= 2^64-1 positive; the boundary values themselves are included because
 * their nodes look saturated too.) */
static bool saturates(const char *p, size_t n)
{
    bool neg = p[0] == '-';
    const char *d = p + neg;
    size_t dn = n - neg;
    while (dn > 1 && d[0] == '0') {
        d++;
        dn--;
    }
    const char *limit = neg ? "9223372036854775808" : "18446744073709551615";
    size_t ln = strlen(limit);
    if (dn != ln)
        return dn > ln;
    return memcmp(d, limit, ln) >= 0;
}

static bool scan_literals(const char *s, size_t len, literal_list *out)
{
    size_t i = 0;
    while (i < len) {
        char c = s[i];
        if (c == '"') {
            for (i++; i < len && s[i] != '"'; i++)
                if (s[i] == '\\')
                    i++;
            i++;
            continue;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            size_t start = i;
            bool integer = true;
            i++;
            while (i < len) {
                char d = s[i];
                if (d >= '0' && d <= '9') {
                    i++;
                } else if (d == '.' || d == 'e' || d == 'E' || d == '+' ||
                           (d == '-' && i > start + 1)) {
                    integer = false;
                    i++;
                } else {
                    break;
                }
            }
            size_t n = i - start;
            if (integer && n > (s[start] == '-' ? 1u : 0u) && saturates(s + start, n) &&
                !literal_push(out, s + start, n))
                return false;
            continue;
        }
        i++;
    }
    return true;
}

/* ---- the tree walk ---- */

typedef struct repair_ctx {
    literal_list literals;
    size_t next;      /* next literal to hand out */
    bool scanning;    /* false: only detect; true: replace */
    bool found;
    bool failed;
} repair_ctx;

static json_object *replacement_for(repair_ctx *rc, json_object *node)
{
    int_state st = classify_int(node);
    if (st == INT_EXACT)
        return NULL;
    rc->found = true;
    if (!rc->scanning)
        return NULL;
    if (st == INT_WIDE_KNOWN)
        return NULL; /* json-c holds it exactly as uint64 */
    if (rc->next >= rc->literals.count) {
        rc->failed = true;
        return NULL;
    }
    const char *p = rc->literals.ptr[rc->next];
    size_t n = rc->literals.len[rc->next];
    rc->next++;
    /* Exactly INT64_MIN is an int64 after all: leave json-c's node. */
    if (p[0] == '-') {
        const char *d = p + 1;
        size_t dn = n - 1;
        while (dn > 1 && d[0] == '0') {
            d++;
            dn--;
        }
        if (dn == 19 && memcmp(d, "9223372036854775808", 19) == 0)
            return NULL;
    } else {
        const char *d = p;
        size_t dn = n;
        while (dn > 1 && d[0] == '0') {
            d++;
            dn--;
        }
        if (dn == 20 && memcmp(d, "18446744073709551615", 20) == 0)
            return NULL; /* exactly UINT64_MAX: json-c holds it */
    }
    json_object *b = sl_bigint_new(p, n);
    if (!b)
        rc->failed = true;
    return b;
}

static void walk(repair_ctx *rc, json_object *node)
{
    if (rc->failed)
        return;
    switch (json_object_get_type(node)) {
    case json_type_object: {
        json_object_object_foreach(node, key, val) {
            if (val && json_object_get_type(val) == json_type_int) {
                json_object *rep = replacement_for(rc, val);
                if (rep)
                    json_object_object_add(node, key, rep);
            } else {
                walk(rc, val);
            }
        }
        break;
    }
    case json_type_array: {
        size_t n = json_object_array_length(node);
        for (size_t i = 0; i < n; i++) {
            json_object *val = json_object_array_get_idx(node, i);
            if (val && json_object_get_type(val) == json_type_int) {
                json_object *rep = replacement_for(rc, val);
                if (rep)
                    json_object_array_put_idx(node, i, rep);
            } else {
                walk(rc, val);
            }
        }
        break;
    }
    default:
        break;
    }
}

bool sl_bigint_repair(json_object **root, const char *bytes, size_t len)
{
    repair_ctx rc = {0};
    json_object *r = *root;
    if (json_object_get_type(r) == json_type_int) {
        /* A bare integer document: wrap to reuse the walk. */
        json_object *box = json_object_new_array();
        if (!box)
            return false;
        json_object_array_add(box, json_object_get(r));
        bool ok = sl_bigint_repair(&box, bytes, len);
        if (ok) {
            json_object *inner = json_object_get(json_object_array_get_idx(box, 0));
            json_object_put(r);
            *root = inner;
        }
        json_object_put(box);
        return ok;
    }
    walk(&rc, r);
    if (!rc.found)
        return true;
    rc.scanning = true;
    rc.found = false;
    if (!scan_literals(bytes, len, &rc.literals)) {
        rc.failed = true;
    } else {
        walk(&rc, r);
        if (rc.next != rc.literals.count)
            rc.failed = true;
    }
    free(rc.literals.ptr);
    free(rc.literals.len);
    return !rc.failed;
}

/* ---- 128-bit integers ---- */

bool sl_wint_parse(const char *s, size_t len, sl_wint *out)
{
    bool neg = len > 0 && s[0] == '-';
    size_t i = neg ? 1 : 0;
    if (i == len)
        return false;
    unsigned __int128 acc = 0;
    const unsigned __int128 limit = ((unsigned __int128)1 << 127) - 1 + (neg ? 1 : 0);
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (acc > (limit - d) / 10)
            return false;
        acc = acc * 10 + d;
    }
    *out = neg ? (sl_wint)(-acc) : (sl_wint)acc;
    return true;
}

size_t sl_wint_format(sl_wint v, char buf[48])
{
    char tmp[48];
    size_t n = 0;
    bool neg = v < 0;
    unsigned __int128 u = neg ? -(unsigned __int128)v : (unsigned __int128)v;
    do {
        tmp[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    size_t o = 0;
    if (neg)
        buf[o++] = '-';
    while (n)
        buf[o++] = tmp[--n];
    buf[o] = '\0';
    return o;
}

bool sl_json_get_wint(json_object *obj, bool *is_int, sl_wint *out)
{
    *is_int = false;
    if (!obj)
        return false;
    if (json_object_get_type(obj) != json_type_int)
        return false;
    *is_int = true;
    const char *digits = sl_bigint_digits(obj);
    if (digits)
        return sl_wint_parse(digits, strlen(digits), out);
    int64_t i = json_object_get_int64(obj);
    if (i == INT64_MAX) {
        uint64_t u = json_object_get_uint64(obj);
        *out = (sl_wint)u;
        return true;
    }
    *out = i;
    return true;
}
