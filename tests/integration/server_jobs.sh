#!/usr/bin/env bash
# Integration: video jobs on the real `vigil serve` (loopback port, SQLite job store in a temp dir).
# Submit (raw, multipart, server-local JSON path) -> 202 + Location -> poll to the result; random
# bytes as a video -> the job fails with a clear error; malformed requests (wrong content type, bad
# JSON, unknown parameter/model/job, bad sampler, oversized and truncated uploads, paths outside
# jobs.input_dirs) -> the right 4xx with a JSON body; roles on the job routes; cancel; callbacks to
# an allowed loopback listener (delivered once, redirects never followed) and refused hosts;
# signed callbacks (two secrets: rotation) verified by the receiver of docs/http-api.md, which
# refuses tampered bodies, changed headers and stale replays; secrets never logged or returned;
# restart mid-job after SIGKILL (job resumes, attempts 2) and after SIGTERM with no drain time
# (job re-queued, attempts 1): never lost, never duplicated; job metrics; /openapi.json checked
# by a real OpenAPI 3 validator (npm @seriousme/openapi-schema-validator).
set -euo pipefail
VIGIL_BIN=${VIGIL_BIN:?}
SRC=${VIGIL_SOURCE_DIR:?}
DATA=${VIGIL_TEST_DATA:-$SRC/data}
MODELS=${VIGIL_MODELS:-$SRC/models}
NODE_MODULES=${VIGIL_NODE_MODULES:-$SRC/node_modules}
SHORT="$DATA/videos/realshort.mp4"     # 1.2 s, 320x240 H.264 + AAC
CLIP="$DATA/videos/cockatoo.mp4"       # 14 s, 1280x720 H.264
LONG="$DATA/videos/vtest.avi"          # 79.5 s, 768x576 MS-MPEG4, 795 frames (restart jobs take its first 250)
for f in "$SHORT" "$CLIP" "$LONG"; do [ -f "$f" ] || { echo "missing $f: run scripts/fetch-test-data"; exit 1; }; done
[ -d "$NODE_MODULES/@seriousme/openapi-schema-validator" ] \
  || { echo "missing $NODE_MODULES/@seriousme/openapi-schema-validator: run scripts/setup"; exit 1; }
TMP=$(mktemp -d)
PID=
LISTENER=
cleanup() {
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
  [ -n "$LISTENER" ] && kill "$LISTENER" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$TMP/server.err" ] && tail -20 "$TMP/server.err"; exit 1; }

# Callback signing secrets (a rotation: the server signs with both, the receiver knows only the new).
OLD_SECRET="whsec_$(openssl rand -base64 32)"
NEW_SECRET="whsec_$(openssl rand -base64 48)"
# A callback receiver: verifies the Standard Webhooks signature with NEW_SECRET exactly as
# docs/http-api.md shows (401 when it does not verify), records every request (path, headers, body,
# whether it verified, and whether OLD_SECRET's signature verifies too) as a JSON line; /redirect
# answers 302 to /stolen (which must never be hit).
cat > "$TMP/listener.js" <<'JS'
const http = require('http'), fs = require('fs'), crypto = require('crypto');
const [log, portFile, secret, oldSecret] = process.argv.slice(2);
// The receiver example of docs/http-api.md ("Signed callbacks"), unchanged.
function verifyVigilCallback(secret, headers, raw, now = Date.now() / 1000) {
  const id = headers['webhook-id'], ts = headers['webhook-timestamp'] || '';
  if (!/^[0-9]+$/.test(ts) || Math.abs(now - Number(ts)) > 300) return false;  // replay window
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const mac = crypto.createHmac('sha256', key).update(`${id}.${ts}.`).update(raw).digest();
  return (headers['webhook-signature'] || '').split(' ').some(s => {
    const sig = Buffer.from(s.startsWith('v1,') ? s.slice(3) : '', 'base64');
    return sig.length === mac.length && crypto.timingSafeEqual(sig, mac);
  });
}
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks), verified = verifyVigilCallback(secret, req.headers, raw);
    fs.appendFileSync(log, JSON.stringify({path: req.url, type: req.headers['content-type'], headers: req.headers,
      body: raw.toString('utf8'), verified, verified_old: verifyVigilCallback(oldSecret, req.headers, raw)}) + '\n');
    if (req.url.startsWith('/redirect')) { res.writeHead(302, {Location: 'http://127.0.0.1:' + server.address().port + '/stolen'}); res.end(); return; }
    if (!verified) { res.writeHead(401, {'Content-Type': 'text/plain'}); res.end('bad signature'); return; }
    res.writeHead(200, {'Content-Type': 'text/plain'}); res.end('ok');
  });
});
server.listen(0, '127.0.0.1', () => fs.writeFileSync(portFile, String(server.address().port)));
JS
touch "$TMP/callbacks.jsonl"
node "$TMP/listener.js" "$TMP/callbacks.jsonl" "$TMP/listener.port" "$NEW_SECRET" "$OLD_SECRET" &
LISTENER=$!
for _ in $(seq 1 50); do [ -s "$TMP/listener.port" ] && break; sleep 0.1; done
HOOK_PORT=$(cat "$TMP/listener.port")

