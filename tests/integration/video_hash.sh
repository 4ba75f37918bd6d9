#!/usr/bin/env bash
# Integration: video hashing and matching with time ranges on real clips (data/videos, from
# ../shared/data/fetch). A bank holds every frame of cockatoo.mp4 (1280x720 H.264, 14 s) and of
# vtest.avi; ffmpeg makes re-encoded, resized copies of parts of cockatoo in a temp dir:
#   q1: 4.0-10.0 s at 640x360, CRF 30;  q2: 4.5-10.5 s at 480x270, CRF 32 (half a second out of
#   phase with any 1 s sampling of the original).
# Each must match cockatoo (and nothing else) over its whole length, at the original's time range
# (within one sampling interval) and share (6 of 14 s), with every query hash matching; an unrelated clip (tree.avi)
# matches nothing; `vigil hash VIDEO` prints one line per kept frame inside the video's duration.
set -euo pipefail
VIGIL_BIN=${VIGIL_BIN:?}
SRC=${VIGIL_SOURCE_DIR:?}
DATA=${VIGIL_TEST_DATA:-$SRC/data}
VIDEOS="$DATA/videos"
if [ ! -f "$VIDEOS/cockatoo.mp4" ] || ! command -v ffmpeg > /dev/null; then
  [ "${CI:-}" = true ] && { echo "FAIL: $VIDEOS/cockatoo.mp4 or ffmpeg missing (run scripts/setup)"; exit 1; }
  echo "SKIP: $VIDEOS/cockatoo.mp4 or ffmpeg missing"; exit 77
fi
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Output seeking (-ss after -i): cockatoo.mp4's key frames are sparse, and input seeking gives
# broken first frames with this FFmpeg.
ffmpeg -nostdin -v error -i "$VIDEOS/cockatoo.mp4" -ss 4 -t 6 -vf scale=640:360 -pix_fmt yuv420p \
  -c:v libx264 -crf 30 -an "$TMP/q1.mp4"
ffmpeg -nostdin -v error -i "$VIDEOS/cockatoo.mp4" -ss 4.5 -t 6 -vf scale=480:270 -pix_fmt yuv420p \
  -c:v libx264 -crf 32 -an "$TMP/q2.mp4"

# vigil hash on a video: hash,quality,path,start,end per kept frame, times inside the clip.
"$VIGIL_BIN" hash "$TMP/q1.mp4" > "$TMP/q1.txt"
lines=$(wc -l < "$TMP/q1.txt")
[ "$lines" -ge 4 ] && [ "$lines" -le 6 ] || fail "q1: $lines hashes for 6 s at 1/s: $(cat "$TMP/q1.txt")"
awk -F, '{ if (length($1) != 64 || $2 < 50 || $4 < 0 || $5 > 6.01 || $5 <= $4) exit 1 }' "$TMP/q1.txt" \
  || fail "q1 lines: $(cat "$TMP/q1.txt")"

vb() { "$VIGIL_BIN" bank --store "$TMP/vigil.db" "$@"; }
vb create videos
vb add videos "$VIDEOS/cockatoo.mp4" --id cockatoo --category test > "$TMP/ids.txt"
vb add videos "$VIDEOS/vtest.avi" --id vtest --category other > /dev/null
n=$(wc -l < "$TMP/ids.txt")
[ "$n" -ge 100 ] || fail "cockatoo: only $n frame entries (every frame, deduplicated, expected)"
echo "ok  bank: cockatoo $n frame entries"

vb match --json "$TMP/q1.mp4" "$TMP/q2.mp4" "$VIDEOS/tree.avi" > "$TMP/match.jsonl"
cat "$TMP/match.jsonl"
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const expect = {"q1.mp4": [4.0, 10.0], "q2.mp4": [4.5, 10.5]};
for (const r of lines) {
  const name = r.path.split("/").pop();
  if (name === "tree.avi") {
    if (r.matches.length !== 0) throw new Error("tree.avi matched " + JSON.stringify(r.matches));
    continue;
  }
  const [from, to] = expect[name];
  if (r.matches.length !== 1) throw new Error(name + ": expected one match, got " + JSON.stringify(r.matches));
  const m = r.matches[0];
  if (m.external_id !== "cockatoo" || m.category !== "test") throw new Error(name + ": matched " + m.external_id);
  if (m.query_share < 0.99) throw new Error(name + ": query share " + m.query_share);
  // 6 s of the 14 s original.
  if (m.original_share < 0.38 || m.original_share > 0.5) throw new Error(name + ": original share " + m.original_share);
  if (m.best_distance > 16) throw new Error(name + ": best distance " + m.best_distance);
  if (m.query_ranges.length !== 1 || m.original_ranges.length !== 1)
    throw new Error(name + ": ranges " + JSON.stringify([m.query_ranges, m.original_ranges]));
  const [qs, qe] = m.query_ranges[0], [os, oe] = m.original_ranges[0];
  if (Math.abs(qs) > 0.05 || Math.abs(qe - 6) > 0.1) throw new Error(name + ": query range " + [qs, qe]);
  if (Math.abs(os - from) > 0.1 || Math.abs(oe - to) > 1.0) throw new Error(name + ": original range " + [os, oe] + ", expected " + [from, to]);
  console.log("ok  " + name + ": query " + qs + "-" + qe + " s = cockatoo " + os + "-" + oe + " s, share " +
              m.query_share + ", best distance " + m.best_distance);
}
if (lines.length !== 3) throw new Error("expected 3 results, got " + lines.length);
' "$TMP/match.jsonl"
echo "OK"
