#!/usr/bin/env bash
# Loader benchmark: builds loader_bench, makes the 80M-32k-shaped random checkpoint once (torch),
# then in fresh processes: convert (time, peak RSS) and cached loads (first, warm median).
#   bash bench/loader/run.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build-loader}
WORK=${2:-/tmp/m2vk-bench-80m}
cmake --build "$BUILD" -j "${JOBS:-2}" --target loader_bench >/dev/null
BIN=$BUILD/bench/loader/loader_bench
[[ -f $WORK/pytorch_model.bin ]] || /usr/bin/python3 bench/loader/make_checkpoint.py "$WORK"
rm -f "$WORK/converted.safetensors" "$WORK/pytorch_model.safetensors"
cat "$WORK/pytorch_model.bin" >/dev/null  # page cache warm, as after a download
echo "convert: $("$BIN" convert "$WORK/pytorch_model.bin" "$WORK/converted.safetensors")"
echo "load:    $(M2VK_CACHE_DIR=$WORK/cache "$BIN" load "$WORK/pytorch_model.bin" 6)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), commit $(git rev-parse --short HEAD)"
