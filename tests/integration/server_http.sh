#!/usr/bin/env bash
# Integration: the real `vigil serve` on a loopback port. Classify (raw and multipart, same scores
# as `vigil classify`), models, reload, health, metrics, OpenAPI, API-key roles, and malformed
# requests (wrong content type, junk and truncated images, bad query, unknown model, oversized body,
# a client that sends too slowly): each gets the right 4xx with a JSON body and the server keeps
# serving; per-request detection settings (score/IoU thresholds, max detections, limits from
# vigil.yaml) on messi5, equal to the CLI's; SIGTERM drains and exits 0.
set -euo pipefail
VIGIL_BIN=${VIGIL_BIN:?}
SRC=${VIGIL_SOURCE_DIR:?}
DATA=${VIGIL_TEST_DATA:-$SRC/data}
MODELS=${VIGIL_MODELS:-$SRC/models}
PHOTO="$DATA/images/samples/fruits.jpg"
PHOTO2="$DATA/images/samples/baboon.jpg"
[ -f "$PHOTO" ] || { echo "missing $PHOTO: run scripts/fetch-test-data"; exit 1; }
TMP=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$TMP/server.err" ] && cat "$TMP/server.err"; exit 1; }

cat > "$TMP/vigil.yaml" <<YAML
host: 127.0.0.1
port: 0
max_body_bytes: 400000
read_timeout_seconds: 1
models:
  repository: $MODELS
inference:
  workers: 2
  max_batch: 4
  max_batch_delay_us: 2000
api_keys:
  - {key: reader-key-123, role: read}
  - {key: admin-key-4567, role: admin}
limits:
  detect_min_score_threshold: 0.05
  detect_max_detections: 100
jobs:
  database: $TMP/vigil.db
  data_dir: $TMP/jobs
YAML
source "$(dirname "${BASH_SOURCE[0]}")/lib/server.bash"
start_server
READ=(-H "Authorization: Bearer reader-key-123")

# request NAME EXPECTED_STATUS curl-args...: checks the status and that the body is JSON.
request() {
  local name=$1 want=$2; shift 2
  local code
  code=$(curl -s -o "$TMP/$name.json" -w '%{http_code}' "$@") || true
  [ "$code" = "$want" ] || fail "$name: HTTP $code, expected $want: $(cat "$TMP/$name.json")"
  node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$TMP/$name.json" \
    || fail "$name: body is not JSON: $(cat "$TMP/$name.json")"
  echo "ok  $name -> $code $(head -c 160 "$TMP/$name.json")"
}

request healthz 200 "$URL/healthz"
request readyz 200 "$URL/readyz"
request no_key 401 -H 'Content-Type: image/jpeg' --data-binary @"$PHOTO" "$URL/v1/images:classify"
request bad_key 401 -H 'X-API-Key: wrong-key-000' "$URL/v1/models"
request models 200 "${READ[@]}" "$URL/v1/models"
request reload_reader 403 "${READ[@]}" --data "" "$URL/v1/models:reload"
request reload_admin 200 -H 'X-API-Key: admin-key-4567' --data "" "$URL/v1/models:reload"
request raw 200 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$PHOTO" "$URL/v1/images:classify"
request multipart 200 "${READ[@]}" -F "file=@$PHOTO" -F "file=@$PHOTO2" "$URL/v1/images:classify?model=nsfw_mobilenet_v2&version=1&top_k=2"
request wrong_type 415 "${READ[@]}" -H 'Content-Type: text/plain' --data 'hello' "$URL/v1/images:classify"
head -c 3000 /dev/urandom > "$TMP/junk.bin"
request junk 415 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$TMP/junk.bin" "$URL/v1/images:classify"
head -c 20000 "$PHOTO" > "$TMP/truncated.jpg"
request truncated 422 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$TMP/truncated.jpg" "$URL/v1/images:classify"
request bad_query 400 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$PHOTO" "$URL/v1/images:classify?top_k=many"
request typo_param 400 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$PHOTO" "$URL/v1/images:classify?top-k=2"
grep -q 'unknown query parameter' "$TMP/typo_param.json" || fail "typo_param: $(cat "$TMP/typo_param.json")"
request repeated_param 400 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$PHOTO" "$URL/v1/images:classify?top_k=2&top_k=3"
request unknown_model 404 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$PHOTO" "$URL/v1/images:classify?model=nope"
request bad_embedding 400 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$PHOTO" "$URL/v1/images:classify?embedding=maybe"
request empty_model 400 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$PHOTO" "$URL/v1/images:classify?model="
request nul_model 400 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$PHOTO" "$URL/v1/images:classify?model=%00"
request lowercase_bearer 200 -H "Authorization: bearer reader-key-123" "$URL/v1/models"
# Two different Content-Length headers: the body's length is ambiguous (request smuggling), 400.
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /v1/images:classify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer reader-key-123\r\nContent-Type: image/jpeg\r\nContent-Length: 5\r\nContent-Length: 7\r\nConnection: close\r\n\r\nabcdefg' >&3
timeout 5 cat <&3 > "$TMP/two_lengths.out" || true
exec 3>&-
grep -q "^HTTP/1.1 400" "$TMP/two_lengths.out" || fail "conflicting Content-Length: $(head -c 300 "$TMP/two_lengths.out")"
grep -q "conflicting Content-Length" "$TMP/two_lengths.out" || fail "conflicting Content-Length message"
echo "ok  conflicting Content-Length headers -> 400"
head -c 500000 /dev/urandom > "$TMP/big.bin"
request oversized 413 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$TMP/big.bin" "$URL/v1/images:classify"
request no_route 404 "$URL/v2/nothing"

