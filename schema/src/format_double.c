/* Floats as Python's repr() spells them: the shortest digit string that reads
 * back as the same double, laid out in fixed notation for decimal exponents
 * -4..15 and in exponent notation ("1e+16", "1.5e-07") outside that range.
 *
 * The digits come from libc: printf's %.Ne is correctly rounded, so trying
 * 1, 2, ... 17 significant digits and stopping at the first that strtod reads
 * back finds the shortest. Next to a power of two the interval of strings
 * that read back is lopsided, and the correctly rounded string can miss it
 * while its neighbour one unit away hits it; Python's dtoa returns that
 * neighbour, so we try it too. No allocation, and no locale dependence: the
 * digits are picked out of printf's output and the string handed to strtod
 * has no decimal point. */
#include "stormlog/schema/encode.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_DIGITS 17

typedef struct decimal {
    char digits[MAX_DIGITS + 2]; /* significant digits, no leading zero */
    int ndigits;
    int exponent; /* value = d.ddd x 10^exponent */
} decimal;

/* Reads printf's "%.*e" output: digits (any decimal separator skipped), 'e',
 * signed exponent. */
static bool parse_sci(const char *s, decimal *out)
{
    int n = 0;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9' && n <= MAX_DIGITS)
            out->digits[n++] = *s;
    if (*s != 'e' || n == 0 || n > MAX_DIGITS)
        return false;
    s++;
    bool negative = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    int e = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        e = e * 10 + (*s - '0');
    out->ndigits = n;
    out->digits[n] = '\0';
    out->exponent = negative ? -e : e;
    return true;
}

/* Does the decimal read back as exactly `target` (positive, finite)? */
static bool reads_back(const decimal *d, double target)
{
    char text[48];
    /* "DDDDe-X": integer mantissa, so no locale's decimal point is involved. */
    int n = snprintf(text, sizeof text, "%se%d", d->digits, d->exponent - (d->ndigits - 1));
    if (n < 0 || (size_t)n >= sizeof text)
        return false;
    return strtod(text, NULL) == target;
}

/* The decimal one unit in the last place up or down, keeping the digit count
 * (false when that would change it: a carry out of 9s or a borrow from 10s;
 * those are never the shortest spelling anyway). */
static bool step(const decimal *d, int direction, decimal *out)
{
    *out = *d;
    int i = d->ndigits - 1;
    if (direction > 0) {
        while (i >= 0 && out->digits[i] == '9')
            out->digits[i--] = '0';
        if (i < 0)
            return false;
        out->digits[i]++;
    } else {
        while (i >= 0 && out->digits[i] == '0')
            out->digits[i--] = '9';
        if (i < 0)
            return false;
        out->digits[i]--;
        if (out->digits[0] == '0')
            return false;
    }
    return true;
}

static void shortest(double v, decimal *out)
{
    for (int precision = 1; precision <= MAX_DIGITS; precision++) {
        char text[48];
        snprintf(text, sizeof text, "%.*e", precision - 1, v);
        decimal d;
        if (!parse_sci(text, &d))
            continue;
        if (reads_back(&d, v)) {
            *out = d;
            return;
        }
        decimal near;
        if ((step(&d, +1, &near) && reads_back(&near, v)) ||
            (step(&d, -1, &near) && reads_back(&near, v))) {
            *out = near;
            return;
        }
        if (precision == MAX_DIGITS) {
            *out = d; /* 17 digits always read back; keep them if libc disagrees */
            return;
        }
    }
}

static size_t put(char *buf, size_t at, const char *s, size_t n)
{
    memcpy(buf + at, s, n);
    return at + n;
}

static size_t put_zeros(char *buf, size_t at, int n)
{
    for (int i = 0; i < n; i++)
        buf[at++] = '0';
    return at;
}

size_t sl_format_double(double d, char buf[32])
{
    size_t at = 0;
    if (isnan(d)) {
        memcpy(buf, "nan", 4); /* repr() drops a NaN's sign */
        return 3;
    }
    if (signbit(d)) {
        buf[at++] = '-';
        d = -d;
    }
    if (isinf(d)) {
        at = put(buf, at, "inf", 3);
        buf[at] = '\0';
        return at;
    }
    if (d == 0) {
        at = put(buf, at, "0.0", 3);
        buf[at] = '\0';
        return at;
    }

    decimal dec;
    shortest(d, &dec);
    while (dec.ndigits > 1 && dec.digits[dec.ndigits - 1] == '0')
        dec.digits[--dec.ndigits] = '\0';

    int decpt = dec.exponent + 1; /* digits before the decimal point */
    if (decpt <= -4 || decpt > 16) {
        buf[at++] = dec.digits[0];
        if (dec.ndigits > 1) {
            buf[at++] = '.';
            at = put(buf, at, dec.digits + 1, (size_t)dec.ndigits - 1);
        }
        int e = dec.exponent;
        buf[at++] = 'e';
        buf[at++] = e < 0 ? '-' : '+';
        if (e < 0)
            e = -e;
        if (e >= 100)
            buf[at++] = (char)('0' + e / 100);
        buf[at++] = (char)('0' + e / 10 % 10);
        buf[at++] = (char)('0' + e % 10);
    } else if (decpt <= 0) {
        at = put(buf, at, "0.", 2);
        at = put_zeros(buf, at, -decpt);
        at = put(buf, at, dec.digits, (size_t)dec.ndigits);
    } else if (decpt >= dec.ndigits) {
        at = put(buf, at, dec.digits, (size_t)dec.ndigits);
        at = put_zeros(buf, at, decpt - dec.ndigits);
        at = put(buf, at, ".0", 2);
    } else {
        at = put(buf, at, dec.digits, (size_t)decpt);
        buf[at++] = '.';
        at = put(buf, at, dec.digits + decpt, (size_t)(dec.ndigits - decpt));
    }
    buf[at] = '\0';
    return at;
}
