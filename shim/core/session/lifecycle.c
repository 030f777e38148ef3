/* Session start and stop, exit paths and fork. State machine (one word):
 *
 *   IDLE --first event--> STARTING --pipeline up, start event out--> RUNNING
 *   RUNNING --exit/_exit--> STOPPED          STARTING --no sink--> FAILED
 *   any --fork child--> IDLE (a new session, only if the child allocates)
 *
 * session_lock serialises start, stop and fork (the prepare handler takes it
 * first), so a fork never copies a half-started or half-stopped session. Lock
 * order everywhere: session_lock, resolve lock, pointer-table shards, device
 * steps, pipeline. */
#include "lifecycle.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "accounting.h"
#include "clock.h"
#include "config.h"
#include "futex.h"
#include "guard.h"
#include "phase_stack.h"
#include "pipeline.h"
#include "resolve.h"
#include "signals.h"
#include "stacks.h"
#include "thread_context.h"
#include "wallclock.h"
#include "stormlog/schema/identity.h"

enum session_state { STATE_IDLE = 0, STATE_STARTING, STATE_RUNNING, STATE_STOPPED, STATE_FAILED };

static _Atomic int state = STATE_IDLE;
static pthread_mutex_t session_lock = PTHREAD_MUTEX_INITIALIZER;
static sl_session_info session;       /* written under session_lock before RUNNING */
static sl_collector session_collector; /* collector of the first event */
/* The process that owns the session. A vfork (or posix_spawn) child shares
 * our memory but runs no atfork handler, so its getpid() differs: it must not
 * touch the parent's session. */
static _Atomic pid_t owner_pid;

static void atfork_prepare(void);
static void atfork_parent(void);
static void atfork_child(void);

bool sl_lifecycle_recording(void)
{
    return atomic_load_explicit(&state, memory_order_acquire) == STATE_RUNNING;
}

const char *sl_lifecycle_session_id(void)
{
    return sl_lifecycle_recording() ? session.session_id : NULL;
}

/* ---- session start ------------------------------------------------------ */

static void register_process(void)
{
    atomic_store(&owner_pid, getpid());
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* From the constructor, or from the first hooked call if another library's
 * constructor allocates before ours has run. */
static void ensure_registered(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_process);
}

static void random_bytes(unsigned char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = getrandom(buf + got, len - got, GRND_NONBLOCK);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got == len)
        return;
    /* No entropy yet (early boot): clock and pid still make ids that differ
     * between processes, which is what the session id is for. */
    uint64_t x = (uint64_t)sl_realtime_ns() ^ ((uint64_t)getpid() << 32);
    for (size_t i = got; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (unsigned char)x;
    }
}

static void make_uuid_v4(char out[37])
{
    unsigned char b[16];
    random_bytes(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 0xf];
    }
    out[o] = '\0';
}

