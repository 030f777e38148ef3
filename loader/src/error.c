/* Errors: built on the stack while a load runs (sl_fail_info), published as
 * a heap stormlog_error only when they leave the library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void sl_fail_init(sl_fail_info *f)
{
    f->code = STORMLOG_OK;
    f->message[0] = '\0';
    f->file[0] = '\0';
    f->line = 0;
    f->index = -1;
    f->set = false;
}

bool sl_failf(sl_fail_info *f, stormlog_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
    f->code = code;
    f->set = true;
    return false;
}

void sl_fail_where(sl_fail_info *f, const char *file, long line, long index)
{
    if (file && !f->file[0])
        snprintf(f->file, sizeof f->file, "%s", file);
    if (line > 0 && f->line == 0)
        f->line = line;
    if (index >= 0 && f->index < 0)
        f->index = index;
}

/* What a caller gets when the error itself cannot be allocated. */
static stormlog_error oom_error = {STORMLOG_E_NO_MEMORY, (char *)"out of memory", NULL, 0, -1};

void sl_fail_publish(const sl_fail_info *f, stormlog_error **out)
{
    if (!out)
        return;
    stormlog_error *e = calloc(1, sizeof *e);
    if (!e) {
        *out = &oom_error;
        return;
    }
    e->code = f->set ? f->code : STORMLOG_E_NO_MEMORY;
    e->message = strdup(f->set ? f->message : "out of memory");
    e->file = f->file[0] ? strdup(f->file) : NULL;
    e->line = f->line;
    e->index = f->index;
    if (!e->message || (f->file[0] && !e->file)) {
        free(e->message);
        free(e->file);
        free(e);
        *out = &oom_error;
        return;
    }
    *out = e;
}

stormlog_status stormlog_error_code(const stormlog_error *err)
{
    return err ? err->code : STORMLOG_OK;
}

const char *stormlog_error_message(const stormlog_error *err)
{
    return err ? err->message : "";
}

const char *stormlog_error_file(const stormlog_error *err)
{
    return err ? err->file : NULL;
}

long stormlog_error_line(const stormlog_error *err)
{
    return err ? err->line : 0;
}

long stormlog_error_index(const stormlog_error *err)
{
    return err ? err->index : -1;
}

void stormlog_error_free(stormlog_error *err)
{
    if (!err || err == &oom_error)
        return;
    free(err->message);
    free(err->file);
    free(err);
}

const char *stormlog_status_name(stormlog_status code)
{
    switch (code) {
    case STORMLOG_OK: return "ok";
    case STORMLOG_E_INVALID_ARGUMENT: return "invalid argument";
    case STORMLOG_E_NO_MEMORY: return "out of memory";
    case STORMLOG_E_IO: return "input/output error";
    case STORMLOG_E_PARSE: return "malformed JSON";
    case STORMLOG_E_FORMAT: return "unexpected JSON shape";
    case STORMLOG_E_RECORD: return "invalid record";
    case STORMLOG_E_LIMIT: return "over a limit";
    case STORMLOG_E_NOT_FOUND: return "not found";
    }
    return "unknown";
}

stormlog_status sl_fail_now(sl_fail_info *f, stormlog_error **out, stormlog_status code, const char *message)
{
    sl_failf(f, code, "%s", message);
    sl_fail_publish(f, out);
    return code;
}
