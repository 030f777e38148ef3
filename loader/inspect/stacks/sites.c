/* Live bytes by call site: allocations and frees replayed by pointer (the
 * report's live set), the live ones at the moment grouped by the call site
 * their allocation event names. */
#include <stdlib.h>
#include <string.h>

#include "../live_set.h"
#include "../report.h"
#include "callsite.h"

bool cs_event_is_oom(const stormlog_event *ev)
{
    return strcmp(stormlog_event_type(ev), "error") == 0 && meta_event_string_is(ev, "reason", "out_of_memory");
}

void cs_event_site(const cs_table *t, const stormlog_event *ev, cs_site *out)
{
    memset(out, 0, sizeof *out);
    uint64_t id;
    if (meta_event_u64(ev, "stack_id", &id) && id <= INT64_MAX) {
        out->stack_id = (int64_t)id;
        out->stack = cs_table_find(t, out->stack_id);
        out->kind = out->stack ? CS_SITE_STACK : CS_SITE_UNDEFINED;
        return;
    }
    out->kind = cs_event_table_full(ev) ? CS_SITE_TABLE_FULL : CS_SITE_NONE;
}

/* ---- sites by key: a small open-addressing map -------------------------- */

typedef struct site_map {
    cs_site *sites;
    size_t count, cap; /* cap a power of two, at most half full */
    size_t *slot;      /* index + 1 into sites; 0: empty */
} site_map;

static uint64_t site_key(const cs_site *s)
{
    return s->kind == CS_SITE_STACK || s->kind == CS_SITE_UNDEFINED ? (uint64_t)s->stack_id << 2
                                                                    : (uint64_t)s->kind;
}

