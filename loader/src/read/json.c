/* One JSON document from bytes, read by json-c as closely to Python's
 * json.loads as json-c allows: strict grammar, UTF-8 checked, nothing but
 * whitespace after the value, nesting bounded (no stack to overflow), and
 * integers beyond 64 bits kept exactly (bigint.c). */
#include <string.h>

#include "internal.h"

const char sl_json_why_too_many_digits[] =
    "integer with more than 4300 digits (the most Python's int() reads)";

json_tokener *sl_json_tokener_new(void)
{
    json_tokener *tok = json_tokener_new_ex(SL_JSON_DEPTH);
    /* UTF-8 is checked by text_check() below, faster than json-c's per-byte check. */
    if (tok)
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    return tok;
}

/* Strict UTF-8 as Python's decoder reads it: no overlong forms, no encoded
 * surrogates, nothing above U+10FFFF. Returns the offset of the first bad
 * byte, or len. */
static size_t utf8_invalid_at(const unsigned char *s, size_t len, size_t i)
{
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t min, cp;
        if ((c & 0xE0) == 0xC0) {
            n = 2, min = 0x80, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 3, min = 0x800, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 4, min = 0x10000, cp = c & 0x07;
        } else {
            return i;
        }
        if (i + n > len)
            return i;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n;
    }
    return len;
}

/* Control characters as Python's decoder sees them: inside a string every
 * byte below 0x20 is an error (json-c lets them through, so an invalid file
 * would load); outside strings only space, \t, \n and \r separate tokens
 * (json-c would stop at a NUL as if the text ended). Returns the offset of
 * the first offending byte, or len. */
static size_t control_at(const unsigned char *s, size_t len)
{
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++; /* the escaped byte is json-c's to judge */
            else if (c == '"')
                in_string = false;
            else if (c < 0x20)
                return i;
        } else if (c == '"') {
            in_string = true;
        } else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            return i;
        }
    }
    return len;
}

/* json-c reads "1.", "1.e5" and "-01" as numbers; Python's grammar wants a
 * digit after the point and no leading zero. Returns the offset of the
 * first such literal outside strings, or len. Most lines hold no candidate
 * at all ('.' followed by a digit, or no "-0" followed by a digit), so the
 * string-aware scan runs only when one is there. */
static bool digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static size_t lax_number_at(const unsigned char *s, size_t len)
{
    bool candidate = false;
    for (const unsigned char *p = s; !candidate && (p = memchr(p, '.', (size_t)(s + len - p)));
         p++)
        candidate = p + 1 == s + len || !digit(p[1]);
    for (const unsigned char *p = s; !candidate && (p = memchr(p, '-', (size_t)(s + len - p)));
         p++)
        candidate = p + 2 < s + len && p[1] == '0' && digit(p[2]) &&
                    (p == s || (p[-1] != 'e' && p[-1] != 'E'));
    if (!candidate)
        return len;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '.' && i > 0 && digit(s[i - 1]) && (i + 1 == len || !digit(s[i + 1]))) {
            return i;
        } else if (c == '-' && i + 2 < len && s[i + 1] == '0' && digit(s[i + 2]) &&
                   (i == 0 || (s[i - 1] != 'e' && s[i - 1] != 'E'))) { /* not an exponent's sign */
            return i;
        }
    }
    return len;
}

/* NUL, raw control characters and invalid UTF-8, all of which Python
 * refuses. Eight bytes at a time: a line with no byte below 0x20 and none
 * above 0x7F (the common JSONL record) costs one pass of word operations. */
static const char *text_check(const char *bytes, size_t len, size_t *where)
{
    const uint64_t spaces = 0x2020202020202020ull, highs = 0x8080808080808080ull;
    const unsigned char *s = (const unsigned char *)bytes;
    size_t i = 0;
    bool ascii = true, controls = false;
    for (; i + 8 <= len; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        if (((x - spaces) & ~x & highs) != 0) /* a byte below 0x20 in the word */
            controls = true;
        if (x & highs)
            ascii = false;
    }
    for (; i < len; i++) {
        if (s[i] < 0x20)
            controls = true;
        if (s[i] & 0x80)
            ascii = false;
    }
    if (controls) {
        size_t bad = control_at(s, len);
        if (bad < len) {
            *where = bad;
            return s[bad] == 0 ? "NUL byte in JSON text" : "invalid control character";
        }
    }
    size_t lax = lax_number_at(s, len);
    if (lax < len) {
        *where = lax;
        return "number not in JSON's grammar";
    }
    if (!ascii) {
        size_t bad = utf8_invalid_at(s, len, 0);
        if (bad < len) {
            *where = bad;
            return "invalid UTF-8";
        }
    }
    return NULL;
}

bool sl_utf8_valid(const char *s, size_t len)
{
    return utf8_invalid_at((const unsigned char *)s, len, 0) == len;
}

/* Python's json whitespace: space, tab, LF, CR. */
static bool is_json_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *describe(enum json_tokener_error e)
{
    switch (e) {
    case json_tokener_error_depth: return "nesting deeper than 1000 levels";
    case json_tokener_continue: return "unexpected end of data";
    default: return json_tokener_error_desc(e);
    }
}

json_object *sl_json_parse(json_tokener *tok, const char *bytes, size_t len, const char **why,
                           size_t *where)
{
    *why = NULL;
    *where = 0;
    if (len > (size_t)INT32_MAX) {
        *why = "document larger than 2 GiB";
        return NULL;
    }
    json_tokener_reset(tok);
    *why = text_check(bytes, len, where);
    if (*why)
        return NULL;
    json_object *obj = json_tokener_parse_ex(tok, bytes, (int)len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    if (e == json_tokener_continue) {
        /* A bare number at the very end waits for a delimiter: give it one. */
        obj = json_tokener_parse_ex(tok, " ", 1);
        e = json_tokener_get_error(tok);
        end = len;
    }
    if (e != json_tokener_success || (!obj && end == 0)) {
        /* A JSON null document parses to NULL with success: handled below. */
        if (e != json_tokener_success) {
            json_object_put(obj);
            *why = describe(e);
            *where = end < len ? end : len;
            return NULL;
        }
    }
    for (size_t i = end; i < len; i++) {
        if (!is_json_space((unsigned char)bytes[i])) {
            json_object_put(obj);
            *why = "extra data after the JSON value";
            *where = i;
            return NULL;
        }
    }
    bool too_long;
    if (obj && !sl_bigint_repair(&obj, bytes, len, &too_long)) {
        json_object_put(obj);
        *why = too_long ? sl_json_why_too_many_digits
                        : "integer beyond 64 bits that could not be read back exactly";
        return NULL;
    }
    return obj;
}
