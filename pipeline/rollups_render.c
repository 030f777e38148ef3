/* rollups.json text: json.dump(indent=2, sort_keys=True) + "\n" (rollups.md
 * section 7). Every object's keys are written here in code-point order by
 * hand (the key sets are fixed), so no sorting of members is needed, only of
 * sessions, sources and count maps. */
#include "rollups.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stormlog/schema/encode.h"

typedef struct jw {
    sl_buf *out;
    int depth;
    bool first; /* no member written yet in the open container */
    bool ok;
} jw;

static void put(jw *w, const char *s, size_t n)
{
    if (w->ok && !sl_buf_append(w->out, s, n))
        w->ok = false;
}

static void puts_(jw *w, const char *s) { put(w, s, strlen(s)); }

static void newline_indent(jw *w)
{
    put(w, "\n", 1);
    for (int i = 0; i < w->depth; i++)
        put(w, "  ", 2);
}

/* Before a value inside an array, or before a key inside an object. */
static void item(jw *w)
{
    if (!w->first)
        put(w, ",", 1);
    newline_indent(w);
    w->first = false;
}

/* A JSON string as json.dump writes it (ensure_ascii): the schema's
 * canonical encoder spells strings the same way. */
static void utf8_escape(jw *w, const char *s, size_t len)
{
    char small[256];
    sl_json_writer enc;
    sl_jw_init(&enc, small, sizeof small);
    sl_jw_string(&enc, s, len);
    size_t need = 0;
    sl_encode_status st = sl_jw_finish(&enc, &need);
    if (st == SL_ENCODE_OK) {
        put(w, small, need);
        return;
    }
    if (st != SL_ENCODE_TRUNCATED || !w->ok || !sl_buf_reserve(w->out, need + 1)) {
        w->ok = false;
        return;
    }
    sl_jw_init(&enc, w->out->data + w->out->len, need + 1);
    sl_jw_string(&enc, s, len);
    if (sl_jw_finish(&enc, &need) != SL_ENCODE_OK) {
        w->ok = false;
        return;
    }
    w->out->len += need;
}

static void key(jw *w, const char *k)
{
    item(w);
    put(w, "\"", 1);
    puts_(w, k);
    put(w, "\": ", 3);
}

static void open_(jw *w, const char *bracket)
{
    puts_(w, bracket);
    w->depth++;
    w->first = true;
}

/* An empty container stays on one line: "{}" / "[]". */
static void close_(jw *w, const char *bracket)
{
    w->depth--;
    if (!w->first)
        newline_indent(w);
    puts_(w, bracket);
    w->first = false;
}

