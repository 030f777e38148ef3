/* Trampolines bound to one runtime library each: see runtime_bind.h.
 *
 * Trampoline i (binding i / SL_BIND_NAME_SLOTS, name i % SL_BIND_NAME_SLOTS)
 * is 16 bytes of code that puts i in a scratch register and jumps to a
 * common stub; the stub saves the argument registers, asks sl_bind_enter(i)
 * which hook to enter (it also stores the bound real function and its name
 * in thread-local variables), restores the arguments and jumps to the hook,
 * so the hook runs with the caller's arguments and return address, whatever
 * its signature (none of the hooked calls takes floating-point arguments or
 * returns a structure). The hook's first step takes the bound function when
 * the name matches its own (resolve.h: sl_resolve_bound). */
#include "runtime_bind.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "gpu_api.h"
#include "hook_table.h"
#include "resolve.h"
#include "uninstrumented.h"


typedef struct bound_name {
    const char *name;
    void *hook;
} bound_name;

/* The runtime and HIP rows of hook_table.h. */
#define SL_BOUND_ENTRY(e, sym, rt, ...) \
    SL_IF_RUNTIME(rt, CUDA, {#sym, (void *)&sym}, ) SL_IF_RUNTIME(rt, HIP, {#sym, (void *)&sym}, )
static const bound_name bound_names[] = {SL_API_LIST(SL_BOUND_ENTRY)};
#undef SL_BOUND_ENTRY
#define BOUND_COUNT (sizeof bound_names / sizeof bound_names[0])
_Static_assert(BOUND_COUNT <= SL_BIND_NAME_SLOTS, "raise SL_BIND_NAME_SLOTS");

/* Must equal SL_BIND_LIBRARIES * SL_BIND_NAME_SLOTS (the assembler needs a literal). */
#define TRAMPOLINES 160
_Static_assert(TRAMPOLINES == SL_BIND_LIBRARIES * SL_BIND_NAME_SLOTS, "update TRAMPOLINES");
#define STR_(x) #x
#define STR(x) STR_(x)

typedef struct binding {
    void *_Atomic base; /* dli_fbase of the library; NULL while free */
    void *_Atomic real[SL_BIND_NAME_SLOTS];
} binding;

static binding bindings[SL_BIND_LIBRARIES];

__thread void *sl_bound_real __attribute__((tls_model("initial-exec")));
__thread const char *sl_bound_name __attribute__((tls_model("initial-exec")));

void *sl_bind_enter(unsigned index) __attribute__((visibility("hidden")));
extern const char sl_bind_trampolines[] __attribute__((visibility("hidden")));

SL_UNINSTRUMENTED int sl_bind_name_index(const char *name)
{
    for (size_t i = 0; i < BOUND_COUNT; i++)
        if (sl_same_name(bound_names[i].name, name))
            return (int)i;
    return -1;
}

SL_UNINSTRUMENTED void *sl_bind_enter(unsigned index)
{
    unsigned b = index / SL_BIND_NAME_SLOTS, n = index % SL_BIND_NAME_SLOTS;
    sl_bound_real = atomic_load_explicit(&bindings[b].real[n], memory_order_acquire);
    sl_bound_name = bound_names[n].name;
    return bound_names[n].hook;
}

void *sl_bind_trampoline(int index, void *real)
{
    Dl_info info;
    if (index < 0 || (size_t)index >= BOUND_COUNT || !dladdr(real, &info) || info.dli_fbase == NULL)
        return NULL;
    for (unsigned b = 0; b < SL_BIND_LIBRARIES; b++) {
        void *base = atomic_load_explicit(&bindings[b].base, memory_order_acquire);
        if (base == NULL) {
            /* Claim it; a racing claim for another library moves us on. */
            if (!atomic_compare_exchange_strong_explicit(&bindings[b].base, &base, info.dli_fbase,
                                                         memory_order_acq_rel, memory_order_acquire)
                && base != info.dli_fbase)
                continue;
        } else if (base != info.dli_fbase) {
            continue;
        }
        /* A library unloaded and another loaded at its address replaces
         * the pointers as its names are looked up. */
        atomic_store_explicit(&bindings[b].real[index], real, memory_order_release);
        return (void *)(sl_bind_trampolines + 16 * (b * SL_BIND_NAME_SLOTS + (unsigned)index));
    }
    return NULL;
}

#if defined(__x86_64__)
#if defined(__CET__)
#define SL_ENDBR "endbr64\n"
#else
#define SL_ENDBR ""
#endif
__asm__(".text\n"
        ".p2align 4\n"
        ".hidden sl_bind_trampolines\n"
        ".type sl_bind_trampolines, @function\n"
        "sl_bind_trampolines:\n"
        ".set sl_bind_i, 0\n"
        ".rept " STR(TRAMPOLINES) "\n"
        ".p2align 4\n"
        SL_ENDBR
        "movl $sl_bind_i, %r11d\n"
        "jmp sl_bind_common\n"
        ".set sl_bind_i, sl_bind_i + 1\n"
        ".endr\n"
        ".p2align 4\n"
        "sl_bind_common:\n"
        ".cfi_startproc\n"
        "pushq %rdi\n"
        ".cfi_adjust_cfa_offset 8\n"
        "pushq %rsi\n"
        ".cfi_adjust_cfa_offset 8\n"
        "pushq %rdx\n"
        ".cfi_adjust_cfa_offset 8\n"
        "pushq %rcx\n"
        ".cfi_adjust_cfa_offset 8\n"
        "pushq %r8\n"
        ".cfi_adjust_cfa_offset 8\n"
        "pushq %r9\n"
        ".cfi_adjust_cfa_offset 8\n"
        "subq $8, %rsp\n" /* 16-byte alignment at the call */
        ".cfi_adjust_cfa_offset 8\n"
        "movl %r11d, %edi\n"
        "call sl_bind_enter\n"
        "addq $8, %rsp\n"
        ".cfi_adjust_cfa_offset -8\n"
        "popq %r9\n"
        ".cfi_adjust_cfa_offset -8\n"
        "popq %r8\n"
        ".cfi_adjust_cfa_offset -8\n"
        "popq %rcx\n"
        ".cfi_adjust_cfa_offset -8\n"
        "popq %rdx\n"
        ".cfi_adjust_cfa_offset -8\n"
        "popq %rsi\n"
        ".cfi_adjust_cfa_offset -8\n"
        "popq %rdi\n"
        ".cfi_adjust_cfa_offset -8\n"
        "jmp *%rax\n"
        ".cfi_endproc\n"
        ".size sl_bind_trampolines, .-sl_bind_trampolines\n");
#elif defined(__aarch64__)
__asm__(".text\n"
        ".p2align 4\n"
        ".hidden sl_bind_trampolines\n"
        ".type sl_bind_trampolines, %function\n"
        "sl_bind_trampolines:\n"
        ".set sl_bind_i, 0\n"
        ".rept " STR(TRAMPOLINES) "\n"
        ".p2align 4\n"
        "hint 34\n" /* bti c */
        "mov x9, #sl_bind_i\n"
        "b sl_bind_common\n"
        ".set sl_bind_i, sl_bind_i + 1\n"
        ".endr\n"
        ".p2align 4\n"
        "sl_bind_common:\n"
        ".cfi_startproc\n"
        "stp x29, x30, [sp, #-96]!\n"
        ".cfi_def_cfa_offset 96\n"
        ".cfi_offset 29, -96\n"
        ".cfi_offset 30, -88\n"
        "mov x29, sp\n"
        "stp x0, x1, [sp, #16]\n"
        "stp x2, x3, [sp, #32]\n"
        "stp x4, x5, [sp, #48]\n"
        "stp x6, x7, [sp, #64]\n"
        "str x8, [sp, #80]\n"
        "mov w0, w9\n"
        "bl sl_bind_enter\n"
        "mov x16, x0\n"
        "ldp x0, x1, [sp, #16]\n"
        "ldp x2, x3, [sp, #32]\n"
        "ldp x4, x5, [sp, #48]\n"
        "ldp x6, x7, [sp, #64]\n"
        "ldr x8, [sp, #80]\n"
        "ldp x29, x30, [sp], #96\n"
        ".cfi_def_cfa_offset 0\n"
        ".cfi_restore 29\n"
        ".cfi_restore 30\n"
        "br x16\n"
        ".cfi_endproc\n"
        ".size sl_bind_trampolines, .-sl_bind_trampolines\n");
#else
#error "runtime binding needs trampolines for this architecture (see runtime_bind.c)"
#endif
