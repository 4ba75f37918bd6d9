#!/usr/bin/env bash
# Integration: `vigil bank` on a temporary SQLite database (--store) and again on a bank directory
# (--banks), with the PDQ reference images
# (../shared/pdq or $VIGIL_PDQ_REFERENCE): create, import a CSV list (header, id, category),
# add an image, match the bridge edits (all within 31 of the listed original, with the list's id
# and category), no match for an unrelated photo, dihedral matching of a rotated copy only in a
# bank created with --dihedral, no match below the quality floor, remove, export round trip.
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
for STORE in "--store=$TMP/db/vigil.db" "--banks=$TMP/banks"; do
echo "== $STORE"
vb() { "$VIGIL_BIN" bank "$STORE" "$@"; }

vb create known
vb create rotated --dihedral
printf 'hash,id,category\n%s,list-17,terrorism\n%s,list-18,other\n' \
  "$(grep ',bridge-mods/aaa-orig.jpg$' "$REF/reference.csv" | cut -d, -f1)" \
  "$(grep ',labelme-subset/q0003.jpg$' "$REF/reference.csv" | cut -d, -f1)" > "$TMP/list.csv"
vb import known "$TMP/list.csv" 2> "$TMP/import.txt"
grep -q "imported 2 entries" "$TMP/import.txt" || fail "import: $(cat "$TMP/import.txt")"
vb add rotated "$IMG/dih/bridge-1-original.jpg" --id orig --category test > /dev/null
vb add known "$IMG/dih/bridge-1-original.jpg" --id orig-known > /dev/null
vb list > "$TMP/banks.txt"
grep -q "^known	entries=3	threshold=31	quality_floor=50	dihedral=no" "$TMP/banks.txt" || fail "list: $(cat "$TMP/banks.txt")"
grep -q "^rotated	entries=1	.*dihedral=yes" "$TMP/banks.txt" || fail "list: $(cat "$TMP/banks.txt")"

# Every bridge edit matches list-17 (and the added original) within 31.
vb match --bank known "$IMG/bridge-mods" > "$TMP/match.csv"
for f in "$IMG"/bridge-mods/*.jpg; do
  line=$(grep "^$f,known,1,list-17,terrorism," "$TMP/match.csv") || fail "no match for $f: $(cat "$TMP/match.csv")"
  d=$(echo "$line" | cut -d, -f6)
  [ "$d" -le 31 ] || fail "$f at distance $d"
done
# An unrelated photo, and a featureless one (quality 3 < 50 although it is listed), match nothing.
vb match "$IMG/labelme-subset/q0122.jpg" "$IMG/labelme-subset/q0003.jpg" > "$TMP/none.csv"
[ ! -s "$TMP/none.csv" ] || fail "unexpected matches: $(cat "$TMP/none.csv")"
# A copy rotated by 90 matches only the dihedral bank: rotating the query by 270 gives the entry.
vb match --json "$IMG/dih/bridge-2-rotate-90.jpg" > "$TMP/rot.json"
node -e '
const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const banks = j.matches.map(m => m.bank);
if (JSON.stringify(banks) !== JSON.stringify(["rotated"])) throw new Error("banks " + banks);
if (j.matches[0].transform !== "rot270" || j.matches[0].distance > 31 || j.matches[0].external_id !== "orig") throw new Error(JSON.stringify(j.matches[0]));
' "$TMP/rot.json"

# Remove, export and re-import round trip.
[ "$(vb remove known 3)" = "removed 1" ] || fail "remove"
vb export known > "$TMP/export.csv"
[ "$(head -1 "$TMP/export.csv")" = "hash,id,category,source,added_unix" ] || fail "export header"
[ "$(wc -l < "$TMP/export.csv")" -eq 3 ] || fail "export lines: $(cat "$TMP/export.csv")"
vb export known --format hex > "$TMP/export.hex"
vb create copy
vb import copy --format hex "$TMP/export.hex" 2> /dev/null
diff <(vb export copy --format hex) "$TMP/export.hex" || fail "hex round trip"
set +e
vb create known > /dev/null 2>&1; c1=$?
vb import copy --format hex "$TMP/list.csv" > /dev/null 2>&1; c2=$?
vb create 'bad/name' > /dev/null 2>&1; c3=$?
set -e
[ $c1 -ne 0 ] && [ $c2 -eq 2 ] && [ $c3 -eq 2 ] || fail "error exits $c1 $c2 $c3"
done
[ -f "$TMP/db/vigil.db" ] || fail "--store did not write $TMP/db/vigil.db"
"$VIGIL_BIN" bank --store "$TMP/db/vigil.db" --banks "$TMP/banks" list > /dev/null 2>&1 && fail "--store with --banks accepted"
echo "OK"