mkdir -p "$TMP/inputs"
cp "$SHORT" "$TMP/inputs/short.mp4"
cat > "$TMP/vigil.yaml" <<YAML
host: 127.0.0.1
port: 0
models:
  repository: $MODELS
  load: [nsfw_mobilenet_v2]
inference:
  workers: 1
api_keys:
  - {key: reader-key-123, role: read}
  - {key: admin-key-4567, role: admin}
jobs:
  database: $TMP/db/vigil.db
  data_dir: $TMP/uploads
  workers: 1
  max_attempts: 3
  drain_timeout_seconds: 0
  max_upload_bytes: 5000000
  input_dirs: [$TMP/inputs]
callbacks:
  allowed_hosts: [127.0.0.1]
  timeout_seconds: 2
  max_attempts: 2
  retry_backoff_ms: 100
  signing_secrets: ["$OLD_SECRET", "$NEW_SECRET"]
YAML

source "$(dirname "${BASH_SOURCE[0]}")/lib/server.bash"
start_server
READ=(-H "Authorization: Bearer reader-key-123")
ADMIN=(-H "X-API-Key: admin-key-4567")

# request NAME EXPECTED_STATUS curl-args...: checks the status and that the body is JSON.
request() {
  local name=$1 want=$2; shift 2
  local code
  code=$(curl -s -o "$TMP/$name.json" -D "$TMP/$name.headers" -w '%{http_code}' "$@") || true
  [ "$code" = "$want" ] || fail "$name: HTTP $code, expected $want: $(cat "$TMP/$name.json")"
  node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$TMP/$name.json" \
    || fail "$name: body is not JSON: $(cat "$TMP/$name.json")"
  echo "ok  $name -> $code $(head -c 150 "$TMP/$name.json")"
}
field() { node -e 'let v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); for (const k of process.argv[2].split(".")) v = v == null ? v : v[k]; console.log(typeof v === "object" ? JSON.stringify(v) : v)' "$TMP/$1.json" "$2"; }
# wait_job NAME ID STATES SECONDS: polls GET /v1/jobs/ID until its state is one of STATES (a|b).
wait_job() {
  local name=$1 id=$2 states=$3 seconds=$4 state=
  for _ in $(seq 1 $((seconds * 10))); do
    curl -s "${READ[@]}" -o "$TMP/$name.json" "$URL/v1/jobs/$id" || true
    state=$(field "$name" state 2>/dev/null || true)
    [[ "$state" =~ ^($states)$ ]] && { echo "ok  $name: job $id $state"; return 0; }
    sleep 0.1
  done
  fail "$name: job $id is '$state' after ${seconds}s, expected $states: $(cat "$TMP/$name.json")"
}

