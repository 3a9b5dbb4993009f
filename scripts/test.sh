#!/usr/bin/env bash
# The test command (README, .ci/run): installs dependencies, builds with warnings as errors,
# runs every test on lavapipe with validation on, then the same tests under ASan/UBSan, then
# the fuzz targets briefly over their committed corpus. Exits non-zero on any failure.
#   M2VK_SKIP_ASAN=1 / M2VK_SKIP_FUZZ=1 skip those stages (local iteration only).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}

bash scripts/install-deps.sh
source scripts/lavapipe-env.sh
# The OpenAI Node.js client the server tests call m2vk serve with (git-ignored node_modules).
npm ci --prefix tests/server/node --no-audit --no-fund --loglevel=error

echo "== build (Werror) =="
cmake -S . -B build-ci -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DM2VK_WERROR=ON >/dev/null
cmake --build build-ci -j "$JOBS"
echo "== tests =="
ctest --test-dir build-ci --output-on-failure -j "$JOBS"
# The GPU op tests and golden sets (label subgroup) again at lavapipe's other subgroup sizes, so
# every subgroup-generic kernel is checked at 4, 8 (the run above) and 16 lanes (133 tests; about
# 40 s each on 2 cores).
for width in 128 512; do
  if [[ $width == 512 ]] && ! grep -qw avx512f /proc/cpuinfo; then
    echo "== subgroup 16 skipped: this CPU lacks avx512f (LP_NATIVE_VECTOR_WIDTH=512 needs it) =="
    continue
  fi
  echo "== tests at lavapipe subgroup $((width / 32)) (LP_NATIVE_VECTOR_WIDTH=$width, label subgroup) =="
  # A Mesa shader cache of its own per width: Mesa 22.3's cache key does not tell 256- from
  # 512-bit llvmpipe code, so with a shared cache the "subgroup 16" run would execute kernels
  # compiled for 8 lanes by the run above (bench/RESULTS.md, "GEMMs").
  MESA_SHADER_CACHE_DIR="$PWD/build-ci/mesa-cache-w$width" LP_NATIVE_VECTOR_WIDTH=$width \
    ctest --test-dir build-ci --output-on-failure -j "$JOBS" -L subgroup
done

if [[ "${M2VK_SKIP_ASAN:-0}" != 1 ]]; then
  echo "== build (ASan/UBSan) =="
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DM2VK_WERROR=ON -DM2VK_SANITIZE=ON \
        -DM2VK_BUILD_BENCH=OFF >/dev/null
  cmake --build build-asan -j "$JOBS"
  echo "== tests (ASan/UBSan) =="
  ctest --test-dir build-asan --output-on-failure -j "$JOBS" -LE slow
fi

if [[ "${M2VK_SKIP_FUZZ:-0}" != 1 ]]; then
  bash scripts/fuzz.sh 20
fi
echo "== all tests passed =="
