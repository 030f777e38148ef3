/* rollups_keeper.h explains the design. The shim's own events need no text
 * normalisation (no severity, no collector status); earlier segments that
 * carry such metadata, or records the shim does not write, make the keeper
 * stop writing rollups.json rather than write a document that differs from
 * the reference's (the CLI's `stormlog-inspect rollups` still computes it). */
#define _GNU_SOURCE
#include "rollups_keeper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "json_scan.h"
#include "fd_owner.h"
#include "sidecar.h"
#include "warn.h"

/* ---- segments and their partials ---- */

/* Segments and old sidecars are read in chunks of this size. */
#define SL_ROLLUPS_READ_CHUNK 65536u

static sl_rollups_seg *seg_find(sl_rollups_keeper *k, const char *filename)
{
    for (size_t i = 0; i < k->seg_count; i++)
        if (strcmp(k->segs[i].filename, filename) == 0)
            return &k->segs[i];
    return NULL;
}

static sl_rollups_seg *seg_get(sl_rollups_keeper *k, const char *filename)
{
    sl_rollups_seg *g = seg_find(k, filename);
    if (g)
        return g;
    if (k->seg_count == k->seg_cap) {
        size_t cap = k->seg_cap ? k->seg_cap * 2 : 8;
        sl_rollups_seg *segs = realloc(k->segs, cap * sizeof *segs);
        if (!segs)
            return NULL;
        k->segs = segs;
        k->seg_cap = cap;
    }
    char *name = strdup(filename);
    if (!name)
        return NULL;
    k->segs[k->seg_count] = (sl_rollups_seg){.filename = name};
    return &k->segs[k->seg_count++];
}

static void seg_free(sl_rollups_seg *g)
{
    for (size_t i = 0; i < g->part_count; i++) {
        free(g->parts[i].session_id);
        sl_rollup_part_free(&g->parts[i].part);
    }
    free(g->parts);
    free(g->filename);
}

static int64_t session_start(const sl_sink *sink, const char *session_id)
{
    for (size_t i = 0; i < sink->manifest.session_count; i++)
        if (strcmp(sink->manifest.sessions[i].session_id, session_id) == 0)
            return sink->manifest.sessions[i].started_at_ns;
    return 0;
}

static sl_rollup_part *part_get(sl_rollups_keeper *k, const sl_sink *sink, sl_rollups_seg *g, const char *session_id)
{
    for (size_t i = 0; i < g->part_count; i++)
        if (strcmp(g->parts[i].session_id, session_id) == 0)
            return &g->parts[i].part;
    sl_rollups_seg_part *parts = realloc(g->parts, (g->part_count + 1) * sizeof *parts);
    if (!parts)
        return NULL;
    g->parts = parts;
    char *id = strdup(session_id);
    if (!id)
        return NULL;
    sl_rollups_seg_part *p = &g->parts[g->part_count++];
    p->session_id = id;
    sl_rollup_part_init(&p->part, session_start(sink, session_id), k->window_ns);
    return &p->part;
}

/* ---- the shim's own events ---- */

static void view_of_queued(const sl_rollups_keeper *k, const sl_rollups_queued *q, sl_rollup_event *v)
{
    memset(v, 0, sizeof *v);
    v->timestamp_ns = q->timestamp_ns;
    v->rank = k->session->rank;
    v->local_rank = k->session->local_rank;
    v->world_size = k->session->world_size;
    v->device_id = q->device_id;
    memcpy(v->counter, q->counter, sizeof v->counter);
    v->event_type = sl_event_type_name((sl_event_type)q->type);
    v->event_type_len = strlen(v->event_type);
    v->is_sample = q->type == SL_EVENT_SAMPLE;
    if (q->type == SL_EVENT_ERROR) { /* no severity metadata: the reference's default for "error" */
        v->is_alert = true;
        v->severity = "critical";
        v->severity_len = 8;
        v->is_oom_marker = q->oom_marker;
    }
}