# ---- submit and poll ------------------------------------------------------------------------------
request submit_raw 202 "${READ[@]}" -H 'Content-Type: video/mp4' --data-binary @"$CLIP" "$URL/v1/videos:tag?sampler=keyframes&model=nsfw_mobilenet_v2"
RAW_ID=$(field submit_raw id)
grep -qi "^Location: /v1/jobs/$RAW_ID" "$TMP/submit_raw.headers" || fail "no Location header"
[ "$(field submit_raw state)" = queued ] || fail "a new job is queued"
[[ "$RAW_ID" =~ ^[0-9a-f]{32}$ ]] || fail "job id $RAW_ID"
request submit_multipart 202 "${READ[@]}" -F "file=@$SHORT;type=video/mp4" "$URL/v1/videos:tag?sampler=interval:0.5"
MULTI_ID=$(field submit_multipart id)
request submit_path 202 "${READ[@]}" -H 'Content-Type: application/json' \
  --data "{\"path\": \"$TMP/inputs/short.mp4\", \"sampler\": \"all\", \"model\": [\"nsfw_mobilenet_v2\"]}" "$URL/v1/videos:tag"
PATH_ID=$(field submit_path id)
head -c 300000 /dev/urandom > "$TMP/random.mp4"
request submit_random 202 "${READ[@]}" -H 'Content-Type: video/mp4' --data-binary @"$TMP/random.mp4" "$URL/v1/videos:tag"
RANDOM_ID=$(field submit_random id)

wait_job raw_done "$RAW_ID" succeeded 60
wait_job multi_done "$MULTI_ID" succeeded 30
wait_job path_done "$PATH_ID" succeeded 30
wait_job random_done "$RANDOM_ID" failed 30
node - "$TMP" <<'JS' || fail "job results"
const fs = require('fs'), dir = process.argv[2], read = n => JSON.parse(fs.readFileSync(dir + '/' + n + '.json'));
const check = (name, sampler) => {
  const j = read(name);
  if (j.progress !== 1 || j.attempts !== 1 || !j.finished_at || j.error) throw new Error(name + ' ' + JSON.stringify(j).slice(0, 300));
  const text = JSON.stringify(j.result);
  if (!text.includes('nsfw_mobilenet_v2') || !text.includes('Neutral') || !text.includes('Drawing')) throw new Error(name + ' result lacks model labels: ' + text.slice(0, 400));
  if (text.includes(dir)) throw new Error(name + ' result leaks the server path');
  if (j.options.sampler !== sampler) throw new Error(name + ' options ' + JSON.stringify(j.options));
};
check('raw_done', 'keyframes');
check('multi_done', 'interval:0.5');
check('path_done', 'all');
const r = read('random_done');
if (!r.error || !/^(data_loss|unsupported|invalid_argument)$/.test(r.error.code) || r.error.message.length < 10 || r.result)
  throw new Error('random bytes: ' + JSON.stringify(r));
console.log('ok  results carry the model labels; random bytes failed with ' + r.error.code + ': ' + r.error.message);
JS
[ -z "$(ls -A "$TMP/uploads")" ] || fail "uploads not removed after their jobs ended: $(ls "$TMP/uploads")"
[ -f "$TMP/inputs/short.mp4" ] || fail "a server-local input must never be removed"
echo "ok  uploaded videos removed when their jobs ended, server-local input kept"

