#!/usr/bin/env bash
# One prepared check for a borrowed machine with a real GPU and only its driver (issue 13 item 5).
# Here, first: scripts/gpu-bundle.sh (packs .gpu/). There, in the repository root with .gpu/ carried:
#
#   OUT=/some/folder bash scripts/gpu-check.sh
#
# Runs, each stage under its own time limit, the whole within GPU_CHECK_SECONDS (default 480):
# `m2vk golden --device gpu` on every committed golden set, the GPU op tests in the bundle (with
# the validation layer the bundle carries), the end-to-end benchmark with PyTorch CUDA beside it
# where python3 has torch, the FFT and GEMM benchmarks, `m2vk kernels --json` (driver statistics
# where the driver reports them) and fp16 cooperative-matrix runs where the device has them. Writes one
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
# Every stage runs on the default Vulkan device (the GPU where there is one; M2VK_DEVICE picks
# another). The golden stages name `--device gpu` so that they never fall back to the CPU reference.
failed=0
: >"$OUT/summary.txt"
# The whole run's budget in seconds: each stage gets at most what is left, and stages that would
# start with under 10 s left are skipped (reported as such), so the run ends on time.
budget=${GPU_CHECK_SECONDS:-480}

# stage NAME SECONDS COMMAND...: runs COMMAND with a time limit, its output to $OUT/NAME.log.
stage() {
  local name=$1 limit=$2
  shift 2
  local left=$((budget - SECONDS))
  if ((left < 10)); then
    printf '%-22s skipped (the %d s budget is spent)\n' "$name" "$budget" | tee -a "$OUT/summary.txt"
    failed=1
    return
  fi
  ((limit > left)) && limit=$left
  local start=$SECONDS rc
  timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
  rc=$?
  local note=""
  if ((rc == 124)); then note=" (timed out after ${limit} s)"; fi
  printf '%-22s rc=%-3s %4d s%s\n' "$name" "$rc" $((SECONDS - start)) "$note" | tee -a "$OUT/summary.txt"
  if ((rc != 0)); then failed=1; fi
}

# Most telling first: the machine may be taken back or run out of time before the end.
stage devices 20 m2vk devices --json
if command -v nvidia-smi >/dev/null; then stage nvidia_smi 20 nvidia-smi; fi
for g in tests/data/golden/*/; do
  [[ -f $g/config.json ]] || continue
  stage "golden_$(basename "$g")" 40 m2vk golden "$g" --device gpu
done
for t in ops_test_gemm ops_test_fft_conv; do
  stage "$t" 90 "$t" --gtest_output="json:$OUT/$t.json"
done
model=/tmp/m2vk-demo-80m-32k
[[ -f $model/config.json ]] || m2vk demo-model "$model" --shape 80m-32k >"$OUT/demo_model.log" 2>&1
stage bench_e2e 120 m2vk_bench_e2e --model "$model" --lengths 128,512,2048,8192,32768 --batches 1,8 --repeats 3 --json "$OUT/bench_e2e.json"
# PyTorch on the same GPU, same model and shapes (bench/torch/m2bert_torch.py; plain fp32 matmuls,
# no TF32), where the machine's python3 has torch with CUDA. Python runs without the bundle's
# LD_LIBRARY_PATH: Debian 12's libstdc++ may be older than the one its torch was built against.
py=(env -u LD_LIBRARY_PATH python3)
if "${py[@]}" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  for b in 1 8; do
    stage "torch_e2e_b$b" 60 "${py[@]}" bench/torch/m2bert_torch.py bench --model "$model" \
      --lengths 128,512,2048,8192,32768 --batch "$b" --repeats 3 --device cuda
  done
fi
stage bench_fft 60 m2vk_bench_fft --len 2048,8192,32768 --batch 1,8 --reps 5 --json "$OUT/bench_fft.json"
for k in tiled tiled128; do
  stage "bench_gemm_$k" 40 m2vk_bench_gemm --kernel "$k" --len 512,2048,8192 --reps 5 --json "$OUT/bench_gemm_$k.json"
done
stage kernels 90 m2vk kernels --json
cp "$OUT/kernels.log" "$OUT/kernels.json" 2>/dev/null
stage ops_test_gemm_coopmat 60 ops_test_gemm_coopmat --gtest_output="json:$OUT/ops_test_gemm_coopmat.json"
stage bench_e2e_fp16 60 m2vk_bench_e2e --model "$model" --lengths 2048,32768 --batches 8 --repeats 3 \
  --precision fp16 --json "$OUT/bench_e2e_fp16.json"

echo "gpu-check: logs and JSON in $OUT (summary.txt)"
exit "$failed"
