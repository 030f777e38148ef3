/* Finds integer literals json-c would clamp. json-c parses an integer beyond
 * its int64/uint64 range as the nearest bound without an error, so a
 * loader that must refuse such input (Python would keep the exact value)
 * has to look at the text itself. */
#include "stormlog/schema/jsonc.h"

#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Is the magnitude digits[0..n) above limit (both without sign)? */
static bool exceeds(const char *digits, size_t n, const char *limit)
{
    while (n > 1 && digits[0] == '0') {
        digits++;
        n--;
    }
    size_t limit_len = strlen(limit);
    if (n != limit_len)
        return n > limit_len;
    return memcmp(digits, limit, n) > 0;
}

bool sl_json_text_has_huge_integer(const char *text, size_t len)
{
    size_t i = 0;
    while (i < len) {
        char c = text[i];
        if (c == '"') {
            /* Skip the string, escapes included. */
            for (i++; i < len && text[i] != '"'; i++)
                if (text[i] == '\\')
                    i++;
            i++;
            continue;
        }
        if (c != '-' && !is_digit(c)) {
            i++;
            continue;
        }
        bool negative = c == '-';
        size_t start = negative ? i + 1 : i;
        size_t end = start;
        while (end < len && is_digit(text[end]))
            end++;
        size_t after = end;
        bool is_float = false;
        while (after < len && (is_digit(text[after]) || text[after] == '.' || text[after] == 'e' ||
                               text[after] == 'E' || text[after] == '+' || text[after] == '-')) {
            if (text[after] == '.' || text[after] == 'e' || text[after] == 'E')
                is_float = true;
            after++;
        }
        if (!is_float && end > start &&
            exceeds(text + start, end - start,
                    negative ? "9223372036854775808" : "18446744073709551615"))
            return true;
        i = after > i ? after : i + 1;
    }
    return false;
}
