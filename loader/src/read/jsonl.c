/* JSONL in bounded memory (telemetry.py _load_jsonl_events): the file is read
 * in chunks and cut into lines the way Python's universal-newline text mode
 * and str.splitlines() cut it: at \n, \r\n and \r, and at the breaks only
 * splitlines() knows (\v, \f, \x1c-\x1e, U+0085, U+2028, U+2029), which end
 * a line even inside a JSON string and stay at its end; blank lines are
 * skipped; a line that does not parse is an error unless it is the last line
 * and has no \n (a torn write, dropped); a parsed non-object is an error.
 * Line numbers count every line, blank ones included. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonl.h"
#include "pytext.h"

#define JSONL_CHUNK ((size_t)1 << 20)

bool sl_jsonl_open(sl_jsonl_reader *r, const char *path, size_t max_line_bytes,
                   bool allow_symlink, sl_fail_info *f)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
    r->path = path;
    r->max_line_bytes = max_line_bytes;
    r->fd = sl_open_regular(path, allow_symlink, f);
    if (r->fd < 0) {
        r->vanished = errno == ENOENT;
        return false;
    }
    r->cap = JSONL_CHUNK;
    r->buf = malloc(r->cap);
    r->tok = sl_json_tokener_new();
    if (!r->buf || !r->tok) {
        sl_jsonl_close(r);
        return sl_failf(f, STORMLOG_E_NO_MEMORY, "out of memory");
    }
    return true;
}

void sl_jsonl_close(sl_jsonl_reader *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    free(r->buf);
    r->buf = NULL;
    if (r->tok)
        json_tokener_free(r->tok);
    r->tok = NULL;
}

/* Read more bytes behind what is left of the buffer; grows it for a line
 * longer than the buffer, up to the line limit. */
static bool refill(sl_jsonl_reader *r, sl_fail_info *f)
{
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->len - r->start);
        r->len -= r->start;
        r->start = 0;
    }
    if (r->len == r->cap) {
        if (r->cap >= r->max_line_bytes + 2) {
            sl_failf(f, STORMLOG_E_LIMIT, "Telemetry record in %s at line %ld is longer than %zu bytes",
                     r->path, r->line_no + 1, r->max_line_bytes);
            sl_fail_where(f, r->path, r->line_no + 1, -1);
            return false;
        }
        size_t cap = r->cap * 2;
        if (cap > r->max_line_bytes + 2)
            cap = r->max_line_bytes + 2;
        char *nb = realloc(r->buf, cap);
        if (!nb)
            return sl_failf(f, STORMLOG_E_NO_MEMORY, "out of memory");
        r->buf = nb;
        r->cap = cap;
    }
    for (;;) {
        ssize_t n = read(r->fd, r->buf + r->len, r->cap - r->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            sl_failf(f, STORMLOG_E_IO, "[Errno %d] %s: '%s'", errno, strerror(errno), r->path);
            sl_fail_where(f, r->path, 0, -1);
            return false;
        }
        if (n == 0)
            r->eof = true;
        r->len += (size_t)n;
        return true;
    }
}

/* How a line ended, as Python's text mode and str.splitlines() see it. */
typedef enum {
    LINE_UNTERMINATED, /* the end of the file */
    LINE_NEWLINE,      /* \n, \r\n or \r: a "\n" once universal newlines are applied */
    LINE_PY_BREAK      /* \v \f \x1c-\x1e U+0085 U+2028 U+2029: kept by keepends, which
                          json.loads then refuses as trailing text */
} line_end;

/* The next line: [*line, *line + *n), and how it ended. 0 at the end of the
 * file, -1 on a read error. */
