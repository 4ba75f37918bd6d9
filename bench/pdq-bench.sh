#!/usr/bin/env bash
# PDQ hashing speed: `vigil hash` (default DCT-scaled JPEG decode, and a full decode) against Meta's
# C++ reference hasher (../shared/pdq/bin/pdq-photo-hasher) on the same files, in the same sitting,
# interleaved, REPS rounds; prints per-image medians and the ratio, and the bit distances of each
# Vigil mode to the reference on those files. Both read every file from disk (page cache) in one
# process per round; each process's start-up (one run on a single image) is measured in the same
# round and subtracted, since vigil loads ~160 shared libraries and the reference 3.
#   bench/pdq-bench.sh [BUILD_DIR]     env: REPS (5), COPIES (100; the 34-file set gets COPIES/10+1), REF (../shared/pdq)
# Holds /tmp/vigil-bench.lock while timing (the machine is shared).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
VIGIL=$BUILD/vigil
REF=${REF:-$SRC/../shared/pdq}
PEER=$REF/bin/pdq-photo-hasher
REPS=${REPS:-5}
COPIES=${COPIES:-100}
[ -x "$VIGIL" ] || { echo "no $VIGIL: build first"; exit 1; }
[ -x "$PEER" ] || { echo "no $PEER"; exit 1; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }

run_set() {  # name, files...
  local name=$1; shift
  local list=()
  for ((i = 0; i < COPIES; i++)); do list+=("$@"); done
  local n=${#list[@]}
  : > "$TMP/ref" ; : > "$TMP/vig" ; : > "$TMP/full"
  for ((r = 0; r < REPS; r++)); do
    # net time for n-1 images: the list minus a one-image run (start-up + one image)
    echo "$(seconds "$PEER" "${list[@]}") - $(seconds "$PEER" "$1")" | bc -l >> "$TMP/ref"
    echo "$(seconds "$VIGIL" hash "${list[@]}") - $(seconds "$VIGIL" hash "$1")" | bc -l >> "$TMP/vig"
    echo "$(seconds "$VIGIL" hash --jpeg-min-side 0 "${list[@]}") - $(seconds "$VIGIL" hash --jpeg-min-side 0 "$1")" | bc -l >> "$TMP/full"
  done
  local ref vig full
  ref=$(median < "$TMP/ref"); vig=$(median < "$TMP/vig"); full=$(median < "$TMP/full")
  n=$((n - 1))
  printf '%-28s %5d images  reference %7.2f ms/img  vigil %6.2f ms/img (%.1fx)  vigil full decode %6.2f ms/img (%.1fx)\n' \
    "$name" "$n" "$(echo "$ref * 1000 / $n" | bc -l)" "$(echo "$vig * 1000 / $n" | bc -l)" \
    "$(echo "$ref / $vig" | bc -l)" "$(echo "$full * 1000 / $n" | bc -l)" "$(echo "$ref / $full" | bc -l)"
  echo "  rounds (s): reference $(tr '\n' ' ' < "$TMP/ref")| vigil $(tr '\n' ' ' < "$TMP/vig")| full $(tr '\n' ' ' < "$TMP/full")"
}

distances() {  # files...: histogram of bit distances to the reference per Vigil mode
  "$PEER" "$@" | cut -d, -f1 > "$TMP/h_ref"
  for mode in default "--jpeg-min-side 0"; do
    local args=(); [ "$mode" = default ] || args=($mode)
    "$VIGIL" hash "${args[@]}" "$@" | cut -d, -f1 > "$TMP/h_vig"
    paste -d' ' "$TMP/h_ref" "$TMP/h_vig" | python3 -c '
import sys, collections
c = collections.Counter(bin(int(a, 16) ^ int(b, 16)).count("1") for a, b in (l.split() for l in sys.stdin))
print("  bits to reference (%s): " % sys.argv[1] + ", ".join("%d: %d" % kv for kv in sorted(c.items())))' "$mode"
  done
}

IMG=$REF/images
BRIDGE=$IMG/bridge-mods/aaa-orig.jpg
# Every RGB reference JPEG (the reference refuses PNGs with alpha).
mapfile -t ALL < <(cd "$IMG" && ls -1 */*.jpg | sed "s|^|$IMG/|")

echo "# $(date -u '+%F %T') UTC  $(nproc) cores  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
exec 9> /tmp/vigil-bench.lock
flock 9
echo "# load before: $(uptime | sed 's/.*load average/load average/')"
run_set "1600x1004 JPEG (aaa-orig)" "$BRIDGE"
COPIES=$((COPIES / 10 + 1)) run_set "all ${#ALL[@]} reference JPEGs" "${ALL[@]}"
echo "# load after: $(uptime | sed 's/.*load average/load average/')"
flock -u 9
distances "${ALL[@]}"
