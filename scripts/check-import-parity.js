#!/usr/bin/env node
// Dev check of the tfjs layers importer on the real nsfwjs models: the same seeded random input
// goes through (1) the original model in @tensorflow/tfjs (CPU), (2) the imported ONNX in
// onnxruntime-node and (3) the imported ONNX in OpenCV DNN (via the unit test binary), and the
// max abs differences of the probabilities and embedding outputs are reported.
//
// usage: node scripts/check-import-parity.js [--tfjs-dir .vigil/tfjs] [--out /tmp/vigil-parity]
//          [--unit-bin build/tests/unit_models] [--models mobilenet_v2,inception_v3]
//          [--batch 2] [--seed 7] [--tolerance 1e-5] [--node-modules node_modules]
// Needs the unwrapped models (node scripts/unwrap-nsfwjs.js node_modules/nsfwjs .vigil/tfjs) and
// a built unit_models. Exits 1 if any difference (probabilities or embedding) exceeds the tolerance.
'use strict';

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const REPO = path.resolve(__dirname, '..');

function parseArgs(argv) {
  const args = {
    tfjsDir: path.join(REPO, '.vigil', 'tfjs'),
    out: '/tmp/vigil-parity',
    unitBin: path.join(REPO, 'build', 'tests', 'unit_models'),
    models: ['mobilenet_v2', 'inception_v3'],
    batch: 2,
    seed: 7,
    tolerance: 1e-5,
    nodeModules: path.join(REPO, 'node_modules'),
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`missing value for ${key}`);
    if (key === '--tfjs-dir') args.tfjsDir = path.resolve(value);
    else if (key === '--out') args.out = path.resolve(value);
    else if (key === '--unit-bin') args.unitBin = path.resolve(value);
    else if (key === '--models') args.models = value.split(',');
    else if (key === '--batch') args.batch = Number(value);
    else if (key === '--seed') args.seed = Number(value);
    else if (key === '--tolerance') args.tolerance = Number(value);
    else if (key === '--node-modules') args.nodeModules = path.resolve(value);
    else throw new Error(`unknown option ${key}`);
  }
  return args;
}

// mulberry32: a small seeded PRNG, uniform [0, 1).
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function readFloats(file) {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

async function runTfjs(tf, modelDir, input, shape, embeddingLayer) {
  const modelJson = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
  const weightSpecs = [];
  const buffers = [];
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(modelDir, p)));
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const handler = { load: async () => ({ modelTopology: modelJson.modelTopology, weightSpecs, weightData }) };
  const model = await tf.loadLayersModel(handler);
  const both = tf.model({ inputs: model.inputs, outputs: [model.outputs[0], model.getLayer(embeddingLayer).output] });
  const x = tf.tensor(input, shape, 'float32');
  const [probabilities, embedding] = both.predict(x);
  const result = { probabilities: await probabilities.data(), embedding: await embedding.data() };
  tf.dispose([x, probabilities, embedding]);
  return result;
}

async function runOrt(ort, onnxPath, inputName, input, shape) {
  const session = await ort.InferenceSession.create(onnxPath);
  const feeds = { [inputName]: new ort.Tensor('float32', input, shape) };
  const out = await session.run(feeds);
  return { probabilities: out.probabilities.data, embedding: out.embedding.data };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const tf = require(path.join(args.nodeModules, '@tensorflow', 'tfjs'));
  const ort = require(path.join(args.nodeModules, 'onnxruntime-node'));
  await tf.setBackend('cpu');

  // 1. Inputs, then the C++ side: import + OpenCV DNN (the unit test writes its outputs).
  const sizes = {};
  for (const name of args.models) {
    const modelJson = JSON.parse(fs.readFileSync(path.join(args.tfjsDir, name, 'model.json'), 'utf8'));
    const layers = modelJson.modelTopology.model_config.config.layers;
    const [, h, w, c] = layers.find((l) => l.class_name === 'InputLayer').config.batch_input_shape;
    sizes[name] = [args.batch, h, w, c];
    const random = rng(args.seed);
    const input = new Float32Array(args.batch * h * w * c);
    for (let i = 0; i < input.length; i++) input[i] = random();
    fs.mkdirSync(path.join(args.out, name), { recursive: true });
    fs.writeFileSync(path.join(args.out, name, 'input.bin'), Buffer.from(input.buffer));
  }
  const filter = args.models.map((m) => `Tfjs/NsfwjsImport.ImportsAndRunsInOpenCv/${m}`).join(':');
  execFileSync(args.unitBin, [`--gtest_filter=${filter}`], {
    stdio: 'inherit',
    env: { ...process.env, VIGIL_TFJS_MODELS: args.tfjsDir, VIGIL_PARITY_DIR: args.out },
  });

  // 2. tfjs and ORT on the same input; compare all three.
  let worst = 0;
  for (const name of args.models) {
    const dir = path.join(args.out, name);
    const info = JSON.parse(fs.readFileSync(path.join(dir, 'import_info.json'), 'utf8'));
    const input = readFloats(path.join(dir, 'input.bin'));
    const t0 = Date.now();
    const ref = await runTfjs(tf, path.join(args.tfjsDir, name), input, sizes[name], info.embedding_layer);
    const t1 = Date.now();
    const onnx = await runOrt(ort, path.join(dir, 'model.onnx'), info.input_name, input, sizes[name]);
    const cv = {
      probabilities: readFloats(path.join(dir, 'opencv_probabilities.bin')),
      embedding: readFloats(path.join(dir, 'opencv_embedding.bin')),
    };
    const rows = [
      ['ort vs tfjs', maxAbsDiff(onnx.probabilities, ref.probabilities), maxAbsDiff(onnx.embedding, ref.embedding)],
      ['opencv vs tfjs', maxAbsDiff(cv.probabilities, ref.probabilities), maxAbsDiff(cv.embedding, ref.embedding)],
      ['opencv vs ort', maxAbsDiff(cv.probabilities, onnx.probabilities), maxAbsDiff(cv.embedding, onnx.embedding)],
    ];
    let maxEmbedding = 0;
    for (const v of ref.embedding) maxEmbedding = Math.max(maxEmbedding, Math.abs(v));
    console.log(`${name}: batch ${args.batch}, input ${sizes[name].join('x')}, tfjs ${t1 - t0} ms, ` +
                `embedding ${info.embedding_layer} [${info.embedding_size}], max |embedding| ${maxEmbedding.toFixed(3)}`);
    console.log(`  tfjs probabilities[0]: ${Array.from(ref.probabilities.slice(0, 5)).map((v) => v.toFixed(6)).join(' ')}`);
    for (const [label, p, e] of rows) {
      console.log(`  ${label.padEnd(15)} max abs diff: probabilities ${p.toExponential(2)}, embedding ${e.toExponential(2)}`);
      worst = Math.max(worst, p, e);
    }
  }
  const ok = worst < args.tolerance;
  console.log(`${ok ? 'PASS' : 'FAIL'}: worst max abs diff ${worst.toExponential(2)} (tolerance ${args.tolerance})`);
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
