/* Inline SVG charts: axes, step lines from downsampled series, the peak,
 * error markers and phase bands. Plain SVG and CSS classes only (styled by
 * the page), so a browser without JavaScript shows everything; hover text
 * is SVG <title>. Every string from the recording is escaped. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "runtime_codes.h"

/* Byte ticks at a power-of-two step: 256 MiB, 512 MiB, ... read naturally
 * in binary units. */
static int64_t byte_step(int64_t ymax)
{
    int64_t step = 1;
    while (step < INT64_MAX / 4 && step * 5 < ymax)
        step *= 2;
    return step;
}

void chart_frame_fit(chart_frame *f, int64_t highest)
{
    if (highest < 1)
        highest = 1;
    int64_t raw = highest + highest / 20;
    if (raw < highest) /* overflow */
        raw = highest;
    int64_t step = byte_step(raw);
    int64_t top = raw / step * step;
    f->ymax = top < raw && top <= INT64_MAX - step ? top + step : raw;
}

static double y_of(const chart_frame *f, int64_t v)
{
    return f->top + f->plot_h - (double)v * f->plot_h / (double)f->ymax;
}

static int x_of_column(const chart_frame *f, size_t c)
{
    return f->left + (int)c;
}

static size_t column_of(const chart_frame *f, int64_t ts)
{
    ds_series axis = {.t0 = f->t0, .t1 = f->t1, .columns = (size_t)f->plot_w};
    return ds_column_of(&axis, ts);
}

void svg_open(FILE *out, const chart_frame *f, const char *label)
{
    fprintf(out, "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
            f->width, f->height, f->width, f->height);
    html_text(out, label);
    fputs("\">\n", out);
}

void svg_close(FILE *out)
{
    fputs("</svg>\n", out);
}

void svg_axes(FILE *out, const chart_frame *f, bool time_labels)
{
    int64_t step = byte_step(f->ymax);
    int right = f->left + f->plot_w, bottom = f->top + f->plot_h;
    fprintf(out, "<rect class=\"plot\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>\n", f->left, f->top,
            f->plot_w, f->plot_h);
    /* A small chart (a rank's) has room for its top line only. */
    bool compact = f->plot_h < 100;
    int64_t top_tick = f->ymax / step * step;
    for (int64_t v = 0; v <= f->ymax; v += step) {
        char label[CLI_FIGURE_MAX];
        double y = y_of(f, v);
        if (compact && v != 0 && v != top_tick) {
            if (v > INT64_MAX - step)
                break;
            continue;
        }
        fprintf(out, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>", f->left, y, right, y);
        fprintf(out, "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", f->left - 4,
                y + 3.5, v == 0 ? "0" : cli_bytes(v, label));
        if (v > INT64_MAX - step)
            break;
    }
    /* Time ticks on a 1-2-5 ladder, about eight across. */
    int64_t span = f->t1 > f->t0 ? f->t1 - f->t0 : 1;
    int64_t tstep = 1;
    for (int64_t base = 1; base < INT64_MAX / 10; base *= 10) {
        static const int mult[] = {1, 2, 5};
        int64_t found = 0;
        for (int m = 0; m < 3 && !found; m++)
            if (base * mult[m] * 8 >= span)
                found = base * mult[m];
        if (found) {
            tstep = found;
            break;
        }
    }
    int64_t first = f->t0 - f->origin_ns;
    int64_t k0 = first <= 0 ? 0 : (first + tstep - 1) / tstep;
    for (int64_t k = k0;; k++) {
        int64_t rel = k * tstep;
        int64_t t = f->origin_ns + rel;
        if (t > f->t1 || rel < 0)
            break;
        if (t < f->t0)
            continue;
        int x = x_of_column(f, column_of(f, t));
        fprintf(out, "<line class=\"tickline\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", x, bottom, x, bottom + 4);
        if (time_labels) {
            char label[CLI_FIGURE_MAX];
            fprintf(out, "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s%s</text>", x, bottom + 15,
                    rel == 0 ? "0" : "+", rel == 0 ? "" : cli_duration(rel, label));
        }
        fputc('\n', out);
    }
}

/* The path data of a step series: at each column with values, a vertical
 * stroke through the column's extremes ending at its last value, then a
 * horizontal run to the next such column. */
static void step_path_data(FILE *out, const chart_frame *f, const ds_series *s, int *first_x, int *last_x)
{
    bool started = false;
    double y_now = 0;
    for (size_t c = 0; c < s->columns; c++) {
        if (!s->has[c])
            continue;
        const ds_column *col = &s->col[c];
        int x = x_of_column(f, c);
        if (!started) {
            y_now = y_of(f, col->first);
            fprintf(out, "M%d %.1f", x, y_now);
            *first_x = x;
            started = true;
        } else {
            fprintf(out, "H%d", x);
        }
        double ys[3] = {y_of(f, col->max), y_of(f, col->min), y_of(f, col->last)};
        for (int i = 0; i < 3; i++) {
            /* Skip strokes that go nowhere at the path's precision. */
            if ((int64_t)(ys[i] * 10 + 0.5) == (int64_t)(y_now * 10 + 0.5))
                continue;
            fprintf(out, "V%.1f", ys[i]);
            y_now = ys[i];
        }
    }
    if (started) {
        /* The last value holds to the end of its column, or of the axis
         * when the series ends before it (e.g. another rank ran longer). */
        size_t end_col = ds_column_of(s, s->t1);
        *last_x = x_of_column(f, end_col) + 1;
        fprintf(out, "H%d", *last_x);
    }
}

void svg_step_path(FILE *out, const chart_frame *f, const ds_series *s, const char *cls, bool area)
{
    char *data = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&data, &size);
    if (!mem)
        return;
    int first_x = 0, last_x = 0;
    step_path_data(mem, f, s, &first_x, &last_x);
    if (fclose(mem) != 0 || size == 0) {
        free(data);
        return;
    }
    if (area)
        fprintf(out, "<path class=\"%s-area\" d=\"%sV%dH%dZ\"/>\n", cls, data, f->top + f->plot_h, first_x);
    fprintf(out, "<path class=\"%s\" d=\"%s\"/>\n", cls, data);
    free(data);
}

