/* Running stormlog-inspect (or any program) from a test, and reading what
 * it wrote. */
#ifndef STORMLOG_TEST_REPORT_RUN_TOOL_H
#define STORMLOG_TEST_REPORT_RUN_TOOL_H

#include <stddef.h>

/* Runs argv (argv[0] a path, NULL-terminated) with stdout and stderr sent to
 * the given files (NULL: /dev/null). Returns the exit status, or -1 when it
 * could not run or was killed. */
int run_tool(const char *const *argv, const char *stdout_path, const char *stderr_path);

/* The whole file, NUL-terminated (malloc'd), or NULL; *len gets its size. */
char *slurp(const char *path, size_t *len);

/* How many times needle occurs in haystack (non-overlapping). */
size_t count_of(const char *haystack, const char *needle);

/* The stormlog-inspect under test ($STORMLOG_INSPECT). */
const char *inspect_path(void);

/* A fresh scratch directory per process ($TMPDIR), removed by scratch_cleanup. */
const char *scratch_dir(void);
void scratch_cleanup(void);

#endif