# ---- malformed requests ---------------------------------------------------------------------------
request no_key 401 -H 'Content-Type: video/mp4' --data-binary @"$SHORT" "$URL/v1/videos:tag"
request wrong_type 415 "${READ[@]}" -H 'Content-Type: text/plain' --data 'hello' "$URL/v1/videos:tag"
request bad_json 400 "${READ[@]}" -H 'Content-Type: application/json' --data '{"path": ' "$URL/v1/videos:tag"
request json_no_path 400 "${READ[@]}" -H 'Content-Type: application/json' --data '{"sampler": "all"}' "$URL/v1/videos:tag"
request path_outside 403 "${READ[@]}" -H 'Content-Type: application/json' --data "{\"path\": \"$SHORT\"}" "$URL/v1/videos:tag"
request path_escape 403 "${READ[@]}" -H 'Content-Type: application/json' --data "{\"path\": \"$TMP/inputs/../vigil.yaml\"}" "$URL/v1/videos:tag"
# A NUL in the path is refused, not cut off (issue 19: the job ran on "short.mp4").
request path_nul 400 "${READ[@]}" -H 'Content-Type: application/json' --data "{\"path\": \"$TMP/inputs/short.mp4\\u0000.txt\"}" "$URL/v1/videos:tag"
grep -q "control character" "$TMP/path_nul.json" || fail "path with NUL: $(cat "$TMP/path_nul.json")"
request path_missing 404 "${READ[@]}" -H 'Content-Type: application/json' --data "{\"path\": \"$TMP/inputs/nope.mp4\"}" "$URL/v1/videos:tag"
request unknown_param 400 "${READ[@]}" -H 'Content-Type: video/mp4' --data-binary @"$SHORT" "$URL/v1/videos:tag?smapler=all"
request bad_sampler 400 "${READ[@]}" -H 'Content-Type: video/mp4' --data-binary @"$SHORT" "$URL/v1/videos:tag?sampler=sometimes"
# Sampling limits (issue 19): interval:1e-300 pinned a core forever; refused before queueing.
for interval in 1e-300 1e-9; do
  request "tiny_interval_$interval" 400 "${READ[@]}" -H 'Content-Type: application/json' \
    --data "{\"path\": \"$TMP/inputs/short.mp4\", \"sampler\": \"interval:$interval\"}" "$URL/v1/videos:tag"
  grep -q "minimum interval" "$TMP/tiny_interval_$interval.json" || fail "interval:$interval: $(cat "$TMP/tiny_interval_$interval.json")"
done
request bad_max_frames 400 "${READ[@]}" -H 'Content-Type: video/mp4' --data-binary @"$SHORT" "$URL/v1/videos:tag?max_frames=-3"
request unknown_model 404 "${READ[@]}" -H 'Content-Type: video/mp4' --data-binary @"$SHORT" "$URL/v1/videos:tag?model=nope"
request empty_body 400 "${READ[@]}" -H 'Content-Type: video/mp4' --data-binary @/dev/null "$URL/v1/videos:tag"
head -c 6000000 /dev/urandom > "$TMP/big.mp4"
request oversized 413 "${READ[@]}" -H 'Content-Type: video/mp4' --data-binary @"$TMP/big.mp4" "$URL/v1/videos:tag"
request two_files 400 "${READ[@]}" -F "file=@$SHORT" -F "video=@$SHORT" "$URL/v1/videos:tag"
request unknown_job 404 "${READ[@]}" "$URL/v1/jobs/0123456789abcdef0123456789abcdef"
request junk_job_id 404 "${READ[@]}" "$URL/v1/jobs/..%2F..%2Fetc"
request list_reader 403 "${READ[@]}" "$URL/v1/jobs"
request list_admin 200 "${ADMIN[@]}" "$URL/v1/jobs?state=succeeded&limit=10"
[ "$(field list_admin jobs.length)" = 3 ] || fail "admin list: $(cat "$TMP/list_admin.json")"
request list_bad_state 400 "${ADMIN[@]}" "$URL/v1/jobs?state=sleeping"
request cancel_done 409 "${READ[@]}" -X DELETE "$URL/v1/jobs/$RAW_ID"
# A truncated upload (the client promises 200000 bytes, sends 1000 and hangs up) leaves no job
# and no partial file behind. The server has finished with it once its request is counted in
# /metrics (recorded after the handler returned and removed the partial file): wait for that.
submits_counted() {
  curl -s "$URL/metrics" | awk '/^vigil_http_requests_total[{]route="\/v1\/videos:tag"/ { n += $NF } END { print n + 0 }'
}
SUBMITS_BEFORE=$(submits_counted)
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /v1/videos:tag HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer reader-key-123\r\nContent-Type: video/mp4\r\nContent-Length: 200000\r\n\r\n' >&3
head -c 1000 "$CLIP" >&3
exec 3>&-
for _ in $(seq 1 100); do [ "$(submits_counted)" -gt "$SUBMITS_BEFORE" ] && break; sleep 0.1; done
[ "$(submits_counted)" -gt "$SUBMITS_BEFORE" ] || fail "the truncated upload was never answered or counted"
request list_after_truncated 200 "${ADMIN[@]}" "$URL/v1/jobs"
[ "$(field list_after_truncated jobs.length)" = 4 ] || fail "a truncated upload created a job"
[ -z "$(ls -A "$TMP/uploads")" ] || fail "truncated upload left $(ls "$TMP/uploads")"
echo "ok  truncated upload: no job, no partial file"

