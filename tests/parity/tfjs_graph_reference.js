#!/usr/bin/env node
// Reference peer for the tfjs graph-model importer: runs a tfjs graph model (model.json + shards)
// in TensorFlow.js (tf.loadGraphModel through tf.io.fromMemory; wasm backend, cpu on request) and
// the imported ONNX in ONNX Runtime (onnxruntime-node) on the same input, and compares every output
// element-wise. Optionally dumps the input and the tfjs outputs as raw float32 files so Vigil's own
// runtime can be checked against them (tests/unit/models/tfjs_graph_import_test.cpp,
// TfjsGraphParity.DumpedReference).
//
// Usage:
//   node tests/parity/tfjs_graph_reference.js --model MODEL.json --onnx MODEL.onnx
//        [--image FILE.rgb:WxH [--divide 255] | --seed N] [--outputs a,b,...] [--tolerance 1e-4]
//        [--dump DIR] [--backend wasm|cpu] [--node-modules DIR]
//   --image   raw interleaved 8-bit RGB (e.g. from `vigil decode`), stretched to the model input
//             with bilinear resize (half-pixel centres) and divided by --divide (default 255;
//             NanoDet in @vladmandic/human takes [0, 1], CenterNet raw [0, 255]: --divide 1), in the
//             input's layout (NCHW when the input's dim 1 is 3, else NHWC)
//   --seed    uniform [0, 1) input from a seeded generator (default: --seed 1)
//   --outputs TF output names to compare (default: the ONNX model's outputs, which the importer
//             names after the TF nodes)
//   --dump    write DIR/input.f32, DIR/input.json ({"shape": [...]}) and DIR/<k>.f32 + DIR/outputs.json
//             ([{"name", "shape", "file"}]) with the tfjs results
// Prints one line per output (max |tfjs - onnxruntime|, max |tfjs|) and exits 1 if any difference
// exceeds tolerance * max(1, max |tfjs|) (absolute for outputs within [-1, 1], relative above).
'use strict';

const fs = require('fs');
const path = require('path');
const { loadTfjs, loadGraphModel } = require('./tfjs_graph_load');

console.log = console.info = console.warn = (...args) => process.stderr.write(args.join(' ') + '\n');

