// Shared by the tfjs graph-model parity scripts: TensorFlow.js from a node_modules folder with a
// chosen backend, and a graph model (model.json + shards) loaded from disk through tf.io.fromMemory.
'use strict';

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

// Returns { tf, req } with tfjs ready on `backend` ('wasm' or 'cpu'); `req` requires from the same
// node_modules. nodeModules defaults to $VIGIL_NODE_MODULES, else the repository's node_modules.
async function loadTfjs(nodeModules, backend) {
  const dir = nodeModules || process.env.VIGIL_NODE_MODULES || path.join(__dirname, '..', '..', 'node_modules');
  const req = createRequire(path.join(path.resolve(dir), 'noop.js'));
  const tf = req('@tensorflow/tfjs');
  if (backend === 'wasm') req('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(backend))) throw new Error(`cannot set tfjs backend ${backend}`);
  await tf.ready();
  return { tf, req };
}

// Loads a graph model from disk: every shard concatenated in manifest order. Returns
// { model, modelJson }.
async function loadGraphModel(tf, file) {
  const modelJson = JSON.parse(fs.readFileSync(file, 'utf8'));
  const weightSpecs = [];
  const buffers = [];
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(path.dirname(file), p)));
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const model = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: modelJson.modelTopology, weightSpecs, weightData, format: modelJson.format,
    signature: modelJson.signature,
  }));
  return { model, modelJson };
}

module.exports = { loadTfjs, loadGraphModel };
