/* Validation failures: one fixed buffer per error, never allocated. */
#include "stormlog/schema/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Mark a full buffer: the last three characters become "..." so a reader sees
 * the message was cut, not that the input ended there. */
static void mark_truncated(sl_error *err)
{
    memcpy(err->message + SL_ERROR_MESSAGE_MAX - 4, "...", 4);
    err->truncated = true;
}

bool sl_fail(sl_error *err, const char *fmt, ...)
{
    if (!err)
        return false;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    err->truncated = false;
    if (n < 0)
        err->message[0] = '\0';
    else if ((size_t)n >= sizeof err->message)
        mark_truncated(err);
    return false;
}

void sl_error_reset(sl_error *err)
{
    err->message[0] = '\0';
    err->truncated = false;
}

bool sl_error_append(sl_error *err, const char *bytes, size_t len)
{
    if (err->truncated)
        return false;
    size_t used = strlen(err->message);
    size_t room = SL_ERROR_MESSAGE_MAX - 1 - used;
    if (len > room) {
        mark_truncated(err);
        return false;
    }
    memcpy(err->message + used, bytes, len);
    err->message[used + len] = '\0';
    return true;
}
