/* stormlog loader: read telemetry recordings (v3/v2/legacy JSON, JSONL, sink
 * directories, job directories of sinks) with the rules of the Python
 * stormlog loader, from C and from any language with a C FFI.
 *
 *     stormlog_recording *rec;
 *     stormlog_error *err;
 *     if (stormlog_load("run/rank-0", NULL, &rec, &err) != STORMLOG_OK) {
 *         fprintf(stderr, "%s\n", stormlog_error_message(err));
 *         stormlog_error_free(err);
 *         return 1;
 *     }
 *     const stormlog_session *s = stormlog_recording_default_session(rec);
 *     for (size_t i = 0; s && i < stormlog_session_event_count(s); i++)
 *         use(stormlog_session_event(s, i));
 *     stormlog_recording_free(rec);
 *
 * Ownership, once for all: a function named *_new, *_open, *_load or
 * *_from_* hands the caller an object to release with the matching *_free /
 * *_close. A `const` pointer returned by a getter is borrowed: it lives as
 * long as the object it came from and must not be freed. A `json_object *`
 * returned by a getter named *_json is a NEW reference the caller releases
 * with json_object_put(). Strings are UTF-8 and NUL-terminated; JSON may put
 * NUL bytes inside a string, so the *_len variants give the full length.
 *
 * Errors: every fallible call returns a stormlog_status and, when it is not
 * STORMLOG_OK and `err` is not NULL, stores a stormlog_error the caller frees.
 * The message is the exact text of the specification (telemetry-v3.md, the
 * Python loader's own messages); where it happened is separate: file, line
 * (JSONL, 1-based) or index (JSON array, 0-based).
 *
 * Threads: objects are not locked. Distinct objects may be used from distinct
 * threads; a loaded recording may be read from many threads at once. */
#ifndef STORMLOG_LOADER_H
#define STORMLOG_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(STORMLOG_LOADER_BUILDING)
#define STORMLOG_API __attribute__((visibility("default")))
#else
#define STORMLOG_API
#endif

#define STORMLOG_LOADER_VERSION_MAJOR 1
#define STORMLOG_LOADER_VERSION_MINOR 0

typedef enum stormlog_status {
    STORMLOG_OK = 0,
    STORMLOG_E_INVALID_ARGUMENT, /* NULL where a value is required, bad option */
    STORMLOG_E_NO_MEMORY,
    STORMLOG_E_IO,               /* cannot open / read / not a regular file */
    STORMLOG_E_PARSE,            /* bytes that are not JSON (or JSONL line) */
    STORMLOG_E_FORMAT,           /* JSON of the wrong shape (not events) */
    STORMLOG_E_RECORD,           /* a record refused by validation or conversion */
    STORMLOG_E_LIMIT,            /* nesting, line length or file count over a bound */
    STORMLOG_E_NOT_FOUND,        /* requested session absent */
} stormlog_status;

typedef struct stormlog_error stormlog_error;
typedef struct stormlog_options stormlog_options;
typedef struct stormlog_recording stormlog_recording;
typedef struct stormlog_session stormlog_session;
typedef struct stormlog_event stormlog_event;
typedef struct stormlog_stream stormlog_stream;

/* ---- errors ---------------------------------------------------------- */

STORMLOG_API stormlog_status stormlog_error_code(const stormlog_error *err);
/* The spec's message, e.g. "Malformed telemetry JSONL record in d/s.jsonl at line 3". Borrowed. */
STORMLOG_API const char *stormlog_error_message(const stormlog_error *err);
/* The file the error is about, or NULL. Borrowed. */
STORMLOG_API const char *stormlog_error_file(const stormlog_error *err);
/* 1-based JSONL line, or 0. */
STORMLOG_API long stormlog_error_line(const stormlog_error *err);
/* 0-based index in a JSON array of records, or -1. */
STORMLOG_API long stormlog_error_index(const stormlog_error *err);
STORMLOG_API void stormlog_error_free(stormlog_error *err);
STORMLOG_API const char *stormlog_status_name(stormlog_status code); /* static string */

/* ---- options (NULL everywhere means all defaults) --------------------- */

