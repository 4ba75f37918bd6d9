#!/usr/bin/env bash
# Makes the video benchmark clip from real footage in data/videos (never committed): 60 s, 1920x1080,
# 30 fps, H.264 (libx264 veryfast, CRF 23, a key frame at least every 2 s = -g 60, scene-cut key
# frames on), no audio. Sources, each scaled/cropped to 1080p: cockatoo.mp4 (14 s), movie-hello.mp4
# (8.3 s), VID_20191220_170832.mp4 (1.5 s, a 1080p phone clip), cityCC0.mpg (7.6 s) and the first
# 28.6 s of intro.mpg.
# Usage: bench/make-video-clip.sh [OUT.mp4]   (default /tmp/vigil_bench_1080p.mp4; kept if present)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
data=${VIGIL_TEST_DATA:-$here/data}/videos
out=${1:-/tmp/vigil_bench_1080p.mp4}
[ -s "$out" ] && { echo "$out"; exit 0; }
v="scale=1920:1080:force_original_aspect_ratio=increase,crop=1920:1080,fps=30,setsar=1,format=yuv420p"
ffmpeg -nostdin -hide_banner -v error -y \
  -i "$data/cockatoo.mp4" -i "$data/movie-hello.mp4" -i "$data/VID_20191220_170832.mp4" \
  -i "$data/cityCC0.mpg" -t 28.6 -i "$data/intro.mpg" \
  -filter_complex "[0:v]$v[a];[1:v]$v[b];[2:v]$v[c];[3:v]$v[d];[4:v]$v[e];[a][b][c][d][e]concat=n=5:v=1:a=0[out]" \
  -map "[out]" -t 60 -an -c:v libx264 -preset veryfast -crf 23 -g 60 -threads 2 "$out.tmp.mp4"
mv "$out.tmp.mp4" "$out"
echo "$out"