# Detection models on the same route: boxes and tags in the CLI's JSON shape; broken images get
# the same 4xx JSON as with a classifier.
DETECT=0
if ls "$MODELS"/nanodet_coco/*/manifest.* >/dev/null 2>&1; then DETECT=1; fi
if [ "$DETECT" = 1 ]; then
  MESSI="$DATA/images/samples/messi5.jpg"
  request detect_raw 200 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$MESSI" "$URL/v1/images:classify?model=nanodet_coco"
  request detect_multipart 200 "${READ[@]}" -F "file=@$MESSI" -F "file=@$PHOTO" "$URL/v1/images:classify?model=nanodet_coco"
  request detect_junk 415 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$TMP/junk.bin" "$URL/v1/images:classify?model=nanodet_coco"
  request detect_truncated 422 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$TMP/truncated.jpg" "$URL/v1/images:classify?model=nanodet_coco"
  VIGIL_MODELS="$MODELS" "$VIGIL_BIN" classify "$MESSI" -m nanodet_coco --json > "$TMP/cli_detect.jsonl" 2>/dev/null
  node - "$TMP" <<'JS' || fail "detection results"
const fs = require('fs'), dir = process.argv[2];
const read = n => JSON.parse(fs.readFileSync(dir + '/' + n + '.json'));
const server = read('detect_raw').results[0];
const cli = JSON.parse(fs.readFileSync(dir + '/cli_detect.jsonl', 'utf8').trim());
const tags = server.tags.map(t => t.label);
if (!tags.includes('person') || !tags.includes('sports ball')) throw new Error('messi5 tags ' + JSON.stringify(server.tags));
if (server.results.length !== 1 || server.results[0].task !== 'detection' || server.results[0].model !== 'nanodet_coco')
  throw new Error('detect result ' + JSON.stringify(server));
// Same JSON keys and values as `vigil classify -m nanodet_coco --json` (minus "path").
const keys = o => JSON.stringify(Object.keys(o).sort());
if (keys(server) !== keys(Object.fromEntries(Object.entries(cli).filter(([k]) => k !== 'path'))))
  throw new Error('keys ' + keys(server) + ' vs ' + keys(cli));
if (server.width !== cli.width || server.height !== cli.height) throw new Error('size ' + server.width + 'x' + server.height);
const sd = server.results[0].detections, cd = cli.results[0].detections;
if (sd.length !== cd.length || sd.length === 0) throw new Error(sd.length + ' vs ' + cd.length + ' detections');
for (let i = 0; i < sd.length; ++i) {
  if (sd[i].label !== cd[i].label || Math.abs(sd[i].score - cd[i].score) > 1e-4) throw new Error('detection ' + i);
  for (let k = 0; k < 4; ++k) if (Math.abs(sd[i].box[k] - cd[i].box[k]) > 0.5) throw new Error('box ' + i);
  const [x0, y0, x1, y1] = sd[i].box;
  if (!(0 <= x0 && x0 < x1 && x1 <= server.width && 0 <= y0 && y0 < y1 && y1 <= server.height)) throw new Error('box outside');
}
for (const t of server.tags) {
  const n = sd.filter(d => d.label === t.label);
  if (n.length !== t.count || Math.max(...n.map(d => d.score)) !== t.score) throw new Error('tag ' + t.label);
}
const multi = read('detect_multipart').results;
if (multi.length !== 2 || multi[0].filename !== 'messi5.jpg' || multi[1].filename !== 'fruits.jpg' ||
    JSON.stringify(multi[0].tags) !== JSON.stringify(server.tags)) throw new Error('detect multipart');
for (const n of ['junk', 'truncated']) {
  const c = read(n).error, d = read('detect_' + n).error;
  if (!c || !d || c.code !== d.code) throw new Error(n + ': ' + JSON.stringify(c) + ' vs ' + JSON.stringify(d));
}
const models = read('models').models.filter(m => m.name === 'nanodet_coco');
if (models.length !== 1 || models[0].task !== 'detection') throw new Error('nanodet_coco in /v1/models');
console.log('ok  detection: ' + JSON.stringify(server.tags.map(t => t.label + ' ' + t.score.toFixed(2) + ' x' + t.count)) + ', same as the CLI');
JS
else
  echo "note: no nanodet_coco in $MODELS (scripts/setup installs it): detection checks not run"
fi

# The server's scores equal the CLI's for the same photo and model.
VIGIL_MODELS="$MODELS" "$VIGIL_BIN" classify "$PHOTO" --json > "$TMP/cli.jsonl" 2>/dev/null
node - "$TMP" <<'JS' || fail "server vs CLI scores"
const fs = require('fs'), dir = process.argv[2];
const server = JSON.parse(fs.readFileSync(dir + '/raw.json')).results[0];
const cli = JSON.parse(fs.readFileSync(dir + '/cli.jsonl', 'utf8').trim());
if (server.model !== 'nsfw_mobilenet_v2' || server.predictions.length !== 5) throw new Error('raw result ' + JSON.stringify(server));
for (const p of cli.predictions) {
  const q = server.predictions.find(x => x.label === p.label);
  if (Math.abs(q.score - p.score) > 1e-6) throw new Error(p.label + ' ' + q.score + ' vs ' + p.score);
}
const multi = JSON.parse(fs.readFileSync(dir + '/multipart.json')).results;
if (multi.length !== 2 || multi[0].filename !== 'fruits.jpg' || multi[1].predictions.length !== 2) throw new Error('multipart ' + JSON.stringify(multi));
const models = JSON.parse(fs.readFileSync(dir + '/models.json')).models.filter(m => m.task === 'classification').map(m => m.name).sort();
if (JSON.stringify(models) !== '["nsfw_inception_v3","nsfw_mobilenet_v2"]') throw new Error('models ' + models);
console.log('ok  server scores equal the CLI, multipart and models listing');
JS

# A client that sends part of a request and stalls gets a 400 JSON error after read_timeout
# (1 s here) instead of holding a thread; others are served meanwhile.
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /v1/images:classify HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc' >&3
request during_slow 200 "$URL/healthz"
# Wait for the answer itself (it comes after the 1 s read timeout); 10 s only bounds the wait.
timeout 10 head -c 12 <&3 > "$TMP/slow.out" || true
grep -q "^HTTP/1.1 400" "$TMP/slow.out" || fail "slow client: no 400 after the read timeout: $(cat "$TMP/slow.out")"
echo "ok  slow client answered 400 after the read timeout"
exec 3>&-

# Metrics: per route/model/version/status counts and latency; queue depth; batch sizes.
curl -s "$URL/metrics" > "$TMP/metrics.txt"
grep -q 'vigil_http_requests_total{route="/v1/images:classify",model="nsfw_mobilenet_v2",version="1",status="200"} 2' "$TMP/metrics.txt" || fail "metrics: classify count"
# An unknown model is not a label (random names must not grow /metrics): its 404 has model="".
grep -q 'vigil_http_request_seconds_bucket{route="/v1/images:classify",model="",version="",status="404",le="+Inf"} 1' "$TMP/metrics.txt" || fail "metrics: 404 latency"
if grep -q 'model="nope"' "$TMP/metrics.txt"; then fail "metrics: an unknown model name became a label"; fi
grep -q '^vigil_queue_depth 0' "$TMP/metrics.txt" || fail "metrics: queue depth"
grep -q '^vigil_batch_size_count{model="nsfw_mobilenet_v2",version="1"}' "$TMP/metrics.txt" || fail "metrics: batch size"
if [ "$DETECT" = 1 ]; then
  # Detectors run one image per call: every batch_size observation is 1 (3 images decoded).
  grep -q '^vigil_batch_size_bucket{model="nanodet_coco",version="1",le="1"} 3$' "$TMP/metrics.txt" || fail "metrics: detector batches"
  grep -q '^vigil_batch_size_count{model="nanodet_coco",version="1"} 3$' "$TMP/metrics.txt" || fail "metrics: detector batch count"
  grep -q '^vigil_images_total{model="nanodet_coco",version="1",outcome="error"} 2$' "$TMP/metrics.txt" || fail "metrics: detector errors"
  grep -q 'vigil_http_requests_total{route="/v1/images:classify",model="nanodet_coco",version="1",status="200"} 2' "$TMP/metrics.txt" || fail "metrics: detector requests"
fi
echo "ok  metrics"

# Per-request detection settings (after the metrics checks, which count the requests above): a
# higher score threshold returns fewer boxes on messi5, exactly the default's boxes scoring at least
# that (greedy NMS only lets a better box suppress); max_detections keeps the best; the CLI with the
# same flags gives the same boxes; malformed, out-of-range and over-the-limit values are 400.
if [ "$DETECT" = 1 ]; then
  DQ="$URL/v1/images:classify?model=nanodet_coco"
  request dp_high 200 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$MESSI" "$DQ&score_threshold=0.7"
  request dp_max2 200 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$MESSI" "$DQ&max_detections=2"
  request dp_iou 200 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$MESSI" "$DQ&score_threshold=0.1&iou_threshold=0.05&max_detections=100"
  request dp_low 200 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$MESSI" "$DQ&score_threshold=0.1&max_detections=100"
  request dp_again 200 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$MESSI" "$DQ"
  request dp_multipart 200 "${READ[@]}" -F "file=@$MESSI" -F "file=@$MESSI" "$DQ&score_threshold=0.7"
  VIGIL_MODELS="$MODELS" "$VIGIL_BIN" classify "$MESSI" -m nanodet_coco --score-threshold 0.7 --json > "$TMP/cli_high.jsonl" 2>/dev/null
  node - "$TMP" <<'JS' || fail "detection parameters"
const fs = require('fs'), dir = process.argv[2];
const dets = n => JSON.parse(fs.readFileSync(dir + '/' + n + '.json')).results[0].results[0].detections;
const same = (a, b) => a.length === b.length && a.every((d, i) => d.label === b[i].label &&
  Math.abs(d.score - b[i].score) < 1e-6 && d.box.every((v, k) => Math.abs(v - b[i].box[k]) < 1e-3));
const base = dets('detect_raw'), high = dets('dp_high'), low = dets('dp_low');
if (!(high.length > 0 && high.length < base.length)) throw new Error('score_threshold 0.7: ' + high.length + ' boxes vs ' + base.length);
const atLeast = t => d => d.score >= Math.fround(t);  // the server compares floats
if (!same(high, base.filter(atLeast(0.7)))) throw new Error('0.7 boxes are not the default boxes scoring >= 0.7');
if (!(low.length > base.length && same(low.filter(atLeast(0.35)), base))) throw new Error('score_threshold 0.1: ' + low.length);
if (!same(dets('dp_max2'), base.slice(0, 2))) throw new Error('max_detections 2');
if (!(dets('dp_iou').length < low.length)) throw new Error('iou_threshold 0.05: ' + dets('dp_iou').length + ' vs ' + low.length);
if (!same(dets('dp_again'), base)) throw new Error('a later default request changed: the model was modified');
const cli = JSON.parse(fs.readFileSync(dir + '/cli_high.jsonl', 'utf8').trim()).results[0].detections;
if (!same(high, cli)) throw new Error('server and CLI differ at 0.7');
const multi = JSON.parse(fs.readFileSync(dir + '/dp_multipart.json')).results;
if (multi.length !== 2 || !multi.every(r => same(r.results[0].detections, high))) throw new Error('multipart with score_threshold');
console.log('ok  detection settings: ' + base.length + ' boxes by default, ' + high.length + ' at score 0.7 (= CLI), ' +
            low.length + ' at 0.1 (' + dets('dp_iou').length + ' with IoU 0.05), 2 with max_detections 2; the default is unchanged');
JS
  for bad in "score_threshold=abc" "score_threshold=1.5" "score_threshold=-0.1" "score_threshold=nan" \
             "score_threshold=0x1" "score_threshold=" "iou_threshold=0" "iou_threshold=2" "max_detections=0" \
             "max_detections=2.5" "max_detections=20000" "score_threshold=0.01" "max_detections=101"; do
    request "dp_bad_${bad//[^a-z0-9]/_}" 400 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$MESSI" "$DQ&$bad"
  done
  grep -q 'detect_min_score_threshold' "$TMP/dp_bad_score_threshold_0_01.json" || fail "limit message: $(cat "$TMP/dp_bad_score_threshold_0_01.json")"
  grep -q 'detect_max_detections' "$TMP/dp_bad_max_detections_101.json" || fail "limit message: $(cat "$TMP/dp_bad_max_detections_101.json")"
  grep -qF 'iou_threshold must be a number in (0, 1]' "$TMP/dp_bad_iou_threshold_0.json" || fail "iou message: $(cat "$TMP/dp_bad_iou_threshold_0.json")"
  request dp_at_limit 200 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$MESSI" "$DQ&max_detections=100&score_threshold=0.05"
  request dp_classifier 400 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$PHOTO" "$URL/v1/images:classify?model=nsfw_mobilenet_v2&score_threshold=0.5"
  grep -q 'detection models only' "$TMP/dp_classifier.json" || fail "classifier with detection settings: $(cat "$TMP/dp_classifier.json")"
  request dp_default_model 400 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$PHOTO" "$URL/v1/images:classify?max_detections=5"
  request dp_unknown_model 404 "${READ[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$PHOTO" "$URL/v1/images:classify?model=nope&score_threshold=0.5"
fi

# OpenAPI: a 3.x document describing every route the server answers.
request openapi 200 "$URL/openapi.json"
node -e '
const d = JSON.parse(require("fs").readFileSync(process.argv[1]));
if (!/^3\./.test(d.openapi)) throw new Error("openapi version");
for (const p of ["/v1/images:classify", "/v1/models", "/v1/models:reload", "/healthz", "/readyz", "/metrics"])
  if (!d.paths[p]) throw new Error("missing path " + p);
const refs = JSON.stringify(d).match(/"\$ref":"[^"]*"/g) || [];
for (const r of refs) { let node = d; for (const k of r.slice(9, -1).split("/").slice(1)) { node = node[k]; if (node === undefined) throw new Error("dangling " + r); } }
console.log("ok  openapi: " + Object.keys(d.paths).length + " paths, " + refs.length + " refs resolve");
' "$TMP/openapi.json" || fail "openapi"

# Graceful stop.
kill -TERM "$PID"
for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$PID" 2>/dev/null; then fail "server did not stop on SIGTERM"; fi
wait "$PID" && code=0 || code=$?
PID=
[ "$code" = 0 ] || fail "server exit code $code"
grep -q "stopped" "$TMP/server.err" || fail "no stop message"
echo "server_http: all checks passed"
