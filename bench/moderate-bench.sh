#!/usr/bin/env bash
# Moderation in one sitting (issue 12): the default policy on 1920x1080 JPEGs made from the sample
# photos against the ideal rate 1 / (decode + the inference of the models that ran), 2-core
# throughput, the cascade's saving (vs the second model always deciding) and its agreement, and
# video moderation (with and without early stop) against `vigil tag` with the same models and
# sampler. Run on an otherwise idle machine (or under flock /tmp/vigil-bench.lock), after
# scripts/setup and scripts/fetch-test-data. Server throughput vs offline: bench/serve-bench.sh.
# usage: bench/moderate-bench.sh [REPS] [N_PHOTOS] [POLICY] [VIDEO]
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPS=${1:-3}
N=${2:-12}
POLICY=${3:-$REPO/policies/default.yaml}
VIDEO=${4:-$REPO/data/videos/cockatoo.mp4}
BENCH="$REPO/build/bench/moderate_bench"
[ -x "$BENCH" ] || { echo "build first: scripts/setup"; exit 1; }
[ -d "$REPO/data/images/samples" ] || { echo "missing samples: scripts/fetch-test-data"; exit 1; }
echo "# $(date -u +%F' '%H:%M) UTC, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BENCH" --models "${VIGIL_MODELS:-$REPO/models}" --policy "$POLICY" --photos "$REPO/data/images/samples" \
  --video "$VIDEO" --reps "$REPS" --n "$N"
echo "# done, load $(cut -d' ' -f1-3 /proc/loadavg)"
