/* What `stormlog-inspect report` and `export` share: the per-pixel-column
 * downsampler (downsample.c), the fast look-up of flat metadata members
 * (report_meta.c), the model of a session built from its events
 * (report_model.c), the SVG charts (report_svg.c), the HTML page
 * (report_html.c) and the trace-event writer (perfetto.c).
 *
 * The model reads events through the loader's public API only and borrows
 * from the loaded recording: it must be freed before the recording. */
#ifndef STORMLOG_INSPECT_REPORT_H
#define STORMLOG_INSPECT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "summary_stats.h"

int inspect_cmd_report(int argc, char **argv);
int inspect_cmd_export(int argc, char **argv);

/* ---- downsample.c: one step series, one bucket per pixel column -------- */

/* A column keeps the first, lowest, highest and last value the series took
 * inside it: drawing a vertical stroke from min to max at every column
 * keeps every peak and every dip, whatever the number of events. */
typedef struct ds_column {
    int64_t first, min, max, last;
} ds_column;

typedef struct ds_series {
    int64_t t0, t1;     /* the time axis: t0 at column 0, t1 in the last column */
    size_t columns;
    ds_column *col;
    uint8_t *has;       /* has[c]: column c saw a value */
    uint64_t values;    /* values added */
} ds_series;

/* false when out of memory; columns >= 1; t1 >= t0. */
bool ds_init(ds_series *s, int64_t t0, int64_t t1, size_t columns);
void ds_free(ds_series *s);
/* The column a time falls in, clamped to the axis. */
size_t ds_column_of(const ds_series *s, int64_t ts);
/* The series steps to `value` at time ts (times need not be sorted within a
 * column, but `last` is the last added, so add in time order). */
void ds_add(ds_series *s, int64_t ts, int64_t value);

/* ---- report_meta.c: top-level members of a metadata object ------------- */

typedef enum { META_ABSENT = 0, META_FOUND, META_UNSURE } meta_lookup;

/* Finds member `key` of the JSON object text without building a tree.
 * META_FOUND: *val and *vlen span the raw value text. META_UNSURE: the text has
 * escaped keys or is not a well-formed object: ask json-c instead. */
meta_lookup meta_find(const char *text, size_t len, const char *key, const char **val, size_t *vlen);
/* The event's metadata member as an unsigned integer: a JSON integer or a
 * string "0x..." (the shim writes pointers as hex strings). */
bool meta_event_u64(const stormlog_event *ev, const char *key, uint64_t *out);
/* The event's metadata member is the JSON string `value`. */
bool meta_event_string_is(const stormlog_event *ev, const char *key, const char *value);

/* metadata.phase_scope of a phase_enter / phase_exit event. */
typedef struct phase_scope_info {
    char *name;        /* malloc'd; never NULL when the call succeeds */
    char *path;        /* "a/b/c", malloc'd */
    int depth;         /* elements in path - 1 (0 for a top-level phase) */
    char scope_key[64]; /* scope_id as text: pairs an exit with its enter */
    bool has_scope_id;
    bool has_thread;
    int64_t thread_id;
    bool start_end;    /* metadata.nvtx == "start_end": may end on another thread */
} phase_scope_info;

/* false when the event carries no usable phase_scope (or out of memory). */
bool phase_scope_read(const stormlog_event *ev, phase_scope_info *out);
void phase_scope_clear(phase_scope_info *p);

/* ---- report_model.c: a session as the report draws it ------------------ */

#define REPORT_TOP_ALLOCATIONS 10 /* rows in the "live at peak" and "leaks" tables */
#define REPORT_ERRORS_KEPT 4096   /* error events kept for markers and the table; all are counted */
#define REPORT_PHASE_ROWS 3       /* depths drawn as bands; deeper phases fold into the last row */

typedef struct rp_alloc {
    uint64_t ptr;
    int64_t size;
    int64_t timestamp_ns;
    const stormlog_event *event; /* the allocation event (borrowed) */
} rp_alloc;

typedef struct rp_error {
    int64_t timestamp_ns;
    int64_t device_id;
    const stormlog_event *event; /* borrowed */
    bool oom;
    size_t index;                /* the event's index in its session */
    bool recovered;              /* an allocation on the device succeeded after it */
} rp_error;

typedef struct rp_phase {
    int64_t start_ns, end_ns;
    int depth;
    bool closed;       /* an exit was seen */
    int64_t thread_id; /* -1 when unknown */
    bool start_end;    /* an NVTX start/end range, not on the thread's stack */
    uint64_t id;       /* its scope id (start/end ranges) */
    char *name, *path; /* owned */
} rp_phase;

typedef struct rp_device {
    int64_t device_id;
    ds_series allocated, reserved;
    uint64_t events;
    int64_t peak_bytes;       /* highest allocator_allocated_bytes in the events */
    int64_t peak_timestamp_ns;
    size_t peak_event;        /* session index of the first event at the peak */
    int64_t max_reserved;
    bool has_allocation;
    size_t last_allocation;   /* session index of the last allocation event */
    /* Replay of allocations and frees by pointer. */
    bool tracked;             /* at least one allocation carried a pointer */
    uint64_t untracked;       /* allocation / free events without a pointer */
    rp_alloc at_peak[REPORT_TOP_ALLOCATIONS];
    size_t at_peak_count;
    uint64_t live_at_peak;    /* live allocations at the peak */
    int64_t live_at_peak_bytes;
    rp_alloc leaks[REPORT_TOP_ALLOCATIONS];
    size_t leak_count;
    uint64_t live_at_end;
    int64_t live_at_end_bytes;
} rp_device;