static bool has_meta(const sl_event *ev, const char *key)
{
    for (unsigned i = 0; i < ev->meta_count; i++)
        if (strcmp(ev->meta[i].key, key) == 0)
            return true;
    return false;
}

void sl_rollups_keeper_observe(sl_rollups_keeper *k, const sl_event *ev)
{
    if (k->active)
        sl_lifetime_observe(&k->lifetime, ev);
}

void sl_rollups_keeper_queue(sl_rollups_keeper *k, const sl_event *ev)
{
    if (!k->enabled)
        return;
    if (k->q_count == k->q_cap) {
        size_t cap = k->q_cap ? k->q_cap * 2 : 1024;
        sl_rollups_queued *q = malloc(cap * sizeof *q);
        if (!q) {
            k->enabled = false; /* the queue would no longer match the lines */
            return;
        }
        for (size_t i = 0; i < k->q_count; i++)
            q[i] = k->queue[(k->q_head + i) % k->q_cap];
        free(k->queue);
        k->queue = q;
        k->q_cap = cap;
        k->q_head = 0;
    }
    sl_rollups_queued *q = &k->queue[(k->q_head + k->q_count++) % k->q_cap];
    q->timestamp_ns = ev->timestamp_ns;
    q->counter[SL_RC_ALLOCATED] = ev->allocated_bytes;
    q->counter[SL_RC_RESERVED] = ev->reserved_bytes;
    q->counter[SL_RC_USED] = ev->device_used_bytes;
    q->device_id = ev->device_id;
    q->type = ev->type;
    q->oom_marker = ev->type == SL_EVENT_ERROR && (has_meta(ev, "oom_reason") || has_meta(ev, "oom_dump_path"));
}

void sl_rollups_keeper_discard_queue(sl_rollups_keeper *k)
{
    k->q_head = k->q_count = 0;
}

/* Sink observer: `events` lines went into `segment`. */
static void on_written(void *ctx, const sl_sink *sink, const char *segment, uint64_t events)
{
    sl_rollups_keeper *k = ctx;
    k->lifetime.events_written += events;
    sl_rollups_seg *g = seg_get(k, segment);
    if (g)
        g->own_events += events;
    if (!k->enabled)
        return;
    sl_rollup_part *p = g && sink->session_id ? part_get(k, sink, g, sink->session_id) : NULL;
    if (!p || events > k->q_count) {
        k->enabled = false;
        return;
    }
    for (uint64_t i = 0; i < events; i++) {
        sl_rollup_event v;
        view_of_queued(k, &k->queue[k->q_head], &v);
        k->q_head = (k->q_head + 1) % k->q_cap;
        k->q_count--;
        if (!sl_rollup_part_observe(p, &v))
            k->enabled = false;
    }
}

/* ---- earlier segments of the directory: read once ---- */

static bool int_member(const sl_jnode *o, const char *key, int64_t *out)
{
    const sl_jnode *n = sl_jnode_member(o, key);
    if (!n || n->kind != SL_JN_INT)
        return false;
    *out = n->integer;
    return true;
}

static bool ascii_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20)))
            return false;
    }
    return true;
}

/* One record line into its session's partial; false when the line is one
 * the keeper cannot aggregate exactly. */
