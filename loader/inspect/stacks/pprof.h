/* `stormlog-inspect export --format pprof` (cmd_export_pprof.c) and its
 * encoder (pprof_write.c). */
#ifndef STORMLOG_INSPECT_PPROF_H
#define STORMLOG_INSPECT_PPROF_H

#include <stdbool.h>
#include <stddef.h>

#include "callsite.h"

/* The view as a gzipped profile.proto message (malloc'd into *out). false
 * when out of memory. */
bool pprof_encode(const cs_moment *m, unsigned char **out, size_t *out_len);

/* export's arguments when --format pprof is among them. */
int inspect_export_pprof(int argc, char **argv);

#endif
