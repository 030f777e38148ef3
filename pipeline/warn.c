#include "warn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void sl_pipeline_write_stderr(const char *text, size_t len)
{
    int saved_errno = errno;
    for (size_t off = 0; off < len;) {
        ssize_t r = write(STDERR_FILENO, text + off, len - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    errno = saved_errno;
}

static char *defer_buf;
static size_t defer_cap;
static size_t *defer_len;

void sl_pipeline_warn_defer(char *buf, size_t cap, size_t *len)
{
    defer_buf = buf;
    defer_cap = buf ? cap : 0;
    defer_len = buf ? len : NULL;
}

void sl_pipeline_warn(bool quiet, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sl_pipeline_vwarn(quiet, fmt, ap);
    va_end(ap);
}

void sl_pipeline_vwarn(bool quiet, const char *fmt, va_list ap)
{
    if (quiet)
        return;
    int saved_errno = errno;
    char line[1024];
    static const char prefix[] = "stormlog: ";
    size_t n = sizeof prefix - 1;
    memcpy(line, prefix, n);
    int w = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    if (w < 0)
        w = 0;
    n += (size_t)w < sizeof line - n - 1 ? (size_t)w : sizeof line - n - 2;
    line[n++] = '\n';
    if (defer_buf != NULL) {
        if (*defer_len + n <= defer_cap) {
            memcpy(defer_buf + *defer_len, line, n);
            *defer_len += n;
        }
        errno = saved_errno;
        return;
    }
    sl_pipeline_write_stderr(line, n);
    errno = saved_errno;
}
