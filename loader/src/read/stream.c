/* The streaming reader: the same inputs as stormlog_load, one event at a
 * time in reading order, in memory bounded by the longest line (JSON files
 * excepted: one JSON document is parsed whole). Each event's strings live in
 * a small arena emptied before the next event. */
#include <stdlib.h>
#include <string.h>

#include "jsoninput.h"
#include "jsonl.h"
#include "plan.h"

struct stormlog_stream {
    stormlog_options opts;
    sl_plan plan;
    size_t segment;          /* next segment to open */
    bool reader_open;
    sl_jsonl_reader reader;
    json_object *doc, *list; /* JSON inputs */
    bool single;
    size_t index, count;
    sl_arena arena;
    sl_event_alloc alloc;
    stormlog_event ev;
    bool done;
    size_t vanished_segments;
};

stormlog_status stormlog_stream_open(const char *path, const stormlog_options *opts,
                                     stormlog_stream **out, stormlog_error **err)
{
    sl_fail_info f;
    sl_fail_init(&f);
    if (out)
        *out = NULL;
    if (!path || !out)
        return sl_fail_now(&f, err, STORMLOG_E_INVALID_ARGUMENT, "stormlog_stream_open: path and out are required");
    stormlog_stream *s = calloc(1, sizeof *s);
    if (!s)
        return sl_fail_now(&f, err, STORMLOG_E_NO_MEMORY, "out of memory");
    sl_options_defaults(&s->opts);
    if (opts) {
        s->opts = *opts;
        s->opts.events_key = opts->events_key ? strdup(opts->events_key) : NULL;
    }
    sl_arena_init(&s->arena);
    bool ok = (!opts || !opts->events_key || s->opts.events_key) &&
              sl_plan_build(path, &s->opts, &s->plan, &f);
    if (ok && s->plan.is_json) {
        ok = sl_json_input_parse(s->plan.json_path, &s->doc, &f) &&
             sl_json_input_records(s->doc, s->opts.events_key, &s->list, &s->single, &f) &&
             sl_json_input_check_elements(s->list, s->single, &f);
        if (ok)
            s->count = s->single ? 1 : json_object_array_length(s->list);
    }
    if (!ok) {
        if (!f.set)
            sl_failf(&f, STORMLOG_E_NO_MEMORY, "out of memory");
        stormlog_stream_close(s);
        sl_fail_publish(&f, err);
        return f.code;
    }
    *out = s;
    return STORMLOG_OK;
}

static void reset_event_memory(stormlog_stream *s)
{
    sl_arena_free(&s->arena);
    sl_arena_init(&s->arena);
    memset(&s->alloc, 0, sizeof s->alloc);
    s->alloc.arena = &s->arena;
}

static int next_json(stormlog_stream *s, sl_fail_info *f)
{
    if (s->index >= s->count)
        return 0;
    json_object *record = s->single ? s->list : json_object_array_get_idx(s->list, s->index);
    sl_convert_ctx ctx = {s->opts.permissive_legacy, s->plan.json_default_id, &s->alloc, NULL, 0};
    if (!sl_event_from_record(record, &ctx, &s->ev, f)) {
        sl_fail_where(f, s->plan.json_path, 0, s->single ? -1 : (long)s->index);
        return -1;
    }
    s->ev.seq = s->index++;
    return 1;
}

static int next_jsonl(stormlog_stream *s, sl_fail_info *f)
{
    for (;;) {
        if (!s->reader_open) {
            if (s->segment >= s->plan.segment_count)
                return 0;
            const sl_plan_segment *seg = &s->plan.segments[s->segment];
            if (!sl_jsonl_open(&s->reader, seg->path, s->opts.max_line_bytes, seg->allow_symlink, f)) {
                if (!sl_segment_vanished(seg, &s->reader))
                    return -1;
                sl_fail_init(f);
                s->vanished_segments++;
                sl_warn_vanished(&s->plan, seg);
                s->segment++;
                continue;
            }
            s->reader_open = true;
        }
        const sl_plan_segment *seg = &s->plan.segments[s->segment];
        sl_convert_ctx ctx = {s->opts.permissive_legacy, seg->default_id, &s->alloc, NULL, 0};
        int rc = sl_jsonl_next(&s->reader, &ctx, &s->ev, f);
        if (rc != 0) {
            if (rc == 1)
                s->ev.origin = seg->origin;
            return rc;
        }
        sl_jsonl_close(&s->reader);
        s->reader_open = false;
        s->segment++;
    }
}

int stormlog_stream_next(stormlog_stream *stream, const stormlog_event **ev, stormlog_error **err)
{
    if (ev)
        *ev = NULL;
    if (!stream || stream->done)
        return 0;
    sl_fail_info f;
    sl_fail_init(&f);
    reset_event_memory(stream);
    int rc = stream->plan.is_json ? next_json(stream, &f) : next_jsonl(stream, &f);
    if (rc == 1) {
        if (ev)
            *ev = &stream->ev;
        return 1;
    }
    stream->done = true;
    if (rc < 0) {
        sl_fail_publish(&f, err);
        return -1;
    }
    return 0;
}

void stormlog_stream_close(stormlog_stream *s)
{
    if (!s)
        return;
    if (s->reader_open)
        sl_jsonl_close(&s->reader);
    json_object_put(s->doc);
    sl_plan_free(&s->plan);
    sl_arena_free(&s->arena);
    free(s->opts.events_key);
    free(s);
}

size_t stormlog_stream_vanished_segment_count(const stormlog_stream *s)
{
    return s ? s->vanished_segments : 0;
}

size_t stormlog_stream_warning_count(const stormlog_stream *s)
{
    return s ? s->plan.warning_count : 0;
}

const char *stormlog_stream_warning(const stormlog_stream *s, size_t i)
{
    return s && i < s->plan.warning_count ? s->plan.warnings[i] : NULL;
}
