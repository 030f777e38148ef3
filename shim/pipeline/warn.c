#include "warn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void sl_pipeline_warn(bool quiet, const char *fmt, ...)
{
    if (quiet)
        return;
    int saved_errno = errno;
    char line[1024];
    static const char prefix[] = "stormlog: ";
    size_t n = sizeof prefix - 1;
    memcpy(line, prefix, n);
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    if (w < 0)
        w = 0;
    n += (size_t)w < sizeof line - n - 1 ? (size_t)w : sizeof line - n - 2;
    line[n++] = '\n';
    for (size_t off = 0; off < n;) {
        ssize_t r = write(STDERR_FILENO, line + off, n - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    errno = saved_errno;
}
