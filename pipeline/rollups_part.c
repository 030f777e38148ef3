/* Partial rollups of one session: observe events, merge partials
 * (rollups.h explains why every rule is kept by timestamp). */
#include "rollups.h"

#include <stdlib.h>
#include <string.h>

void sl_rollup_part_init(sl_rollup_part *p, int64_t session_start_ns, int64_t window_ns)
{
    memset(p, 0, sizeof *p);
    p->session_start_ns = session_start_ns;
    p->window_ns = window_ns > 0 ? window_ns : 1;
}

static void counts_free(sl_rollup_counts *c)
{
    for (size_t i = 0; i < c->count; i++)
        free(c->items[i].text);
    free(c->items);
    memset(c, 0, sizeof *c);
}

void sl_rollup_part_free(sl_rollup_part *p)
{
    counts_free(&p->severities);
    counts_free(&p->alert_types);
    counts_free(&p->bundle_paths);
    free(p->last_status);
    for (size_t i = 0; i < p->window_count; i++)
        free(p->windows[i].ranks);
    free(p->windows);
    free(p->ranks);
    memset(p, 0, sizeof *p);
}

/* Adds n to the count of text (a new entry when absent). */
static bool counts_add(sl_rollup_counts *c, const char *text, size_t len, uint64_t n)
{
    for (size_t i = 0; i < c->count; i++)
        if (c->items[i].len == len && memcmp(c->items[i].text, text, len) == 0) {
            c->items[i].n += n;
            return true;
        }
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4;
        sl_rollup_count *items = realloc(c->items, cap * sizeof *items);
        if (!items)
            return false;
        c->items = items;
        c->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return false;
    memcpy(copy, text, len);
    copy[len] = '\0';
    c->items[c->count++] = (sl_rollup_count){copy, len, n};
    return true;
}

static bool counts_merge(sl_rollup_counts *dst, const sl_rollup_counts *src)
{
    for (size_t i = 0; i < src->count; i++)
        if (!counts_add(dst, src->items[i].text, src->items[i].len, src->items[i].n))
            return false;
    return true;
}

/* The greater value wins; an equal value at an earlier time wins; otherwise
 * the one already held (it came first). */
static void peak_offer(sl_rollup_peak *p, const sl_rollup_peak *cand)
{
    if (!cand->set)
        return;
    if (!p->set || cand->value > p->value || (cand->value == p->value && cand->timestamp_ns < p->timestamp_ns))
        *p = *cand;
}

static void peaks_observe(sl_rollup_peak peaks[SL_RC_COUNT], const sl_rollup_event *ev)
{
    for (int c = 0; c < SL_RC_COUNT; c++) {
        sl_rollup_peak cand = {true, ev->counter[c], ev->timestamp_ns, ev->rank, ev->device_id};
        peak_offer(&peaks[c], &cand);
    }
}

static void peaks_merge(sl_rollup_peak dst[SL_RC_COUNT], const sl_rollup_peak src[SL_RC_COUNT])
{
    for (int c = 0; c < SL_RC_COUNT; c++)
        peak_offer(&dst[c], &src[c]);
}

/* Index of rank r, inserted (zeroed, identity unset) when absent; SIZE_MAX on OOM. */
static size_t rank_slot(sl_rollup_part *p, int64_t r, bool *created)
{
    size_t lo = 0, hi = p->rank_count;
    if (hi > 0 && p->ranks[hi - 1].rank == r) {
        *created = false;
        return hi - 1;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->ranks[mid].rank < r)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < p->rank_count && p->ranks[lo].rank == r) {
        *created = false;
        return lo;
    }
    if (p->rank_count == p->rank_cap) {
        size_t cap = p->rank_cap ? p->rank_cap * 2 : 2;
        sl_rollup_rank *ranks = realloc(p->ranks, cap * sizeof *ranks);
        if (!ranks)
            return SIZE_MAX;
        p->ranks = ranks;
        p->rank_cap = cap;
    }
    memmove(&p->ranks[lo + 1], &p->ranks[lo], (p->rank_count - lo) * sizeof *p->ranks);
    memset(&p->ranks[lo], 0, sizeof p->ranks[lo]);
    p->ranks[lo].rank = r;
    p->rank_count++;
    *created = true;
    return lo;
}

static size_t window_slot(sl_rollup_part *p, uint64_t index)
{
    size_t lo = 0, hi = p->window_count;
    if (hi > 0 && p->windows[hi - 1].index == index)
        return hi - 1;
    if (hi > 0 && p->windows[hi - 1].index < index)
        lo = hi;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->windows[mid].index < index)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < p->window_count && p->windows[lo].index == index)
        return lo;
    if (p->window_count == p->window_cap) {
        size_t cap = p->window_cap ? p->window_cap * 2 : 8;
        sl_rollup_window *w = realloc(p->windows, cap * sizeof *w);
        if (!w)
            return SIZE_MAX;
        p->windows = w;
        p->window_cap = cap;
    }
    memmove(&p->windows[lo + 1], &p->windows[lo], (p->window_count - lo) * sizeof *p->windows);
    memset(&p->windows[lo], 0, sizeof p->windows[lo]);
    p->windows[lo].index = index;
    p->window_count++;
    return lo;
}

