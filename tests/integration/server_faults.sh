#!/usr/bin/env bash
# Integration: faults around `vigil serve`'s video jobs (issue 19), each ending with every job
# finished exactly once and a clear error for what could not be done:
#   1. disk full: jobs.data_dir is a 1 MiB tmpfs (in the server's own mount namespace, unshare -m):
#      an upload that does not fit is refused 503 "unavailable" naming the full disk, with no job
#      and no partial file left; the next upload that fits runs once.
#   2. read-only database directory: the server restarted with the SQLite job store's directory
#      bind-mounted read-only refuses to start, naming it; restarted read-write, every job of the
#      store is still there, finished once.
#   3. callback receivers that fail: one answers 500 twice then 200 (delivered on the 3rd attempt,
#      exactly one 200), one hangs (every attempt times out after callbacks.timeout_seconds, the
#      callback ends "failed" after max_attempts); the jobs stay succeeded, once.
#   4. SIGKILL mid-upload: the restarted server holds no partial file and no job for the upload;
#      the job submitted before the kill finishes once.
# Needs root with CAP_SYS_ADMIN for the private tmpfs mounts (as CI runs).
set -euo pipefail
VIGIL_BIN=${VIGIL_BIN:?}
SRC=${VIGIL_SOURCE_DIR:?}
DATA=${VIGIL_TEST_DATA:-$SRC/data}
MODELS=${VIGIL_MODELS:-$SRC/models}
SHORT="$DATA/videos/realshort.mp4"     # 97 KB, 1.2 s
MEDIUM="$DATA/videos/cockatoo.mp4"     # 729 KB, 14 s
BIG="$DATA/videos/VID_20191220_170832.mp4"  # 2.9 MB: does not fit the 1 MiB upload disk
for f in "$SHORT" "$MEDIUM" "$BIG" "$MODELS/nsfw_mobilenet_v2/1/model.onnx"; do
  [ -f "$f" ] || { echo "missing $f: run scripts/setup and scripts/fetch-test-data"; exit 1; }
done
unshare -m --propagation private true 2>/dev/null || { echo "FAIL: needs unshare -m (root, CAP_SYS_ADMIN)"; exit 1; }
TMP=$(mktemp -d)
PID=
RECEIVER=
UPLOAD=
cleanup() {
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
  [ -n "$RECEIVER" ] && kill "$RECEIVER" 2>/dev/null
  [ -n "$UPLOAD" ] && kill "$UPLOAD" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$TMP/server.err" ] && tail -20 "$TMP/server.err"; exit 1; }

# A callback receiver: /flaky answers 500 to its first two requests, then 200; /hang never answers;
# every request is recorded as a JSON line (path, job id, status sent).
cat > "$TMP/receiver.js" <<'JS'
const http = require('http'), fs = require('fs');
const [log, portFile] = process.argv.slice(2);
let flaky = 0;
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    let status = 200;
    if (req.url === '/hang') status = 0;
    else if (req.url === '/flaky' && ++flaky <= 2) status = 500;
    let id = '';
    try { id = JSON.parse(body).id; } catch (e) {}
    fs.appendFileSync(log, JSON.stringify({path: req.url, id, status}) + '\n');
    if (status) { res.writeHead(status); res.end(status === 200 ? 'ok' : 'fail'); }
  });
});
server.listen(0, '127.0.0.1', () => fs.writeFileSync(portFile, String(server.address().port)));
JS
node "$TMP/receiver.js" "$TMP/hooks.jsonl" "$TMP/hook.port" &
RECEIVER=$!
for _ in $(seq 1 50); do [ -s "$TMP/hook.port" ] && break; sleep 0.1; done
HOOK_PORT=$(cat "$TMP/hook.port")

mkdir -p "$TMP/uploads" "$TMP/db" "$TMP/inputs"
cp "$SHORT" "$TMP/inputs/short.mp4"
cat > "$TMP/vigil.yaml" <<YAML
host: 127.0.0.1
port: 0
api_keys:
  - {key: fault-key-123, role: read}
  - {key: fault-admin-456, role: admin}
models:
  repository: $MODELS
  load: [nsfw_mobilenet_v2]
inference:
  workers: 1
jobs:
  database: $TMP/db/vigil.db
  data_dir: $TMP/uploads
  workers: 1
  drain_timeout_seconds: 0
  input_dirs: [$TMP/inputs]
callbacks:
  allowed_hosts: [127.0.0.1]
  timeout_seconds: 1
  max_attempts: 3
  retry_backoff_ms: 100
YAML
AUTH=(-H "X-API-Key: fault-key-123")
ADMIN=(-H "X-API-Key: fault-admin-456")   # GET /v1/jobs (the list) needs admin

