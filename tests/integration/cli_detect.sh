#!/usr/bin/env bash
# Integration: detectors through the real `vigil` binary. Installs NanoDet and CenterNet from the
# tfjs graph models scripts/setup extracts (vigil import tfjs-graph --manifest) into a scratch
# repository beside a link to the nsfwjs classifier, lists them, and runs
# `vigil classify --model nsfw_mobilenet_v2 --model nanodet_coco` (one decode per image): every
# input gets one JSON line with one result per model and the merged tags; boxes lie inside the
# image; broken inputs get an error and exit code 1; bad thresholds are usage errors.
set -euo pipefail
VIGIL_BIN=${VIGIL_BIN:?}
SRC=${VIGIL_SOURCE_DIR:?}
DATA=${VIGIL_TEST_DATA:-$SRC/data}
MODELS=${VIGIL_MODELS:-$SRC/models}
HM=${VIGIL_TFJS_MODELS:-$SRC/.vigil/tfjs}/human-models
SAMPLES="$DATA/images/samples"
fail() { echo "FAIL: $*"; exit 1; }
[ -d "$SAMPLES" ] || fail "missing $SAMPLES: run scripts/fetch-test-data"
[ -f "$HM/nanodet.json" ] || fail "missing $HM/nanodet.json: run scripts/setup"
[ -d "$MODELS/nsfw_mobilenet_v2" ] || fail "missing $MODELS/nsfw_mobilenet_v2: run scripts/setup"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

REPO="$TMP/models"
mkdir -p "$REPO"
ln -s "$(cd "$MODELS/nsfw_mobilenet_v2" && pwd)" "$REPO/nsfw_mobilenet_v2"
"$VIGIL_BIN" import tfjs-graph "$HM/nanodet.json" --manifest "$SRC/scripts/manifests/nanodet_coco.json" \
  --models "$REPO" || fail "install nanodet_coco"
"$VIGIL_BIN" import tfjs-graph "$HM/centernet.json" --manifest "$SRC/scripts/manifests/centernet_coco.json" \
  --models "$REPO" || fail "install centernet_coco"
# Installing a graph model as a classifier is refused with a pointer to --manifest.
set +e
"$VIGIL_BIN" import tfjs "$HM/nanodet.json" --name x --models "$REPO" 2> "$TMP/err0.txt"; code=$?
set -e
[ $code -eq 3 ] && grep -q -- "--manifest" "$TMP/err0.txt" || fail "tfjs import of a graph model: $(cat "$TMP/err0.txt")"

"$VIGIL_BIN" models --models "$REPO" > "$TMP/models.txt"
cat "$TMP/models.txt"
grep -E "^nanodet_coco +1 +detection +416x416x3 NCHW +- +[a-z]+ +person,bicycle" "$TMP/models.txt" >/dev/null \
  || fail "models listing (nanodet)"
grep -E "^centernet_coco +1 +detection +512x512x3 NHWC" "$TMP/models.txt" >/dev/null || fail "models listing (centernet)"

cp "$SAMPLES/chelsea.png" "$SAMPLES/messi5.jpg" "$TMP/"
echo "not an image" > "$TMP/broken.jpg"
set +e
"$VIGIL_BIN" classify "$TMP/chelsea.png" "$TMP/messi5.jpg" "$TMP/broken.jpg" --models "$REPO" \
  -m nsfw_mobilenet_v2 -m nanodet_coco --json > "$TMP/out.jsonl" 2> "$TMP/err.txt"
code=$?
set -e
cat "$TMP/out.jsonl"; cat "$TMP/err.txt"
[ $code -eq 1 ] || fail "exit code $code, expected 1 (one input failed)"
node - "$TMP/out.jsonl" <<'JS'
const lines = require('fs').readFileSync(process.argv[2], 'utf8').trim().split('\n').map(JSON.parse);
const check = (c, m) => { if (!c) { console.error('FAIL: ' + m); process.exit(1); } };
check(lines.length === 3, 'three lines');
const want = { 'chelsea.png': ['cat'], 'messi5.jpg': ['person', 'sports ball'] };
for (const j of lines.slice(0, 2)) {
  const name = j.path.split('/').pop();
  check(j.results && j.results.length === 2, name + ': two results');
  const [c, d] = j.results;
  check(c.model === 'nsfw_mobilenet_v2' && c.task === 'classification' && c.predictions.length === 5,
        name + ': classification result');
  const sum = c.predictions.reduce((a, p) => a + p.score, 0);
  check(Math.abs(sum - 1) < 1e-4, name + ': probabilities sum to 1');
  check(d.model === 'nanodet_coco' && d.task === 'detection' && d.detections.length > 0, name + ': detections');
  for (const det of d.detections) {
    const [x0, y0, x1, y1] = det.box;
    check(x0 >= 0 && y0 >= 0 && x1 <= j.width && y1 <= j.height && x0 < x1 && y0 < y1,
          name + ': box inside the image ' + JSON.stringify(det));
    check(det.score >= 0.35, name + ': score above the manifest threshold');
  }
  const top = j.tags.slice(0, want[name].length).map(t => t.label).sort();
  check(JSON.stringify(top) === JSON.stringify(want[name].slice().sort()),
        name + ': top tags ' + JSON.stringify(j.tags));
}
check(lines[2].error && lines[2].error.code, 'broken input gets an error');
console.log('ok  multi-model JSON: classification + detections + tags per image');
JS
node -e '
  const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]);
  if (j.width !== 451 || j.height !== 300) { console.error("FAIL: chelsea size " + j.width + "x" + j.height); process.exit(1); }' "$TMP/out.jsonl"

# Text output: the classifier's labels, then the tags.
"$VIGIL_BIN" classify "$TMP/chelsea.png" --models "$REPO" -m nsfw_mobilenet_v2 -m centernet_coco -k 1 \
  > "$TMP/text.txt" 2>/dev/null
cat "$TMP/text.txt"
grep -Eq "chelsea.png  [A-Za-z]+ [0-9.]+  \|  tags:  cat [0-9.]+ x1" "$TMP/text.txt" || fail "text output"

# Bad options are usage errors (exit 2); an unknown model is an error naming what exists (exit 3).
set +e
"$VIGIL_BIN" classify "$TMP/chelsea.png" --models "$REPO" -m nanodet_coco --score-threshold 2 2>/dev/null; c1=$?
"$VIGIL_BIN" classify "$TMP/chelsea.png" --models "$REPO" -m nanodet_coco -m nope 2> "$TMP/err2.txt"; c2=$?
set -e
[ $c1 -eq 2 ] || fail "score threshold 2: exit $c1"
[ $c2 -eq 3 ] && grep -q nanodet_coco "$TMP/err2.txt" || fail "unknown model: exit $c2 $(cat "$TMP/err2.txt")"
echo "cli_detect: all checks passed"