STORMLOG_API stormlog_options *stormlog_options_new(void);
STORMLOG_API void stormlog_options_free(stormlog_options *opts);
/* Convert records without schema_version (default true, as the reference). */
STORMLOG_API void stormlog_options_set_permissive_legacy(stormlog_options *opts, bool on);
/* JSON inputs: the top-level key holding the list of events (copied; NULL resets). */
STORMLOG_API stormlog_status stormlog_options_set_events_key(stormlog_options *opts,
                                                             const char *key);
/* Threads that read segments of a sink or job directory in parallel (default 1). */
STORMLOG_API void stormlog_options_set_threads(stormlog_options *opts, unsigned threads);
/* How many directory levels below a job directory are searched for sinks (default 4). */
STORMLOG_API void stormlog_options_set_job_depth(stormlog_options *opts, unsigned depth);
/* Longest JSONL line accepted, in bytes (default 256 MiB). */
STORMLOG_API void stormlog_options_set_max_line_bytes(stormlog_options *opts, size_t bytes);

/* ---- loading everything ---------------------------------------------- */

/* Load PATH: a JSON file, a JSONL file, a sink directory, its manifest.json,
 * one of its segments, or a job directory (a directory of sink directories,
 * each session keeping its identity). On success *out is the caller's. */
STORMLOG_API stormlog_status stormlog_load(const char *path, const stormlog_options *opts,
                                           stormlog_recording **out, stormlog_error **err);
STORMLOG_API void stormlog_recording_free(stormlog_recording *rec);

/* Sessions in the loader's order (status priority, most recent first, id). */
STORMLOG_API size_t stormlog_recording_session_count(const stormlog_recording *rec);
STORMLOG_API const stormlog_session *stormlog_recording_session(const stormlog_recording *rec,
                                                                size_t i);
/* The session a caller gets without naming one, or NULL when there is none. */
STORMLOG_API const stormlog_session *
stormlog_recording_default_session(const stormlog_recording *rec);
/* A session by id; STORMLOG_E_NOT_FOUND with "Requested session_id not found: ID". */
STORMLOG_API stormlog_status stormlog_recording_find_session(const stormlog_recording *rec,
                                                             const char *session_id,
                                                             const stormlog_session **out,
                                                             stormlog_error **err);
STORMLOG_API size_t stormlog_recording_event_count(const stormlog_recording *rec);
/* Non-fatal notes about the input (e.g. a skipped segment that is a FIFO). Borrowed. */
STORMLOG_API size_t stormlog_recording_warning_count(const stormlog_recording *rec);
STORMLOG_API const char *stormlog_recording_warning(const stormlog_recording *rec, size_t i);
/* Segments of a sink that disappeared between listing and opening (a live
 * writer's retention pruned them): skipped, each with a warning, never an error. */
STORMLOG_API size_t stormlog_recording_vanished_segment_count(const stormlog_recording *rec);

/* ---- a session --------------------------------------------------------- */

STORMLOG_API const char *stormlog_session_id(const stormlog_session *s); /* borrowed */
/* "completed", "interrupted", "incomplete" or "running". Static string. */
STORMLOG_API const char *stormlog_session_status(const stormlog_session *s);
STORMLOG_API int64_t stormlog_session_started_at_ns(const stormlog_session *s);
/* false when the session has no end time (ended_at_ns null). */
STORMLOG_API bool stormlog_session_ended_at_ns(const stormlog_session *s, int64_t *out);
/* The 11-key summary (session_id, status, started_at_ns, ended_at_ns, host,
 * pid, job_id, rank, local_rank, world_size, source). New reference. */
STORMLOG_API json_object *stormlog_session_summary_json(const stormlog_session *s);
/* Events sorted by timestamp (stable). Borrowed, valid while the recording lives. */
STORMLOG_API size_t stormlog_session_event_count(const stormlog_session *s);
STORMLOG_API const stormlog_event *stormlog_session_event(const stormlog_session *s, size_t i);
/* sources_loaded: the segment files of a sink or job input that contributed
 * to the session (as the reference names them, in no particular order). Borrowed. */
STORMLOG_API size_t stormlog_session_source_count(const stormlog_session *s);
STORMLOG_API const char *stormlog_session_source(const stormlog_session *s, size_t i);
/* The sink manifest at manifest_path as the reference's lenient reader sees it
 * (NULL when absent or unreadable): its schema_version and its segments
 * with their recorded event_count and size_bytes, in manifest order. */
