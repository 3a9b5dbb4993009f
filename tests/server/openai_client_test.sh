#!/usr/bin/env bash
# Starts `m2vk serve` on a tiny demo model on a free loopback port, runs the official OpenAI Node.js
# client's tests against it (node/openai_client.test.mjs), then stops the server with SIGTERM and
# checks it exits 0. Usage: openai_client_test.sh M2VK_BIN. Exit 77 (skipped) without node or
# without node/node_modules (scripts/test.sh installs them).
set -euo pipefail
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null || [[ ! -d $HERE/node/node_modules/openai ]]; then
  echo "skipped: needs node and the openai package in $HERE/node/node_modules (npm ci --prefix $HERE/node)"
  exit 77
fi
WORK=$(mktemp -d)
SERVER=""
cleanup() {
  [[ -n $SERVER ]] && kill "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
"$BIN" demo-model "$WORK/tiny" --shape tiny >/dev/null
"$BIN" serve --model "$WORK/tiny" --device llvmpipe --max-length 32 --port 0 >"$WORK/out" 2>"$WORK/err" &
SERVER=$!
for _ in $(seq 1 600); do
  grep -q '^listening on ' "$WORK/out" && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/err"; echo "m2vk serve exited early"; exit 1; }
  sleep 0.1
done
URL=$(sed -n 's/^listening on //p' "$WORK/out")
[[ -n $URL ]] || { cat "$WORK/err"; echo "m2vk serve did not report its address"; exit 1; }
M2VK_URL=$URL M2VK_BIN=$BIN M2VK_MODEL=$WORK/tiny M2VK_MAX_LENGTH=32 node --test "$HERE/node/openai_client.test.mjs"
kill -TERM "$SERVER"
status=0
wait "$SERVER" || status=$?
SERVER=""
grep -q "received SIGTERM" "$WORK/err" || { cat "$WORK/err"; echo "no SIGTERM log line"; exit 1; }
[[ $status == 0 ]] || { cat "$WORK/err"; echo "m2vk serve exited $status after SIGTERM"; exit 1; }
echo "m2vk serve stopped cleanly on SIGTERM"
