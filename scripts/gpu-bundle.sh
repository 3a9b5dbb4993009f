#!/usr/bin/env bash
# Packs what a borrowed GPU machine needs to run m2vk's binaries into the git-ignored .gpu/ folder:
# stripped Release binaries in bin.tar.xz (CLI, benchmarks, the GPU-only op tests) and the Debian runtime .debs
# they link against. The GPU machine has the NVIDIA driver but no Vulkan loader and none of our
# packages, and nothing can be installed there. There, in the repository root:
#
#   source scripts/gpu-env.sh          # unpacks binaries to /tmp/rt/bin and the .debs into /tmp/rt
#   m2vk devices                       # (PATH and LD_LIBRARY_PATH point there)
#
# Usage: scripts/gpu-bundle.sh [BUILD_DIR]   (default build-bundle: configured Release, built here)
# The bundle must stay under the device tool's 64 MiB carry limit; the script checks.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-bundle}
if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
bins=(tools/m2vk bench/fft/m2vk_bench_fft bench/gemm/m2vk_bench_gemm bench/e2e/m2vk_bench_e2e
      tests/ops/ops_test_gemm_coopmat tests/ops/ops_test_gemm tests/ops/ops_test_fft_conv)
targets=()
for b in "${bins[@]}"; do targets+=("$(basename "$b")"); done
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"

rm -rf .gpu.tmp && mkdir -p .gpu.tmp/bin
for b in "${bins[@]}"; do
  strip -o ".gpu.tmp/bin/$(basename "$b")" "$build/$b"
done

# Runtime packages: every library the binaries resolve outside the C library itself (glibc must
# come from the machine; libstdc++ travels in case the machine's is older than Debian 12's).
libs=$(for b in .gpu.tmp/bin/*; do ldd "$b"; done | awk '/=> \// {print $3}' | sort -u)
pkgs=$(for l in $libs; do dpkg -S "$(readlink -f "$l")" 2>/dev/null || dpkg -S "$l"; done | cut -d: -f1 | sort -u |
       grep -v -x -e libc6 -e libgcc-s1)
# The op tests insist on the Khronos validation layer (a GPU test is trusted only when it is clean).
pkgs="$pkgs vulkan-validationlayers"
# NVIDIA's Vulkan driver lives in libGLX_nvidia.so.0, which needs libglvnd's dispatch libraries;
# a machine set up for CUDA alone may lack them.
pkgs="$pkgs libglvnd0 libglx0 libegl1 libopengl0 libgl1 libgles2"
(cd .gpu.tmp && apt-get download $pkgs 2>&1 | grep -v "unsandboxed as root" || true)
# Every binary embeds all SPIR-V kernels (megabytes each): compressed they fit the carry limit.
XZ_OPT="-T0" tar -C .gpu.tmp -cJf .gpu.tmp/bin.tar.xz bin && rm -r .gpu.tmp/bin
rm -rf .gpu && mv .gpu.tmp .gpu
size=$(du -sm .gpu | cut -f1)
echo "bundled into .gpu/ (${size} MiB): $(tar -tJf .gpu/bin.tar.xz | grep -v '/$' | tr '\n' ' ')"
echo "packages: $(echo $pkgs)"
if (( size >= 64 )); then
  echo "gpu-bundle: .gpu is ${size} MiB, over the device tool's 64 MiB carry limit" >&2
  exit 1
fi
