/* Steps 1 and the pass-through half of step 2 of a runtime or HIP wrapper
 * (hooks_cuda.c says what the steps are): the real function (the one a
 * dlsym'ed library bound, else the slot's); the runtime's "not initialised"
 * code when no loaded object has it; the call itself, untouched, when the
 * shim is disabled or the call is nested in another hook. Declares `real`.
 * The driver's wrappers have their own (hooks_driver.c: a nested driver call
 * names itself to the outer hook). */
#ifndef STORMLOG_SHIM_PROLOGUE_H
#define STORMLOG_SHIM_PROLOGUE_H

#include "api.h"
#include "config.h"
#include "guard.h"
#include "resolve.h"

#define SL_HOOK_PROLOGUE(sym, not_loaded, ...)                                   \
    __typeof__(&sym) real = (__typeof__(&sym))sl_resolve_bound(SL_HOOK_SLOT(sym)); \
    if (real == NULL)                                                            \
        return not_loaded;                                                       \
    if (sl_config()->disabled || !sl_hook_enter())                              \
    return real(__VA_ARGS__)

#endif
