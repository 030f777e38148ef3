/* Capture on the allocating thread: native frames, Python frames, into the
 * thread's scratch page, then interned. See stacks.h. */
#include "stacks.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "capture_native.h"
#include "capture_python.h"
#include "module_history.h"
#include "stack_blob.h"
#include "stack_table.h"
#include "stacks_config.h"

/* Room for SL_STACKS_DEPTH_MAX frames of each kind at their largest. */
#define SCRATCH_BYTES                                                                                                 \
    (SL_BLOB_HEADER + 8u * SL_STACKS_DEPTH_MAX + SL_STACKS_DEPTH_MAX * (SL_BLOB_PY_FRAME_HEADER + 2u * SL_BLOB_NAME_MAX))

int sl_stacks_active;
static sl_stacks_mode configured_mode;
static unsigned depth_limit;
static _Atomic uint64_t truncated_stacks;
static char problem[512]; /* bad settings, what load turned off: said when the session starts */

/* The thread's capture buffer: mapped at its first capture (not on every
 * one), unmapped when the thread ends. The table copies what it keeps. */
static __thread unsigned char *scratch __attribute__((tls_model("initial-exec")));
static pthread_key_t scratch_key;
static bool scratch_key_made;

static void drop_scratch(void *p)
{
    munmap(p, SCRATCH_BYTES);
}

static unsigned char *thread_scratch(void)
{
    if (scratch != NULL)
        return scratch;
    void *p = mmap(NULL, SCRATCH_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    if (scratch_key_made)
        pthread_setspecific(scratch_key, p);
    scratch = p;
    return scratch;
}

static void note_problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note_problem(const char *fmt, ...)
{
    size_t used = strnlen(problem, sizeof problem);
    if (used + 2 >= sizeof problem)
        return;
    if (used > 0)
        problem[used++] = '\n';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem + used, sizeof problem - used, fmt, ap);
    va_end(ap);
}

void sl_stacks_load(void)
{
    sl_stacks_config cfg;
    problem[0] = '\0';
    sl_stacks_config_read(&cfg, note_problem);
    configured_mode = cfg.mode;
    if (cfg.mode == SL_STACKS_OFF)
        return;
    depth_limit = cfg.depth;
    unsigned table_max = cfg.table_max;
    int active = (int)cfg.mode;
    if (active & SL_STACKS_PYTHON) {
        const char *version = NULL;
        if (sl_python_load(&version) == SL_PYTHON_UNSUPPORTED) {
            note_problem("STORMLOG_STACKS: Python %.16s is not one whose frames the shim can read (3.10 to 3.13): "
                         "no Python frames",
                         version ? version : "(unknown version)");
            active &= ~SL_STACKS_PYTHON;
        }
    }
    if ((active & SL_STACKS_NATIVE) && !sl_native_load()) {
        note_problem("STORMLOG_STACKS: this C library's unwinder would take the dynamic loader's lock "
                     "(glibc before 2.35), or backtrace() returns nothing: no native frames");
        active &= ~SL_STACKS_NATIVE;
    }
    if (active && !sl_stack_table_init(table_max)) {
        note_problem("STORMLOG_STACKS: no memory for a table of %u stacks: no call stacks", table_max);
        active = 0;
    }
    if (active && !scratch_key_made) {
        scratch_key_made = pthread_key_create(&scratch_key, drop_scratch) == 0;
        pthread_atfork(NULL, NULL, sl_stacks_forget_segments);
    }
    sl_stacks_active = active;
}

void sl_stacks_say_problems(void (*warn)(const char *fmt, ...))
{
    /* Once per process, a fork child of one that said them included. One
     * line each (note_problem separates them with a newline). */
    static _Atomic bool said;
    if (atomic_exchange(&said, true))
        return;
    for (const char *line = problem; *line;) {
        const char *end = strchr(line, '\n');
        int len = end ? (int)(end - line) : (int)strlen(line);
        warn("%.*s", len, line);
        line += len + (end != NULL);
    }
}

void sl_stacks_tag(sl_event *ev)
{
    int mode = sl_stacks_active;
    unsigned char *b = thread_scratch();
    if (b == NULL) {
        sl_event_meta_str(ev, SL_STACK_STATUS_KEY, "table_full");
        return;
    }
    sl_blob_header h = {0, 0, 0, 0};
    size_t len = SL_BLOB_HEADER;
    bool cut = false;
    if (mode & SL_STACKS_NATIVE) {
        bool native_cut;
        h.native = (uint16_t)sl_native_capture((uint64_t *)(void *)(b + len), depth_limit, &native_cut);
        h.generation = sl_module_history_generation();
        len += 8u * h.native;
        cut |= native_cut;
    }
    if (mode & SL_STACKS_PYTHON) {
        unsigned frames;
        bool python_cut;
        len += sl_python_capture(b + len, SCRATCH_BYTES - len, depth_limit, &frames, &python_cut);
        h.python = (uint16_t)frames;
        cut |= python_cut;
    }
    if (h.native == 0 && h.python == 0)
        return; /* nothing to name: the record goes without a stack */
    h.flags = cut ? SL_BLOB_TRUNCATED : 0;
    sl_blob_put_header(b, &h);
    uint32_t id;
    bool added;
    if (sl_stack_table_intern(b, len, &id, &added) == SL_INTERN_FULL) {
        sl_event_meta_str(ev, SL_STACK_STATUS_KEY, "table_full");
        return;
    }
    if (added && cut)
        atomic_fetch_add_explicit(&truncated_stacks, 1, memory_order_relaxed);
    sl_event_meta_int(ev, SL_STACK_ID_KEY, id);
}

static const char *mode_name(sl_stacks_mode m)
{
    switch (m) {
    case SL_STACKS_PYTHON:
        return "python";
    case SL_STACKS_NATIVE:
        return "native";
    case SL_STACKS_ALL:
        return "all";
    case SL_STACKS_OFF:
    default:
        return "off";
    }
}

sl_member sl_stacks_summary(void)
{
    static sl_member fields[4];
    fields[0] = sl_member_of("mode", sl_value_str(mode_name(configured_mode)));
    fields[1] = sl_member_of("interned", sl_value_int((int64_t)sl_stack_table_interned()));
    fields[2] = sl_member_of("table_full", sl_value_int((int64_t)sl_stack_table_full_count()));
    fields[3] = sl_member_of("truncated",
                             sl_value_int((int64_t)atomic_load_explicit(&truncated_stacks, memory_order_relaxed)));
    return sl_member_of("stacks", sl_value_object(fields, 4));
}