function fail(message) {
  process.stderr.write(`tfjs_graph_reference: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = { seed: 1, tolerance: 1e-4, backend: 'wasm', divide: 255 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--model') args.model = value();
    else if (a === '--onnx') args.onnx = value();
    else if (a === '--image') args.image = value();
    else if (a === '--seed') args.seed = Number(value());
    else if (a === '--divide') args.divide = Number(value());
    else if (a === '--outputs') args.outputs = value().split(',');
    else if (a === '--tolerance') args.tolerance = Number(value());
    else if (a === '--dump') args.dump = value();
    else if (a === '--backend') args.backend = value();
    else if (a === '--node-modules') args.nodeModules = value();
    else fail(`unknown argument ${a}`);
  }
  if (!args.model || !args.onnx) fail('--model and --onnx are required');
  return args;
}

// Mulberry32: small seeded generator, so runs are reproducible.
function seededUniform(n, seed) {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return out;
}

// Raw RGB -> float input of `shape` (bilinear, half-pixel centres, / divide).
function imageInput(spec, shape, divide) {
  const m = /^(.*):(\d+)x(\d+)$/.exec(spec);
  if (!m) fail(`--image wants FILE.rgb:WxH, got ${spec}`);
  const [, file, w, h] = [m[0], m[1], Number(m[2]), Number(m[3])];
  const rgb = fs.readFileSync(file);
  if (rgb.length !== w * h * 3) fail(`${file}: ${rgb.length} bytes, expected ${w * h * 3}`);
  const nchw = shape[1] === 3;
  const oh = nchw ? shape[2] : shape[1];
  const ow = nchw ? shape[3] : shape[2];
  const out = new Float32Array(oh * ow * 3);
  const sy = h / oh, sx = w / ow;
  for (let y = 0; y < oh; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy), y1 = Math.min(y0 + 1, h - 1), dy = fy - y0;
    for (let x = 0; x < ow; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
      const x0 = Math.floor(fx), x1 = Math.min(x0 + 1, w - 1), dx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const p = (yy, xx) => rgb[(yy * w + xx) * 3 + c];
        const v = (p(y0, x0) * (1 - dx) + p(y0, x1) * dx) * (1 - dy) +
                  (p(y1, x0) * (1 - dx) + p(y1, x1) * dx) * dy;
        out[nchw ? (c * oh + y) * ow + x : (y * ow + x) * 3 + c] = v / divide;
      }
    }
  }
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { tf, req } = await loadTfjs(args.nodeModules, args.backend);
  const ort = req('onnxruntime-node');
  const { model, modelJson } = await loadGraphModel(tf, args.model);

  const session = await ort.InferenceSession.create(args.onnx);
  const inputName = session.inputNames[0];
  const placeholder = modelJson.modelTopology.node.find((n) => n.op === 'Placeholder');
  const shape = placeholder.attr.shape.shape.dim.map((d) => Math.max(1, Number(d.size)));
  const n = shape.reduce((a, b) => a * b, 1);
  const input = args.image ? imageInput(args.image, shape, args.divide) : seededUniform(n, args.seed);

  const outputs = args.outputs || session.outputNames;
  const t0 = Date.now();
  const tfOut = await model.executeAsync({ [placeholder.name]: tf.tensor(input, shape) },
                                         outputs.map((o) => o.includes(':') ? o : o));
  const tfTime = Date.now() - t0;
  const tfList = Array.isArray(tfOut) ? tfOut : [tfOut];
  const t1 = Date.now();
  const ortOut = await session.run({ [inputName]: new ort.Tensor('float32', input, shape) });
  const ortTime = Date.now() - t1;

  let ok = true;
  const dumped = [];
  if (args.dump) {
    fs.mkdirSync(args.dump, { recursive: true });
    fs.writeFileSync(path.join(args.dump, 'input.f32'), Buffer.from(input.buffer));
    fs.writeFileSync(path.join(args.dump, 'input.json'), JSON.stringify({ shape }));
  }
  for (let k = 0; k < outputs.length; k++) {
    const name = outputs[k].replace(/:0$/, '');
    const ref = tfList[k].dataSync();
    const got = ortOut[name];
    if (!got) fail(`onnx output ${name} missing`);
    if (got.data.length !== ref.length) fail(`${name}: ${got.data.length} vs ${ref.length} elements`);
    let diff = 0, mag = 0;
    for (let i = 0; i < ref.length; i++) {
      diff = Math.max(diff, Math.abs(ref[i] - got.data[i]));
      mag = Math.max(mag, Math.abs(ref[i]));
    }
    const pass = diff <= args.tolerance * Math.max(1, mag);  // relative for outputs above 1
    if (!pass) ok = false;
    process.stdout.write(`${name} [${tfList[k].shape}] max|tfjs-ort| ${diff.toExponential(2)} ` +
                         `max|tfjs| ${mag.toFixed(3)} ${pass ? 'ok' : 'FAIL'}\n`);
    if (args.dump) {
      const file = `${k}.f32`;
      fs.writeFileSync(path.join(args.dump, file), Buffer.from(new Float32Array(ref).buffer));
      dumped.push({ name, shape: tfList[k].shape, file });
    }
  }
  if (args.dump) fs.writeFileSync(path.join(args.dump, 'outputs.json'), JSON.stringify(dumped));
  process.stdout.write(`tfjs (${args.backend}) ${tfTime} ms, onnxruntime ${ortTime} ms\n`);
  process.exit(ok ? 0 : 1);
}

main().catch((e) => fail(e.stack || String(e)));
