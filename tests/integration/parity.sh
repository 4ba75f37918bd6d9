#!/usr/bin/env bash
# Parity with nsfwjs: for real photos and both default models, Vigil's probabilities (XNNPACK,
# oneDNN and OpenCV backends) must match nsfwjs's (TensorFlow.js, run on the very pixels Vigil
# decoded) within 3e-5 with the same top-1, and the backends must match each other within 3e-5
# (measured agreement: 5.3e-6 with nsfwjs, 4.4e-6 between backends; 3e-5 is ~5x that margin).
#
# Steps per model: `vigil decode` each photo (the RGB pixels the classifier sees) -> the nsfwjs
# reference (tests/parity/nsfwjs_reference.js) on those pixels -> `vigil classify --json` with
# --backend xnnpack, onednn and opencv -> tests/parity/compare.js prints a table and judges.
#
# Environment (ctest sets the first three): VIGIL_BIN, VIGIL_SOURCE_DIR, VIGIL_BINARY_DIR,
# VIGIL_TEST_DATA (<src>/data), VIGIL_MODELS (<src>/models), VIGIL_NODE_MODULES (<src>/node_modules),
# VIGIL_TFJS_MODELS (<src>/.vigil/tfjs: the unwrapped nsfwjs models scripts/setup makes),
# VIGIL_PARITY_TOLERANCE (3e-5), VIGIL_PARITY_KEEP=1 keeps the work folder.
set -euo pipefail

