/* Reads what nvtx_workload recorded under the shim (through the loader's
 * public API) and checks it:
 *
 *   nvtx_check DIR          allocation contexts, per-thread nesting of
 *                           phase_enter / phase_exit, the start/end range,
 *                           the stop event's NVTX counters
 *   nvtx_check DIR stage    the loader's projection: stage and phase
 *                           correlation of every phase event (exit 77 when
 *                           the records carry no metadata.phase_scope)
 *
 * Prints what is wrong and exits 1; 0 when all is right. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stormlog/loader.h"

static int problems;

#define CHECK(cond, ...)                                                                                           \
    do {                                                                                                           \
        if (!(cond)) {                                                                                             \
            printf("nvtx_check: " __VA_ARGS__);                                                                    \
            putchar('\n');                                                                                         \
            problems++;                                                                                            \
        }                                                                                                          \
    } while (0)

static bool get_int(json_object *o, const char *key, int64_t *out)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
        return false;
    *out = json_object_get_int64(v);
    return true;
}

static const char *get_str(json_object *o, const char *key)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* scope_id / parent_scope_id: in metadata.phase_scope, or flat. */
static json_object *scope_of(json_object *meta)
{
    json_object *scope;
    if (json_object_object_get_ex(meta, "phase_scope", &scope) && json_object_is_type(scope, json_type_object))
        return scope;
    return meta;
}

#define THREADS 8
#define DEPTH 64

typedef struct thread_stack {
    int64_t tid;
    size_t depth;
    int64_t scope[DEPTH];
    char context[DEPTH][160];
} thread_stack;

static thread_stack *stack_of(thread_stack *stacks, size_t *count, int64_t tid)
{
    for (size_t i = 0; i < *count; i++)
        if (stacks[i].tid == tid)
            return &stacks[i];
    if (*count == THREADS)
        return NULL;
    thread_stack *s = &stacks[(*count)++];
    memset(s, 0, sizeof *s);
    s->tid = tid;
    return s;
}

static const char *expected_context(int64_t size)
{
    switch (size) {
    case 1 << 20:
        return "train/step/forward";
    case 2 << 20:
        return "train/step/backward";
    case 4096:
        return "loader";
    case 8192:
        return "train/d0/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12/d13/d14";
    case 16384:
        return "train/attrs";
    default:
        return NULL;
    }
}

static void check_recording(const stormlog_session *s)
{
    thread_stack stacks[THREADS];
    size_t thread_count = 0, enters = 0, exits = 0, allocations = 0;
    int64_t range_scope = -1, range_tid = -1;
    bool range_closed = false, stop_seen = false;
    for (size_t i = 0; i < stormlog_session_event_count(s); i++) {
        const stormlog_event *ev = stormlog_session_event(s, i);
        const char *type = stormlog_event_type(ev);
        const char *context = stormlog_event_context(ev);
        json_object *meta = stormlog_event_metadata_json(ev);
        if (strcmp(type, "allocation") == 0) {
            int64_t size = 0;
            stormlog_event_int(ev, STORMLOG_ALLOCATOR_CHANGE_BYTES, &size);
            const char *want = expected_context(size);
            CHECK(want && context && strcmp(context, want) == 0, "allocation of %" PRId64 " bytes: context %s, want %s",
                  size, context ? context : "(null)", want ? want : "(unknown size)");
            allocations++;
        } else if (strcmp(type, "phase_enter") == 0 || strcmp(type, "phase_exit") == 0) {
            bool enter = type[6] == 'e' && type[7] == 'n';
            json_object *scope = scope_of(meta);
            int64_t id = -1, parent = 0, tid = -1;
            CHECK(get_int(scope, "scope_id", &id), "phase event without scope_id");
            bool has_parent = get_int(scope, "parent_scope_id", &parent);
            get_int(meta, "thread_id", &tid);
            const char *call = get_str(meta, "nvtx");
            CHECK(context != NULL, "phase event without a path");
            if (call && strcmp(call, "start_end") == 0) {
                if (enter) {
                    CHECK(context && strcmp(context, "train/prefetch") == 0, "range path %s", context);
                    range_scope = id;
                    range_tid = tid;
                } else {
                    CHECK(id == range_scope, "range end pairs with its start");
                    CHECK(tid != range_tid, "the range ended on the other thread");
                    range_closed = true;
                }
                json_object_put(meta);
                continue;
            }
            thread_stack *st = stack_of(stacks, &thread_count, tid);
            CHECK(st != NULL, "too many threads");
            if (!st) {
                json_object_put(meta);
                continue;
            }
            if (enter) {
                enters++;
                if (st->depth == 0)
                    CHECK(!has_parent, "a top-level phase has no parent (%s)", context);
                else
                    CHECK(has_parent && parent == st->scope[st->depth - 1], "%s: parent is the enclosing phase",
                          context);
                CHECK(st->depth < DEPTH, "stack overflow");
                if (st->depth < DEPTH) {
                    st->scope[st->depth] = id;
                    snprintf(st->context[st->depth], sizeof st->context[0], "%s", context ? context : "");
                    st->depth++;
                }
            } else {
                exits++;
                CHECK(st->depth > 0, "an exit with no enter (%s)", context);
                if (st->depth > 0) {
                    st->depth--;
                    CHECK(st->scope[st->depth] == id, "%s: exit pairs with the innermost enter", context);
                    CHECK(context && strcmp(st->context[st->depth], context) == 0, "exit path %s, enter path %s",
                          context, st->context[st->depth]);
                }
            }
        } else if (strcmp(type, "stop") == 0) {
            int64_t v = -1;
            stop_seen = true;
            CHECK(get_int(meta, "nvtx_truncated_pushes", &v) && v == 5, "truncated pushes %" PRId64 ", want 5", v);
            CHECK(get_int(meta, "nvtx_unmatched_pops", &v) && v == 2, "unmatched pops %" PRId64 ", want 2", v);
        }
        json_object_put(meta);
    }
    for (size_t i = 0; i < thread_count; i++)
        CHECK(stacks[i].depth == 0, "thread %" PRId64 " ends with %zu phases open", stacks[i].tid, stacks[i].depth);
    CHECK(thread_count == 2, "push/pop phases on %zu threads, want 2", thread_count);
    /* train, 2 x (step, forward, backward), attrs, d0..d14, loader */
    CHECK(enters == 24 && exits == 24, "%zu enters and %zu exits, want 24 each", enters, exits);
    CHECK(range_scope > 0 && range_closed, "the start/end range was recorded");
    CHECK(allocations == 7, "%zu allocations, want 7", allocations);
    CHECK(stop_seen, "a stop event");
}

