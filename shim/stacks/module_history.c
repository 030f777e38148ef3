/* module_history.h says why. State: the generation counter and one copy
 * per generation, both moved only by the dlclose hook, before the real
 * dlclose: the copy is published first, then the generation moves on, then
 * the module may go. So a writer that finds a stack's generation ended
 * always finds its copy, and a stack of the current generation has every
 * module it ran in still loaded. A dlclose that unloads nothing ends a
 * generation too (nobody can know beforehand); its copy is the previous
 * one when the loader's load/unload counters did not move, so only real
 * changes cost memory. At most HISTORY_MAX generations are kept; after
 * that, stacks are resolved against the loaded modules as they are when the
 * writer names them (modules unloaded since are missing, docs/shim.md). */
#include "module_history.h"

#include <link.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "stacks.h"

#define HISTORY_MAX 4096u /* generations; 32 KiB of pointers, touched as used */

typedef struct kept_module {
    uint64_t bias;
    uint64_t lo, hi; /* the span of its PT_LOAD segments */
    char *name;
    char build_id[SL_BUILD_ID_HEX_MAX];
} kept_module;

typedef struct module_copy {
    unsigned long long adds, subs; /* the loader's counters when it was taken */
    size_t n, cap;
    kept_module *modules;
} module_copy;

static _Atomic uint32_t generation;
static const module_copy *_Atomic history[HISTORY_MAX];
static const module_copy *_Atomic newest; /* reused while the counters stand */

uint32_t sl_module_history_generation(void)
{
    return atomic_load_explicit(&generation, memory_order_relaxed) & SL_MODULE_GEN_MASK;
}

static void copy_free(module_copy *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->modules[i].name);
    free(c->modules);
    free(c);
}

static int keep_one(struct dl_phdr_info *info, size_t size, void *data)
{
    module_copy *c = data;
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
        c->adds = info->dlpi_adds;
        c->subs = info->dlpi_subs;
    }
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        if (p->p_type != PT_LOAD)
            continue;
        uint64_t a = info->dlpi_addr + p->p_vaddr;
        if (a < lo)
            lo = a;
        if (a + p->p_memsz > hi)
            hi = a + p->p_memsz;
    }
    if (lo >= hi)
        return 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        kept_module *m = realloc(c->modules, cap * sizeof *m);
        if (!m)
            return 1; /* out of memory: the copy is dropped by the caller */
        c->modules = m;
        c->cap = cap;
    }
    kept_module *k = &c->modules[c->n];
    k->bias = info->dlpi_addr;
    k->lo = lo;
    k->hi = hi;
    sl_modules_describe(info, &k->name, k->build_id);
    if (k->name == NULL)
        return 1;
    c->n++;
    return 0;
}

static int read_counters(struct dl_phdr_info *info, size_t size, void *data)
{
    unsigned long long *c = data;
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
        c[0] = info->dlpi_adds;
        c[1] = info->dlpi_subs;
    }
    return 1;
}

void sl_module_history_before_dlclose(void)
{
    if (!(sl_stacks_active & SL_STACKS_NATIVE))
        return;
    uint32_t g = atomic_load_explicit(&generation, memory_order_acquire);
    if (g >= HISTORY_MAX)
        return;
    /* The program is in dlclose, which takes the loader's locks itself:
     * these add no lock it does not already wait for. */
    unsigned long long counters[2] = {0, 0};
    dl_iterate_phdr(read_counters, counters);
    const module_copy *copy = atomic_load_explicit(&newest, memory_order_acquire);
    if (!copy || copy->adds != counters[0] || copy->subs != counters[1]) {
        module_copy *c = calloc(1, sizeof *c);
        if (c && dl_iterate_phdr(keep_one, c) != 0) {
            copy_free(c);
            c = NULL;
        }
        if (!c)
            return; /* out of memory: the generation does not end, its frames are looked up live */
        copy = c;
        atomic_store_explicit(&newest, copy, memory_order_release);
    }
    const module_copy *none = NULL;
    /* Another thread's dlclose may have recorded generation g a moment
     * ago: either copy is the module list of g, and only one moves it on. */
    if (atomic_compare_exchange_strong_explicit(&history[g], &none, copy, memory_order_acq_rel,
                                                memory_order_acquire))
        atomic_fetch_add_explicit(&generation, 1, memory_order_acq_rel);
}

static void resolve_in_copy(const module_copy *c, sl_module_frame *frames, size_t n)
{
    for (size_t f = 0; f < n; f++) {
        sl_module_frame *fr = &frames[f];
        fr->found = false;
        for (size_t i = 0; c && i < c->n; i++) {
            const kept_module *k = &c->modules[i];
            if (fr->address - 1 < k->lo || fr->address - 1 >= k->hi)
                continue;
            sl_modules_fill(fr, k->name, k->build_id, k->bias);
            break;
        }
    }
}

void sl_module_history_resolve(uint32_t gen, sl_module_frame *frames, size_t n)
{
    uint32_t now = atomic_load_explicit(&generation, memory_order_acquire);
    if (gen == (now & SL_MODULE_GEN_MASK)) {
        sl_modules_resolve(frames, n);
        /* A dlclose that began meanwhile may have unloaded a module before
         * the walk reached it; it moved the generation on first, and the
         * loader's lock, which the walk and the unload both take, makes
         * that visible here. Then the copy it published says it. */
        uint32_t after = atomic_load_explicit(&generation, memory_order_acquire);
        if (after == now)
            return;
        now = after;
    }
    /* Copies are kept for the first HISTORY_MAX generations only, so a
     * generation number that wrapped around 2^24 never reaches one. */
    const module_copy *c = gen < HISTORY_MAX && gen < now ? atomic_load_explicit(&history[gen], memory_order_acquire)
                                                          : NULL;
    resolve_in_copy(c, frames, n);
}
