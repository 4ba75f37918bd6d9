#!/usr/bin/env node
// Unwraps the JS-wrapped TensorFlow.js models that the npm package nsfwjs@4 ships
// (dist/models/<model>/model.min.js + group1-shardXofY.min.js, UMD modules) into the
// standard tfjs layers-model format that Vigil's importer reads:
//   OUT_DIR/<model>/model.json          {format: "layers-model", modelTopology, weightsManifest}
//   OUT_DIR/<model>/group1-shardXofY    raw little-endian weight bytes
//
// Usage: node scripts/unwrap-nsfwjs.js NSFWJS_PACKAGE_DIR OUT_DIR
// Idempotent: rewrites the same files with the same bytes. Node 20, no dependencies.
'use strict';

const fs = require('fs');
const path = require('path');

const MODELS = ['mobilenet_v2', 'inception_v3', 'mobilenet_v2_mid'];
const REQUIRED = new Set(['mobilenet_v2', 'inception_v3']);

function fail(message) {
  process.stderr.write(`unwrap-nsfwjs: ${message}\n`);
  process.exit(1);
}

// Evaluates a UMD bundle as a CommonJS module and returns its exports. The bundles are
// browserify output: they only touch module/exports (and a require they never call).
function loadUmd(file) {
  const source = fs.readFileSync(file, 'utf8');
  const module = { exports: {} };
  const noRequire = (name) => {
    throw new Error(`${file} tried to require("${name}")`);
  };
  // eslint-disable-next-line no-new-func
  new Function('module', 'exports', 'require', 'define', source)(module, module.exports, noRequire, undefined);
  return module.exports;
}

// Writes `data` to `file` unless the file already holds exactly those bytes.
function writeIfChanged(file, data) {
  const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data);
  if (fs.existsSync(file)) {
    const old = fs.readFileSync(file);
    if (old.equals(buffer)) return false;
  }
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, buffer);
  fs.renameSync(tmp, file);
  return true;
}

function unwrapModel(srcDir, outDir, name) {
  const modelJs = path.join(srcDir, 'model.min.js');
  const exported = loadUmd(modelJs);
  if (!exported || typeof exported !== 'object' || !exported.modelTopology || !Array.isArray(exported.weightsManifest)) {
    fail(`${modelJs}: expected an export {modelTopology, weightsManifest}`);
  }
  fs.mkdirSync(outDir, { recursive: true });

  let totalBytes = 0;
  for (const group of exported.weightsManifest) {
    for (const shardName of group.paths) {
      if (path.basename(shardName) !== shardName || shardName.startsWith('.')) {
        fail(`${modelJs}: unexpected shard path "${shardName}"`);
      }
      const shardJs = path.join(srcDir, `${shardName}.min.js`);
      if (!fs.existsSync(shardJs)) fail(`${name}: missing shard ${shardJs}`);
      const base64 = loadUmd(shardJs);
      if (typeof base64 !== 'string') fail(`${shardJs}: expected a base64 string export`);
      const bytes = Buffer.from(base64, 'base64');
      totalBytes += bytes.length;
      writeIfChanged(path.join(outDir, shardName), bytes);
    }
  }

  // nsfwjs ships layers models (Keras topology) and graph models (TF GraphDef, e.g. mobilenet_v2_mid).
  const isGraph = Array.isArray(exported.modelTopology.node);
  const modelJson = {
    format: isGraph ? 'graph-model' : 'layers-model',
    generatedBy: exported.generatedBy,
    convertedBy: exported.convertedBy,
    modelTopology: exported.modelTopology,
    weightsManifest: exported.weightsManifest,
  };
  writeIfChanged(path.join(outDir, 'model.json'), JSON.stringify(modelJson));
  return totalBytes;
}

function main() {
  const [pkgDir, outDir] = process.argv.slice(2);
  if (!pkgDir || !outDir) fail('usage: node scripts/unwrap-nsfwjs.js NSFWJS_PACKAGE_DIR OUT_DIR');
  const modelsDir = path.join(pkgDir, 'dist', 'models');
  if (!fs.existsSync(modelsDir)) fail(`${modelsDir} not found (is ${pkgDir} the nsfwjs package folder?)`);
  for (const name of MODELS) {
    const srcDir = path.join(modelsDir, name);
    if (!fs.existsSync(path.join(srcDir, 'model.min.js'))) {
      if (REQUIRED.has(name)) fail(`${srcDir}/model.min.js not found`);
      continue;
    }
    const bytes = unwrapModel(srcDir, path.join(outDir, name), name);
    const format = JSON.parse(fs.readFileSync(path.join(outDir, name, 'model.json'), 'utf8')).format;
    process.stdout.write(`${name}: ${path.join(outDir, name, 'model.json')} (${format}, ${bytes} weight bytes)\n`);
  }
}

main();
