/* stormlog-inspect stacks PATH [--at peak|oom|exit|TIME] [--device N]
 * [--rank R] [--json]: live bytes by call site at one moment, largest
 * first. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "callsite.h"
#include "stacks.h"

static const char stacks_help[] =
    "usage: stormlog-inspect stacks PATH [--at peak|oom|exit|TIME] [--device N]\n"
    "                               [--rank R] [--session ID] [--top N] [--frames N] [--json]\n"
    "\n"
    "Live bytes by call site at one moment, largest first: the allocations still\n"
    "live then, grouped by the stack the shim recorded with each (STORMLOG_STACKS),\n"
    "the Python frame nearest the allocation first, then the native frames,\n"
    "symbolized here from the binaries whose build-id matches the recorded one.\n"
    "With --at oom, the allocation that failed and its call site come first.\n"
    "\n" CS_QUERY_OPTIONS_HELP
    "  --top N                  call sites listed (default 20; 0: all); the rest are\n"
    "                           summed on one line (--json lists them all)\n"
    "  --frames N               frames shown per call site (default 8; 0: all)\n"
    "  --json                   {\"sites\": [{\"bytes\", \"allocations\", \"frames\": [...]}]}\n"
    "                           with frames innermost first, keys absent where unknown\n" CLI_INPUT_OPTIONS_HELP
    "Exit status: 0, 1 when the input is rejected or has no such moment or no\n"
    "stacks, 2 on bad usage.\n";

static json_object *view_json(const cs_moment *m)
{
    const cs_view *v = &m->view;
    json_object *doc = json_object_new_object(), *sites = json_object_new_array();
    if (!doc || !sites) {
        json_object_put(doc);
        json_object_put(sites);
        return NULL;
    }
    json_object_object_add(doc, "session_id", json_object_new_string(stormlog_session_id(m->session)));
    if (m->has_rank)
        json_object_object_add(doc, "rank", json_object_new_int64(m->rank));
    json_object_object_add(doc, "at", json_object_new_string(m->at));
    if (v->device_id != CS_ALL_DEVICES)
        json_object_object_add(doc, "device", json_object_new_int64(v->device_id));
    json_object_object_add(doc, "timestamp_ns", json_object_new_int64(v->timestamp_ns));
    json_object_object_add(doc, "live_bytes", json_object_new_int64(v->live_bytes));
    json_object_object_add(doc, "live_allocations", json_object_new_int64((int64_t)v->live_allocations));
    if (m->failed) {
        json_object *failed = json_object_new_object();
        json_object *meta = stormlog_event_metadata_json(m->failed);
        int64_t requested;
        const char *api = cli_meta_string(meta, "api");
        if (api)
            json_object_object_add(failed, "api", json_object_new_string(api));
        if (cli_meta_int(meta, "requested_bytes", &requested))
            json_object_object_add(failed, "requested_bytes", json_object_new_int64(requested));
        json_object_put(meta);
        json_object_object_add(failed, "timestamp_ns",
                               json_object_new_int64(stormlog_event_timestamp_ns(m->failed)));
        json_object *site = cs_site_json(&m->failed_site, false), *frames;
        /* The failed call holds nothing: only its stack matters. */
        if (site && json_object_object_get_ex(site, "frames", &frames))
            json_object_object_add(failed, "frames", json_object_get(frames));
        if (site && m->failed_site.kind != CS_SITE_STACK)
            json_object_object_add(failed, "status", json_object_get(json_object_object_get(site, "status")));
        json_object_put(site);
        json_object_object_add(doc, "failed", failed);
        json_object_object_add(doc, "oom_count", json_object_new_int64((int64_t)m->oom_count));
    }
    for (size_t i = 0; i < v->live_site_count; i++)
        json_object_array_add(sites, cs_site_json(&v->sites[i], false));
    json_object_object_add(doc, "sites", sites);
    json_object *stacks = json_object_new_object();
    if (m->table.mode[0])
        json_object_object_add(stacks, "mode", json_object_new_string(m->table.mode));
    json_object_object_add(stacks, "defined", json_object_new_int64((int64_t)m->table.count));
    json_object_object_add(stacks, "table_full", json_object_new_int64((int64_t)m->table.table_full));
    json_object_object_add(stacks, "undefined_refs", json_object_new_int64((int64_t)m->table.undefined_refs));
    json_object_object_add(doc, "stacks", stacks);
    return doc;
}

static void print_frames(const cs_site *site, size_t limit)
{
    if (!site->stack)
        return;
    size_t n = site->stack->frame_count;
    size_t shown = limit == 0 || limit > n ? n : limit;
    for (size_t k = 1; k < shown; k++) {
        char *text = cs_frame_text(&site->stack->frames[k]);
        cli_printf(stdout, "%28s%s\n", "", text ? text : "?");
        free(text);
    }
    if (shown < n)
        cli_printf(stdout, "%28s... %zu more frame%s\n", "", n - shown, cli_plural(n - shown));
    else if (site->stack->truncated)
        cli_printf(stdout, "%28s... (outer frames cut by STORMLOG_STACK_DEPTH)\n", "");
}

