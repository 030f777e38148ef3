/* The modules a stack's native frames were captured in, after those
 * modules are gone (module_history.c).
 *
 * The writer names a frame's module when it writes the stack's definition,
 * which may be after the program dlclosed that module, and another module
 * may be mapped at the same addresses by then: the frame would be named
 * after the wrong library, or the writer would read a name the loader is
 * writing. So every stack carries the unload generation it was captured
 * in; a dlclose that unloads something first keeps a copy of the module
 * list as it was (names, build-ids, address ranges), and the writer
 * resolves a stack of an earlier generation against that copy. */
#ifndef STORMLOG_SHIM_STACKS_MODULE_HISTORY_H
#define STORMLOG_SHIM_STACKS_MODULE_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack_modules.h"

/* The generation in a stack's blob: 24 bits, compared modulo 2^24. */
#define SL_MODULE_GEN_MASK 0xFFFFFFu

/* Program thread, at capture: the current generation (one relaxed load). */
uint32_t sl_module_history_generation(void) __attribute__((visibility("hidden")));

/* Program thread, in the dlclose hook, before the real dlclose: records
 * the module list of the generation that ends (a copy, shared with the
 * previous one when nothing was loaded or unloaded since) and moves the
 * generation on. Nothing when native stacks are off. */
void sl_module_history_before_dlclose(void) __attribute__((visibility("hidden")));

/* Writer thread: resolves frames captured in generation gen. Frames of the
 * current generation are looked up in the loaded modules; those of an
 * earlier one in its copy (left not found when no copy was kept). */
void sl_module_history_resolve(uint32_t gen, sl_module_frame *frames, size_t n) __attribute__((visibility("hidden")));

#endif