typedef struct rp_session {
    const stormlog_session *session;
    const summary_session *summary; /* borrowed from the summary report */
    int64_t t0, t1;                 /* first and last event times */
    int64_t rank;
    rp_device *devices;             /* sorted by device id */
    size_t device_count;
    rp_phase *phases;               /* in start order */
    size_t phase_count, phase_cap;
    uint64_t phases_unclosed, phase_exits_unmatched;
    rp_error *errors;
    size_t error_count;
    uint64_t error_total;
} rp_session;

/* Builds the model of one session with `columns` pixel columns on the
 * session's own time axis; `replay` adds the pointer replay (the live
 * allocation tables). false when out of memory (s is freeable). */
bool rp_session_build(rp_session *s, const summary_session *sum, size_t columns, bool replay);
void rp_session_free(rp_session *s);
/* The device of a session by id, or NULL. */
const rp_device *rp_session_device(const rp_session *s, int64_t device_id);
/* One series of one device on another time axis (a job's shared axis):
 * from the events, or from the lifetime envelope of a sidecar session. */
bool rp_series_for_axis(const rp_session *s, int64_t device_id, int64_t t0, int64_t t1, size_t columns,
                        ds_series *out);
/* report_sidecars.c: the model of a session read from the sidecars
 * (sum->session NULL): each device's allocated series from lifetime.json's
 * timeline envelope over the whole run, no reserved series, no errors,
 * phases or pointer replay. false when out of memory (s is freeable). */
bool rp_session_from_sidecars(rp_session *s, const summary_session *sum, size_t columns);
/* The envelope of one device drawn onto a ds_series axis. */
bool rp_envelope_series(const summary_session *sum, int64_t device_id, int64_t t0, int64_t t1, size_t columns,
                        ds_series *out);

/* ---- report_svg.c: charts --------------------------------------------- */

typedef struct chart_frame {
    int width, height;           /* the whole SVG */
    int left, top;               /* the plot's top-left corner */
    int plot_w, plot_h;          /* plot_w == the series' columns */
    int64_t t0, t1;              /* time axis */
    int64_t ymax;                /* value at the top of the plot */
    int64_t origin_ns;           /* time labels are relative to this */
} chart_frame;

/* Fits a frame to the values: ymax a little above the highest value. */
void chart_frame_fit(chart_frame *f, int64_t highest);
void svg_open(FILE *out, const chart_frame *f, const char *label);
void svg_close(FILE *out);
void svg_axes(FILE *out, const chart_frame *f, bool time_labels);
/* The step line (and the area under it when `area`). */
void svg_step_path(FILE *out, const chart_frame *f, const ds_series *s, const char *cls, bool area);
void svg_peak_marker(FILE *out, const chart_frame *f, int64_t ts, int64_t value, const char *label);
#define REPORT_ALL_DEVICES INT64_MIN
/* Markers of the session's failed allocations on one device, or on every
 * device (REPORT_ALL_DEVICES: the job overview, where each rank's row shows
 * one device's curve but every device's failures). */
void svg_error_markers(FILE *out, const chart_frame *f, const rp_session *s, int64_t device_id);
/* Phase bands below the plot, REPORT_PHASE_ROWS rows of `row_h` pixels. */
void svg_phase_bands(FILE *out, const chart_frame *f, const rp_session *s, int row_h);

/* ---- report_html.c: the page ----------------------------------------- */

typedef struct report_page {
    const char *input_path;
    const summary_report *summary;
    rp_session *sessions;     /* models of the sessions shown, in the loader's order */
    bool *detailed;           /* per session: charts and tables drawn */
    size_t count;
    size_t columns;           /* pixel columns of every chart's plot */
    bool job;                 /* one job of two or more ranks: rank charts and the cross-rank table */
    bool jobs;                /* a folder of several jobs: an overview per job of two or more ranks */
    int64_t job_t0, job_t1;   /* the job's shared time axis */
} report_page;

/* false when writing failed or memory ran out. */
bool report_write_html(FILE *out, const report_page *page);


/* Writes text with &, <, >, " and ' escaped (also bytes < 0x20). */
void html_text(FILE *out, const char *text);
void html_text_n(FILE *out, const char *text, size_t len);

/* ---- perfetto.c: Chrome / Perfetto trace-event JSON -------------------- */

/* Writes the sessions as one trace: a process per session (sorted by rank),
 * a counter track per device (allocated, reserved), instant events for
 * errors and OOMs, phases as complete slices on their thread. Times are
 * microseconds from the earliest event. false when writing failed or
 * memory ran out. */
bool perfetto_write(FILE *out, const summary_session *const *sessions, size_t count);

#endif
