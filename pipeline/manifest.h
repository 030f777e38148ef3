/* The sink's ledger (sink-format.md, "manifest.json"): the sessions that
 * wrote into the directory and the segments they left. In memory it is owned
 * by the sink (writer thread); on disk it is rewritten whole. */
#ifndef STORMLOG_SHIM_PIPELINE_MANIFEST_H
#define STORMLOG_SHIM_PIPELINE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SL_MANIFEST_SCHEMA_VERSION 2
#define SL_MANIFEST_FORMAT "stormlog.append_only_telemetry_sink"

typedef struct sl_manifest_session {
    char *session_id;
    char *status;       /* running, completed, interrupted, ... */
    int64_t started_at_ns;
    bool has_ended;
    int64_t ended_at_ns;
    char *host;
    int64_t pid;
    char *job_id;       /* NULL: null */
    int64_t rank;
    int64_t local_rank;
    int64_t world_size;
    char *source;
} sl_manifest_session;

typedef struct sl_manifest_segment {
    char *filename;
    uint64_t event_count;
    uint64_t size_bytes;
    bool closed;
    char *session_id;   /* NULL: null */
} sl_manifest_segment;

typedef struct sl_manifest {
    sl_manifest_session *sessions;
    size_t session_count, session_cap;
    sl_manifest_segment *segments; /* in file-name order, oldest first */
    size_t segment_count, segment_cap;
} sl_manifest;

void sl_manifest_free(sl_manifest *m);

/* Parses manifest text. false (m left empty) when it is not a JSON object:
 * the caller treats the manifest as absent. Malformed session and segment
 * entries are skipped, counts that are not non-negative ints read as 0,
 * schema_version 1 has no sessions (the reader's rules). */
bool sl_manifest_parse(sl_manifest *m, const char *text, size_t len);

/* Appends a copy (strings duplicated); NULL when out of memory. */
sl_manifest_session *sl_manifest_add_session(sl_manifest *m, const sl_manifest_session *s);
sl_manifest_segment *sl_manifest_add_segment(sl_manifest *m, const char *filename, const char *session_id);
void sl_manifest_remove_segment(sl_manifest *m, size_t index);
sl_manifest_session *sl_manifest_find_session(sl_manifest *m, const char *session_id);
/* Replaces a session's status (a static string or one of the known ones). */
bool sl_manifest_set_status(sl_manifest_session *s, const char *status);

/* The text the reference writes: json.dumps(payload, indent=2) + "\n" with keys in
 * the reference's order, sessions sorted by (started_at_ns, session_id), non-ASCII
 * escaped. false when out of memory. */
bool sl_manifest_render(const sl_manifest *m, sl_buf *out);

#endif
