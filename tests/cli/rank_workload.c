/* A deterministic one-thread workload for the CLI tests: each rank of a job
 * (rank from OMPI_COMM_WORLD_RANK / SLURM_PROCID / RANK, or --rank)
 * allocates a rank-dependent amount on device 0 through the CUDA double,
 * keeps its own books (its peak, what it leaves live) and writes them as
 * the truth the test compares `stormlog-inspect summary` with:
 *
 *   {"rank":R,"device":0,"peak_bytes":P,"live_bytes":L,"allocs":A,"frees":F,
 *    "oom":O,"oom_requested":Q}
 *
 * The shape: grow to the rank's peak in steps, free most of it, end with a
 * rank-dependent leak. With --oom one request larger than the device fails
 * (the OOM line of the summary; the program allocates again after it, so
 * it is recovered); --oom-last adds one after the last allocation. With
 * --bad-frees N it frees N pointers the runtime never gave (failed frees),
 * with --api-error it asks cudaHostAlloc for flags that do not exist (a
 * failed allocation that is not an OOM). The truth then also carries
 * "bad_frees", "bad_free_code", "api_error_code", "oom_last". It exits 1 if
 * its books differ from the double's ground truth. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cudart_api.h"
#include "stormlog_double.h"

#define MIB (1024LL * 1024LL)
#define STEPS 8

/* Peaks that are neither sorted by rank nor evenly spaced, so that "highest"
 * and "furthest from the median" are decided by the data, not the order. */
static long long rank_peak(long rank)
{
    static const long long shape_mib[] = {3, 1, 7, 2, 5, 4, 6, 8};
    return shape_mib[rank % 8] * MIB + rank * 4096LL;
}

static long env_rank(void)
{
    static const char *const names[] = {"OMPI_COMM_WORLD_RANK", "SLURM_PROCID", "RANK"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const char *v = getenv(names[i]);
        if (v && *v)
            return strtol(v, NULL, 10);
    }
    return 0;
}

int main(int argc, char **argv)
{
    long rank = env_rank();
    const char *truth_dir = NULL;
    int want_oom = 0, want_oom_last = 0, want_api_error = 0;
    long bad_frees = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rank") == 0 && i + 1 < argc)
            rank = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--truth-dir") == 0 && i + 1 < argc)
            truth_dir = argv[++i];
        else if (strcmp(argv[i], "--oom") == 0)
            want_oom = 1;
        else if (strcmp(argv[i], "--oom-last") == 0)
            want_oom_last = 1;
        else if (strcmp(argv[i], "--api-error") == 0)
            want_api_error = 1;
        else if (strcmp(argv[i], "--bad-frees") == 0 && i + 1 < argc)
            bad_frees = strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: cli_rank_workload [--rank R] [--truth-dir DIR] [--oom] [--oom-last] "
                            "[--api-error] [--bad-frees N]\n");
            return 2;
        }
    }
    if (rank < 0)
        rank = 0;
    if (cudaSetDevice(0) != cudaSuccess)
        return 1;
    long long peak = rank_peak(rank), live = 0, max_live = 0;
    long long allocs = 0, frees = 0, oom = 0, oom_requested = 0;
    void *blocks[STEPS];
    size_t sizes[STEPS];
    /* Grow to the peak in STEPS blocks; the last one takes the remainder. */
    for (int i = 0; i < STEPS; i++) {
        sizes[i] = (size_t)(i + 1 < STEPS ? peak / STEPS : peak - (peak / STEPS) * (STEPS - 1));
        if (cudaMalloc(&blocks[i], sizes[i]) != cudaSuccess)
            return 1;
        allocs++;
        live += (long long)sizes[i];
        if (live > max_live)
            max_live = live;
    }
    if (want_oom) {
        void *never = NULL;
        long long request = stormlog_double_capacity_bytes(0) + 1;
        if (cudaMalloc(&never, (size_t)request) != cudaErrorMemoryAllocation)
            return 1;
        oom++;
        oom_requested = request;
    }
    /* Free all but the first block, then leave a rank-dependent leak. */
    for (int i = 1; i < STEPS; i++) {
        if (cudaFree(blocks[i]) != cudaSuccess)
            return 1;
        frees++;
        live -= (long long)sizes[i];
    }
    void *leak;
    size_t leak_size = (size_t)(4096 * (rank + 1));
    if (cudaMalloc(&leak, leak_size) != cudaSuccess)
        return 1;
    allocs++;
    live += (long long)leak_size;
    if (live > max_live)
        max_live = live;

    long long oom_last = 0, api_error_code = 0, bad_free_code = 0;
    if (want_api_error) {
        void *host = NULL;
        api_error_code = (long long)cudaHostAlloc(&host, 4096, 0x80u);
        if (api_error_code == cudaSuccess)
            return 1;
    }
    for (long i = 0; i < bad_frees; i++) {
        int never_allocated;
        bad_free_code = (long long)cudaFree(&never_allocated);
        if (bad_free_code == cudaSuccess)
            return 1;
    }
    if (want_oom_last) {
        void *never = NULL;
        long long request = stormlog_double_capacity_bytes(0) + 2;
        if (cudaMalloc(&never, (size_t)request) != cudaErrorMemoryAllocation)
            return 1;
        oom++;
        oom_last = 1;
    }

    int ok = live == stormlog_double_live_bytes(0) && max_live == peak;
    if (truth_dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/rank-%ld.json", truth_dir, rank);
        FILE *f = fopen(path, "w");
        if (!f)
            return 1;
        fprintf(f,
                "{\"rank\":%ld,\"device\":0,\"peak_bytes\":%lld,\"live_bytes\":%lld,\"allocs\":%lld,"
                "\"frees\":%lld,\"oom\":%lld,\"oom_requested\":%lld,\"oom_last\":%lld,\"bad_frees\":%ld,"
                "\"bad_free_code\":%lld,\"api_error_code\":%lld}\n",
                rank, max_live, live, allocs, frees, oom, oom_requested, oom_last, bad_frees, bad_free_code,
                api_error_code);
        if (fclose(f) != 0)
            return 1;
    }
    if (!ok)
        fprintf(stderr, "cli_rank_workload: books (live %lld, peak %lld) differ from the double (live %lld)\n", live,
                max_live, stormlog_double_live_bytes(0));
    return ok ? 0 : 1;
}
