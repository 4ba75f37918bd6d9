#!/usr/bin/env node
// Reference peer for the nsfwjs parity test: runs an nsfwjs model in TensorFlow.js (float32; wasm
// backend by default, pure-JS cpu backend on request) on exactly the pixels it is given, with
// nsfwjs 4.x's own preprocessing
// (node_modules/nsfwjs/dist/cjs/core.js, NSFWJS.infer):
//   int32 [H,W,3] -> toFloat -> div(255) -> resizeBilinear([size,size], alignCorners=true)
//   (skipped when the image already is size x size, as nsfwjs does) -> reshape [1,size,size,3] -> predict
//
// Usage:
//   node tests/parity/nsfwjs_reference.js --model-dir DIR --size 224|299
//        (--manifest FILE.json | FILE.rgb:WxH ...) [--out OUT.json] [--check-nsfwjs]
//        [--backend wasm|cpu] [--node-modules DIR]
//   DIR            an unwrapped tfjs layers model (model.json + shard files), e.g. .vigil/tfjs/mobilenet_v2
//   FILE.json      [{"path": "a.rgb", "width": W, "height": H}, ...]; relative paths are relative to it
//   FILE.rgb       raw interleaved 8-bit RGB, W*H*3 bytes, row-major
//   --out          write the JSON result there (default: stdout)
//   --check-nsfwjs also run nsfwjs's own API (nsfwjs.load + classify on the same tensor) and fail
//                  unless it gives the same probabilities (|diff| <= 1e-7)
//   --backend      tfjs backend: wasm (default; ~30x faster; agrees with cpu to ~1e-6) or cpu (the
//                  pure-JS backend nsfwjs uses in node without extra packages; ~1 s per MobileNetV2 image)
//   --node-modules where @tensorflow/tfjs and nsfwjs live (default: $VIGIL_NODE_MODULES, else the
//                  repository's node_modules)
// Output: one JSON object {"<path as given>": [p_Drawing, p_Hentai, p_Neutral, p_Porn, p_Sexy], ...}
// Only the result goes to stdout; tfjs's chatter is sent to stderr.
'use strict';

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

// tfjs prints advice on console.log when loaded in node: keep stdout for the JSON result.
console.log = console.info = (...args) => process.stderr.write(args.join(' ') + '\n');

const CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

