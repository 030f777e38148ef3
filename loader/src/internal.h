/* What the loader's files share and the public header does not show: the
 * event as stored, the arena its strings live in, the error builder, and the
 * entry points each file offers the others. Nothing here is exported. */
#ifndef STORMLOG_LOADER_INTERNAL_H
#define STORMLOG_LOADER_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "stormlog/loader.h"
#include "stormlog/schema/record.h"

#define SL_HIDDEN __attribute__((visibility("hidden")))

/* Integers wider than int64 (Python's are unbounded) are carried through
 * conversion as 128-bit values; what does not fit 128 bits is refused. */
typedef __int128 sl_wint;

/* ---- arena: many small strings freed all at once (one per recording) ---- */
typedef struct sl_arena_block sl_arena_block;
typedef struct sl_arena {
    sl_arena_block *head;
    size_t used_bytes; /* what the blocks hold, for the bench's accounting */
} sl_arena;

SL_HIDDEN void sl_arena_init(sl_arena *a);
SL_HIDDEN void sl_arena_free(sl_arena *a);
SL_HIDDEN void *sl_arena_alloc(sl_arena *a, size_t size); /* 16-aligned, NULL on OOM */
/* A NUL-terminated copy of bytes[0..len) (which may contain NULs). */
SL_HIDDEN char *sl_arena_strdup(sl_arena *a, const char *bytes, size_t len);
/* Moves every block of src into dst (src ends empty). */
SL_HIDDEN void sl_arena_adopt(sl_arena *dst, sl_arena *src);

/* ---- strings ---- */
typedef struct sl_str {
    const char *ptr; /* NUL-terminated; NULL stands for JSON null */
    size_t len;
} sl_str;

/* ---- the event as stored ---- */

/* The stored event: every v3 field, typed. Integer fields live in ival[]
 * indexed by sl_field; strings in their own slots. A value beyond int64 is
 * saturated in ival[] and kept exactly in wide[] (NULL when none is). */
struct stormlog_event {
    int64_t ival[SL_F_COUNT];
    sl_str session_id, event_type, collector, host, context, job_id;
    sl_str metadata_json;  /* JSON text of the metadata object (as written, or printed by json-c) */
    uint32_t null_mask;    /* bit f: the nullable integer field f is null */
    uint32_t session_index;/* which session of the recording (while loading) */
    uint32_t origin;       /* which sink of the input it came from (source label) */
    uint32_t segment;      /* which JSONL file of the input (plan order) it came from */
    uint64_t seq;          /* position in reading order: the stable-sort tie-break */
    const sl_wint *wide;   /* [SL_F_COUNT] or NULL; in the owner's arena */
    uint32_t wide_mask;    /* bit f: ival[f] is saturated, wide[f] exact */
};

/* Where an event's owned memory comes from while it is built. */
typedef struct sl_event_alloc {
    sl_arena *arena;
    /* Consecutive events usually repeat collector / host / event_type: reuse
     * the previous copy instead of storing the same bytes again. */
    sl_str last_collector, last_host, last_event_type, last_session, last_job_id;
} sl_event_alloc;

/* ---- errors ---- */
struct stormlog_error {
    stormlog_status code;
    char *message;
    char *file;      /* NULL when not about one file */
    long line;       /* 1-based JSONL line, 0 when not applicable */
    long index;      /* 0-based JSON array index, -1 when not applicable */
};

/* An error under construction: the library's internal form, kept on the
 * stack, turned into a stormlog_error only when it leaves the library. */
typedef struct sl_fail_info {
    stormlog_status code;
    char message[1100];
    char file[4096];
    long line;
    long index;
    bool set;
} sl_fail_info;

