#!/usr/bin/env bash
# Integration: the real `vigil` binary on real photos mixed with broken files. Checks that every
# input gets one JSON line in input order, good photos get 5 probabilities summing to 1, broken
# ones get a clear error code, the run continues, and the exit code says some inputs failed.
set -euo pipefail
VIGIL_BIN=${VIGIL_BIN:?}
SRC=${VIGIL_SOURCE_DIR:?}
DATA=${VIGIL_TEST_DATA:-$SRC/data}
export VIGIL_MODELS=${VIGIL_MODELS:-$SRC/models}
SAMPLES="$DATA/images/samples"
[ -d "$SAMPLES" ] || { echo "missing $SAMPLES: run scripts/fetch-test-data"; exit 1; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir -p "$TMP/in/sub"
mapfile -t photos < <(find "$SAMPLES" -name '*.jpg' | sort | head -3)
[ ${#photos[@]} -eq 3 ] || fail "need 3 sample JPEGs in $SAMPLES"
cp "${photos[0]}" "$TMP/in/a_good.jpg"
cp "${photos[1]}" "$TMP/in/sub/b_good.jpg"
: > "$TMP/in/c_empty.jpg"
echo "this is not an image" > "$TMP/in/d_text.jpg"
head -c 5000 /dev/urandom > "$TMP/in/e_random.png"
head -c $(( $(stat -c %s "${photos[2]}") / 3 )) "${photos[2]}" > "$TMP/in/f_truncated.jpg"
cp "${photos[2]}" "$TMP/in/g_good.jpg"

set +e
"$VIGIL_BIN" classify "$TMP/in" --json --threads 2 > "$TMP/out.jsonl" 2> "$TMP/err.txt"
code=$?
set -e
cat "$TMP/out.jsonl"; cat "$TMP/err.txt"
[ $code -eq 1 ] || fail "exit code $code, expected 1 (some inputs failed)"

node - "$TMP/out.jsonl" <<'JS' || fail "JSON checks"
const lines = require('fs').readFileSync(process.argv[2], 'utf8').trim().split('\n').map(JSON.parse);
const names = lines.map(l => require('path').basename(l.path));
const expected = ['a_good.jpg','c_empty.jpg','d_text.jpg','e_random.png','f_truncated.jpg','g_good.jpg','b_good.jpg'];
if (JSON.stringify(names) !== JSON.stringify(expected)) throw new Error('order/paths: ' + names);
for (const l of lines) {
  if (l.path.includes('good')) {
    if (!l.predictions || l.predictions.length !== 5) throw new Error('predictions for ' + l.path);
    const sum = l.predictions.reduce((s, p) => s + p.score, 0);
    if (Math.abs(sum - 1) > 1e-4) throw new Error('scores sum to ' + sum);
    for (let i = 1; i < 5; ++i) if (l.predictions[i].score > l.predictions[i-1].score) throw new Error('not sorted');
    if (l.model !== 'nsfw_mobilenet_v2' || l.version !== 1) throw new Error('model/version ' + l.model);
  } else {
    if (!l.error || !l.error.code || !l.error.message) throw new Error('no error for ' + l.path);
  }
}
const codes = Object.fromEntries(lines.filter(l => l.error).map(l => [require('path').basename(l.path), l.error.code]));
if (codes['c_empty.jpg'] !== 'invalid_argument') throw new Error('empty: ' + codes['c_empty.jpg']);
if (codes['d_text.jpg'] !== 'unsupported') throw new Error('text: ' + codes['d_text.jpg']);
if (codes['e_random.png'] !== 'unsupported') throw new Error('random: ' + codes['e_random.png']);
if (codes['f_truncated.jpg'] !== 'data_loss') throw new Error('truncated: ' + codes['f_truncated.jpg']);
console.log('json checks ok');
JS
grep -q "classified 3 of 7 images" "$TMP/err.txt" || fail "throughput summary missing"

# The same photo through --top-k and the text format.
"$VIGIL_BIN" classify "$TMP/in/a_good.jpg" --top-k 2 > "$TMP/text.txt"
[ "$(wc -w < "$TMP/text.txt")" -eq 5 ] || fail "top-k text output: $(cat "$TMP/text.txt")"

# An unknown model is a clear error, exit 3, naming the available models.
set +e
"$VIGIL_BIN" classify "$TMP/in/a_good.jpg" --model no_such_model 2> "$TMP/err2.txt"; code=$?
set -e
[ $code -eq 3 ] || fail "unknown model exit code $code"
grep -q "nsfw_mobilenet_v2" "$TMP/err2.txt" || fail "unknown model message: $(cat "$TMP/err2.txt")"

# A detector threshold out of range is a usage error (exit 2) before anything loads.
set +e
"$VIGIL_BIN" classify "$TMP/in/a_good.jpg" --model nanodet_coco --iou-threshold 0 2> "$TMP/err3.txt"; code=$?
set -e
[ $code -eq 2 ] || fail "--iou-threshold 0 exit code $code, expected 2: $(cat "$TMP/err3.txt")"
grep -q "(0, 1]" "$TMP/err3.txt" || fail "--iou-threshold 0 message: $(cat "$TMP/err3.txt")"

# `vigil models` lists both default models with their inputs and backend.
"$VIGIL_BIN" models > "$TMP/models.txt"
cat "$TMP/models.txt"
grep -E "^nsfw_mobilenet_v2 +1 +classification +224x224x3 NHWC +embedding\[1280\] +(xnnpack|onednn) +Drawing,Hentai,Neutral,Porn,Sexy" "$TMP/models.txt" >/dev/null || fail "models listing (mobilenet)"
grep -E "^nsfw_inception_v3 +1 +classification +299x299x3 NHWC +embedding\[2048\] +(xnnpack|onednn)" "$TMP/models.txt" >/dev/null || fail "models listing (inception)"
echo "cli_classify: all checks passed"
