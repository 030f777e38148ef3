#!/bin/sh
# check_libcuda_exports.sh LIBDIR: libcuda.so.1 carries its real SONAME, exports
# only cu* functions, and none of them carries a symbol version (NVIDIA's has
# no version information).
set -u
lib=$1/libcuda.so.1
status=0
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
if [ "$soname" = libcuda.so.1 ]; then echo "ok   SONAME libcuda.so.1"; else echo "FAIL SONAME '$soname'"; status=1; fi
syms=$(nm -D --with-symbol-versions --defined-only "$lib" | awk '$2=="T"{print $3}')
for s in cuInit cuDriverGetVersion cuGetProcAddress cuGetProcAddress_v2 cuGetExportTable cuCtxGetDevice \
         cuMemAlloc_v2 cuMemAllocPitch_v2 cuMemAllocManaged cuMemFree_v2 cuMemAllocAsync cuMemAllocAsync_ptsz \
         cuMemAllocFromPoolAsync cuMemAllocFromPoolAsync_ptsz cuMemFreeAsync cuMemFreeAsync_ptsz cuMemCreate \
         cuMemRelease cuMemMap cuMemUnmap cuMemHostAlloc cuMemAllocHost_v2 cuMemFreeHost cuMemGetInfo_v2; do
    if echo "$syms" | grep -qx "$s"; then echo "ok   $s"; else echo "FAIL $s not exported unversioned"; status=1; fi
done
other=$(echo "$syms" | grep -v '^cu[A-Z]' || true)
if [ -n "$other" ]; then echo "FAIL exports beyond the driver API: $other"; status=1; fi
if readelf -V "$lib" | grep -q "Version definition"; then echo "FAIL libcuda.so.1 defines symbol versions"; status=1; fi
exit $status