static bool scan_line(sl_rollups_keeper *k, const sl_sink *sink, sl_rollups_seg *g, const char *default_id,
                      const char *line, size_t len)
{
    sl_jnode *root = sl_json_scan(line, len);
    if (!root)
        return false;
    bool ok = root->kind == SL_JN_OBJECT;
    int64_t version = 0;
    ok = ok && int_member(root, "schema_version", &version) && version == 3;
    const sl_jnode *sid = ok ? sl_jnode_member(root, "session_id") : NULL;
    const char *session_id = sid && sid->kind == SL_JN_STRING && !ascii_blank(sid->str, sid->str_len) ? sid->str
                                                                                                        : default_id;
    const sl_jnode *type = ok ? sl_jnode_member(root, "event_type") : NULL;
    const sl_jnode *meta = ok ? sl_jnode_member(root, "metadata") : NULL;
    sl_rollup_event v;
    memset(&v, 0, sizeof v);
    ok = ok && session_id && type && type->kind == SL_JN_STRING && meta && meta->kind == SL_JN_OBJECT &&
         int_member(root, "timestamp_ns", &v.timestamp_ns) && int_member(root, "rank", &v.rank) &&
         int_member(root, "local_rank", &v.local_rank) && int_member(root, "world_size", &v.world_size) &&
         int_member(root, "device_id", &v.device_id) &&
         int_member(root, "allocator_allocated_bytes", &v.counter[SL_RC_ALLOCATED]) &&
         int_member(root, "allocator_reserved_bytes", &v.counter[SL_RC_RESERVED]) &&
         int_member(root, "device_used_bytes", &v.counter[SL_RC_USED]);
    /* Text the shim would have to normalise the Unicode way: not ours. */
    ok = ok && !sl_jnode_member(meta, "severity") && !sl_jnode_member(meta, "collector_health_status");
    if (ok) {
        v.event_type = type->str;
        v.event_type_len = type->str_len;
        v.is_sample = strcmp(type->str, "sample") == 0 && type->str_len == 6;
        bool error = strcmp(type->str, "error") == 0 && type->str_len == 5;
        bool critical = strcmp(type->str, "critical") == 0 && type->str_len == 8;
        bool warning = strcmp(type->str, "warning") == 0 && type->str_len == 7;
        ok = strlen(type->str) == type->str_len && strcmp(type->str, "collector_degraded") != 0 &&
             strcmp(type->str, "collector_recovered") != 0;
        if (error || critical || warning) {
            v.is_alert = true;
            v.severity = warning ? "warning" : "critical";
            v.severity_len = strlen(v.severity);
        }
        const sl_jnode *dump = sl_jnode_member(meta, "oom_dump_path");
        v.is_oom_marker = error && (dump || sl_jnode_member(meta, "oom_reason"));
        if (v.is_oom_marker && dump && dump->kind == SL_JN_STRING && !ascii_blank(dump->str, dump->str_len)) {
            /* a path with non-ASCII whitespace only would need Python's strip */
            for (size_t i = 0; i < dump->str_len; i++)
                if ((unsigned char)dump->str[i] >= 0x80)
                    ok = false;
            v.oom_dump_path = dump->str;
            v.oom_dump_path_len = dump->str_len;
        }
    }
    /* A session the manifest does not list would need an inferred summary. */
    ok = ok && sl_manifest_find_session((sl_manifest *)&sink->manifest, session_id) != NULL;
    sl_rollup_part *p = ok ? part_get(k, sink, g, session_id) : NULL;
    ok = p && sl_rollup_part_observe(p, &v);
    sl_json_scan_free(root);
    return ok;
}

