/* reload_host PLUGIN: dlopen a plugin linked to libcudart, call it, dlclose
 * it (the runtime goes with it), keep the runtime's old address range
 * taken, dlopen it again (the runtime lands elsewhere) and call it again.
 * Prints "cycle rc=" lines, "moved=1" when the runtime's address changed, and
 * exits 0; a shim that kept pointers into the old runtime crashes here. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

typedef struct span {
    uintptr_t lo, hi;
} span;

static int find_runtime(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    span *s = arg;
    const char *base = strrchr(info->dlpi_name, '/');
    if (base == NULL || strncmp(base + 1, "libcudart.so", 12) != 0)
        return 0;
    s->lo = UINTPTR_MAX;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;
        if (start < s->lo)
            s->lo = start;
        if (end > s->hi)
            s->hi = end;
    }
    return 1;
}

static span runtime_span(void)
{
    span s = {0, 0};
    dl_iterate_phdr(find_runtime, &s);
    return s;
}

static int cycle(const char *plugin, size_t size)
{
    void *h = dlopen(plugin, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        fprintf(stderr, "reload_host: %s\n", dlerror());
        return -1;
    }
    int (*run)(size_t) = (int (*)(size_t))dlsym(h, "reload_plugin_cycle");
    int rc = run ? run(size) : -1;
    printf("cycle rc=%d\n", rc);
    dlclose(h);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: reload_host PLUGIN\n");
        return 2;
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        fprintf(stderr, "reload_host: %s\n", dlerror());
        return 1;
    }
    int (*run)(size_t) = (int (*)(size_t))dlsym(h, "reload_plugin_cycle");
    printf("cycle rc=%d\n", run ? run(4096) : -1);
    span before = runtime_span();
    dlclose(h);
    span gone = runtime_span();
    if (before.lo == 0 || gone.lo != 0) {
        fprintf(stderr, "reload_host: the runtime was %s\n", before.lo ? "not unloaded" : "never loaded");
        return 1;
    }
    /* Hold the old range so that the runtime cannot come back there. */
    size_t page = 4096, len = ((before.hi - before.lo) + page - 1) & ~(page - 1);
    uintptr_t first = before.lo & ~(page - 1);
    if (mmap((void *)first, len + page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0)
        == MAP_FAILED) {
        /* Something (an allocator) took part of it already: fill the rest
         * page by page; taken pages keep the runtime away just as well. */
        for (uintptr_t a = first; a < first + len + page; a += page)
            mmap((void *)a, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    }
    int rc = cycle(argv[1], 8192);
    span after = runtime_span();
    printf("moved=%d\n", after.lo != before.lo);
    rc |= cycle(argv[1], 16384);
    return rc == 0 ? 0 : 1;
}
