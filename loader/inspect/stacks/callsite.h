/* Call sites: the stacks the shim records with allocations (metadata
 * stack_id / stack / stack_status, docs/call-sites.md) and the views built from
 * them: live bytes by call site at a moment (`stacks`), the report's
 * "where the memory was", the pprof profile (`export --format pprof`).
 *
 *   stack_table.c  the definitions of one session's stacks, by id
 *   symbolize.c    native frames -> function, file, line (libdw)
 *   sites.c        replay: live bytes per call site at a moment
 *   site_text.c    frames as text and JSON
 *   moment.c       the options that pick a session and a moment, and the view
 *
 * Built on it: cmd_stacks.c (`stacks`), report_sites.c (the report's
 * section), pprof_write.c + cmd_export_pprof.c (`export --format pprof`).
 *
 * Everything borrows from the loaded recording: free before it. */
#ifndef STORMLOG_INSPECT_CALLSITE_H
#define STORMLOG_INSPECT_CALLSITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../cli.h"

/* ---- stack_table.c ------------------------------------------------------ */

typedef struct cs_frame {
    bool python;               /* a Python frame; else a native one */
    char *function, *file;     /* NULL when unknown (native: until symbolized) */
    bool has_line;
    int64_t line;
    char *module, *build_id;   /* native; NULL when the recording has none */
    bool has_offset;
    int64_t offset;            /* native: a return address (module-relative when module is set) */
} cs_frame;

typedef struct cs_stack {
    int64_t id;
    cs_frame *frames;          /* innermost first: the Python frames, then the native ones */
    size_t frame_count, python_count;
    bool truncated;            /* the shim's depth limit dropped outer frames */
    size_t order;              /* reading order of the definition */
} cs_stack;

typedef struct cs_table {
    cs_stack *stacks;          /* sorted by id */
    size_t count, cap;
    uint64_t refs;             /* allocation / failed-allocation events with a stack_id */
    uint64_t undefined_refs;   /* ... whose id no record of the session defines */
    uint64_t table_full;       /* events the shim marked stack_status "table_full" */
    char mode[16];             /* the stop event's stacks.mode, "" when unknown */
} cs_table;

/* Reads every definition in the session's allocation and error events.
 * false when out of memory (t freeable). */
bool cs_table_build(cs_table *t, const stormlog_session *s);
void cs_table_free(cs_table *t);
/* metadata.stack_status is "table_full". */
bool cs_event_table_full(const stormlog_event *ev);
/* The stack with this id, or NULL when the session never defined it. */
const cs_stack *cs_table_find(const cs_table *t, int64_t id);

/* ---- symbolize.c --------------------------------------------------------- */

typedef struct cs_symbolizer cs_symbolizer;

/* NULL when out of memory. */
cs_symbolizer *cs_symbolizer_new(void);
void cs_symbolizer_free(cs_symbolizer *sym);
/* Fills function, file and line of the table's native frames from the
 * modules on this machine whose build-id matches the recorded one (each
 * module opened once); other frames stay module + offset. */
void cs_symbolize_table(cs_symbolizer *sym, cs_table *t);
/* Modules that could not be used (missing, unreadable, another build-id). */
size_t cs_symbolizer_unusable_count(const cs_symbolizer *sym);
/* The i-th unusable module and why ("no such file", "build-id differs"). */
const char *cs_symbolizer_unusable(const cs_symbolizer *sym, size_t i, const char **why);

/* ---- sites.c ------------------------------------------------------------- */

typedef enum {
    CS_SITE_STACK,      /* a defined stack */
    CS_SITE_UNDEFINED,  /* a stack_id no record of the session defines */
    CS_SITE_NONE,       /* the allocation carries no stack (stacks off, older shim) */
    CS_SITE_TABLE_FULL, /* the shim's intern table was full */
} cs_site_kind;

typedef struct cs_site {
    cs_site_kind kind;
    int64_t stack_id;           /* CS_SITE_STACK and CS_SITE_UNDEFINED */
    const cs_stack *stack;      /* CS_SITE_STACK */
    int64_t bytes;              /* live at the moment */
    uint64_t allocations;
    int64_t total_bytes;        /* allocated over the whole session */
    uint64_t total_allocations;
} cs_site;

#define CS_ALL_DEVICES INT64_MIN

/* The call site an event names (allocation or error event). */
void cs_event_site(const cs_table *t, const stormlog_event *ev, cs_site *out);

