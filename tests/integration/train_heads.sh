#!/usr/bin/env bash
# Integration: the non-default heads through the real binary on a small Stellarium subset (8 train and
# 4 test images per class, symlinked; seconds): classical + rbf-svm and classical + knn install as
# head files (no model.onnx; head.svm / head.faiss beside head.json), MobileNetV2 + prototype as one
# ONNX file; `vigil eval` of each installed model reproduces the test macro-F1 `vigil train` reported
# (the export round trip through ImageClassifier); `--shots-curve` prints K = 1, 3 over 2 seeds (and
# writes few_shot.html with its plot);
# unknown heads get a clear error.
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
ln -s "$(cd "$MODELS/nsfw_mobilenet_v2" && pwd)" "$TMP/repo/nsfw_mobilenet_v2"
for split in train:8 test:4; do
  s=${split%%:*}; n=${split##*:}
  for c in bright_nebula galaxy globular_cluster open_cluster planetary_nebula; do
    mkdir -p "$TMP/dso/$s/$c"
    mapfile -t files < <(find "$DSO/$s/$c" -name '*.png' | sort)  # no `| head`: SIGPIPE under pipefail
    for f in "${files[@]:0:$n}"; do ln -s "$f" "$TMP/dso/$s/$c/"; done
  done
done

train_and_eval() {  # name backbone head export [args...]
  local name=$1 backbone=$2 head=$3 export=$4; shift 4
  "$VIGIL_BIN" train "$TMP/dso" --out "$name" --backbone "$backbone" --head "$head" --models "$TMP/repo" \
    --cache "$TMP/cache" --folds 3 --threads 2 --json -q "$@" > "$TMP/$name.train.json"
  "$VIGIL_BIN" eval "$name" "$TMP/dso/test" --models "$TMP/repo" --json > "$TMP/$name.eval.json"
  node -e '
    const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const e = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
    if (t.head !== process.argv[3]) throw new Error("head " + t.head);
    if (t.train.count !== 40 || t.test.count !== 20) throw new Error("counts " + t.train.count + "/" + t.test.count);
    if (t.export !== process.argv[4]) throw new Error("export " + t.export + ", expected " + process.argv[4]);
    if (Math.abs(e.macro.f1 - t.test.macro_f1) > 1e-9 || Math.abs(e.accuracy - t.test.accuracy) > 1e-9) {
      throw new Error("eval of the installed model " + e.macro.f1 + "/" + e.accuracy + " != train " +
                      t.test.macro_f1 + "/" + t.test.accuracy);
    }
    // Chance is 0.2; 8 images per class are enough to beat it clearly.
    if (!(t.test.accuracy >= 0.35)) throw new Error("test accuracy " + t.test.accuracy);
    console.log(process.argv[5] + ": " + t.head_description + "; test accuracy " + t.test.accuracy.toFixed(3) +
                ", macro-F1 " + t.test.macro_f1.toFixed(3) + " (= vigil eval)");
  ' "$TMP/$name.train.json" "$TMP/$name.eval.json" "$head" "$export" "$name"
}

train_and_eval cls_rbf classical rbf-svm "head file"
[ ! -e "$TMP/repo/cls_rbf/1/model.onnx" ] || fail "classical model has a model.onnx"
[ -s "$TMP/repo/cls_rbf/1/head.svm" ] || fail "no head.svm"
grep -q '"classical"' "$TMP/repo/cls_rbf/1/manifest.json" || fail "manifest head inputs"
train_and_eval cls_knn classical knn "head file" --k 1,3
[ -s "$TMP/repo/cls_knn/1/head.faiss" ] || fail "no head.faiss"
train_and_eval mb_proto nsfw_mobilenet_v2 prototype "onnx"
[ -s "$TMP/repo/mb_proto/1/model.onnx" ] && [ ! -e "$TMP/repo/mb_proto/1/head.json" ] || fail "prototype not one ONNX file"

"$VIGIL_BIN" train "$TMP/dso" --models "$TMP/repo" --cache "$TMP/cache" --shots-curve 1,3 --curve-seeds 2 \
  --report "$TMP/fs" --json -q > "$TMP/curve.json"
grep -q "<svg" "$TMP/fs/few_shot.html" && grep -q "<td>3</td>" "$TMP/fs/few_shot.html" || fail "few_shot.html"
node -e '
  const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (c.points.length !== 2 || c.points[0].shots !== 1 || c.points[1].shots !== 3) throw new Error("points");
  for (const p of c.points) {
    if (p.runs !== 2 || p.macro_f1.length !== 2 || !(p.macro_f1_sd >= 0)) throw new Error(JSON.stringify(p));
    if (!(p.macro_f1_mean > 0 && p.macro_f1_mean <= 1)) throw new Error("mean " + p.macro_f1_mean);
  }
  console.log("few-shot: " + c.points.map(p => "K=" + p.shots + " " + p.macro_f1_mean.toFixed(3) + " ± " +
              p.macro_f1_sd.toFixed(3)).join(", "));
' "$TMP/curve.json"

set +e
"$VIGIL_BIN" train "$TMP/dso" --out x --head forest --models "$TMP/repo" -q 2> "$TMP/err.txt"
code=$?
set -e
[ $code -ne 0 ] || fail "unknown head accepted"
grep -q "unknown head 'forest'" "$TMP/err.txt" || fail "unknown head message: $(cat "$TMP/err.txt")"
echo "PASS"