static int next_line(sl_jsonl_reader *r, const char **line, size_t *n, line_end *end,
                     sl_fail_info *f)
{
    for (;;) {
        const char *p = r->buf + r->start;
        size_t avail = r->len - r->start;
        size_t blen = 0;
        size_t at = sl_py_line_break(p, avail, &blen);
        if (at < avail && p[at] == '\r') {
            if (at + 1 < avail || r->eof) {
                /* \r\n is one break, a lone \r is a break of its own. */
                bool crlf = at + 1 < avail && p[at + 1] == '\n';
                *line = p;
                *n = at;
                *end = LINE_NEWLINE;
                r->start += at + (crlf ? 2 : 1);
                return 1;
            }
            /* A \r at the end of the buffer: its \n may be in the next read. */
        } else if (at < avail && (p[at] == '\n' || at + blen < avail || r->eof)) {
            /* (After a Python-only break, read on first: whether anything
             * follows decides if this is the last line.) */
            *line = p;
            *n = at;
            *end = p[at] == '\n' ? LINE_NEWLINE : LINE_PY_BREAK;
            r->start += at + blen;
            return 1;
        } else if (at == avail && r->eof) {
            if (avail == 0)
                return 0;
            *line = p;
            *n = avail;
            *end = LINE_UNTERMINATED;
            r->start = r->len;
            return 1;
        }
        if (!refill(r, f))
            return -1;
    }
}

static bool is_blank_line(const char *s, size_t n)
{
    /* Most lines start with '{': decide on the first byte when we can. */
    if (n > 0 && s[0] == '{')
        return false;
    return sl_py_is_blank(s, n);
}

int sl_jsonl_next(sl_jsonl_reader *r, const sl_convert_ctx *ctx, stormlog_event *ev,
                  sl_fail_info *f)
{
    if (r->done)
        return 0;
    for (;;) {
        const char *line;
        size_t n;
        line_end end;
        int got = next_line(r, &line, &n, &end, f);
        if (got <= 0) {
            r->done = true;
            return got;
        }
        r->line_no++;
        if (is_blank_line(line, n))
            continue;
        const char *why = NULL;
        size_t where;
        json_object *obj = NULL;
        if (end == LINE_PY_BREAK) {
            /* json.loads(line) sees the break character after the value. */
            json_tokener_reset(r->tok);
            why = "line ends in a character JSON does not count as whitespace";
        } else {
            obj = sl_json_parse(r->tok, line, n, &why, &where);
        }
        if (why) {
            bool last = end != LINE_NEWLINE && r->start == r->len && r->eof;
            if (last && !sl_utf8_valid(line, n)) {
                /* Python decodes the whole file before splitting it. */
                r->done = true;
                sl_failf(f, STORMLOG_E_PARSE, "Telemetry file %s is not valid UTF-8 (line %ld)",
                         r->path, r->line_no);
                sl_fail_where(f, r->path, r->line_no, -1);
                return -1;
            }
            if (last && why != sl_json_why_too_many_digits &&
                json_tokener_get_error(r->tok) != json_tokener_error_depth) {
                /* A torn final write: dropped, as the reference does. */
                r->done = true;
                r->torn_line = r->line_no;
                return 0;
            }
            r->done = true;
            r->line_error = true;
            if (json_tokener_get_error(r->tok) == json_tokener_error_depth)
                sl_failf(f, STORMLOG_E_LIMIT,
                         "Telemetry record in %s at line %ld is nested deeper than %d levels",
                         r->path, r->line_no, SL_JSON_DEPTH);
            else if (why == sl_json_why_too_many_digits)
                sl_failf(f, STORMLOG_E_PARSE, "Telemetry record in %s at line %ld holds an %s",
                         r->path, r->line_no, why);
            else
                sl_failf(f, STORMLOG_E_PARSE, "Malformed telemetry JSONL record in %s at line %ld",
                         r->path, r->line_no);
            sl_fail_where(f, r->path, r->line_no, -1);
            return -1;
        }
        if (!obj || json_object_get_type(obj) != json_type_object) {
            json_object_put(obj);
            r->done = true;
            r->line_error = true;
            sl_failf(f, STORMLOG_E_FORMAT, "Telemetry record in %s at line %ld must be an object",
                     r->path, r->line_no);
            sl_fail_where(f, r->path, r->line_no, -1);
            return -1;
        }
        sl_convert_ctx line_ctx = *ctx;
        line_ctx.source = line;
        line_ctx.source_len = n;
        bool ok = sl_event_from_record(obj, &line_ctx, ev, f);
        json_object_put(obj);
        if (!ok) {
            r->done = true;
            r->line_error = f->code != STORMLOG_E_NO_MEMORY;
            sl_fail_where(f, r->path, r->line_no, -1);
            return -1;
        }
        return 1;
    }
}

bool sl_jsonl_skip_bad_line(sl_jsonl_reader *r)
{
    if (!r->line_error)
        return false;
    r->line_error = false;
    r->done = false;
    return true;
}
