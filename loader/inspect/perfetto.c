/* Trace-event JSON (the Chrome "JSON Object Format", which ui.perfetto.dev
 * and chrome://tracing both open).
 *
 *   process per session   pid = 1-based position, named "rank R: host pid P",
 *                         sorted by rank (process_sort_index)
 *   counter per device    ph "C", name "device N bytes", args {allocated, reserved}:
 *                         one track per value, a point only where a value changes
 *   errors                ph "i", process-scoped instant, named "OOM <api>" or "error <api>"
 *   phases                ph "X" complete slices on the phase's thread (push/pop);
 *                         async "b"/"e" pairs for start/end ranges, which may end
 *                         on another thread
 *
 * Written as a stream with fprintf, never built as a tree: a recording of
 * millions of events exports in constant memory beyond the loaded events.
 * Every event has ph, ts (microseconds, nanosecond precision) and pid. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

typedef struct trace_writer {
    FILE *out;
    bool first;     /* no event written yet: no comma before the next */
    int64_t origin; /* ns at ts 0 */
} trace_writer;

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\u%04x", *p);
        else if (*p == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0) /* C1: a terminal would act on it */
            fprintf(out, "\\u%04x", *++p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

/* Microseconds with three decimals: nanoseconds kept exactly. */
static void put_ts(FILE *out, int64_t ns)
{
    if (ns < 0) {
        fputc('-', out);
        ns = -ns;
    }
    fprintf(out, "%" PRId64 ".%03" PRId64, ns / 1000, ns % 1000);
}

static void begin_event(trace_writer *w, const char *ph, int64_t pid, int64_t tid, int64_t ts_ns)
{
    fputs(w->first ? "\n" : ",\n", w->out);
    w->first = false;
    fprintf(w->out, "{\"ph\":\"%s\",\"pid\":%" PRId64 ",\"tid\":%" PRId64 ",\"ts\":", ph, pid, tid);
    put_ts(w->out, ts_ns - w->origin);
}

static void process_metadata(trace_writer *w, int64_t pid, const summary_session *s, int64_t rank)
{
    json_object *v;
    const char *host = json_object_object_get_ex(s->info, "host", &v) && v ? json_object_get_string(v) : "?";
    const char *proc = json_object_object_get_ex(s->info, "pid", &v) && v ? json_object_get_string(v) : "?";
    char name[512];
    snprintf(name, sizeof name, "rank %" PRId64 ": %s pid %s (session %s)", rank, host, proc,
             stormlog_session_id(s->session));
    begin_event(w, "M", pid, 0, w->origin);
    fputs(",\"name\":\"process_name\",\"args\":{\"name\":", w->out);
    json_string(w->out, name);
    fputs("}}", w->out);
    begin_event(w, "M", pid, 0, w->origin);
    fprintf(w->out, ",\"name\":\"process_sort_index\",\"args\":{\"sort_index\":%" PRId64 "}}", rank);
}

typedef struct counter_state {
    int64_t device_id;
    int64_t allocated, reserved;
} counter_state;

/* Counters and instants, in event order. */
static bool write_counters_and_errors(trace_writer *w, int64_t pid, const stormlog_session *ses)
{
    counter_state *seen = NULL;
    size_t seen_count = 0;
    size_t n = stormlog_session_event_count(ses);
    for (size_t i = 0; i < n; i++) {
        const stormlog_event *ev = stormlog_session_event(ses, i);
        const char *type = stormlog_event_type(ev);
        if (strcmp(type, "phase_enter") == 0 || strcmp(type, "phase_exit") == 0)
            continue;
        int64_t device_id = -1, allocated = 0, reserved = 0, ts = stormlog_event_timestamp_ns(ev);
        stormlog_event_int(ev, STORMLOG_DEVICE_ID, &device_id);
        stormlog_event_int(ev, STORMLOG_ALLOCATOR_ALLOCATED_BYTES, &allocated);
        stormlog_event_int(ev, STORMLOG_ALLOCATOR_RESERVED_BYTES, &reserved);
        counter_state *c = NULL;
        for (size_t k = 0; k < seen_count && !c; k++)
            if (seen[k].device_id == device_id)
                c = &seen[k];
        if (!c) {
            counter_state *grown = realloc(seen, (seen_count + 1) * sizeof *grown);
            if (!grown) {
                free(seen);
                return false;
            }
            seen = grown;
            c = &seen[seen_count++];
            *c = (counter_state){device_id, -1, -1};
        }
        if (allocated != c->allocated || reserved != c->reserved) {
            c->allocated = allocated;
            c->reserved = reserved;
            begin_event(w, "C", pid, 0, ts);
            if (device_id == -1)
                fputs(",\"name\":\"host pinned bytes\"", w->out);
            else
                fprintf(w->out, ",\"name\":\"device %" PRId64 " bytes\"", device_id);
            fprintf(w->out, ",\"args\":{\"allocated\":%" PRId64 ",\"reserved\":%" PRId64 "}}", allocated, reserved);
        }
        if (strcmp(type, "error") != 0)
            continue;
        json_object *meta = stormlog_event_metadata_json(ev);
        const char *api = cli_meta_string(meta, "api");
        const char *reason = cli_meta_string(meta, "reason");
        bool oom = reason && strcmp(reason, "out_of_memory") == 0;
        int64_t tid = 0, v;
        if (cli_meta_int(meta, "thread_id", &v))
            tid = v;
        char name[160];
        snprintf(name, sizeof name, "%s%s%s", oom ? "OOM" : "error", api ? " " : "", api ? api : "");
        begin_event(w, "i", pid, tid, ts);
        fputs(",\"s\":\"p\",\"cat\":\"stormlog\",\"name\":", w->out);
        json_string(w->out, name);
        fprintf(w->out, ",\"args\":{\"device\":%" PRId64, device_id);
        if (cli_meta_int(meta, "requested_bytes", &v))
            fprintf(w->out, ",\"requested_bytes\":%" PRId64, v);
        if (reason) {
            fputs(",\"reason\":", w->out);
            json_string(w->out, reason);
        }
        if (stormlog_event_context(ev)) {
            fputs(",\"phase\":", w->out);
            json_string(w->out, stormlog_event_context(ev));
        }
        fputs("}}", w->out);
        json_object_put(meta);
    }
    free(seen);
    return true;
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static bool write_phases(trace_writer *w, int64_t pid, const rp_session *m)
{
    int64_t *threads = malloc((m->phase_count ? m->phase_count : 1) * sizeof *threads);
    if (!threads)
        return false;
    for (size_t i = 0; i < m->phase_count; i++) {
        const rp_phase *p = &m->phases[i];
        int64_t tid = p->thread_id >= 0 ? p->thread_id : 0;
        threads[i] = tid;
        if (p->start_end) {
            /* A start/end range may end on another thread and overlap the
             * thread's stack: an async slice, on a track of its own. */
            for (int half = 0; half < 2; half++) {
                begin_event(w, half ? "e" : "b", pid, tid, half ? p->end_ns : p->start_ns);
                fprintf(w->out, ",\"cat\":\"nvtx\",\"id\":\"0x%" PRIx64 "\",\"name\":", p->id);
                json_string(w->out, p->name);
                fputs(",\"args\":{\"path\":", w->out);
                json_string(w->out, p->path);
                fprintf(w->out, ",\"closed\":%s}}", p->closed ? "true" : "false");
            }
            continue;
        }
        begin_event(w, "X", pid, tid, p->start_ns);
        fputs(",\"dur\":", w->out);
        put_ts(w->out, p->end_ns - p->start_ns);
        fputs(",\"cat\":\"nvtx\",\"name\":", w->out);
        json_string(w->out, p->name);
        fputs(",\"args\":{\"path\":", w->out);
        json_string(w->out, p->path);
        fprintf(w->out, ",\"closed\":%s}}", p->closed ? "true" : "false");
    }
    /* Thread names, once per thread. */
    qsort(threads, m->phase_count, sizeof *threads, compare_i64);
    for (size_t i = 0; i < m->phase_count; i++) {
        if (i > 0 && threads[i] == threads[i - 1])
            continue;
        begin_event(w, "M", pid, threads[i], w->origin);
        fprintf(w->out, ",\"name\":\"thread_name\",\"args\":{\"name\":\"thread %" PRId64 "\"}}", threads[i]);
    }
    free(threads);
    return true;
}

bool perfetto_write(FILE *out, const summary_session *const *sessions, size_t count)
{
    trace_writer w = {.out = out, .first = true};
    bool any = false;
    for (size_t i = 0; i < count; i++) {
        const stormlog_session *s = sessions[i]->session;
        if (stormlog_session_event_count(s) == 0)
            continue;
        int64_t t0 = stormlog_event_timestamp_ns(stormlog_session_event(s, 0));
        if (!any || t0 < w.origin)
            w.origin = t0;
        any = true;
    }
    fprintf(out, "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"generator\":\"stormlog-inspect export\","
                 "\"origin_unix_ns\":%" PRId64 "},\"traceEvents\":[",
            w.origin);
    bool ok = true;
    for (size_t i = 0; ok && i < count; i++) {
        const summary_session *sum = sessions[i];
        int64_t pid = (int64_t)i + 1;
        rp_session model;
        /* One column: the export wants the phases, not the curves. */
        ok = rp_session_build(&model, sum, 1, false);
        if (ok) {
            process_metadata(&w, pid, sum, model.rank);
            ok = write_counters_and_errors(&w, pid, sum->session) && write_phases(&w, pid, &model);
        }
        rp_session_free(&model);
    }
    fputs("\n]}\n", out);
    return ok && !ferror(out);
}
