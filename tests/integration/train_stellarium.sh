#!/usr/bin/env bash
# Integration: `vigil train` on the Stellarium DSO train split (5 classes) into a TEMPORARY model
# repository whose backbone folders are symlinks to the real ones (nothing is written into models/).
# Checks: the summary JSON (5 classes, test split evaluated, test macro-F1 above a floor well above
# chance: 0.6, measured about 0.7), the installed manifest, `vigil classify --models TMP --model NAME` on test images
# (5 labels from the new class list, scores summing to 1, at least 4 of 10 right: chance is 2), the embedding cache (a
# second run computes nothing), and a clear error for two ONNX backbones (they cannot be one model.onnx).
set -euo pipefail
VIGIL_BIN=${VIGIL_BIN:?}
SRC=${VIGIL_SOURCE_DIR:?}
DATA=${VIGIL_TEST_DATA:-$SRC/data}
MODELS=${VIGIL_MODELS:-$SRC/models}
DSO="$DATA/images/stellarium_dso"
[ -d "$DSO/train" ] || { echo "missing $DSO: run scripts/fetch-test-data"; exit 1; }
[ -f "$MODELS/nsfw_mobilenet_v2/1/model.onnx" ] || { echo "missing backbone in $MODELS: run scripts/setup"; exit 1; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir -p "$TMP/repo"
for d in "$MODELS"/*/; do ln -s "$(cd "$d" && pwd)" "$TMP/repo/$(basename "$d")"; done

"$VIGIL_BIN" train "$DSO" --out stellarium_dso --models "$TMP/repo" --cache "$TMP/cache" \
  --threads 2 --seed 7 --report "$TMP/report" --json -q > "$TMP/summary.json"
cat "$TMP/summary.json"
node -e '
const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const classes = ["bright_nebula", "galaxy", "globular_cluster", "open_cluster", "planetary_nebula"];
if (JSON.stringify(s.classes) !== JSON.stringify(classes)) throw new Error("classes " + s.classes);
if (s.model !== "stellarium_dso" || s.version !== 1) throw new Error("model " + s.model + ":" + s.version);
if (s.train.count !== 394 || s.test.count !== 113) throw new Error("counts " + s.train.count + "/" + s.test.count);
if (s.embeddings_computed !== 394 + 113) throw new Error("computed " + s.embeddings_computed);
if (!(s.c > 0) || !(s.temperature > 0)) throw new Error("C/T " + s.c + " " + s.temperature);
console.log("test accuracy " + s.test.accuracy.toFixed(4) + ", macro-F1 " + s.test.macro_f1.toFixed(4));
if (!(s.test.macro_f1 >= 0.6)) throw new Error("test macro-F1 " + s.test.macro_f1 + " < 0.6");
' "$TMP/summary.json"
[ -f "$TMP/report/report.html" ] || fail "no HTML report"
[ -f "$TMP/repo/stellarium_dso/1/model.onnx" ] || fail "model not installed"
grep -q '"planetary_nebula"' "$TMP/repo/stellarium_dso/1/manifest.json" || fail "manifest labels"
[ -L "$TMP/repo/nsfw_mobilenet_v2" ] || fail "backbone link replaced"

# The installed model through the ordinary classify path.
mapfile -t imgs < <(for c in bright_nebula galaxy globular_cluster open_cluster planetary_nebula; do
  find "$DSO/test/$c" -name '*.png' | sort | head -2; done)
"$VIGIL_BIN" classify --models "$TMP/repo" --model stellarium_dso --json "${imgs[@]}" > "$TMP/classify.jsonl"
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const paths = process.argv.slice(2);
if (lines.length !== paths.length) throw new Error(lines.length + " lines for " + paths.length + " images");
let right = 0;
lines.forEach((l, i) => {
  const labels = l.labels || l.predictions;
  if (!labels || labels.length !== 5) throw new Error("labels: " + JSON.stringify(l));
  const sum = labels.reduce((a, x) => a + x.score, 0);
  if (Math.abs(sum - 1) > 1e-4) throw new Error("scores sum to " + sum);
  const truth = paths[i].split("/").slice(-2)[0];
  if (labels[0].label === truth) right++;
});
console.log("classify: " + right + "/" + lines.length + " top-1 right");
if (right < 4) throw new Error("only " + right + " of " + lines.length + " right");
' "$TMP/classify.jsonl" "${imgs[@]}"

# Second run from the cache: nothing recomputed, same C (dry run: nothing installed).
"$VIGIL_BIN" train "$DSO" --dry-run --models "$TMP/repo" --cache "$TMP/cache" --threads 2 --seed 7 \
  --json -q > "$TMP/again.json"
node -e '
const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const b = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
if (b.embeddings_computed !== 0 || b.embeddings_cached !== 507) throw new Error("cache: " + b.embeddings_computed + " computed");
if (a.c !== b.c || Math.abs(a.test.macro_f1 - b.test.macro_f1) > 1e-9) throw new Error("not reproducible");
' "$TMP/summary.json" "$TMP/again.json"
[ ! -d "$TMP/repo/stellarium_dso/2" ] || fail "dry run installed a model"

set +e
"$VIGIL_BIN" train "$DSO" --out two --backbone nsfw_mobilenet_v2,nsfw_inception_v3 --models "$TMP/repo" -q 2> "$TMP/err.txt"
code=$?
set -e
[ $code -eq 3 ] || fail "two ONNX backbones: exit $code, expected 3"
grep -q "at most one ONNX backbone" "$TMP/err.txt" || fail "two-backbone error message: $(cat "$TMP/err.txt")"
echo "PASS"