function fail(message) {
  process.stderr.write(`nsfwjs_reference: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = { images: [], checkNsfwjs: false, backend: 'wasm' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--model-dir') args.modelDir = value();
    else if (a === '--size') args.size = Number(value());
    else if (a === '--manifest') args.manifest = value();
    else if (a === '--out') args.out = value();
    else if (a === '--node-modules') args.nodeModules = value();
    else if (a === '--backend') args.backend = value();
    else if (a === '--check-nsfwjs') args.checkNsfwjs = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 24).join('\n') + '\n');
      process.exit(0);
    } else if (a.startsWith('--')) fail(`unknown option ${a}`);
    else {
      const m = /^(.*):(\d+)x(\d+)$/.exec(a);
      if (!m) fail(`expected FILE.rgb:WxH, got "${a}"`);
      args.images.push({ path: m[1], width: Number(m[2]), height: Number(m[3]) });
    }
  }
  if (!args.modelDir) fail('--model-dir is required');
  if (args.backend !== 'wasm' && args.backend !== 'cpu') fail('--backend must be wasm or cpu');
  if (args.size !== 224 && args.size !== 299) fail('--size must be 224 or 299');
  if (args.manifest) {
    const list = JSON.parse(fs.readFileSync(args.manifest, 'utf8'));
    if (!Array.isArray(list)) fail(`${args.manifest}: expected a JSON array`);
    const base = path.dirname(path.resolve(args.manifest));
    for (const e of list) {
      if (typeof e.path !== 'string' || !Number.isInteger(e.width) || !Number.isInteger(e.height)) {
        fail(`${args.manifest}: entries need {path, width, height}`);
      }
      args.images.push({ path: e.path, file: path.resolve(base, e.path), width: e.width, height: e.height });
    }
  }
  if (args.images.length === 0) fail('no images given');
  return args;
}

// An IOHandler that reads model.json and its weight shards from disk (no fetch, no http).
function diskHandler(modelDir) {
  return {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
      if (json.format && json.format !== 'layers-model') {
        throw new Error(`${modelDir}: format ${json.format}, expected layers-model`);
      }
      const weightSpecs = [];
      const buffers = [];
      for (const group of json.weightsManifest) {
        for (const p of group.paths) buffers.push(fs.readFileSync(path.join(modelDir, p)));
        weightSpecs.push(...group.weights);
      }
      const all = Buffer.concat(buffers);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        weightSpecs,
        weightData,
      };
    },
  };
}

function readPixels(tf, image) {
  const file = image.file || image.path;
  const bytes = fs.readFileSync(file);
  const expected = image.width * image.height * 3;
  if (bytes.length !== expected) {
    fail(`${file}: ${bytes.length} bytes, expected ${image.width}x${image.height}x3 = ${expected}`);
  }
  // tf.browser.fromPixels yields an int32 [H,W,3] tensor: build the same thing.
  return tf.tensor3d(Int32Array.from(bytes), [image.height, image.width, 3], 'int32');
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const repoRoot = path.resolve(__dirname, '..', '..');
  const nodeModules = path.resolve(args.nodeModules || process.env.VIGIL_NODE_MODULES || path.join(repoRoot, 'node_modules'));
  const requireFrom = createRequire(path.join(nodeModules, 'noop.js'));
  let tf;
  try {
    tf = requireFrom('@tensorflow/tfjs');
  } catch (e) {
    fail(`cannot load @tensorflow/tfjs from ${nodeModules} (run scripts/setup): ${e.message}`);
  }
  if (args.backend === 'wasm') {
    try {
      requireFrom('@tensorflow/tfjs-backend-wasm'); // registers the 'wasm' backend
    } catch (e) {
      fail(`cannot load @tensorflow/tfjs-backend-wasm from ${nodeModules}: ${e.message}`);
    }
  }
  if (!(await tf.setBackend(args.backend))) fail(`tfjs backend ${args.backend} failed to initialise`);
  await tf.ready();

  const size = args.size;
  const model = await tf.loadLayersModel(diskHandler(args.modelDir));
  const inShape = model.inputs[0].shape;
  if (inShape[1] !== size || inShape[2] !== size) {
    fail(`${args.modelDir} expects ${inShape[1]}x${inShape[2]} input, --size is ${size}`);
  }

  let reference = null;
  if (args.checkNsfwjs) {
    const nsfwjs = requireFrom('nsfwjs');
    reference = await nsfwjs.load(diskHandler(args.modelDir), { size });
  }

  const normalizationOffset = tf.scalar(255);
  const result = {};
  for (const image of args.images) {
    const img = readPixels(tf, image);
    const logits = tf.tidy(() => {
      const normalized = img.toFloat().div(normalizationOffset);
      let resized = normalized;
      if (img.shape[0] !== size || img.shape[1] !== size) {
        resized = tf.image.resizeBilinear(normalized, [size, size], true);
      }
      const batched = resized.reshape([1, size, size, 3]);
      return model.predict(batched);
    });
    const probs = Array.from(await logits.data());
    logits.dispose();
    if (probs.length !== CLASSES.length) fail(`model gave ${probs.length} outputs, expected ${CLASSES.length}`);
    result[image.path] = probs;

    if (reference) {
      const top = await reference.classify(img, CLASSES.length);
      let maxDiff = 0;
      for (const { className, probability } of top) {
        maxDiff = Math.max(maxDiff, Math.abs(probability - probs[CLASSES.indexOf(className)]));
      }
      process.stderr.write(`check-nsfwjs ${image.path}: max |diff| vs nsfwjs.classify = ${maxDiff.toExponential(2)}\n`);
      if (!(maxDiff <= 1e-7)) fail(`${image.path}: differs from nsfwjs.classify by ${maxDiff}`);
    }
    img.dispose();
  }

  const text = JSON.stringify(result) + '\n';
  if (args.out) fs.writeFileSync(args.out, text);
  else process.stdout.write(text);
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
