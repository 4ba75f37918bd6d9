#!/usr/bin/env bash
# Integration: every repeatable option of every `vigil` subcommand takes one value per occurrence,
# so it can be placed before the paths: `vigil classify -m X a.jpg b.jpg` classifies both images
# with X (CLI11 used to read the paths as more model names and fail). One check per option:
# classify -m; tag -m and --label-threshold; features --blocks; train --c, --gamma, --k,
# --shots-curve (parsed: the data path after them reaches the trainer).
set -euo pipefail
VIGIL_BIN=${VIGIL_BIN:?}
SRC=${VIGIL_SOURCE_DIR:?}
DATA=${VIGIL_TEST_DATA:-$SRC/data}
export VIGIL_MODELS=${VIGIL_MODELS:-$SRC/models}
SAMPLES="$DATA/images/samples"
[ -d "$SAMPLES" ] || { echo "missing $SAMPLES: run scripts/fetch-test-data"; exit 1; }
[ -f "$DATA/videos/vtest.avi" ] || { echo "missing $DATA/videos: run scripts/fetch-test-data"; exit 1; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

mapfile -t photos < <(find "$SAMPLES" -name '*.jpg' | sort | head -2)
[ ${#photos[@]} -eq 2 ] || fail "need 2 sample JPEGs in $SAMPLES"
A=${photos[0]} B=${photos[1]}

# paths_in FILE PATH...: FILE (JSON lines) has one line per PATH, in order, none with an error.
paths_in() {
  node - "$@" <<'JS'
const [file, ...paths] = process.argv.slice(2);
const lines = require('fs').readFileSync(file, 'utf8').trim().split('\n').map(JSON.parse);
const got = lines.map(l => l.path);
if (JSON.stringify(got) !== JSON.stringify(paths)) throw new Error('paths ' + JSON.stringify(got));
for (const l of lines) if (l.error) throw new Error(l.path + ': ' + JSON.stringify(l.error));
JS
}

# classify: one -m before the paths; two -m before the paths run both models on each image.
"$VIGIL_BIN" classify -m nsfw_mobilenet_v2 --json "$A" "$B" > "$TMP/c1.jsonl" 2> "$TMP/err.txt" \
  || { cat "$TMP/err.txt"; fail "classify -m X a b"; }
paths_in "$TMP/c1.jsonl" "$A" "$B" || fail "classify -m X a b: output"
grep -q '"model":"nsfw_mobilenet_v2"' "$TMP/c1.jsonl" || fail "classify -m X: model not used"
"$VIGIL_BIN" classify --model nsfw_mobilenet_v2 -m nanodet_coco --json "$A" "$B" > "$TMP/c2.jsonl" \
  2> "$TMP/err.txt" || { cat "$TMP/err.txt"; fail "classify -m X -m Y a b"; }
paths_in "$TMP/c2.jsonl" "$A" "$B" || fail "classify -m X -m Y a b: output"
[ "$(grep -c '"nanodet_coco"' "$TMP/c2.jsonl")" -eq 2 ] || fail "classify -m X -m Y: second model missing"
grep -q "with nsfw_mobilenet_v2:1 (.*), nanodet_coco:1" "$TMP/err.txt" || fail "classify summary: $(cat "$TMP/err.txt")"

# features --blocks before the paths (a comma list, and repeated).
"$VIGIL_BIN" features --blocks hog,lbp_hist --blocks rgb_hist --json "$A" "$B" > "$TMP/f.jsonl" 2>/dev/null \
  || fail "features --blocks L a b"
paths_in "$TMP/f.jsonl" "$A" "$B" || fail "features --blocks: output"
node -e '
  const l = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]);
  const names = Object.keys(l.features).sort().join(",");
  if (names !== "hog,lbp_hist,rgb_hist") throw new Error("blocks " + names);' "$TMP/f.jsonl" || fail "features blocks"

# tag: -m and --label-threshold before two videos.
ffmpeg -nostdin -v error -f lavfi -i testsrc2=s=160x120:r=10:d=2 -c:v mpeg4 -g 10 "$TMP/v1.mp4"
cp "$TMP/v1.mp4" "$TMP/v2.mp4"
"$VIGIL_BIN" tag -m nsfw_mobilenet_v2 --threshold 1 --label-threshold Neutral=0 --label-threshold Sexy=0 --json \
  "$TMP/v1.mp4" "$TMP/v2.mp4" > "$TMP/t.jsonl" 2> "$TMP/err.txt" || { cat "$TMP/err.txt"; fail "tag -m X a b"; }
paths_in "$TMP/t.jsonl" "$TMP/v1.mp4" "$TMP/v2.mp4" || fail "tag -m X --label-threshold L=V a b: output"
# Threshold 0 makes a label present over the whole clip, 1 (in effect) never: both thresholds applied.
node -e '
  const l = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]);
  const present = l.annotationResults[0].segmentLabelAnnotations.filter(s => s.segments.length)
                   .map(s => s.entity.description).sort().join(",");
  if (present !== "Neutral,Sexy") throw new Error("labels with segments: " + present);' \
  "$TMP/t.jsonl" || fail "tag --label-threshold not applied"

# train: the grid options before the data folder. A missing folder must reach the trainer (a
# runtime error, exit 3, naming it), not be parsed as an option value (a usage error, exit 2).
for opt in "--c 1" "--c 1,10 --c 100" "--gamma 0.5" "--k 3" "--shots-curve 1,3"; do
  set +e
  # shellcheck disable=SC2086
  "$VIGIL_BIN" train $opt "$TMP/no-such-data" --out x --models "$TMP/repo" -q > /dev/null 2> "$TMP/err.txt"
  code=$?
  set -e
  [ $code -eq 3 ] || fail "train $opt DATA: exit $code, expected 3: $(cat "$TMP/err.txt")"
  grep -q "no-such-data" "$TMP/err.txt" || fail "train $opt DATA: $(cat "$TMP/err.txt")"
done
echo "repeated options before the paths: ok"
