#!/usr/bin/env bash
# Integration: slow clients cannot deny service (issue 19 defect 2). The real `vigil serve` on a
# loopback port with 1000 clients that trickle a header line every 2 s, then 1000 that trickle a
# body byte every 2 s: /healthz answers every probe meanwhile (each within 2 s), and each slow
# client is answered 400 and disconnected once its total deadline passes (header_timeout_seconds;
# body_timeout_seconds + size / body_min_bytes_per_second), however steadily it trickles. Then
# more clients than max_connections: the excess is answered 503 at once. Bounded (~25 s), loopback
# only; the server is stopped on exit.
set -euo pipefail
VIGIL_BIN=${VIGIL_BIN:?}
SRC=${VIGIL_SOURCE_DIR:?}
MODELS=${VIGIL_MODELS:-$SRC/models}
SLOW="$SRC/tests/integration/lib/slow_clients.js"
TMP=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$TMP/server.err" ] && tail -20 "$TMP/server.err"; exit 1; }

# 1000 client sockets here, as many on the server: both need file descriptors.
ulimit -n 4096 2>/dev/null || true
[ "$(ulimit -n)" -ge 2400 ] || fail "needs 2400 file descriptors (ulimit -n is $(ulimit -n), hard $(ulimit -Hn))"

write_config() {  # max_connections
  cat > "$TMP/vigil.yaml" <<YAML
host: 127.0.0.1
port: 0
http_threads: 8
max_connections: $1
read_timeout_seconds: 5
header_timeout_seconds: 2
body_timeout_seconds: 2
body_min_bytes_per_second: 65536
models:
  repository: $MODELS
  load: [nsfw_mobilenet_v2]
inference:
  workers: 1
jobs:
  enabled: false
YAML
}
source "$(dirname "${BASH_SOURCE[0]}")/lib/server.bash"
write_config 1500
start_server

# check JSON EXPR MESSAGE: EXPR (JavaScript over `r`, the slow_clients.js result) must hold.
check() {
  node -e "const r = JSON.parse(process.argv[1]); if (!($2)) process.exit(1);" "$1" || fail "$3: $1"
}

# Slow heads: 1000 clients for 6 s; the head deadline is 2 s.
R=$(node "$SLOW" "$PORT" 1000 headers 6)
echo "    $R"
check "$R" 'r.connected === 1000' "not every slow client connected"
check "$R" 'r.probes.failed === 0 && r.probes.ok >= 15' "/healthz did not answer every probe within 2 s"
check "$R" 'r.cut === 1000 && r.cut_after_ms.first >= 1900 && r.cut_after_ms.last < 5500' \
  "slow heads were not cut at their 2 s deadline"
echo "ok  1000 slow heads: /healthz answered $(node -p 'JSON.parse(process.argv[1]).probes.ok' "$R") probes, each head cut after its 2 s deadline"

# Slow bodies (Content-Length 100000): deadline 2 s + 100000 / 65536 s after the head.
R=$(node "$SLOW" "$PORT" 1000 body 7)
echo "    $R"
check "$R" 'r.connected === 1000' "not every slow client connected"
check "$R" 'r.probes.failed === 0 && r.probes.ok >= 15' "/healthz did not answer every probe within 2 s"
check "$R" 'r.cut === 1000 && r.cut_after_ms.first >= 3300 && r.cut_after_ms.last < 6500' \
  "slow bodies were not cut at their 3.5 s deadline"
echo "ok  1000 slow bodies: /healthz answered, each body cut after its 3.5 s deadline"
curl -s "$URL/metrics" > "$TMP/metrics.txt"
grep -q '^vigil_http_request_read_timeouts_total 2000$' "$TMP/metrics.txt" \
  || fail "metrics: $(grep vigil_http_request_read_timeouts_total "$TMP/metrics.txt")"

# Over max_connections: the excess is refused at once with 503 (not queued behind the others).
kill -TERM "$PID"; wait "$PID" || true; PID=
write_config 300
start_server
R=$(node "$SLOW" "$PORT" 500 headers 1.5)
echo "    $R"
check "$R" 'r.refused >= 190 && r.refused <= 210' "the connections over max_connections 300 were not refused at once"
curl -s "$URL/metrics" | grep -q '^vigil_http_connections_refused_total' || fail "metrics: refusals not counted"
echo "ok  500 clients on max_connections 300: $(node -p 'JSON.parse(process.argv[1]).refused' "$R") refused with 503 at once"
request_ok=$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")
[ "$request_ok" = 200 ] || fail "/healthz after the burst: $request_ok"

kill -TERM "$PID"
wait "$PID" && code=0 || code=$?
PID=
[ "$code" = 0 ] || fail "server exit code $code"
echo "server_slow_clients: all checks passed"