static bool window_add_rank(sl_rollup_window *w, int64_t r)
{
    for (size_t i = 0; i < w->rank_count; i++)
        if (w->ranks[i] == r)
            return true;
    if (w->rank_count == w->rank_cap) {
        size_t cap = w->rank_cap ? w->rank_cap * 2 : 2;
        int64_t *ranks = realloc(w->ranks, cap * sizeof *ranks);
        if (!ranks)
            return false;
        w->ranks = ranks;
        w->rank_cap = cap;
    }
    w->ranks[w->rank_count++] = r;
    return true;
}

static uint64_t window_index(const sl_rollup_part *p, int64_t ts)
{
    sl_rollup_wide d = (sl_rollup_wide)ts - p->session_start_ns;
    if (d <= 0)
        return 0;
    return (uint64_t)(d / p->window_ns);
}

static bool set_status(sl_rollup_part *p, const char *s, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return false;
    memcpy(copy, s, len);
    copy[len] = '\0';
    free(p->last_status);
    p->last_status = copy;
    p->last_status_len = len;
    return true;
}

static void health_observe(sl_rollup_part *p, const sl_rollup_event *ev, bool *ok)
{
    if (ev->transition == SL_ROLLUP_NO_TRANSITION) {
        if (ev->health_status && !set_status(p, ev->health_status, ev->health_status_len))
            *ok = false;
        return;
    }
    if (p->transitions == 0 && ev->transition == SL_ROLLUP_RECOVERED) {
        p->head_recovery = true;
        p->head_ts = ev->timestamp_ns;
    }
    p->transitions++;
    if (ev->transition == SL_ROLLUP_DEGRADED) {
        p->degraded++;
        p->open = true;
        p->open_since = ev->timestamp_ns;
        if (!set_status(p, "degraded", 8))
            *ok = false;
        return;
    }
    p->recovered++;
    if (p->open) {
        sl_rollup_wide d = (sl_rollup_wide)ev->timestamp_ns - p->open_since;
        p->degraded_time += d > 0 ? d : 0;
        p->open = false;
    }
    if (!set_status(p, "healthy", 7))
        *ok = false;
}

static void gap_observe(sl_rollup_rank *r, const sl_rollup_event *ev)
{
    sl_rollup_wide gap = (sl_rollup_wide)ev->counter[SL_RC_USED] - ev->counter[SL_RC_RESERVED];
    if (!r->has_gap) {
        r->has_gap = true;
        r->gap_first_ts = r->gap_last_ts = ev->timestamp_ns;
        r->gap_first = r->gap_last = r->gap_peak = gap;
        return;
    }
    if (ev->timestamp_ns < r->gap_first_ts) {
        r->gap_first_ts = ev->timestamp_ns;
        r->gap_first = gap;
    }
    if (ev->timestamp_ns >= r->gap_last_ts) {
        r->gap_last_ts = ev->timestamp_ns;
        r->gap_last = gap;
    }
    if (gap > r->gap_peak)
        r->gap_peak = gap;
}

bool sl_rollup_part_observe(sl_rollup_part *p, const sl_rollup_event *ev)
{
    bool ok = true;
    int64_t ts = ev->timestamp_ns;
    if (p->events == 0 || ts < p->first_ts)
        p->first_ts = ts;
    if (p->events == 0 || ts > p->last_ts)
        p->last_ts = ts;
    p->events++;
    p->samples += ev->is_sample;
    peaks_observe(p->peaks, ev);
    if (ev->is_alert) {
        p->alert_total++;
        ok &= counts_add(&p->severities, ev->severity, ev->severity_len, 1);
        ok &= counts_add(&p->alert_types, ev->event_type, ev->event_type_len, 1);
    }
    health_observe(p, ev, &ok);
    if (ev->is_oom_marker) {
        p->oom_markers++;
        if (ev->oom_dump_path)
            ok &= counts_add(&p->bundle_paths, ev->oom_dump_path, ev->oom_dump_path_len, 1);
    }

    bool created;
    size_t ri = rank_slot(p, ev->rank, &created);
    if (ri == SIZE_MAX) {
        ok = false;
    } else {
        sl_rollup_rank *r = &p->ranks[ri];
        if (created || ts < r->identity_ts) {
            r->identity_ts = ts;
            r->local_rank = ev->local_rank;
            r->world_size = ev->world_size;
        }
        if (created || ts < r->first_ts)
            r->first_ts = ts;
        if (created || ts > r->last_ts)
            r->last_ts = ts;
        r->events++;
        peaks_observe(r->peaks, ev);
        if (ev->is_sample) {
            r->samples++;
            gap_observe(r, ev);
        }
    }

    size_t wi = window_slot(p, window_index(p, ts));
    if (wi == SIZE_MAX) {
        ok = false;
    } else {
        sl_rollup_window *w = &p->windows[wi];
        w->events++;
        w->samples += ev->is_sample;
        w->alerts += ev->is_alert;
        w->transitions += ev->transition != SL_ROLLUP_NO_TRANSITION;
        w->ooms += ev->is_oom_marker;
        peaks_observe(w->peaks, ev);
        ok &= window_add_rank(w, ev->rank);
    }
    if (!ok)
        p->failed = true;
    return ok;
}

