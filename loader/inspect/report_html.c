/* The report page: one self-contained HTML file. Inline CSS and SVG, no
 * script and no fetch, so it opens from a mail attachment or an air-gapped
 * cluster exactly as it was written. Every string that came from the
 * recording (ids, hosts, API names, phase names) passes through html_text. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "coverage.h"
#include "report.h"
#include "stacks/stacks.h"
#include "runtime_codes.h"

#define FAILED_ROWS 50 /* failed allocations listed per session; all are counted */

static const char page_css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2328;margin:24px auto;"
    "max-width:1040px;padding:0 16px;background:#fff}\n"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 4px;border-bottom:1px solid #d0d7de;"
    "padding-bottom:4px}h3{font-size:15px;margin:20px 0 4px}\n"
    ".meta{color:#59636e;margin:0 0 8px}.note{color:#59636e;font-size:13px;margin:4px 0}\n"
    "table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}th,td{padding:3px 10px;text-align:left;"
    "border-bottom:1px solid #eaeef2;vertical-align:top}th{background:#f6f8fa;font-weight:600}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}tr.mark td{background:#fff8c5}\n"
    "code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}\n"
    ".legend{font-size:12px;color:#59636e;margin:2px 0}.legend i{display:inline-block;width:18px;height:3px;"
    "vertical-align:middle;margin:0 4px 0 12px}.legend .la{background:#2563eb}.legend .lr{border-top:2px dashed "
    "#d97706;height:0}.legend .lo{background:#b91c1c;width:3px;height:12px}.legend .lor{border-left:2px dotted "
    "#b91c1c;width:0;height:12px}.legend .lf{background:#7c3aed;width:7px;height:7px;transform:rotate(45deg)}"
    ".legend .lp{background:#dc2626;width:8px;height:8px;border-radius:4px}.legend .lh{background:#dc2626}\n"
    "svg.chart{display:block;margin:4px 0;overflow:visible}svg text{font:11px system-ui,sans-serif;fill:#1f2328}"
    "svg .tick{fill:#59636e;font-size:10px}\n"
    "svg .plot{fill:#fbfcfd;stroke:#d0d7de}svg .grid{stroke:#eaeef2}svg .tickline{stroke:#8c959f}\n"
    "svg .alloc{fill:none;stroke:#2563eb;stroke-width:1.5}svg .alloc-area{fill:#2563eb;fill-opacity:.12;stroke:none}"
    "svg .reserved{fill:none;stroke:#d97706;stroke-width:1.2;stroke-dasharray:4 2}\n"
    "svg .rank{fill:none;stroke:#2563eb;stroke-width:1.2}svg .rank-area{fill:#2563eb;fill-opacity:.12;"
    "stroke:none}svg .rankhot{fill:none;stroke:#dc2626;stroke-width:1.4}svg .rankhot-area{fill:#dc2626;"
    "fill-opacity:.12;stroke:none}\n"
    "svg .peak circle{fill:#dc2626;stroke:#fff;stroke-width:1.5}svg .peak text{font-weight:600;fill:#b42318}\n"
    "svg .oom line{stroke:#b91c1c;stroke-width:1.5}svg .oom path{fill:#b91c1c}svg .oom-recovered line{"
    "stroke-width:1;stroke-dasharray:1 2}svg .oom-recovered path{fill:#fff;stroke:#b91c1c}"
    "svg .fail line{stroke:#7c3aed;stroke-width:1;stroke-dasharray:1 3}svg .fail path{fill:#7c3aed}\n"
    "svg .ranklabel{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}\n"
    "svg .phase rect{stroke:#fff;stroke-width:.5}svg .phase text{font-size:10px}svg .rowlabel{fill:#59636e;"
    "font-size:10px}\n";

/* ---- small pieces --------------------------------------------------------- */

