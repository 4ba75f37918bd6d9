#!/usr/bin/env node
// ONNX Runtime peer benchmark (npm onnxruntime-node, CPU execution provider): images per second
// of one ONNX model on random input, inference only. Vigil's own benchmarks report their ratio to it.
//
// usage: node bench/ort_bench.js --model X.onnx [--threads T] [--batch B] [--seconds S] [--warmup N]
//   --threads  intra-op threads (default 1); inter-op threads are always 1
//   --batch    images per run (default 1); the model's first input dimension must be symbolic or B
//   --seconds  measuring time (default 5), after --warmup runs (default 3)
// The input name, element type and shape (NHWC or NCHW, whatever the model declares) come from the
// session. Prints one JSON line:
//   {"engine":"onnxruntime-node 1.30.0","threads":T,"batch":B,"img_per_s":...,"model":...,...}
// Node modules are looked up in $VIGIL_NODE_MODULES, else the repository's node_modules.
'use strict';

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

function die(message) {
  process.stderr.write(`ort_bench: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const a = { threads: 1, batch: 1, seconds: 5, warmup: 3 };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : die(`${key} needs a value`));
    if (key === '--model') a.model = value();
    else if (key === '--threads') a.threads = Number(value());
    else if (key === '--batch') a.batch = Number(value());
    else if (key === '--seconds') a.seconds = Number(value());
    else if (key === '--warmup') a.warmup = Number(value());
    else if (key === '-h' || key === '--help') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 13).join('\n') + '\n');
      process.exit(0);
    } else die(`unknown argument ${key}`);
  }
  if (!a.model) die('--model X.onnx is required');
  for (const k of ['threads', 'batch', 'warmup']) {
    if (!Number.isInteger(a[k]) || a[k] < (k === 'warmup' ? 0 : 1)) die(`--${k} must be a positive integer`);
  }
  if (!(a.seconds > 0)) die('--seconds must be > 0');
  return a;
}

// Deterministic pseudo-random numbers in [0, 1) (xorshift32), so runs are comparable.
function filler(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function randomTensor(ort, type, shape, rand) {
  const n = shape.reduce((x, y) => x * y, 1);
  let data;
  switch (type) {
    case 'float32': data = Float32Array.from({ length: n }, rand); break;
    case 'float64': data = Float64Array.from({ length: n }, rand); break;
    case 'uint8': data = Uint8Array.from({ length: n }, () => Math.floor(rand() * 256)); break;
    case 'int8': data = Int8Array.from({ length: n }, () => Math.floor(rand() * 256) - 128); break;
    case 'int32': data = Int32Array.from({ length: n }, () => Math.floor(rand() * 256)); break;
    default: die(`input element type ${type} is not supported`);
  }
  return new ort.Tensor(type, data, shape);
}

function layoutOf(shape) {
  if (shape.length !== 4) return `rank${shape.length}`;
  if (shape[3] <= 4 && shape[1] > 4) return 'NHWC';
  if (shape[1] <= 4 && shape[3] > 4) return 'NCHW';
  return 'unknown';
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const repoRoot = path.resolve(__dirname, '..');
  const nodeModules = path.resolve(process.env.VIGIL_NODE_MODULES || path.join(repoRoot, 'node_modules'));
  const requireFrom = createRequire(path.join(nodeModules, 'noop.js'));
  let ort;
  try {
    ort = requireFrom('onnxruntime-node');
  } catch (e) {
    die(`cannot load onnxruntime-node from ${nodeModules} (run scripts/setup): ${e.message}`);
  }
  const version = requireFrom('onnxruntime-node/package.json').version;
  if (!fs.existsSync(a.model)) die(`${a.model} not found`);

  const session = await ort.InferenceSession.create(a.model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: a.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });

  // Every input gets random data of its declared type and shape; the first dimension is the batch.
  const rand = filler(12345);
  const feeds = {};
  let imageShape = null;
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor) die(`input ${meta.name} is not a tensor`);
    if (meta.shape.length === 0) die(`input ${meta.name} has no declared shape`);
    const shape = meta.shape.map((d, i) => {
      if (i === 0) {
        if (typeof d === 'number' && d > 0 && d !== a.batch) die(`input ${meta.name} has a fixed batch of ${d}, --batch is ${a.batch}`);
        return a.batch;
      }
      if (typeof d !== 'number' || d <= 0) die(`input ${meta.name} has a symbolic dimension ${i} (${d}): only the batch may be`);
      return d;
    });
    feeds[meta.name] = randomTensor(ort, meta.type, shape, rand);
    if (!imageShape) imageShape = shape;
  }

  for (let i = 0; i < a.warmup; i++) await session.run(feeds);

  let runs = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(a.seconds * 1e9));
  let elapsed = 0n;
  do {
    await session.run(feeds);
    runs++;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budget);
  const seconds = Number(elapsed) / 1e9;

  const result = {
    engine: `onnxruntime-node ${version}`,
    threads: a.threads,
    batch: a.batch,
    img_per_s: Number(((runs * a.batch) / seconds).toFixed(2)),
    ms_per_run: Number(((seconds * 1000) / runs).toFixed(3)),
    runs,
    model: a.model,
    input: session.inputNames[0],
    shape: imageShape,
    layout: layoutOf(imageShape),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  await session.release();
}

main().catch((e) => die(e && e.stack ? e.stack : String(e)));
