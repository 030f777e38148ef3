/* stormlog-inspect export --format perfetto, checked against the rules of
 * the trace-event format (every event has ph, ts, pid; counter values are
 * numbers; B/E slices balance per thread and X slices nest) and against
 * what the recording holds. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fixture.h"
#include "run_tool.h"

TestSuite(perfetto, .fini = scratch_cleanup);

static bool is_number(json_object *v)
{
    return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

static const char *str_member(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static double num_member(json_object *o, const char *key)
{
    json_object *v;
    cr_assert(json_object_object_get_ex(o, key, &v) && is_number(v), "%s is a number", key);
    return json_object_get_double(v);
}

typedef struct slice {
    int64_t pid, tid;
    double ts, end;
    const char *name;
} slice;

static int by_thread_then_time(const void *a, const void *b)
{
    const slice *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    if (x->tid != y->tid)
        return x->tid < y->tid ? -1 : 1;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->end > y->end ? -1 : x->end < y->end; /* the enclosing one first */
}

/* The format's rules. Returns the events array (borrowed from doc). */
static json_object *check_trace_rules(json_object *doc)
{
    cr_assert(json_object_is_type(doc, json_type_object), "a JSON object");
    json_object *events;
    cr_assert(json_object_object_get_ex(doc, "traceEvents", &events) && json_object_is_type(events, json_type_array));
    size_t n = json_object_array_length(events);
    slice *slices = calloc(n + 1, sizeof *slices);
    size_t slice_count = 0;
    /* B/E balance per (pid, tid): a small stack per thread. */
    typedef struct open_b {
        int64_t pid, tid;
        const char *name;
    } open_b;
    open_b *stack = calloc(n + 1, sizeof *stack);
    size_t depth = 0;
    typedef struct open_async {
        int64_t pid;
        const char *id;
        double ts;
    } open_async;
    open_async *async_open = calloc(n + 1, sizeof *async_open);
    size_t async_count = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(events, i), *v;
        cr_assert(json_object_is_type(e, json_type_object), "event %zu is an object", i);
        const char *ph = str_member(e, "ph");
        cr_assert_not_null(ph, "event %zu has ph", i);
        cr_assert(json_object_object_get_ex(e, "ts", &v) && is_number(v), "event %zu has a numeric ts", i);
        cr_assert(json_object_object_get_ex(e, "pid", &v) && json_object_is_type(v, json_type_int),
                  "event %zu has an integer pid", i);
        int64_t pid = json_object_get_int64(v);
        int64_t tid = json_object_object_get_ex(e, "tid", &v) ? json_object_get_int64(v) : 0;
        double ts = num_member(e, "ts");
        if (strcmp(ph, "C") == 0) {
            json_object *args;
            cr_assert_not_null(str_member(e, "name"));
            cr_assert(json_object_object_get_ex(e, "args", &args) && json_object_is_type(args, json_type_object));
            cr_assert_gt(json_object_object_length(args), 0);
            json_object_object_foreach(args, key, val)
            {
                cr_assert(is_number(val), "counter value %s is a number", key);
            }
        } else if (strcmp(ph, "X") == 0) {
            double dur = num_member(e, "dur");
            cr_assert_geq(dur, 0.0);
            slices[slice_count++] = (slice){pid, tid, ts, ts + dur, str_member(e, "name")};
        } else if (strcmp(ph, "B") == 0) {
            stack[depth++] = (open_b){pid, tid, str_member(e, "name")};
        } else if (strcmp(ph, "E") == 0) {
            size_t k = depth;
            while (k > 0 && (stack[k - 1].pid != pid || stack[k - 1].tid != tid))
                k--;
            cr_assert_gt(k, 0, "an E without its B");
            memmove(stack + k - 1, stack + k, (depth - k) * sizeof *stack);
            depth--;
        } else if (strcmp(ph, "b") == 0 || strcmp(ph, "e") == 0) {
            /* Async slices: an id, and each "e" after its "b" (same pid, cat, id). */
            const char *id = str_member(e, "id");
            cr_assert_not_null(id, "async event %zu has an id", i);
            if (ph[0] == 'b') {
                async_open[async_count++] = (open_async){pid, id, ts};
            } else {
                size_t k = 0;
                while (k < async_count && (async_open[k].pid != pid || strcmp(async_open[k].id, id) != 0))
                    k++;
                cr_assert_lt(k, async_count, "an async end without its begin");
                cr_assert_geq(ts, async_open[k].ts);
                async_open[k] = async_open[--async_count];
            }
        } else if (strcmp(ph, "i") == 0 || strcmp(ph, "I") == 0) {
            const char *s = str_member(e, "s");
            cr_assert(!s || strcmp(s, "g") == 0 || strcmp(s, "p") == 0 || strcmp(s, "t") == 0);
        } else if (strcmp(ph, "M") == 0) {
            const char *name = str_member(e, "name");
            cr_assert(name && (strcmp(name, "process_name") == 0 || strcmp(name, "process_sort_index") == 0 ||
                               strcmp(name, "thread_name") == 0),
                      "metadata event %s", name ? name : "(none)");
        } else {
            cr_assert_fail("unexpected phase %s", ph);
        }
    }
    cr_assert_eq(depth, 0, "every B has its E");
    cr_assert_eq(async_count, 0, "every async begin has its end");
    free(async_open);
    /* Complete slices on one thread nest: a slice starting inside another
     * ends inside it too. */
    qsort(slices, slice_count, sizeof *slices, by_thread_then_time);
    for (size_t i = 0; i < slice_count; i++)
        for (size_t j = i + 1; j < slice_count && slices[j].pid == slices[i].pid && slices[j].tid == slices[i].tid &&
                               slices[j].ts < slices[i].end;
             j++)
            cr_assert_leq(slices[j].end, slices[i].end + 1e-9, "%s inside %s must end inside it", slices[j].name,
                          slices[i].name);
    free(slices);
    free(stack);
    return events;
}

