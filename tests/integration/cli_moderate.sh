#!/usr/bin/env bash
# Integration: `vigil moderate` and `vigil policy` through the real binary, with benign stand-ins
# for violating content: a COCO class ("cat") and a few-shot head trained on the Stellarium set
# where "galaxy" plays the violating class.
#  - the default policy on the sample photos: one decision per photo, the policy version of
#    `vigil policy show`, the three bundled models, exit 0 or 3 as the outcomes say;
#  - the cat policy: chelsea.png blocked (with its box), coffee.png allowed; exit codes 3 / 0;
#  - a 1 ms deadline sends every photo to review (model errors never allow);
#  - a broken file among good ones: named error, the rest decided, exit 1;
#  - bad policies are clear errors naming the key;
#  - --store twice: the same decision ids (idempotent);
#  - a video: the cockatoo clip with "bird" as the category gets time segments;
#  - `vigil policy fit` on the galaxy stand-in meets recall>=0.9 on its held-out split within the
#    reported interval, and the fitted policy moderates with the fitted thresholds.
set -euo pipefail
VIGIL_BIN=${VIGIL_BIN:?}
SRC=${VIGIL_SOURCE_DIR:?}
DATA=${VIGIL_TEST_DATA:-$SRC/data}
MODELS=${VIGIL_MODELS:-$SRC/models}
export VIGIL_MODELS=$MODELS
SAMPLES="$DATA/images/samples"
DSO="$DATA/images/stellarium_dso"
[ -d "$SAMPLES" ] && [ -d "$DSO/train" ] || { echo "missing test data: run scripts/fetch-test-data"; exit 1; }
[ -f "$MODELS/nsfw_inception_v3/1/model.onnx" ] || { echo "missing models: run scripts/setup"; exit 1; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
run() {  # run NAME ARGS...: stdout to $TMP/NAME.out, stderr to $TMP/NAME.err, exit code in $code
  local name=$1; shift
  set +e; "$VIGIL_BIN" "$@" > "$TMP/$name.out" 2> "$TMP/$name.err"; code=$?; set -e
}

# 1. The default policy on the samples.
run default moderate "$SAMPLES" --policy "$SRC/policies/default.yaml" --json -j 2
[ $code -eq 0 ] || [ $code -eq 3 ] || { cat "$TMP/default.err"; fail "default policy exit $code"; }
version=$("$VIGIL_BIN" policy show --policy "$SRC/policies/default.yaml" | sed -n 's/^# version //p')
node - "$TMP/default.out" "$version" "$code" "$(find "$SAMPLES" -type f | wc -l)" <<'JS' || fail "default policy JSON"
const [file, version, code, count] = process.argv.slice(2);
const lines = require('fs').readFileSync(file, 'utf8').trim().split('\n').map(JSON.parse);
if (lines.length !== +count) throw new Error(lines.length + ' decisions for ' + count + ' photos');
let flagged = 0;
for (const d of lines) {
  if (d.policy_version !== version) throw new Error('policy_version ' + d.policy_version);
  const models = d.models.map(m => m.name + ':' + m.version).join(',');
  if (models !== 'nsfw_mobilenet_v2:1,nsfw_inception_v3:1,nanodet_coco:1') throw new Error('models ' + models);
  if (!['allow', 'review', 'block'].includes(d.outcome)) throw new Error('outcome ' + d.outcome);
  if (d.categories.map(c => c.name).join() !== 'sexual,suggestive,drawn_sexual,weapons') throw new Error('categories');
  if (!/^dec_[0-9a-f]{32}$/.test(d.decision_id)) throw new Error('id ' + d.decision_id);
  const worst = d.categories.reduce((w, c) => Math.max(w, ['allow', 'review', 'block'].indexOf(c.outcome)), 0);
  if (['allow', 'review', 'block'][worst] !== d.outcome) throw new Error('outcome is not the worst category\'s');
  if (d.outcome !== 'allow') flagged++;
}
if ((flagged > 0) !== (code === '3')) throw new Error('exit ' + code + ' with ' + flagged + ' flagged');
console.log('ok  default policy: ' + lines.length + ' decisions, ' + flagged + ' flagged, exit ' + code);
JS

# 2. A stand-in category: a cat is "violating".
cat > "$TMP/cats.yaml" <<'EOF'
name: cats
categories:
  - name: cat
    signal: {model: nanodet_coco, classes: [cat], min_score: 0.3}
    review_at: 0.3
    block_at: 0.5
EOF
run cat moderate "$SAMPLES/chelsea.png" --policy "$TMP/cats.yaml" --json
[ $code -eq 3 ] || fail "chelsea exit $code"
grep -q '"outcome":"block"' "$TMP/cat.out" || fail "chelsea not blocked: $(cat "$TMP/cat.out")"
grep -q '"box":\[' "$TMP/cat.out" || fail "no evidence box"
run coffee moderate "$SAMPLES/coffee.png" --policy "$TMP/cats.yaml"
[ $code -eq 0 ] || fail "coffee exit $code"
grep -q 'coffee.png  allow' "$TMP/coffee.out" || fail "coffee: $(cat "$TMP/coffee.out")"
echo "ok  stand-in category: chelsea blocked (exit 3), coffee allowed (exit 0)"

# 3. A 1 ms deadline: no model answers in time, every photo goes to review, none is allowed.
run late moderate "$SAMPLES/chelsea.png" "$SAMPLES/coffee.png" --policy "$SRC/policies/default.yaml" \
  --json --deadline-ms 1
[ $code -eq 3 ] || fail "deadline exit $code"
[ "$(grep -c '"outcome":"review"' "$TMP/late.out")" -eq 2 ] || fail "not all in review: $(cat "$TMP/late.out")"
grep -q 'deadline_exceeded' "$TMP/late.out" || fail "no deadline reason"
echo "ok  1 ms deadline: both photos in review"

# 4. A broken file among good ones.
mkdir -p "$TMP/mixed"
cp "$SAMPLES/coffee.png" "$TMP/mixed/a.png"
echo "not an image" > "$TMP/mixed/b.jpg"
cp "$SAMPLES/chelsea.png" "$TMP/mixed/c.png"
run mixed moderate "$TMP/mixed" --policy "$TMP/cats.yaml" --json
[ $code -eq 1 ] || fail "mixed exit $code"
[ "$(wc -l < "$TMP/mixed.out")" -eq 3 ] || fail "mixed: $(cat "$TMP/mixed.out")"
grep '"b.jpg"\|/b.jpg"' "$TMP/mixed.out" | grep -q '"error"' || fail "b.jpg error not named"
grep 'c.png' "$TMP/mixed.out" | grep -q '"outcome":"block"' || fail "c.png not decided"
echo "ok  broken file named, the others decided, exit 1"

# 5. Bad policies.
printf 'name: p\ncategories:\n  - name: c\n    signal: {model: nanodet_coco, classes: [cat]}\n    review_at: 0.9\n    block_at: 0.2\n' > "$TMP/order.yaml"
run order moderate "$SAMPLES/coffee.png" --policy "$TMP/order.yaml"
[ $code -eq 1 ] && grep -q 'out of order' "$TMP/order.err" || fail "thresholds out of order: $code $(cat "$TMP/order.err")"
printf 'name: p\ncategories:\n  - name: c\n    signal: {model: nanodet_coco, classes: [cat]}\n    reveiw_at: 0.5\n' > "$TMP/typo.yaml"
run typo policy validate --policy "$TMP/typo.yaml"
[ $code -ne 0 ] && grep -q "unknown key 'reveiw_at'" "$TMP/typo.err" || fail "typo: $(cat "$TMP/typo.err")"
printf 'name: p\ncategories:\n  - name: c\n    signal: {model: nanodet_coco, classes: [kitten]}\n    review_at: 0.5\n' > "$TMP/label.yaml"
run label policy validate --policy "$TMP/label.yaml"
[ $code -ne 0 ] && grep -q "no class 'kitten'" "$TMP/label.err" || fail "unknown label: $(cat "$TMP/label.err")"
printf 'name: p\ncategories:\n  - name: c\n    signal: {model: nope, labels: [A]}\n    review_at: 0.5\n' > "$TMP/model.yaml"
run model policy validate --policy "$TMP/model.yaml"
[ $code -ne 0 ] && grep -q "nope" "$TMP/model.err" || fail "unknown model: $(cat "$TMP/model.err")"
echo "ok  bad policies: thresholds out of order, unknown key, unknown label, unknown model"

# 6. --store: recorded once, the same ids the second time.
run store1 moderate "$SAMPLES/chelsea.png" "$SAMPLES/coffee.png" --policy "$TMP/cats.yaml" --json --store "$TMP/db/vigil.db"
run store2 moderate "$SAMPLES/chelsea.png" "$SAMPLES/coffee.png" --policy "$TMP/cats.yaml" --json --store "$TMP/db/vigil.db"
ids() { node -e 'for (const l of require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")) { const d = JSON.parse(l); console.log(d.decision_id + " " + d.created_ms); }' "$1"; }
[ "$(ids "$TMP/store1.out")" = "$(ids "$TMP/store2.out")" ] || fail "a second run recorded new decisions"
echo "ok  --store: the second run returns the recorded decisions"

# 7. A video: "bird" segments in the cockatoo clip.
cat > "$TMP/birds.yaml" <<'EOF'
name: birds
categories:
  - {name: bird, signal: {model: nanodet_coco, classes: [bird], min_score: 0.2}, review_at: 0.3, block_at: 0.5}
EOF
run video moderate "$DATA/videos/cockatoo.mp4" --policy "$TMP/birds.yaml" --json --no-stop-early
[ $code -eq 3 ] || fail "video exit $code: $(cat "$TMP/video.err")"
node -e '
  const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (d.media_type !== "video" || !d.segments.length) throw new Error("no segments");
  for (const s of d.segments) if (!(s.start_s <= s.evidence_time_s && s.evidence_time_s <= s.end_s)) throw new Error("segment");
  if (d.earliest_violation_s !== d.segments[0].start_s) throw new Error("earliest");
  console.log("ok  video: " + d.segments.length + " segments, first at " + d.segments[0].start_s + " s, outcome " + d.outcome);
' "$TMP/video.out" || fail "video JSON"

# 8. policy fit on a stand-in: a prototype head trained on 8 Stellarium images per class, whose
# "galaxy" class plays the violating category.
mkdir -p "$TMP/repo"
for m in nsfw_mobilenet_v2; do ln -s "$(cd "$MODELS/$m" && pwd)" "$TMP/repo/$m"; done
for c in bright_nebula galaxy globular_cluster open_cluster planetary_nebula; do
  mkdir -p "$TMP/train/$c"
  mapfile -t files < <(find "$DSO/train/$c" -name '*.png' | sort)
  for f in "${files[@]:0:8}"; do ln -s "$f" "$TMP/train/$c/"; done
done
"$VIGIL_BIN" train "$TMP/train" --out dso_proto --backbone nsfw_mobilenet_v2 --head prototype --models "$TMP/repo" \
  --cache "$TMP/cache" --folds 2 --threads 2 -q > /dev/null
mkdir -p "$TMP/fit/galaxy/positive" "$TMP/fit/galaxy/negative"
# Fit data: the test split plus training images the head did not see (the 9th to 40th per class).
for c in bright_nebula galaxy globular_cluster open_cluster planetary_nebula; do
  side=negative; [ $c = galaxy ] && side=positive
  mapfile -t files < <(find "$DSO/train/$c" -name '*.png' | sort)
  for f in "$DSO/test/$c"/*.png "${files[@]:8:32}"; do ln -s "$f" "$TMP/fit/galaxy/$side/$c-$(basename "$f")"; done
done
cat > "$TMP/galaxy.yaml" <<'EOF'
name: galaxy-standin
categories:
  - name: galaxy
    signal: {model: dso_proto, labels: [galaxy]}
    review_at: 0.5
    block_at: 0.9
    target: {recall: 0.9}
EOF
run fit policy fit --policy "$TMP/galaxy.yaml" --models "$TMP/repo" --data "$TMP/fit" --json \
  --out "$TMP/galaxy.fitted.yaml" --report "$TMP/report" -j 2
[ $code -eq 0 ] || fail "policy fit exit $code: $(cat "$TMP/fit.err")"
node -e '
  const f = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const c = f.categories[0];
  if (!c.fitted || c.target !== "recall>=0.9") throw new Error("not fitted: " + JSON.stringify(c));
  const r = c.test.recall;
  if (!(r.low <= r.value && r.value <= r.high)) throw new Error("interval " + JSON.stringify(r));
  // The fitted thresholds meet the target on the held-out split within the reported interval.
  if (!(r.high >= 0.9)) throw new Error("held-out recall " + JSON.stringify(r) + " below the target");
  if (!(c.review_at >= 0 && c.review_at <= 1) || (c.block_at !== null && c.block_at < c.review_at)) throw new Error("thresholds");
  if (!c.calibration || !(c.calibration.a > 0)) throw new Error("no calibration");
  if (!(c.test.auprc.value > 0.5)) throw new Error("AUPRC " + c.test.auprc.value);
  console.log("ok  policy fit: review_at " + c.review_at.toFixed(4) + ", block_at " + c.block_at +
              ", held-out recall " + r.value.toFixed(3) + " [" + r.low.toFixed(3) + ", " + r.high.toFixed(3) +
              "], review rate " + c.test.review_rate.value.toFixed(3));
' "$TMP/fit.out" || fail "fit JSON: $(cat "$TMP/fit.out")"
grep -q '<svg' "$TMP/report/report.html" || fail "no plot in the report"
[ -s "$TMP/report/fit.json" ] || fail "no fit.json"
"$VIGIL_BIN" policy validate --policy "$TMP/galaxy.fitted.yaml" --models "$TMP/repo" > /dev/null || fail "fitted policy invalid"
run fitted moderate "$TMP/fit/galaxy/positive" --policy "$TMP/galaxy.fitted.yaml" --models "$TMP/repo" --json
[ $code -eq 3 ] || fail "fitted policy flags no galaxy (exit $code)"
echo "ok  the fitted policy moderates the galaxies"