# ---- callbacks -------------------------------------------------------------------------------------
request cb_refused_host 400 "${READ[@]}" -H 'Content-Type: video/mp4' --data-binary @"$SHORT" "$URL/v1/videos:tag?callback_url=http://example.com/hook"
request cb_refused_suffix 400 "${READ[@]}" -H 'Content-Type: video/mp4' --data-binary @"$SHORT" "$URL/v1/videos:tag?callback_url=http://127.0.0.1.nip.io/hook"
request cb_refused_userinfo 400 "${READ[@]}" -H 'Content-Type: video/mp4' --data-binary @"$SHORT" "$URL/v1/videos:tag?callback_url=http://127.0.0.1@example.com/hook"
request cb_refused_scheme 400 "${READ[@]}" -H 'Content-Type: video/mp4' --data-binary @"$SHORT" "$URL/v1/videos:tag?callback_url=file:///etc/passwd"
request cb_submit 202 "${READ[@]}" -H 'Content-Type: video/mp4' --data-binary @"$SHORT" \
  "$URL/v1/videos:tag?callback_url=http://127.0.0.1:$HOOK_PORT/hook%3Fsource%3Dvigil"
CB_ID=$(field cb_submit id)
request cb_redirect_submit 202 "${READ[@]}" -H 'Content-Type: video/mp4' --data-binary @"$SHORT" \
  "$URL/v1/videos:tag?callback_url=http://127.0.0.1:$HOOK_PORT/redirect"
CB_REDIRECT_ID=$(field cb_redirect_submit id)
wait_job cb_done "$CB_ID" succeeded 30
wait_job cb_redirect_done "$CB_REDIRECT_ID" succeeded 30
for _ in $(seq 1 50); do
  curl -s "${READ[@]}" -o "$TMP/cb_state.json" "$URL/v1/jobs/$CB_REDIRECT_ID"
  [ "$(field cb_state callback.state)" = failed ] && break
  sleep 0.1
done
curl -s "${READ[@]}" -o "$TMP/cb_ok_state.json" "$URL/v1/jobs/$CB_ID"
node - "$TMP" "$CB_ID" "$CB_REDIRECT_ID" <<'JS' || fail "callbacks"
const fs = require('fs'), [dir, id, redirectId] = process.argv.slice(2);
const hits = fs.readFileSync(dir + '/callbacks.jsonl', 'utf8').trim().split('\n').filter(Boolean).map(JSON.parse);
const mine = hits.filter(h => h.path === '/hook?source=vigil');
if (mine.length !== 1) throw new Error('expected 1 delivery to /hook, got ' + mine.length + ': ' + JSON.stringify(hits).slice(0, 500));
const body = JSON.parse(mine[0].body);
if (body.id !== id || body.state !== 'succeeded' || !body.result || mine[0].type !== 'application/json') throw new Error('callback body ' + mine[0].body.slice(0, 300));
if (hits.some(h => h.path.startsWith('/stolen'))) throw new Error('a redirect was followed');
const redirects = hits.filter(h => h.path === '/redirect');
if (redirects.length !== 2) throw new Error('redirect callback attempts: ' + redirects.length + ' (max_attempts 2)');
const state = JSON.parse(fs.readFileSync(dir + '/cb_state.json'));
if (state.callback.state !== 'failed' || state.callback.attempts !== 2) throw new Error('redirect callback state ' + JSON.stringify(state.callback));
const ok = JSON.parse(fs.readFileSync(dir + '/cb_ok_state.json'));
if (ok.callback.state !== 'delivered' || ok.callback.attempts !== 1) throw new Error('delivered callback state ' + JSON.stringify(ok.callback));
console.log('ok  callback delivered once with the job; a 302 was not followed (2 attempts, then failed)');
// Signed: the receiver verified it with the new secret, the old secret's signature verifies too
// (rotation: two v1 signatures), the delivery id is the job id, the timestamp is current.
const h = mine[0].headers;
if (!mine[0].verified || !mine[0].verified_old) throw new Error('signature did not verify: ' + JSON.stringify(h));
if (h['webhook-signature'].split(' ').length !== 2 || !h['webhook-signature'].split(' ').every(s => /^v1,[A-Za-z0-9+/]{43}=$/.test(s)))
  throw new Error('webhook-signature ' + h['webhook-signature']);