static void td_text(FILE *out, const char *cls, const char *text)
{
    fprintf(out, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    html_text(out, text ? text : "-");
    fputs("</td>", out);
}

static void td_bytes(FILE *out, int64_t bytes)
{
    char b[CLI_FIGURE_MAX];
    fprintf(out, "<td class=\"n\" title=\"%" PRId64 " bytes\">%s</td>", bytes, cli_bytes(bytes, b));
}

static void td_count(FILE *out, bool known, int64_t v)
{
    if (known)
        fprintf(out, "<td class=\"n\">%" PRId64 "</td>", v);
    else
        fputs("<td class=\"n\">-</td>", out);
}

static void td_when(FILE *out, bool known, int64_t ts, int64_t origin)
{
    char d[CLI_FIGURE_MAX];
    if (known)
        fprintf(out, "<td class=\"n\">+%s</td>", cli_duration(ts - origin, d));
    else
        fputs("<td class=\"n\">-</td>", out);
}

static const char *info_string(json_object *info, const char *key)
{
    json_object *v;
    if (!info || !json_object_object_get_ex(info, key, &v) || !v)
        return NULL;
    return json_object_get_string(v);
}

static void device_name(char *buf, size_t cap, int64_t device_id)
{
    if (device_id == -1)
        snprintf(buf, cap, "host (pinned memory)");
    else
        snprintf(buf, cap, "device %" PRId64, device_id);
}

static const summary_device *summary_device_of(const summary_session *s, int64_t device_id)
{
    for (size_t i = 0; i < s->device_count; i++)
        if (s->devices[i].device_id == device_id)
            return &s->devices[i];
    return NULL;
}

/* Every failure mark has its own entry and look: an OOM nothing got past, an
 * OOM the program recovered from, another failed allocation. */
static void write_failure_legend(FILE *out)
{
    fputs("<i class=\"lo\"></i>OOM, last (no allocation on its device succeeded after it)<i class=\"lor\"></i>OOM, "
          "recovered<i class=\"lf\"></i>failed allocation (another error)",
          out);
}

/* ---- the charts ------------------------------------------------------------ */

static chart_frame detail_frame(const report_page *page, const rp_session *s, const rp_device *d)
{
    chart_frame f = {.left = 76, .top = 14, .plot_w = (int)page->columns, .plot_h = 220};
    f.width = f.left + f.plot_w + 24;
    f.height = f.top + f.plot_h + 20 + REPORT_PHASE_ROWS * 14 + 4;
    f.t0 = s->t0;
    f.t1 = s->t1 > s->t0 ? s->t1 : s->t0 + 1;
    f.origin_ns = s->t0;
    chart_frame_fit(&f, d->peak_bytes > d->max_reserved ? d->peak_bytes : d->max_reserved);
    return f;
}

static void write_device_chart(FILE *out, const report_page *page, const rp_session *s, const rp_device *d)
{
    chart_frame f = detail_frame(page, s, d);
    char name[64], label[160], peak[CLI_FIGURE_MAX], when[CLI_FIGURE_MAX];
    device_name(name, sizeof name, d->device_id);
    snprintf(label, sizeof label, "%s: allocated and reserved bytes over time", name);
    svg_open(out, &f, label);
    svg_axes(out, &f, true);
    svg_step_path(out, &f, &d->reserved, "reserved", false);
    svg_step_path(out, &f, &d->allocated, "alloc", true);
    svg_error_markers(out, &f, s, d->device_id);
    if (d->events > 0) {
        snprintf(label, sizeof label, "peak %s at +%s", cli_bytes(d->peak_bytes, peak),
                 cli_duration(d->peak_timestamp_ns - s->t0, when));
        svg_peak_marker(out, &f, d->peak_timestamp_ns, d->peak_bytes, label);
    }
    if (s->phase_count > 0) {
        int base = f.top + f.plot_h + 20;
        fprintf(out, "<text class=\"rowlabel\" x=\"%d\" y=\"%d\" text-anchor=\"end\">phases</text>\n", f.left - 4,
                base + 10);
        svg_phase_bands(out, &f, s, 14);
    }
    svg_close(out);
    if (s->summary->shim)
        fputs("<p class=\"legend\"><i class=\"la\"></i>allocated: memory held from the GPU runtime (PyTorch calls "
              "this &quot;reserved&quot;; its &quot;allocated&quot; is the tensors inside)<i class=\"lr\"></i>reserved: "
              "that plus what memory pools keep",
              out);
    else
        fputs("<p class=\"legend\"><i class=\"la\"></i>allocated<i class=\"lr\"></i>reserved", out);
    fputs("<i class=\"lp\"></i>peak", out);
    write_failure_legend(out);
    if (s->phase_count > 0)
        fputs("; bands: NVTX phases by depth (hover for the path)", out);
    fputs("</p>\n", out);
}

/* ---- tables ------------------------------------------------------------------ */

/* "; the largest:" for one row, "; the 10 largest:" for more. */
static void write_largest(FILE *out, size_t rows)
{
    if (rows == 1)
        fputs("; the largest:</p>\n", out);
    else
        fprintf(out, "; the %zu largest:</p>\n", rows);
}

static void alloc_rows(FILE *out, const rp_alloc *rows, size_t n, int64_t origin)
{
    fputs("<table><tr><th class=\"n\">size</th><th>API</th><th>phase</th><th class=\"n\">allocated at</th>"
          "<th>pointer</th></tr>\n",
          out);
    for (size_t i = 0; i < n; i++) {
        const rp_alloc *a = &rows[i];
        json_object *meta = stormlog_event_metadata_json(a->event);
        fputs("<tr>", out);
        td_bytes(out, a->size);
        td_text(out, NULL, cli_meta_string(meta, "api"));
        td_text(out, NULL, stormlog_event_context(a->event));
        td_when(out, true, a->timestamp_ns, origin);
        fprintf(out, "<td><code>0x%" PRIx64 "</code></td></tr>\n", a->ptr);
        json_object_put(meta);
    }
    fputs("</table>\n", out);
}

static void write_live_tables(FILE *out, const rp_session *s, const rp_device *d, const summary_device *sd)
{
    char b[CLI_FIGURE_MAX], when[CLI_FIGURE_MAX];
    if (!s->session) {
        fputs("<p class=\"note\">Drawn from rollups.json and lifetime.json: the allocations live at the peak and at "
              "the end need every allocation and free replayed (<code>report --full</code> does).</p>\n",
              out);
        return;
    }
    if (!d->tracked) {
        fputs("<p class=\"note\">The allocation events of this device carry no pointer, so the allocations live at "
              "the peak and at the end cannot be listed (the shim's events can).</p>\n",
              out);
        return;
    }
    fprintf(out, "<h4>Largest live allocations at the peak (+%s)</h4>\n",
            cli_duration(d->peak_timestamp_ns - s->t0, when));
    fprintf(out, "<p class=\"note\">%" PRIu64 " allocation%s live, %s", d->live_at_peak,
            cli_plural(d->live_at_peak), cli_bytes(d->live_at_peak_bytes, b));
    if (d->live_at_peak_bytes != d->peak_bytes)
        fprintf(out, " of the %s the counters show (the rest was allocated before the recording saw it, or its "
                     "events were dropped)",
                cli_bytes(d->peak_bytes, b));
    write_largest(out, d->at_peak_count);
    if (d->at_peak_count > 0)
        alloc_rows(out, d->at_peak, d->at_peak_count, s->t0);

    bool completed = strcmp(s->summary->status, "completed") == 0;
    if (completed)
        fputs("<h4>Leaks at exit</h4>\n", out);
    else
        fprintf(out, "<h4>Live at the end of the recording (session %s)</h4>\n", s->summary->status);
    if (d->live_at_end == 0) {
        fputs("<p class=\"note\">Nothing was live.</p>\n", out);
    } else {
        fprintf(out, "<p class=\"note\">%" PRIu64 " allocation%s, %s", d->live_at_end, cli_plural(d->live_at_end),
                cli_bytes(d->live_at_end_bytes, b));
        if (sd && s->summary->from_stop_summary && sd->final_bytes != d->live_at_end_bytes)
            fprintf(out, " (the shim's stop summary counts %s live)", cli_bytes(sd->final_bytes, b));
        write_largest(out, d->leak_count);
        alloc_rows(out, d->leaks, d->leak_count, s->t0);
    }
    if (d->untracked > 0)
        fprintf(out, "<p class=\"note\">%" PRIu64 " allocation or free event%s without a pointer %s left out.</p>\n",
                d->untracked, cli_plural(d->untracked), d->untracked == 1 ? "was" : "were");
}

/* The shim's books of failed calls: failed frees first among them. */
static void write_failed_calls(FILE *out, const summary_session *sum)
{
    if (!sum->has_failed_calls)
        return;
    fprintf(out, "<p class=\"note\">Failed frees: %" PRId64 " (frees the runtime refused; frees of pointers it never "
                 "gave are the unmatched frees above).</p>\n",
            sum->failed_frees);
    if (sum->failed_call_count == 0)
        return;
    fputs("<table class=\"failed-calls\"><tr><th>API</th><th>error</th><th class=\"n\">calls</th></tr>\n", out);
    for (size_t i = 0; i < sum->failed_call_count; i++) {
        const summary_failed_call *c = &sum->failed_calls[i];
        char code[RUNTIME_CODE_TEXT_MAX];
        fputs("<tr>", out);
        td_text(out, NULL, c->api);
        td_text(out, NULL, c->has_code ? runtime_code_text(c->api, c->code, code) : "other codes");
        td_count(out, true, c->count);
        fputs("</tr>\n", out);
    }
    fputs("</table>\n", out);
}

static void write_failed_table(FILE *out, const rp_session *s)
{
    fputs("<h3>Failed allocations and errors</h3>\n", out);
    write_failed_calls(out, s->summary);
    if (!s->session) {
        uint64_t failed = 0, ooms = 0;
        for (size_t i = 0; i < s->summary->device_count; i++) {
            failed += s->summary->devices[i].failed;
            ooms += s->summary->devices[i].oom_count;
        }
        fprintf(out, "<p class=\"note\">%" PRIu64 " failed allocation%s (%" PRIu64 " OOM%s), counted in lifetime.json, "
                     "not listed (<code>report --full</code> lists them).</p>\n",
                failed, cli_plural(failed), ooms, cli_plural(ooms));
        return;
    }
    if (s->error_total == 0) {
        fputs("<p class=\"note\">No failed allocation.</p>\n", out);
        return;
    }
    fputs("<table class=\"failures\"><tr><th class=\"n\">at</th><th>device</th><th>API</th><th>reason</th>"
          "<th>error</th><th class=\"n\">requested</th><th class=\"n\">device free / total</th>"
          "<th class=\"n\">peak before</th><th>outcome</th><th>phase</th></tr>\n",
          out);
    size_t rows = s->error_count < FAILED_ROWS ? s->error_count : FAILED_ROWS;
    for (size_t i = 0; i < rows; i++) {
        const rp_error *e = &s->errors[i];
        json_object *meta = stormlog_event_metadata_json(e->event);
        int64_t v, total;
        char dev[32], code[RUNTIME_CODE_TEXT_MAX];
        snprintf(dev, sizeof dev, "%" PRId64, e->device_id);
        fprintf(out, "<tr%s>", e->oom ? " class=\"mark\"" : "");
        td_when(out, true, e->timestamp_ns, s->t0);
        td_text(out, NULL, dev);
        const char *api = cli_meta_string(meta, "api");
        td_text(out, NULL, api);
        td_text(out, NULL, e->oom ? "out of memory" : cli_meta_string(meta, "reason"));
        td_text(out, NULL, cli_meta_int(meta, "error_code", &v) ? runtime_code_text(api, v, code) : NULL);
        if (cli_meta_int(meta, "requested_bytes", &v))
            td_bytes(out, v);
        else
            td_count(out, false, 0);
        if (stormlog_event_int(e->event, STORMLOG_DEVICE_FREE_BYTES, &v) &&
            stormlog_event_int(e->event, STORMLOG_DEVICE_TOTAL_BYTES, &total)) {
            char fr[CLI_FIGURE_MAX], tot[CLI_FIGURE_MAX];
            fprintf(out, "<td class=\"n\" title=\"%" PRId64 " of %" PRId64 " bytes\">%s / %s</td>", v, total,
                    cli_bytes(v, fr), cli_bytes(total, tot));
        } else {
            td_count(out, false, 0);
        }
        if (cli_meta_int(meta, "peak_bytes", &v))
            td_bytes(out, v);
        else
            td_count(out, false, 0);
        td_text(out, NULL, !e->oom ? NULL : e->recovered ? "recovered" : "last");
        td_text(out, NULL, stormlog_event_context(e->event));
        fputs("</tr>\n", out);
        json_object_put(meta);
    }
    fputs("</table>\n", out);
    if (s->error_total > rows)
        fprintf(out, "<p class=\"note\">%" PRIu64 " error events in all; the first %zu are listed.</p>\n",
                s->error_total, rows);
}

static void write_device_table(FILE *out, const rp_session *s)
{
    const summary_session *sum = s->summary;
    fputs("<table><tr><th>device</th><th class=\"n\">peak</th><th class=\"n\">peak at</th>"
          "<th class=\"n\">live at end</th><th class=\"n\">allocations</th><th class=\"n\">frees</th>"
          "<th class=\"n\">failed</th><th class=\"n\">OOM</th><th class=\"n\">OOM recovered</th>"
          "<th class=\"n\">unmatched frees</th>"
          "<th class=\"n\">dropped</th></tr>\n",
          out);
    for (size_t i = 0; i < sum->device_count; i++) {
        const summary_device *d = &sum->devices[i];
        char name[64];
        device_name(name, sizeof name, d->device_id);
        fputs("<tr>", out);
        td_text(out, NULL, name);
        td_bytes(out, d->peak_bytes);
        td_when(out, d->has_peak_time, d->peak_timestamp_ns, s->t0);
        td_bytes(out, d->final_bytes);
        td_count(out, true, (int64_t)d->allocations);
        td_count(out, true, (int64_t)d->frees);
        td_count(out, true, (int64_t)d->failed);
        td_count(out, true, (int64_t)d->oom_count);
        /* Which OOMs the program got past only the events say. */
        td_count(out, !s->summary->from_sidecars, (int64_t)d->oom_recovered);
        td_count(out, d->has_unmatched, d->unmatched_frees);
        td_count(out, d->has_dropped, d->dropped_events);
        fputs("</tr>\n", out);
    }
    fputs("</table>\n", out);
    fprintf(out, "<p class=\"note\">Counts from %s.", sum->from_stop_summary ? "the shim's stop summary" : "the events");
    if (sum->has_dropped_total && sum->dropped_total > 0)
        fprintf(out, " The writer dropped %" PRId64 " event%s (a full ring).", sum->dropped_total,
                cli_plural((uint64_t)sum->dropped_total));
    if (s->phases_unclosed || s->phase_exits_unmatched)
        fprintf(out, " Phases: %" PRIu64 " never closed, %" PRIu64 " exits without their enter.", s->phases_unclosed,
                s->phase_exits_unmatched);
    fputs("</p>\n", out);
}

static void session_heading(FILE *out, const rp_session *s)
{
    json_object *info = s->summary->info;
    fputs("<h2>Session <code>", out);
    html_text(out, s->summary->id);
    fputs("</code></h2>\n<p class=\"meta\">", out);
    const char *job = info_string(info, "job_id");
    if (job) {
        fputs("job ", out);
        html_text(out, job);
        fputs(", ", out);
    }
    fputs("rank ", out);
    html_text(out, info_string(info, "rank"));
    fputs(" of ", out);
    html_text(out, info_string(info, "world_size"));
    fputs(", host ", out);
    html_text(out, info_string(info, "host"));
    fputs(", pid ", out);
    html_text(out, info_string(info, "pid"));
    char d[CLI_FIGURE_MAX], t[CLI_FIGURE_MAX];
    size_t n = s->summary->event_count;
    fprintf(out, ", %s, %zu event%s over %s, started %s</p>\n", s->summary->status, n, cli_plural(n),
            cli_duration(s->t1 - s->t0, d), cli_timestamp(s->summary->started_at_ns, t));
}

static void write_session(FILE *out, const report_page *page, const rp_session *s)
{
    session_heading(out, s);
    if (s->device_count == 0) {
        fputs("<p class=\"note\">No events.</p>\n", out);
        return;
    }
    write_device_table(out, s);
    /* GPUs first (sorted by id), pinned host memory (-1) after them. */
    for (size_t k = 0; k < s->device_count; k++) {
        const rp_device *d = &s->devices[(k + 1) % s->device_count];
        if (s->devices[0].device_id != -1)
            d = &s->devices[k];
        char name[64];
        device_name(name, sizeof name, d->device_id);
        fprintf(out, "<h3>%s</h3>\n", name);
        write_device_chart(out, page, s, d);
        write_live_tables(out, s, d, summary_device_of(s->summary, d->device_id));
    }
    write_failed_table(out, s);
    report_write_sites(out, s->session);
}

/* ---- the job --------------------------------------------------------------- */

/* A session of this job: the same job id (a folder of several runs is one
 * job section each; a job is never compared with another). */
static bool in_job(const rp_session *s, const summary_job *job)
{
    const char *id = info_string(s->summary->info, "job_id");
    if (job->mixed_job_ids)
        return true;
    return (id == NULL && job->job_id == NULL) || (id && job->job_id && strcmp(id, job->job_id) == 0);
}

/* The job's shared time axis: its sessions' first to last event. */
static void job_axis(const report_page *page, const summary_job *job, int64_t *t0, int64_t *t1)
{
    bool any = false;
    *t0 = page->job_t0;
    *t1 = page->job_t1;
    for (size_t i = 0; i < page->count; i++) {
        const rp_session *s = &page->sessions[i];
        if (!in_job(s, job) || s->summary->event_count == 0)
            continue;
        if (!any || s->t0 < *t0)
            *t0 = s->t0;
        if (!any || s->t1 > *t1)
            *t1 = s->t1;
        any = true;
    }
    if (*t1 <= *t0)
        *t1 = *t0 + 1;
}

/* A rank's failed allocations over all its sessions and devices: the
 * overview draws one device's curve per rank, but no failure may hide. */
typedef struct rank_failures {
    uint64_t ooms, failed;
    char devices[96]; /* "0, 1": the devices they happened on */
} rank_failures;

static rank_failures failures_of_rank(const report_page *page, const summary_job *job, int64_t rank)
{
    rank_failures rf = {0};
    size_t used = 0;
    int64_t seen[16];
    size_t seen_count = 0;
    for (size_t i = 0; i < page->count; i++) {
        const rp_session *s = &page->sessions[i];
        if (s->rank != rank || !in_job(s, job))
            continue;
        for (size_t d = 0; d < s->summary->device_count; d++) {
            const summary_device *dev = &s->summary->devices[d];
            if (dev->failed == 0 && dev->oom_count == 0)
                continue;
            rf.ooms += dev->oom_count;
            rf.failed += dev->failed;
            bool known = false;
            for (size_t k = 0; k < seen_count; k++)
                known = known || seen[k] == dev->device_id;
            if (known || seen_count == sizeof seen / sizeof *seen)
                continue;
            seen[seen_count++] = dev->device_id;
            int n = snprintf(rf.devices + used, sizeof rf.devices - used, "%s%s%" PRId64, used ? ", " : "",
                             dev->device_id == -1 ? "host " : "", dev->device_id);
            if (n > 0 && (size_t)n < sizeof rf.devices - used)
                used += (size_t)n;
        }
    }
    return rf;
}

static bool write_rank_chart(FILE *out, const report_page *page, const summary_job *job, size_t r, int64_t ymax,
                             int64_t t0, int64_t t1)
{
    const summary_rank *k = &job->ranks[r];
    chart_frame f = {.left = 76, .top = 6, .plot_w = (int)page->columns, .plot_h = 64};
    f.width = f.left + f.plot_w + 24;
    f.height = f.top + f.plot_h + (r + 1 == job->rank_count ? 22 : 6);
    f.t0 = t0;
    f.t1 = t1;
    f.origin_ns = t0;
    f.ymax = ymax;
    char label[200], peak[CLI_FIGURE_MAX], dev[48];
    if (k->has_device)
        snprintf(dev, sizeof dev, "device %" PRId64, k->device_id);
    else
        snprintf(dev, sizeof dev, "no GPU");
    rank_failures rf = failures_of_rank(page, job, k->rank);
    char fails[160] = "";
    if (rf.failed > 0)
        snprintf(fails, sizeof fails, "; %" PRIu64 " OOM%s, %" PRIu64 " failed allocation%s (device%s %s)", rf.ooms,
                 rf.ooms == 1 ? "" : "s", rf.failed, rf.failed == 1 ? "" : "s", strchr(rf.devices, ',') ? "s" : "",
                 rf.devices);
    snprintf(label, sizeof label, "rank %" PRId64 ", %s, peak %s%s%s%s", k->rank, dev, cli_bytes(k->peak_bytes, peak),
             r == job->highest ? ", highest" : "", r == job->furthest ? ", furthest from median" : "", fails);
    svg_open(out, &f, label);
    svg_axes(out, &f, r + 1 == job->rank_count);
    bool hot = r == job->highest || r == job->furthest;
    for (size_t i = 0; i < page->count; i++) {
        const rp_session *s = &page->sessions[i];
        if (s->rank != k->rank || !in_job(s, job) || s->summary->event_count == 0)
            continue;
        if (k->has_device) {
            ds_series series;
            if (!rp_series_for_axis(s, k->device_id, f.t0, f.t1, page->columns, &series))
                return false;
            /* The area doubles a path's bytes: worth it for a few ranks only. */
            svg_step_path(out, &f, &series, hot ? "rankhot" : "rank", job->rank_count <= 16);
            ds_free(&series);
        }
        svg_error_markers(out, &f, s, REPORT_ALL_DEVICES);
    }
    /* Drawn last, with a white halo: markers never hide it. */
    fprintf(out, "<text class=\"ranklabel\" x=\"%d\" y=\"%d\">", f.left + 6, f.top + 13);
    html_text(out, label);
    fputs("</text>\n", out);
    svg_close(out);
    return true;
}

static bool write_job(FILE *out, const report_page *page, const summary_job *job)
{
    char med[CLI_FIGURE_MAX], span[CLI_FIGURE_MAX];
    int64_t t0, t1;
    job_axis(page, job, &t0, &t1);
    fputs("<h2>Job ", out);
    html_text(out, job->mixed_job_ids ? "(mixed job ids)" : job->job_id ? job->job_id : "-");
    fprintf(out, "</h2>\n<p class=\"meta\">%zu ranks, median peak %s, %s on a shared time axis; the same byte scale "
                 "on every rank</p>\n",
            job->rank_count, cli_bytes(job->median_peak_bytes, med), cli_duration(t1 - t0, span));
    int64_t ymax = 1;
    for (size_t r = 0; r < job->rank_count; r++)
        if (job->ranks[r].peak_bytes > ymax)
            ymax = job->ranks[r].peak_bytes;
    chart_frame fit = {0};
    chart_frame_fit(&fit, ymax);
    for (size_t r = 0; r < job->rank_count; r++)
        if (!write_rank_chart(out, page, job, r, fit.ymax, t0, t1))
            return false;
    fputs("<p class=\"legend\"><i class=\"la\"></i>each rank's device with the highest peak<i class=\"lh\"></i>the "
          "rank with the highest peak or furthest from the median",
          out);
    write_failure_legend(out);
    fputs("; failures of every device of the rank are marked</p>\n", out);
    fputs("<h3>Cross-rank peaks</h3>\n<table><tr><th class=\"n\">rank</th><th class=\"n\">sessions</th>"
          "<th>device</th><th class=\"n\">peak</th><th class=\"n\">vs median</th><th class=\"n\">peak at</th>"
          "<th class=\"n\">OOM (all devices)</th><th class=\"n\">failed allocations</th><th></th></tr>\n",
          out);
    for (size_t r = 0; r < job->rank_count; r++) {
        const summary_rank *k = &job->ranks[r];
        char dev[32], diff[CLI_FIGURE_MAX];
        const char *mark = r == job->highest && r == job->furthest ? "highest peak, furthest from median"
                           : r == job->highest                     ? "highest peak"
                           : r == job->furthest                    ? "furthest from median"
                                                                   : "";
        fprintf(out, "<tr%s>", *mark ? " class=\"mark\"" : "");
        td_count(out, true, k->rank);
        td_count(out, true, (int64_t)k->sessions);
        if (k->has_device)
            snprintf(dev, sizeof dev, "%" PRId64, k->device_id);
        else
            snprintf(dev, sizeof dev, "-");
        td_text(out, NULL, dev);
        td_bytes(out, k->peak_bytes);
        fprintf(out, "<td class=\"n\">%s</td>", cli_bytes_signed(k->peak_bytes - job->median_peak_bytes, diff));
        td_when(out, k->has_device && k->has_peak_time, k->peak_timestamp_ns, t0);
        rank_failures rf = failures_of_rank(page, job, k->rank);
        td_count(out, true, (int64_t)rf.ooms);
        td_count(out, true, (int64_t)rf.failed);
        td_text(out, NULL, mark);
        fputs("</tr>\n", out);
    }
    fputs("</table>\n", out);
    return true;
}

/* ---- the page ------------------------------------------------------------------- */

bool report_write_html(FILE *out, const report_page *page)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>stormlog report: ",
          out);
    html_text(out, page->input_path);
    fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>stormlog memory report</h1>\n", page_css);
    size_t events = 0;
    for (size_t i = 0; i < page->count; i++)
        events += page->sessions[i].summary->event_count;
    fputs("<p class=\"meta\"><code>", out);
    html_text(out, page->input_path);
    fprintf(out, "</code>: %zu session%s, %zu event%s</p>\n", page->count, cli_plural(page->count), events,
            cli_plural(events));
    if (page->count > 0 && !page->sessions[0].session)
        fputs("<p class=\"note\">Drawn from rollups.json and lifetime.json, which cover every segment: peaks, counts "
              "and OOMs are the whole run's; each chart is the writer's envelope of the run (the lowest and highest "
              "allocated bytes per time slice; no reserved line, no markers). <code>report --full</code> parses "
              "every event.</p>\n",
              out);
    const summary_session **shown = malloc((page->count ? page->count : 1) * sizeof *shown);
    if (!shown)
        return false;
    for (size_t i = 0; i < page->count; i++)
        shown[i] = page->sessions[i].summary;
    coverage_html_top(out, shown, page->count);
    free(shown);
    if (page->job && !write_job(out, page, &page->summary->job))
        return false;
    /* A folder of several runs: each job of two or more ranks gets its
     * own overview, newest first. */
    for (size_t g = 0; page->jobs && g < page->summary->group_count; g++)
        if (page->summary->groups[g].job.present && !write_job(out, page, &page->summary->groups[g].job))
            return false;
    size_t skipped = 0;
    for (size_t i = 0; i < page->count; i++) {
        if (page->detailed[i])
            write_session(out, page, &page->sessions[i]);
        else
            skipped++;
    }
    if (skipped > 0) {
        fprintf(out, "<h2>Other sessions</h2>\n<p class=\"note\">%zu session%s %s summarised here without charts "
                     "(<code>--all-sessions</code> draws them all; <code>--session ID</code> draws one).</p>\n"
                     "<table><tr><th>session</th><th class=\"n\">rank</th><th>status</th><th class=\"n\">events</th>"
                     "<th class=\"n\">largest peak</th></tr>\n",
                skipped, cli_plural(skipped), skipped == 1 ? "is" : "are");
        for (size_t i = 0; i < page->count; i++) {
            if (page->detailed[i])
                continue;
            const rp_session *s = &page->sessions[i];
            int64_t peak = 0;
            for (size_t d = 0; d < s->device_count; d++)
                if (s->devices[d].device_id >= 0 && s->devices[d].peak_bytes > peak)
                    peak = s->devices[d].peak_bytes;
            fputs("<tr><td><code>", out);
            html_text(out, s->summary->id);
            fputs("</code></td>", out);
            td_count(out, true, s->rank);
            td_text(out, NULL, s->summary->status);
            td_count(out, true, (int64_t)s->summary->event_count);
            td_bytes(out, peak);
            fputs("</tr>\n", out);
        }
        fputs("</table>\n", out);
    }
    fputs("<p class=\"note\">Charts are downsampled to one column per pixel; each column keeps its lowest and "
          "highest value, so no peak is lost. Hover a marker or band for details.</p>\n</body>\n</html>\n",
          out);
    return !ferror(out);
}
