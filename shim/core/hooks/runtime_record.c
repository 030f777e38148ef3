/* The record half of the runtime hooks: see runtime_record.h. */
#include "runtime_record.h"

#include <errno.h>

#include "guard.h"

static bool query_begin(const sl_runtime_ops *ops)
{
    return ops->peek_error() == SL_QUERY_FAILED;
}

static void query_failed(const sl_runtime_ops *ops, bool was_pending)
{
    if (!was_pending)
        ops->take_error();
}

/* The device a stream-ordered allocation landed on. It comes from the
 * stream's device (or the pool's), which need not be the current one: a
 * program may allocate on a stream of device 1 while device 0 is current.
 * The returned pointer knows. A query that leaves no trace is asked first;
 * the runtime's own only when no error of the program's is pending (the one
 * case a failed query could not be undone), and an error of ours is cleared.
 * Where neither can say: the current device. */
static int32_t allocation_device(const sl_runtime_ops *ops, const void *ptr)
{
    if (ptr == NULL)
        return ops->current_device();
    int device = -1;
    if (ops->quiet_pointer_device != NULL) {
        sl_query quiet = ops->quiet_pointer_device(ptr, &device);
        if (quiet != SL_QUERY_ABSENT)
            return quiet == SL_QUERY_OK && device >= 0 ? device : ops->current_device();
    }
    if (ops->peek_error() != SL_QUERY_OK)
        return ops->current_device();
    sl_query asked = ops->pointer_device(ptr, &device);
    if (asked == SL_QUERY_FAILED)
        query_failed(ops, false);
    return asked == SL_QUERY_OK && device >= 0 ? device : ops->current_device();
}

static void refresh_device_info(const sl_runtime_ops *ops, int32_t device, bool force)
{
    if (device < 0 || (!force && !sl_account_device_info_due(device)))
        return;
    /* With an error of the program's pending, only the OOM's own refresh
     * (force) is worth the risk of replacing it. */
    bool pending = query_begin(ops);
    if (pending && !force)
        return;
    size_t free_bytes = 0, total_bytes = 0;
    sl_query asked = ops->mem_get_info(&free_bytes, &total_bytes);
    if (asked == SL_QUERY_OK)
        sl_account_device_info(device, free_bytes, total_bytes);
    else if (asked == SL_QUERY_FAILED)
        query_failed(ops, pending);
}

/* What the device's memory pool keeps beyond its use (async APIs only). */
static void refresh_pool_slack(const sl_runtime_ops *ops, int32_t device, void *pool)
{
    if (!ops->has_pool_usage() || query_begin(ops))
        return; /* no pools, or an error of the program's pending that our query must not replace */
    if (pool == NULL) {
        sl_query found = ops->default_pool(device, &pool);
        if (found == SL_QUERY_FAILED)
            query_failed(ops, false);
        if (found != SL_QUERY_OK)
            return;
    }
    uint64_t reserved = 0, used = 0;
    sl_query asked = ops->pool_usage(pool, &reserved, &used);
    if (asked == SL_QUERY_FAILED)
        query_failed(ops, false);
    if (asked != SL_QUERY_OK)
        return;
    sl_account_pool_slack(device, (uint64_t)(uintptr_t)pool, reserved > used ? (int64_t)(reserved - used) : 0);
}

void sl_record_alloc(const sl_runtime_ops *ops, sl_api api, unsigned rc, void *const *ptr, uint64_t size,
                     sl_stream_ref stream, bool async, void *pool)
{
    int saved_errno = errno;
    bool host = sl_api_table[api].kind == SL_KIND_HOST_ALLOC;
    int32_t device = host ? SL_HOST_DEVICE : ops->current_device();
    if (rc == ops->success) {
        void *got = ptr != NULL ? *ptr : NULL;
        int32_t current = device;
        if (async)
            device = allocation_device(ops, got);
        /* MemGetInfo answers for the current device only. */
        if (device == current)
            refresh_device_info(ops, device, false);
        if (async)
            refresh_pool_slack(ops, device, pool);
        sl_account_alloc(api, device, got, size, stream);
    } else {
        bool oom = rc == ops->out_of_memory;
        if (oom)
            refresh_device_info(ops, device, true);
        sl_account_failure(api, device, rc, oom, size, stream);
    }
    sl_hook_leave();
    errno = saved_errno;
}

void sl_record_free(const sl_runtime_ops *ops, sl_api api, unsigned rc, const sl_free_claim *claim,
                    sl_stream_ref stream, bool async)
{
    int saved_errno = errno;
    bool host = sl_api_table[api].kind == SL_KIND_HOST_FREE;
    if (rc == ops->success && claim->ptr != 0) {
        if (async)
            refresh_pool_slack(ops, claim->found ? claim->info.device_id : ops->current_device(), NULL);
        if (!sl_account_free(api, claim, stream))
            sl_account_unmatched_free(api, host ? SL_HOST_DEVICE : ops->current_device());
    } else if (rc != ops->success) {
        sl_account_unclaim_free(claim);
        sl_account_failure(api, host ? SL_HOST_DEVICE : ops->current_device(), rc, false, 0, stream);
    }
    sl_hook_leave();
    errno = saved_errno;
}

void sl_record_mem_get_info(const sl_runtime_ops *ops, sl_api api, unsigned rc, const size_t *free_bytes,
                            const size_t *total_bytes)
{
    int saved_errno = errno;
    if (rc == ops->success && free_bytes != NULL && total_bytes != NULL)
        sl_account_device_info(ops->current_device(), *free_bytes, *total_bytes);
    else if (rc != ops->success)
        sl_account_failure(api, ops->current_device(), rc, false, 0, SL_NO_STREAM);
    sl_hook_leave();
    errno = saved_errno;
}
