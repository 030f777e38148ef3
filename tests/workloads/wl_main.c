/* wl_main.c: main() of workload_cuda, workload_hip and workload_dlsym. */
#include <stdio.h>
#include <string.h>

#include "wl.h"

int main(int argc, char **argv)
{
    const char *program = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    wl_options options;
    wl_default_options(&options, program);
    int status = wl_parse_options(argc, argv, &options);
    if (status != 0)
        return status;
    const wl_runtime *runtime = wl_selected_runtime();
    if (runtime == NULL)
        return 1;
    return wl_run(runtime, &options);
}
