#!/usr/bin/env bash
# Detector latency, Vigil vs ONNX Runtime 1.30 (npm onnxruntime-node), one sitting: NanoDet-416
# model-only ms per image at 1 and 2 threads for every backend that can run it, and the whole
# Detector pipeline on a photo. Run on an otherwise idle machine after scripts/setup and
# scripts/fetch-test-data.
# usage: bench/run-detect-bench.sh [SECONDS_PER_MEASUREMENT] [REPEATS] [MODEL]
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_EACH=${1:-3}
REPEATS=${2:-3}
MODEL=${3:-nanodet_coco}
BENCH="$REPO/build/bench/detect_bench"
[ -x "$BENCH" ] || { echo "build first: scripts/setup"; exit 1; }
PHOTO="$REPO/data/images/samples/messi5.jpg"
[ -f "$PHOTO" ] || { echo "missing $PHOTO: scripts/fetch-test-data"; exit 1; }
echo "# $(date -u +%F' '%H:%M) UTC, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BENCH" --models "${VIGIL_MODELS:-$REPO/models}" --model "$MODEL" --seconds "$SECONDS_EACH" --repeat "$REPEATS" \
  --node-modules "$REPO/node_modules" --ort-script "$REPO/bench/ort_bench.js" --photo "$PHOTO"
