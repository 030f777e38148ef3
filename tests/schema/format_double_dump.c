/* Prints "<bits as hex> <sl_format_double>" for doubles that stress the
 * shortest round-trip search: every power of two (where the interval of
 * strings that read back is lopsided), their neighbours, powers of ten,
 * short decimals, and random bit patterns. check_format_double.py compares
 * each line with Python's repr(). STORMLOG_FORMAT_DOUBLE_N sets how many
 * random ones. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stormlog/schema/encode.h"

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void dump_bits(uint64_t bits)
{
    if ((bits & 0x7FF0000000000000ull) == 0x7FF0000000000000ull)
        return; /* NaN and infinities have their own unit tests */
    double d;
    memcpy(&d, &bits, sizeof d);
    char buf[32];
    sl_format_double(d, buf);
    printf("%016" PRIx64 " %s\n", bits, buf);
}

static void dump(double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    dump_bits(bits);
}

int main(void)
{
    const char *n_text = getenv("STORMLOG_FORMAT_DOUBLE_N");
    long n = n_text ? strtol(n_text, NULL, 10) : 100000;
    for (uint64_t exp = 0; exp < 2047; exp++) {
        uint64_t bits = exp << 52; /* 2^(exp-1023), and the subnormal 0 */
        dump_bits(bits);
        dump_bits(bits + 1);
        if (bits)
            dump_bits(bits - 1);
        dump_bits(bits | 0x8000000000000000ull);
    }
    for (uint64_t m = 1; m < 64; m++)
        dump_bits(m); /* the smallest subnormals */
    double p = 1e-320;
    for (int i = 0; i < 630; i++, p *= 10)
        dump(p);
    for (int j = 0; j < 2000; j++)
        dump((double)j / 1000.0);
    uint64_t state = 0x5eed5eed;
    for (long i = 0; i < n; i++) {
        dump_bits(splitmix64(&state));
        /* Doubles with few significant digits, the common case in metadata. */
        double scale = 1;
        for (int e = (int)(splitmix64(&state) % 40); e > 0; e--)
            scale *= 10;
        double q = (double)(splitmix64(&state) % 100000);
        dump(splitmix64(&state) & 1 ? q / scale : q * scale);
    }
    return 0;
}
