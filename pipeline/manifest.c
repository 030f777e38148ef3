/* The manifest in memory, read back from text and rendered to text. */
#include "manifest.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"
#include "stormlog/schema/encode.h"

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void session_free(sl_manifest_session *s)
{
    free(s->session_id);
    free(s->status);
    free(s->host);
    free(s->job_id);
    free(s->source);
}

static void segment_free(sl_manifest_segment *g)
{
    free(g->filename);
    free(g->session_id);
}

void sl_manifest_free(sl_manifest *m)
{
    for (size_t i = 0; i < m->session_count; i++)
        session_free(&m->sessions[i]);
    for (size_t i = 0; i < m->segment_count; i++)
        segment_free(&m->segments[i]);
    free(m->sessions);
    free(m->segments);
    memset(m, 0, sizeof *m);
}

static bool grow(void **items, size_t *cap, size_t count, size_t item_size)
{
    if (count < *cap)
        return true;
    size_t want = *cap ? *cap * 2 : 8;
    void *p = realloc(*items, want * item_size);
    if (!p)
        return false;
    *items = p;
    *cap = want;
    return true;
}

sl_manifest_session *sl_manifest_add_session(sl_manifest *m, const sl_manifest_session *s)
{
    if (!grow((void **)&m->sessions, &m->session_cap, m->session_count, sizeof *m->sessions))
        return NULL;
    sl_manifest_session copy = *s;
    copy.session_id = dup_or_null(s->session_id);
    copy.status = dup_or_null(s->status);
    copy.host = dup_or_null(s->host);
    copy.job_id = dup_or_null(s->job_id);
    copy.source = dup_or_null(s->source);
    if (!copy.session_id || !copy.status || !copy.host || !copy.source || (s->job_id && !copy.job_id)) {
        session_free(&copy);
        return NULL;
    }
    m->sessions[m->session_count] = copy;
    return &m->sessions[m->session_count++];
}

sl_manifest_segment *sl_manifest_add_segment(sl_manifest *m, const char *filename, const char *session_id)
{
    if (!grow((void **)&m->segments, &m->segment_cap, m->segment_count, sizeof *m->segments))
        return NULL;
    sl_manifest_segment g = {0};
    g.filename = strdup(filename);
    g.session_id = dup_or_null(session_id);
    if (!g.filename || (session_id && !g.session_id)) {
        segment_free(&g);
        return NULL;
    }
    m->segments[m->segment_count] = g;
    return &m->segments[m->segment_count++];
}

void sl_manifest_remove_segment(sl_manifest *m, size_t index)
{
    if (index >= m->segment_count)
        return;
    segment_free(&m->segments[index]);
    memmove(&m->segments[index], &m->segments[index + 1],
            (m->segment_count - index - 1) * sizeof *m->segments);
    m->segment_count--;
}

sl_manifest_session *sl_manifest_find_session(sl_manifest *m, const char *session_id)
{
    for (size_t i = 0; i < m->session_count; i++)
        if (strcmp(m->sessions[i].session_id, session_id) == 0)
            return &m->sessions[i];
    return NULL;
}

bool sl_manifest_set_status(sl_manifest_session *s, const char *status)
{
    char *copy = strdup(status);
    if (!copy)
        return false;
    free(s->status);
    s->status = copy;
    return true;
}

/* ---- reading ---- */

static const char *str_member(const sl_jnode *obj, const char *key)
{
    const sl_jnode *n = sl_jnode_member(obj, key);
    /* A string with an embedded NUL cannot be one of our ids or names. */
    return n && n->kind == SL_JN_STRING && strlen(n->str) == n->str_len ? n->str : NULL;
}

static bool int_member(const sl_jnode *obj, const char *key, int64_t *out)
{
    const sl_jnode *n = sl_jnode_member(obj, key);
    if (!n || n->kind != SL_JN_INT)
        return false;
    *out = n->integer;
    return true;
}

static uint64_t count_member(const sl_jnode *obj, const char *key)
{
    int64_t v;
    return int_member(obj, key, &v) && v >= 0 ? (uint64_t)v : 0;
}

/* A session entry as session_summary_from_dict would accept it: the ids and
 * names present, the numbers ints. Anything less is skipped. */
