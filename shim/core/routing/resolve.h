/* Finding the real runtime function behind each hook: lazily, once per
 * symbol, from any thread.
 *
 * 1. dlsym(RTLD_NEXT, name): the runtime is in the global scope (the program
 *    links it, or it was dlopen'ed RTLD_GLOBAL).
 * 2. Otherwise the runtime may have arrived as a dependency of something
 *    dlopen'ed RTLD_LOCAL (a Python extension, a framework plugin): its symbols
 *    are invisible to RTLD_NEXT. Walk the loaded objects (dl_iterate_phdr),
 *    take those whose file name says they are the runtime (libcudart.so*,
 *    libamdhip64.so*), get a handle with dlopen(path, RTLD_NOLOAD) and dlsym
 *    the name from it.
 *
 * A symbol that is found is cached until a dlclose unloads something
 * (unload.c): then every slot resolves again at its next use, since the
 * runtime may have gone and come back at another address. A hook's symbol that is not
 * found is not cached: the runtime may be loaded later, and the next call
 * tries again. A helper the shim calls from inside a hook (the runtime is
 * then known to be loaded) is remembered as absent. */
#ifndef STORMLOG_SHIM_RESOLVE_H
#define STORMLOG_SHIM_RESOLVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum sl_runtime {
    SL_RUNTIME_CUDA = 0, /* libcudart.so* */
    SL_RUNTIME_HIP,      /* libamdhip64.so* */
    SL_RUNTIME_CUDA_DRIVER, /* libcuda.so* (hooks_driver.c) */
    SL_RUNTIME_COUNT
} sl_runtime;

typedef struct sl_real_slot {
    const char *name;
    sl_runtime runtime;
    void *_Atomic fn; /* NULL until found; SL_SLOT_ABSENT once known missing */
    _Atomic unsigned generation; /* sl_unload_generation when fn was found */
} sl_real_slot;

/* Moves on each time a dlclose unloaded an object (unload.c). */
extern _Atomic unsigned sl_unload_generation __attribute__((visibility("hidden")));

/* Compares the loader's unload count with the last one seen (unload.c). */
void sl_unload_check(void) __attribute__((visibility("hidden")));

#define SL_REAL_SLOT_INIT(sym, rt) {#sym, rt, NULL, 0}
/* An optional helper (pool attributes, MemGetInfo) that a loaded runtime does
 * not export: remembered, so the slow path is not taken on every call. */
#define SL_SLOT_ABSENT ((void *)1)

void *sl_resolve_slow(sl_real_slot *slot, bool runtime_loaded) __attribute__((visibility("hidden")));

/* A found pointer from before the last unload is stale. */
static inline bool sl_slot_current(sl_real_slot *slot, void *fn)
{
    return fn != NULL
           && atomic_load_explicit(&slot->generation, memory_order_relaxed)
                  == atomic_load_explicit(&sl_unload_generation, memory_order_relaxed);
}

/* Remembers fn (handed out by the driver) as the real function behind slot
 * unless a current one is known. */
void sl_resolve_seed(sl_real_slot *slot, void *fn) __attribute__((visibility("hidden")));

/* The real function behind a hook, or NULL when no loaded object provides it. */
static inline void *sl_resolve(sl_real_slot *slot)
{
    void *fn = atomic_load_explicit(&slot->fn, memory_order_acquire);
    if (!sl_slot_current(slot, fn))
        fn = sl_resolve_slow(slot, false);
    return fn == SL_SLOT_ABSENT ? NULL : fn;
}

/* A hook's real function: the one a runtime-bound trampoline named for this
 * very hook (runtime_bind.h), else the slot's. The name check keeps a
 * trampoline's function from reaching another hook (a signal handler's call
 * between the trampoline and its hook). */
extern __thread void *sl_bound_real __attribute__((tls_model("initial-exec"), visibility("hidden")));
extern __thread const char *sl_bound_name __attribute__((tls_model("initial-exec"), visibility("hidden")));

static inline void *sl_resolve_bound(sl_real_slot *slot)
{
    void *bound = sl_bound_real;
    if (__builtin_expect(bound != NULL, 0)) {
        const char *name = sl_bound_name;
        sl_bound_real = NULL;
        if (name == slot->name || (name != NULL && __builtin_strcmp(name, slot->name) == 0))
            return bound;
    }
    return sl_resolve(slot);
}

/* A helper the shim itself calls from inside a hook, i.e. once the runtime
 * is known to be loaded: a miss is final. NULL when absent. */
static inline void *sl_resolve_helper(sl_real_slot *slot)
{
    void *fn = atomic_load_explicit(&slot->fn, memory_order_acquire);
    if (!sl_slot_current(slot, fn))
        fn = sl_resolve_slow(slot, true);
    return fn == SL_SLOT_ABSENT ? NULL : fn;
}

/* Resolve a libc function the shim also interposes (_exit). NULL if absent. */
void *sl_resolve_next(const char *name) __attribute__((visibility("hidden")));

/* pthread_atfork handlers (the lifecycle calls them in its own). */
void sl_resolve_atfork_prepare(void) __attribute__((visibility("hidden")));
void sl_resolve_atfork_parent(void) __attribute__((visibility("hidden")));
void sl_resolve_atfork_child(void) __attribute__((visibility("hidden")));

#endif
