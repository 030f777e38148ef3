/* The subcommands and report parts of the call-site views (callsite.h has
 * the model they share). */
#ifndef STORMLOG_INSPECT_STACKS_H
#define STORMLOG_INSPECT_STACKS_H

#include <stdbool.h>
#include <stdio.h>

#include "stormlog/loader.h"

int inspect_cmd_stacks(int argc, char **argv);

/* The report's "where the memory was" section for one session (nothing
 * when it has no stacks, or s is NULL: a session drawn from the sidecars).
 * false when out of memory. */
bool report_write_sites(FILE *out, const stormlog_session *s);

#endif