static void read_session(sl_manifest *m, const sl_jnode *e)
{
    sl_manifest_session s = {0};
    s.session_id = (char *)str_member(e, "session_id");
    s.status = (char *)str_member(e, "status");
    s.host = (char *)str_member(e, "host");
    s.source = (char *)str_member(e, "source");
    s.job_id = (char *)str_member(e, "job_id");
    if (!s.session_id || !s.status || !s.host || !s.source || !int_member(e, "started_at_ns", &s.started_at_ns)
        || !int_member(e, "pid", &s.pid))
        return;
    s.has_ended = int_member(e, "ended_at_ns", &s.ended_at_ns);
    if (!int_member(e, "rank", &s.rank))
        s.rank = 0;
    if (!int_member(e, "local_rank", &s.local_rank))
        s.local_rank = s.rank;
    if (!int_member(e, "world_size", &s.world_size))
        s.world_size = 1;
    sl_manifest_add_session(m, &s);
}

static void read_segment(sl_manifest *m, const sl_jnode *e)
{
    const char *filename = str_member(e, "filename");
    if (e->kind != SL_JN_OBJECT || !filename)
        return;
    sl_manifest_segment *g = sl_manifest_add_segment(m, filename, str_member(e, "session_id"));
    if (!g)
        return;
    g->event_count = count_member(e, "event_count");
    g->size_bytes = count_member(e, "size_bytes");
    const sl_jnode *closed = sl_jnode_member(e, "closed");
    g->closed = closed && ((closed->kind == SL_JN_BOOL && closed->boolean) || (closed->kind == SL_JN_INT && closed->integer != 0)
                           || (closed->kind == SL_JN_STRING && closed->str_len > 0));
}

bool sl_manifest_parse(sl_manifest *m, const char *text, size_t len)
{
    memset(m, 0, sizeof *m);
    sl_jnode *root = sl_json_scan(text, len);
    if (!root || root->kind != SL_JN_OBJECT) {
        sl_json_scan_free(root);
        return false;
    }
    int64_t schema_version = 1;
    if (!int_member(root, "schema_version", &schema_version) || schema_version < 1)
        schema_version = 1;
    const sl_jnode *sessions = sl_jnode_member(root, "sessions");
    if (schema_version >= 2 && sessions && sessions->kind == SL_JN_ARRAY)
        for (const sl_jnode *e = sessions->first_child; e; e = e->next)
            if (e->kind == SL_JN_OBJECT)
                read_session(m, e);
    const sl_jnode *segments = sl_jnode_member(root, "segments");
    if (segments && segments->kind == SL_JN_ARRAY)
        for (const sl_jnode *e = segments->first_child; e; e = e->next)
            read_segment(m, e);
    sl_json_scan_free(root);
    return true;
}

/* ---- writing ---- */

static bool put_string(sl_buf *b, const char *s)
{
    if (!s)
        return sl_buf_append(b, "null", 4);
    size_t n = strlen(s);
    if (!sl_buf_reserve(b, n * 6 + 8))
        return false;
    sl_json_writer w;
    sl_jw_init(&w, b->data + b->len, b->cap - b->len);
    sl_jw_string(&w, s, n);
    size_t out = 0;
    if (sl_jw_finish(&w, &out) != SL_ENCODE_OK)
        return false;
    b->len += out;
    return true;
}

static bool put_key(sl_buf *b, const char *indent, const char *key)
{
    return sl_buf_append(b, indent, strlen(indent)) && put_string(b, key) && sl_buf_append(b, ": ", 2);
}

static int session_order(const void *pa, const void *pb)
{
    const sl_manifest_session *a = *(const sl_manifest_session *const *)pa;
    const sl_manifest_session *b = *(const sl_manifest_session *const *)pb;
    if (a->started_at_ns != b->started_at_ns)
        return a->started_at_ns < b->started_at_ns ? -1 : 1;
    return strcmp(a->session_id, b->session_id); /* UTF-8 byte order == code point order */
}

