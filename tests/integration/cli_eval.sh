#!/usr/bin/env bash
# Integration: `vigil eval` on a small labelled folder of real photos whose class folders are model
# labels. Its accuracy and confusion matrix must equal what `vigil classify --json` top-1 answers
# give for the same files (an independent path through the CLI); the HTML report has its 4 plots;
# slices are reported; an MLflow run is written; a class that is not a model label is an error.
set -euo pipefail
VIGIL_BIN=${VIGIL_BIN:?}
SRC=${VIGIL_SOURCE_DIR:?}
DATA=${VIGIL_TEST_DATA:-$SRC/data}
export VIGIL_MODELS=${VIGIL_MODELS:-$SRC/models}
S="$DATA/images/samples"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir -p "$TMP/set/Neutral" "$TMP/set/Drawing" "$TMP/set/Sexy"
for f in baboon.jpg fruits.jpg coffee.png chelsea.png home.jpg astronaut.png; do cp "$S/$f" "$TMP/set/Neutral/"; done
for f in starry_night.jpg rocket.jpg text.png logo.png; do cp "$S/$f" "$TMP/set/Drawing/"; done
for f in messi5.jpg camera.png; do cp "$S/$f" "$TMP/set/Sexy/"; done
printf 'path,slice\nNeutral/baboon.jpg,jpeg\nNeutral/fruits.jpg,jpeg\nNeutral/home.jpg,jpeg\nDrawing/starry_night.jpg,jpeg\nDrawing/rocket.jpg,jpeg\nSexy/messi5.jpg,jpeg\n' > "$TMP/set/slices.csv"
for f in coffee.png chelsea.png astronaut.png; do echo "Neutral/$f,png"; done >> "$TMP/set/slices.csv"
for f in text.png logo.png; do echo "Drawing/$f,png"; done >> "$TMP/set/slices.csv"
echo "Sexy/camera.png,png" >> "$TMP/set/slices.csv"

"$VIGIL_BIN" eval nsfw_mobilenet_v2 "$TMP/set" --slices "$TMP/set/slices.csv" --report "$TMP/report" \
  --mlflow "$TMP/mlruns" --experiment cli-test --json > "$TMP/eval.json"
"$VIGIL_BIN" eval nsfw_mobilenet_v2 "$TMP/set" | head -3
"$VIGIL_BIN" classify "$TMP/set" --json > "$TMP/classify.jsonl" 2>/dev/null

node - "$TMP" <<'JS' || fail "eval vs classify"
const fs = require('fs'), path = require('path'), dir = process.argv[2];
const e = JSON.parse(fs.readFileSync(dir + '/eval.json', 'utf8'));
const labels = e.class_names;
const rows = fs.readFileSync(dir + '/classify.jsonl', 'utf8').trim().split('\n').map(JSON.parse);
let correct = 0;
const confusion = labels.map(() => labels.map(() => 0));
for (const r of rows) {
  const truth = path.basename(path.dirname(r.path));
  const top = r.predictions[0].label;
  if (truth === top) ++correct;
  confusion[labels.indexOf(truth)][labels.indexOf(top)]++;
}
if (e.count !== 12 || rows.length !== 12) throw new Error('count ' + e.count + ' / ' + rows.length);
if (Math.abs(e.accuracy - correct / 12) > 1e-12) throw new Error('accuracy ' + e.accuracy + ' vs ' + correct / 12);
if (JSON.stringify(e.confusion) !== JSON.stringify(confusion)) throw new Error('confusion ' + JSON.stringify(e.confusion) + ' vs ' + JSON.stringify(confusion));
const slices = e.slices.slices.map(s => s.slice + ':' + s.count).sort().join(' ');
if (slices !== 'jpeg:6 png:6') throw new Error('slices ' + slices);
console.log('ok  eval accuracy ' + e.accuracy.toFixed(3) + ' and confusion matrix equal vigil classify top-1; slices ' + slices);
JS
[ "$(grep -o '<svg' "$TMP/report/report.html" | wc -l)" -eq 4 ] || fail "report.html should hold 4 plots"
[ -f "$TMP/report/metrics.json" ] || fail "no metrics.json"
ls "$TMP"/mlruns/*/*/metrics/accuracy >/dev/null 2>&1 || fail "no MLflow run with an accuracy metric"
ls "$TMP"/mlruns/*/*/artifacts/report.html >/dev/null 2>&1 || fail "report not in the MLflow artifacts"
echo "ok  report (4 plots), metrics.json, MLflow run"

mkdir -p "$TMP/bad/cats" "$TMP/bad/Neutral"
cp "$S/chelsea.png" "$TMP/bad/cats/"; cp "$S/coffee.png" "$TMP/bad/Neutral/"
set +e
"$VIGIL_BIN" eval nsfw_mobilenet_v2 "$TMP/bad" 2> "$TMP/err.txt"; code=$?
set -e
[ $code -eq 3 ] && grep -q "cats" "$TMP/err.txt" || fail "unknown class: exit $code, $(cat "$TMP/err.txt")"
echo "cli_eval: all checks passed"
