#!/usr/bin/env bash
# Integration: moderation on the real `vigil serve` (loopback port, SQLite jobs + decisions in a
# temp dir), against `vigil moderate --json` on the same files:
#  - the default policy (the server's default model set loads its models): POST /v1/moderate on
#    each sample photo gives the decision `vigil moderate --json` prints (ids, outcomes, category
#    scores, models, policy version; everything but path, latency_ms and created_ms);
#  - a multipart request: one decision per part, in order, with its file name;
#  - GET /v1/decisions/{id} returns the stored decision; unknown ids 404; malformed requests 4xx;
#  - a video (Content-Type video/mp4) becomes a video.moderate job that finishes with segments
#    (the cockatoo clip, "bird" as the stand-in category), equal to `vigil moderate` on the file;
#  - GET /v1/policies; a reader key cannot reload; a bad policy file is a 400 and the old policy
#    still serves; a good edit is swapped in;
#  - moderation metrics with labels from the policy only.
set -euo pipefail
VIGIL_BIN=${VIGIL_BIN:?}
SRC=${VIGIL_SOURCE_DIR:?}
DATA=${VIGIL_TEST_DATA:-$SRC/data}
MODELS=${VIGIL_MODELS:-$SRC/models}
export VIGIL_MODELS=$MODELS
SAMPLES="$DATA/images/samples"
CLIP="$DATA/videos/cockatoo.mp4"
[ -d "$SAMPLES" ] && [ -f "$CLIP" ] || { echo "missing test data: run scripts/fetch-test-data"; exit 1; }
[ -f "$MODELS/nsfw_inception_v3/1/model.onnx" ] || { echo "missing models: run scripts/setup"; exit 1; }
TMP=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$TMP/server.err" ] && tail -20 "$TMP/server.err"; exit 1; }
# shellcheck source=lib/server.bash
. "$(dirname "$0")/lib/server.bash"
READ=(-H "X-API-Key: reader-key-123")
ADMIN=(-H "X-API-Key: admin-key-4567")
# request NAME STATUS CURL-ARGS...: the body to $TMP/NAME.json, the HTTP status must be STATUS.
request() {
  local name=$1 want=$2; shift 2
  local got
  got=$(curl -s -o "$TMP/$name.json" -w '%{http_code}' "$@")
  [ "$got" = "$want" ] || fail "$name: HTTP $got, expected $want: $(head -c 400 "$TMP/$name.json")"
}

PHOTOS=(fruits.jpg chelsea.png coffee.png hubble_deep_field.jpg messi5.jpg starry_night.jpg baboon.jpg)
# The default policy, as the server finds it by default (VIGIL_POLICY, as `vigil moderate`).
export VIGIL_POLICY="$SRC/policies/default.yaml"
cat > "$TMP/vigil.yaml" <<YAML
host: 127.0.0.1
port: 0
models:
  repository: $MODELS
inference:
  workers: 2
api_keys:
  - {key: reader-key-123, role: read}
  - {key: admin-key-4567, role: admin}
jobs:
  database: $TMP/db/vigil.db
  workers: 1
YAML
mkdir -p "$TMP/db"
start_server
grep -q "policy default sha256:" "$TMP/server.out" || fail "start-up line without the policy: $(cat "$TMP/server.out")"

# 1. The same decisions as `vigil moderate --json` on the same photos.
files=(); for p in "${PHOTOS[@]}"; do files+=("$SAMPLES/$p"); done
set +e; "$VIGIL_BIN" moderate "${files[@]}" --json -j 2 > "$TMP/cli.jsonl" 2> "$TMP/cli.err"; code=$?; set -e
[ $code -eq 0 ] || [ $code -eq 3 ] || { cat "$TMP/cli.err"; fail "vigil moderate exit $code"; }
: > "$TMP/http.jsonl"
for p in "${PHOTOS[@]}"; do
  type=image/jpeg; case $p in *.png) type=image/png ;; esac
  request "one" 200 "${READ[@]}" -H "Content-Type: $type" --data-binary "@$SAMPLES/$p" "$URL/v1/moderate"
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1])).results;
    if (r.length !== 1) throw new Error(r.length + " results");
    console.log(JSON.stringify(r[0]));' "$TMP/one.json" >> "$TMP/http.jsonl"
