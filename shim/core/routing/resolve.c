/* See resolve.h for the two lookup paths and why the second exists. */
#include "resolve.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

/* Serialises slow-path lookups so each symbol is looked up once, not once per
 * racing thread; the fast path never touches it. Held across dlsym/dlopen,
 * which is why fork re-initialises it in the child (atfork below). */
static pthread_mutex_t resolve_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const runtime_prefix[SL_RUNTIME_COUNT] = {
    [SL_RUNTIME_CUDA] = "libcudart.so",
    [SL_RUNTIME_HIP] = "libamdhip64.so",
    [SL_RUNTIME_CUDA_DRIVER] = "libcuda.so",
};

/* An address inside this shared object: a candidate that points back into
 * the shim is our own hook, never the real function. */
static bool is_inside_shim(void *addr)
{
    Dl_info mine, theirs;
    if (!dladdr((void *)&is_inside_shim, &mine) || !dladdr(addr, &theirs))
        return false;
    return mine.dli_fbase == theirs.dli_fbase;
}

#define MAX_CANDIDATES 8
#define MAX_PATH_LEN 1024

typedef struct candidate_list {
    const char *prefix;
    size_t count;
    char path[MAX_CANDIDATES][MAX_PATH_LEN];
} candidate_list;

static int collect_runtime_objects(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    candidate_list *list = arg;
    const char *path = info->dlpi_name;
    if (path == NULL || path[0] == '\0' || list->count == MAX_CANDIDATES)
        return 0;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strncmp(base, list->prefix, strlen(list->prefix)) != 0)
        return 0;
    size_t len = strlen(path);
    if (len >= MAX_PATH_LEN)
        return 0;
    memcpy(list->path[list->count++], path, len + 1);
    return 0;
}

/* Path 2: the runtime is loaded, but not where RTLD_NEXT looks. dlopen is
 * called outside dl_iterate_phdr's callback, where glibc holds its own lock. */
static void *find_in_loaded_runtime(const sl_real_slot *slot)
{
    static candidate_list list; /* under resolve_lock; too big for a small thread stack */
    list.prefix = runtime_prefix[slot->runtime];
    list.count = 0;
    dl_iterate_phdr(collect_runtime_objects, &list);
    for (size_t i = 0; i < list.count; i++) {
        void *handle = dlopen(list.path[i], RTLD_LAZY | RTLD_NOLOAD);
        if (handle == NULL)
            continue;
        void *fn = dlsym(handle, slot->name);
        /* The runtime stays loaded through its other references; NOLOAD only
         * added one. */
        dlclose(handle);
        if (fn != NULL && !is_inside_shim(fn))
            return fn;
    }
    return NULL;
}

/* errno is saved around the lookup: dlopen and dlsym may set it, and the
 * application must see only what the real call leaves. */
void *sl_resolve_slow(sl_real_slot *slot, bool runtime_loaded)
{
    int saved_errno = errno;
    pthread_mutex_lock(&resolve_lock);
    unsigned generation = atomic_load_explicit(&sl_unload_generation, memory_order_acquire);
    void *fn = atomic_load_explicit(&slot->fn, memory_order_acquire);
    if (fn != NULL && atomic_load_explicit(&slot->generation, memory_order_relaxed) != generation)
        fn = NULL; /* found before an unload: look again */
    if (fn == NULL) {
        fn = dlsym(RTLD_NEXT, slot->name);
        if (fn != NULL && is_inside_shim(fn))
            fn = NULL;
        if (fn == NULL)
            fn = find_in_loaded_runtime(slot);
        if (fn == NULL && runtime_loaded)
            fn = SL_SLOT_ABSENT;
        if (fn != NULL) {
            atomic_store_explicit(&slot->generation, generation, memory_order_relaxed);
            atomic_store_explicit(&slot->fn, fn, memory_order_release);
        }
    }
    pthread_mutex_unlock(&resolve_lock);
    errno = saved_errno;
    return fn;
}

/* Lock-free: the dlsym hook calls it. A reader that sees the new pointer
 * with the old generation only takes the slow path once more. */
void sl_resolve_seed(sl_real_slot *slot, void *fn)
{
    for (;;) {
        unsigned generation = atomic_load_explicit(&sl_unload_generation, memory_order_acquire);
        void *known = atomic_load_explicit(&slot->fn, memory_order_acquire);
        if (known != NULL && known != SL_SLOT_ABSENT
            && atomic_load_explicit(&slot->generation, memory_order_relaxed) == generation)
            return;
        if (atomic_compare_exchange_weak_explicit(&slot->fn, &known, fn, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            atomic_store_explicit(&slot->generation, generation, memory_order_relaxed);
            return;
        }
    }
}

void *sl_resolve_next(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

void sl_resolve_atfork_prepare(void)
{
    pthread_mutex_lock(&resolve_lock);
}

void sl_resolve_atfork_parent(void)
{
    pthread_mutex_unlock(&resolve_lock);
}

void sl_resolve_atfork_child(void)
{
    pthread_mutex_init(&resolve_lock, NULL);
}
