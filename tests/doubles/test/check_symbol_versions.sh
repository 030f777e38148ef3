#!/bin/sh
# check_symbol_versions.sh LIBDIR: the doubles carry the real libraries'
# SONAMEs and symbol versions, so a shim that looks symbols up by version
# (dlvsym) or a program linked against the real library binds to them.
set -u
dir=$1
status=0
syms() { nm -D --with-symbol-versions --defined-only "$dir/$1"; }
expect() { # lib symbol@@version
    if syms "$1" | awk '{print $3}' | grep -qx "$2"; then
        echo "ok   $1: $2"
    else
        echo "FAIL $1: $2 not exported"; status=1
    fi
}
soname() {
    got=$(readelf -d "$dir/$1" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
    if [ "$got" = "$2" ]; then echo "ok   $1: SONAME $2"; else echo "FAIL $1: SONAME '$got', want $2"; status=1; fi
}
soname libcudart.so.12 libcudart.so.12
soname libamdhip64.so.5 libamdhip64.so.5
for s in cudaMalloc cudaFree cudaMallocAsync cudaFreeAsync cudaMallocFromPoolAsync \
         cudaMallocAsync_ptsz cudaFreeAsync_ptsz cudaMallocFromPoolAsync_ptsz \
         cudaMallocManaged cudaMallocPitch cudaMalloc3D cudaMallocHost cudaHostAlloc \
         cudaFreeHost cudaMemGetInfo cudaMemPoolTrimTo; do
    expect libcudart.so.12 "$s@@libcudart.so.12"
done
for s in hipMalloc hipFree hipMallocManaged hipExtMallocWithFlags hipMallocPitch hipHostMalloc \
         hipHostFree hipMemGetInfo hipMallocHost hipMemAllocHost hipMemAllocPitch hipFreeHost; do
    expect libamdhip64.so.5 "$s@@hip_4.2"
done
for s in hipMallocAsync hipFreeAsync hipMallocFromPoolAsync hipMemPoolTrimTo; do
    expect libamdhip64.so.5 "$s@@hip_5.1"
done
# Nothing but the API: internal helpers stay local.
leaked=$(syms libcudart.so.12 | awk '$2=="T"{print $3}' | grep -v '^cuda' || true)
if [ -n "$leaked" ]; then echo "FAIL libcudart.so.12 exports non-API symbols: $leaked"; status=1; fi
leaked=$(syms libamdhip64.so.5 | awk '$2=="T"{print $3}' | grep -v '^hip' || true)
if [ -n "$leaked" ]; then echo "FAIL libamdhip64.so.5 exports non-API symbols: $leaked"; status=1; fi
# cudaMallocManaged must reach cudaMalloc through the PLT.
if readelf -rW "$dir/libcudart.so.12" | grep -q 'JUMP_SLO.*cudaMalloc@'; then
    echo "ok   libcudart.so.12: cudaMalloc called through the PLT"
else
    echo "FAIL libcudart.so.12: no PLT slot for cudaMalloc"; status=1
fi
exit $status
