/* dlsym(handle, "cudaMalloc") on a dlopen'ed runtime (Python's
 * ctypes.CDLL("libcudart.so.13").cudaMalloc, CuPy's and numba's pure-Python
 * bindings) returns the runtime's own function: symbol binding, hence
 * LD_PRELOAD, never sees those calls. The dlsym hook (dlsym_hook.c) hands
 * out, for the runtime and HIP names the shim hooks, a trampoline bound to
 * the library the handle named: it remembers that library's real function
 * and enters our hook of the same name, which then calls that function and
 * not whatever its own slot resolves to. Two runtimes in one process (two
 * CUDA versions, a CUDA and a HIP build) each keep their own. */
#ifndef STORMLOG_SHIM_RUNTIME_BIND_H
#define STORMLOG_SHIM_RUNTIME_BIND_H

#include <stdbool.h>

/* Libraries that can be bound at once; lookups on more are left untouched
 * (their calls are not counted, as before). */
#define SL_BIND_LIBRARIES 4
/* Room per library for the hooked names (at least their count, checked). */
#define SL_BIND_NAME_SLOTS 40

/* Index of a runtime or HIP allocation name the shim hooks, or -1.
 * Lock-free and uninstrumented (the dlsym hook calls it). */
int sl_bind_name_index(const char *name) __attribute__((visibility("hidden")));

/* The trampoline that calls our hook of name `index` with `real` (the
 * function dlsym found in a library) as the real function; NULL when every
 * binding is taken by other libraries. */
void *sl_bind_trampoline(int index, void *real) __attribute__((visibility("hidden")));

/* A trampoline sets sl_bound_real and sl_bound_name (declared in resolve.h,
 * whose sl_resolve_bound takes them in the hook's first step). */

#endif
