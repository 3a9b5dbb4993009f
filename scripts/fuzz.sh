#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for SECONDS (default 20)
# seeded by its committed corpus in tests/fuzz/corpus/<target>. A crash fails the script.
#   bash scripts/fuzz.sh 600     # ten minutes per target, for local runs
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-20}
if ! ls tests/fuzz/*.cpp >/dev/null 2>&1; then
  echo "fuzz: no fuzz targets"; exit 0
fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DM2VK_FUZZ=ON \
  -DM2VK_BUILD_TESTS=OFF -DM2VK_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j "${JOBS:-$(nproc)}" --target m2vk_fuzz_all
for bin in build-fuzz/tests/fuzz/fuzz_*; do
  name=$(basename "$bin")
  corpus=tests/fuzz/corpus/${name#fuzz_}
  work=$(mktemp -d)
  echo "== fuzz $name for ${SECONDS_PER_TARGET}s =="
  "$bin" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "$work" "$corpus" 2>&1 | tail -n 5
  rm -rf "$work"
done
