/* stormlog_load: plan the input (plan.c), read it (JSON whole; JSONL segment
 * by segment, on several threads when asked), then group into sessions
 * (sessions.c). The first error in reading order wins, as the reference where the
 * first failing record stops the load. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "jsoninput.h"
#include "jsonl.h"
#include "plan.h"
#include "sessions.h"

static bool read_json(stormlog_recording *rec, const sl_plan *plan, const stormlog_options *opts,
                      sl_fail_info *f)
{
    json_object *doc, *list;
    bool single;
    if (!sl_json_input_parse(plan->json_path, &doc, f))
        return false;
    bool ok = sl_json_input_records(doc, opts->events_key, &list, &single, f) &&
              sl_json_input_check_elements(list, single, f);
    sl_event_alloc al = {.arena = &rec->arena};
    sl_convert_ctx ctx = {opts->permissive_legacy, plan->json_default_id, &al, NULL, 0};
    size_t n = !ok ? 0 : single ? 1 : json_object_array_length(list);
    for (size_t i = 0; ok && i < n; i++) {
        json_object *record = single ? list : json_object_array_get_idx(list, i);
        stormlog_event *ev = sl_event_list_push(&rec->events);
        if (!ev) {
            ok = sl_failf(f, STORMLOG_E_NO_MEMORY, "out of memory");
            break;
        }
        if (!sl_event_from_record(record, &ctx, ev, f)) {
            sl_event_list_pop(&rec->events);
            sl_fail_where(f, plan->json_path, 0, single ? -1 : (long)i);
            ok = false;
            break;
        }
        ev->seq = i;
        ev->origin = 0;
    }
    json_object_put(doc);
    return ok;
}

/* One segment into a list and arena of its own (also the sequential path). */
typedef struct segment_result {
    sl_event_list events;
    sl_arena arena;
    sl_fail_info *fail; /* malloc'd only when the segment failed */
    bool vanished;
} segment_result;

/* A segment of a sink that is gone by the time it is opened (retention of a
 * live writer pruned it after the listing) is skipped and counted, never an
 * error. A file named as the input itself is another matter: it fails. */
bool sl_segment_vanished(const sl_plan_segment *seg, const sl_jsonl_reader *r)
{
    return r->vanished && !seg->allow_symlink;
}

void sl_warn_vanished(sl_plan *plan, const sl_plan_segment *seg)
{
    sl_plan_warn(plan, "skipped %s: " SL_VANISHED_TEXT, seg->path);
}

void (*sl_test_after_plan)(const sl_plan *plan);

static bool read_segment(const sl_plan_segment *seg, uint32_t index, const stormlog_options *opts,
                         sl_event_list *events, sl_arena *arena, bool *vanished, sl_fail_info *f)
{
    sl_jsonl_reader r;
    if (!sl_jsonl_open(&r, seg->path, opts->max_line_bytes, seg->allow_symlink, f)) {
        if (!sl_segment_vanished(seg, &r))
            return false;
        sl_fail_init(f);
        *vanished = true;
        return true;
    }
    sl_event_alloc al = {.arena = arena};
    sl_convert_ctx ctx = {opts->permissive_legacy, seg->default_id, &al, NULL, 0};
    bool ok = true;
    for (;;) {
        stormlog_event *ev = sl_event_list_push(events);
        if (!ev) {
            ok = sl_failf(f, STORMLOG_E_NO_MEMORY, "out of memory");
            break;
        }
        int rc = sl_jsonl_next(&r, &ctx, ev, f);
        if (rc != 1) {
            sl_event_list_pop(events);
            ok = rc == 0;
            break;
        }
        ev->origin = seg->origin;
        ev->segment = index;
    }
    sl_jsonl_close(&r);
    return ok;
}

typedef struct parallel_ctx {
    const sl_plan *plan;
    const stormlog_options *opts;
    segment_result *results;
    atomic_size_t next;
    atomic_bool stop; /* an error: later segments no longer matter */
} parallel_ctx;

static void *segment_worker(void *arg)
{
    parallel_ctx *pc = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&pc->next, 1);
        if (i >= pc->plan->segment_count || atomic_load(&pc->stop))
            break;
        segment_result *res = &pc->results[i];
        sl_arena_init(&res->arena);
        sl_fail_info f;
        sl_fail_init(&f);
        if (!read_segment(&pc->plan->segments[i], (uint32_t)i, pc->opts, &res->events, &res->arena, &res->vanished, &f)) {
            res->fail = malloc(sizeof *res->fail);
            if (res->fail)
                *res->fail = f;
            else
                res->fail = (sl_fail_info *)-1; /* failed, and no room to say how */
            atomic_store(&pc->stop, true);
        }
    }
    return NULL;
}

