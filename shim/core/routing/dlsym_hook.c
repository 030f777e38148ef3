/* The dlsym hook: JAX/XLA, CuPy and others dlopen libcuda.so.1 and take
 * cuMemAlloc_v2 & co. with dlsym(handle, ...); the CUDA runtime takes
 * cuGetProcAddress the same way. Neither goes through the PLT, so without
 * this hook the shim would see none of their allocations.
 *
 * Interposing dlsym is where profilers break programs; this one is built
 * against the known failures:
 *   - glibc's dlsym looks at its caller's return address (RTLD_NEXT means
 *     "after the caller's object"). Every lookup we do not track therefore
 *     leaves through a tail jump (the assembly stub below), so glibc sees the
 *     original caller and RTLD_NEXT, dlerror() and errno behave exactly as if
 *     the shim were not there.
 *   - Only the exact names of the driver variants we wrap are tracked (never
 *     a prefix: cuDNN, cuBLAS, curl_* and cuMemAlloc_v2x pass untouched).
 *   - The real dlsym comes from dlvsym(RTLD_NEXT, "dlsym", <glibc version>),
 *     which is not hooked: no recursion through a fallback lookup.
 *   - No lock, no allocation, no initialisation, no sanitiser instrumentation
 *     on the path every lookup takes: it works in a constructor that runs
 *     before ours, inside a sanitiser's own start-up, and when an OpenMP
 *     runtime probes symbols while holding its locks.
 *   - A tracked lookup made by the shim itself (resolve.c finding the real
 *     driver function) gets the real pointer, never our wrapper.
 *   - A failed lookup returns NULL and is not remembered: the next one, after
 *     libcuda is loaded, succeeds.
 * dlopen is deliberately not wrapped: glibc resolves $ORIGIN and RUNPATH of
 * dlopen's caller, and a wrapper would make every library's own lookups
 * relative to the shim. */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "driver_hooks.h"
#include "runtime_bind.h"
#include "uninstrumented.h"


typedef void *(*dlsym_fn)(void *, const char *);

void *sl_dlsym_route(void *handle, const char *symbol) __attribute__((visibility("hidden")));
void *sl_dlsym_tracked(void *handle, const char *symbol) __attribute__((visibility("hidden")));
void *sl_dlsym_runtime(void *handle, const char *symbol) __attribute__((visibility("hidden")));

static _Atomic(dlsym_fn) real_dlsym;

/* What dlsym returns when glibc's own cannot be found (never seen on glibc,
 * where one of the versions below always exists). */
static void *no_dlsym(void *handle, const char *symbol)
{
    (void)handle;
    (void)symbol;
    return NULL;
}

/* glibc 2.34 moved dlsym into libc (GLIBC_2.34); before, libdl had it as
 * GLIBC_2.2.5 (x86_64) or GLIBC_2.17 (aarch64). Racing first calls store the
 * same value. */
static SL_UNINSTRUMENTED dlsym_fn glibc_dlsym(void)
{
    dlsym_fn fn = atomic_load_explicit(&real_dlsym, memory_order_acquire);
    if (fn != NULL)
        return fn;
    static const char *const versions[] = {"GLIBC_2.34", "GLIBC_2.2.5", "GLIBC_2.17"};
    int saved_errno = errno;
    for (size_t i = 0; i < sizeof versions / sizeof versions[0] && fn == NULL; i++)
        fn = (dlsym_fn)dlvsym(RTLD_NEXT, "dlsym", versions[i]);
    errno = saved_errno;
    if (fn == NULL)
        return no_dlsym;
    atomic_store_explicit(&real_dlsym, fn, memory_order_release);
    return fn;
}

/* Called by the stub with dlsym's arguments: where to jump with them. */
SL_UNINSTRUMENTED void *sl_dlsym_route(void *handle, const char *symbol)
{
    /* Every tracked name starts "cuMem" or "cuGet" (driver), "cuda" or "hip"
     * (runtime): most others leave at once. */
    if (symbol == NULL)
        return (void *)glibc_dlsym();
    if (symbol[0] == 'c' && symbol[1] == 'u' && (symbol[2] == 'M' || symbol[2] == 'G')
        && sl_driver_variant_named(symbol) != NULL)
        return (void *)sl_dlsym_tracked;
    /* RTLD_NEXT is relative to the caller, which only glibc's own dlsym
     * entered by the tail jump can see: such lookups (other interposers)
     * are left exactly as they were. */
    if (handle != RTLD_NEXT
        && ((symbol[0] == 'c' && symbol[1] == 'u' && symbol[2] == 'd' && symbol[3] == 'a')
         || (symbol[0] == 'h' && symbol[1] == 'i' && symbol[2] == 'p'))
        && sl_bind_name_index(symbol) >= 0)
        return (void *)sl_dlsym_runtime;
    return (void *)glibc_dlsym();
}

/* Which of two code addresses' objects comes first in the link-map order
 * (the order RTLD_NEXT searches in). Under glibc's lock, via dl_iterate_phdr. */
typedef struct object_order {
    uintptr_t addr[2];
    int position[2];
    int seen;
} object_order;

