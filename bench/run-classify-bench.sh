#!/usr/bin/env bash
# Vigil vs ONNX Runtime 1.30 (npm onnxruntime-node) on the four bundled models, in one sitting:
# the imported nsfwjs classifiers (model-only img/s at 1/2 threads x batch 1/16, and end to end
# (1920x1080 JPEG -> labels) against the ideal rate), then the two detectors NanoDet-416 and
# CenterNet-512 (bench/detect_bench: model-only ms per image at 1/2 threads for every backend that
# runs them, and the Detector pipeline). Run on an otherwise idle machine (or under
# flock /tmp/vigil-bench.lock), after scripts/setup and scripts/fetch-test-data.
# usage: bench/run-classify-bench.sh [SECONDS_PER_MEASUREMENT] [BACKEND] [DETECTOR_REPEATS]
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_EACH=${1:-5}
BACKEND=${2:-xnnpack}
REPEATS=${3:-3}
BENCH="$REPO/build/bench/classify_bench"
[ -x "$BENCH" ] || { echo "build first: scripts/setup"; exit 1; }
PHOTO="$REPO/data/images/samples/fruits.jpg"
[ -f "$PHOTO" ] || { echo "missing $PHOTO: scripts/fetch-test-data"; exit 1; }
echo "# $(date -u +%F' '%H:%M) UTC, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
for model in nsfw_mobilenet_v2 nsfw_inception_v3; do
  "$BENCH" --models "$REPO/models" --model "$model" --backend "$BACKEND" --seconds "$SECONDS_EACH" \
    --node-modules "$REPO/node_modules" --ort-script "$REPO/bench/ort_bench.js" --photo "$PHOTO"
  echo
done
DETECT="$REPO/build/bench/detect_bench"
DPHOTO="$REPO/data/images/samples/messi5.jpg"
echo "# detectors, load $(cut -d' ' -f1-3 /proc/loadavg)"
for model in nanodet_coco centernet_coco; do
  "$DETECT" --models "${VIGIL_MODELS:-$REPO/models}" --model "$model" --seconds "$SECONDS_EACH" --repeat "$REPEATS" \
    --node-modules "$REPO/node_modules" --ort-script "$REPO/bench/ort_bench.js" --photo "$DPHOTO"
  echo
done