# start_server [tmpfs]: with "tmpfs", the upload directory is a 1 MiB private tmpfs of the server's
# own mount namespace (it vanishes with the process).
start_server() {
  : > "$TMP/server.out"
  if [ "${1:-}" = tmpfs ]; then
    unshare -m --propagation private bash -c 'mount -t tmpfs -o size=1m tmpfs "$1" && shift && exec "$@"' \
      _ "$TMP/uploads" "$VIGIL_BIN" serve --config "$TMP/vigil.yaml" > "$TMP/server.out" 2>> "$TMP/server.err" &
  else
    "$VIGIL_BIN" serve --config "$TMP/vigil.yaml" > "$TMP/server.out" 2>> "$TMP/server.err" &
  fi
  PID=$!
  for _ in $(seq 1 150); do grep -q "listening on" "$TMP/server.out" 2>/dev/null && break; sleep 0.1; done
  PORT=$(grep -o 'http://127.0.0.1:[0-9]*' "$TMP/server.out" | head -1 | sed 's/.*://')
  [ -n "$PORT" ] || fail "server did not start"
  URL="http://127.0.0.1:$PORT"
}
stop_server() {  # stop_server SIGNAL
  kill "-$1" "$PID"
  wait "$PID" 2>/dev/null || true
  PID=
}
in_server_ns() { nsenter -t "$PID" -m "$@"; }

# request NAME EXPECTED_STATUS curl-args...: checks the status and that the body is JSON.
request() {
  local name=$1 want=$2; shift 2
  local code
  code=$(curl -s -o "$TMP/$name.json" -w '%{http_code}' "$@") || true
  [ "$code" = "$want" ] || fail "$name: HTTP $code, expected $want: $(cat "$TMP/$name.json" 2>/dev/null)"
  node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$TMP/$name.json" \
    || fail "$name: body is not JSON: $(cat "$TMP/$name.json")"
  echo "ok  $name -> $code $(head -c 160 "$TMP/$name.json")"
}
field() { node -e 'let v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); for (const k of process.argv[2].split(".")) v = v == null ? v : v[k]; console.log(typeof v === "object" ? JSON.stringify(v) : v)' "$TMP/$1.json" "$2"; }
# wait_field NAME ID FIELD VALUES SECONDS: polls GET /v1/jobs/ID until FIELD is one of VALUES (a|b).
wait_field() {
  local name=$1 id=$2 key=$3 values=$4 seconds=$5 value=
  for _ in $(seq 1 $((seconds * 10))); do
    curl -s "${AUTH[@]}" -o "$TMP/$name.json" "$URL/v1/jobs/$id" || true
    value=$(field "$name" "$key" 2>/dev/null || true)
    [[ "$value" =~ ^($values)$ ]] && return 0
    sleep 0.1
  done
  fail "$name: job $id has $key '$value' after ${seconds}s, expected $values: $(cat "$TMP/$name.json")"
}
# submit NAME FILE [QUERY]: raw upload, expects 202; sets JOB.
submit() {
  request "$1" 202 "${AUTH[@]}" -H 'Content-Type: video/mp4' --data-binary @"$2" "$URL/v1/videos:tag?sampler=keyframes${3:-}"
  JOB=$(field "$1" id)
}
# exactly_once: every job of the store is listed once and succeeded with attempts 1 (or as given).
exactly_once() {
  curl -s "${ADMIN[@]}" -o "$TMP/list.json" "$URL/v1/jobs?limit=1000"
  node -e '
    const jobs = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).jobs;
    const want = JSON.parse(process.argv[2]);
    const ids = jobs.map((j) => j.id);
    if (new Set(ids).size !== ids.length) throw new Error("a job is listed twice: " + ids);
    if (jobs.length !== Object.keys(want).length) throw new Error("jobs " + ids + ", expected " + Object.keys(want));
    for (const j of jobs) {
      if (!(j.id in want)) throw new Error("unexpected job " + j.id);
      if (j.state !== "succeeded" || j.attempts !== want[j.id] || !j.result) throw new Error("job " + JSON.stringify(j).slice(0, 300));
    }
    console.log("ok  " + jobs.length + " jobs, each listed once, succeeded with a result (attempts " + ids.map((i) => want[i]).join(",") + ")");
  ' "$TMP/list.json" "$1" || fail "jobs not finished exactly once: $(head -c 600 "$TMP/list.json")"
}

