/* Which session and which moment a call-site view is about, from the
 * command line (`stacks`, `export --format pprof`). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "callsite.h"

void cs_query_init(cs_query *q)
{
    memset(q, 0, sizeof *q);
    q->device = CS_ALL_DEVICES;
}

static bool parse_int(const char *text, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end)
        return false;
    *out = v;
    return true;
}

/* +1.5s, +200ms, +30us, +10ns -> nanoseconds. */
static bool parse_offset(const char *text, int64_t *ns)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || v < 0)
        return false;
    double scale = strcmp(end, "s") == 0 ? 1e9 : strcmp(end, "ms") == 0 ? 1e6 : strcmp(end, "us") == 0 ? 1e3
                                           : strcmp(end, "ns") == 0  ? 1
                                                                     : 0;
    if (scale == 0 || v * scale > 9.2e18)
        return false;
    *ns = (int64_t)(v * scale + 0.5);
    return true;
}

cli_arg_result cs_query_arg(cs_query *q, int argc, char **argv, int *i, char *problem, size_t cap)
{
    const char *arg = argv[*i];
    bool at = strcmp(arg, "--at") == 0, device = strcmp(arg, "--device") == 0, rank = strcmp(arg, "--rank") == 0,
         session = strcmp(arg, "--session") == 0;
    if (!at && !device && !rank && !session)
        return CLI_ARG_NOT_MINE;
    if (*i + 1 >= argc) {
        snprintf(problem, cap, "%s needs a value", arg);
        return CLI_ARG_BAD;
    }
    const char *value = argv[++*i];
    int64_t ignored;
    if (at && strcmp(value, "peak") != 0 && strcmp(value, "oom") != 0 && strcmp(value, "exit") != 0 &&
        !(value[0] == '+' && parse_offset(value + 1, &ignored)) && !parse_int(value, &ignored)) {
        snprintf(problem, cap, "--at takes peak, oom, exit, nanoseconds or +DURATION (+1.5s), not '%s'", value);
        return CLI_ARG_BAD;
    }
    if (at)
        q->at = value;
    else if (session)
        q->session_id = value;
    else if (device && (!parse_int(value, &q->device) || q->device == CS_ALL_DEVICES)) {
        snprintf(problem, cap, "--device takes a device number, not '%s'", value);
        return CLI_ARG_BAD;
    } else if (rank && !(q->has_rank = parse_int(value, &q->rank))) {
        snprintf(problem, cap, "--rank takes a rank number, not '%s'", value);
        return CLI_ARG_BAD;
    }
    return CLI_ARG_TAKEN;
}

static int64_t session_rank(const stormlog_session *s, bool *has)
{
    json_object *info = stormlog_session_summary_json(s), *v;
    int64_t rank = 0;
    *has = info && json_object_object_get_ex(info, "rank", &v) && json_object_is_type(v, json_type_int);
    if (*has)
        rank = json_object_get_int64(v);
    json_object_put(info);
    return rank;
}

static const stormlog_session *pick_session(const stormlog_recording *rec, const cs_query *q, char *problem,
                                            size_t cap)
{
    if (q->session_id) {
        stormlog_error *err = NULL;
        const stormlog_session *s = NULL;
        if (stormlog_recording_find_session(rec, q->session_id, &s, &err) != STORMLOG_OK)
            snprintf(problem, cap, "no session %s in the recording (`sessions` lists them)", q->session_id);
        stormlog_error_free(err);
        return s;
    }
    if (!q->has_rank) {
        const stormlog_session *s = stormlog_recording_default_session(rec);
        if (!s)
            snprintf(problem, cap, "no sessions in the recording");
        return s;
    }
    /* The loader's order: the most relevant session of the rank first. */
    for (size_t i = 0; i < stormlog_recording_session_count(rec); i++) {
        const stormlog_session *s = stormlog_recording_session(rec, i);
        bool has;
        int64_t rank = session_rank(s, &has);
        if (has && rank == q->rank)
            return s;
    }
    snprintf(problem, cap, "no session of rank %" PRId64 " in the recording", q->rank);
    return NULL;
}