typedef struct cs_view {
    int64_t device_id;          /* CS_ALL_DEVICES: every device */
    size_t stop;                /* the live set after events [0, stop) */
    int64_t timestamp_ns;       /* of the last event counted; 0 when none */
    int64_t live_bytes;
    uint64_t live_allocations;
    uint64_t untracked;         /* allocations without a pointer: not in the view */
    cs_site *sites;             /* largest live bytes first; sites with nothing live last */
    size_t site_count;
    size_t live_site_count;     /* sites with live allocations (the first ones) */
} cs_view;

/* Replays the session's allocations and frees of one device (or all) and
 * keeps, per call site, what is live after events [0, stop) and what was
 * allocated in the whole session. false when out of memory. */
bool cs_view_build(cs_view *v, const stormlog_session *s, const cs_table *t, int64_t device_id, size_t stop);
void cs_view_free(cs_view *v);
/* What the live sites from index `from` on hold together (a table's "other
 * call sites" line). */
void cs_view_rest(const cs_view *v, size_t from, int64_t *bytes, uint64_t *allocations);

/* Moments. Each answers false when the session has no such moment. */
/* The first event at the device's highest allocator_allocated_bytes (as the
 * report's peak): stop is that index + 1. Device CS_ALL_DEVICES: the device
 * with the highest peak, stored in *device. */
bool cs_moment_peak(const stormlog_session *s, int64_t *device, size_t *stop);
/* The last out-of-memory error event on the device (or any): *index is the
 * event's; the view before it is stop = *index. */
bool cs_moment_last_oom(const stormlog_session *s, int64_t device_id, size_t *index);
/* Every event at or before time ns: stop = first index after it. */
size_t cs_moment_time(const stormlog_session *s, int64_t ns);
bool cs_event_is_oom(const stormlog_event *ev);

/* ---- site_text.c --------------------------------------------------------- */

/* "train.py:41 in forward", "step in trainer.c:88", "libfoo.so+0x1a2b"
 * (malloc'd; NULL when out of memory). */
char *cs_frame_text(const cs_frame *f);
/* A one-line title for a site: its innermost frame, or what it lacks
 * ("no stack recorded", "stack table full", "unknown call site (stack 7)"). */
char *cs_site_title(const cs_site *site);
/* {"function":..., "file":..., "line":N, "module":..., "offset":N}: keys
 * absent where unknown; "python": true for Python frames. */
json_object *cs_frame_json(const cs_frame *f);
/* {"bytes":N, "allocations":N, "frames":[...]} plus "stack_id" and
 * "status" ("undefined", "none", "table_full") where they apply. */
json_object *cs_site_json(const cs_site *site, bool totals);

/* ---- moment.c: --at, --device, --rank, --session ------------------------ */

#define CS_QUERY_OPTIONS_HELP                                                                                          \
    "  --at WHEN                peak (default: the device's highest allocated bytes),\n"                              \
    "                           oom (just before the last out-of-memory error), exit\n"                             \
    "                           (what was never freed), or a time: nanoseconds since\n"                             \
    "                           the epoch, or +DURATION from the session's first event\n"                          \
    "                           (+1.5s, +200ms, +30us, +10ns)\n"                                                     \
    "  --device N               only device N (-1: pinned host memory); default: the\n"                             \
    "                           device of the peak or OOM, every device at exit/TIME\n"                              \
    "  --rank R                 the session of rank R (a job directory)\n"                                          \
    "  --session ID             this session (default: the loader's default session)\n"

typedef struct cs_query {
    const char *at;            /* "peak" when NULL */
    int64_t device;            /* CS_ALL_DEVICES: not given */
    bool has_rank;
    int64_t rank;
    const char *session_id;
} cs_query;

void cs_query_init(cs_query *q);
/* Recognises --at, --device, --rank, --session at argv[*i]; CLI_ARG_BAD with
 * the problem in `problem`. */
cli_arg_result cs_query_arg(cs_query *q, int argc, char **argv, int *i, char *problem, size_t cap);

typedef struct cs_moment {
    const stormlog_session *session;
    bool has_rank;
    int64_t rank;
    const char *at;               /* "peak", "oom", "exit" or "time" */
    cs_table table;
    cs_symbolizer *sym;
    cs_view view;
    const stormlog_event *failed; /* --at oom: the allocation that failed (the last OOM) */
    size_t oom_count;             /* --at oom: out-of-memory errors on the device(s) */
    cs_site failed_site;
} cs_moment;

/* Picks the session and the moment, reads the stacks, symbolizes them and
 * builds the view. false with one line in `problem` (the recording has no
 * stacks, no OOM, no such rank...). */
bool cs_moment_build(cs_moment *m, const stormlog_recording *rec, const cs_query *q, char *problem, size_t cap);
void cs_moment_free(cs_moment *m);
/* The symbolizer's unusable modules as warnings on stderr (a few). */
void cs_moment_warn_unresolved(const cs_moment *m, const char *command);

#endif