done
request multi 200 "${READ[@]}" -F "a=@$SAMPLES/fruits.jpg" -F "b=@$SAMPLES/chelsea.png" "$URL/v1/moderate"
node - "$TMP/cli.jsonl" "$TMP/http.jsonl" "$TMP/multi.json" <<'JS' || fail "CLI and HTTP decisions differ"
const fs = require('fs');
const read = f => fs.readFileSync(f, 'utf8').trim().split('\n').map(JSON.parse);
const strip = d => { const c = {...d}; delete c.path; delete c.latency_ms; delete c.created_ms; delete c.filename; return c; };
const cli = read(process.argv[2]), http = read(process.argv[3]);
if (cli.length !== http.length) throw new Error(cli.length + ' CLI vs ' + http.length + ' HTTP decisions');
let flagged = 0;
for (let i = 0; i < cli.length; i++) {
  const a = JSON.stringify(strip(cli[i])), b = JSON.stringify(strip(http[i]));
  if (a !== b) throw new Error(cli[i].path + ':\n  cli  ' + a + '\n  http ' + b);
  if (cli[i].categories.length !== 4 || cli[i].models.length !== 3) throw new Error('not the default policy');
  if (cli[i].outcome !== 'allow') flagged++;
}
const multi = JSON.parse(fs.readFileSync(process.argv[4])).results;
if (multi.length !== 2 || multi[0].filename !== 'fruits.jpg' || multi[1].filename !== 'chelsea.png') {
  throw new Error('multipart: ' + JSON.stringify(multi.map(m => m.filename)));
}
for (const [m, path] of [[multi[0], 'fruits.jpg'], [multi[1], 'chelsea.png']]) {
  const c = cli.find(d => d.path.endsWith('/' + path));
  if (JSON.stringify(strip(m)) !== JSON.stringify(strip(c))) throw new Error('multipart ' + path + ' differs');
}
console.log('ok  ' + cli.length + ' photos: identical decisions from vigil moderate --json and POST /v1/moderate (' +
            flagged + ' flagged); multipart too');
JS

# 2. Stored decisions.
id=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]).decision_id)' "$TMP/http.jsonl")
request stored 200 "${READ[@]}" "$URL/v1/decisions/$id"
node -e 'const fs = require("fs"); const a = JSON.parse(fs.readFileSync(process.argv[1], "utf8").split("\n")[0]);
  const b = JSON.parse(fs.readFileSync(process.argv[2]));
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error("stored decision differs:\n" + JSON.stringify(a) + "\n" + JSON.stringify(b));' \
  "$TMP/http.jsonl" "$TMP/stored.json" || fail "GET /v1/decisions/{id}"
echo "ok  GET /v1/decisions/$id returns the decision POST returned"
request unknown 404 "${READ[@]}" "$URL/v1/decisions/dec_00000000000000000000000000000000"
request list 200 "${ADMIN[@]}" "$URL/v1/decisions?limit=100"
node -e 'const d = JSON.parse(require("fs").readFileSync(process.argv[1])).decisions;
  if (d.length !== Number(process.argv[2])) throw new Error(d.length + " stored decisions");' "$TMP/list.json" "${#PHOTOS[@]}" \
  || fail "decision list (idempotent record)"
request list_reader 403 "${READ[@]}" "$URL/v1/decisions"
request badparam 400 "${READ[@]}" -H "Content-Type: image/jpeg" --data-binary "@$SAMPLES/fruits.jpg" "$URL/v1/moderate?treshold=1"
request badtype 415 "${READ[@]}" -H "Content-Type: text/plain" --data-binary "hello" "$URL/v1/moderate"
request nokey 401 -H "Content-Type: image/jpeg" --data-binary "@$SAMPLES/fruits.jpg" "$URL/v1/moderate"
echo "ok  unknown decision 404, list admin only, bad requests 400/415/401"

# 3. A video job: the cockatoo clip under a policy where "bird" plays the violating class.
cat > "$TMP/birds.yaml" <<'YAML'
name: birds
categories:
  - name: bird
    severity: 5
    signal: {model: nanodet_coco, classes: [bird], min_score: 0.3}
    review_at: 0.4
    block_at: 0.6
YAML
cp "$TMP/birds.yaml" "$TMP/policy.yaml"
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
printf 'moderation:\n  policy: %s\n' "$TMP/policy.yaml" >> "$TMP/vigil.yaml"
start_server
request video 202 "${READ[@]}" -H "Content-Type: video/mp4" --data-binary "@$CLIP" "$URL/v1/moderate?sampler=interval:1"
job=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).id)' "$TMP/video.json")
state=queued
for _ in $(seq 1 600); do
  request job 200 "${READ[@]}" "$URL/v1/jobs/$job"
  state=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).state)' "$TMP/job.json")
  case $state in succeeded|failed|cancelled) break ;; esac
  sleep 0.2
