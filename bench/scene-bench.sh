#!/usr/bin/env bash
# Scene detection benchmark, one sitting: Vigil's `scene` sampler vs ffmpeg's scene score
# (select='gt(scene,0.3)'), quality and speed (bench/scene_bench, both run interleaved).
#  1. builds held-out shot-transition sets with tests/fixtures/video/make-shot-set.sh (pieces of
#     real clips from data/videos joined by cuts and xfade transitions at known times; 640x480 H.264,
#     25 fps) under $OUT, never committed;
#  2. quality: recall/precision of both detectors on freecol-opening.video.ogg (hand-checked list;
#     the clip the detector was tuned on) and pooled over the held-out sets;
#  3. speed at 640x480: decoded frames/s of both and the ratio, medians of RUNS interleaved runs, on
#     freecol (Theora) and on the first held-out set (H.264 from real footage); load averages before
#     and after (the machine is shared: prefer the same-run ratio to the absolute figures).
# Usage: bench/scene-bench.sh [BUILD_DIR] [RUNS] ["SEEDS"]   (default build, 5, "1 2 3")
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
RUNS=${2:-5}
SEEDS=${3:-1 2 3}
BENCH=$BUILD/bench/scene_bench
OUT=${OUT:-$BUILD/bench-scene}
export VIGIL_TEST_DATA=${VIGIL_TEST_DATA:-$ROOT/data}
FREECOL=$VIGIL_TEST_DATA/videos/freecol-opening.video.ogg
FREECOL_TRUTH=$ROOT/tests/fixtures/video/freecol_transitions.json

sets=()
for s in $SEEDS; do
  bash "$ROOT/tests/fixtures/video/make-shot-set.sh" "$s" "$OUT"
  sets+=(--clip "$OUT/shotset_v1_$s.mp4" --truth "$OUT/shotset_v1_$s.json")
done
echo "== quality (one run each)"
"$BENCH" --repeats 0 --clip "$FREECOL" --truth "$FREECOL_TRUTH"
"$BENCH" --repeats 0 "${sets[@]}"
first=$(set -- $SEEDS; echo "$1")
echo "== speed at 640x480, load average before: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores shared with others)"
"$BENCH" --repeats "$RUNS" --clip "$FREECOL" --clip "$OUT/shotset_v1_$first.mp4"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