static int check_stage(const stormlog_session *s)
{
    size_t with_scope = 0;
    for (size_t i = 0; i < stormlog_session_event_count(s); i++) {
        const stormlog_event *ev = stormlog_session_event(s, i);
        const char *type = stormlog_event_type(ev);
        if (strcmp(type, "phase_enter") != 0 && strcmp(type, "phase_exit") != 0)
            continue;
        json_object *meta = stormlog_event_metadata_json(ev), *scope;
        if (!json_object_object_get_ex(meta, "phase_scope", &scope)) {
            json_object_put(meta);
            continue;
        }
        with_scope++;
        const char *context = stormlog_event_context(ev);
        const char *slash = context ? strrchr(context, '/') : NULL;
        const char *name = slash ? slash + 1 : context;
        json_object *env = stormlog_event_project_json(ev);
        json_object *corr = NULL;
        json_object_object_get_ex(env, "correlation", &corr);
        const char *stage = get_str(env, "stage");
        CHECK(stage && name && strcmp(stage, name) == 0, "stage %s, want %s", stage ? stage : "(null)",
              name ? name : "(null)");
        int64_t a = -1, b = -2;
        CHECK(get_int(corr, "phase.scope_id", &a) && get_int(scope, "scope_id", &b) && a == b,
              "correlation phase.scope_id");
        CHECK(corr && json_object_object_get_ex(corr, "phase.sequence", NULL), "correlation phase.sequence");
        json_object_put(env);
        json_object_put(meta);
    }
    if (with_scope == 0) {
        printf("SKIP: the phase events carry no metadata.phase_scope (the record writer does not fold the flat "
               "phase keys yet)\n");
        return 77;
    }
    return problems ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: nvtx_check DIR [stage]\n");
        return 2;
    }
    stormlog_recording *rec;
    stormlog_error *err;
    if (stormlog_load(argv[1], NULL, &rec, &err) != STORMLOG_OK) {
        printf("nvtx_check: %s\n", stormlog_error_message(err));
        stormlog_error_free(err);
        return 1;
    }
    const stormlog_session *s = stormlog_recording_default_session(rec);
    int rc;
    if (!s) {
        printf("nvtx_check: nothing was recorded\n");
        rc = 1;
    } else if (argc > 2 && strcmp(argv[2], "stage") == 0) {
        rc = check_stage(s);
    } else {
        check_recording(s);
        rc = problems ? 1 : 0;
    }
    if (rc == 0)
        printf("nvtx_check: %zu events checked\n", stormlog_session_event_count(s));
    stormlog_recording_free(rec);
    return rc;
}
