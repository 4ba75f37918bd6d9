#!/usr/bin/env bash
# `vigil serve` against `vigil classify` offline on the same JPEGs, in one sitting (2 cores):
#   1. offline throughput: vigil classify --threads 2 over the photos (copied 20x), median of 3
#   2. server maximum throughput: wrk (1 thread, 4 connections) POSTing the same photos, median of 3
#   3. p50/p90/p99 latency at 50% and 90% of that maximum: bench/http_load (open loop, fixed rate)
#   4. resident memory of the server with both default models loaded (VmRSS idle, VmHWM peak)
# Needs: scripts/setup, scripts/fetch-test-data, wrk (Debian). Run on an otherwise idle machine.
# usage: bench/serve-bench.sh [SECONDS_PER_RUN]
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DUR=${1:-10}
VIGIL="$REPO/build/vigil"
LOAD="$REPO/build/bench/http_load"
command -v wrk >/dev/null || { echo "install wrk: apt-get install -y --no-install-recommends wrk"; exit 1; }
[ -x "$LOAD" ] || { echo "build first: scripts/setup"; exit 1; }
mapfile -t PHOTOS < <(find "$REPO/data/images/samples" -name '*.jpg' | sort)
[ ${#PHOTOS[@]} -ge 5 ] || { echo "scripts/fetch-test-data first"; exit 1; }
TMP=$(mktemp -d); PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$TMP"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "# $(date -u +%F' '%H:%M) UTC, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, ${#PHOTOS[@]} photos"
mkdir -p "$TMP/offline"
for i in $(seq 1 20); do for p in "${PHOTOS[@]}"; do cp "$p" "$TMP/offline/$i-$(basename "$p")"; done; done
N=$(ls "$TMP/offline" | wc -l)
for run in 1 2 3; do
  "$VIGIL" classify "$TMP/offline" --models "$REPO/models" --threads 2 2>&1 >/dev/null \
    | grep -o '[0-9.]* img/s' | cut -d' ' -f1
done > "$TMP/offline.txt"
OFFLINE=$(median < "$TMP/offline.txt")
echo "offline: vigil classify --threads 2 on $N images: $(tr '\n' ' ' < "$TMP/offline.txt")img/s -> median $OFFLINE"

"$VIGIL" serve --models "$REPO/models" --port 0 --workers 2 --database "$TMP/vigil.db" > "$TMP/serve.out" 2>&1 &
PID=$!
for _ in $(seq 1 100); do grep -q "listening on" "$TMP/serve.out" && break; sleep 0.1; done
PORT=$(grep -o 'http://127.0.0.1:[0-9]*' "$TMP/serve.out" | head -1 | sed 's/.*://')
URL="http://127.0.0.1:$PORT/v1/images:classify"
rss() { awk -v k="$1" '$1 == k":" {printf "%.0f", $2 / 1024}' "/proc/$PID/status"; }
curl -s -H 'Content-Type: image/jpeg' --data-binary @"${PHOTOS[0]}" "$URL" >/dev/null
echo "server: both models loaded, idle RSS $(rss VmRSS) MB"

for run in 1 2 3; do
  wrk -t1 -c4 -d"${DUR}s" -s "$REPO/bench/wrk_images.lua" "$URL" -- "${PHOTOS[@]}" | grep '^wrk:' | tee -a "$TMP/wrk.txt"
done
MAX=$(awk '{print $4}' "$TMP/wrk.txt" | median)
echo "server max (wrk, median): $MAX img/s = $(awk -v a="$MAX" -v b="$OFFLINE" 'BEGIN {printf "%.2f", a / b}')x offline"

for frac in 0.5 0.9; do
  R=$(awk -v m="$MAX" -v f="$frac" 'BEGIN {printf "%.1f", m * f}')
  printf 'at %s of max (%s req/s): ' "$frac" "$R"
  "$LOAD" --port "$PORT" --path /v1/images:classify --rate "$R" --seconds "$DUR" --connections 16 "${PHOTOS[@]}" || true
done
echo "server peak RSS (VmHWM) $(rss VmHWM) MB, now $(rss VmRSS) MB"
