/* One JSON document from bytes, read by json-c as closely to Python's
 * json.loads as json-c allows: strict grammar, UTF-8 checked, nothing but
 * whitespace after the value, nesting bounded (no stack to overflow), and
 * integers beyond 64 bits kept exactly (bigint.c). */
#include <string.h>

#include "internal.h"

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

/* Python refuses a NUL byte anywhere in JSON text (json-c would stop there as
 * if the text ended) and any invalid UTF-8. Eight bytes at a time: the
 * common all-ASCII, NUL-free line costs one pass of word operations. */
static const char *text_check(const char *bytes, size_t len, size_t *where)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    const unsigned char *s = (const unsigned char *)bytes;
    size_t i = 0;
    bool ascii = true;
    for (; i + 8 <= len; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        if (((x - ones) & ~x & highs) != 0) /* a zero byte in the word */
            break;
        if (x & highs)
            ascii = false;
    }
    for (; i < len; i++) {
        if (s[i] == 0) {
            *where = i;
            return "NUL byte in JSON text";
        }
        if (s[i] & 0x80)
            ascii = false;
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

/* Python's json whitespace: space, tab, LF, CR. */
static bool is_json_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *describe(enum json_tokener_error e)
{
    switch (e) {
    case json_tokener_error_depth: return "nesting deeper than 64 levels";
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
    if (obj && !sl_bigint_repair(&obj, bytes, len)) {
        json_object_put(obj);
        *why = "integer beyond 64 bits that could not be read back exactly";
        return NULL;
    }
    return obj;
}