static bool object_holds(const struct dl_phdr_info *info, uintptr_t addr)
{
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && addr >= start && addr - start < ph->p_memsz)
            return true;
    }
    return false;
}

static int note_position(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    object_order *order = arg;
    for (int k = 0; k < 2; k++)
        if (order->position[k] < 0 && object_holds(info, order->addr[k]))
            order->position[k] = order->seen;
    order->seen++;
    return 0;
}

/* RTLD_NEXT from caller reaches the shim: glibc would hand it our export. */
static bool shim_follows(const void *caller)
{
    object_order order = {{(uintptr_t)caller, (uintptr_t)&shim_follows}, {-1, -1}, 0};
    dl_iterate_phdr(note_position, &order);
    return order.position[0] >= 0 && order.position[1] > order.position[0];
}

/* A driver name we wrap. Entered by a jump from the stub, so the return
 * address is the caller's. glibc is asked from here, i.e. on behalf of the
 * shim; that differs from the caller's own lookup only for RTLD_NEXT, which
 * from a caller ahead of the shim finds the shim's export first. */
SL_UNINSTRUMENTED void *sl_dlsym_tracked(void *handle, const char *symbol)
{
    const void *caller = __builtin_return_address(0);
    void *fn = glibc_dlsym()(handle, symbol);
    int saved_errno = errno;
    if (sl_driver_inside_shim(caller)) {
        errno = saved_errno;
        return fn; /* resolve.c looking for the real function */
    }
    const sl_driver_variant *variant = sl_driver_variant_named(symbol);
    if (fn == NULL && handle == RTLD_NEXT && shim_follows(caller)) {
        dlerror(); /* the caller's own lookup would have succeeded */
        fn = variant->wrapper;
    }
    if (fn != NULL) {
        sl_driver_seed(variant, fn);
        fn = variant->wrapper;
    }
    errno = saved_errno;
    return fn; /* NULL: dlerror() says why, as glibc set it */
}

/* A runtime or HIP name we hook (runtime_bind.h). The lookup is glibc's,
 * made here on the caller's behalf; what it finds in a library other than
 * the shim is handed out as a trampoline bound to that library. The shim's
 * own lookups (resolve.c), a lookup that finds our export (RTLD_DEFAULT in
 * a program linked to the runtime) and a failed one are returned as they are. */
SL_UNINSTRUMENTED void *sl_dlsym_runtime(void *handle, const char *symbol)
{
    const void *caller = __builtin_return_address(0);
    void *fn = glibc_dlsym()(handle, symbol);
    if (fn == NULL)
        return NULL; /* dlerror() says why, as glibc set it */
    int saved_errno = errno;
    if (!sl_driver_inside_shim(caller) && !sl_driver_inside_shim(fn)) {
        void *bound = sl_bind_trampoline(sl_bind_name_index(symbol), fn);
        if (bound != NULL)
            fn = bound;
    }
    errno = saved_errno;
    return fn;
}

/* dlsym itself: save the arguments, ask sl_dlsym_route, restore them and
 * jump. The jump keeps the caller's return address on the stack. */
#if defined(__x86_64__)
__asm__(".text\n"
        ".globl dlsym\n"
        ".type dlsym, @function\n"
        ".p2align 4\n"
        "dlsym:\n"
        ".cfi_startproc\n"
#if defined(__CET__)
        "endbr64\n"
#endif
        "pushq %rdi\n"
        ".cfi_adjust_cfa_offset 8\n"
        "pushq %rsi\n"
        ".cfi_adjust_cfa_offset 8\n"
        "subq $8, %rsp\n" /* 16-byte alignment at the call */
        ".cfi_adjust_cfa_offset 8\n"
        "call sl_dlsym_route\n"
        "addq $8, %rsp\n"
        ".cfi_adjust_cfa_offset -8\n"
        "popq %rsi\n"
        ".cfi_adjust_cfa_offset -8\n"
        "popq %rdi\n"
        ".cfi_adjust_cfa_offset -8\n"
        "jmp *%rax\n"
        ".cfi_endproc\n"
        ".size dlsym, .-dlsym\n");
#elif defined(__aarch64__)
__asm__(".text\n"
        ".globl dlsym\n"
        ".type dlsym, %function\n"
        ".p2align 4\n"
        "dlsym:\n"
        ".cfi_startproc\n"
        "hint 34\n" /* bti c */
        "stp x29, x30, [sp, #-32]!\n"
        ".cfi_def_cfa_offset 32\n"
        ".cfi_offset 29, -32\n"
        ".cfi_offset 30, -24\n"
        "mov x29, sp\n"
        "stp x0, x1, [sp, #16]\n"
        "bl sl_dlsym_route\n"
        "mov x16, x0\n"
        "ldp x0, x1, [sp, #16]\n"
        "ldp x29, x30, [sp], #32\n"
        ".cfi_def_cfa_offset 0\n"
        ".cfi_restore 29\n"
        ".cfi_restore 30\n"
        "br x16\n"
        ".cfi_endproc\n"
        ".size dlsym, .-dlsym\n");
#else
#error "the dlsym hook needs a tail-jump stub for this architecture (see dlsym_hook.c)"
#endif
