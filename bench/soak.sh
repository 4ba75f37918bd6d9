#!/usr/bin/env bash
# bench/soak.sh: a soak of `vigil serve` below saturation (issue 19). Starts the real server (port
# 55810, nsfw_mobilenet_v2, 2 inference workers, SQLite jobs in a temp dir), measures its maximum
# classify throughput (bench/http_load, 4 connections, offered far above capacity for 20 s), then holds
# FRACTION of it as an open-loop load (fixed arrival rate, no coordinated omission) for MINUTES,
# in 30 s windows, with a video job (cockatoo.mp4, key frames) submitted every WINDOWS_PER_JOB
# windows. Prints per window: requests, errors, achieved rate, p50/p99 latency, server RSS; then
# the verdict:
#   errors = 0 (every request 200, every video job succeeded exactly once), and
#   flat RSS: the mean RSS of the last 5 minutes within 5% of the mean of minutes 2-5.
# Exit status 1 when either fails. Runs on a shared machine: quote `uptime` with the figures.
# usage: bench/soak.sh [MINUTES=10] [FRACTION=0.8] [WINDOWS_PER_JOB=4]
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MINUTES=${1:-10}
FRACTION=${2:-0.8}
WINDOWS_PER_JOB=${3:-4}
PORT=${VIGIL_SOAK_PORT:-55810}
VIGIL="$REPO/build/vigil"
LOAD="$REPO/build/bench/http_load"
DATA=${VIGIL_TEST_DATA:-$REPO/data}
MODELS=${VIGIL_MODELS:-$REPO/models}
[ -x "$VIGIL" ] && [ -x "$LOAD" ] || { echo "build first: cmake --build build (with VIGIL_BUILD_BENCH)"; exit 1; }
[ "$MINUTES" -ge 6 ] || { echo "MINUTES must be >= 6 (minutes 2-5 are the baseline)"; exit 1; }
mapfile -t PHOTOS < <(find "$DATA/images/samples" -name '*.jpg' | sort)
VIDEO="$DATA/videos/cockatoo.mp4"
[ ${#PHOTOS[@]} -ge 5 ] && [ -f "$VIDEO" ] || { echo "scripts/fetch-test-data first"; exit 1; }
TMP=$(mktemp -d); PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT
mkdir -p "$TMP/inputs"; cp "$VIDEO" "$TMP/inputs/clip.mp4"
cat > "$TMP/vigil.yaml" <<YAML
host: 127.0.0.1
port: $PORT
models:
  repository: $MODELS
  load: [nsfw_mobilenet_v2]
inference:
  workers: 2
jobs:
  database: $TMP/vigil.db
  workers: 1
  input_dirs: [$TMP/inputs]
YAML
"$VIGIL" serve --config "$TMP/vigil.yaml" > "$TMP/serve.out" 2> "$TMP/serve.err" &
PID=$!
for _ in $(seq 1 150); do grep -q "listening on" "$TMP/serve.out" && break; sleep 0.1; done
grep -q "listening on" "$TMP/serve.out" || { cat "$TMP/serve.err"; echo "server did not start"; exit 1; }
URL="http://127.0.0.1:$PORT"
rss() { awk '$1 == "VmRSS:" {printf "%.1f", $2 / 1024}' "/proc/$PID/status"; }
json() { node -e 'const j = JSON.parse(process.argv[1]); console.log(process.argv.slice(2).map((k) => j[k]).join(" "))' "$@"; }

echo "# $(date -u +%F' '%H:%M) UTC, $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$LOAD" --port "$PORT" --rate 500 --seconds 5 --deadline 5 --connections 4 "${PHOTOS[@]}" > /dev/null || true   # warm-up
MAXLINE=$("$LOAD" --port "$PORT" --rate 1000 --seconds 20 --deadline 20 --connections 4 "${PHOTOS[@]}" || true)
MAX=$(json "$MAXLINE" achieved_rate)
RATE=$(awk -v m="$MAX" -v f="$FRACTION" 'BEGIN {printf "%.1f", m * f}')
echo "max throughput: $MAX img/s (http_load, 4 connections, 20 s); soak at $FRACTION of it: $RATE img/s for $MINUTES min"
echo "idle-after-max RSS: $(rss) MB"

WINDOWS=$((MINUTES * 2))
JOBS=()
errors=0
printf '%-6s %7s %7s %8s %8s %8s %8s %s\n' window minute sent errors rate p50_ms p99_ms rss_mb
: > "$TMP/rss.txt"
for w in $(seq 1 "$WINDOWS"); do
  if [ $(((w - 1) % WINDOWS_PER_JOB)) -eq 0 ]; then
    id=$(curl -s -H 'Content-Type: application/json' --data "{\"path\": \"$TMP/inputs/clip.mp4\", \"sampler\": \"keyframes\"}" \
      "$URL/v1/videos:tag" | node -e 'let s = ""; process.stdin.on("data", (c) => (s += c)); process.stdin.on("end", () => console.log(JSON.parse(s).id || ""))')
    [ -n "$id" ] && JOBS+=("$id") || errors=$((errors + 1))
  fi
  line=$("$LOAD" --port "$PORT" --rate "$RATE" --seconds 30 --connections 16 "${PHOTOS[@]}" || true)
  read -r sent errs achieved p50 p99 <<< "$(json "$line" sent errors achieved_rate p50_ms p99_ms)"
  errors=$((errors + errs))
  r=$(rss)
  echo "$w $r" >> "$TMP/rss.txt"
  printf '%-6s %7s %7s %8s %8s %8s %8s %s\n' "$w" "$(awk -v w="$w" 'BEGIN {printf "%.1f", w / 2}')" "$sent" "$errs" "$achieved" "$p50" "$p99" "$r"
done

# Every video job succeeded, once.
for _ in $(seq 1 600); do
  curl -s "$URL/v1/jobs?limit=1000" > "$TMP/jobs.json"
  node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1])).jobs; process.exit(j.every((x) => ["succeeded", "failed", "cancelled"].includes(x.state)) ? 0 : 1)' "$TMP/jobs.json" && break
  sleep 1
