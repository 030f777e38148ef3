/* Scratch files for tests: a fresh directory per test, removed at the end. */
#ifndef STORMLOG_TEST_TMPDIR_H
#define STORMLOG_TEST_TMPDIR_H

#include <stddef.h>

/* mkdtemp under $TMPDIR; the path is static storage until tmp_cleanup. */
const char *tmp_dir(void);
void tmp_cleanup(void);
/* dir/rel (malloc'd). */
char *tmp_path(const char *rel);
/* Write bytes to dir/rel, creating parent directories; returns the path. */
char *tmp_write(const char *rel, const char *bytes, size_t len);
char *tmp_write_str(const char *rel, const char *text);
void tmp_mkdir(const char *rel);
/* A valid v3 record line (with "\n") for session sid at time ts. */
char *v3_line(const char *sid, long long ts, const char *event_type);
/* Scale divisor for heavy tests (STORMLOG_HOSTILE_DIVISOR, default 1). */
long hostile_divisor(void);

#endif
