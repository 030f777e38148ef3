#ifndef STORMLOG_SCHEMA_ERROR_H
#define STORMLOG_SCHEMA_ERROR_H

#include <stdbool.h>

/* A validation failure: the spec's exact message. Messages that quote input
 * (unknown field names) longer than the buffer end in "..." and set truncated. */
#define SL_ERROR_MESSAGE_MAX 1024
typedef struct sl_error {
    char message[SL_ERROR_MESSAGE_MAX];
    bool truncated;
} sl_error;

/* printf into err->message, marking truncation. Returns false (for `return sl_fail(...)`). */
bool sl_fail(sl_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
