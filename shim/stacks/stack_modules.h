/* Writer thread: which loaded module each return address lies in, as the
 * module's path, the address's offset in the ELF file's own address space
 * and the module's GNU build-id. dl_iterate_phdr takes the dynamic loader's
 * lock, which is why this never runs on a program's thread. */
#ifndef STORMLOG_SHIM_STACKS_STACK_MODULES_H
#define STORMLOG_SHIM_STACKS_STACK_MODULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_MODULE_PATH_MAX 1024
#define SL_BUILD_ID_HEX_MAX 129 /* 64 bytes of id, hex, NUL */

typedef struct sl_module_frame {
    uint64_t address;  /* in: the return address */
    bool found;        /* out: a module holds it */
    uint64_t offset;   /* address - the module's load bias */
    char module[SL_MODULE_PATH_MAX];
    char build_id[SL_BUILD_ID_HEX_MAX]; /* "" when the module has none */
} sl_module_frame;

/* Resolves frames[0..n) in one pass over the loaded modules. */
void sl_modules_resolve(sl_module_frame *frames, size_t n) __attribute__((visibility("hidden")));

struct dl_phdr_info;
/* A module's path (strdup'ed; NULL when out of memory) and build-id, for
 * module_history's copies. */
void sl_modules_describe(const struct dl_phdr_info *info, char **name, char *build_id)
    __attribute__((visibility("hidden")));
/* Sets a frame found in the module name/build_id loaded at bias. */
void sl_modules_fill(sl_module_frame *fr, const char *name, const char *build_id, uint64_t bias)
    __attribute__((visibility("hidden")));

#endif
