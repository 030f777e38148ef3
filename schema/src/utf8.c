/* UTF-8 the way Python reads it: the encoder escapes code points, the
 * validator and identity rules need str.strip(). */
#include "internal.h"

size_t sl_utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char b0 = s[0];
    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    size_t need;
    uint32_t value;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 1;
        value = b0 & 0x1Fu;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 2;
        value = b0 & 0x0Fu;
        if (b0 == 0xE0)
            lo = 0xA0;      /* no overlong forms */
        else if (b0 == 0xED)
            hi = 0x9F;      /* no UTF-16 surrogates */
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 3;
        value = b0 & 0x07u;
        if (b0 == 0xF0)
            lo = 0x90;
        else if (b0 == 0xF4)
            hi = 0x8F;      /* nothing above U+10FFFF */
    } else {
        *cp = SL_REPLACEMENT_CHAR; /* 0x80..0xC1, 0xF5..0xFF never start a sequence */
        return 1;
    }
    size_t i = 1;
    for (; i <= need; i++) {
        if (i >= len)
            break;
        unsigned char b = s[i];
        unsigned char min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xBF;
        if (b < min || b > max)
            break;
        value = (value << 6) | (b & 0x3Fu);
    }
    if (i <= need) {
        /* The bytes read so far are the maximal subpart: one U+FFFD for all. */
        *cp = SL_REPLACEMENT_CHAR;
        return i;
    }
    *cp = value;
    return need + 1;
}

bool sl_is_py_space(uint32_t cp)
{
    switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D:
    case 0x1C: case 0x1D: case 0x1E: case 0x1F: case 0x20:
    case 0x85: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

bool sl_is_blank(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = sl_utf8_next(p + i, len - i, &cp);
        if (!sl_is_py_space(cp))
            return false;
        i += n;
    }
    return true;
}

void sl_strip(const char **s, size_t *len)
{
    const unsigned char *p = (const unsigned char *)*s;
    size_t start = 0, end = *len;
    while (start < end) {
        uint32_t cp;
        size_t n = sl_utf8_next(p + start, end - start, &cp);
        if (!sl_is_py_space(cp))
            break;
        start += n;
    }
    /* Trailing: step back over continuation bytes to the start of the last
     * code point, decode it, stop at the first one that is not a space. */
    while (end > start) {
        size_t k = end - 1;
        while (k > start && end - k < 4 && (p[k] & 0xC0u) == 0x80u)
            k--;
        uint32_t cp;
        size_t n = sl_utf8_next(p + k, end - k, &cp);
        if (k + n != end || !sl_is_py_space(cp))
            break;
        end = k;
    }
    *s = (const char *)(p + start);
    *len = end - start;
}

int sl_key_compare(const char *a, size_t alen, const char *b, size_t blen)
{
    const unsigned char *pa = (const unsigned char *)a, *pb = (const unsigned char *)b;
    size_t i = 0, j = 0;
    while (i < alen && j < blen) {
        uint32_t ca, cb;
        size_t na, nb;
        if (pa[i] < 0x80 && pb[j] < 0x80) {
            ca = pa[i];
            cb = pb[j];
            na = nb = 1;
        } else {
            na = sl_utf8_next(pa + i, alen - i, &ca);
            nb = sl_utf8_next(pb + j, blen - j, &cb);
        }
        if (ca != cb)
            return ca < cb ? -1 : 1;
        i += na;
        j += nb;
    }
    if (i < alen)
        return 1;
    if (j < blen)
        return -1;
    return 0;
}
