/* The append-only sink directory (sink-format.md): segments, the manifest,
 * rollover, retention, recovery of what a dead writer left. Owned by one
 * thread at a time (the writer; at shutdown, the thread that joined it). */
#ifndef STORMLOG_SHIM_PIPELINE_SINK_H
#define STORMLOG_SHIM_PIPELINE_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "fd_owner.h"
#include "manifest.h"
#include "pipeline.h"

#define SL_SINK_PATH_MAX 4400

typedef struct sl_sink_limits {
    uint64_t rollover_bytes;
    uint32_t rollover_events;
    uint32_t retention_files;
    uint64_t retention_bytes;
} sl_sink_limits;

struct sl_sink;
/* Who wants to know what the sink wrote (the rollups keeper): `written`
 * after `events` whole lines reached `segment` on disk, `manifest_written`
 * after each successful rewrite of manifest.json. Unset: nobody. */
typedef struct sl_sink_observer {
    void *ctx;
    void (*written)(void *ctx, const struct sl_sink *s, const char *segment, uint64_t events);
    void (*manifest_written)(void *ctx, const struct sl_sink *s);
} sl_sink_observer;

typedef struct sl_sink {
    int dirfd;                /* the sink directory, flock'ed while we write */
    int segfd;                /* the open segment, -1 when none */
    sl_fd_identity dir_id;    /* what dirfd and segfd must still be (fd_owner.h) */
    sl_fd_identity seg_id;
    size_t open_index;        /* its entry in manifest.segments, valid when segfd >= 0 */
    char path[SL_SINK_PATH_MAX];
    sl_sink_limits limits;
    bool quiet;
    sl_manifest manifest;
    char *session_id;         /* the session we write, NULL before sl_sink_begin_session */
    uint64_t next_index;      /* of the next segment file */
    sl_buf scratch;           /* manifest text */
    /* counters */
    uint64_t rollovers;
    uint64_t pruned_segments;
    uint64_t pruned_bytes;
    uint64_t write_failures;
    uint64_t manifest_failures;
    uint64_t recovered_tails; /* torn tails cut on open */
    sl_sink_observer observer;
    bool closing;             /* inside sl_sink_close: the last manifest */
    uint64_t syncs;           /* fdatasyncs of segments */
    bool unsynced;            /* the open segment has lines written but not synced */
    bool manifest_stale;      /* the manifest lags written counts */
    uint64_t fd_reclaims;     /* descriptors the program took from us, reopened by path */
    uid_t opened_euid;        /* a later user-id change explains refused writes */
    bool has_reserve;         /* room set aside for the session's end (sink_reserve.c) */
} sl_sink;

/* What the sink creates is the user's alone (directories 0700, files 0600),
 * or also readable by their group (0750 / 0640) once this is set
 * (STORMLOG_SHARE_GROUP). Set before the first directory is created. */
void sl_sink_share_with_group(bool on);
unsigned sl_sink_dir_mode(void);
unsigned sl_sink_file_mode(void);

/* Creates (mode 0700, see above) and opens <output_dir>/<job or "local">/rank-NNNNN-<host>-<pid>/,
 * refusing a symlink anywhere below output_dir, and takes an exclusive flock
 * on it (a name held by a live writer, possible across PID namespaces, gets a
 * ".N" suffix). Returns the directory fd and fills path; -1 with a one-line
 * reason in why. */
int sl_sink_dir_create(const char *output_dir, const sl_session_info *session, char *path, size_t path_cap,
                       char *why, size_t why_cap);

/* Takes over dirfd. Reads what is there: the manifest (unreadable = absent),
 * segment files it does not list; sessions still `running` are marked
 * `interrupted` (their writer is dead: we hold the lock) and every segment
 * left open is closed, its torn tail cut and its counts taken from the file.
 * Writes the manifest (which also proves the directory writable). false with
 * a reason in why when that write fails; the sink is then closed. */
bool sl_sink_open(sl_sink *s, int dirfd, const char *path, const sl_sink_limits *limits, bool quiet, char *why,
                  size_t why_cap);

/* Adds the session (status running) to the ledger and writes the manifest. */
bool sl_sink_begin_session(sl_sink *s, const sl_manifest_session *session);

/* Events and bytes in the open segment (0, 0 when none). */
void sl_sink_open_counts(const sl_sink *s, uint64_t *events, uint64_t *bytes);

/* Appends whole lines (`events` of them) to the open segment, opening the
 * next one first when none is open, and fdatasyncs; then updates counts,
 * closes the segment when it reached a rollover limit, applies retention
 * and rewrites the manifest. *written_bytes / *written_events say how much
 * of data is now on disk: all of it when 0 is returned. Otherwise returns
 * the errno of the failed write or sync, after cutting the file back so
 * that only whole, synced lines remain. A file that hits its size limit
 * (EFBIG) keeps the whole lines that fit and the rest goes to a new segment. */
int sl_sink_append(sl_sink *s, const char *data, size_t len, uint64_t events, size_t *written_bytes,
                   uint64_t *written_events);
/* The same, with the fdatasync left for sl_sink_sync when sync is false
 * (the writer's durability policy): the lines are written (a killed process
 * keeps them), the manifest is rewritten only when the segments changed. */
int sl_sink_append_ex(sl_sink *s, const char *data, size_t len, uint64_t events, bool sync, size_t *written_bytes,
                      uint64_t *written_events);
/* fdatasyncs what sl_sink_append_ex left unsynced and brings the manifest
 * up to date. 0, or the errno of the failed sync. */
int sl_sink_sync(sl_sink *s);
static inline bool sl_sink_unsynced(const sl_sink *s) { return s->unsynced; }

/* Closes the open segment (marks it closed; the next append opens another). */
void sl_sink_roll_over(sl_sink *s);

/* Makes sure dirfd (and the open segment's descriptor) are still the files
 * the sink opened, reopening by path where the program took the numbers
 * (fd_owner.h). Every use of dirfd outside the sink's own calls (the
 * sidecars' rewrite) comes after it. false when the directory cannot be had
 * back: then nothing may go through dirfd. */
bool sl_sink_reclaim(sl_sink *s);

/* Replaces manifest.json through manifest.tmp; with sync, fsyncs both file
 * and directory. false on failure (counted; the old manifest stays). */
bool sl_sink_write_manifest(sl_sink *s, bool sync);

/* Closes the session with status and end time, closes the segment, writes
 * and syncs the manifest, releases the lock and all memory. */
void sl_sink_close(sl_sink *s, const char *status, int64_t ended_at_ns);

/* Room set aside for the stop event and the last manifest on a full disk. */
#define SL_SINK_RESERVE_BYTES (64u << 10)

/* Creates the reserve in the sink directory (nothing when there is no room). */
void sl_sink_make_reserve(sl_sink *s);

/* Deletes the reserve, giving its room back; true when there was one. */
bool sl_sink_release_reserve(sl_sink *s);

/* Fork child: closes the inherited descriptors and nothing else (the memory
 * may be mid-update by the parent's writer; it is left alone). */
void sl_sink_forget_fds(sl_sink *s);

#endif
