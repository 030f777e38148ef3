/* Python's str.isdigit() and int() over non-ASCII digits, for the legacy
 * device string ("cuda:\u0663" is device 3, "cuda:\u00b2" is an error).
 * Generated from Python 3.11's unicodedata (Unicode 14.0.0): each row is a run of
 * code points with consecutive digit values; kind 1 = decimal (int() reads
 * it), kind 2 = a digit int() refuses (superscripts, circled digits...). */
#include "internal.h"

typedef struct digit_run {
    uint32_t first, last;
    uint8_t kind, value_of_first;
} digit_run;

static const digit_run runs[] = {
    {0xB2, 0xB3, 2, 2},
    {0xB9, 0xB9, 2, 1},
    {0x660, 0x669, 1, 0},
    {0x6F0, 0x6F9, 1, 0},
    {0x7C0, 0x7C9, 1, 0},
    {0x966, 0x96F, 1, 0},
    {0x9E6, 0x9EF, 1, 0},
    {0xA66, 0xA6F, 1, 0},
    {0xAE6, 0xAEF, 1, 0},
    {0xB66, 0xB6F, 1, 0},
    {0xBE6, 0xBEF, 1, 0},
    {0xC66, 0xC6F, 1, 0},
    {0xCE6, 0xCEF, 1, 0},
    {0xD66, 0xD6F, 1, 0},
    {0xDE6, 0xDEF, 1, 0},
    {0xE50, 0xE59, 1, 0},
    {0xED0, 0xED9, 1, 0},
    {0xF20, 0xF29, 1, 0},
    {0x1040, 0x1049, 1, 0},
    {0x1090, 0x1099, 1, 0},
    {0x1369, 0x1371, 2, 1},
    {0x17E0, 0x17E9, 1, 0},
    {0x1810, 0x1819, 1, 0},
    {0x1946, 0x194F, 1, 0},
    {0x19D0, 0x19D9, 1, 0},
    {0x19DA, 0x19DA, 2, 1},
    {0x1A80, 0x1A89, 1, 0},
    {0x1A90, 0x1A99, 1, 0},
    {0x1B50, 0x1B59, 1, 0},
    {0x1BB0, 0x1BB9, 1, 0},
    {0x1C40, 0x1C49, 1, 0},
    {0x1C50, 0x1C59, 1, 0},
    {0x2070, 0x2070, 2, 0},
    {0x2074, 0x2079, 2, 4},
    {0x2080, 0x2089, 2, 0},
    {0x2460, 0x2468, 2, 1},
    {0x2474, 0x247C, 2, 1},
    {0x2488, 0x2490, 2, 1},
    {0x24EA, 0x24EA, 2, 0},
    {0x24F5, 0x24FD, 2, 1},
    {0x24FF, 0x24FF, 2, 0},
    {0x2776, 0x277E, 2, 1},
    {0x2780, 0x2788, 2, 1},
    {0x278A, 0x2792, 2, 1},
    {0xA620, 0xA629, 1, 0},
    {0xA8D0, 0xA8D9, 1, 0},
    {0xA900, 0xA909, 1, 0},
    {0xA9D0, 0xA9D9, 1, 0},
    {0xA9F0, 0xA9F9, 1, 0},
    {0xAA50, 0xAA59, 1, 0},
    {0xABF0, 0xABF9, 1, 0},
    {0xFF10, 0xFF19, 1, 0},
    {0x104A0, 0x104A9, 1, 0},
    {0x10A40, 0x10A43, 2, 1},
    {0x10D30, 0x10D39, 1, 0},
    {0x10E60, 0x10E68, 2, 1},
    {0x11052, 0x1105A, 2, 1},
    {0x11066, 0x1106F, 1, 0},
    {0x110F0, 0x110F9, 1, 0},
    {0x11136, 0x1113F, 1, 0},
    {0x111D0, 0x111D9, 1, 0},
    {0x112F0, 0x112F9, 1, 0},
    {0x11450, 0x11459, 1, 0},
    {0x114D0, 0x114D9, 1, 0},
    {0x11650, 0x11659, 1, 0},
    {0x116C0, 0x116C9, 1, 0},
    {0x11730, 0x11739, 1, 0},
    {0x118E0, 0x118E9, 1, 0},
    {0x11950, 0x11959, 1, 0},
    {0x11C50, 0x11C59, 1, 0},
    {0x11D50, 0x11D59, 1, 0},
    {0x11DA0, 0x11DA9, 1, 0},
    {0x16A60, 0x16A69, 1, 0},
    {0x16AC0, 0x16AC9, 1, 0},
    {0x16B50, 0x16B59, 1, 0},
    {0x1D7CE, 0x1D7D7, 1, 0},
    {0x1D7D8, 0x1D7E1, 1, 0},
    {0x1D7E2, 0x1D7EB, 1, 0},
    {0x1D7EC, 0x1D7F5, 1, 0},
    {0x1D7F6, 0x1D7FF, 1, 0},
    {0x1E140, 0x1E149, 1, 0},
    {0x1E2F0, 0x1E2F9, 1, 0},
    {0x1E950, 0x1E959, 1, 0},
    {0x1F100, 0x1F100, 2, 0},
    {0x1F101, 0x1F10A, 2, 0},
    {0x1FBF0, 0x1FBF9, 1, 0},
};

static const digit_run *find(uint32_t cp)
{
    size_t lo = 0, hi = sizeof runs / sizeof *runs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < runs[mid].first)
            hi = mid;
        else if (cp > runs[mid].last)
            lo = mid + 1;
        else
            return &runs[mid];
    }
    return NULL;
}

int sl_unicode_isdigit(uint32_t cp)
{
    if (cp >= '0' && cp <= '9')
        return 1;
    const digit_run *r = find(cp);
    return r ? r->kind : 0;
}

int sl_unicode_decimal_value(uint32_t cp)
{
    if (cp >= '0' && cp <= '9')
        return (int)(cp - '0');
    const digit_run *r = find(cp);
    return r ? (int)(r->value_of_first + (cp - r->first)) : -1;
}