if (h['webhook-id'] !== id || h['x-vigil-job-id'] !== id) throw new Error('webhook-id ' + h['webhook-id']);
if (Math.abs(Date.now() / 1000 - Number(h['webhook-timestamp'])) > 120) throw new Error('webhook-timestamp ' + h['webhook-timestamp']);
// Redirect attempts: each signed afresh, same id.
if (!redirects.every(r => r.verified && r.headers['webhook-id'] === redirectId)) throw new Error('redirect attempts not signed');
fs.writeFileSync(dir + '/delivery.json', JSON.stringify(mine[0]));
console.log('ok  callback signed with both secrets (rotation), verified by the receiver, webhook-id = job id');
JS
# The receiver refuses a tampered body, a changed timestamp or id, and a stale replay (401); the
# untouched delivery replayed at once is accepted (idempotency is the receiver's job: webhook-id).
replay() {  # replay NAME EXPECTED_STATUS MUTATION(js expression on d = {headers, body})
  NEW_SECRET="$NEW_SECRET" node - "$TMP/delivery.json" "$3" > "$TMP/replay_$1.args" <<'JS'
const fs = require('fs'), d = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
eval(process.argv[3]);
fs.writeFileSync(process.argv[2] + '.body', d.body);
for (const k of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) console.log(k + ': ' + d.headers[k]);
JS
  local args=() line code
  while IFS= read -r line; do args+=(-H "$line"); done < "$TMP/replay_$1.args"
  code=$(curl -s -o /dev/null -w '%{http_code}' "${args[@]}" -H 'Content-Type: application/json' \
    --data-binary @"$TMP/delivery.json.body" "http://127.0.0.1:$HOOK_PORT/replay/$1")
  [ "$code" = "$2" ] || fail "replay $1: HTTP $code, expected $2"
  echo "ok  replay $1 -> $code"
}
replay untouched 200 ''
replay tampered_body 401 'd.body = d.body.replace("\"succeeded\"", "\"failed\"")'
replay appended_body 401 'd.body += " "'
replay other_timestamp 401 'd.headers["webhook-timestamp"] = String(Number(d.headers["webhook-timestamp"]) + 1)'
replay other_id 401 'd.headers["webhook-id"] = "0".repeat(32)'
replay old_secret_only 401 'd.headers["webhook-signature"] = d.headers["webhook-signature"].split(" ")[0]'
# Re-signed with the receiver's secret: accepted at the current time, refused 400 s in the past.
RESIGN='d.headers["webhook-timestamp"] = String(Math.floor(Date.now() / 1000) + SHIFT); d.headers["webhook-signature"] = "v1," + require("crypto").createHmac("sha256", Buffer.from(process.env.NEW_SECRET.slice(6), "base64")).update(d.headers["webhook-id"] + "." + d.headers["webhook-timestamp"] + "." + d.body).digest("base64")'
replay resigned_now 200 "const SHIFT = 0; $RESIGN"
replay stale 401 "const SHIFT = -400; $RESIGN"
replay future 401 "const SHIFT = 400; $RESIGN"

# ---- cancel ---------------------------------------------------------------------------------------
cp "$LONG" "$TMP/inputs/long.avi"
request cancel_submit 202 "${READ[@]}" -H 'Content-Type: application/json' --data "{\"path\": \"$TMP/inputs/long.avi\", \"sampler\": \"all\"}" "$URL/v1/videos:tag"
CANCEL_ID=$(field cancel_submit id)
wait_job cancel_running "$CANCEL_ID" running 30
request cancel 202 "${READ[@]}" -X DELETE "$URL/v1/jobs/$CANCEL_ID"
wait_job cancel_done "$CANCEL_ID" cancelled 10
[ "$(field cancel_done error.code)" = cancelled ] || fail "cancelled job error: $(cat "$TMP/cancel_done.json")"