void svg_peak_marker(FILE *out, const chart_frame *f, int64_t ts, int64_t value, const char *label)
{
    double x = x_of_column(f, column_of(f, ts)) + 0.5, y = y_of(f, value);
    bool right_half = x > f->left + f->plot_w * 0.6;
    fputs("<g class=\"peak\"><title>", out);
    html_text(out, label);
    fprintf(out, "</title><circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\"/>", x, y);
    double ty = y - 8 < f->top + 10 ? y + 16 : y - 8;
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", right_half ? x - 6 : x + 6, ty,
            right_half ? "end" : "start");
    html_text(out, label);
    fputs("</text></g>\n", out);
}

/* Hover text of an error marker: what failed where, how much was asked
 * for, the runtime's answer by number and name, the device's memory then,
 * and for an OOM whether the program got past it. */
static void error_title(FILE *out, const rp_error *e, size_t in_column, int64_t origin_ns)
{
    json_object *meta = stormlog_event_metadata_json(e->event);
    const char *api = cli_meta_string(meta, "api");
    const char *reason = cli_meta_string(meta, "reason");
    int64_t requested, code, free_bytes, total_bytes;
    char when[CLI_FIGURE_MAX], req[CLI_FIGURE_MAX], codetext[RUNTIME_CODE_TEXT_MAX];
    fputs(e->oom ? "OOM" : "failed allocation", out);
    if (e->device_id == -1)
        fputs(" of pinned host memory", out);
    else
        fprintf(out, " on device %" PRId64, e->device_id);
    if (api) {
        fputs(": ", out);
        html_text(out, api);
    }
    if (cli_meta_int(meta, "requested_bytes", &requested))
        fprintf(out, " asked for %s", cli_bytes(requested, req));
    if (cli_meta_int(meta, "error_code", &code)) {
        fputs(", error ", out);
        html_text(out, runtime_code_text(api, code, codetext));
    } else if (reason && !e->oom) {
        fputs(" (", out);
        html_text(out, reason);
        fputc(')', out);
    }
    if (stormlog_event_int(e->event, STORMLOG_DEVICE_FREE_BYTES, &free_bytes) &&
        stormlog_event_int(e->event, STORMLOG_DEVICE_TOTAL_BYTES, &total_bytes)) {
        char fr[CLI_FIGURE_MAX], tot[CLI_FIGURE_MAX];
        fprintf(out, ", device %s free of %s", cli_bytes(free_bytes, fr), cli_bytes(total_bytes, tot));
    }
    fprintf(out, " at +%s", cli_duration(e->timestamp_ns - origin_ns, when));
    if (e->oom)
        fputs(e->recovered ? "; recovered" : "; last (nothing allocated on the device after it)", out);
    if (in_column > 1)
        fprintf(out, " (and %zu more in this pixel)", in_column - 1);
    json_object_put(meta);
}

static bool marker_device(const rp_error *e, int64_t device_id)
{
    return device_id == REPORT_ALL_DEVICES || e->device_id == device_id;
}