SL_HIDDEN void sl_fail_init(sl_fail_info *f);
SL_HIDDEN bool sl_failf(sl_fail_info *f, stormlog_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
SL_HIDDEN void sl_fail_where(sl_fail_info *f, const char *file, long line, long index);
/* Publish as a stormlog_error (NULL-safe out; falls back to a static
 * out-of-memory error object when even that allocation fails). */
SL_HIDDEN void sl_fail_publish(const sl_fail_info *f, stormlog_error **out);
/* A public entry point failing at once (a missing argument, no memory):
 * records message, publishes it to *out and returns code. */
SL_HIDDEN stormlog_status sl_fail_now(sl_fail_info *f, stormlog_error **out, stormlog_status code, const char *message);

/* ---- options ---- */
struct stormlog_options {
    bool permissive_legacy;
    char *events_key;     /* NULL: "events" / single record */
    unsigned threads;     /* segment-parallel loading; 1 = the calling thread only */
    unsigned job_depth;   /* how deep a job directory is searched for sinks */
    size_t max_line_bytes;/* longest JSONL line accepted */
};
SL_HIDDEN void sl_options_defaults(stormlog_options *o);
/* opts, or *defaults filled with the defaults when opts is NULL. */
SL_HIDDEN const stormlog_options *sl_options_or_defaults(const stormlog_options *opts, stormlog_options *defaults);

/* ---- JSON reading (json.c, bigint.c) ---- */

/* json-c's nesting limit. Python's decoder reads about 990 levels before its
 * recursion limit (the reference then crashes): nothing it reads is refused
 * here. Deeper is an error of ours, never a stack overflow. */
#define SL_JSON_DEPTH 1000

/* Parse exactly one JSON document from bytes[0..len) (whitespace around it
 * allowed, anything else after it is an error), the way Python's json.loads
 * reads it as far as json-c allows: strict mode, UTF-8 validated, integers
 * beyond 64 bits recovered exactly (see bigint.c). On failure returns NULL
 * with *why set to a static description. `tok` is reused between calls. */
SL_HIDDEN json_object *sl_json_parse(json_tokener *tok, const char *bytes, size_t len,
                                     const char **why, size_t *where);
SL_HIDDEN json_tokener *sl_json_tokener_new(void);
/* Strict UTF-8 as Python's decoder reads it (no overlong forms, no encoded
 * surrogates, nothing above U+10FFFF). */
SL_HIDDEN bool sl_utf8_valid(const char *s, size_t len);

/* Big integers: json-c saturates integers outside int64/uint64. bigint.c
 * re-reads the text when a parsed tree holds a saturated value and puts back
 * an exact node: a json-c int whose serializer prints the digits. */
/* *too_long: an integer literal has more digits than Python's int() reads
 * (json.loads then raises a ValueError that is not a JSONDecodeError). */
#define SL_PY_INT_MAX_DIGITS 4300
SL_HIDDEN bool sl_bigint_repair(json_object **root, const char *bytes, size_t len, bool *too_long);
/* sl_json_parse's *why for that case: unlike a syntax error it is never a
 * torn JSONL tail. */
SL_HIDDEN extern const char sl_json_why_too_many_digits[];
/* A json-c int (holding the saturated value) whose serializer prints digits. */
SL_HIDDEN json_object *sl_bigint_new(const char *digits, size_t len);
/* The digits of a big-integer node, or NULL when obj is not one. */
SL_HIDDEN const char *sl_bigint_digits(json_object *obj);
/* Parse decimal digits (optional '-') into 128 bits; false when wider. */
SL_HIDDEN bool sl_wint_parse(const char *s, size_t len, sl_wint *out);
/* Decimal spelling of v into buf (48 bytes); returns the length. */
SL_HIDDEN size_t sl_wint_format(sl_wint v, char buf[48]);
/* v as a JSON integer: int64, uint64, or a big node beyond both. */
SL_HIDDEN json_object *sl_wint_json(sl_wint v);
/* A JSON integer (int, uint64 or big node) as 128 bits: false when obj is not
 * an integer or does not fit. */
SL_HIDDEN bool sl_json_get_wint(json_object *obj, bool *is_int, sl_wint *out);

/* ---- conversion of one record (convert.c, legacy.c) ---- */

typedef struct sl_convert_ctx {
    bool permissive_legacy;
    const char *default_session_id; /* NULL: derive a stable legacy id */
    sl_event_alloc *alloc;
    /* The record's own JSON text when it is the whole document (a JSONL
     * line), else NULL: lets the metadata text be taken as written instead
     * of printed again. */
    const char *source;
    size_t source_len;
} sl_convert_ctx;

/* telemetry_event_from_record: fill ev from the parsed record. false with
 * f->message set to the spec's exact message on any refusal. */
SL_HIDDEN bool sl_event_from_record(json_object *record, const sl_convert_ctx *ctx,
                                    stormlog_event *ev, sl_fail_info *f);
SL_HIDDEN bool sl_event_from_legacy(json_object *record, const sl_convert_ctx *ctx,
                                    stormlog_event *ev, sl_fail_info *f);
/* Store value v into ev's integer field (saturating + wide side table). */
SL_HIDDEN bool sl_event_set_int(stormlog_event *ev, sl_field field, sl_wint v, sl_arena *a);
SL_HIDDEN bool sl_event_store_str(sl_event_alloc *al, sl_str *slot, sl_str *last,
                                  const char *p, size_t len);
SL_HIDDEN bool sl_event_store_metadata(stormlog_event *ev, json_object *metadata,
                                       sl_arena *a);
/* The final validate_telemetry_record over the built event. */
SL_HIDDEN bool sl_event_validate(const stormlog_event *ev, sl_fail_info *f);

/* Python str() of a JSON value, for stable ids: into a malloc'd string. */
SL_HIDDEN char *sl_py_str(json_object *v);
/* stable_legacy_session_id: "legacy-" + uuid5(URL, parts joined by "::"),
 * NULL parts left out. out needs 44 bytes. */
SL_HIDDEN void sl_stable_id(const char *const *parts, size_t n, char out[44]);

/* Unicode digits as Python's str.isdigit() / int() see them (unidigits.c). */
SL_HIDDEN int sl_unicode_isdigit(uint32_t cp);  /* 0 no, 1 decimal (int() ok), 2 digit only */
SL_HIDDEN int sl_unicode_decimal_value(uint32_t cp);

/* ---- reading inputs (jsonl.c, jsoninput.c, manifest.c, sink.c) ---- */

typedef struct sl_manifest_session {
    json_object *summary; /* the normalised summary as a json-c object (11 keys) */
    char *session_id;
    int status_rank;      /* index into the status table */
    sl_wint started, ended; /* clamped to 128 bits: what ordering needs */
    bool has_ended;
} sl_manifest_session;

typedef struct sl_manifest_segment {
    char *filename;
    char *session_id; /* NULL when none */
    int64_t event_count, size_bytes; /* _coerce_manifest_int, default 0 */
} sl_manifest_segment;

typedef struct sl_manifest {
    sl_wint schema_version;
    sl_manifest_session *sessions;
    size_t session_count;
    sl_manifest_segment *segments;
    size_t segment_count;
    char **unsafe_names;  /* segment filenames ignored: not plain names (validate reports them) */
    size_t unsafe_count;
} sl_manifest;

/* read_telemetry_sink_manifest: NULL when absent or unreadable (never an error). */
SL_HIDDEN sl_manifest *sl_manifest_read(const char *manifest_path);
SL_HIDDEN void sl_manifest_free(sl_manifest *m);
/* The manifest, read as leniently as the reference reads it, at a path, even with unusual segment names
 * (for coverage); NULL when absent or unreadable. */
SL_HIDDEN sl_manifest *sl_manifest_read_all(const char *manifest_path);

/* Open a file for reading without following a final symlink, and only when
 * it is a regular file. -1 with f set otherwise. */
SL_HIDDEN int sl_open_regular(const char *path, bool allow_symlink, sl_fail_info *f);
/* Read a whole regular file into a malloc'd buffer (NUL-terminated). */
SL_HIDDEN char *sl_read_whole_file(const char *path, size_t *len, sl_fail_info *f);

/* ---- sessions and the recording (group/sessions.c, group/recording.c) ---- */

/* Event storage: blocks of events with stable addresses, appended in
 * reading order. */
#define SL_EVENT_BLOCK_MIN 32
#define SL_EVENT_BLOCK_MAX 4096
typedef struct sl_event_block {
    struct sl_event_block *next;
    size_t count, cap; /* cap doubles from block to block, small files stay small */
    stormlog_event ev[];
} sl_event_block;

typedef struct sl_event_list {
    sl_event_block *head, *tail;
    size_t count;
} sl_event_list;

/* A zeroed slot at the end of the list, NULL on out-of-memory. */
SL_HIDDEN stormlog_event *sl_event_list_push(sl_event_list *l);
/* Drop the last slot pushed (a record that failed). */
SL_HIDDEN void sl_event_list_pop(sl_event_list *l);
SL_HIDDEN void sl_event_list_append(sl_event_list *dst, sl_event_list *src);
SL_HIDDEN void sl_event_list_free(sl_event_list *l);

struct stormlog_session {
    char *session_id;
    size_t session_id_len;
    json_object *summary;      /* 11 keys, owned */
    int status_rank;
    sl_wint started, ended;
    bool has_ended;
    stormlog_event **events;   /* slice of the recording's sorted pointer array */
    size_t event_count;
    const char **sources;      /* sources_loaded (sink inputs), in the recording's arena */
    size_t source_count;
};

struct stormlog_recording {
    sl_arena arena;
    sl_event_list events;
    stormlog_event **sorted;   /* all events: by session, then timestamp, then seq */
    stormlog_session *sessions;/* in the loader's order */
    size_t session_count;
    size_t default_index;      /* SIZE_MAX when there is no session */
    char **warnings;
    size_t warning_count;
    size_t vanished_segments;  /* deleted between listing and opening: skipped */
};

/* Status names in priority order: completed 0, interrupted 1, incomplete 2, running 3. */
SL_HIDDEN int sl_status_rank(const char *name, size_t len);
SL_HIDDEN const char *sl_status_name(int rank);


/* ---- JSON output of stored things ---- */
SL_HIDDEN json_object *sl_int_json(const stormlog_event *ev, sl_field f);

#endif
