/* The sink directory's files: segments appended whole lines at a time, the
 * manifest replaced atomically, retention, and recovery on open. */
#include "fd_owner.h"
#include "sink.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "stormlog/schema/sink_names.h"

#define SEGMENT_PREFIX "segment-"
#define SEGMENT_SUFFIX ".jsonl"
#define MANIFEST_NAME "manifest.json"
#define MANIFEST_TMP "manifest.tmp"
#define MANIFEST_READ_MAX (64u << 20)

/* ---- small file helpers ---- */

/* Writes everything or fails; *done says how much reached the file. */
static int write_all_counting(int fd, const char *data, size_t len, size_t *done)
{
    size_t off = 0;
    int e = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            e = errno;
            break;
        }
        if (w == 0) {
            e = EIO;
            break;
        }
        off += (size_t)w;
    }
    *done = off;
    return e;
}

static int write_all(int fd, const char *data, size_t len)
{
    size_t done;
    return write_all_counting(fd, data, len, &done);
}

static bool read_whole_file(int dirfd, const char *name, sl_buf *out)
{
    out->len = 0;
    /* O_NONBLOCK: a FIFO (or a device) planted under our name must not
     * hang the open; it is then refused as not a regular file. */
    int fd = sl_fd_lift(openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (fd < 0)
        return false;
    struct stat st;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size <= MANIFEST_READ_MAX;
    while (ok) {
        if (!sl_buf_reserve(out, 65536)) {
            ok = false;
            break;
        }
        ssize_t r = read(fd, out->data + out->len, out->cap - out->len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            ok = false;
        if (r <= 0)
            break;
        out->len += (size_t)r;
    }
    close(fd);
    return ok;
}

/* Index of "segment-NNNNNN.jsonl" (any digit count), or 0 when the name has
 * another shape (it still counts as a segment if it matches segment-*.jsonl). */
static uint64_t segment_index(const char *name)
{
    size_t n = strlen(name), p = strlen(SEGMENT_PREFIX), s = strlen(SEGMENT_SUFFIX);
    if (n <= p + s || strncmp(name, SEGMENT_PREFIX, p) != 0 || strcmp(name + n - s, SEGMENT_SUFFIX) != 0)
        return 0;
    uint64_t v = 0;
    for (size_t i = p; i < n - s; i++) {
        if (name[i] < '0' || name[i] > '9' || v > UINT64_MAX / 10 - 1)
            return 0;
        v = v * 10 + (uint64_t)(name[i] - '0');
    }
    return v;
}

/* The naming rules are the schema core's, shared with the loader. */
static bool is_segment_name(const char *name)
{
    return sl_sink_is_segment_name(name);
}

/* A plain file name: what we may open relative to the directory. */
static bool is_plain_name(const char *name)
{
    return sl_sink_is_plain_name(name, strlen(name));
}

/* Cuts bytes after the last '\n' (a torn write) when cut is set, and counts
 * the non-blank lines and the size left. false when the file is missing. */
static bool scan_segment(int dirfd, const char *name, bool cut, uint64_t *events, uint64_t *size, bool *was_torn)
{
    *was_torn = false;
    if (!is_plain_name(name))
        return false;
    int fd = sl_fd_lift(openat(dirfd, name, (cut ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (fd < 0)
        return false;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return false;
    }
    /* On the heap: no frame of the shim is big (-Wstack-usage). */
    enum { SCAN_CHUNK = 65536 };
    char *buf = malloc(SCAN_CHUNK);
    if (!buf) {
        close(fd);
        return false;
    }
    uint64_t count = 0, off = 0, last_newline_end = 0;
    bool line_has_content = false;
    for (;;) {
        ssize_t r = read(fd, buf, SCAN_CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        for (ssize_t i = 0; i < r; i++) {
            char c = buf[i];
            if (c == '\n') {
                count += line_has_content;
                line_has_content = false;
                last_newline_end = off + (uint64_t)i + 1;
            } else if (c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v') {
                line_has_content = true;
            }
        }
        off += (uint64_t)r;
    }
    if (off > last_newline_end) {
        if (cut && ftruncate(fd, (off_t)last_newline_end) == 0) {
            *was_torn = true;
            off = last_newline_end;
        } else if (line_has_content) {
            count++; /* left in place: the reader drops it or reads it */
        }
    }
    free(buf);
    close(fd);
    *events = count;
    *size = off;
    return true;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of segment-*.jsonl files in the directory, sorted; NULL-safe. */
static char **discover_segments(int dirfd, size_t *count)
{
    *count = 0;
    int fd = sl_fd_dup_high(dirfd);
    if (fd < 0)
        return NULL;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return NULL;
    }
    rewinddir(d);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!is_segment_name(de->d_name))
            continue;
        if (n == cap) {
            size_t want = cap ? cap * 2 : 16;
            char **p = realloc(names, want * sizeof *p);
            if (!p)
                break;
            names = p;
            cap = want;
        }
        names[n] = strdup(de->d_name);
        if (names[n])
            n++;
    }
    closedir(d);
    if (names)
        qsort(names, n, sizeof *names, compare_names);
    *count = n;
    return names;
}

/* ---- opening and recovery ---- */

static int compare_segments(const void *a, const void *b)
{
    return strcmp(((const sl_manifest_segment *)a)->filename, ((const sl_manifest_segment *)b)->filename);
}

/* Adds the segment files the manifest does not list (closed, counted, no
 * session), and sorts the list by file name, as the reference's writer merges.
 * Such a file is most often the last segment of a writer that died between
 * creating it and rewriting the manifest: its torn tail is cut like that of
 * any segment a dead writer left open (we hold the directory's lock, so no
 * live writer is appending to it). */
static void merge_discovered(sl_sink *s)
{
    size_t n = 0;
    char **names = discover_segments(s->dirfd, &n);
    for (size_t i = 0; i < n; i++) {
        bool listed = false;
        for (size_t j = 0; j < s->manifest.segment_count && !listed; j++)
            listed = strcmp(s->manifest.segments[j].filename, names[i]) == 0;
        if (!listed) {
            uint64_t events = 0, size = 0;
            bool torn;
            if (scan_segment(s->dirfd, names[i], true, &events, &size, &torn)) {
                s->recovered_tails += torn;
                sl_manifest_segment *g = sl_manifest_add_segment(&s->manifest, names[i], NULL);
                if (g) {
                    g->event_count = events;
                    g->size_bytes = size;
                    g->closed = true;
                }
            }
        }
        free(names[i]);
    }
    free(names);
    if (s->manifest.segment_count > 1)
        qsort(s->manifest.segments, s->manifest.segment_count, sizeof *s->manifest.segments, compare_segments);
}

/* Whoever wrote here before is dead (we hold the directory's lock): its
 * running sessions become interrupted and every segment it left open is
 * closed, with the torn tail of its last write cut off and the counts taken
 * from what is really in the file (the manifest lags the last flush). */
static void recover_dead_writer(sl_sink *s)
{
    int64_t now = sl_realtime_ns();
    for (size_t i = 0; i < s->manifest.session_count; i++) {
        sl_manifest_session *ses = &s->manifest.sessions[i];
        if (strcmp(ses->status, "running") == 0 && sl_manifest_set_status(ses, "interrupted")) {
            ses->has_ended = true;
            ses->ended_at_ns = now;
        }
    }
    for (size_t i = 0; i < s->manifest.segment_count; i++) {
        sl_manifest_segment *g = &s->manifest.segments[i];
        bool interrupted = false;
        if (g->session_id) {
            sl_manifest_session *ses = sl_manifest_find_session(&s->manifest, g->session_id);
            interrupted = ses && strcmp(ses->status, "interrupted") == 0;
        }
        if (g->closed && !interrupted)
            continue;
        uint64_t events, size;
        bool torn = false;
        if (!g->closed && scan_segment(s->dirfd, g->filename, true, &events, &size, &torn)) {
            g->event_count = events;
            g->size_bytes = size;
            s->recovered_tails += torn;
        }
        g->closed = true;
    }
}

bool sl_sink_open(sl_sink *s, int dirfd, const char *path, const sl_sink_limits *limits, bool quiet, char *why,
                  size_t why_cap)
{
    memset(s, 0, sizeof *s);
    s->dirfd = dirfd;
    s->segfd = -1;
    if (!sl_fd_own(&s->dirfd, &s->dir_id)) {
        snprintf(why, why_cap, "cannot use %s: %s", path, strerror(errno));
        return false;
    }
    dirfd = s->dirfd; /* moved to a high number */
    s->opened_euid = geteuid();
    s->limits = *limits;
    s->quiet = quiet;
    snprintf(s->path, sizeof s->path, "%s", path);

    sl_buf text = {0};
    if (read_whole_file(dirfd, MANIFEST_NAME, &text) && !sl_manifest_parse(&s->manifest, text.data, text.len))
        sl_manifest_free(&s->manifest); /* unreadable: as if absent */
    sl_buf_free(&text);
    unlinkat(dirfd, MANIFEST_TMP, 0); /* a dead writer's half-written replacement */

    merge_discovered(s);
    recover_dead_writer(s);
    s->next_index = 1;
    for (size_t i = 0; i < s->manifest.segment_count; i++) {
        uint64_t idx = segment_index(s->manifest.segments[i].filename);
        if (idx >= s->next_index)
            s->next_index = idx + 1;
    }
    /* Not synced: it holds no line yet, and the first sync (or the close)
     * makes it durable; a sync here would cost every short process two. */
    if (!sl_sink_write_manifest(s, false)) {
        snprintf(why, why_cap, "cannot write %s/" MANIFEST_NAME ": %s", path, strerror(errno));
        sl_manifest_free(&s->manifest);
        sl_buf_free(&s->scratch);
        close(s->dirfd);
        s->dirfd = -1;
        return false;
    }
    sl_sink_make_reserve(s);
    return true;
}

bool sl_sink_begin_session(sl_sink *s, const sl_manifest_session *session)
{
    free(s->session_id);
    s->session_id = strdup(session->session_id);
    if (!s->session_id || !sl_manifest_add_session(&s->manifest, session))
        return false;
    return sl_sink_write_manifest(s, false);
}

/* ---- descriptors the program may have taken ---- */

/* Before each use: dirfd and segfd must still be the files we opened (see
 * fd_owner.h). One that is not is reopened by path and checked to be the
 * same file: the directory by its path (and its lock taken again: closing
 * the program's copy dropped it), the segment by its name in it. A segment
 * that is gone or replaced is left closed; the next append opens another.
 * false when the directory itself cannot be had back. */
static bool reclaim_fds(sl_sink *s)
{
    if (!sl_fd_still_ours(&s->dirfd, &s->dir_id)) {
        s->fd_reclaims++;
        int fd = open(s->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0 && !sl_fd_is(fd, &s->dir_id)) {
            close(fd); /* another directory at our path now: never write there */
            fd = -1;
        }
        if (fd < 0 || !sl_fd_own(&fd, &s->dir_id)) {
            s->segfd = -1; /* its number may be the program's too: forget it */
            return false;
        }
        s->dirfd = fd;
        flock(s->dirfd, LOCK_EX | LOCK_NB);
    }
    if (s->segfd >= 0 && !sl_fd_still_ours(&s->segfd, &s->seg_id)) {
        s->fd_reclaims++;
        const char *name = s->manifest.segments[s->open_index].filename;
        int fd = is_plain_name(name)
                     ? openat(s->dirfd, name, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
                     : -1;
        if (fd >= 0 && sl_fd_is(fd, &s->seg_id) && sl_fd_own(&fd, &s->seg_id)) {
            s->segfd = fd;
        } else {
            if (fd >= 0)
                close(fd);
            s->manifest.segments[s->open_index].closed = true;
        }
    }
    return true;
}

bool sl_sink_reclaim(sl_sink *s)
{
    return s->dirfd >= 0 && reclaim_fds(s);
}

/* ---- manifest ---- */

bool sl_sink_write_manifest(sl_sink *s, bool sync)
{
    int err = 0;
    if (!reclaim_fds(s)) {
        err = EBADF;
        goto fail;
    }
    if (!sl_manifest_render(&s->manifest, &s->scratch)) {
        err = ENOMEM;
        goto fail;
    }
    int fd = sl_fd_lift(openat(s->dirfd, MANIFEST_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
                               (mode_t)sl_sink_file_mode()));
    if (fd < 0) {
        err = errno;
        goto fail;
    }
    err = write_all(fd, s->scratch.data, s->scratch.len);
    if (err == 0 && sync && fdatasync(fd) != 0)
        err = errno;
    if (close(fd) != 0 && err == 0)
        err = errno;
    if (err == 0 && renameat(s->dirfd, MANIFEST_TMP, s->dirfd, MANIFEST_NAME) != 0)
        err = errno;
    if (err != 0) {
        unlinkat(s->dirfd, MANIFEST_TMP, 0);
        goto fail;
    }
    if (s->observer.manifest_written)
        s->observer.manifest_written(s->observer.ctx, s);
    /* The rename itself, and at the close those of the sidecars the
     * observer has just written (rollups_keeper.c leaves them to this one
     * fsync): one journal commit where there were two. */
    if (sync)
        fsync(s->dirfd);
    return true;
fail:
    s->manifest_failures++;
    errno = err;
    return false;
}

/* ---- segments ---- */

void sl_sink_open_counts(const sl_sink *s, uint64_t *events, uint64_t *bytes)
{
    if (s->segfd < 0) {
        *events = *bytes = 0;
        return;
    }
    *events = s->manifest.segments[s->open_index].event_count;
    *bytes = s->manifest.segments[s->open_index].size_bytes;
}

static size_t find_segment(const sl_sink *s, const char *filename)
{
    for (size_t i = 0; i < s->manifest.segment_count; i++)
        if (strcmp(s->manifest.segments[i].filename, filename) == 0)
            return i;
    return (size_t)-1;
}

/* Opens the next segment file. The index is past every name seen, so O_EXCL
 * failing means someone else put a file there: take the next index. */
static int open_next_segment(sl_sink *s)
{
    for (int tries = 0; tries < 64; tries++) {
        char name[64];
        snprintf(name, sizeof name, SEGMENT_PREFIX "%06" PRIu64 SEGMENT_SUFFIX, s->next_index++);
        int fd = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
                        (mode_t)sl_sink_file_mode());
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0)
            return errno;
        if (!sl_fd_own(&fd, &s->seg_id)) {
            unlinkat(s->dirfd, name, 0);
            return EBADF;
        }
        if (!sl_manifest_add_segment(&s->manifest, name, s->session_id)) {
            close(fd);
            unlinkat(s->dirfd, name, 0);
            return ENOMEM;
        }
        s->segfd = fd;
        s->open_index = s->manifest.segment_count - 1;
        /* The ledger lists the file, with its session, before any line
         * lands in it: an image that dies (exec, kill -9) between the write
         * and the next manifest would otherwise leave it to be rediscovered
         * with no session. A failure here is counted; the next rewrite
         * lists it anyway. */
        s->manifest_stale = !sl_sink_write_manifest(s, false);
        return 0;
    }
    return EEXIST;
}

/* Oldest closed segments go first, until both limits hold; the open one is
 * never deleted (the reference's rule, so a reader never loses the live tail). */
static void apply_retention(sl_sink *s)
{
    for (;;) {
        uint64_t total = 0;
        for (size_t i = 0; i < s->manifest.segment_count; i++)
            total += s->manifest.segments[i].size_bytes;
        if (s->manifest.segment_count <= s->limits.retention_files && total <= s->limits.retention_bytes)
            return;
        size_t victim = (size_t)-1;
        for (size_t i = 0; i < s->manifest.segment_count && victim == (size_t)-1; i++)
            if (s->manifest.segments[i].closed && !(s->segfd >= 0 && i == s->open_index))
                victim = i;
        if (victim == (size_t)-1)
            return;
        sl_manifest_segment *g = &s->manifest.segments[victim];
        if (is_plain_name(g->filename))
            unlinkat(s->dirfd, g->filename, 0);
        s->pruned_segments++;
        s->pruned_bytes += g->size_bytes;
        char *open_name = s->segfd >= 0 ? strdup(s->manifest.segments[s->open_index].filename) : NULL;
        sl_manifest_remove_segment(&s->manifest, victim);
        if (open_name) {
            s->open_index = find_segment(s, open_name);
            free(open_name);
        } else if (s->segfd >= 0 && victim < s->open_index) {
            s->open_index--; /* strdup failed: the shift is all that changed */
        }
    }
}

/* The open segment's unsynced lines to disk. */
static int sync_segment(sl_sink *s)
{
    if (s->segfd < 0 || !s->unsynced)
        return 0;
    if (fdatasync(s->segfd) != 0)
        return errno;
    s->syncs++;
    s->unsynced = false;
    return 0;
}

void sl_sink_roll_over(sl_sink *s)
{
    if (s->segfd < 0)
        return;
    sync_segment(s); /* a closed segment is a synced one */
    s->unsynced = false;
    s->manifest.segments[s->open_index].closed = true;
    sl_fd_release(&s->segfd, &s->seg_id);
    s->rollovers++;
    apply_retention(s);
}

/* Bytes of whole lines at the start of data[0..len). */
static size_t whole_lines_prefix(const char *data, size_t len)
{
    while (len > 0 && data[len - 1] != '\n')
        len--;
    return len;
}

static uint64_t count_newlines(const char *data, size_t len)
{
    uint64_t n = 0;
    for (const char *p = data, *end = data + len; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
        n++;
    return n;
}

int sl_sink_append(sl_sink *s, const char *data, size_t len, uint64_t events, size_t *written_bytes,
                   uint64_t *written_events)
{
    return sl_sink_append_ex(s, data, len, events, true, written_bytes, written_events);
}

int sl_sink_sync(sl_sink *s)
{
    int e = sync_segment(s);
    if (e == 0 && s->manifest_stale && sl_sink_write_manifest(s, false))
        s->manifest_stale = false;
    return e;
}

int sl_sink_append_ex(sl_sink *s, const char *data, size_t len, uint64_t events, bool sync, size_t *written_bytes,
                      uint64_t *written_events)
{
    uint64_t layout = s->rollovers + s->pruned_segments + s->next_index;
    size_t off = 0;
    uint64_t done_events = 0;
    int e = 0;
    bool reclaimed_mid_write = false;
    if (!reclaim_fds(s)) {
        *written_bytes = 0;
        *written_events = 0;
        s->write_failures++;
        return EBADF;
    }
    while (off < len) {
        if (s->segfd < 0) {
            if ((e = open_next_segment(s)) != 0)
                break;
            /* Its own rewrite listed the new segment: that change of layout
             * needs no second one after this write (a rename saved per
             * segment, and one of the three a short process waits for). */
            if (!s->manifest_stale)
                layout = s->rollovers + s->pruned_segments + s->next_index;
        }
        sl_manifest_segment *g = &s->manifest.segments[s->open_index];
        size_t put = 0;
        e = write_all_counting(s->segfd, data + off, len - off, &put);
        if (e == 0 && put > 0)
            s->unsynced = true;
        if (e == 0 && sync && (e = sync_segment(s)) != 0)
            put = 0; /* not known to be on disk: take it all back */
        if (e == 0) {
            if (s->observer.written)
                s->observer.written(s->observer.ctx, s, g->filename, events - done_events);
            g->event_count += events - done_events;
            g->size_bytes += len - off;
            done_events = events;
            off = len;
            break;
        }
        /* A failed write is cut back so that no partial line is left for a
         * later write to extend into a corrupt record. When the file hit its
         * size limit (EFBIG: RLIMIT_FSIZE, the filesystem's maximum), the
         * whole lines that fit stay, the segment is closed and the rest goes
         * to a new one; a limit too small for even one line is a failure
         * like a full disk. */
        s->write_failures++;
        if (!sl_fd_is(s->segfd, &s->seg_id)) {
            /* Taken between the check and the write: nothing of ours to cut
             * back; reopen once and write again. */
            if (reclaimed_mid_write || !reclaim_fds(s))
                break;
            reclaimed_mid_write = true;
            if (put > 0 && s->segfd >= 0) /* a torn line of ours before it went */
                while (ftruncate(s->segfd, (off_t)g->size_bytes) != 0 && errno == EINTR)
                    ;
            e = 0;
            continue;
        }
        /* A full disk (ENOSPC, EDQUOT) keeps the whole lines that fit too,
         * so that a backlog larger than the free space still makes progress. */
        bool keeps = e == EFBIG || e == ENOSPC || e == EDQUOT;
        size_t keep = keeps ? whole_lines_prefix(data + off, put) : 0;
        while (ftruncate(s->segfd, (off_t)(g->size_bytes + keep)) != 0 && errno == EINTR)
            ;
        if (keep > 0 && fdatasync(s->segfd) != 0) {
            while (ftruncate(s->segfd, (off_t)g->size_bytes) != 0 && errno == EINTR)
                ;
            keep = 0;
        }
        uint64_t kept_events = count_newlines(data + off, keep);
        if (kept_events > 0 && s->observer.written)
            s->observer.written(s->observer.ctx, s, g->filename, kept_events);
        g->event_count += kept_events;
        g->size_bytes += keep;
        off += keep;
        done_events += kept_events;
        if (e != EFBIG || g->size_bytes == 0)
            break;
        sl_sink_roll_over(s);
    }
    *written_bytes = off;
    *written_events = done_events;
    if (off > 0) {
        if (s->segfd >= 0) {
            const sl_manifest_segment *g = &s->manifest.segments[s->open_index];
            if (g->event_count >= s->limits.rollover_events || g->size_bytes >= s->limits.rollover_bytes)
                sl_sink_roll_over(s);
        }
        apply_retention(s);
        /* Unsynced writes leave the manifest to the next sync unless the
         * segments changed: a reader (and recovery) counts the lines of an
         * open segment from the file anyway. */
        if (sync || layout != s->rollovers + s->pruned_segments + s->next_index) {
            s->manifest_stale = !sl_sink_write_manifest(s, false);
        } else {
            s->manifest_stale = true;
        }
    }
    return off == len ? 0 : (e ? e : EIO);
}

void sl_sink_close(sl_sink *s, const char *status, int64_t ended_at_ns)
{
    if (s->dirfd < 0)
        return;
    reclaim_fds(s);
    if (s->segfd >= 0) {
        s->manifest.segments[s->open_index].closed = true;
        sync_segment(s);
        s->unsynced = false;
        sl_fd_release(&s->segfd, &s->seg_id);
    }
    s->closing = true;
    if (s->session_id) {
        sl_manifest_session *ses = sl_manifest_find_session(&s->manifest, s->session_id);
        if (ses && sl_manifest_set_status(ses, status)) {
            ses->has_ended = true;
            ses->ended_at_ns = ended_at_ns;
        }
    }
    sl_sink_release_reserve(s); /* its room is for this manifest */
    sl_sink_write_manifest(s, true);
    if (sl_fd_still_ours(&s->dirfd, &s->dir_id))
        flock(s->dirfd, LOCK_UN);
    sl_fd_release(&s->dirfd, &s->dir_id);
    sl_manifest_free(&s->manifest);
    sl_buf_free(&s->scratch);
    free(s->session_id);
    s->session_id = NULL;
}

void sl_sink_forget_fds(sl_sink *s)
{
    sl_fd_release(&s->segfd, &s->seg_id);
    sl_fd_release(&s->dirfd, &s->dir_id);
}