static json_object *export_to(const char *in, const char *out)
{
    const char *argv[] = {inspect_path(), "export", in, "--format", "perfetto", "-o", out, NULL};
    cr_assert_eq(run_tool(argv, NULL, NULL), 0);
    json_object *doc = json_object_from_file(out);
    cr_assert_not_null(doc, "the file is JSON");
    return doc;
}

Test(perfetto, job_trace_follows_the_format_and_the_recording)
{
    char *dir = NULL, *out = NULL;
    cr_assert(asprintf(&dir, "%s/job", scratch_dir()) > 0 && asprintf(&out, "%s/trace.json", scratch_dir()) > 0);
    enum { RANKS = 3, HOT = 1, STEPS = 6 };
    fixture_truth truth[RANKS];
    cr_assert(fixture_write_job(dir, RANKS, HOT, STEPS, truth));
    json_object *doc = export_to(dir, out);
    json_object *events = check_trace_rules(doc);
    size_t n = json_object_array_length(events);

    int64_t peak[RANKS + 1] = {0}, rank_of_pid[RANKS + 1];
    size_t forward[RANKS + 1] = {0}, ooms[RANKS + 1] = {0}, names = 0;
    bool reserved_seen = false;
    for (size_t i = 0; i < RANKS + 1; i++)
        rank_of_pid[i] = -1;
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(events, i), *args, *v;
        const char *ph = str_member(e, "ph"), *name = str_member(e, "name");
        json_object_object_get_ex(e, "pid", &v);
        int64_t pid = json_object_get_int64(v);
        cr_assert(pid >= 1 && pid <= RANKS, "a process per session");
        json_object_object_get_ex(e, "args", &args);
        if (strcmp(ph, "M") == 0 && strcmp(name, "process_sort_index") == 0) {
            json_object_object_get_ex(args, "sort_index", &v);
            rank_of_pid[pid] = json_object_get_int64(v);
        } else if (strcmp(ph, "M") == 0 && strcmp(name, "process_name") == 0) {
            names++;
        } else if (strcmp(ph, "C") == 0 && strcmp(name, "device 0 bytes") == 0) {
            cr_assert(json_object_object_get_ex(args, "allocated", &v));
            if (json_object_get_int64(v) > peak[pid])
                peak[pid] = json_object_get_int64(v);
            reserved_seen = reserved_seen || json_object_object_get_ex(args, "reserved", &v);
        } else if (strcmp(ph, "X") == 0 && strcmp(name, "forward") == 0) {
            forward[pid]++;
            json_object_object_get_ex(e, "tid", &v);
            cr_assert_eq(json_object_get_int64(v), 100, "the phase's thread");
        } else if (strcmp(ph, "i") == 0) {
            cr_assert_str_eq(name, "OOM cudaMalloc");
            cr_assert(json_object_object_get_ex(args, "requested_bytes", &v));
            cr_assert_eq(json_object_get_int64(v), truth[HOT].oom_requested);
            ooms[pid]++;
        }
    }
    cr_assert_eq(names, RANKS);
    cr_assert(reserved_seen, "the reserved counter is on the device's track");
    for (int64_t pid = 1; pid <= RANKS; pid++) {
        int64_t r = rank_of_pid[pid];
        cr_assert(r >= 0 && r < RANKS, "pid %lld names its rank", (long long)pid);
        cr_assert_eq(peak[pid], truth[r].peak_bytes, "rank %lld: the counter reaches the peak", (long long)r);
        cr_assert_eq(forward[pid], STEPS, "rank %lld: a forward slice per step", (long long)r);
        cr_assert_eq(ooms[pid], r == HOT ? 1u : 0u);
    }
    json_object_put(doc);
    free(dir);
    free(out);
}

