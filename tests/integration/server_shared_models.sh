#!/usr/bin/env bash
# Integration: video jobs on the real `vigil serve` run the models the service already loaded,
# not a second copy. The server loads nsfw_mobilenet_v2 and nanodet_coco; after a classify and a
# detect request (the service's sessions exist), two video jobs with different option sets (two
# cached taggers, both models) must leave /metrics at vigil_video_tagger_models{source="shared"} 3,
# {source="loaded"} 0 and keep the growth of resident memory under 80 MB: with a copy of both models
# per tagger it grew ~156 MB (139 -> 296 MB), sharing them ~53 MB (139 -> 192 MB), most of it the
# allocator keeping the decode threads' freed frame buffers (flat after the first job with
# MALLOC_ARENA_MAX=1). A job naming a model the service does not load (nsfw_inception_v3) still
# works and counts as "loaded"; /v1/images:classify answers the same before and after the jobs.
set -euo pipefail
VIGIL_BIN=${VIGIL_BIN:?}
SRC=${VIGIL_SOURCE_DIR:?}
DATA=${VIGIL_TEST_DATA:-$SRC/data}
MODELS=${VIGIL_MODELS:-$SRC/models}
CLIP="$DATA/videos/cockatoo.mp4"     # 14 s, 1280x720 H.264
SHORT="$DATA/videos/realshort.mp4"   # 1.2 s, 320x240
PHOTO="$DATA/images/samples/messi5.jpg"
for f in "$CLIP" "$SHORT" "$PHOTO"; do [ -f "$f" ] || { echo "missing $f: run scripts/fetch-test-data"; exit 1; }; done
MAX_GROWTH_MB=${MAX_GROWTH_MB:-80}
TMP=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$TMP/server.err" ] && tail -20 "$TMP/server.err"; exit 1; }

cat > "$TMP/vigil.yaml" <<YAML
host: 127.0.0.1
port: 0
models:
  repository: $MODELS
  load: [nsfw_mobilenet_v2, nanodet_coco]
inference:
  workers: 1
jobs:
  database: $TMP/vigil.db
  data_dir: $TMP/uploads
  workers: 1
YAML
source "$(dirname "${BASH_SOURCE[0]}")/lib/server.bash"
start_server
rss_mb() { awk '$1 == "VmRSS:" {printf "%.0f", $2 / 1024}' "/proc/$PID/status"; }
field() { node -e 'let v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); for (const k of process.argv[2].split(".")) v = v == null ? v : v[k]; console.log(typeof v === "object" ? JSON.stringify(v) : v)' "$1" "$2"; }

classify() {  # classify NAME MODEL: one request, checked, body in $TMP/NAME.json
  local code
  code=$(curl -s -o "$TMP/$1.json" -w '%{http_code}' -H 'Content-Type: image/jpeg' --data-binary @"$PHOTO" \
    "$URL/v1/images:classify?model=$2") || true
  [ "$code" = 200 ] || fail "$1: HTTP $code $(cat "$TMP/$1.json")"
}
classify warm_classify nsfw_mobilenet_v2
classify warm_detect nanodet_coco
[ "$(field "$TMP/warm_detect.json" results.0.results.0.tags.0.label)" = person ] || fail "messi5: $(head -c 300 "$TMP/warm_detect.json")"
IDLE=$(rss_mb)
echo "ok  service models loaded and warm: RSS $IDLE MB"

# tag NAME FILE QUERY: submits a video job and waits for it to succeed.
tag() {
  local code id state=
  code=$(curl -s -o "$TMP/$1.json" -w '%{http_code}' -H 'Content-Type: video/mp4' --data-binary @"$2" "$URL/v1/videos:tag?$3") || true
  [ "$code" = 202 ] || fail "$1: HTTP $code $(cat "$TMP/$1.json")"
  id=$(field "$TMP/$1.json" id)
  for _ in $(seq 1 1200); do
    curl -s -o "$TMP/$1.json" "$URL/v1/jobs/$id" || true
    state=$(field "$TMP/$1.json" state 2>/dev/null || true)
    [[ "$state" =~ ^(succeeded|failed|cancelled)$ ]] && break
    sleep 0.1
  done
  [ "$state" = succeeded ] || fail "$1: job $id is '$state': $(head -c 400 "$TMP/$1.json")"
  echo "ok  $1: $3 -> succeeded, RSS $(rss_mb) MB"
}
tag keyframes "$CLIP" "sampler=keyframes&model=nsfw_mobilenet_v2,nanodet_coco"
tag interval "$CLIP" "sampler=interval:1&model=nsfw_mobilenet_v2,nanodet_coco&max_frames=8"
node -e '
const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const text = JSON.stringify(j.result);
for (const want of ["nsfw_mobilenet_v2", "nanodet_coco", "Neutral", "bird"]) if (!text.includes(want)) throw new Error("no " + want + ": " + text.slice(0, 400));
' "$TMP/interval.json" || fail "interval job result"
AFTER=$(rss_mb)
curl -s "$URL/metrics" > "$TMP/metrics.txt"
grep -q '^vigil_video_tagger_models{source="shared"} 4$' "$TMP/metrics.txt" \
  || fail "two cached taggers of two models should all be shared: $(grep vigil_video_tagger_models "$TMP/metrics.txt" || echo 'no vigil_video_tagger_models')"
grep -q '^vigil_video_tagger_models{source="loaded"} 0$' "$TMP/metrics.txt" || fail "a tagger loaded its own copy"
echo "ok  metrics: 4 shared models, 0 loaded by the taggers"
GROWTH=$((AFTER - IDLE))
[ "$GROWTH" -le "$MAX_GROWTH_MB" ] || fail "RSS grew $GROWTH MB ($IDLE -> $AFTER) over two video jobs (max $MAX_GROWTH_MB MB)"
echo "ok  RSS $IDLE -> $AFTER MB after two option sets (+$GROWTH MB, max $MAX_GROWTH_MB)"

# The service still answers the same.
classify again_classify nsfw_mobilenet_v2
[ "$(field "$TMP/again_classify.json" results.0.predictions)" = "$(field "$TMP/warm_classify.json" results.0.predictions)" ] \
  || fail "classify answers differ after the video jobs"
echo "ok  classify unchanged after the jobs"

# A model the service does not load: the tagger loads it (the least recently used tagger goes).
tag inception "$SHORT" "sampler=keyframes&model=nsfw_inception_v3"
grep -q 'nsfw_inception_v3' "$TMP/inception.json" || fail "inception result"
curl -s "$URL/metrics" > "$TMP/metrics.txt"
grep -q '^vigil_video_tagger_models{source="loaded"} 1$' "$TMP/metrics.txt" \
  || fail "inception should be the one model a tagger loaded: $(grep vigil_video_tagger_models "$TMP/metrics.txt")"
grep -q '^vigil_video_tagger_models{source="shared"} 2$' "$TMP/metrics.txt" || fail "one shared tagger left (cached_taggers 2)"
echo "ok  a model the service does not serve is loaded by its tagger"
kill -TERM "$PID"; wait "$PID" || fail "exit status $?"
PID=
echo "server shared models: all checks passed"
