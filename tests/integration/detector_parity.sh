#!/usr/bin/env bash
# Detector parity: tfjs graph models converted by `vigil import tfjs-graph` must give the raw
# outputs TensorFlow.js gives, in ONNX Runtime and in Vigil's runtime (OpenCV backend; XNNPACK when
# it can express the model), within 1e-4 * max(1, max |output|) (measured: NanoDet 1.5e-5, CenterNet
# heads 1.3e-5 relative; 1e-4 leaves ~7x margin).
#   NanoDet (416x416 NCHW, 6 outputs) on a real photo and on a seeded random tensor;
#   CenterNet's heads (keypoints, wh; its TopK post-processing is not converted) on the photo.
# Steps per case: import -> tests/parity/tfjs_graph_reference.js (tfjs vs onnxruntime-node, dumps
# the input and tfjs outputs) -> unit_models --gtest_filter=TfjsGraphParity.* on the dump.
# Final boxes: nanodet_coco and centernet_coco installed with their manifests; `vigil classify
# --full-decode --json -m nanodet_coco -m centernet_coco` on 7 photos against
# tests/parity/detector_boxes_reference.js (the graph model in tfjs, with preprocessing, decoding
# and per-class tf.image.nonMaxSuppression in JavaScript; CenterNet through the graph's own TopK
# post-processing): same boxes (IoU >= 0.99, |Δscore| <= 1e-3).
#
# Environment (ctest sets the first three): VIGIL_BIN, VIGIL_SOURCE_DIR, VIGIL_BINARY_DIR,
# VIGIL_TEST_DATA (<src>/data), VIGIL_NODE_MODULES (<src>/node_modules), VIGIL_DETECTOR_MODELS
# (<src>/.vigil/tfjs/human-models: scripts/setup extracts them), VIGIL_PARITY_KEEP=1 keeps the work
# folder.
set -euo pipefail

SRC=${VIGIL_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BIN=${VIGIL_BIN:-$SRC/build/vigil}
BUILD=${VIGIL_BINARY_DIR:-$SRC/build}
DATA=${VIGIL_TEST_DATA:-$SRC/data}
NODE_MODULES=${VIGIL_NODE_MODULES:-$SRC/node_modules}
MODELS=${VIGIL_DETECTOR_MODELS:-$SRC/.vigil/tfjs/human-models}
UNIT=$BUILD/tests/unit_models
PHOTO=$DATA/images/samples/astronaut.png

fail() { echo "detector_parity: FAIL: $*" >&2; exit 1; }

[ -x "$BIN" ] || fail "no vigil binary at $BIN (build first: scripts/setup)"
[ -x "$UNIT" ] || fail "no unit_models binary at $UNIT"
command -v node >/dev/null || fail "node not found (scripts/setup installs it)"
[ -d "$NODE_MODULES/@tensorflow/tfjs" ] || fail "no @tensorflow/tfjs in $NODE_MODULES (run scripts/setup)"
[ -d "$NODE_MODULES/onnxruntime-node" ] || fail "no onnxruntime-node in $NODE_MODULES (run scripts/setup)"
[ -f "$MODELS/nanodet.json" ] || fail "no detector models in $MODELS (run scripts/setup)"
[ -f "$PHOTO" ] || fail "missing $PHOTO (run scripts/fetch-test-data)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-detector-parity.XXXXXX")
if [ "${VIGIL_PARITY_KEEP:-0}" = 1 ]; then echo "work folder: $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi

# The photo's pixels as Vigil decodes them (full decode), as raw RGB.
meta=$("$BIN" decode "$PHOTO" -o "$WORK/photo.rgb" 2>/dev/null) || fail "vigil decode $PHOTO"
W=$(node -e 'process.stdout.write(String(JSON.parse(process.argv[1]).width))' "$meta")
H=$(node -e 'process.stdout.write(String(JSON.parse(process.argv[1]).height))' "$meta")

