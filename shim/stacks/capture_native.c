/* glibc's backtrace(): the unwinder reads .eh_frame, so it is right in
 * code built without frame pointers (Debian's default), and since glibc
 * 2.35 it finds a module's unwind tables with _dl_find_object, which takes
 * no lock. Its first call dlopens libgcc_s: sl_native_load makes that call
 * in the constructor. A frame-pointer walk costs less per frame but stops
 * (or wanders) at the first function built without them, so it was left
 * out (docs/shim.md, "Call stacks", has the figures). */
#include "capture_native.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>
#include <stddef.h>

#include "stacks.h"

#define SHIM_RANGES 4
#define SHIM_FRAMES_MAX 12 /* the deepest hook path: hook, accounting, tag, capture, backtrace */
#define FOREIGN_FIRST_MAX 3 /* frames of a backtrace() interceptor before ours */

static struct {
    uintptr_t lo, hi;
} shim_code[SHIM_RANGES];
static unsigned shim_ranges;

static int find_shim(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    uintptr_t self = (uintptr_t)data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + p->p_vaddr;
        if (p->p_type == PT_LOAD && self >= lo && self < lo + p->p_memsz) {
            for (int j = 0; j < info->dlpi_phnum && shim_ranges < SHIM_RANGES; j++) {
                const ElfW(Phdr) *q = &info->dlpi_phdr[j];
                if (q->p_type == PT_LOAD && (q->p_flags & PF_X)) {
                    shim_code[shim_ranges].lo = info->dlpi_addr + q->p_vaddr;
                    shim_code[shim_ranges].hi = info->dlpi_addr + q->p_vaddr + q->p_memsz;
                    shim_ranges++;
                }
            }
            return 1;
        }
    }
    return 0;
}

bool sl_native_load(void)
{
    /* Without _dl_find_object (glibc before 2.35) the unwinder finds unwind
     * tables with dl_iterate_phdr, under a lock of the loader's that dlopen
     * and dlclose take: a hook must not wait for it. No native frames then. */
    if (dlsym(RTLD_DEFAULT, "_dl_find_object") == NULL)
        return false;
    if (shim_ranges == 0)
        dl_iterate_phdr(find_shim, (void *)(uintptr_t)&sl_native_load);
    void *warm[4];
    return backtrace(warm, 4) > 0;
}

static bool in_shim(uintptr_t a)
{
    for (unsigned i = 0; i < shim_ranges; i++)
        if (a >= shim_code[i].lo && a < shim_code[i].hi)
            return true;
    return false;
}

unsigned sl_native_capture(uint64_t *out, unsigned depth, bool *truncated)
{
    void *frames[SL_STACKS_DEPTH_MAX + SHIM_FRAMES_MAX + 1];
    int want = (int)(depth + SHIM_FRAMES_MAX + 1);
    int got = backtrace(frames, want);
    /* The shim's frames come first, after at most a frame or two of
     * whoever answered backtrace() (a sanitizer intercepts it): the
     * program's frames start after them. */
    int first = 0;
    while (first < got && first < FOREIGN_FIRST_MAX && !in_shim((uintptr_t)frames[first]))
        first++;
    if (first == got || first == FOREIGN_FIRST_MAX)
        first = 0; /* no shim frame where expected: keep everything */
    while (first < got && in_shim((uintptr_t)frames[first]))
        first++;
    unsigned n = 0;
    for (int i = first; i < got && n < depth; i++)
        out[n++] = (uint64_t)(uintptr_t)frames[i];
    /* More frames than kept, or backtrace filled all it was given (the
     * stack may go on beyond it). */
    *truncated = got - first > (int)depth || got == want;
    return n;
}
