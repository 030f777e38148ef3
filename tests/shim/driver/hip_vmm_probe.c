/* hip_vmm_probe: hipMemCreate / hipMemRelease (HIP's virtual memory API) from
 * a thread whose current device is 0, for memory on device 1: counted once,
 * on device 1 (probe_common.h). */
#include <pthread.h>

#include "hip_api.h"
#include "probe_common.h"
#include "stormlog_double.h"

#define DEV 1

static void *vmm_thread(void *arg)
{
    (void)arg;
    hipMemAllocationProp prop;
    memset(&prop, 0, sizeof prop);
    prop.type = hipMemAllocationTypePinned;
    prop.location.type = hipMemLocationTypeDevice;
    prop.location.id = DEV;
    hipMemGenericAllocationHandle_t handle = NULL;
    snapshot s0 = take(0), s = take(DEV);
    CHECK(hipMemCreate(&handle, 2u << 20, &prop, 0) == hipSuccess, "hipMemCreate");
    expect_alloc("hipMemCreate (current device 0)", DEV, &s);
    snapshot z = take(0);
    CHECK(z.shim.allocations == s0.shim.allocations, "hipMemCreate for device %d charged device 0", DEV);
    s = take(DEV);
    CHECK(hipMemRelease(handle) == hipSuccess, "hipMemRelease");
    expect_free("hipMemRelease", DEV, &s);
    CHECK(hipMemRelease(handle) == hipErrorInvalidValue, "a second hipMemRelease must fail");
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (probe_books_init(stormlog_double_live_bytes) != 0)
        return 2;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, vmm_thread, NULL) == 0, "thread");
    pthread_join(t, NULL);
    return probe_result("hip_vmm_probe");
}
