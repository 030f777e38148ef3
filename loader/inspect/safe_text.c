/* Text that reaches a terminal. A recording is untrusted input: a job_id or
 * context holding ESC [ ... or an OSC 52 sequence would repaint the screen
 * or write the user's clipboard if printed raw. Every text printer goes
 * through here: control characters become visible escapes.
 *
 *   C0 (0x00-0x1f), DEL          -> \xNN   (line breaks and tabs kept where
 *                                           the caller allows them)
 *   C1 (U+0080-U+009F, as UTF-8) -> \u00NN
 *   a byte that is not UTF-8     -> \xNN   (a lone 0x9b is CSI to an 8-bit
 *                                           terminal)
 * A backslash stays as it is: the output is for reading, not for parsing.
 * JSON output keeps its encoder's escapes; cli_write_json adds the two the
 * encoder leaves raw (DEL and C1), which JSON parsers read back unchanged. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid. */
static size_t utf8_length(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0; /* overlong */
        else if (c == 0xed)
            hi = 0x9f; /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* Writes (out != NULL) and counts the escaped form of s[0, n). */
static size_t escape(const char *text, size_t n, bool keep_breaks, char *out)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)text;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7f) {
            if (out)
                out[o] = (char)c;
            o++;
            i++;
            continue;
        }
        if (keep_breaks && (c == '\n' || c == '\t')) {
            if (out)
                out[o] = (char)c;
            o++;
            i++;
            continue;
        }
        size_t len = c < 0x80 ? 1 : utf8_length(s + i, n - i);
        if (len >= 2 && !(len == 2 && c == 0xc2 && s[i + 1] < 0xa0)) {
            if (out)
                memcpy(out + o, s + i, len);
            o += len;
            i += len;
            continue;
        }
        if (len == 2) { /* C1 */
            if (out)
                memcpy(out + o, (char[]){'\\', 'u', '0', '0', hex[s[i + 1] >> 4], hex[s[i + 1] & 15]}, 6);
            o += 6;
            i += 2;
            continue;
        }
        if (out)
            memcpy(out + o, (char[]){'\\', 'x', hex[c >> 4], hex[c & 15]}, 4);
        o += 4;
        i++;
    }
    return o;
}

char *cli_safe_text(const char *s, bool keep_breaks)
{
    size_t n = strlen(s);
    size_t len = escape(s, n, keep_breaks, NULL);
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    escape(s, n, keep_breaks, out);
    out[len] = '\0';
    return out;
}

void cli_safe_write(FILE *out, const char *s, size_t n)
{
    size_t len = escape(s, n, true, NULL);
    if (len == n) {
        fwrite(s, 1, n, out);
        return;
    }
    char *buf = malloc(len);
    if (!buf) {
        /* No room to escape: drop the bytes a terminal would act on. */
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)s[i] >= 0x20 || s[i] == '\n' || s[i] == '\t')
                fputc(s[i], out);
        return;
    }
    escape(s, n, true, buf);
    fwrite(buf, 1, len, out);
    free(buf);
}

int cli_printf(FILE *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    cli_safe_write(out, text, (size_t)n);
    free(text);
    return n;
}

void cli_write_json(FILE *out, const char *s, size_t n)
{
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool c1 = c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] < 0xa0;
        if (c != 0x7f && !c1)
            continue;
        fwrite(s + from, 1, i - from, out);
        fprintf(out, "\\u%04x", c1 ? (unsigned char)s[i + 1] : c);
        i += c1 ? 1 : 0;
        from = i + 1;
    }
    fwrite(s + from, 1, n - from, out);
}
