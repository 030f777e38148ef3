#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sl_buf_free(sl_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

bool sl_buf_reserve(sl_buf *b, size_t more)
{
    if (b->cap - b->len > more)
        return true;
    size_t want = b->cap ? b->cap : 4096;
    while (want - b->len <= more) {
        if (want > ((size_t)-1) / 2)
            return false;
        want *= 2;
    }
    char *p = realloc(b->data, want);
    if (!p)
        return false;
    b->data = p;
    b->cap = want;
    return true;
}

bool sl_buf_append(sl_buf *b, const void *bytes, size_t n)
{
    if (!sl_buf_reserve(b, n))
        return false;
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

bool sl_buf_appendf(sl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !sl_buf_reserve(b, (size_t)n))
        return false;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return true;
}