static cs_site *site_get(site_map *m, const cs_site *probe)
{
    if ((m->count + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        size_t *slot = calloc(cap, sizeof *slot);
        cs_site *sites = realloc(m->sites, cap * sizeof *sites);
        if (!slot || !sites) {
            free(slot);
            if (sites)
                m->sites = sites;
            return NULL;
        }
        m->sites = sites;
        for (size_t i = 0; i < m->count; i++) {
            size_t j = (size_t)(site_key(&sites[i]) * 0x9e3779b97f4a7c15u >> 20) & (cap - 1);
            while (slot[j])
                j = (j + 1) & (cap - 1);
            slot[j] = i + 1;
        }
        free(m->slot);
        m->slot = slot;
        m->cap = cap;
    }
    uint64_t key = site_key(probe);
    size_t j = (size_t)(key * 0x9e3779b97f4a7c15u >> 20) & (m->cap - 1);
    while (m->slot[j]) {
        cs_site *s = &m->sites[m->slot[j] - 1];
        if (site_key(s) == key)
            return s;
        j = (j + 1) & (m->cap - 1);
    }
    m->sites[m->count] = *probe;
    m->slot[j] = ++m->count;
    return &m->sites[m->count - 1];
}

static int by_live_bytes(const void *a, const void *b)
{
    const cs_site *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? 1 : -1;
    if (x->total_bytes != y->total_bytes)
        return x->total_bytes < y->total_bytes ? 1 : -1;
    uint64_t kx = site_key(x), ky = site_key(y);
    return (kx > ky) - (kx < ky);
}

/* ---- the replay ------------------------------------------------------------ */

static bool count_live(site_map *m, const cs_table *t, const live_set *set, cs_view *v)
{
    for (size_t i = 0; i < set->cap; i++) {
        const live_entry *e = &set->slots[i];
        if (!e->event)
            continue;
        cs_site probe;
        cs_event_site(t, e->event, &probe);
        cs_site *site = site_get(m, &probe);
        if (!site)
            return false;
        site->bytes += e->size;
        site->allocations++;
        v->live_bytes += e->size;
        v->live_allocations++;
    }
    return true;
}

bool cs_view_build(cs_view *v, const stormlog_session *s, const cs_table *t, int64_t device_id, size_t stop)
{
    memset(v, 0, sizeof *v);
    v->device_id = device_id;
    v->stop = stop;
    size_t n = stormlog_session_event_count(s);
    site_map m = {0};
    live_set set = {0};
    bool ok = live_grow(&set);
    for (size_t i = 0; ok && i < n; i++) {
        const stormlog_event *ev = stormlog_session_event(s, i);
        const char *type = stormlog_event_type(ev);
        bool alloc = strcmp(type, "allocation") == 0;
        if (i == stop)
            ok = count_live(&m, t, &set, v);
        if (!ok || (!alloc && strcmp(type, "deallocation") != 0))
            continue;
        int64_t dev = -1, change = 0;
        stormlog_event_int(ev, STORMLOG_DEVICE_ID, &dev);
        if (device_id != CS_ALL_DEVICES && dev != device_id)
            continue;
        stormlog_event_int(ev, STORMLOG_ALLOCATOR_CHANGE_BYTES, &change);
        uint64_t ptr;
        bool has_ptr = meta_event_u64(ev, "ptr", &ptr);
        if (alloc) {
            cs_site probe;
            cs_event_site(t, ev, &probe);
            cs_site *site = site_get(&m, &probe);
            ok = site != NULL;
            if (ok) {
                site->total_bytes += change;
                site->total_allocations++;
            }
        }
        if (i >= stop)
            continue;
        if (!has_ptr) {
            v->untracked += alloc;
        } else if (alloc) {
            live_entry e = {ptr, dev, change, stormlog_event_timestamp_ns(ev), ev};
            ok = ok && live_put(&set, &e);
        } else {
            live_remove(&set, ptr, dev);
        }
    }
    if (ok && stop >= n)
        ok = count_live(&m, t, &set, v);
    if (stop > 0 && n > 0)
        v->timestamp_ns = stormlog_event_timestamp_ns(stormlog_session_event(s, (stop < n ? stop : n) - 1));
    live_free(&set);
    free(m.slot);
    v->sites = m.sites;
    v->site_count = m.count;
    if (!ok)
        return false;
    if (v->site_count > 1)
        qsort(v->sites, v->site_count, sizeof *v->sites, by_live_bytes);
    while (v->live_site_count < v->site_count && v->sites[v->live_site_count].allocations > 0)
        v->live_site_count++;
    return true;
}

void cs_view_rest(const cs_view *v, size_t from, int64_t *bytes, uint64_t *allocations)
{
    *bytes = 0;
    *allocations = 0;
    for (size_t i = from; i < v->live_site_count; i++) {
        *bytes += v->sites[i].bytes;
        *allocations += v->sites[i].allocations;
    }
}

void cs_view_free(cs_view *v)
{
    free(v->sites);
    memset(v, 0, sizeof *v);
}

/* ---- moments ------------------------------------------------------------- */

static bool counts_bytes(const char *type)
{
    return strcmp(type, "phase_enter") != 0 && strcmp(type, "phase_exit") != 0;
}

bool cs_moment_peak(const stormlog_session *s, int64_t *device, size_t *stop)
{
    size_t n = stormlog_session_event_count(s);
    int64_t want = *device, best = -1;
    for (size_t i = 0; i < n; i++) {
        const stormlog_event *ev = stormlog_session_event(s, i);
        int64_t dev = -1, allocated = 0;
        stormlog_event_int(ev, STORMLOG_DEVICE_ID, &dev);
        if ((want != CS_ALL_DEVICES && dev != want) || !counts_bytes(stormlog_event_type(ev)))
            continue;
        stormlog_event_int(ev, STORMLOG_ALLOCATOR_ALLOCATED_BYTES, &allocated);
        if (allocated > best) {
            best = allocated;
            *stop = i + 1;
            *device = dev;
        }
    }
    return best >= 0;
}

bool cs_moment_last_oom(const stormlog_session *s, int64_t device_id, size_t *index)
{
    for (size_t i = stormlog_session_event_count(s); i-- > 0;) {
        const stormlog_event *ev = stormlog_session_event(s, i);
        int64_t dev = -1;
        stormlog_event_int(ev, STORMLOG_DEVICE_ID, &dev);
        if ((device_id == CS_ALL_DEVICES || dev == device_id) && cs_event_is_oom(ev)) {
            *index = i;
            return true;
        }
    }
    return false;
}

size_t cs_moment_time(const stormlog_session *s, int64_t ns)
{
    size_t lo = 0, hi = stormlog_session_event_count(s);
    while (lo < hi) { /* events are sorted by time */
        size_t mid = lo + (hi - lo) / 2;
        if (stormlog_event_timestamp_ns(stormlog_session_event(s, mid)) <= ns)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