done
JOBCHECK=$(node -e '
  const jobs = JSON.parse(require("fs").readFileSync(process.argv[1])).jobs, want = process.argv.slice(2);
  const ids = jobs.map((j) => j.id), ok = jobs.filter((j) => j.state === "succeeded" && j.attempts === 1);
  const once = new Set(ids).size === ids.length && want.every((id) => ids.includes(id)) && ids.length === want.length;
  console.log(`${ok.length}/${want.length} video jobs succeeded once${once ? "" : " (listing mismatch: " + ids + ")"}`);
  process.exit(ok.length === want.length && once ? 0 : 1);
' "$TMP/jobs.json" "${JOBS[@]}") && jobs_ok=1 || jobs_ok=0
echo "$JOBCHECK"

# Flat RSS: windows 3..10 are minutes 1-5 (2-5 = windows 3-10), the last 10 windows the last 5 minutes.
read -r early late peak <<< "$(awk -v n="$WINDOWS" '
  $1 >= 3 && $1 <= 10 {e += $2; ne++}
  $1 > n - 10 {l += $2; nl++}
  {if ($2 > p) p = $2}
  END {printf "%.1f %.1f %.1f", e / ne, l / nl, p}' "$TMP/rss.txt")"
drift=$(awk -v e="$early" -v l="$late" 'BEGIN {printf "%.2f", (l - e) / e * 100}')
echo "RSS: minutes 2-5 mean $early MB, last 5 minutes mean $late MB ($drift%), peak $peak MB"
echo "errors: $errors; load now: $(cut -d' ' -f1-3 /proc/loadavg)"
flat=$(awk -v d="$drift" 'BEGIN {print (d <= 5 && d >= -5) ? 1 : 0}')
if [ "$errors" -eq 0 ] && [ "$jobs_ok" = 1 ] && [ "$flat" = 1 ]; then
  echo "soak: PASS (0 errors, jobs once, RSS flat within 5%)"
else
  echo "soak: FAIL (errors $errors, jobs_ok $jobs_ok, flat $flat)"
  exit 1
fi