# check NAME MODEL_JSON INPUT_ARGS [OUTPUTS]
check() {
  local name=$1 model=$2 input=$3 outputs=${4:-}
  local dir="$WORK/$name"
  mkdir -p "$dir"
  local extra=()
  [ -n "$outputs" ] && extra=(--outputs "$outputs")
  "$BIN" import tfjs-graph "$model" --out "$dir/model.onnx" "${extra[@]}" >/dev/null \
    || fail "$name: vigil import tfjs-graph $model"
  echo "== $name: tfjs vs onnxruntime"
  # shellcheck disable=SC2086
  node "$SRC/tests/parity/tfjs_graph_reference.js" --model "$model" --onnx "$dir/model.onnx" \
    $input --dump "$dir" --node-modules "$NODE_MODULES" "${extra[@]}" 2>"$dir/node.log" \
    || { cat "$dir/node.log" >&2; fail "$name: onnxruntime differs from tfjs"; }
  echo "== $name: tfjs vs vigil runtime"
  local log="$dir/unit.log"
  VIGIL_GRAPH_PARITY_DIR="$dir" "$UNIT" --gtest_filter='TfjsGraphParity.DumpedReference' >"$log" 2>&1 \
    || { cat "$log" >&2; fail "$name: vigil runtime differs from tfjs"; }
  grep -q '\[  PASSED  \] 1 test' "$log" || { cat "$log" >&2; fail "$name: parity test did not run"; }
  grep '\[ info \]' "$log" | sed 's/^\[ info \] /  /'
}

check nanodet_photo "$MODELS/nanodet.json" "--image $WORK/photo.rgb:${W}x${H}"
check nanodet_random "$MODELS/nanodet.json" "--seed 7"
check centernet_heads_photo "$MODELS/centernet.json" "--image $WORK/photo.rgb:${W}x${H} --divide 1" \
  "tower_0/keypoints,tower_0/wh"
echo "== final boxes: vigil classify vs tfjs + JavaScript decoding and NMS"
REPO="$WORK/repo"
for m in nanodet centernet; do
  "$BIN" import tfjs-graph "$MODELS/$m.json" --manifest "$SRC/scripts/manifests/${m}_coco.json" \
    --models "$REPO" >/dev/null || fail "install ${m}_coco"
done
nano_cases=(); center_cases=()
for photo in astronaut.png chelsea.png coffee.png messi5.jpg motorcycle_left.png fruits.jpg camera.png; do
  f="$DATA/images/samples/$photo"
  [ -f "$f" ] || fail "missing $f"
  meta=$("$BIN" decode "$f" -o "$WORK/$photo.rgb" 2>/dev/null) || fail "vigil decode $f"
  wh=$(node -e 'const j = JSON.parse(process.argv[1]); process.stdout.write(j.width + "x" + j.height)' "$meta")
  "$BIN" classify "$f" --models "$REPO" -m nanodet_coco -m centernet_coco --full-decode --json \
    > "$WORK/$photo.json" 2>/dev/null || fail "vigil classify $f"
  nano_cases+=(--case "$WORK/$photo.rgb:$wh=$WORK/$photo.json")
  center_cases+=(--case "$WORK/$photo.rgb:$wh=$WORK/$photo.json")
done
node "$SRC/tests/parity/detector_boxes_reference.js" --model "$MODELS/nanodet.json" \
  --manifest "$SRC/scripts/manifests/nanodet_coco.json" --node-modules "$NODE_MODULES" \
  "${nano_cases[@]}" 2>"$WORK/boxes_nano.log" || { cat "$WORK/boxes_nano.log" >&2; fail "nanodet final boxes"; }
node "$SRC/tests/parity/detector_boxes_reference.js" --model "$MODELS/centernet.json" \
  --manifest "$SRC/scripts/manifests/centernet_coco.json" --node-modules "$NODE_MODULES" \
  "${center_cases[@]}" 2>"$WORK/boxes_center.log" || { cat "$WORK/boxes_center.log" >&2; fail "centernet final boxes"; }
echo "detector_parity: ok"
