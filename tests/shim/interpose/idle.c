/* idle: a process that is not linked to any GPU runtime.
 *
 *   idle_probe          touches nothing: under the shim it must leave no sink
 *                       directory, unless STORMLOG_RECORD_IDLE=1.
 *   idle_probe call     calls cudaMalloc and hipMalloc through the global
 *                       scope (dlsym(RTLD_DEFAULT)), which finds the shim's
 *                       hooks with no runtime loaded anywhere: they must
 *                       answer "not initialised" (cudaErrorInitializationError
 *                       = 3, hipErrorNotInitialized = 3), not crash. Prints
 *                       "cudaMalloc=RC hipMalloc=RC" ("absent" without the shim). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef unsigned int (*malloc_fn)(void **, size_t);

static void call(const char *name)
{
    malloc_fn fn = (malloc_fn)dlsym(RTLD_DEFAULT, name);
    if (fn == NULL) {
        printf("%s=absent ", name);
        return;
    }
    void *ptr = NULL;
    printf("%s=%u ", name, fn(&ptr, 4096));
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "call") == 0) {
        call("cudaMalloc");
        call("hipMalloc");
    }
    printf("idle\n");
    return 0;
}
