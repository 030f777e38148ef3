/* Output files written whole or not at all: a temporary file beside the
 * target, renamed over it only when everything was written, so a reader
 * never opens half a report, trace or profile. */
#ifndef STORMLOG_INSPECT_WHOLE_FILE_H
#define STORMLOG_INSPECT_WHOLE_FILE_H

#include <stdbool.h>
#include <stdio.h>

/* Fills the file; false when writing failed (errno says why). */
typedef bool (*whole_file_fill)(FILE *out, void *ctx);

/* Writes PATH with fill(out, ctx). false with *err an errno value when the
 * file cannot be made, filled or renamed (the temporary file removed). */
bool whole_file_write(const char *path, whole_file_fill fill, void *ctx, int *err);

#endif