# ---- restarts mid-job -----------------------------------------------------------------------------
# wait_progress ID: until the job runs and reports progress > 0.
wait_progress() {
  for _ in $(seq 1 300); do
    curl -s "${READ[@]}" -o "$TMP/progress.json" "$URL/v1/jobs/$1" || true
    [ "$(field progress state)" = running ] && node -e 'process.exit(JSON.parse(require("fs").readFileSync(process.argv[1])).progress > 0 ? 0 : 1)' "$TMP/progress.json" && return 0
    sleep 0.1
  done
  fail "job $1 never reported progress: $(cat "$TMP/progress.json")"
}
stop_server() {  # stop_server SIGNAL
  kill "-$1" "$PID"
  wait "$PID" 2>/dev/null || true
  PID=
}
request kill_submit 202 "${READ[@]}" -H 'Content-Type: application/json' \
  --data "{\"path\": \"$TMP/inputs/long.avi\", \"sampler\": \"all\", \"max_frames\": 250, \"callback_url\": \"http://127.0.0.1:$HOOK_PORT/restart\"}" "$URL/v1/videos:tag"
KILL_ID=$(field kill_submit id)
wait_progress "$KILL_ID"
echo "ok  job $KILL_ID running at $(field progress progress): SIGKILL"
stop_server KILL
start_server
wait_job kill_done "$KILL_ID" succeeded 120
[ "$(field kill_done attempts)" = 2 ] || fail "after SIGKILL: attempts $(field kill_done attempts), expected 2"

request term_submit 202 "${READ[@]}" -H 'Content-Type: application/json' \
  --data "{\"path\": \"$TMP/inputs/long.avi\", \"sampler\": \"all\", \"max_frames\": 250}" "$URL/v1/videos:tag"
TERM_ID=$(field term_submit id)
wait_progress "$TERM_ID"
echo "ok  job $TERM_ID running at $(field progress progress): SIGTERM (drain_timeout_seconds 0)"
stop_server TERM
grep -q "cancelled, queued again" "$TMP/server.err" || fail "SIGTERM did not re-queue the running job"
start_server
wait_job term_done "$TERM_ID" succeeded 120
[ "$(field term_done attempts)" = 1 ] || fail "after SIGTERM: attempts $(field term_done attempts), expected 1 (a shutdown is not the job's fault)"
for _ in $(seq 1 50); do grep -q '"/restart"' "$TMP/callbacks.jsonl" && break; sleep 0.1; done
request list_final 200 "${ADMIN[@]}" "$URL/v1/jobs?limit=1000"
node - "$TMP" "$KILL_ID" "$TERM_ID" <<'JS' || fail "restart bookkeeping"
const fs = require('fs'), [dir, killId, termId] = process.argv.slice(2);
const jobs = JSON.parse(fs.readFileSync(dir + '/list_final.json')).jobs;
for (const id of [killId, termId]) {
  const same = jobs.filter(j => j.id === id);
  if (same.length !== 1 || same[0].state !== 'succeeded') throw new Error(id + ' listed ' + same.length + ' times: ' + JSON.stringify(same).slice(0, 300));
}
const hooks = fs.readFileSync(dir + '/callbacks.jsonl', 'utf8').trim().split('\n').map(JSON.parse).filter(h => h.path === '/restart');
if (hooks.length !== 1 || JSON.parse(hooks[0].body).id !== killId) throw new Error('restart callback deliveries: ' + hooks.length);
const kill = JSON.parse(fs.readFileSync(dir + '/kill_done.json'));
if (!JSON.stringify(kill.result).includes('Neutral')) throw new Error('restarted job result ' + JSON.stringify(kill.result).slice(0, 200));
const term = JSON.parse(fs.readFileSync(dir + '/term_done.json'));
const secs = j => ((Date.parse(j.finished_at) - Date.parse(j.started_at)) / 1000).toFixed(1);
console.log('ok  restarted jobs: each listed once, succeeded with a result, callback delivered once (last runs ' + secs(kill) + ' s, ' + secs(term) + ' s)');
JS

