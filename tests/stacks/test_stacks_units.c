/* The call-site model on hand-made sessions: definitions read tolerantly
 * (first one wins, malformed frames and members left out), each event's
 * call site, and the replay's live and total bytes per site. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scratch.h"
#include "stacks/callsite.h"

static char dir[4096];
static stormlog_recording *rec;

/* Loads the records (one JSONL line each: type, device, change, metadata). */
static const stormlog_session *session_of(const char *const *lines, size_t n)
{
    scratch_make(dir, "stacks-units");
    char path[4200];
    snprintf(path, sizeof path, "%s/rec.jsonl", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    int64_t allocated = 0;
    for (size_t i = 0; i < n; i++) {
        char type[32];
        int device;
        long long change;
        int used = 0;
        cr_assert_eq(sscanf(lines[i], "%31s %d %lld %n", type, &device, &change, &used), 3);
        allocated += change;
        fprintf(f,
                "{\"schema_version\":3,\"session_id\":\"s\",\"timestamp_ns\":%zu,\"event_type\":\"%s\","
                "\"collector\":\"c\",\"sampling_interval_ms\":0,\"pid\":1,\"host\":\"h\",\"device_id\":%d,"
                "\"allocator_allocated_bytes\":%lld,\"allocator_reserved_bytes\":0,\"allocator_active_bytes\":null,"
                "\"allocator_inactive_bytes\":null,\"allocator_change_bytes\":%lld,\"device_used_bytes\":0,"
                "\"device_free_bytes\":null,\"device_total_bytes\":null,\"context\":null,\"metadata\":%s}\n",
                1000 + i, type, device, (long long)allocated, change, lines[i] + used);
    }
    fclose(f);
    stormlog_error *err = NULL;
    cr_assert_eq(stormlog_load(path, NULL, &rec, &err), STORMLOG_OK);
    return stormlog_recording_default_session(rec);
}

static void done(void)
{
    if (rec)
        stormlog_recording_free(rec);
    rec = NULL;
    if (dir[0])
        scratch_remove(dir);
    dir[0] = '\0';
}

TestSuite(stacks, .fini = done);

Test(stacks, definitions_are_read_tolerantly_and_the_first_wins)
{
    static const char *const lines[] = {
        "allocation 0 10 {\"ptr\":\"0x10\",\"stack_id\":2,\"stack\":{\"python\":[{\"file\":\"a.py\",\"function\":\"f\","
        "\"line\":3},7,{\"file\":\"b.py\",\"line\":\"nine\"}],\"native\":[{\"module\":\"/x.so\",\"offset\":17,"
        "\"build_id\":\"ab\"},{\"offset\":99}],\"truncated\":true}}",
        "allocation 0 20 {\"ptr\":\"0x20\",\"stack_id\":2,\"stack\":{\"native\":[{\"offset\":1}]}}",
        "allocation 0 30 {\"ptr\":\"0x30\",\"stack_id\":1,\"stack\":{}}",
        "allocation 0 40 {\"ptr\":\"0x40\",\"stack_id\":5}",
        "allocation 0 50 {\"ptr\":\"0x50\",\"stack_status\":\"table_full\"}",
        "deallocation 0 -10 {\"ptr\":\"0x10\",\"stack_id\":2}",
        "stop -1 0 {\"stacks\":{\"mode\":\"all\",\"interned\":3}}",
    };
    const stormlog_session *s = session_of(lines, sizeof lines / sizeof *lines);
    cs_table t;
    cr_assert(cs_table_build(&t, s));
    cr_assert_eq(t.count, 2);
    cr_assert_str_eq(t.mode, "all");
    cr_assert_eq(t.refs, 4, "the free's stack_id is no reference");
    cr_assert_eq(t.undefined_refs, 1);
    cr_assert_eq(t.table_full, 1);
    const cs_stack *st = cs_table_find(&t, 2);
    cr_assert_not_null(st);
    cr_assert(st->truncated);
    cr_assert_eq(st->python_count, 2, "the frame that is not an object is left out");
    cr_assert_eq(st->frame_count, 4);
    cr_assert_str_eq(st->frames[0].function, "f");
    cr_assert(st->frames[0].has_line && st->frames[0].line == 3);
    cr_assert_null(st->frames[1].function);
    cr_assert_not(st->frames[1].has_line, "a line that is not an integer is unknown");
    cr_assert_str_eq(st->frames[2].module, "/x.so");
    cr_assert_str_eq(st->frames[2].build_id, "ab");
    cr_assert_eq(st->frames[2].offset, 17);
    cr_assert_null(st->frames[3].module);
    cr_assert_eq(st->frames[3].offset, 99);
    cr_assert_eq(cs_table_find(&t, 1)->frame_count, 0);
    cr_assert_null(cs_table_find(&t, 5));

    char *text = cs_frame_text(&st->frames[0]);
    cr_assert_str_eq(text, "a.py:3 in f");
    free(text);
    text = cs_frame_text(&st->frames[2]);
    cr_assert_str_eq(text, "x.so+0x11");
    free(text);
    text = cs_frame_text(&st->frames[3]);
    cr_assert_str_eq(text, "0x63");
    free(text);
    cs_table_free(&t);
}

Test(stacks, the_replay_counts_live_and_total_bytes_per_site)
{
    static const char *const lines[] = {
        "allocation 0 100 {\"ptr\":\"0x1\",\"stack_id\":1,\"stack\":{\"native\":[{\"offset\":5}]}}",
        "allocation 0 200 {\"ptr\":\"0x2\",\"stack_id\":1}",
        "allocation 1 400 {\"ptr\":\"0x1\",\"stack_id\":1}",
        "allocation 0 50 {\"ptr\":\"0x3\",\"stack_id\":9}",
        "allocation 0 7 {\"ptr\":\"0x4\"}",
        "allocation 0 8 {\"stack_id\":1}",
        "deallocation 0 -100 {\"ptr\":\"0x1\"}",
        "allocation 0 60 {\"ptr\":\"0x5\",\"stack_status\":\"table_full\"}",
    };
    const stormlog_session *s = session_of(lines, sizeof lines / sizeof *lines);
    cs_table t;
    cr_assert(cs_table_build(&t, s));
    cs_view v;
    /* Device 0 after the first six events: 0x1 and 0x2 live at stack 1. */
    cr_assert(cs_view_build(&v, s, &t, 0, 6));
    cr_assert_eq(v.live_bytes, 100 + 200 + 50 + 7);
    cr_assert_eq(v.untracked, 1, "the allocation without a pointer");
    cr_assert_eq(v.live_site_count, 3);
    cr_assert_eq(v.sites[0].kind, CS_SITE_STACK);
    cr_assert_eq(v.sites[0].bytes, 300);
    cr_assert_eq(v.sites[0].allocations, 2);
    cr_assert_eq(v.sites[0].total_bytes, 308, "totals cover the whole session, pointer or not");
    cr_assert_eq(v.sites[1].kind, CS_SITE_UNDEFINED);
    cr_assert_eq(v.sites[1].stack_id, 9);
    cr_assert_eq(v.sites[2].kind, CS_SITE_NONE);
    cr_assert_eq(v.site_count, 4, "the table-full site allocated later: nothing live yet");
    cs_view_free(&v);
    /* Every device at the end: device 1's block at the same address is its own. */
    cr_assert(cs_view_build(&v, s, &t, CS_ALL_DEVICES, stormlog_session_event_count(s)));
    cr_assert_eq(v.live_bytes, 200 + 400 + 50 + 7 + 60);
    cr_assert_eq(v.sites[0].bytes, 600);
    cs_site full;
    cs_event_site(&t, stormlog_session_event(s, 7), &full);
    cr_assert_eq(full.kind, CS_SITE_TABLE_FULL);
    char *title = cs_site_title(&full);
    cr_assert(strstr(title, "table was full"));
    free(title);
    cs_view_free(&v);
    size_t stop = 0;
    int64_t device = CS_ALL_DEVICES;
    /* The records' counters (one running sum here) peak at 765, the sixth event. */
    cr_assert(cs_moment_peak(s, &device, &stop));
    cr_assert_eq(device, 0);
    cr_assert_eq(stop, 6);
    device = 1;
    cr_assert(cs_moment_peak(s, &device, &stop));
    cr_assert_eq(stop, 3, "device 1's only event");
    cs_table_free(&t);
}