typedef struct stormlog_manifest_view stormlog_manifest_view;
STORMLOG_API stormlog_manifest_view *stormlog_manifest_view_read(const char *manifest_path);
STORMLOG_API int64_t stormlog_manifest_view_schema_version(const stormlog_manifest_view *m);
STORMLOG_API size_t stormlog_manifest_view_segment_count(const stormlog_manifest_view *m);
STORMLOG_API const char *stormlog_manifest_view_segment(const stormlog_manifest_view *m, size_t i,
                                                        int64_t *event_count, int64_t *size_bytes);
STORMLOG_API void stormlog_manifest_view_free(stormlog_manifest_view *m);
/* Backend-neutral projection of the session: its unique resources and
 * correlations in first-seen order. New references. */
STORMLOG_API json_object *stormlog_session_resources_json(const stormlog_session *s);
STORMLOG_API json_object *stormlog_session_correlations_json(const stormlog_session *s);

/* ---- an event ---------------------------------------------------------- */

/* The integer fields. Values beyond int64 (Python accepts them) saturate
 * here; stormlog_event_json() carries them exactly. */
typedef enum stormlog_int_field {
    STORMLOG_TIMESTAMP_NS = 2,
    STORMLOG_SAMPLING_INTERVAL_MS = 5,
    STORMLOG_PID = 6,
    STORMLOG_DEVICE_ID = 8,
    STORMLOG_ALLOCATOR_ALLOCATED_BYTES = 9,
    STORMLOG_ALLOCATOR_RESERVED_BYTES = 10,
    STORMLOG_ALLOCATOR_ACTIVE_BYTES = 11,   /* nullable */
    STORMLOG_ALLOCATOR_INACTIVE_BYTES = 12, /* nullable */
    STORMLOG_ALLOCATOR_CHANGE_BYTES = 13,
    STORMLOG_DEVICE_USED_BYTES = 14,
    STORMLOG_DEVICE_FREE_BYTES = 15,        /* nullable */
    STORMLOG_DEVICE_TOTAL_BYTES = 16,       /* nullable */
    STORMLOG_RANK = 20,
    STORMLOG_LOCAL_RANK = 21,
    STORMLOG_WORLD_SIZE = 22,
} stormlog_int_field;

/* false when the field is null (or not an integer field); *out untouched then. */
STORMLOG_API bool stormlog_event_int(const stormlog_event *ev, stormlog_int_field field,
                                     int64_t *out);
STORMLOG_API int64_t stormlog_event_timestamp_ns(const stormlog_event *ev);
/* Borrowed strings; context and job_id return NULL for JSON null. */
STORMLOG_API const char *stormlog_event_session_id(const stormlog_event *ev);
STORMLOG_API const char *stormlog_event_type(const stormlog_event *ev);
STORMLOG_API const char *stormlog_event_collector(const stormlog_event *ev);
STORMLOG_API const char *stormlog_event_host(const stormlog_event *ev);
STORMLOG_API const char *stormlog_event_context(const stormlog_event *ev);
STORMLOG_API const char *stormlog_event_job_id(const stormlog_event *ev);
/* The metadata object's JSON text (borrowed) and its length: as written in
 * the input for v2/v3 JSONL records, as json-c prints it otherwise. */
STORMLOG_API const char *stormlog_event_metadata_text(const stormlog_event *ev, size_t *len);
/* The metadata as a json-c object. New reference (NULL only on out-of-memory). */
STORMLOG_API json_object *stormlog_event_metadata_json(const stormlog_event *ev);
/* The 23-key v3 dictionary (telemetry_event_to_dict). New reference. */
STORMLOG_API json_object *stormlog_event_json(const stormlog_event *ev);
/* Projection (stormlog telemetry_model): the schema-1 envelope. New reference. */
STORMLOG_API json_object *stormlog_event_project_json(const stormlog_event *ev);
/* "telemetry-" + 32 hex digits of SHA-256 over the canonical encoding of the
 * event dictionary. out needs 43 bytes. STORMLOG_E_LIMIT when the metadata is
 * too deep or wide for the canonical encoder. */
STORMLOG_API stormlog_status stormlog_event_record_id(const stormlog_event *ev, char out[43]);

/* ---- one record (telemetry_event_from_record) ------------------------- */

