#!/usr/bin/env bash
# The docs/learn.md table: every head / backbone configuration of `vigil train` on the Stellarium DSO
# set (394 train / 113 test images, 5 classes, split by object group), plus the few-shot curve.
# Each backbone's embeddings are computed once with a cold cache (that run's total time is the
# "cold" time, embedding included); the other configurations on that backbone reuse the cache, so
# their time is the head's fit (cross-validation included). Trains with --dry-run (nothing
# installed) except the configurations whose installed model is re-scored with `vigil eval` (the
# export round trip on the whole test split). Prints a Markdown table.
# usage: bench/learn-stellarium.sh [SEEDS_FOR_THE_CURVE]     (after scripts/setup, fetch-test-data)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SEEDS=${1:-10}
BIN="$REPO/build/vigil"
MODELS=${VIGIL_MODELS:-$REPO/models}
DSO="$REPO/data/images/stellarium_dso"
[ -x "$BIN" ] && [ -d "$DSO/train" ] || { echo "build first and fetch the test data"; exit 1; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/repo"
for d in "$MODELS"/nsfw_*/; do ln -s "$(cd "$d" && pwd)" "$TMP/repo/$(basename "$d")"; done
echo "# $(date -u +%F' '%H:%M) UTC, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| backbone | head | views | test accuracy | test macro-F1 | chosen | cv macro-F1 | time (s) | export check |"
echo "|---|---|---|---|---|---|---|---|---|"
run() {  # backbone head views install(0/1) [extra args...]
  local backbone=$1 head=$2 views=$3 install=$4; shift 4
  local name="m$RANDOM" out="$TMP/run.json" check="–"
  local args=(train "$DSO" --models "$TMP/repo" --cache "$TMP/cache" --backbone "$backbone" --head "$head"
              --threads 2 --json -q "$@")
  [ "$views" -gt 1 ] && args+=(--views "$views")
  if [ "$install" = 1 ]; then args+=(--out "$name"); else args+=(--dry-run); fi
  "$BIN" "${args[@]}" > "$out"
  if [ "$install" = 1 ]; then
    "$BIN" eval "$name" "$DSO/test" --models "$TMP/repo" --json > "$TMP/eval.json" 2>/dev/null
    check=$(node -e '
      const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const e = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
      process.stdout.write("eval macro-F1 " + Number(e.macro.f1).toFixed(4) + ", " + t.export);
    ' "$out" "$TMP/eval.json")
  fi
  node -e '
    const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const chosen = s.head_description.replace(/^[a-z-]+ \(/, "").replace(/\)$/, "");
    console.log(`| ${s.backbone} | ${s.head} | ${process.argv[2]} | ${s.test.accuracy.toFixed(4)} | ${s.test.macro_f1.toFixed(4)} | ${chosen} | ${s.cv_macro_f1.toFixed(4)} | ${s.total_seconds.toFixed(1)}${s.embeddings_computed > 0 ? " (cold)" : ""} | ${process.argv[3]} |`);
  ' "$out" "$views" "$check"
}
run classical rbf-svm 1 1
run classical knn 1 1
run classical logistic 1 0
run classical prototype 1 0
run nsfw_mobilenet_v2 logistic 1 1
run nsfw_mobilenet_v2 logistic 4 0 --augment crop,flip,jitter
run nsfw_mobilenet_v2 linear-svm 1 0
run nsfw_mobilenet_v2 rbf-svm 1 0
run nsfw_mobilenet_v2 knn 1 1
run nsfw_mobilenet_v2 prototype 1 1
run nsfw_mobilenet_v2,classical logistic 1 0
run nsfw_mobilenet_v2,classical rbf-svm 1 1
run nsfw_inception_v3 logistic 1 0
run nsfw_inception_v3 logistic 4 0 --augment crop,flip,jitter
echo
for backbone in nsfw_mobilenet_v2 classical; do
  echo "few-shot ($backbone, prototype head, $SEEDS seeds):"
  "$BIN" train "$DSO" --models "$TMP/repo" --cache "$TMP/cache" --backbone "$backbone" --threads 2 \
    --shots-curve 1,5,10 --curve-seeds "$SEEDS" -q
done