void svg_error_markers(FILE *out, const chart_frame *f, const rp_session *s, int64_t device_id)
{
    size_t i = 0;
    while (i < s->error_count) {
        const rp_error *e = &s->errors[i];
        if (!marker_device(e, device_id)) {
            i++;
            continue;
        }
        /* One marker per pixel column; an OOM outranks another failure,
         * the last OOM a recovered one. */
        size_t c = column_of(f, e->timestamp_ns), n = 0;
        const rp_error *shown = e;
        size_t j = i;
        for (; j < s->error_count && column_of(f, s->errors[j].timestamp_ns) == c; j++) {
            const rp_error *x = &s->errors[j];
            if (!marker_device(x, device_id))
                continue;
            n++;
            if ((x->oom && !shown->oom) || (x->oom && shown->oom && shown->recovered && !x->recovered))
                shown = x;
        }
        int x = x_of_column(f, c);
        const char *cls = !shown->oom ? "fail" : shown->recovered ? "oom oom-recovered" : "oom";
        fprintf(out, "<g class=\"%s\"><title>", cls);
        error_title(out, shown, n, f->origin_ns);
        fprintf(out, "</title><line x1=\"%d.5\" y1=\"%d\" x2=\"%d.5\" y2=\"%d\"/>", x, f->top, x, f->top + f->plot_h);
        /* A triangle for an OOM, a diamond for another failure: told apart
         * by shape as well as colour. */
        if (shown->oom)
            fprintf(out, "<path d=\"M%d.5 %dl-5 -8h10z\"/></g>\n", x, f->top);
        else
            fprintf(out, "<path d=\"M%d.5 %dl-4 -5l4 -5l4 5z\"/></g>\n", x, f->top);
        i = j;
    }
}

static unsigned name_hue(const char *name)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % 360u;
}

#define BAND_MIN_PX 4 /* narrower phases are drawn as runs */

typedef struct band_run {
    int x0, x1;            /* pixels, x1 exclusive */
    size_t count;
    const rp_phase *first; /* the run's first phase */
    int64_t end_ns;        /* latest end in the run */
} band_run;

static void band_rect(FILE *out, const band_run *run, int y, int row_h, int64_t origin_ns)
{
    const rp_phase *p = run->first;
    char dur[CLI_FIGURE_MAX], at[CLI_FIGURE_MAX];
    fputs("<g class=\"phase\"><title>", out);
    if (run->count == 1) {
        html_text(out, p->path);
        fprintf(out, " (%s%s", cli_duration(p->end_ns - p->start_ns, dur), p->closed ? "" : ", not closed");
        if (p->thread_id >= 0)
            fprintf(out, ", thread %" PRId64, p->thread_id);
        fputc(')', out);
    } else {
        fprintf(out, "%zu phases from +%s over %s, the first ", run->count, cli_duration(p->start_ns - origin_ns, at),
                cli_duration(run->end_ns - p->start_ns, dur));
        html_text(out, p->path);
    }
    fprintf(out, "</title><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"hsl(%u,55%%,78%%)\"%s/>", run->x0,
            y, run->x1 - run->x0, row_h - 2, name_hue(p->name), run->count > 1 ? " fill-opacity=\".7\"" : "");
    size_t chars = strlen(p->name) + (run->count > 1 ? 4 : 0);
    if ((size_t)(run->x1 - run->x0) >= chars * 6 + 6) {
        fprintf(out, "<text x=\"%d\" y=\"%d\">", run->x0 + 3, y + row_h - 5);
        html_text(out, p->name);
        fprintf(out, "%s</text>", run->count > 1 ? " \u00d7" : "");
    }
    fputs("</g>\n", out);
}

void svg_phase_bands(FILE *out, const chart_frame *f, const rp_session *s, int row_h)
{
    /* Per row, phases too narrow to see one by one are gathered into runs
     * (one band for ten thousand short steps), so the page stays small
     * whatever the number of phases; each row ends up with at most one
     * band per few pixels. */
    band_run pending[REPORT_PHASE_ROWS] = {{0}};
    int drawn_to[REPORT_PHASE_ROWS];
    for (int r = 0; r < REPORT_PHASE_ROWS; r++)
        drawn_to[r] = f->left;
    int base = f->top + f->plot_h + 20;
    for (size_t i = 0; i < s->phase_count; i++) {
        const rp_phase *p = &s->phases[i];
        int row = p->depth < REPORT_PHASE_ROWS ? p->depth : REPORT_PHASE_ROWS - 1;
        int y = base + row * row_h;
        int x0 = x_of_column(f, column_of(f, p->start_ns));
        int x1 = x_of_column(f, column_of(f, p->end_ns)) + 1;
        band_run *run = &pending[row];
        bool narrow = x1 - x0 < BAND_MIN_PX;
        if (narrow && run->count > 0 && x0 <= run->x1) {
            if (x1 > run->x1)
                run->x1 = x1;
            if (p->end_ns > run->end_ns)
                run->end_ns = p->end_ns;
            run->count++;
            continue;
        }
        if (run->count > 0) {
            band_rect(out, run, y, row_h, f->origin_ns);
            drawn_to[row] = run->x1;
            run->count = 0;
        }
        /* What is already painted in this row is not painted again. */
        if (x1 <= drawn_to[row])
            continue;
        if (x0 < drawn_to[row])
            x0 = drawn_to[row];
        *run = (band_run){x0, x1, 1, p, p->end_ns};
        if (!narrow) {
            band_rect(out, run, y, row_h, f->origin_ns);
            drawn_to[row] = x1;
            run->count = 0;
        }
    }
    for (int r = 0; r < REPORT_PHASE_ROWS; r++)
        if (pending[r].count > 0)
            band_rect(out, &pending[r], base + r * row_h, row_h, f->origin_ns);
}
