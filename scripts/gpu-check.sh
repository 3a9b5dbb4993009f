#!/usr/bin/env bash
# One prepared check for a borrowed machine with a real GPU and only its driver (issue 13 item 5).
# Here, first: scripts/gpu-bundle.sh (packs .gpu/). There, in the repository root with .gpu/ carried:
#
#   OUT=/some/folder bash scripts/gpu-check.sh
#
# Runs, each stage under its own time limit so the whole stays within about 8 minutes:
# the GPU op tests in the bundle, `m2vk golden --device gpu` on every committed golden set,
# `m2vk kernels --json` (driver statistics where the driver reports them), and the FFT, GEMM and
# end-to-end benchmarks (PyTorch beside the end-to-end one where Python has torch). Writes one
# log and, where the tool has it, one JSON per stage to $OUT, and $OUT/summary.txt with each
# stage's exit status. Exits non-zero when any stage failed or ran out of time.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:?set OUT to the folder that receives logs and JSON}
mkdir -p "$OUT"
if [[ ! -d .gpu ]]; then
  echo "gpu-check: .gpu/ is missing (make it with scripts/gpu-bundle.sh and carry it here)" >&2
  exit 2
fi
# shellcheck source=scripts/gpu-env.sh
source scripts/gpu-env.sh
export M2VK_CACHE_DIR=${M2VK_CACHE_DIR:-/tmp/m2vk-cache}
failed=0
: >"$OUT/summary.txt"

# stage NAME SECONDS COMMAND...: runs COMMAND with a time limit, its output to $OUT/NAME.log.
stage() {
  local name=$1 limit=$2
  shift 2
  local start=$SECONDS rc
  timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
  rc=$?
  local note=""
  if ((rc == 124)); then note=" (timed out after ${limit} s)"; fi
  printf '%-22s rc=%-3s %4d s%s\n' "$name" "$rc" $((SECONDS - start)) "$note" | tee -a "$OUT/summary.txt"
  if ((rc != 0)); then failed=1; fi
}

stage devices 30 m2vk devices --json
stage kernels 90 m2vk kernels --json
cp "$OUT/kernels.log" "$OUT/kernels.json" 2>/dev/null
for t in ops_test_gemm ops_test_fft_conv ops_test_gemm_coopmat; do
  stage "$t" 90 "$t" --gtest_output="json:$OUT/$t.json"
done
for g in tests/data/golden/*/; do
  [[ -f $g/config.json ]] || continue
  stage "golden_$(basename "$g")" 30 m2vk golden "$g" --device gpu
done
stage bench_fft 60 m2vk_bench_fft --len 2048,8192,32768 --batch 1,8 --reps 5 --json "$OUT/bench_fft.json"
stage bench_gemm 60 m2vk_bench_gemm --len 512,2048,8192 --reps 5 --json "$OUT/bench_gemm.json"
model=/tmp/m2vk-demo-80m-32k
[[ -f $model/config.json ]] || m2vk demo-model "$model" --shape 80m-32k >"$OUT/demo_model.log" 2>&1
torch=()
if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then torch=(--torch); fi
stage bench_e2e 150 m2vk_bench_e2e --model "$model" --lengths 128,512,2048,8192,32768 --batches 1,8 --repeats 2 \
  "${torch[@]}" --json "$OUT/bench_e2e.json"

echo "gpu-check: logs and JSON in $OUT (summary.txt)"
exit "$failed"
