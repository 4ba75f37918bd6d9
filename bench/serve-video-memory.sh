#!/usr/bin/env bash
# Resident memory of `vigil serve` running video jobs, for one or more server binaries in one
# sitting (e.g. before/after a change: each binary gets the same server, the same jobs, in turn):
#   - idle: every repository model loaded (the service's default), one classify request served;
#   - after each of N video jobs with different option sets (a new cached tagger each: samplers,
#     nsfw_mobilenet_v2, nsfw_inception_v3, nanodet_coco), submitted one after the other on
#     cockatoo.mp4 (14 s 720p), with the submit-to-finish time of each job;
#   - peak (VmHWM) at the end.
# The machine is shared: the load average is printed before and after each binary's run.
# Needs: scripts/setup, scripts/fetch-test-data, node (JSON).
# usage: bench/serve-video-memory.sh [VIGIL_BINARY...]   (default: build/vigil)
#        env CACHED_TAGGERS (default: the server's default, 2)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BINARIES=("$@")
[ ${#BINARIES[@]} -gt 0 ] || BINARIES=("$REPO/build/vigil")
MODELS=${VIGIL_MODELS:-$REPO/models}
DATA=${VIGIL_TEST_DATA:-$REPO/data}
CLIP="$DATA/videos/cockatoo.mp4"
PHOTO="$DATA/images/samples/fruits.jpg"
[ -f "$CLIP" ] && [ -f "$PHOTO" ] || { echo "scripts/fetch-test-data first"; exit 1; }
# One option set per job: each makes a new cached tagger.
JOBS=("sampler=keyframes"
      "sampler=interval:1"
      "sampler=keyframes&model=nsfw_inception_v3"
      "sampler=interval:2&model=nsfw_inception_v3,nanodet_coco"
      "sampler=interval:1&model=nsfw_mobilenet_v2,nsfw_inception_v3")
TMP=$(mktemp -d); PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$TMP"' EXIT
field() { node -e 'let v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); for (const k of process.argv[2].split(".")) v = v == null ? v : v[k]; console.log(v)' "$1" "$2"; }
rss() { awk -v k="$1" '$1 == k":" {printf "%.0f", $2 / 1024}' "/proc/$PID/status"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "# $(date -u +%F' '%H:%M) UTC, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
for bin in "${BINARIES[@]}"; do
  rm -rf "$TMP/run"; mkdir -p "$TMP/run"
  {
    echo "host: 127.0.0.1"; echo "port: 0"
    echo "models: {repository: $MODELS}"
    echo "jobs:"; echo "  database: $TMP/run/vigil.db"; echo "  data_dir: $TMP/run/uploads"
    [ -n "${CACHED_TAGGERS:-}" ] && echo "  cached_taggers: $CACHED_TAGGERS"
  } > "$TMP/run/vigil.yaml"
  "$bin" serve --config "$TMP/run/vigil.yaml" > "$TMP/run/serve.out" 2> "$TMP/run/serve.err" &
  PID=$!
  for _ in $(seq 1 300); do grep -q "listening on" "$TMP/run/serve.out" && break; sleep 0.1; done
  PORT=$(grep -o 'http://127.0.0.1:[0-9]*' "$TMP/run/serve.out" | head -1 | sed 's/.*://')
  [ -n "$PORT" ] || { echo "$bin: server did not start"; cat "$TMP/run/serve.err"; exit 1; }
  URL="http://127.0.0.1:$PORT"
  curl -s -H 'Content-Type: image/jpeg' --data-binary @"$PHOTO" "$URL/v1/images:classify" > /dev/null
  echo "## $bin (load $(load))"
  echo "idle, $(grep -o 'with .*' "$TMP/run/serve.out" | head -1): RSS $(rss VmRSS) MB"
  for q in "${JOBS[@]}"; do
    start=$(date +%s.%N)
    curl -s -o "$TMP/run/job.json" -H 'Content-Type: video/mp4' --data-binary @"$CLIP" "$URL/v1/videos:tag?$q"
    id=$(field "$TMP/run/job.json" id)
    state=
    for _ in $(seq 1 3000); do
      curl -s -o "$TMP/run/job.json" "$URL/v1/jobs/$id"
      state=$(field "$TMP/run/job.json" state)
      [[ "$state" =~ ^(succeeded|failed|cancelled)$ ]] && break
      sleep 0.1
    done
    secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
    echo "after job $q: $state in $secs s, RSS $(rss VmRSS) MB"
  done
  echo "$(curl -s "$URL/metrics" | grep '^vigil_video_tagger_models' | tr '\n' ' ')"
  echo "peak RSS (VmHWM) $(rss VmHWM) MB, now $(rss VmRSS) MB (load $(load))"
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
done