static void rank_merge(sl_rollup_rank *d, const sl_rollup_rank *s)
{
    if (s->identity_ts < d->identity_ts) {
        d->identity_ts = s->identity_ts;
        d->local_rank = s->local_rank;
        d->world_size = s->world_size;
    }
    if (s->first_ts < d->first_ts)
        d->first_ts = s->first_ts;
    if (s->last_ts > d->last_ts)
        d->last_ts = s->last_ts;
    d->events += s->events;
    d->samples += s->samples;
    peaks_merge(d->peaks, s->peaks);
    if (!s->has_gap)
        return;
    if (!d->has_gap) {
        d->has_gap = true;
        d->gap_first_ts = s->gap_first_ts;
        d->gap_first = s->gap_first;
        d->gap_last_ts = s->gap_last_ts;
        d->gap_last = s->gap_last;
        d->gap_peak = s->gap_peak;
        return;
    }
    if (s->gap_first_ts < d->gap_first_ts) {
        d->gap_first_ts = s->gap_first_ts;
        d->gap_first = s->gap_first;
    }
    if (s->gap_last_ts >= d->gap_last_ts) {
        d->gap_last_ts = s->gap_last_ts;
        d->gap_last = s->gap_last;
    }
    if (s->gap_peak > d->gap_peak)
        d->gap_peak = s->gap_peak;
}

static void health_merge(sl_rollup_part *d, const sl_rollup_part *s, bool *ok)
{
    if (s->transitions > 0) {
        if (d->transitions == 0 && s->head_recovery) {
            d->head_recovery = true;
            d->head_ts = s->head_ts;
        }
        if (d->open && s->head_recovery) {
            sl_rollup_wide t = (sl_rollup_wide)s->head_ts - d->open_since;
            d->degraded_time += t > 0 ? t : 0;
        }
        d->open = s->open;
        d->open_since = s->open_since;
        d->transitions += s->transitions;
        d->degraded += s->degraded;
        d->recovered += s->recovered;
        d->degraded_time += s->degraded_time;
    }
    if (s->last_status && !set_status(d, s->last_status, s->last_status_len))
        *ok = false;
}

bool sl_rollup_part_merge(sl_rollup_part *d, const sl_rollup_part *s)
{
    bool ok = !s->failed;
    if (s->events == 0)
        return ok;
    if (d->events == 0 || s->first_ts < d->first_ts)
        d->first_ts = s->first_ts;
    if (d->events == 0 || s->last_ts > d->last_ts)
        d->last_ts = s->last_ts;
    d->events += s->events;
    d->samples += s->samples;
    peaks_merge(d->peaks, s->peaks);
    d->alert_total += s->alert_total;
    ok &= counts_merge(&d->severities, &s->severities);
    ok &= counts_merge(&d->alert_types, &s->alert_types);
    health_merge(d, s, &ok);
    d->oom_markers += s->oom_markers;
    ok &= counts_merge(&d->bundle_paths, &s->bundle_paths);
    for (size_t i = 0; i < s->rank_count; i++) {
        bool created;
        size_t ri = rank_slot(d, s->ranks[i].rank, &created);
        if (ri == SIZE_MAX) {
            ok = false;
            continue;
        }
        if (created)
            d->ranks[ri] = s->ranks[i];
        else
            rank_merge(&d->ranks[ri], &s->ranks[i]);
    }
    for (size_t i = 0; i < s->window_count; i++) {
        const sl_rollup_window *sw = &s->windows[i];
        size_t wi = window_slot(d, sw->index);
        if (wi == SIZE_MAX) {
            ok = false;
            continue;
        }
        sl_rollup_window *w = &d->windows[wi];
        w->events += sw->events;
        w->samples += sw->samples;
        w->alerts += sw->alerts;
        w->transitions += sw->transitions;
        w->ooms += sw->ooms;
        peaks_merge(w->peaks, sw->peaks);
        for (size_t k = 0; k < sw->rank_count; k++)
            ok &= window_add_rank(w, sw->ranks[k]);
    }
    if (!ok)
        d->failed = true;
    return ok;
}
