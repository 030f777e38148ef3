/* An NVTX v3 program (the toolkit's header-only NVTX) allocating through the
 * CUDA runtime double, run under the shim with NVTX_INJECTION64_PATH set.
 * The allocation sizes say where each was made, so nvtx_check.c can tell
 * whether its context is right:
 *
 *   1 MiB   train/step/forward          (nvtxRangePushA)
 *   2 MiB   train/step/backward         (nvtxRangePushW)
 *   4 KiB   loader                      (domain push with a registered string, on a second thread)
 *   8 KiB   train/d0/.../d14            (20 levels pushed, 16 recorded)
 *   16 KiB  train/attrs                 (nvtxRangePushEx, ASCII message)
 *
 * It also pops with nothing open (on both threads), and starts a range on
 * one thread that another ends. Every NVTX return value is checked here:
 * exit 1 on a wrong one. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nvtx3/nvToolsExt.h>

#include "cudart_api.h"

static int failures;

#define EXPECT(cond, ...)                                                                                          \
    do {                                                                                                           \
        if (!(cond)) {                                                                                             \
            fprintf(stderr, "nvtx_workload: " __VA_ARGS__);                                                        \
            fputc('\n', stderr);                                                                                   \
            failures++;                                                                                            \
        }                                                                                                          \
    } while (0)

static void *alloc(size_t size)
{
    void *p = NULL;
    EXPECT(cudaMalloc(&p, size) == cudaSuccess && p, "cudaMalloc(%zu) failed", size);
    return p;
}

static nvtxRangeId_t started;

static void *worker(void *arg)
{
    (void)arg;
    nvtxDomainHandle_t domain = nvtxDomainCreateA("stormlog-test");
    nvtxStringHandle_t name = nvtxDomainRegisterStringA(domain, "loader");
    nvtxEventAttributes_t attr;
    memset(&attr, 0, sizeof attr);
    attr.version = NVTX_VERSION;
    attr.size = NVTX_EVENT_ATTRIB_STRUCT_SIZE;
    attr.messageType = NVTX_MESSAGE_TYPE_REGISTERED;
    attr.message.registered = name;
    EXPECT(nvtxDomainRangePushEx(domain, &attr) == 0, "domain push level");
    void *p = alloc(4096);
    EXPECT(nvtxDomainRangePop(domain) == 0, "domain pop level");
    cudaFree(p);
    EXPECT(nvtxRangePop() < 0, "a pop with nothing open is an error");
    nvtxRangeEnd(started); /* started on the main thread */
    nvtxDomainDestroy(domain);
    return NULL;
}

int main(void)
{
    EXPECT(nvtxRangePushA("train") == 0, "train level");
    for (int step = 0; step < 2; step++) {
        EXPECT(nvtxRangePushA("step") == 1, "step level");
        EXPECT(nvtxRangePushA("forward") == 2, "forward level");
        void *a = alloc(1 << 20);
        EXPECT(nvtxRangePop() == 2, "forward pop");
        EXPECT(nvtxRangePushW(L"backward") == 2, "backward level");
        void *b = alloc(2 << 20);
        cudaFree(a);
        cudaFree(b);
        EXPECT(nvtxRangePop() == 2, "backward pop");
        EXPECT(nvtxRangePop() == 1, "step pop");
    }
    nvtxEventAttributes_t attr;
    memset(&attr, 0, sizeof attr);
    attr.version = NVTX_VERSION;
    attr.size = NVTX_EVENT_ATTRIB_STRUCT_SIZE;
    attr.messageType = NVTX_MESSAGE_TYPE_ASCII;
    attr.message.ascii = "attrs";
    EXPECT(nvtxRangePushEx(&attr) == 1, "attrs level");
    void *e = alloc(16384);
    cudaFree(e);
    EXPECT(nvtxRangePop() == 1, "attrs pop");

    /* Deeper than the shim records: levels still pair. */
    for (int i = 0; i < 20; i++) {
        char name[16];
        snprintf(name, sizeof name, "d%d", i);
        EXPECT(nvtxRangePushA(name) == i + 1, "deep push %d", i);
    }
    void *d = alloc(8192);
    for (int i = 19; i >= 0; i--)
        EXPECT(nvtxRangePop() == i + 1, "deep pop %d", i);
    cudaFree(d);

    started = nvtxRangeStartA("prefetch");
    EXPECT(started != 0, "a range id");
    pthread_t t;
    EXPECT(pthread_create(&t, NULL, worker, NULL) == 0, "thread");
    pthread_join(t, NULL);

    EXPECT(nvtxRangePop() == 0, "train pop");
    EXPECT(nvtxRangePop() < 0, "a pop with nothing open is an error");
    printf("nvtx_workload: %d failures\n", failures);
    return failures ? 1 : 0;
}