# ---- metrics and OpenAPI --------------------------------------------------------------------------
curl -s "$URL/metrics" > "$TMP/metrics.txt"
grep -q '^vigil_jobs{state="succeeded"} 7$' "$TMP/metrics.txt" || fail "metrics: jobs by state: $(grep '^vigil_jobs{' "$TMP/metrics.txt")"
grep -q '^vigil_jobs{state="failed"} 1$' "$TMP/metrics.txt" || fail "metrics: failed jobs"
grep -q '^vigil_jobs{state="cancelled"} 1$' "$TMP/metrics.txt" || fail "metrics: cancelled jobs"
grep -q '^vigil_job_duration_seconds_count{kind="video.tag",state="succeeded"} 1$' "$TMP/metrics.txt" || fail "metrics: job durations (this process ran 1 job)"
grep -q '^vigil_http_requests_total{route="/v1/jobs/{id}",model="",version="",status="200"}' "$TMP/metrics.txt" || fail "metrics: job route"
echo "ok  metrics: jobs by state, durations, routes"
request openapi 200 "$URL/openapi.json"
node - "$NODE_MODULES" "$TMP/openapi.json" <<'JS' || fail "openapi"
const [modules, file] = process.argv.slice(2);
const { Validator } = require(modules + '/@seriousme/openapi-schema-validator');
const doc = JSON.parse(require('fs').readFileSync(file, 'utf8'));
(async () => {
  const validator = new Validator();
  const result = await validator.validate(doc);
  if (!result.valid) throw new Error(JSON.stringify(result.errors, null, 1).slice(0, 2000));
  for (const p of ['/v1/images:classify', '/v1/videos:tag', '/v1/jobs', '/v1/jobs/{id}', '/v1/models', '/v1/models:reload', '/healthz', '/readyz', '/metrics', '/openapi.json'])
    if (!doc.paths[p]) throw new Error('missing path ' + p);
  if (!doc.paths['/v1/jobs/{id}'].delete) throw new Error('no cancel operation');
  const classifyParams = doc.paths['/v1/images:classify'].post.parameters.map(p => p.name);
  for (const p of ['score_threshold', 'iou_threshold', 'max_detections'])
    if (!classifyParams.includes(p)) throw new Error('classify lacks ' + p);
  const hook = doc.paths['/v1/videos:tag'].post.callbacks.jobFinished['{$request.query.callback_url}'].post;
  if (!['webhook-id', 'webhook-timestamp', 'webhook-signature'].every(h => hook.parameters.some(p => p.name === h && p.in === 'header')))
    throw new Error('callback headers');
  console.log('ok  openapi: valid OpenAPI ' + validator.version + ' (' + Object.keys(doc.paths).length + ' paths)');
})().catch(e => { console.error(e.message); process.exit(1); });
JS

stop_server TERM
# The signing secrets never reach a log or a response; a malformed one stops the server at start
# with an error naming its position only.
for secret in "$OLD_SECRET" "$NEW_SECRET"; do
  ! grep -rqF -- "${secret#whsec_}" "$TMP/server.out" "$TMP/server.err" "$TMP"/*.json || fail "a signing secret was logged or returned"
done
BAD_SECRET="whsec_$(openssl rand -base64 12)"
sed "s|signing_secrets: .*|signing_secrets: [\"$NEW_SECRET\", \"$BAD_SECRET\"]|" "$TMP/vigil.yaml" > "$TMP/bad_secret.yaml"
set +e
"$VIGIL_BIN" serve --config "$TMP/bad_secret.yaml" > /dev/null 2> "$TMP/bad_secret.err"; code=$?
set -e
[ $code -ne 0 ] && grep -q "callbacks.signing_secrets: webhook secret 2 of 2" "$TMP/bad_secret.err" \
  || fail "bad secret: exit $code, $(cat "$TMP/bad_secret.err")"
! grep -qF -- "${BAD_SECRET#whsec_}" "$TMP/bad_secret.err" || fail "the bad secret was printed"
echo "ok  secrets neither logged nor returned; a malformed secret is refused at start: $(cat "$TMP/bad_secret.err")"
echo "server_jobs: all checks passed in ${SECONDS}s"
