#!/usr/bin/env bash
# Load benchmark of `m2vk serve` on loopback with wrk (Debian), against `m2vk embed` offline on the
# same device and batch shape. Not a test: it prints a Markdown table for bench/RESULTS.md.
#   bench/serve/run.sh BUILD_DIR [SHAPE:LENGTH:BATCHES ...]   (default: tiny:32:200 80m-32k:128:4)
# For each model and padding (max_length, longest) and 1, 8, 32, 64 connections: requests/s,
# padded tokens/s served, p50 / p99 latency, and served tokens/s over offline tokens/s at the
# same batch size (the serving overhead). One input per request; DURATION seconds per point
# (default 5), CONNECTIONS the client counts (default "1 8 32 64").
set -euo pipefail
BUILD=${1:?usage: run.sh BUILD_DIR [SHAPE:LENGTH:BATCHES ...]}
shift
SHAPES=("$@")
[[ $# -eq 0 ]] && SHAPES=(tiny:32:200 80m-32k:128:4)
DURATION=${DURATION:-5}
BATCH=8
BIN=$BUILD/tools/m2vk
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
SERVER=""
trap '[[ -n $SERVER ]] && kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)"; exit 1; }

TEXT="Monarch Mixer BERT replaces attention with long convolutions, so a server can embed long documents."
metric() { curl -s "$1/metrics" | awk -v k="$2" '$1 == k {print $2}'; }

echo "| model | L | padding | connections | req/s | served tok/s (padded) | offline tok/s (batch $BATCH) | served / offline | p50 ms | p99 ms | errors |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for spec in "${SHAPES[@]}"; do
  IFS=: read -r shape L NB <<<"$spec"
  "$BIN" demo-model "$WORK/$shape" --shape "$shape" >/dev/null 2>&1
  for padding in max_length longest; do
    # Offline steady rate: a process embedding 1 + NB batches of BATCH texts minus one embedding 1 batch
    # (load, set-up and the first pass cancel out).
    for _ in $(seq $BATCH); do echo "$TEXT"; done > "$WORK/one.txt"
    for _ in $(seq $(((1 + NB) * BATCH))); do echo "$TEXT"; done > "$WORK/five.txt"
    offline_s() {
      local a b
      a=$(date +%s.%N)
      "$BIN" embed --model "$WORK/$shape" --max-length "$L" --padding "$padding" --batch-size $BATCH \
        --input "$1" >/dev/null 2>&1
      b=$(date +%s.%N)
      echo "$b - $a" | bc -l
    }
    t_one=$(offline_s "$WORK/one.txt")
    t_five=$(offline_s "$WORK/five.txt")
    tokens_per_text=$("$BIN" embed --model "$WORK/$shape" --max-length "$L" --padding "$padding" "$TEXT" 2>/dev/null |
                      sed -n 's/.*"tokens": *\([0-9]*\).*/\1/p')
    padded=$([[ $padding == max_length ]] && echo "$L" || echo "$tokens_per_text")
    offline=$(echo "$NB * $BATCH * $padded / ($t_five - $t_one)" | bc -l)
    # Loading and warm-up stay out of the measured window.
    "$BIN" serve --model "$WORK/$shape" --max-length "$L" --padding "$padding" --max-batch-requests $BATCH \
      --max-batch-tokens $((BATCH * L)) --port 0 >"$WORK/out" 2>/dev/null &
    SERVER=$!
    until grep -q '^listening on ' "$WORK/out"; do sleep 0.1; done
    URL=$(sed -n 's/^listening on //p' "$WORK/out")
    for c in ${CONNECTIONS:-1 8 32 64}; do
      before=$(metric "$URL" m2vk_batch_tokens_sum)
      line=$(M2VK_BENCH_BODY="{\"model\":\"m\",\"input\":\"$TEXT\"}" wrk -t 1 -c $c -d "${DURATION}s" --timeout 30s \
             -s "$HERE/post.lua" "$URL/v1/embeddings" | grep '^M2VK')
      after=$(metric "$URL" m2vk_batch_tokens_sum)
      eval "$(echo "$line" | sed 's/^M2VK //')"
      served=$(echo "($after - $before) / $seconds" | bc -l)
      printf "| %s | %s | %s | %d | %.1f | %.0f | %.0f | %.2f | %.1f | %.1f | %d |\n" "$shape" "$L" "$padding" "$c" \
        "$(echo "$requests / $seconds" | bc -l)" "$served" "$offline" "$(echo "$served / $offline" | bc -l)" \
        "$p50_ms" "$p99_ms" "$errors"
    done
    kill -TERM $SERVER; wait $SERVER || true; SERVER=""
  done
done