done
[ "$state" = succeeded ] || fail "video job $state: $(cat "$TMP/job.json")"
set +e; "$VIGIL_BIN" moderate "$CLIP" --policy "$TMP/birds.yaml" --sample interval:1 --json > "$TMP/cli_video.json" 2>&1; set -e
node - "$TMP/job.json" "$TMP/cli_video.json" <<'JS' || fail "video job result"
const fs = require('fs');
const job = JSON.parse(fs.readFileSync(process.argv[2]));
const cli = JSON.parse(fs.readFileSync(process.argv[3], 'utf8').trim().split('\n').pop());
const d = job.result;
if (job.kind !== 'video.moderate') throw new Error('kind ' + job.kind);
if (d.media_type !== 'video' || !Array.isArray(d.segments) || d.segments.length === 0) throw new Error('no segments: ' + JSON.stringify(d));
const strip = x => { const c = {...x}; delete c.path; delete c.latency_ms; delete c.created_ms; return c; };
// The job document holds the result as parsed JSON (keys sorted): compare in one key order.
const canon = v => Array.isArray(v) ? v.map(canon) : v && typeof v === 'object'
  ? Object.fromEntries(Object.keys(v).sort().map(k => [k, canon(v[k])])) : v;
if (JSON.stringify(canon(strip(d))) !== JSON.stringify(canon(strip(cli)))) {
  throw new Error('job result differs from vigil moderate:\n  job ' + JSON.stringify(strip(d)) + '\n  cli ' + JSON.stringify(strip(cli)));
}
console.log('ok  video job: ' + d.outcome + ', ' + d.segments.length + ' segment(s) from ' + d.segments[0].start_s + ' s, as vigil moderate');
JS
vid=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).result.decision_id)' "$TMP/job.json")
request video_decision 200 "${READ[@]}" "$URL/v1/decisions/$vid"
request badvideo 400 "${READ[@]}" -H "Content-Type: video/mp4" --data-binary "@$CLIP" "$URL/v1/moderate?sampler=bogus"

# 4. Policies: a reader cannot reload; a bad file is refused and the old policy serves.
request policy 200 "${READ[@]}" "$URL/v1/policies"
old=$(node -e 'const p = JSON.parse(require("fs").readFileSync(process.argv[1])); if (p.name !== "birds") throw 1; console.log(p.version)' "$TMP/policy.json")
request reload_reader 403 "${READ[@]}" --data "" "$URL/v1/policies:reload"
printf 'name: birds\ncategories:\n  - name: bird\n    signal: {model: nanodet_coco, classes: [dragon]}\n    review_at: 0.5\n' > "$TMP/policy.yaml"
request reload_bad 400 "${ADMIN[@]}" --data "" "$URL/v1/policies:reload"
grep -q "dragon" "$TMP/reload_bad.json" || fail "the reload error does not name the unknown class: $(cat "$TMP/reload_bad.json")"
request policy_after 200 "${READ[@]}" "$URL/v1/policies"
grep -q "\"$old\"" "$TMP/policy_after.json" || fail "the old policy is not served after a bad reload"
request still 200 "${READ[@]}" -H "Content-Type: image/jpeg" --data-binary "@$SAMPLES/fruits.jpg" "$URL/v1/moderate"
grep -q "\"policy_version\":\"$old\"" "$TMP/still.json" || fail "decisions after a bad reload use another policy"
sed 's/review_at: 0.4/review_at: 0.45/' "$TMP/birds.yaml" > "$TMP/policy.yaml"
request reload_good 200 "${ADMIN[@]}" --data "" "$URL/v1/policies:reload"
node -e 'const p = JSON.parse(require("fs").readFileSync(process.argv[1]));
  if (!p.changed || p.previous_version !== process.argv[2] || p.categories[0].review_at !== 0.45) throw new Error(JSON.stringify(p));' \
  "$TMP/reload_good.json" "$old" || fail "good reload"
echo "ok  policies: reader reload 403, bad file 400 (old policy serves), good file swapped in"

# 5. Metrics: outcomes and policy categories only.
curl -s "$URL/metrics" > "$TMP/metrics.txt"
grep -q '^vigil_moderation_decisions_total{media="video",outcome="[a-z]*",category="\(bird\|none\)"}' "$TMP/metrics.txt" \
  || fail "no video decision metric: $(grep moderation "$TMP/metrics.txt")"
grep -q '^vigil_moderation_seconds_count{media="image"}' "$TMP/metrics.txt" || fail "no moderation latency histogram"
echo "ok  moderation metrics"
