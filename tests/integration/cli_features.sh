#!/usr/bin/env bash
# Integration: `vigil features --json` on two real photos and a broken file. Checks one JSON line per
# input in order, every block with its documented dimension (2641 in all), histograms summing to 1,
# finite values, a clear error for the broken file, exit code 1; then --blocks/--vector and the
# text format, and a usage error (exit 2) for an unknown block.
set -euo pipefail
VIGIL_BIN=${VIGIL_BIN:?}
SRC=${VIGIL_SOURCE_DIR:?}
DATA=${VIGIL_TEST_DATA:-$SRC/data}
SAMPLES="$DATA/images/samples"
[ -d "$SAMPLES" ] || { echo "missing $SAMPLES: run scripts/fetch-test-data"; exit 1; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

mapfile -t photos < <(find "$SAMPLES" -name '*.jpg' | sort | head -2)
[ ${#photos[@]} -eq 2 ] || fail "need 2 sample JPEGs in $SAMPLES"
head -c $(( $(stat -c %s "${photos[1]}") / 3 )) "${photos[1]}" > "$TMP/truncated.jpg"

set +e
"$VIGIL_BIN" features --json "${photos[0]}" "$TMP/truncated.jpg" "${photos[1]}" > "$TMP/out.jsonl" 2> "$TMP/err.txt"
code=$?
set -e
cat "$TMP/err.txt"
[ $code -eq 1 ] || fail "exit code $code, expected 1 (some inputs failed)"

node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const expected = [process.argv[2], process.argv[3], process.argv[4]];
if (JSON.stringify(lines.map(l => l.path)) !== JSON.stringify(expected)) throw new Error("paths " + lines.map(l => l.path));
const dims = {rgb_hist: 512, hsv_hist: 288, sobel_edge_hist: 9, canny_edge_density: 9, lbp_hist: 59, hog: 1764};
for (const l of [lines[0], lines[2]]) {
  if (l.dimension !== 2641) throw new Error("dimension " + l.dimension);
  if (JSON.stringify(Object.keys(l.features).sort()) !== JSON.stringify(Object.keys(dims).sort())) throw new Error("blocks " + Object.keys(l.features));
  let total = 0;
  for (const [name, d] of Object.entries(dims)) {
    const v = l.features[name];
    if (v.length !== d) throw new Error(name + " has " + v.length + " values, expected " + d);
    if (!v.every(Number.isFinite)) throw new Error(name + " not finite");
    total += v.length;
  }
  if (total !== l.dimension) throw new Error("dimension does not match the blocks");
  const sum = a => a.reduce((s, x) => s + x, 0);
  for (const [name, vals] of [["rgb_hist", l.features.rgb_hist], ["hsv_hist", l.features.hsv_hist],
                              ["lbp_hist", l.features.lbp_hist], ["sobel orientation", l.features.sobel_edge_hist.slice(0, 8)]]) {
    if (Math.abs(sum(vals) - 1) > 1e-4) throw new Error(name + " sums to " + sum(vals));
  }
  const density = l.features.canny_edge_density[0];
  if (!(density > 0 && density < 1)) throw new Error("canny density " + density);
}
if (JSON.stringify(lines[0].features) === JSON.stringify(lines[2].features)) throw new Error("two photos, same features");
const bad = lines[1];
if (!bad.error || bad.error.code !== "data_loss" || !bad.error.message || bad.features) throw new Error("broken file: " + JSON.stringify(bad));
console.log("json checks ok");
' "$TMP/out.jsonl" "${photos[0]}" "$TMP/truncated.jpg" "${photos[1]}" || fail "JSON checks"
grep -q "features of 2 of 3 images (2641 values each)" "$TMP/err.txt" || fail "summary line missing"

# Selected blocks keep their fixed order; --vector is their square-rooted, L2-normalised concatenation.
"$VIGIL_BIN" features --json --vector --blocks hog,lbp_hist "${photos[0]}" > "$TMP/sel.jsonl" 2>/dev/null
node -e '
const l = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
if (JSON.stringify(Object.keys(l.features)) !== JSON.stringify(["hog", "lbp_hist"].sort())) throw new Error("blocks " + Object.keys(l.features));
if (l.dimension !== 1764 + 59 || l.vector.length !== l.dimension) throw new Error("dimension " + l.dimension + " vector " + l.vector.length);
const lbp = l.vector.slice(0, 59), hog = l.vector.slice(59);
const norm = a => Math.sqrt(a.reduce((s, x) => s + x * x, 0));
if (Math.abs(norm(lbp) - 1) > 1e-4 || Math.abs(norm(hog) - 1) > 1e-4) throw new Error("block norms " + norm(lbp) + " " + norm(hog));
// lbp_hist sums to 1, so its square root already has unit norm: the vector holds sqrt(bins).
for (let i = 0; i < 59; ++i) if (Math.abs(lbp[i] - Math.sqrt(l.features.lbp_hist[i])) > 1e-5) throw new Error("vector is not sqrt(lbp_hist)");
console.log("selection checks ok");
' "$TMP/sel.jsonl" || fail "--blocks/--vector checks"

# Text format: the path, six blocks with dimensions, the total.
"$VIGIL_BIN" features "${photos[0]}" > "$TMP/text.txt" 2>/dev/null
grep -qE "rgb_hist\[512\] +hsv_hist\[288\] +sobel_edge_hist\[9\] +canny_edge_density\[9\] +lbp_hist\[59\] +hog\[1764\] +dimension 2641$" "$TMP/text.txt" \
  || fail "text output: $(cat "$TMP/text.txt")"

# An unknown block is a usage error.
set +e
"$VIGIL_BIN" features --blocks sift "${photos[0]}" 2> "$TMP/err2.txt" >/dev/null; code=$?
set -e
[ $code -eq 2 ] || fail "unknown block exit code $code"
grep -q "unknown block" "$TMP/err2.txt" || fail "unknown block message: $(cat "$TMP/err2.txt")"
echo "cli_features: all checks passed"
