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