static bool scan_segment_file(sl_rollups_keeper *k, const sl_sink *sink, const sl_manifest_segment *m)
{
    sl_rollups_seg *g = seg_get(k, m->filename);
    if (!g)
        return false;
    if (strchr(m->filename, '/'))
        return true; /* never opened by the sink either */
    int fd = sl_fd_lift(openat(sink->dirfd, m->filename, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd < 0) {
        g->missing = true; /* listed but gone: contributes nothing */
        return true;
    }
    sl_buf line = {0};
    /* On the heap: no frame of the shim is big (-Wstack-usage). */
    char *buf = malloc(SL_ROLLUPS_READ_CHUNK);
    bool ok = buf != NULL;
    while (ok) {
        ssize_t r = read(fd, buf, SL_ROLLUPS_READ_CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        const char *p = buf, *end = buf + r;
        while (ok && p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            ok = sl_buf_append(&line, p, n);
            p += n;
            if (!nl)
                break;
            p++;
            if (ok && !ascii_blank(line.data, line.len))
                ok = scan_line(k, sink, g, m->session_id, line.data, line.len);
            line.len = 0;
        }
        if (!ok)
            break;
    }
    /* a last line without "\n" is torn: the reader drops it too */
    close(fd);
    free(buf);
    sl_buf_free(&line);
    return ok;
}

/* Temporary sidecars a dead writer left (we hold the directory's lock, so
 * nobody else is writing one): no reader looks at them, but they take space. */
static void remove_dead_temporaries(const sl_sink *sink)
{
    int fd = sl_fd_dup_high(sink->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    rewinddir(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        bool sidecar = strncmp(e->d_name, SL_ROLLUP_FILENAME ".", sizeof SL_ROLLUP_FILENAME) == 0 ||
                       strncmp(e->d_name, SL_LIFETIME_FILENAME ".", sizeof SL_LIFETIME_FILENAME) == 0;
        if (sidecar && n > 4 && strcmp(e->d_name + n - 4, ".tmp") == 0)
            unlinkat(sink->dirfd, e->d_name, 0);
    }
    closedir(d);
}

static void scan_earlier_segments(sl_rollups_keeper *k, const sl_sink *sink)
{
    k->scanned = true;
    remove_dead_temporaries(sink);
    for (size_t i = 0; i < sink->manifest.segment_count && !k->unsupported; i++) {
        const sl_manifest_segment *m = &sink->manifest.segments[i];
        if (seg_find(k, m->filename))
            continue; /* ours */
        if (!scan_segment_file(k, sink, m))
            k->unsupported = true;
    }
}

/* ---- the document ---- */

/* Python's str(Path(p)): repeated '/' collapsed (an initial pair kept),
 * "." components dropped, no trailing '/'. */
static void pathlib_normalise(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    const char *p = in;
    if (p[0] == '/') {
        bool two = p[1] == '/' && p[2] != '/';
        out[n++] = '/';
        if (two)
            out[n++] = '/';
        while (*p == '/')
            p++;
    }
    bool first = true;
    while (*p && n + 2 < cap) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0 && !(len == 1 && p[0] == '.')) {
            if (!first && n + 1 < cap)
                out[n++] = '/';
            if (n + len >= cap)
                len = cap - n - 1;
            memcpy(out + n, p, len);
            n += len;
            first = false;
        }
        p += len;
        while (*p == '/')
            p++;
    }
    if (n == 0 && cap > 1)
        out[n++] = '.';
    out[n] = '\0';
}

bool sl_rollups_keeper_render(sl_rollups_keeper *k, const sl_sink *sink, sl_buf *out)
{
    const sl_manifest *m = &sink->manifest;
    size_t ns = m->session_count, ng = m->segment_count;
    sl_rollup_session *sessions = calloc(ns ? ns : 1, sizeof *sessions);
    sl_rollup_part *merged = calloc(ns ? ns : 1, sizeof *merged);
    const char **names = calloc(ng ? ng : 1, sizeof *names);
    char **paths = calloc(ng ? ng : 1, sizeof *paths);
    const char **srcs = calloc((ns ? ns : 1) * (ng + 1), sizeof *srcs);
    char *resolved = malloc(PATH_MAX); /* on the heap, as above */
    bool ok = sessions && merged && names && paths && srcs && resolved;
    sl_rollup_doc doc = {.generated_at_ns = sl_realtime_ns(),
                         .has_manifest = true,
                         .manifest_schema_version = SL_MANIFEST_SCHEMA_VERSION,
                         .window_ns = k->window_ns,
                         .sessions = sessions,
                         .session_count = ns};
    for (size_t i = 0; ok && i < ng; i++) {
        names[i] = m->segments[i].filename;
        doc.coverage.events += m->segments[i].event_count;
        doc.coverage.bytes += m->segments[i].size_bytes;
        size_t need = strlen(k->display_dir) + strlen(names[i]) + 2;
        paths[i] = malloc(need);
        ok = paths[i] != NULL;
        if (ok)
            snprintf(paths[i], need, "%s%s%s", k->display_dir,
                     k->display_dir[strlen(k->display_dir) - 1] == '/' ? "" : "/", names[i]);
    }
    doc.coverage.filenames = names;
    doc.coverage.count = ng;
    doc.coverage.has_pruned = true;
    doc.coverage.pruned_segments = sink->pruned_segments;
    doc.coverage.pruned_bytes = sink->pruned_bytes;
    const char *self = resolved && realpath(sink->path, resolved) ? resolved : sink->path;

    for (size_t s = 0; ok && s < ns; s++) {
        const sl_manifest_session *ms = &m->sessions[s];
        sl_rollup_session *rs = &sessions[s];
        rs->summary = (sl_rollup_summary){
            .session_id = ms->session_id,
            .status = ms->status,
            .host = ms->host,
            .source = ms->source,
            .started_at_ns = ms->started_at_ns,
            .pid = ms->pid,
            .rank = ms->rank,
            .local_rank = ms->local_rank,
            .world_size = ms->world_size < 1 ? 1 : ms->world_size,
            .has_ended = ms->has_ended,
            .ended_at_ns = ms->ended_at_ns,
            .job_id = ms->job_id,
        };
        sl_rollup_part_init(&merged[s], ms->started_at_ns, k->window_ns);
        rs->part = &merged[s];
        const char **mine = srcs + s * (ng + 1);
        size_t count = 0;
        for (size_t i = 0; i < ng; i++) {
            sl_rollups_seg *g = seg_find(k, m->segments[i].filename);
            bool any = false, contributes = false;
            for (size_t p = 0; g && p < g->part_count; p++) {
                any |= g->parts[p].part.events > 0;
                if (strcmp(g->parts[p].session_id, ms->session_id) == 0 && g->parts[p].part.events > 0) {
                    contributes = true;
                    ok &= sl_rollup_part_merge(&merged[s], &g->parts[p].part);
                }
            }
            /* A segment without records belongs to the session its entry
             * names (g is NULL for our segment before its first line). */
            if (!any && !(g && g->missing) && m->segments[i].session_id &&
                strcmp(m->segments[i].session_id, ms->session_id) == 0)
                contributes = true;
            if (contributes)
                mine[count++] = paths[i];
        }
        if (count == 0)
            mine[count++] = self;
        rs->sources = mine;
        rs->source_count = count;
    }
    ok = ok && sl_rollup_render(&doc, out);
    for (size_t s = 0; merged && s < ns; s++)
        sl_rollup_part_free(&merged[s]);
    for (size_t i = 0; paths && i < ng; i++)
        free(paths[i]);
    free(sessions);
    free(merged);
    free(names);
    free(paths);
    free(srcs);
    free(resolved);
    return ok;
}

/* Segments retention deleted since the last rewrite: their partials go,
 * their events and bytes are counted as pruned for this session. */
static void forget_pruned(sl_rollups_keeper *k, const sl_sink *sink)
{
    for (size_t i = 0; i < k->seg_count;) {
        sl_rollups_seg *g = &k->segs[i];
        const sl_manifest_segment *listed = NULL;
        for (size_t j = 0; j < sink->manifest.segment_count && !listed; j++)
            if (strcmp(sink->manifest.segments[j].filename, g->filename) == 0)
                listed = &sink->manifest.segments[j];
        if (listed) {
            g->size_bytes = listed->size_bytes;
            g->own = listed->session_id && sink->session_id && strcmp(listed->session_id, sink->session_id) == 0;
            i++;
            continue;
        }
        k->lifetime.pruned_events += g->own_events;
        if (g->own) {
            k->own_pruned_segments++;
            k->own_pruned_bytes += g->size_bytes;
        }
        seg_free(g);
        k->segs[i] = k->segs[--k->seg_count];
    }
}

/* EBADF: the program closed the directory's descriptor between the sink's
 * check and our use of it. Not a failure to report: the sidecars stay
 * dirty and the next tick, which checks the descriptors first, rewrites
 * them. */
static bool descriptor_lost(sl_rollups_keeper *k, int e)
{
    if (e != EBADF)
        return false;
    k->retry = true;
    return true;
}

/* Both return true when they replaced their file (its rename then wants
 * the directory's fsync, write_sidecars). */
static bool write_rollups(sl_rollups_keeper *k, const sl_sink *sink)
{
    if (!k->enabled || k->unsupported)
        return false;
    if (!k->scanned) {
        scan_earlier_segments(k, sink);
        if (k->unsupported) {
            sl_pipeline_warn(k->quiet, "%s holds records the shim does not aggregate; no rollups.json is written "
                                       "(stormlog-inspect rollups computes it)", sink->path);
            return false;
        }
    }
    k->text.len = 0;
    int e = sl_rollups_keeper_render(k, sink, &k->text) ? sl_sidecar_replace(sink->dirfd, SL_ROLLUP_FILENAME,
                                                                              k->text.data, k->text.len)
                                                      : ENOMEM;
    if (e == 0) {
        k->writes++;
        return true;
    }
    if (descriptor_lost(k, e))
        return false;
    k->failures++;
    if (!k->warned) {
        k->warned = true;
        sl_pipeline_warn(k->quiet, "cannot write %s/" SL_ROLLUP_FILENAME ": %s", sink->path, strerror(e));
    }
    return false;
}

/* Entries of earlier sessions in an existing lifetime.json (one object per
 * line), kept to be written again as they are. */
static void load_lifetime_others(sl_rollups_keeper *k, const sl_sink *sink)
{
    int fd = sl_fd_lift(openat(sink->dirfd, SL_LIFETIME_FILENAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd < 0 && errno == EBADF)
        return; /* the directory's descriptor was lost: read it at the retry, else other sessions' entries go */
    k->lifetime_loaded = true;
    if (fd < 0)
        return;
    sl_buf all = {0};
    char *buf = malloc(SL_ROLLUPS_READ_CHUNK); /* on the heap, as above */
    for (;;) {
        ssize_t r = buf ? read(fd, buf, SL_ROLLUPS_READ_CHUNK) : -1;
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || !sl_buf_append(&all, buf, (size_t)r))
            break;
    }
    free(buf);
    close(fd);
    char own[64];
    snprintf(own, sizeof own, "\"session_id\": \"%s\"", k->session->session_id);
    for (size_t off = 0; off < all.len;) {
        const char *line = all.data + off;
        const char *nl = memchr(line, '\n', all.len - off);
        size_t n = nl ? (size_t)(nl - line) : all.len - off;
        off += n + (nl != NULL);
        while (n > 0 && line[n - 1] == ',')
            n--;
        if (n < 2 || line[0] != '{' || line[n - 1] != '}' || strncmp(line, "{\"format\"", 10) == 0 ||
            memmem(line, n, own, strlen(own)))
            continue;
        if (!sl_buf_append(&k->lifetime_others, line, n) || !sl_buf_append(&k->lifetime_others, ",\n", 2))
            break;
    }
    sl_buf_free(&all);
}

static bool write_lifetime(sl_rollups_keeper *k, const sl_sink *sink)
{
    if (!k->lifetime_loaded)
        load_lifetime_others(k, sink);
    if (!k->lifetime_loaded) {
        k->retry = true; /* never written without the other sessions' entries */
        return false;
    }
    const sl_manifest_session *ms = NULL;
    for (size_t i = 0; sink->session_id && i < sink->manifest.session_count && !ms; i++)
        if (strcmp(sink->manifest.sessions[i].session_id, sink->session_id) == 0)
            ms = &sink->manifest.sessions[i];
    k->text.len = 0;
    int e = sl_lifetime_render(&k->lifetime, ms ? ms->status : "running", ms && ms->has_ended,
                               ms ? ms->ended_at_ns : 0, k->own_pruned_segments, k->own_pruned_bytes,
                               &k->lifetime_others, &k->text)
                ? sl_sidecar_replace(sink->dirfd, SL_LIFETIME_FILENAME, k->text.data, k->text.len)
                : ENOMEM;
    if (e != 0 && !descriptor_lost(k, e) && !k->lifetime_warned) {
        k->lifetime_warned = true;
        sl_pipeline_warn(k->quiet, "cannot write %s/" SL_LIFETIME_FILENAME ": %s", sink->path, strerror(e));
    }
    return e == 0;
}

/* sync_dir false: the caller fsyncs the directory right after (the sink's
 * close, whose manifest rename needs it too). */
static void write_sidecars(sl_rollups_keeper *k, const sl_sink *sink, int64_t now, bool sync_dir)
{
    k->retry = false;
    bool renamed = write_rollups(k, sink);
    renamed |= write_lifetime(k, sink);
    if (renamed && sync_dir)
        sl_sidecar_sync_dir(sink->dirfd); /* one for both renames */
    k->dirty = k->urgent = k->retry;
    k->last_write_ns = now;
}

/* Sink observer: the manifest was rewritten; the sidecars follow (at once
 * when the sink closes, else from the writer's loop: sl_rollups_keeper_tick). */
static void on_manifest(void *ctx, const sl_sink *sink)
{
    sl_rollups_keeper *k = ctx;
    size_t before = k->seg_count;
    forget_pruned(k, sink);
    k->urgent |= k->seg_count != before || sink->manifest.segment_count != k->seg_count;
    k->dirty = true;
    if (sink->closing)
        write_sidecars(k, sink, sl_monotonic_ns(), false); /* the close's manifest fsyncs the directory next */
}

void sl_rollups_keeper_tick(sl_rollups_keeper *k, sl_sink *sink, int64_t now)
{
    /* The timer's rewrite may come long after the sink last checked its
     * descriptors, and the program may have taken their numbers since:
     * check first (the observer's rewrites follow a check of the sink's). */
    if (k->active && k->dirty && (k->urgent || now - k->last_write_ns >= k->interval_ns) && sl_sink_reclaim(sink))
        write_sidecars(k, sink, now, true);
}

void sl_rollups_keeper_init(sl_rollups_keeper *k, sl_sink *sink, const sl_session_info *session, int64_t started_at_ns,
                            bool enabled, uint32_t interval_ms, bool quiet)
{
    memset(k, 0, sizeof *k);
    k->active = true;
    k->interval_ns = (int64_t)interval_ms * 1000000;
    k->last_write_ns = sl_monotonic_ns() - k->interval_ns;
    k->enabled = enabled;
    sl_lifetime_init(&k->lifetime, session, started_at_ns);
    k->quiet = quiet;
    k->session = session;
    k->window_ns = SL_ROLLUP_DEFAULT_WINDOW_NS;
    pathlib_normalise(sink->path, k->display_dir, sizeof k->display_dir);
    sink->observer.ctx = k;
    sink->observer.written = on_written;
    sink->observer.manifest_written = on_manifest;
}

void sl_rollups_keeper_free(sl_rollups_keeper *k)
{
    for (size_t i = 0; i < k->seg_count; i++)
        seg_free(&k->segs[i]);
    free(k->segs);
    free(k->queue);
    sl_buf_free(&k->text);
    sl_buf_free(&k->lifetime_others);
    sl_lifetime_free(&k->lifetime);
    memset(k, 0, sizeof *k);
}