static void print_view(const cs_moment *m, size_t top, size_t frames)
{
    const cs_view *v = &m->view;
    char when[CLI_FIGURE_MAX], bytes[CLI_FIGURE_MAX], device[32];
    if (v->device_id == CS_ALL_DEVICES)
        snprintf(device, sizeof device, "every device");
    else
        snprintf(device, sizeof device, "device %" PRId64, v->device_id);
    cli_printf(stdout, "session %s", stormlog_session_id(m->session));
    if (m->has_rank)
        cli_printf(stdout, " (rank %" PRId64 ")", m->rank);
    static const char *const words[] = {"peak", "at the peak", "oom", "just before the out-of-memory error",
                                        "exit", "at exit (never freed)", "time", "at"};
    const char *word = m->at;
    for (size_t i = 0; i < sizeof words / sizeof *words; i += 2)
        if (strcmp(words[i], m->at) == 0)
            word = words[i + 1];
    cli_printf(stdout, ", %s, %s %s: %s live in %" PRIu64 " allocation%s\n", device, word,
               cli_timestamp(v->timestamp_ns, when), cli_bytes(v->live_bytes, bytes), v->live_allocations,
               cli_plural(v->live_allocations));
    if (m->failed) {
        json_object *meta = stormlog_event_metadata_json(m->failed);
        int64_t requested;
        const char *api = cli_meta_string(meta, "api");
        bool has_req = cli_meta_int(meta, "requested_bytes", &requested);
        char *title = cs_site_title(&m->failed_site);
        char which[64] = "";
        if (m->oom_count > 1)
            snprintf(which, sizeof which, " (the last of %zu out-of-memory errors)", m->oom_count);
        cli_printf(stdout, "failed%s: %s of %s at %s\n", which, api ? api : "an allocation",
                   has_req ? cli_bytes(requested, bytes) : "unknown size", title ? title : "?");
        free(title);
        json_object_put(meta);
        if (m->failed_site.stack)
            print_frames(&m->failed_site, frames);
    }
    cli_printf(stdout, "%12s %12s   %s\n", "bytes", "allocations", "call site");
    size_t shown = top == 0 || top > v->live_site_count ? v->live_site_count : top;
    for (size_t i = 0; i < shown; i++) {
        const cs_site *site = &v->sites[i];
        char *title = cs_site_title(site);
        cli_printf(stdout, "%12s %12" PRIu64 "   %s\n", cli_bytes(site->bytes, bytes), site->allocations,
                   title ? title : "?");
        free(title);
        print_frames(site, frames);
    }
    if (shown < v->live_site_count) {
        int64_t rest;
        uint64_t allocations;
        cs_view_rest(v, shown, &rest, &allocations);
        size_t others = v->live_site_count - shown;
        cli_printf(stdout, "%12s %12" PRIu64 "   %zu other call site%s (--top 0 lists them)\n", cli_bytes(rest, bytes),
                   allocations, others, cli_plural(others));
    }
    if (v->live_site_count == 0)
        cli_printf(stdout, "%28snothing live\n", "");
    if (m->table.table_full)
        cli_printf(stdout, "%" PRIu64 " allocation%s had no stack: the shim's table was full (STORMLOG_STACK_TABLE)\n",
                   m->table.table_full, cli_plural(m->table.table_full));
    if (m->table.undefined_refs)
        cli_printf(stdout, "%" PRIu64 " event%s with a stack no record defines: shown as unknown call sites\n",
                   m->table.undefined_refs, cli_plural(m->table.undefined_refs));
    if (v->untracked)
        cli_printf(stdout, "%" PRIu64 " allocation%s carry no pointer and are not counted\n", v->untracked,
                   cli_plural(v->untracked));
}

int inspect_cmd_stacks(int argc, char **argv)
{
    cli_input in = {.permissive_legacy = 1};
    cs_query q;
    cs_query_init(&q);
    long frames = 8, top = 20;
    char problem[512];
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
            return cli_usage(stacks_help, true);
        cli_arg_result res = cli_input_arg(&in, argc, argv, &i);
        if (res == CLI_ARG_BAD)
            return cli_usage_error("stacks", stacks_help, "%s", in.problem);
        if (res == CLI_ARG_TAKEN)
            continue;
        res = cs_query_arg(&q, argc, argv, &i, problem, sizeof problem);
        if (res == CLI_ARG_BAD)
            return cli_usage_error("stacks", stacks_help, "%s", problem);
        if (res == CLI_ARG_TAKEN)
            continue;
        if (strcmp(arg, "--frames") == 0 || strcmp(arg, "--top") == 0) {
            long *slot = arg[2] == 'f' ? &frames : &top;
            char *end = NULL;
            if (i + 1 < argc)
                *slot = strtol(argv[i + 1], &end, 10);
            if (i + 1 >= argc || !end || *end || end == argv[i + 1] || *slot < 0)
                return cli_usage_error("stacks", stacks_help, "%s takes a count (0: all)", arg);
            i++;
            continue;
        }
        if (arg[0] == '-' || in.path)
            return cli_unexpected_arg("stacks", stacks_help, arg, in.path);
        in.path = arg;
    }
    if (!in.path)
        return cli_usage_error("stacks", stacks_help, "PATH is required");
    stormlog_recording *rec = cli_load(&in, "stacks");
    if (!rec)
        return CLI_EXIT_PROBLEM;
    cs_moment m;
    int rc = 0;
    if (!cs_moment_build(&m, rec, &q, problem, sizeof problem)) {
        rc = cli_report_message(&in, "stacks", problem);
    } else if (in.json) {
        json_object *doc = view_json(&m);
        rc = doc && cli_print_json(doc) ? 0 : cli_report_message(&in, "stacks", "cannot write the output");
        json_object_put(doc);
    } else {
        print_view(&m, (size_t)top, (size_t)frames);
        rc = fflush(stdout) == 0 ? 0 : CLI_EXIT_PROBLEM;
    }
    if (rc == 0)
        cs_moment_warn_unresolved(&m, "stacks");
    cs_moment_free(&m);
    stormlog_recording_free(rec);
    return rc;
}
