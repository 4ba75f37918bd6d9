#!/usr/bin/env bash
# Integration: `vigil hash` on Meta's PDQ reference images (../shared/pdq, or $VIGIL_PDQ_REFERENCE):
# the text format is the reference hasher's `hash,quality,path` and with a full decode the hashes
# equal reference.csv's; --dihedral gives dihedral.txt's 8 hashes in order; --json parses; a
# truncated file is reported and sets exit code 1; a bad option is a usage error (exit 2).
set -euo pipefail
VIGIL_BIN=${VIGIL_BIN:?}
SRC=${VIGIL_SOURCE_DIR:?}
REF=${VIGIL_PDQ_REFERENCE:-$SRC/../shared/pdq}
if [ ! -f "$REF/reference.csv" ]; then
  [ "${CI:-}" = "true" ] && { echo "FAIL: PDQ reference vectors missing at $REF"; exit 1; }
  echo "SKIP: PDQ reference vectors not found at $REF (set VIGIL_PDQ_REFERENCE)"; exit 0
fi
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

IMG="$REF/images"
head -c 20000 "$IMG/bridge-mods/aaa-orig.jpg" > "$TMP/truncated.jpg"
set +e
"$VIGIL_BIN" hash --jpeg-min-side 0 "$IMG/bridge-mods/aaa-orig.jpg" "$TMP/truncated.jpg" \
  "$IMG/labelme-subset/q0003.jpg" > "$TMP/out.csv" 2> "$TMP/err.txt"
code=$?
set -e
cat "$TMP/out.csv" "$TMP/err.txt"
[ $code -eq 1 ] || fail "exit code $code, expected 1 (one input failed)"
grep -q "truncated.jpg: error" "$TMP/err.txt" || fail "no error line for the truncated file"
[ "$(wc -l < "$TMP/out.csv")" -eq 2 ] || fail "expected 2 hash lines"
for f in bridge-mods/aaa-orig.jpg labelme-subset/q0003.jpg; do
  want=$(grep ",$f\$" "$REF/reference.csv" | cut -d, -f1,2)
  got=$(grep "/$f\$" "$TMP/out.csv" | cut -d, -f1,2)
  [ "$got" = "$want" ] || fail "$f: got $got, reference $want"
done

"$VIGIL_BIN" hash --dihedral --jpeg-min-side 0 "$IMG/dih/bridge-1-original.jpg" > "$TMP/dih.csv"
[ "$(cut -d, -f4 "$TMP/dih.csv" | tr '\n' ' ')" = "orig rot90 rot180 rot270 flipx flipy flipp flipm " ] \
  || fail "dihedral order: $(cut -d, -f4 "$TMP/dih.csv" | tr '\n' ' ')"
diff <(cut -d, -f1 "$TMP/dih.csv") <(grep -v '^#' "$REF/dihedral.txt" | grep -v = | cut -d, -f1) \
  || fail "dihedral hashes differ from dihedral.txt"

"$VIGIL_BIN" hash --json --dihedral "$IMG/misc/small.jpg" "$IMG/bridge-mods/blur-a-lot.jpg" > "$TMP/out.jsonl"
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
if (lines.length !== 2) throw new Error("lines " + lines.length);
if (lines[0].quality !== 0) throw new Error("small.jpg quality " + lines[0].quality);
if (lines[1].quality !== 100 || !/^[0-9a-f]{64}$/.test(lines[1].hash)) throw new Error("blur-a-lot " + JSON.stringify(lines[1]));
if (Object.keys(lines[1].dihedral).length !== 8 || lines[1].dihedral.orig !== lines[1].hash) throw new Error("dihedral " + JSON.stringify(lines[1].dihedral));
' "$TMP/out.jsonl"

set +e
"$VIGIL_BIN" hash --jpeg-min-side -3 "$IMG/misc/small.jpg" > /dev/null 2>&1
code=$?
set -e
[ $code -eq 2 ] || fail "bad option: exit code $code, expected 2"
echo "OK"