static bool render_session(sl_buf *b, const sl_manifest_session *s)
{
    const char *in = "      ";
    bool ok = sl_buf_append(b, "    {\n", 6);
    ok = ok && put_key(b, in, "session_id") && put_string(b, s->session_id) && sl_buf_append(b, ",\n", 2);
    ok = ok && put_key(b, in, "status") && put_string(b, s->status) && sl_buf_append(b, ",\n", 2);
    ok = ok && put_key(b, in, "started_at_ns") && sl_buf_appendf(b, "%" PRId64 ",\n", s->started_at_ns);
    ok = ok && put_key(b, in, "ended_at_ns")
         && (s->has_ended ? sl_buf_appendf(b, "%" PRId64 ",\n", s->ended_at_ns) : sl_buf_append(b, "null,\n", 6));
    ok = ok && put_key(b, in, "host") && put_string(b, s->host) && sl_buf_append(b, ",\n", 2);
    ok = ok && put_key(b, in, "pid") && sl_buf_appendf(b, "%" PRId64 ",\n", s->pid);
    ok = ok && put_key(b, in, "job_id") && put_string(b, s->job_id) && sl_buf_append(b, ",\n", 2);
    ok = ok && put_key(b, in, "rank") && sl_buf_appendf(b, "%" PRId64 ",\n", s->rank);
    ok = ok && put_key(b, in, "local_rank") && sl_buf_appendf(b, "%" PRId64 ",\n", s->local_rank);
    ok = ok && put_key(b, in, "world_size") && sl_buf_appendf(b, "%" PRId64 ",\n", s->world_size);
    ok = ok && put_key(b, in, "source") && put_string(b, s->source) && sl_buf_append(b, "\n    }", 6);
    return ok;
}

static bool render_segment(sl_buf *b, const sl_manifest_segment *g)
{
    const char *in = "      ";
    bool ok = sl_buf_append(b, "    {\n", 6);
    ok = ok && put_key(b, in, "filename") && put_string(b, g->filename) && sl_buf_append(b, ",\n", 2);
    ok = ok && put_key(b, in, "event_count") && sl_buf_appendf(b, "%" PRIu64 ",\n", g->event_count);
    ok = ok && put_key(b, in, "size_bytes") && sl_buf_appendf(b, "%" PRIu64 ",\n", g->size_bytes);
    ok = ok && put_key(b, in, "closed") && sl_buf_appendf(b, "%s,\n", g->closed ? "true" : "false");
    ok = ok && put_key(b, in, "session_id") && put_string(b, g->session_id) && sl_buf_append(b, "\n    }", 6);
    return ok;
}

bool sl_manifest_render(const sl_manifest *m, sl_buf *out)
{
    out->len = 0;
    const sl_manifest_session **order = NULL;
    if (m->session_count) {
        order = malloc(m->session_count * sizeof *order);
        if (!order)
            return false;
        for (size_t i = 0; i < m->session_count; i++)
            order[i] = &m->sessions[i];
        qsort(order, m->session_count, sizeof *order, session_order);
    }
    bool ok = sl_buf_appendf(out, "{\n  \"schema_version\": %d,\n  \"format\": ", SL_MANIFEST_SCHEMA_VERSION)
              && put_string(out, SL_MANIFEST_FORMAT) && sl_buf_append(out, ",\n  \"sessions\": ", 16);
    if (m->session_count == 0) {
        ok = ok && sl_buf_append(out, "[],\n", 4);
    } else {
        ok = ok && sl_buf_append(out, "[\n", 2);
        for (size_t i = 0; ok && i < m->session_count; i++)
            ok = render_session(out, order[i]) && sl_buf_append(out, i + 1 < m->session_count ? ",\n" : "\n", i + 1 < m->session_count ? 2 : 1);
        ok = ok && sl_buf_append(out, "  ],\n", 5);
    }
    ok = ok && sl_buf_append(out, "  \"segments\": ", 14);
    if (m->segment_count == 0) {
        ok = ok && sl_buf_append(out, "[]\n", 3);
    } else {
        ok = ok && sl_buf_append(out, "[\n", 2);
        for (size_t i = 0; ok && i < m->segment_count; i++)
            ok = render_segment(out, &m->segments[i]) && sl_buf_append(out, i + 1 < m->segment_count ? ",\n" : "\n", i + 1 < m->segment_count ? 2 : 1);
        ok = ok && sl_buf_append(out, "  ]\n", 4);
    }
    ok = ok && sl_buf_append(out, "}\n", 2);
    free(order);
    return ok;
}