static const char *identity_getenv(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

/* MPICH's Hydra and Intel MPI name a process's rank only as PMI_RANK /
 * PMI_SIZE (and MPI_LOCALRANKID). telemetry-v3.md's groups do not read them,
 * so every rank of such a job would record as rank 0 of 1. The shim goes
 * further, without changing what the spec decides: where none of the spec's
 * groups is complete, those three are read as RANK / WORLD_SIZE / LOCAL_RANK,
 * through the same parsing and checks. */
static bool spec_rank_group_present(void)
{
    static const char *const groups[][2] = {
        {"RANK", "WORLD_SIZE"},
        {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
        {"SLURM_PROCID", "SLURM_NTASKS"},
    };
    for (size_t i = 0; i < sizeof groups / sizeof *groups; i++)
        if (getenv(groups[i][0]) != NULL && getenv(groups[i][1]) != NULL)
            return true;
    return false;
}

static const char *pmi_identity_getenv(const char *name, void *ctx)
{
    (void)ctx;
    if (strcmp(name, "RANK") == 0)
        return getenv("PMI_RANK");
    if (strcmp(name, "WORLD_SIZE") == 0)
        return getenv("PMI_SIZE");
    if (strcmp(name, "LOCAL_RANK") == 0)
        return getenv("MPI_LOCALRANKID");
    return getenv(name); /* the job id variables */
}

/* rank/local_rank/world_size/job_id by the rules of telemetry-v3.md; a bad
 * environment leaves the defaults (with one stderr line). */
static void resolve_identity(sl_session_info *s)
{
    s->rank = 0;
    s->local_rank = 0;
    s->world_size = 1;
    s->has_job_id = false;
    sl_value explicit_values[SL_ID_COUNT];
    for (int i = 0; i < SL_ID_COUNT; i++)
        explicit_values[i] = sl_value_absent();
    /* STORMLOG_JOB_ID (set by stormlog-run from the launcher, so that every
     * rank names the same job directory) comes before the environment
     * rules; blank counts as unset, surrounding whitespace is not kept. */
    const char *job = getenv("STORMLOG_JOB_ID");
    while (job && (*job == ' ' || *job == '\t' || *job == '\n' || *job == '\r' || *job == '\f' || *job == '\v'))
        job++;
    size_t job_len = job ? strlen(job) : 0;
    while (job_len > 0 && strchr(" \t\n\r\f\v", job[job_len - 1]) != NULL)
        job_len--;
    /* The job id names a directory: a '/' in it would be rewritten behind
     * the user's back, so it is refused and said. */
    if (job_len > 0 && memchr(job, '/', job_len) != NULL) {
        sl_config_warn("STORMLOG_JOB_ID='%.64s' contains '/', which a job directory name cannot; not used", job);
        job_len = 0;
    }
    if (job_len > 0)
        explicit_values[SL_ID_JOB_ID] = sl_value_strn(job, job_len);
    sl_getenv_fn from_env = identity_getenv;
    if (!spec_rank_group_present() && getenv("PMI_RANK") != NULL && getenv("PMI_SIZE") != NULL)
        from_env = pmi_identity_getenv;
    sl_identity id;
    sl_error err;
    if (!sl_identity_resolve(explicit_values, NULL, from_env, NULL, &id, &err)) {
        sl_config_warn("distributed identity from the environment ignored: %s", err.message);
        return;
    }
    s->rank = id.rank;
    s->local_rank = id.local_rank;
    s->world_size = id.world_size;
    if (id.job_id != NULL && id.job_id_len < sizeof s->job_id) {
        memcpy(s->job_id, id.job_id, id.job_id_len);
        s->job_id[id.job_id_len] = '\0';
        s->has_job_id = true;
    } else if (id.job_id != NULL) {
        sl_config_warn("job id longer than %zu bytes ignored", sizeof s->job_id - 1);
    }
}

static void fill_session(sl_session_info *s)
{
    memset(s, 0, sizeof *s);
    make_uuid_v4(s->session_id);
    if (gethostname(s->host, sizeof s->host - 1) != 0 || s->host[0] == '\0')
        snprintf(s->host, sizeof s->host, "unknown");
    s->pid = getpid();
    resolve_identity(s);
    s->sampling_interval_ms = sl_config()->sampling_interval_ms;
}

/* The handler of a closing signal waits for the stop (itself bounded by the
 * shutdown deadline) this much longer before the process dies anyway. */
#define SIGNAL_WAIT_MARGIN_MS 500

/* The writer's background task (pipeline.h): the closing thread is started
 * there, once per session, rather than on the program's thread that made
 * the first call (signals.c); then the wall clock's calibration. */
static _Atomic bool closer_due;

static int64_t writer_background_tick(void)
{
    if (atomic_exchange(&closer_due, false))
        sl_signals_start_closer();
    return sl_wallclock_background_tick();
}

/* Under session_lock, state STARTING: other threads wait for the start
 * event, which must be the first line of the session. */
static void start_session(sl_collector collector)
{
    const sl_shim_config *cfg = sl_config();
    int saved_errno = errno;
    /* The process that records says what was wrong with its settings;
     * the shells and wrappers around it, which load the shim too, do not. */
    sl_config_say_warnings();
    fill_session(&session);
    session_collector = collector;
    sl_lifetime_set_books(sl_account_lifetime_books);
    sl_pipeline_set_process_label(cfg->has_context ? cfg->context : NULL); /* one ring slot per event still */
    atomic_store(&closer_due, true);
    sl_pipeline_set_background_task(writer_background_tick); /* off this thread */
    sl_pipeline_set_annotator(sl_stacks_definition);
    sl_stacks_say_problems(sl_config_warn);
    if (!sl_pipeline_start(&session, &cfg->pipeline)) {
        atomic_store_explicit(&state, STATE_FAILED, memory_order_release);
        sl_futex_wake((_Atomic uint32_t *)&state, INT_MAX);
        errno = saved_errno;
        return;
    }
    sl_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SL_EVENT_START;
    ev.collector = (uint8_t)collector;
    ev.device_id = SL_HOST_DEVICE;
    sl_event_set_context(&ev, cfg->has_context ? cfg->context : program_invocation_name);
    sl_event_meta_str(&ev, "shim_version", STORMLOG_SHIM_VERSION);
    sl_event_meta_int(&ev, "thread_id", sl_thread_id());
    sl_account_emit_marker(&ev);
    atomic_store_explicit(&state, STATE_RUNNING, memory_order_release);
    sl_futex_wake((_Atomic uint32_t *)&state, INT_MAX);
    sl_signals_arm(cfg->pipeline.shutdown_deadline_ms + SIGNAL_WAIT_MARGIN_MS);
    errno = saved_errno;
}

bool sl_lifecycle_begin_event(sl_collector collector)
{
    for (;;) {
        int s = atomic_load_explicit(&state, memory_order_acquire);
        if (s == STATE_RUNNING)
            return true;
        if (s == STATE_STOPPED || s == STATE_FAILED)
            return false;
        if (s == STATE_STARTING) {
            /* The start takes microseconds (the writer does the slow part):
             * sleep on the state word until the starter wakes us, rather
             * than spin and lose our turn to the program's busy threads. The
             * timeout is a safety net, not a poll. */
            sl_futex_wait((_Atomic uint32_t *)&state, STATE_STARTING, 1000000);
            continue;
        }
        /* IDLE: this thread starts the session, unless another beat it. */
        ensure_registered();
        pthread_mutex_lock(&session_lock);
        int expected = STATE_IDLE;
        if (atomic_compare_exchange_strong(&state, &expected, STATE_STARTING))
            start_session(collector);
        pthread_mutex_unlock(&session_lock);
    }
}

/* ---- session stop --------------------------------------------------------- */

static void stop_session(const char *exit_path, int signo)
{
    if (atomic_load(&owner_pid) != getpid())
        return; /* a vfork child: the session is the parent's */
    int saved_errno = errno;
    pthread_mutex_lock(&session_lock);
    int expected = STATE_RUNNING;
    bool was_running = atomic_compare_exchange_strong(&state, &expected, STATE_STOPPED);
    if (!was_running && expected == STATE_IDLE)
        atomic_store(&state, STATE_STOPPED); /* nothing recorded; nothing to write */
    if (was_running) {
        /* No thread is inside a device step any more, and none can claim a
         * ring slot from now on: the stop event is the last line. */
        sl_account_quiesce();
        sl_event ev;
        memset(&ev, 0, sizeof ev);
        ev.type = SL_EVENT_STOP;
        ev.collector = (uint8_t)session_collector;
        ev.device_id = SL_HOST_DEVICE;
        sl_thread_apply_context(&ev);
        sl_event_meta_str(&ev, "exit_path", exit_path);
        if (signo != 0)
            sl_event_meta_int(&ev, "signal", signo);
        sl_phase_note_counters(&ev);
        sl_account_stamp_marker(&ev);
        const sl_member *summary = NULL;
        size_t summary_count = sl_account_summary(&summary);
        sl_pipeline_stop(&ev, summary, summary_count);
    }
    pthread_mutex_unlock(&session_lock);
    errno = saved_errno;
}

void sl_lifecycle_sync_to_disk(void)
{
    if (sl_config()->disabled || atomic_load(&owner_pid) != getpid() || !sl_lifecycle_recording())
        return;
    sl_pipeline_sync(sl_config()->pipeline.shutdown_deadline_ms);
}

void sl_lifecycle_close_on_signal(int signo)
{
    if (!sl_config()->disabled)
        stop_session("signal", signo);
}

/* ---- fork ------------------------------------------------------------------ */

static void atfork_prepare(void)
{
    pthread_mutex_lock(&session_lock);
    sl_resolve_atfork_prepare();
    sl_account_atfork_prepare();
    sl_pipeline_atfork_prepare();
}

static void atfork_parent(void)
{
    sl_pipeline_atfork_parent();
    sl_account_atfork_parent();
    sl_resolve_atfork_parent();
    pthread_mutex_unlock(&session_lock);
}

static void atfork_child(void)
{
    sl_pipeline_atfork_child();
    sl_account_atfork_child();
    sl_resolve_atfork_child();
    sl_wallclock_atfork_child();
    sl_signals_atfork_child();
    pthread_mutex_init(&session_lock, NULL);
    sl_thread_atfork_child();
    atomic_store(&owner_pid, getpid());
    /* A session of the child's own starts at its first event. A parent that
     * had stopped (fork from an atexit handler) leaves a child that stays
     * silent too. */
    int s = atomic_load(&state);
    atomic_store(&state, s == STATE_STOPPED ? STATE_STOPPED : STATE_IDLE);
}

/* ---- load / unload, exit paths -------------------------------------------- */

__attribute__((constructor)) static void shim_load(void)
{
    const sl_shim_config *cfg = sl_config();
    if (cfg->disabled)
        return;
    ensure_registered();
    /* Here, under the loader's lock already: what stacks need from the
     * dynamic loader (dlsym, the unwinder's dlopen) is never asked in a hook. */
    sl_stacks_load();
    if (cfg->record_idle)
        sl_lifecycle_begin_event(SL_COLLECTOR_CUDA);
}

__attribute__((destructor)) static void shim_unload(void)
{
    if (!sl_config()->disabled)
        stop_session("exit", 0);
}

typedef void (*exit_fn)(int) __attribute__((noreturn));

static __attribute__((noreturn)) void leave_now(const char *name, int status)
{
    exit_fn real = (exit_fn)sl_resolve_next(name);
    if (real != NULL)
        real(status);
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}

/* _exit skips atexit handlers and destructors; Python's os._exit and every
 * multiprocessing fork child leave this way, so the session is closed here. */
__attribute__((visibility("default"), noreturn)) void _exit(int status)
{
    if (!sl_config()->disabled)
        stop_session("_exit", 0);
    leave_now("_exit", status);
}

__attribute__((visibility("default"), noreturn)) void _Exit(int status)
{
    if (!sl_config()->disabled)
        stop_session("_Exit", 0);
    leave_now("_Exit", status);
}
