/* A growable byte buffer owned by the writer thread (never touched by
 * application threads, so malloc here is fine). */
#ifndef STORMLOG_SHIM_PIPELINE_BUF_H
#define STORMLOG_SHIM_PIPELINE_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sl_buf {
    char *data;
    size_t len;
    size_t cap;
} sl_buf;

void sl_buf_free(sl_buf *b);
/* Makes room for `more` bytes past len; false when out of memory. */
bool sl_buf_reserve(sl_buf *b, size_t more);
bool sl_buf_append(sl_buf *b, const void *bytes, size_t n);
bool sl_buf_appendf(sl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
