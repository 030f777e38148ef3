/*
 * workload_plugin_host.c: loads libworkload_plugin.so with
 * dlopen(RTLD_NOW | RTLD_LOCAL) and runs it. The host itself is not linked
 * to libcudart: the runtime arrives as the plugin's dependency, after
 * process start, as with Python importing an extension.
 *
 * usage: workload_plugin_host [--plugin PATH] [--threads T] [--ops N]
 *                             [--seed S] [--truth FILE]
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*plugin_run_fn)(int threads, int ops, int seed, const char *truth_path);

int main(int argc, char **argv)
{
    const char *plugin = WL_PLUGIN_PATH;
    const char *truth = NULL;
    int threads = 8, ops = 100000, seed = 1;
    const char *env = getenv("STORMLOG_WORKLOAD_THREADS");
    if (env != NULL)
        threads = atoi(env);
    if ((env = getenv("STORMLOG_WORKLOAD_OPS")) != NULL)
        ops = atoi(env);
    for (int i = 1; i < argc; i += 2) {
        const char *flag = argv[i];
        if (i + 1 >= argc) {
            fprintf(stderr, "workload_plugin_host: %s needs a value\n", flag);
            return 2;
        }
        const char *value = argv[i + 1];
        if (strcmp(flag, "--plugin") == 0)
            plugin = value;
        else if (strcmp(flag, "--truth") == 0)
            truth = value;
        else if (strcmp(flag, "--threads") == 0)
            threads = atoi(value);
        else if (strcmp(flag, "--ops") == 0)
            ops = atoi(value);
        else if (strcmp(flag, "--seed") == 0)
            seed = atoi(value);
        else {
            fprintf(stderr, "workload_plugin_host: unknown argument %s\n", flag);
            return 2;
        }
    }
    /* The shape under test: nothing has loaded the runtime yet. */
    if (dlopen("libcudart.so.12", RTLD_NOW | RTLD_NOLOAD) != NULL)
        fprintf(stderr, "workload_plugin_host: note: libcudart.so.12 was loaded before the plugin\n");
    void *handle = dlopen(plugin, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        fprintf(stderr, "workload_plugin_host: dlopen(%s): %s\n", plugin, dlerror());
        return 1;
    }
    plugin_run_fn run = (plugin_run_fn)dlsym(handle, "workload_plugin_run");
    if (run == NULL) {
        fprintf(stderr, "workload_plugin_host: %s has no workload_plugin_run\n", plugin);
        return 1;
    }
    int status = run(threads, ops, seed, truth);
    /* Keep the plugin loaded: its runtime still holds the leaked allocations. */
    return status;
}
