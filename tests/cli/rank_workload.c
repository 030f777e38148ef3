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
 * (the OOM line of the summary). It exits 1 if its books differ from the
 * double's ground truth. */
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
    int want_oom = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rank") == 0 && i + 1 < argc)
            rank = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--truth-dir") == 0 && i + 1 < argc)
            truth_dir = argv[++i];
        else if (strcmp(argv[i], "--oom") == 0)
            want_oom = 1;
        else {
            fprintf(stderr, "usage: cli_rank_workload [--rank R] [--truth-dir DIR] [--oom]\n");
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

    int ok = live == stormlog_double_live_bytes(0) && max_live == peak;
    if (truth_dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/rank-%ld.json", truth_dir, rank);
        FILE *f = fopen(path, "w");
        if (!f)
            return 1;
        fprintf(f,
                "{\"rank\":%ld,\"device\":0,\"peak_bytes\":%lld,\"live_bytes\":%lld,\"allocs\":%lld,"
                "\"frees\":%lld,\"oom\":%lld,\"oom_requested\":%lld}\n",
                rank, max_live, live, allocs, frees, oom, oom_requested);
        if (fclose(f) != 0)
            return 1;
    }
    if (!ok)
        fprintf(stderr, "cli_rank_workload: books (live %lld, peak %lld) differ from the double (live %lld)\n", live,
                max_live, stormlog_double_live_bytes(0));
    return ok ? 0 : 1;
}