static void wide(jw *w, sl_rollup_wide v)
{
    char buf[48];
    size_t n = sizeof buf;
    bool neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
    buf[--n] = '\0';
    do {
        buf[--n] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    if (neg)
        buf[--n] = '-';
    puts_(w, buf + n);
}

static void kint(jw *w, const char *k, sl_rollup_wide v)
{
    key(w, k);
    wide(w, v);
}

static void knull(jw *w, const char *k)
{
    key(w, k);
    puts_(w, "null");
}

static void kopt(jw *w, const char *k, bool set, sl_rollup_wide v)
{
    if (set)
        kint(w, k, v);
    else
        knull(w, k);
}

static void kstr(jw *w, const char *k, const char *s)
{
    key(w, k);
    if (s)
        utf8_escape(w, s, strlen(s));
    else
        puts_(w, "null");
}

static void peak(jw *w, const char *k, const sl_rollup_peak *p)
{
    key(w, k);
    open_(w, "{");
    kopt(w, "device_id", p->set, p->device_id);
    kopt(w, "rank", p->set, p->rank);
    kopt(w, "timestamp_ns", p->set, p->timestamp_ns);
    kopt(w, "value", p->set, p->value);
    close_(w, "}");
}

static void counters(jw *w, const sl_rollup_peak peaks[SL_RC_COUNT])
{
    key(w, "counters");
    open_(w, "{");
    peak(w, "allocator_allocated_bytes", &peaks[SL_RC_ALLOCATED]);
    peak(w, "allocator_reserved_bytes", &peaks[SL_RC_RESERVED]);
    peak(w, "device_used_bytes", &peaks[SL_RC_USED]);
    close_(w, "}");
}

static int by_text(const void *a, const void *b)
{
    const sl_rollup_count *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->text, y->text, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void count_map(jw *w, const char *k, const sl_rollup_counts *c)
{
    key(w, k);
    open_(w, "{");
    sl_rollup_count *sorted = NULL;
    if (c->count) {
        sorted = malloc(c->count * sizeof *sorted);
        if (!sorted) {
            w->ok = false;
            return;
        }
        memcpy(sorted, c->items, c->count * sizeof *sorted);
        qsort(sorted, c->count, sizeof *sorted, by_text);
    }
    for (size_t i = 0; i < c->count; i++) {
        item(w);
        utf8_escape(w, sorted[i].text, sorted[i].len);
        put(w, ": ", 2);
        wide(w, sorted[i].n);
    }
    free(sorted);
    close_(w, "}");
}

/* elapsed / 10^9 as the double nearest the exact quotient (ties to even):
 * a plain division is exact enough below 2^53 ns; above, the long double
 * quotient and its neighbours are compared exactly (no libm: the shim links
 * libc alone, so doubles are taken apart by their bits). */
static double exact_seconds(unsigned __int128 elapsed)
{
    if (elapsed < ((unsigned __int128)1 << 53))
        return (double)(uint64_t)elapsed / 1e9;
    double c = (double)((long double)elapsed / 1e9L);
    uint64_t bits;
    memcpy(&bits, &c, sizeof bits);
    double best = c;
    unsigned __int128 best_err = 0;
    int best_exp = 0;
    bool have = false;
    for (int d = -1; d <= 1; d++) {
        uint64_t b = bits + (uint64_t)(int64_t)d; /* positive normal doubles: neighbours by bits */
        int e = (int)((b >> 52) & 0x7FF) - 1075;
        uint64_t mant = (b & ((1ull << 52) - 1)) | (1ull << 52); /* value = mant * 2^e */
        /* |mant * 1e9 * 2^e - elapsed| scaled by 2^-e; e < 0 for these magnitudes */
        unsigned __int128 lhs = (unsigned __int128)mant * 1000000000u;
        unsigned __int128 rhs = e < 0 ? elapsed << -e : elapsed >> e;
        unsigned __int128 err = lhs > rhs ? lhs - rhs : rhs - lhs;
        double cand;
        memcpy(&cand, &b, sizeof cand);
        if (!have) {
            best = cand, best_err = err, best_exp = e, have = true;
            continue;
        }
        unsigned __int128 x = best_err, y = err; /* to a common scale */
        if (e < best_exp)
            x <<= (best_exp - e);
        else if (e > best_exp)
            y <<= (e - best_exp);
        if (y < x || (y == x && (mant & 1) == 0))
            best = cand, best_err = err, best_exp = e;
    }
    return best;
}

static void drift(jw *w, const sl_rollup_rank *r)
{
    key(w, "hidden_gap_drift_bytes_per_second");
    if (!r->has_gap || r->gap_last_ts <= r->gap_first_ts) {
        puts_(w, "null");
        return;
    }
    unsigned __int128 elapsed = (unsigned __int128)((sl_rollup_wide)r->gap_last_ts - r->gap_first_ts);
    double q = exact_seconds(elapsed);
    double v = (double)(r->gap_last - r->gap_first) / q;
    char text[400];
    snprintf(text, sizeof text, "%.6f", v);
    v = strtod(text, NULL);
    char out[32];
    size_t n = sl_format_double(v, out);
    put(w, out, n);
}

static void rank_obj(jw *w, const sl_rollup_rank *r)
{
    item(w);
    open_(w, "{");
    counters(w, r->peaks);
    kint(w, "event_count", r->events);
    kint(w, "first_timestamp_ns", r->first_ts);
    kopt(w, "hidden_gap_delta_bytes", r->has_gap, r->gap_last - r->gap_first);
    drift(w, r);
    kopt(w, "hidden_gap_first_bytes", r->has_gap, r->gap_first);
    kopt(w, "hidden_gap_latest_bytes", r->has_gap, r->gap_last);
    kopt(w, "hidden_gap_peak_bytes", r->has_gap, r->gap_peak);
    kint(w, "last_timestamp_ns", r->last_ts);
    kint(w, "local_rank", r->local_rank);
    kint(w, "rank", r->rank);
    kint(w, "sample_count", r->samples);
    kint(w, "world_size", r->world_size);
    close_(w, "}");
}

static void window_obj(jw *w, const sl_rollup_part *p, const sl_rollup_window *win)
{
    sl_rollup_wide start = (sl_rollup_wide)p->session_start_ns + (sl_rollup_wide)win->index * p->window_ns;
    item(w);
    open_(w, "{");
    kint(w, "alert_count", win->alerts);
    kint(w, "collector_transition_count", win->transitions);
    counters(w, win->peaks);
    kint(w, "end_ns", start + p->window_ns);
    kint(w, "event_count", win->events);
    kint(w, "index", win->index);
    kint(w, "oom_count", win->ooms);
    kint(w, "rank_count", win->rank_count);
    kint(w, "sample_count", win->samples);
    kint(w, "start_ns", start);
    close_(w, "}");
}

static void summary_obj(jw *w, const sl_rollup_summary *s)
{
    key(w, "session");
    open_(w, "{");
    kopt(w, "ended_at_ns", s->has_ended, s->ended_at_ns);
    kstr(w, "host", s->host);
    if (s->job_id && s->job_id_is_json) {
        key(w, "job_id");
        puts_(w, s->job_id);
    } else {
        kstr(w, "job_id", s->job_id);
    }
    kint(w, "local_rank", s->local_rank);
    kint(w, "pid", s->pid);
    kint(w, "rank", s->rank);
    kstr(w, "session_id", s->session_id);
    kstr(w, "source", s->source);
    kint(w, "started_at_ns", s->started_at_ns);
    kstr(w, "status", s->status);
    kint(w, "world_size", s->world_size);
    close_(w, "}");
}

static int by_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void sources(jw *w, const sl_rollup_session *s)
{
    const char **sorted = NULL;
    size_t n = 0;
    if (s->source_count) {
        sorted = malloc(s->source_count * sizeof *sorted);
        if (!sorted) {
            w->ok = false;
            return;
        }
        memcpy(sorted, s->sources, s->source_count * sizeof *sorted);
        qsort(sorted, s->source_count, sizeof *sorted, by_cstr);
        for (size_t i = 0; i < s->source_count; i++)
            if (n == 0 || strcmp(sorted[n - 1], sorted[i]) != 0)
                sorted[n++] = sorted[i];
    }
    kint(w, "source_count", n);
    key(w, "sources_loaded");
    open_(w, "[");
    for (size_t i = 0; i < n; i++) {
        item(w);
        utf8_escape(w, sorted[i], strlen(sorted[i]));
    }
    close_(w, "]");
    free(sorted);
}

static void session_obj(jw *w, const sl_rollup_session *s)
{
    static const sl_rollup_part empty;
    const sl_rollup_part *p = s->part ? s->part : &empty;
    bool any = p->events > 0;
    item(w);
    open_(w, "{");
    key(w, "alerts");
    open_(w, "{");
    count_map(w, "event_type_counts", &p->alert_types);
    count_map(w, "severity_counts", &p->severities);
    kint(w, "total_count", p->alert_total);
    close_(w, "}");

    /* An open degradation runs to the session's end, or to its last event. */
    sl_rollup_wide degraded_time = p->degraded_time;
    bool has_terminal = (s->summary.has_ended && s->summary.ended_at_ns != 0) || any;
    int64_t terminal = s->summary.has_ended && s->summary.ended_at_ns != 0 ? s->summary.ended_at_ns : p->last_ts;
    if (p->open && has_terminal) {
        sl_rollup_wide d = (sl_rollup_wide)terminal - p->open_since;
        degraded_time += d > 0 ? d : 0;
    }
    key(w, "collector_health");
    open_(w, "{");
    kint(w, "degraded_count", p->degraded);
    kint(w, "degraded_time_ns", degraded_time);
    key(w, "last_status");
    if (p->last_status)
        utf8_escape(w, p->last_status, p->last_status_len);
    else
        puts_(w, "null");
    kint(w, "recovered_count", p->recovered);
    kint(w, "transition_count", p->transitions);
    close_(w, "}");

    counters(w, p->peaks);
    kint(w, "event_count", p->events);
    kopt(w, "first_timestamp_ns", any, p->first_ts);
    kopt(w, "last_timestamp_ns", any, p->last_ts);
    key(w, "oom");
    open_(w, "{");
    kint(w, "bundle_path_count", p->bundle_paths.count);
    kint(w, "event_count", p->oom_markers);
    kint(w, "marker_count", p->oom_markers);
    close_(w, "}");
    key(w, "ranks");
    open_(w, "[");
    for (size_t i = 0; i < p->rank_count; i++)
        rank_obj(w, &p->ranks[i]);
    close_(w, "]");
    kint(w, "sample_count", p->samples);
    summary_obj(w, &s->summary);
    sources(w, s);
    key(w, "warnings");
    puts_(w, "[]");
    key(w, "windows");
    open_(w, "[");
    for (size_t i = 0; i < p->window_count; i++)
        window_obj(w, p, &p->windows[i]);
    close_(w, "]");
    close_(w, "}");
}

static int by_start_then_id(const void *a, const void *b)
{
    const sl_rollup_summary *x = &((const sl_rollup_session *)a)->summary;
    const sl_rollup_summary *y = &((const sl_rollup_session *)b)->summary;
    if (x->started_at_ns != y->started_at_ns)
        return x->started_at_ns < y->started_at_ns ? -1 : 1;
    return strcmp(x->session_id, y->session_id);
}

bool sl_rollup_render(sl_rollup_doc *doc, sl_buf *out)
{
    jw w = {out, 0, true, true};
    if (doc->session_count > 1)
        qsort(doc->sessions, doc->session_count, sizeof *doc->sessions, by_start_then_id);
    open_(&w, "{");
    const sl_rollup_coverage *c = &doc->coverage;
    key(&w, "coverage");
    open_(&w, "{");
    kopt(&w, "pruned_bytes", c->has_pruned, c->pruned_bytes);
    kopt(&w, "pruned_segment_count", c->has_pruned, c->pruned_segments);
    kint(&w, "retained_bytes", c->bytes);
    kint(&w, "retained_event_count", c->events);
    kint(&w, "retained_segment_count", c->count);
    key(&w, "retained_segment_filenames");
    open_(&w, "[");
    for (size_t i = 0; i < c->count; i++) {
        item(&w);
        utf8_escape(&w, c->filenames[i], strlen(c->filenames[i]));
    }
    close_(&w, "]");
    close_(&w, "}");
    kstr(&w, "format", SL_ROLLUP_FORMAT);
    kint(&w, "generated_at_ns", doc->generated_at_ns);
    kint(&w, "schema_version", SL_ROLLUP_SCHEMA_VERSION);
    key(&w, "sessions");
    open_(&w, "[");
    for (size_t i = 0; i < doc->session_count; i++)
        session_obj(&w, &doc->sessions[i]);
    close_(&w, "]");
    kstr(&w, "source_manifest", doc->has_manifest ? "manifest.json" : NULL);
    kopt(&w, "source_manifest_schema_version", doc->has_manifest, doc->manifest_schema_version);
    kint(&w, "window_duration_ns", doc->window_ns);
    close_(&w, "}");
    put(&w, "\n", 1);
    return w.ok;
}