/* Convert one parsed record (borrowed). default_session_id may be NULL: then
 * a stable legacy id is derived from the record. *out is the caller's, freed
 * with stormlog_event_free. */
STORMLOG_API stormlog_status stormlog_event_from_json(json_object *record,
                                                      const stormlog_options *opts,
                                                      const char *default_session_id,
                                                      stormlog_event **out,
                                                      stormlog_error **err);
/* Same for a file holding one JSON document. */
STORMLOG_API stormlog_status stormlog_event_from_file(const char *path,
                                                      const stormlog_options *opts,
                                                      stormlog_event **out,
                                                      stormlog_error **err);
/* Only for events from stormlog_event_from_*; never for a session's events. */
STORMLOG_API void stormlog_event_free(stormlog_event *ev);

/* ---- streaming: one event at a time, bounded memory -------------------- */

/* Open PATH (any input stormlog_load accepts) for a single pass in reading
 * order: segment by segment, line by line. Events are not grouped or sorted;
 * each carries its resolved session id. Memory stays bounded by the longest
 * line, whatever the recording's size (a plain JSON file is the exception:
 * JSON is one document and is parsed whole). */
STORMLOG_API stormlog_status stormlog_stream_open(const char *path, const stormlog_options *opts,
                                                  stormlog_stream **out, stormlog_error **err);
/* 1 and *ev set (borrowed until the next call), 0 at the end, or -1 with
 * *err set. After 0 or -1 the stream stays at its end. */
STORMLOG_API int stormlog_stream_next(stormlog_stream *stream, const stormlog_event **ev,
                                      stormlog_error **err);
STORMLOG_API void stormlog_stream_close(stormlog_stream *stream);
/* Segments skipped so far because they disappeared before they were opened. */
STORMLOG_API size_t stormlog_stream_vanished_segment_count(const stormlog_stream *stream);
/* Warnings so far, as stormlog_recording_warning's (skipped and vanished
 * segments). Borrowed until the stream is closed. */
STORMLOG_API size_t stormlog_stream_warning_count(const stormlog_stream *stream);
STORMLOG_API const char *stormlog_stream_warning(const stormlog_stream *stream, size_t i);

/* ---- checking: every problem, in bounded memory ------------------------ */

typedef enum {
    STORMLOG_FINDING_ERROR,   /* stormlog_load refuses the input because of it */
    STORMLOG_FINDING_WARNING, /* the input loads, but this part of it is not read */
} stormlog_finding_severity;

typedef struct stormlog_finding {
    stormlog_finding_severity severity;
    /* A stable tag: "record" (a line or element refused), "file" (a file or
     * document that cannot be read), "torn-line" (a last line without a line
     * break that does not parse: what a crash or a live writer leaves),
     * "missing-segment" (listed in the manifest, absent), "not-regular" (a
     * FIFO, device or symlink where a segment is), "unsafe-name" (a manifest
     * filename that would leave the directory), "vanished-segment" (deleted
     * while being read). */
    const char *kind;
    const char *file;    /* NULL when none */
    long line;           /* 1-based; 0 when none */
    long index;          /* JSON array index; -1 when none */
    const char *message; /* the loader's message for errors */
} stormlog_finding;

/* Called for each finding, in reading order; the strings are borrowed for
 * the call only. */
typedef void (*stormlog_finding_fn)(void *ctx, const stormlog_finding *finding);

/* Reads PATH as stormlog_load does, keeping nothing, and reports every
 * problem instead of stopping at the first; the first error reported is the
 * one stormlog_load fails with. *events (optional) counts the records that
 * convert. STORMLOG_OK when the input was read through, findings or not;
 * otherwise (the path cannot be read at all) the error, and no findings. */
STORMLOG_API stormlog_status stormlog_check(const char *path, const stormlog_options *opts,
                                            stormlog_finding_fn on_finding, void *ctx,
                                            uint64_t *events, stormlog_error **err);

/* ---- stable legacy ids -------------------------------------------------- */

/* "legacy-" + RFC 4122 uuid5 (URL namespace) of the parts joined by "::".
 * NULL parts are left out. out needs 44 bytes. */
STORMLOG_API void stormlog_stable_legacy_id(const char *const *parts, size_t count, char out[44]);

#ifdef __cplusplus
}
#endif

#endif
