#!/usr/bin/env bash
# Renders the evaluation HTML report (made by unit_eval from seeded synthetic data) in headless
# Chromium and checks that the screenshot is a real, non-trivial PNG. Look at the PNG to review
# the plots. Skips (exit 0, with a message) when chromium is not installed: it is not in
# scripts/debian-packages.txt because it is large; install it with
#   apt-get install -y --no-install-recommends chromium
# usage: tests/e2e/report_screenshot.sh [BUILD_DIR] [OUT_PNG]
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-${VIGIL_BINARY_DIR:-$REPO/build}}
OUT=${2:-/tmp/vigil_report.png}
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$CHROMIUM" ]]; then
  echo "SKIP: chromium is not installed (apt-get install -y --no-install-recommends chromium)"
  exit 0
fi
UNIT_EVAL="$BUILD/tests/unit_eval"
[[ -x "$UNIT_EVAL" ]] || { echo "FAIL: $UNIT_EVAL not built (cmake --build $BUILD --target unit_eval)"; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
VIGIL_EVAL_REPORT_DIR="$WORK/report" "$UNIT_EVAL" \
  --gtest_filter='EvalReport.WritesSelfContainedHtmlWithOneSvgPerPlot' >"$WORK/unit.log" 2>&1 ||
  { cat "$WORK/unit.log"; echo "FAIL: report test failed"; exit 1; }
rm -f "$OUT"
timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$WORK/profile" \
  --screenshot="$OUT" --window-size=1200,2400 "file://$WORK/report/report.html" \
  >"$WORK/chromium.log" 2>&1 || true
[[ -f "$OUT" ]] || { tail -5 "$WORK/chromium.log"; echo "FAIL: no screenshot written"; exit 1; }
MAGIC=$(head -c 8 "$OUT" | od -An -tx1 | tr -d ' \n')
[[ "$MAGIC" == "89504e470d0a1a0a" ]] || { echo "FAIL: $OUT is not a PNG"; exit 1; }
SIZE=$(stat -c %s "$OUT")
# A blank 1200x2400 page compresses to a few KB; tables, heat-map and curves make it far larger.
(( SIZE > 20000 )) || { echo "FAIL: screenshot only $SIZE bytes (blank page?)"; exit 1; }
echo "PASS: report rendered to $OUT ($SIZE bytes)"
