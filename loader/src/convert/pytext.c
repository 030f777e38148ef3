/* Python's notion of whitespace (str.isspace, used by strip()) for the
 * places the reference strips strings: session ids, manifest fields, backends. */
#include <string.h>

#include "internal.h"
#include "pytext.h"

/* Decode one UTF-8 sequence; invalid bytes decode as themselves (>= 0x80
 * values that are never whitespace). */
static uint32_t next_cp(const unsigned char *s, size_t len, size_t *adv)
{
    unsigned char c = s[0];
    if (c < 0x80 || len < 2) {
        *adv = 1;
        return c;
    }
    if ((c & 0xE0) == 0xC0) {
        *adv = 2;
        return ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
    }
    if ((c & 0xF0) == 0xE0 && len >= 3) {
        *adv = 3;
        return ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    }
    if ((c & 0xF8) == 0xF0 && len >= 4) {
        *adv = 4;
        return ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
               ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    }
    *adv = 1;
    return 0xFFFD;
}

bool sl_py_isspace(uint32_t cp)
{
    if ((cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20))
        return true;
    switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F:
    case 0x205F: case 0x3000:
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

void sl_py_strip(const char **s, size_t *len)
{
    const unsigned char *p = (const unsigned char *)*s;
    size_t n = *len;
    /* leading */
    while (n > 0) {
        size_t adv;
        uint32_t cp = next_cp(p, n, &adv);
        if (!sl_py_isspace(cp))
            break;
        p += adv;
        n -= adv;
    }
    /* trailing: walk forward remembering the end of the last non-space */
    size_t keep = 0, i = 0;
    while (i < n) {
        size_t adv;
        uint32_t cp = next_cp(p + i, n - i, &adv);
        i += adv;
        if (!sl_py_isspace(cp))
            keep = i;
    }
    *s = (const char *)p;
    *len = keep;
}

bool sl_py_is_blank(const char *s, size_t len)
{
    sl_py_strip(&s, &len);
    return len == 0;
}

size_t sl_py_line_break(const char *str, size_t len, size_t *brk_len)
{
    const unsigned char *s = (const unsigned char *)str;
    const uint64_t spaces = 0x2020202020202020ull, highs = 0x8080808080808080ull;
    size_t i = 0;
    for (;;) {
        /* Skip words with no byte below 0x20 and none above 0x7F: no break there. */
        while (i + 8 <= len) {
            uint64_t x;
            memcpy(&x, s + i, 8);
            if ((((x - spaces) & ~x) | x) & highs)
                break;
            i += 8;
        }
        if (i >= len)
            return len;
        size_t end = i + 8 < len ? i + 8 : len;
        for (; i < end; i++) {
            unsigned char c = s[i];
            if (c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1e)) {
                *brk_len = 1;
                return i;
            }
            if (c == 0xC2 && i + 1 < len && s[i + 1] == 0x85) {
                *brk_len = 2;
                return i;
            }
            if (c == 0xE2 && i + 2 < len && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
                *brk_len = 3;
                return i;
            }
        }
    }
}

uint32_t sl_utf8_decode(const char *s, size_t len, size_t *adv)
{
    return next_cp((const unsigned char *)s, len, adv);
}