static bool pick_moment(cs_moment *m, const cs_query *q, size_t *stop, int64_t *device, char *problem, size_t cap)
{
    const stormlog_session *s = m->session;
    const char *at = q->at ? q->at : "peak";
    const char *sid = stormlog_session_id(s);
    *device = q->device;
    if (strcmp(at, "peak") == 0) {
        m->at = "peak";
        if (cs_moment_peak(s, device, stop))
            return true;
        if (q->device == CS_ALL_DEVICES)
            snprintf(problem, cap, "session %s has no device events: no peak", sid);
        else
            snprintf(problem, cap, "device %" PRId64 " has no events in session %s", q->device, sid);
        return false;
    }
    if (strcmp(at, "oom") == 0) {
        m->at = "oom";
        size_t index;
        if (!cs_moment_last_oom(s, q->device, &index)) {
            if (q->device == CS_ALL_DEVICES)
                snprintf(problem, cap, "no out-of-memory error in session %s", sid);
            else
                snprintf(problem, cap, "no out-of-memory error on device %" PRId64 " in session %s", q->device, sid);
            return false;
        }
        for (size_t i = 0; i <= index; i++) {
            const stormlog_event *ev = stormlog_session_event(s, i);
            int64_t dev = -1;
            stormlog_event_int(ev, STORMLOG_DEVICE_ID, &dev);
            m->oom_count += (q->device == CS_ALL_DEVICES || dev == q->device) && cs_event_is_oom(ev);
        }
        m->failed = stormlog_session_event(s, index);
        cs_event_site(&m->table, m->failed, &m->failed_site);
        stormlog_event_int(m->failed, STORMLOG_DEVICE_ID, device);
        *stop = index;
        return true;
    }
    if (strcmp(at, "exit") == 0) {
        m->at = "exit";
        *stop = stormlog_session_event_count(s);
        return true;
    }
    int64_t ns, offset;
    if (at[0] == '+' && parse_offset(at + 1, &offset)) {
        size_t n = stormlog_session_event_count(s);
        int64_t t0 = n ? stormlog_event_timestamp_ns(stormlog_session_event(s, 0)) : 0;
        ns = t0 + offset;
    } else if (!parse_int(at, &ns)) {
        return false; /* cs_query_arg let nothing else through */
    }
    m->at = "time";
    *stop = cs_moment_time(s, ns);
    return true;
}

static bool has_stacks(const cs_table *t)
{
    return t->refs > 0 || t->table_full > 0;
}

bool cs_moment_build(cs_moment *m, const stormlog_recording *rec, const cs_query *q, char *problem, size_t cap)
{
    memset(m, 0, sizeof *m);
    m->session = pick_session(rec, q, problem, cap);
    if (!m->session)
        return false;
    m->rank = session_rank(m->session, &m->has_rank);
    if (!cs_table_build(&m->table, m->session)) {
        snprintf(problem, cap, "out of memory");
        return false;
    }
    if (!has_stacks(&m->table)) {
        snprintf(problem, cap,
                 "session %s has no call stacks: record it with STORMLOG_STACKS=all (or python, native; "
                 "docs/call-sites.md)",
                 stormlog_session_id(m->session));
        return false;
    }
    size_t stop = 0;
    int64_t device = CS_ALL_DEVICES;
    if (!pick_moment(m, q, &stop, &device, problem, cap))
        return false;
    m->sym = cs_symbolizer_new();
    if (!m->sym) {
        snprintf(problem, cap, "out of memory");
        return false;
    }
    cs_symbolize_table(m->sym, &m->table);
    if (!cs_view_build(&m->view, m->session, &m->table, device, stop)) {
        snprintf(problem, cap, "out of memory");
        return false;
    }
    if (m->failed)
        m->view.timestamp_ns = stormlog_event_timestamp_ns(m->failed);
    return true;
}

void cs_moment_free(cs_moment *m)
{
    cs_view_free(&m->view);
    cs_symbolizer_free(m->sym);
    cs_table_free(&m->table);
    memset(m, 0, sizeof *m);
}

void cs_moment_warn_unresolved(const cs_moment *m, const char *command)
{
    size_t n = m->sym ? cs_symbolizer_unusable_count(m->sym) : 0;
    for (size_t i = 0; i < n && i < 5; i++) {
        const char *why;
        const char *path = cs_symbolizer_unusable(m->sym, i, &why);
        cli_printf(stderr, "stormlog-inspect %s: note: %s: %s; its frames stay module+offset\n", command, path, why);
    }
    if (n > 5)
        cli_printf(stderr, "stormlog-inspect %s: note: %zu more modules without symbols\n", command, n - 5);
}
