/* One line on stderr, the only way the pipeline talks to the user. */
#ifndef STORMLOG_SHIM_PIPELINE_WARN_H
#define STORMLOG_SHIM_PIPELINE_WARN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Formats "stormlog: <message>\n" into a stack buffer and writes it with one
 * write(2) to fd 2: no stdio lock (the writer thread may be the caller, and a
 * fork may happen at any time), no allocation, errno left as it was. Nothing
 * is printed when quiet. */
void sl_pipeline_warn(bool quiet, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same with the arguments taken (the shim's sl_config_warn). */
void sl_pipeline_vwarn(bool quiet, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Writes all of text to fd 2 (retrying short writes and EINTR), errno kept. */
void sl_pipeline_write_stderr(const char *text, size_t len);

/* While a buffer is set (one thread: the configuration is read once, before
 * any writer exists), the lines are appended to it instead of printed, so
 * that the configuration's warnings can be said later, once, by the process
 * that records (not by every wrapper and shell of a process tree). Lines
 * that do not fit are dropped. NULL stops it. */
void sl_pipeline_warn_defer(char *buf, size_t cap, size_t *len);

#endif
