#!/usr/bin/env bash
# Key-frame sampler on all-intra video (issue 17), one sitting, medians of RUNS interleaved runs:
#  1. all-intra: a 14 s 1280x720 MJPEG .mov at 25 fps (350 frames, every one a key frame) made from
#     the real footage of data/videos/cockatoo.mp4 (a stand-in for the issue's diver.mov, MJPEG 14 s
#     351 frames, which the test data does not ship), written under $OUT, never committed;
#     `vigil tag --sampler keyframes` (default: at most one key frame per second) against
#     `--sampler keyframes:0` (every key frame: what the sampler did before), as x realtime, with the
#     frames sampled, the frames decoded and the spread of the sampled times;
#  2. H.264 ($H264, default data/videos/cockatoo.mp4: 14 s 720p, real footage; tag-bench.sh's 60 s
#     1080p clip with a key frame every second is another choice): `vigil tag --sampler keyframes`
#     with this build against BASELINE_VIGIL (e.g. main's binary before the change), interleaved,
#     so the key-frame speed on H.264 can be compared before/after.
# Hold the bench lock and report the load: flock /tmp/vigil-bench.lock bench/keyframe-thinning-bench.sh
# Usage: [BASELINE_VIGIL=path] bench/keyframe-thinning-bench.sh [BUILD_DIR] [RUNS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
RUNS=${2:-5}
VIGIL=$BUILD/vigil
DATA=${VIGIL_TEST_DATA:-$ROOT/data}
export VIGIL_MODELS=${VIGIL_MODELS:-$ROOT/models}
OUT=${OUT:-$BUILD/bench-video}
mkdir -p "$OUT"
INTRA=$OUT/intra_mjpeg_720p_14s.mov
if [ ! -f "$INTRA" ]; then
  ffmpeg -nostdin -v error -y -i "$DATA/videos/cockatoo.mp4" -an -vf fps=25 -c:v mjpeg -q:v 3 -t 14 "$INTRA"
fi
echo "clip: $INTRA: $(ffprobe -v error -select_streams v -count_packets -show_entries stream=codec_name,width,height,nb_read_packets -of csv=p=0 "$INTRA") (codec,w,h,frames)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (other processes share the 2 cores)"

now() { date +%s.%N; }
median() { python3 -c 'import sys,statistics; print("%.3f" % statistics.median([float(x) for x in sys.argv[1:]]))' "$@"; }
# run_tag BINARY CLIP SAMPLER JSON: wall seconds of one `vigil tag`
run_tag() {
  local t0 t1
  t0=$(now); "$1" tag "$2" --sampler "$3" --json --frames > "$4" 2>/dev/null; t1=$(now)
  python3 -c "print($t1-$t0)"
}
describe() {  # JSON: frames, spread of the sampled times, notes
  python3 - "$1" <<'PY'
import json, statistics, sys
j = json.load(open(sys.argv[1]))
times = sorted({f["timeOffset"] for a in j["annotationResults"][0].get("frameLabelAnnotations", [])
                for f in a["frames"]})
gaps = [b - a for a, b in zip(times, times[1:])]
spread = "gaps min %.3f median %.3f max %.3f s" % (min(gaps), statistics.median(gaps), max(gaps)) if gaps else "-"
print("  %d frames sampled; %s; notes: %s" % (j.get("framesSampled", len(times)), spread, " | ".join(j["notes"])))
PY
}

dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$INTRA")
thin=(); every=()
for r in $(seq "$RUNS"); do
  thin+=($(run_tag "$VIGIL" "$INTRA" keyframes "$OUT/intra_thin.json"))
  every+=($(run_tag "$VIGIL" "$INTRA" keyframes:0 "$OUT/intra_every.json"))
done
mt=$(median "${thin[@]}"); me=$(median "${every[@]}")
echo "all-intra MJPEG, ${dur} s:"
echo "  keyframes (default, <= 1/s): median $mt s = $(python3 -c "print('%.1f' % ($dur/$mt))")x realtime  (runs: ${thin[*]})"
describe "$OUT/intra_thin.json"
echo "  keyframes:0 (every key frame): median $me s = $(python3 -c "print('%.1f' % ($dur/$me))")x realtime  (runs: ${every[*]})"
describe "$OUT/intra_every.json"
echo "  speed-up: $(python3 -c "print('%.1f' % ($me/$mt))")x"

if [ -n "${BASELINE_VIGIL:-}" ]; then
  H264=${H264:-$DATA/videos/cockatoo.mp4}
  hdur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$H264")
  new=(); old=()
  for r in $(seq "$RUNS"); do
    old+=($(run_tag "$BASELINE_VIGIL" "$H264" keyframes "$OUT/h264_old.json"))
    new+=($(run_tag "$VIGIL" "$H264" keyframes "$OUT/h264_new.json"))
  done
  mo=$(median "${old[@]}"); mn=$(median "${new[@]}")
  echo "H.264 $H264, ${hdur} s, $(ffprobe -v error -select_streams v -skip_frame nokey -show_entries frame=pts_time -of csv=p=0 "$H264" | wc -l) key frames, --sampler keyframes:"
  echo "  baseline $BASELINE_VIGIL: median $mo s = $(python3 -c "print('%.1f' % ($hdur/$mo))")x realtime  (runs: ${old[*]})"
  describe "$OUT/h264_old.json"
  echo "  this build: median $mn s = $(python3 -c "print('%.1f' % ($hdur/$mn))")x realtime  (runs: ${new[*]})"
  describe "$OUT/h264_new.json"
  echo "  new / old time: $(python3 -c "print('%.3f' % ($mn/$mo))")"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