SRC=${VIGIL_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BIN=${VIGIL_BIN:-$SRC/build/vigil}
DATA=${VIGIL_TEST_DATA:-$SRC/data}
MODELS=${VIGIL_MODELS:-$SRC/models}
NODE_MODULES=${VIGIL_NODE_MODULES:-$SRC/node_modules}
TFJS=${VIGIL_TFJS_MODELS:-$SRC/.vigil/tfjs}
TOL=${VIGIL_PARITY_TOLERANCE:-3e-5}
SAMPLES="$DATA/images/samples"

fail() { echo "parity: FAIL: $*" >&2; exit 1; }

# Real photos: JPEG (baseline, large enough for DCT-scaled decode, with EXIF) and PNG, colour and grey.
PHOTOS=(baboon.jpg fruits.jpg butterfly.jpg messi5.jpg building.jpg home.jpg rocket.jpg retina.jpg
        hubble_deep_field.jpg astronaut.png chelsea.png coffee.png motorcycle_left.png camera.png)
# name  unwrapped tfjs model  input size
MODEL_TABLE=("nsfw_mobilenet_v2 mobilenet_v2 224" "nsfw_inception_v3 inception_v3 299")

[ -x "$BIN" ] || fail "no vigil binary at $BIN (build first: scripts/setup)"
command -v node >/dev/null || fail "node not found (scripts/setup installs it)"
[ -d "$NODE_MODULES/@tensorflow/tfjs" ] || fail "no @tensorflow/tfjs in $NODE_MODULES (run scripts/setup)"
[ -d "$SAMPLES" ] || fail "no sample photos in $SAMPLES (run scripts/fetch-test-data)"
paths=()
for p in "${PHOTOS[@]}"; do
  [ -f "$SAMPLES/$p" ] || fail "missing sample photo $SAMPLES/$p (run scripts/fetch-test-data)"
  paths+=("$(cd "$SAMPLES" && pwd)/$p")
done
[ ${#paths[@]} -ge 10 ] || fail "need at least 10 photos"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-parity.XXXXXX")
if [ "${VIGIL_PARITY_KEEP:-0}" = 1 ]; then echo "parity: work folder $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi

status=0
for row in "${MODEL_TABLE[@]}"; do
  read -r name tfjs size <<<"$row"
  dir="$WORK/$name"
  mkdir -p "$dir"
  [ -f "$TFJS/$tfjs/model.json" ] || fail "no $TFJS/$tfjs/model.json (scripts/setup unwraps nsfwjs there)"
  [ -d "$MODELS/$name" ] || fail "model $name not in $MODELS (scripts/setup imports it)"

  # 1. The pixels Vigil's classifier sees (after EXIF orientation and JPEG DCT scaling).
  entries=()
  for i in "${!paths[@]}"; do
    if ! "$BIN" decode "${paths[$i]}" --model "$name" --models "$MODELS" -o "$dir/$i.rgb" >"$dir/$i.json" 2>"$dir/$i.err"; then
      cat "$dir/$i.err" >&2
      fail "vigil decode ${paths[$i]} --model $name failed"
    fi
    entries+=("$i" "${paths[$i]}")
  done
  node -e '
    const fs = require("fs");
    const [dir, ...pairs] = process.argv.slice(1);
    const list = [];
    for (let k = 0; k < pairs.length; k += 2) {
      const text = fs.readFileSync(`${dir}/${pairs[k]}.json`, "utf8").trim();
      let size;
      try { size = JSON.parse(text.split("\n").pop()); } catch (e) { size = {}; }
      if (!Number.isInteger(size.width) || !Number.isInteger(size.height)) {
        console.error(`parity: vigil decode ${pairs[k + 1]} printed ${JSON.stringify(text)}, expected {"width":W,"height":H}`);
        process.exit(1);
      }
      list.push({ path: `${pairs[k]}.rgb`, photo: pairs[k + 1], width: size.width, height: size.height });
    }
    fs.writeFileSync(`${dir}/manifest.json`, JSON.stringify(list, null, 1));
    fs.writeFileSync(`${dir}/manifest_cpu.json`, JSON.stringify(list.slice(0, 2), null, 1));
  ' "$dir" "${entries[@]}" || fail "could not read vigil decode output"

  # 2. nsfwjs on those pixels (tfjs wasm backend); on MobileNetV2 also tfjs's pure-JS cpu backend
  #    for two photos, with --check-nsfwjs (nsfwjs.load + classify must give the same numbers), to
  #    check that the reference is nsfwjs and that the wasm backend agrees with it.
  node "$SRC/tests/parity/nsfwjs_reference.js" --node-modules "$NODE_MODULES" --model-dir "$TFJS/$tfjs" \
    --size "$size" --manifest "$dir/manifest.json" --out "$dir/reference.json" 2>"$dir/reference.err" \
    || { cat "$dir/reference.err" >&2; fail "nsfwjs reference failed for $name"; }
  cpu_args=()
  if [ "$size" = 224 ]; then
    node "$SRC/tests/parity/nsfwjs_reference.js" --node-modules "$NODE_MODULES" --model-dir "$TFJS/$tfjs" \
      --size "$size" --backend cpu --check-nsfwjs --manifest "$dir/manifest_cpu.json" --out "$dir/reference_cpu.json" \
      2>"$dir/reference_cpu.err" || { cat "$dir/reference_cpu.err" >&2; fail "nsfwjs reference (cpu backend) failed"; }
    cpu_args=(--reference-cpu "$dir/reference_cpu.json")
  fi

  # 3. Vigil on each backend.
  vigil_args=()
  for backend in xnnpack onednn opencv; do
    if ! "$BIN" classify "${paths[@]}" --model "$name" --backend "$backend" --json --models "$MODELS" \
        >"$dir/$backend.jsonl" 2>"$dir/$backend.err"; then
      cat "$dir/$backend.err" >&2
      echo "parity: vigil classify --backend $backend --model $name exited non-zero (results compared below)" >&2
    fi
    vigil_args+=(--vigil "$backend=$dir/$backend.jsonl")
  done

  # 4. Judge.
  node "$SRC/tests/parity/compare.js" --model "$name" --manifest "$dir/manifest.json" \
    --reference "$dir/reference.json" "${cpu_args[@]}" "${vigil_args[@]}" --tolerance "$TOL" || status=1
  echo
done

if [ $status -ne 0 ]; then
  fail "Vigil does not match nsfwjs (see the tables above)"
fi
echo "parity: PASS (${#paths[@]} photos x ${#MODEL_TABLE[@]} models, xnnpack, onednn and opencv within $TOL of nsfwjs; the reference equals nsfwjs.classify)"
