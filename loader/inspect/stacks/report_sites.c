/* The report's "where the memory was": for a session whose allocations
 * carry stacks, live bytes by call site at each device's peak, just before
 * each out-of-memory error (with the call that failed), and at the end. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../report.h"
#include "callsite.h"
#include "stacks.h"

#define SITE_ROWS 10  /* call sites per table; the rest are summed */
#define OOM_TABLES 8  /* out-of-memory errors shown per session; all are counted */

static void html_site(FILE *out, const cs_site *site)
{
    char *title = cs_site_title(site);
    size_t n = site->stack ? site->stack->frame_count : 0;
    fputs("<td>", out);
    if (n > 1)
        fputs("<details><summary>", out);
    fputs("<code>", out);
    html_text(out, title ? title : "?");
    fputs("</code>", out);
    free(title);
    if (n <= 1) {
        fputs("</td>", out);
        return;
    }
    fputs("</summary>", out);
    for (size_t i = 1; i < n; i++) {
        char *text = cs_frame_text(&site->stack->frames[i]);
        fputs("<br><code>&nbsp;&nbsp;", out);
        html_text(out, text ? text : "?");
        fputs("</code>", out);
        free(text);
    }
    if (site->stack->truncated)
        fputs("<br><span class=\"note\">(outer frames cut by the depth limit)</span>", out);
    fputs("</details></td>", out);
}

static void site_table(FILE *out, const cs_view *v)
{
    char b[CLI_FIGURE_MAX];
    if (v->live_site_count == 0) {
        fputs("<p class=\"note\">Nothing was live.</p>\n", out);
        return;
    }
    fputs("<table class=\"sites\"><tr><th class=\"n\">live</th><th class=\"n\">allocations</th><th>call site "
          "(innermost first)</th></tr>\n",
          out);
    size_t rows = v->live_site_count < SITE_ROWS ? v->live_site_count : SITE_ROWS;
    for (size_t i = 0; i < rows; i++) {
        const cs_site *site = &v->sites[i];
        fprintf(out, "<tr><td class=\"n\" title=\"%" PRId64 " bytes\">%s</td><td class=\"n\">%" PRIu64 "</td>",
                site->bytes, cli_bytes(site->bytes, b), site->allocations);
        html_site(out, site);
        fputs("</tr>\n", out);
    }
    if (rows < v->live_site_count) {
        int64_t rest;
        uint64_t allocs;
        cs_view_rest(v, rows, &rest, &allocs);
        fprintf(out, "<tr><td class=\"n\">%s</td><td class=\"n\">%" PRIu64 "</td><td>%zu other call sites</td></tr>\n",
                cli_bytes(rest, b), allocs, v->live_site_count - rows);
    }
    fputs("</table>\n", out);
}

static bool view_section(FILE *out, const stormlog_session *s, const cs_table *t, int64_t device, size_t stop,
                         int64_t t0, const char *heading_fmt_name, const stormlog_event *failed)
{
    cs_view v;
    if (!cs_view_build(&v, s, t, device, stop))
        return false;
    char when[CLI_FIGURE_MAX], b[CLI_FIGURE_MAX];
    int64_t ts = failed ? stormlog_event_timestamp_ns(failed) : v.timestamp_ns;
    fprintf(out, "<h4>%s, device %" PRId64 " (+%s): %s live</h4>\n", heading_fmt_name, device,
            cli_duration(ts - t0, when), cli_bytes(v.live_bytes, b));
    if (failed) {
        cs_site site;
        cs_event_site(t, failed, &site);
        json_object *meta = stormlog_event_metadata_json(failed);
        int64_t requested;
        const char *api = cli_meta_string(meta, "api");
        fputs("<table class=\"sites\"><tr><th>failed</th><th class=\"n\">requested</th><th>its call site</th></tr>"
              "<tr class=\"mark\"><td>",
              out);
        html_text(out, api ? api : "allocation");
        fprintf(out, "</td><td class=\"n\">%s</td>",
                cli_meta_int(meta, "requested_bytes", &requested) ? cli_bytes(requested, b) : "?");
        html_site(out, &site);
        fputs("</tr></table>\n", out);
        json_object_put(meta);
    }
    site_table(out, &v);
    cs_view_free(&v);
    return true;
}

bool report_write_sites(FILE *out, const stormlog_session *s)
{
    if (!s)
        return true; /* drawn from the sidecars: no events, so no stacks to read */
    cs_table t;
    if (!cs_table_build(&t, s)) {
        cs_table_free(&t);
        return false;
    }
    if (t.refs == 0 && t.table_full == 0) {
        cs_table_free(&t);
        return true; /* recorded without stacks: nothing to add */
    }
    cs_symbolizer *sym = cs_symbolizer_new();
    if (sym)
        cs_symbolize_table(sym, &t);
    size_t n = stormlog_session_event_count(s);
    int64_t t0 = n ? stormlog_event_timestamp_ns(stormlog_session_event(s, 0)) : 0;
    fputs("<h3>Where the memory was (call sites)</h3>\n<p class=\"note\">Live bytes by the call site of their "
          "allocation (the stacks the shim recorded, STORMLOG_STACKS), the Python frame nearest the allocation "
          "first; click a site for its frames.",
          out);
    if (t.table_full)
        fprintf(out, " %" PRIu64 " allocation%s had no stack: the shim's stack table was full.", t.table_full,
                cli_plural(t.table_full));
    fputs("</p>\n", out);
    /* The devices, in the order their events appear. */
    int64_t devices[64];
    size_t device_count = 0;
    for (size_t i = 0; i < n && device_count < 64; i++) {
        const stormlog_event *ev = stormlog_session_event(s, i);
        int64_t dev = -1;
        if (strcmp(stormlog_event_type(ev), "allocation") != 0)
            continue;
        stormlog_event_int(ev, STORMLOG_DEVICE_ID, &dev);
        bool seen = false;
        for (size_t k = 0; k < device_count; k++)
            seen = seen || devices[k] == dev;
        if (!seen)
            devices[device_count++] = dev;
    }
    bool ok = true;
    for (size_t k = 0; ok && k < device_count; k++) {
        int64_t dev = devices[k];
        size_t stop;
        if (cs_moment_peak(s, &dev, &stop))
            ok = view_section(out, s, &t, dev, stop, t0, "At the peak", NULL);
    }
    size_t ooms = 0;
    for (size_t i = 0; ok && i < n; i++) {
        const stormlog_event *ev = stormlog_session_event(s, i);
        if (!cs_event_is_oom(ev))
            continue;
        if (++ooms > OOM_TABLES)
            continue;
        int64_t dev = -1;
        stormlog_event_int(ev, STORMLOG_DEVICE_ID, &dev);
        ok = view_section(out, s, &t, dev, i, t0, "Just before the out-of-memory error", ev);
    }
    if (ooms > OOM_TABLES)
        fprintf(out, "<p class=\"note\">%zu out-of-memory errors; the first %d are shown.</p>\n", ooms, OOM_TABLES);
    for (size_t k = 0; ok && k < device_count; k++)
        ok = view_section(out, s, &t, devices[k], n, t0, "Still allocated at the end", NULL);
    if (!ok) /* the page stays whole; this part says it is incomplete */
        fputs("<p class=\"note\">Out of memory: the call-site tables above are incomplete.</p>\n", out);
    cs_symbolizer_free(sym);
    cs_table_free(&t);
    return ok;
}
