/* The stacks fixture (stacks_fixture.c): a program that records its own
 * allocations as the shim's stacks wire format says (docs/call-sites.md) into
 * a sink directory, with the truth the reader must find: function names,
 * files and lines of the calls, bytes per site at the peak, at the OOM and
 * at exit. Symbolization is then checked against real ELF files. */
#ifndef STORMLOG_TEST_STACKS_FIXTURE_H
#define STORMLOG_TEST_STACKS_FIXTURE_H

#include <stdint.h>

typedef struct fixture_rec fixture_rec;

/* Which Python frames an allocation carries. */
enum { NO_PY = 0, WEIGHTS_PY, ACTIVATIONS_PY };

/* Records an allocation of `bytes` (or, with bytes < 0, a failed one of
 * -bytes) whose stack is the caller's; func, file and line name the call. */
typedef void (*fixture_alloc_fn)(fixture_rec *r, int64_t bytes, int python, const char *func, const char *file,
                                 int line);

/* In the shared library (its offsets are relative to a run-time base). */
void alloc_activations(fixture_rec *r, int64_t bytes, fixture_alloc_fn alloc);

#endif
