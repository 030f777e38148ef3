/* The re-entry guard's thread-locals (guard.h), in one place. */
#include "guard.h"

__thread unsigned sl_hook_depth __attribute__((tls_model("initial-exec")));
__thread const char *sl_nested_driver_api __attribute__((tls_model("initial-exec")));
