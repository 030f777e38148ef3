#!/usr/bin/env bash
# Installs, with apt-get, the Debian 12 packages the build and the tests need,
# and nothing when they are all there. Runs as root (or through sudo).
#
# The CUDA toolkit is not a Debian package: where /usr/local/cuda exists the
# build uses its headers and real libcudart; elsewhere those checks are skipped.
set -euo pipefail

packages=(
  cmake make gcc pkg-config binutils   # build; nm/readelf for the symbol tests
  clang libclang-rt-14-dev             # libFuzzer target, LeakSanitizer runtime
  libjson-c-dev                        # loader + tests: JSON
  libcriterion-dev                     # unit tests
  uuid-dev                             # RFC 4122 ids (session ids, uuid5)
  libssl-dev                           # libcrypto: SHA-256 for record ids
  libdw-dev                            # stormlog-inspect: native frames symbolized (elfutils)
  libprotobuf-c-dev protobuf-c-compiler zlib1g-dev  # stormlog-inspect: gzipped pprof export
  libamdhip64-dev                      # HIP headers + the real libamdhip64
  python3                              # ctypes workloads, conformance check.py
  openmpi-bin                          # stormlog-run under mpirun
  chromium                             # renders stormlog-inspect's HTML report in a test
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