Test(perfetto, unclosed_and_mismatched_phases_still_make_a_valid_trace)
{
    /* An enter without its exit and an exit without its enter. */
    char *file = NULL, *out = NULL;
    cr_assert(asprintf(&file, "%s/phases.jsonl", scratch_dir()) > 0 &&
              asprintf(&out, "%s/trace.json", scratch_dir()) > 0);
    FILE *f = fopen(file, "w");
    cr_assert_not_null(f);
    static const char *const rows[][2] = {
        {"phase_enter", "{\"phase_scope\":{\"name\":\"outer\",\"path\":[\"outer\"],\"scope_id\":1},\"thread_id\":5}"},
        {"phase_exit", "{\"phase_scope\":{\"name\":\"ghost\",\"path\":[\"ghost\"],\"scope_id\":99},\"thread_id\":5}"},
        {"allocation", "{\"api\":\"cudaMalloc\",\"ptr\":\"0x10\",\"size\":64,\"thread_id\":5}"},
        {"phase_enter", "{\"phase_scope\":{\"name\":\"inner\",\"path\":[\"outer\",\"inner\"],\"scope_id\":2},"
                        "\"thread_id\":5}"},
        {"phase_exit", "{\"phase_scope\":{\"name\":\"inner\",\"path\":[\"outer\",\"inner\"],\"scope_id\":2},"
                       "\"thread_id\":5}"},
        /* an NVTX start/end range, ended on another thread */
        {"phase_enter", "{\"nvtx\":\"start_end\",\"phase_scope\":{\"name\":\"prefetch\",\"path\":[\"prefetch\"],"
                        "\"scope_id\":7},\"thread_id\":5}"},
        {"phase_exit", "{\"nvtx\":\"start_end\",\"phase_scope\":{\"name\":\"prefetch\",\"path\":[\"prefetch\"],"
                       "\"scope_id\":7},\"thread_id\":6}"},
    };
    for (int i = 0; i < 7; i++)
        fprintf(f,
                "{\"schema_version\":3,\"session_id\":\"p\",\"timestamp_ns\":%d,\"event_type\":\"%s\","
                "\"collector\":\"stormlog.cuda_shim\",\"sampling_interval_ms\":0,\"pid\":1,\"host\":\"h\","
                "\"device_id\":0,\"allocator_allocated_bytes\":%d,\"allocator_reserved_bytes\":%d,"
                "\"allocator_active_bytes\":null,\"allocator_inactive_bytes\":null,\"allocator_change_bytes\":0,"
                "\"device_used_bytes\":0,\"device_free_bytes\":null,\"device_total_bytes\":null,\"context\":null,"
                "\"metadata\":%s}\n",
                (i + 1) * 1000, rows[i][0], i >= 2 ? 64 : 0, i >= 2 ? 64 : 0, rows[i][1]);
    cr_assert_eq(fclose(f), 0);
    json_object *doc = export_to(file, out);
    json_object *events = check_trace_rules(doc);
    bool outer_open = false, inner_closed = false;
    size_t async = 0;
    for (size_t i = 0; i < json_object_array_length(events); i++) {
        json_object *e = json_object_array_get_idx(events, i), *args, *closed;
        const char *ph = str_member(e, "ph");
        if ((ph[0] == 'b' || ph[0] == 'e') && strcmp(str_member(e, "name"), "prefetch") == 0)
            async++;
        if (strcmp(ph, "X") != 0)
            continue;
        cr_assert_str_neq(str_member(e, "name"), "prefetch", "a start/end range is async, not on the stack");
        json_object_object_get_ex(e, "args", &args);
        json_object_object_get_ex(args, "closed", &closed);
        if (strcmp(str_member(e, "name"), "outer") == 0)
            outer_open = !json_object_get_boolean(closed);
        if (strcmp(str_member(e, "name"), "inner") == 0)
            inner_closed = json_object_get_boolean(closed);
        cr_assert_str_neq(str_member(e, "name"), "ghost", "an exit alone is no slice");
    }
    cr_assert(outer_open && inner_closed);
    cr_assert_eq(async, 2, "the range's begin and end");
    json_object_put(doc);
    free(file);
    free(out);
}

Test(perfetto, usage)
{
    /* perfetto is the default format: without --format, x is read (and missing). */
    const char *no_format[] = {inspect_path(), "export", "/nonexistent/x", NULL};
    cr_assert_eq(run_tool(no_format, NULL, NULL), 1);
    const char *no_path[] = {inspect_path(), "export", "--format", "perfetto", NULL};
    cr_assert_eq(run_tool(no_path, NULL, NULL), 2);
    const char *bad_format[] = {inspect_path(), "export", "x", "--format", "svg", NULL};
    cr_assert_eq(run_tool(bad_format, NULL, NULL), 2);
    const char *missing[] = {inspect_path(), "export", "/nonexistent/rec", "--format", "perfetto", NULL};
    cr_assert_eq(run_tool(missing, NULL, NULL), 1);
}