static bool read_segments_parallel(stormlog_recording *rec, sl_plan *plan,
                                   const stormlog_options *opts, unsigned threads, sl_fail_info *f)
{
    parallel_ctx pc = {.plan = plan, .opts = opts};
    atomic_init(&pc.next, 0);
    atomic_init(&pc.stop, false);
    pc.results = calloc(plan->segment_count, sizeof *pc.results);
    pthread_t *tids = calloc(threads, sizeof *tids);
    if (!pc.results || !tids) {
        free(pc.results);
        free(tids);
        return sl_failf(f, STORMLOG_E_NO_MEMORY, "out of memory");
    }
    unsigned started = 0;
    for (; started < threads; started++)
        if (pthread_create(&tids[started], NULL, segment_worker, &pc) != 0)
            break;
    if (started == 0)
        segment_worker(&pc);
    for (unsigned i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    free(tids);
    bool ok = true;
    uint64_t seq = 0;
    for (size_t i = 0; i < plan->segment_count; i++) {
        segment_result *res = &pc.results[i];
        if (ok && res->fail) {
            if (res->fail == (sl_fail_info *)-1)
                sl_failf(f, STORMLOG_E_NO_MEMORY, "out of memory");
            else
                *f = *res->fail;
            ok = false;
        }
        if (ok && res->vanished) {
            rec->vanished_segments++;
            sl_warn_vanished(plan, &plan->segments[i]);
        }
        if (ok) {
            for (sl_event_block *b = res->events.head; b; b = b->next)
                for (size_t k = 0; k < b->count; k++)
                    b->ev[k].seq = seq++;
            sl_event_list_append(&rec->events, &res->events);
            sl_arena_adopt(&rec->arena, &res->arena);
        } else {
            sl_event_list_free(&res->events);
            sl_arena_free(&res->arena);
        }
        if (res->fail && res->fail != (sl_fail_info *)-1)
            free(res->fail);
    }
    free(pc.results);
    return ok;
}

static bool read_segments(stormlog_recording *rec, sl_plan *plan,
                          const stormlog_options *opts, sl_fail_info *f)
{
    unsigned threads = opts->threads;
    if (threads > plan->segment_count)
        threads = (unsigned)plan->segment_count;
    if (threads > 1)
        return read_segments_parallel(rec, plan, opts, threads, f);
    for (size_t i = 0; i < plan->segment_count; i++) {
        bool vanished = false;
        if (!read_segment(&plan->segments[i], (uint32_t)i, opts, &rec->events, &rec->arena, &vanished, f))
            return false;
        if (vanished) {
            rec->vanished_segments++;
            sl_warn_vanished(plan, &plan->segments[i]);
        }
    }
    uint64_t seq = 0;
    for (sl_event_block *b = rec->events.head; b; b = b->next)
        for (size_t k = 0; k < b->count; k++)
            b->ev[k].seq = seq++;
    return true;
}

stormlog_status stormlog_load(const char *path, const stormlog_options *opts,
                              stormlog_recording **out, stormlog_error **err)
{
    sl_fail_info f;
    sl_fail_init(&f);
    if (out)
        *out = NULL;
    if (err)
        *err = NULL;
    if (!path || !out)
        return sl_fail_now(&f, err, STORMLOG_E_INVALID_ARGUMENT, "stormlog_load: path and out are required");
    stormlog_options defaults;
    opts = sl_options_or_defaults(opts, &defaults);
    stormlog_recording *rec = calloc(1, sizeof *rec);
    if (!rec)
        return sl_fail_now(&f, err, STORMLOG_E_NO_MEMORY, "out of memory");
    sl_arena_init(&rec->arena);
    rec->default_index = SIZE_MAX;
    sl_plan plan;
    bool ok = sl_plan_build(path, opts, &plan, &f);
    if (ok && sl_test_after_plan)
        sl_test_after_plan(&plan);
    if (ok)
        ok = plan.is_json ? read_json(rec, &plan, opts, &f) : read_segments(rec, &plan, opts, &f);
    if (ok) {
        rec->warnings = plan.warnings;
        rec->warning_count = plan.warning_count;
        plan.warnings = NULL;
        plan.warning_count = 0;
        ok = sl_recording_finalize(rec, plan.manifests, plan.manifest_count, plan.labels, &f);
        if (ok && !plan.is_json)
            ok = sl_recording_sources(rec, &plan, &f);
    }
    sl_plan_free(&plan);
    if (!ok) {
        stormlog_recording_free(rec);
        sl_fail_publish(&f, err);
        return f.code ? f.code : STORMLOG_E_NO_MEMORY;
    }
    *out = rec;
    return STORMLOG_OK;
}