# ---- 1. disk full -----------------------------------------------------------------------------------
start_server tmpfs
submit before_full "$SHORT"
FIRST=$JOB
wait_field before_full_done "$FIRST" state succeeded 60
request disk_full 503 "${AUTH[@]}" -H 'Content-Type: video/mp4' --data-binary @"$BIG" "$URL/v1/videos:tag?sampler=keyframes"
[ "$(field disk_full error.code)" = unavailable ] || fail "disk full: error code $(field disk_full error.code)"
field disk_full error.message | grep -qi 'no space' || fail "disk full: message does not say so: $(field disk_full error.message)"
[ -z "$(in_server_ns find "$TMP/uploads" -type f)" ] || fail "disk full: files left: $(in_server_ns ls -la "$TMP/uploads")"
echo "ok  a full upload disk: 503 naming it, nothing left behind"
submit after_full "$MEDIUM"
SECOND=$JOB
wait_field after_full_done "$SECOND" state succeeded 120

# ---- 3. failing callback receivers ----------------------------------------------------------------
submit flaky "$SHORT" "&callback_url=http://127.0.0.1:$HOOK_PORT/flaky"
FLAKY=$JOB
submit hang "$SHORT" "&callback_url=http://127.0.0.1:$HOOK_PORT/hang"
HANG=$JOB
request health_during 200 "$URL/healthz"
wait_field flaky_cb "$FLAKY" callback.state delivered 60
[ "$(field flaky_cb callback.attempts)" = 3 ] || fail "flaky receiver: attempts $(field flaky_cb callback.attempts)"
wait_field hang_cb "$HANG" callback.state failed 60
[ "$(field hang_cb callback.attempts)" = 3 ] || fail "hanging receiver: attempts $(field hang_cb callback.attempts)"
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
  const [flaky, hang] = process.argv.slice(2);
  const f = lines.filter((l) => l.id === flaky), h = lines.filter((l) => l.id === hang);
  if (f.map((l) => l.status).join() !== "500,500,200") throw new Error("flaky deliveries " + JSON.stringify(f));
  if (h.length !== 3) throw new Error("hanging receiver got " + h.length + " attempts");
' "$TMP/hooks.jsonl" "$FLAKY" "$HANG" || fail "callback deliveries"
echo "ok  callbacks: 500,500,200 -> delivered once on attempt 3; a hanging receiver -> 3 timed-out attempts, failed"
ALL="{\"$FIRST\":1,\"$SECOND\":1,\"$FLAKY\":1,\"$HANG\":1}"
exactly_once "$ALL"
stop_server TERM

# ---- 2. read-only database directory -------------------------------------------------------------
: > "$TMP/server.err"
start_ro_rc=0
unshare -m --propagation private bash -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"' \
  _ "$TMP/db" timeout 20 "$VIGIL_BIN" serve --config "$TMP/vigil.yaml" > "$TMP/server.out" 2> "$TMP/server.err" || start_ro_rc=$?
[ "$start_ro_rc" -ne 0 ] && [ "$start_ro_rc" -ne 124 ] || fail "a read-only database directory: serve exited $start_ro_rc"
grep -qi 'read-only\|readonly' "$TMP/server.err" || fail "a read-only database directory: unclear error: $(cat "$TMP/server.err")"
echo "ok  a read-only database directory: serve refuses to start (exit $start_ro_rc): $(tail -1 "$TMP/server.err")"
start_server
exactly_once "$ALL"
echo "ok  restarted read-write: every job still there, once"

# ---- 4. SIGKILL mid-upload ---------------------------------------------------------------------------
submit kept "$SHORT"
KEPT=$JOB
# A slow upload (100 KB/s) of the 2.9 MB clip: the server is killed while it writes the file.
curl -s "${AUTH[@]}" -H 'Content-Type: video/mp4' --limit-rate 100k --data-binary @"$BIG" \
  "$URL/v1/videos:tag?sampler=keyframes" > /dev/null 2>&1 &
UPLOAD=$!
for _ in $(seq 1 100); do [ -n "$(find "$TMP/uploads" -name '*.part' -size +50k)" ] && break; sleep 0.1; done
[ -n "$(find "$TMP/uploads" -name '*.part' -size +50k)" ] || fail "the slow upload never reached the disk"
stop_server KILL
wait "$UPLOAD" 2>/dev/null || true
UPLOAD=
start_server
[ -z "$(find "$TMP/uploads" -name '*.part')" ] || fail "partial upload left after restart: $(ls -la "$TMP/uploads")"
wait_field kept_done "$KEPT" state succeeded 60
exactly_once "${ALL%\}},\"$KEPT\":$(field kept_done attempts)}"
echo "ok  SIGKILL mid-upload: no partial file and no job after restart"
stop_server TERM
echo "server_faults: all checks passed in ${SECONDS}s"
