/* stormlog_check: the loader's own reading (plan.c, jsonl.c, the JSON
 * input), keeping nothing and going on after a bad record, so that every
 * problem is reported in memory bounded by the longest line (a JSON
 * document excepted: it is parsed whole, as by stormlog_load). What the
 * plan skipped (missing, non-regular, unsafely named segments) and what the
 * reader drops (a torn last line, a segment deleted meanwhile) are reported
 * as warnings: the input loads without them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsoninput.h"
#include "jsonl.h"
#include "plan.h"

typedef struct checker {
    stormlog_finding_fn fn;
    void *ctx;
    uint64_t events;
    sl_arena arena; /* one record's strings at a time */
    sl_event_alloc alloc;
} checker;

static void report(checker *c, stormlog_finding_severity severity, const char *kind, const char *file,
                   long line, long index, const char *message)
{
    stormlog_finding finding = {severity, kind, file, line, index, message};
    if (c->fn)
        c->fn(c->ctx, &finding);
}

static void report_fail(checker *c, const char *kind, const sl_fail_info *f, const char *file)
{
    report(c, STORMLOG_FINDING_ERROR, kind, f->file[0] ? f->file : file, f->line, f->index, f->message);
}

static void forget_record(checker *c)
{
    sl_arena_free(&c->arena);
    sl_arena_init(&c->arena);
    memset(&c->alloc, 0, sizeof c->alloc);
    c->alloc.arena = &c->arena;
}

static void check_segment(checker *c, const sl_plan_segment *seg, const stormlog_options *opts)
{
    sl_fail_info f;
    sl_fail_init(&f);
    sl_jsonl_reader r;
    if (!sl_jsonl_open(&r, seg->path, opts->max_line_bytes, seg->allow_symlink, &f)) {
        if (sl_segment_vanished(seg, &r))
            report(c, STORMLOG_FINDING_WARNING, "vanished-segment", seg->path, 0, -1, SL_VANISHED_TEXT ": skipped");
        else
            report_fail(c, "file", &f, seg->path);
        return;
    }
    sl_convert_ctx ctx = {opts->permissive_legacy, seg->default_id, &c->alloc, NULL, 0};
    for (;;) {
        stormlog_event ev;
        memset(&ev, 0, sizeof ev);
        sl_fail_init(&f);
        int rc = sl_jsonl_next(&r, &ctx, &ev, &f);
        forget_record(c);
        if (rc == 1) {
            c->events++;
            continue;
        }
        if (rc == 0)
            break;
        report_fail(c, r.line_error ? "record" : "file", &f, seg->path);
        if (!sl_jsonl_skip_bad_line(&r))
            break;
    }
    if (r.torn_line > 0)
        report(c, STORMLOG_FINDING_WARNING, "torn-line", seg->path, r.torn_line, -1,
               "the last line has no line break and does not parse (a crash or a live writer "
               "leaves one): not read");
    sl_jsonl_close(&r);
}

/* Non-objects first, as the loader checks them before converting any. */
static void check_json(checker *c, const sl_plan *plan, const stormlog_options *opts, json_object *doc)
{
    json_object *list;
    bool single;
    sl_fail_info f;
    sl_fail_init(&f);
    if (!sl_json_input_records(doc, opts->events_key, &list, &single, &f)) {
        report_fail(c, "file", &f, plan->json_path);
        return;
    }
    size_t n = single ? 1 : json_object_array_length(list);
    for (size_t i = 0; !single && i < n; i++)
        if (json_object_get_type(json_object_array_get_idx(list, i)) != json_type_object) {
            char msg[64];
            snprintf(msg, sizeof msg, "Event at index %zu must be an object", i);
            report(c, STORMLOG_FINDING_ERROR, "record", plan->json_path, 0, (long)i, msg);
        }
    sl_convert_ctx ctx = {opts->permissive_legacy, plan->json_default_id, &c->alloc, NULL, 0};
    for (size_t i = 0; i < n; i++) {
        json_object *record = single ? list : json_object_array_get_idx(list, i);
        if (json_object_get_type(record) != json_type_object)
            continue;
        stormlog_event ev;
        memset(&ev, 0, sizeof ev);
        sl_fail_init(&f);
        bool ok = sl_event_from_record(record, &ctx, &ev, &f);
        forget_record(c);
        if (ok) {
            c->events++;
            continue;
        }
        sl_fail_where(&f, plan->json_path, 0, single ? -1 : (long)i);
        report_fail(c, "record", &f, plan->json_path);
    }
}

static const char *note_kind(sl_plan_note_kind k)
{
    switch (k) {
    case SL_NOTE_MISSING:
        return "missing-segment";
    case SL_NOTE_NOT_REGULAR:
        return "not-regular";
    case SL_NOTE_UNSAFE_NAME:
        return "unsafe-name";
    }
    return "warning";
}

stormlog_status stormlog_check(const char *path, const stormlog_options *opts, stormlog_finding_fn on_finding,
                               void *ctx, uint64_t *events, stormlog_error **err)
{
    sl_fail_info f;
    sl_fail_init(&f);
    if (err)
        *err = NULL;
    if (events)
        *events = 0;
    if (!path)
        return sl_fail_now(&f, err, STORMLOG_E_INVALID_ARGUMENT, "stormlog_check: path is required");
    stormlog_options defaults;
    opts = sl_options_or_defaults(opts, &defaults);
    checker c = {.fn = on_finding, .ctx = ctx};
    sl_arena_init(&c.arena);
    c.alloc.arena = &c.arena;
    sl_plan plan;
    if (!sl_plan_build(path, opts, &plan, &f)) {
        sl_plan_free(&plan);
        sl_arena_free(&c.arena);
        sl_fail_publish(&f, err);
        return f.code ? f.code : STORMLOG_E_NO_MEMORY;
    }
    if (sl_test_after_plan)
        sl_test_after_plan(&plan);
    stormlog_status status = STORMLOG_OK;
    for (size_t i = 0; i < plan.note_count; i++)
        report(&c, STORMLOG_FINDING_WARNING, note_kind(plan.notes[i].kind), plan.notes[i].file, 0, -1,
               plan.notes[i].message);
    if (plan.is_json) {
        json_object *doc = NULL;
        if (sl_json_input_parse(plan.json_path, &doc, &f))
            check_json(&c, &plan, opts, doc);
        else if (f.code == STORMLOG_E_PARSE || f.code == STORMLOG_E_LIMIT)
            report_fail(&c, "file", &f, plan.json_path); /* a document to blame, not a path */
        else
            status = f.code ? f.code : STORMLOG_E_NO_MEMORY;
        json_object_put(doc);
    } else {
        for (size_t i = 0; i < plan.segment_count; i++)
            check_segment(&c, &plan.segments[i], opts);
    }
    sl_plan_free(&plan);
    sl_arena_free(&c.arena);
    if (status != STORMLOG_OK) {
        sl_fail_publish(&f, err);
        return status;
    }
    if (events)
        *events = c.events;
    return STORMLOG_OK;
}
