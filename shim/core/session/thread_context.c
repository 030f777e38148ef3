/* See thread_context.h. */
#include "thread_context.h"

#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "phase_stack.h"

static __thread int64_t cached_thread_id __attribute__((tls_model("initial-exec")));

int64_t sl_thread_id(void)
{
    if (cached_thread_id == 0)
        cached_thread_id = (int64_t)syscall(SYS_gettid);
    return cached_thread_id;
}

void sl_thread_atfork_child(void)
{
    cached_thread_id = 0;
}

void sl_thread_apply_context(sl_event *ev)
{
    /* The thread's open NVTX phases say more than a fixed label. */
    if (sl_phase_apply_context(ev))
        return;
    const sl_shim_config *cfg = sl_config();
    if (cfg->has_context)
        sl_event_set_context_ref(ev, cfg->context); /* kept once, not copied per event */
}
