#!/usr/bin/env bash
# Integration: the hashing and hash-bank routes of the real `vigil serve` (SQLite database in a temp
# dir, any free loopback port). Hash an upload (equal to `vigil hash`), create a bank (admin only),
# add an image and JSON hashes, match the PDQ reference's bridge edit (within the threshold, with
# the entry's id) and an unrelated photo (no match), a bank filter, bad input (junk image 4xx, bad
# hash 400, unknown bank 404), a hash added by ANOTHER process (the CLI on the same database)
# becoming matchable within banks.refresh_seconds without a restart, remove and delete.
set -euo pipefail
VIGIL_BIN=${VIGIL_BIN:?}
SRC=${VIGIL_SOURCE_DIR:?}
MODELS=${VIGIL_MODELS:-$SRC/models}
REF=${VIGIL_PDQ_REFERENCE:-$SRC/../shared/pdq}
if [ ! -f "$REF/reference.csv" ]; then
  [ "${CI:-}" = "true" ] && { echo "FAIL: PDQ reference vectors missing at $REF"; exit 1; }
  echo "SKIP: PDQ reference vectors not found at $REF"; exit 77
fi
IMG="$REF/images"
ORIG="$IMG/bridge-mods/aaa-orig.jpg"
EDIT=$(ls "$IMG"/bridge-mods/*.jpg | grep -v aaa-orig | head -1)
OTHER="$IMG/labelme-subset/q0122.jpg"
TMP=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$TMP/server.err" ] && tail -20 "$TMP/server.err"; exit 1; }
# shellcheck source=lib/server.bash
source "$(dirname "$0")/lib/server.bash"

cat > "$TMP/vigil.yaml" <<YAML
host: 127.0.0.1
port: 0
models:
  repository: $MODELS
api_keys:
  - {key: reader-key-123, role: read}
  - {key: admin-key-4567, role: admin}
jobs:
  database: $TMP/vigil.db
banks:
  refresh_seconds: 1
YAML
start_server
R=(-H "X-API-Key: reader-key-123")
A=(-H "X-API-Key: admin-key-4567")
# req CODE OUT CURL-ARGS...: the request must answer CODE; the body goes to OUT.
req() {
  local want=$1 out=$2; shift 2
  local got
  got=$(curl -s -o "$out" -w '%{http_code}' "$@")
  [ "$got" = "$want" ] || fail "$* -> $got (expected $want): $(cat "$out")"
}
field() { node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); console.log(eval("j"+process.argv[2]))' "$1" "$2"; }

# Hash an upload: equal to the CLI's hash and quality.
req 200 "$TMP/h.json" "${R[@]}" -H 'Content-Type: image/jpeg' --data-binary "@$ORIG" "$URL/v1/images:hash"
cli=$("$VIGIL_BIN" hash "$ORIG" | cut -d, -f1,2)
[ "$(field "$TMP/h.json" .hash),$(field "$TMP/h.json" .quality)" = "$cli" ] || fail "hash $(cat "$TMP/h.json") vs CLI $cli"
[ "$(field "$TMP/h.json" .dihedral.orig)" = "$(field "$TMP/h.json" .hash)" ] || fail "dihedral.orig"
req 415 "$TMP/e.json" "${R[@]}" -H 'Content-Type: text/plain' --data-binary "x" "$URL/v1/images:hash"
req 415 "$TMP/e.json" "${R[@]}" -H 'Content-Type: image/jpeg' --data-binary "not an image" "$URL/v1/images:hash"
echo "ok  hash"

# Banks: create (admin only), list.
req 401 "$TMP/e.json" -H 'Content-Type: application/json' -d '{"name":"known"}' "$URL/v1/banks"
req 403 "$TMP/e.json" "${R[@]}" -H 'Content-Type: application/json' -d '{"name":"known"}' "$URL/v1/banks"
req 201 "$TMP/b.json" "${A[@]}" -H 'Content-Type: application/json' -d '{"name":"known","threshold":31}' "$URL/v1/banks"
req 201 "$TMP/b.json" "${A[@]}" -H 'Content-Type: application/json' -d '{"name":"other","dihedral":true}' "$URL/v1/banks"
req 409 "$TMP/e.json" "${A[@]}" -H 'Content-Type: application/json' -d '{"name":"known"}' "$URL/v1/banks"
req 400 "$TMP/e.json" "${A[@]}" -H 'Content-Type: application/json' -d '{"name":"../x"}' "$URL/v1/banks"
req 400 "$TMP/e.json" "${A[@]}" -H 'Content-Type: application/json' -d '{"name":"y","threshold":"31"}' "$URL/v1/banks"
req 200 "$TMP/l.json" "${R[@]}" "$URL/v1/banks"
[ "$(field "$TMP/l.json" '.banks.map(b=>b.name).join()')" = "known,other" ] || fail "list $(cat "$TMP/l.json")"

# Add the original as an image (hashed by the server), an unrelated hash as JSON.
req 201 "$TMP/a.json" "${A[@]}" -H 'Content-Type: image/jpeg' --data-binary "@$ORIG" \
  "$URL/v1/banks/known/entries?external_id=list-17&category=terrorism"
id=$(field "$TMP/a.json" '.ids[0]')
req 201 "$TMP/a2.json" "${A[@]}" -H 'Content-Type: application/json' \
  -d '{"entries":[{"hash":"0000000000000000000000000000000000000000000000000000000000000000","external_id":"zero"}]}' \
  "$URL/v1/banks/other/entries"
req 400 "$TMP/e.json" "${A[@]}" -H 'Content-Type: application/json' -d '{"entries":[{"hash":"abc"}]}' "$URL/v1/banks/known/entries"
req 400 "$TMP/e.json" "${A[@]}" -H 'Content-Type: application/json' -d '{"entries":[{"hash":"'"$(field "$TMP/h.json" .hash)"'","extra":1}]}' "$URL/v1/banks/known/entries"
req 404 "$TMP/e.json" "${A[@]}" -H 'Content-Type: application/json' -d '{"entries":[{"hash":"'"$(field "$TMP/h.json" .hash)"'"}]}' "$URL/v1/banks/missing/entries"
req 403 "$TMP/e.json" "${R[@]}" -H 'Content-Type: image/jpeg' --data-binary "@$ORIG" "$URL/v1/banks/known/entries"

# Match: the edit finds the original at once (no restart, no wait), the unrelated photo nothing.
req 200 "$TMP/m.json" "${R[@]}" -H 'Content-Type: image/jpeg' --data-binary "@$EDIT" "$URL/v1/images:match"
[ "$(field "$TMP/m.json" '.matches.length')" = 1 ] || fail "edit: $(cat "$TMP/m.json")"
[ "$(field "$TMP/m.json" '.matches[0].entry.external_id')" = list-17 ] || fail "edit: $(cat "$TMP/m.json")"
[ "$(field "$TMP/m.json" '.matches[0].entry.category')" = terrorism ] || fail "edit: $(cat "$TMP/m.json")"
d=$(field "$TMP/m.json" '.matches[0].distance')
[ "$d" -le 31 ] || fail "edit at distance $d"
req 200 "$TMP/m.json" "${R[@]}" -H 'Content-Type: image/jpeg' --data-binary "@$OTHER" "$URL/v1/images:match"
[ "$(field "$TMP/m.json" '.matches.length')" = 0 ] || fail "unrelated: $(cat "$TMP/m.json")"
req 200 "$TMP/m.json" "${R[@]}" -H 'Content-Type: image/jpeg' --data-binary "@$EDIT" "$URL/v1/images:match?bank=other"
[ "$(field "$TMP/m.json" '.matches.length')" = 0 ] || fail "bank filter: $(cat "$TMP/m.json")"
req 404 "$TMP/e.json" "${R[@]}" -H 'Content-Type: image/jpeg' --data-binary "@$EDIT" "$URL/v1/images:match?bank=nope"
req 400 "$TMP/e.json" "${R[@]}" -H 'Content-Type: image/jpeg' --data-binary "@$EDIT" "$URL/v1/images:match?bnk=known"
echo "ok  match (edit at distance $d)"

# Another process adds a hash to the same database: matchable after the periodic refresh.
"$VIGIL_BIN" bank --store "$TMP/vigil.db" add other "$OTHER" --id from-cli > /dev/null
found=
for _ in $(seq 1 50); do
  req 200 "$TMP/m.json" "${R[@]}" -H 'Content-Type: image/jpeg' --data-binary "@$OTHER" "$URL/v1/images:match"
  if [ "$(field "$TMP/m.json" '.matches.length')" = 1 ]; then found=1; break; fi
  sleep 0.1
done
[ -n "$found" ] || fail "a hash added by the CLI never became matchable: $(cat "$TMP/m.json")"
[ "$(field "$TMP/m.json" '.matches[0].entry.external_id')" = from-cli ] || fail "cli entry: $(cat "$TMP/m.json")"
echo "ok  a hash added by another process matched without a restart"

# Remove and delete.
req 200 "$TMP/r.json" "${A[@]}" -X DELETE "$URL/v1/banks/known/entries/$id"
req 404 "$TMP/e.json" "${A[@]}" -X DELETE "$URL/v1/banks/known/entries/$id"
req 400 "$TMP/e.json" "${A[@]}" -X DELETE "$URL/v1/banks/known/entries/x1"
req 200 "$TMP/m.json" "${R[@]}" -H 'Content-Type: image/jpeg' --data-binary "@$EDIT" "$URL/v1/images:match"
[ "$(field "$TMP/m.json" '.matches.length')" = 0 ] || fail "removed entry still matches: $(cat "$TMP/m.json")"
req 200 "$TMP/r.json" "${A[@]}" -X DELETE "$URL/v1/banks/other"
req 404 "$TMP/e.json" "${A[@]}" -X DELETE "$URL/v1/banks/other"
req 200 "$TMP/l.json" "${R[@]}" "$URL/v1/banks"
[ "$(field "$TMP/l.json" '.banks.map(b=>b.name+":"+b.entries).join()')" = "known:0" ] || fail "list $(cat "$TMP/l.json")"
echo "ok  remove, delete"

kill -TERM "$PID"; wait "$PID" || fail "server exit $?"; PID=
echo "OK"
