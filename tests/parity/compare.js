#!/usr/bin/env node
// Compares Vigil's classifications with the nsfwjs reference for one model (used by
// tests/integration/parity.sh). Node 18+, no dependencies.
//
// usage: node tests/parity/compare.js --model NAME --manifest M.json --reference REF.json
//          --vigil BACKEND=OUT.jsonl [--vigil BACKEND=OUT.jsonl ...]
//          [--reference-cpu REF_CPU.json] [--tolerance 3e-5] [--tfjs-tolerance 1e-5]
//   M.json       [{"path": "<n>.rgb", "photo": "/abs/photo.jpg", "width": W, "height": H}, ...]
//   REF.json     nsfwjs_reference.js output {"<n>.rgb": [p_Drawing, ..., p_Sexy]}
//   OUT.jsonl    `vigil classify --json --backend BACKEND` output, one object per photo
//   REF_CPU.json the reference again on tfjs's cpu backend, for a subset of the photos: checks that
//                the (default) wasm reference agrees with nsfwjs's pure-JS path
// Checks, per photo: max |p_vigil - p_nsfwjs| <= tolerance and the same top-1 for every backend;
// max |p_backend1 - p_backend2| <= tolerance between each pair of backends. Prints a table of the
// differences; exits 1 with the reasons on failure.
'use strict';

const fs = require('fs');
const path = require('path');

const CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

function die(message) {
  process.stderr.write(`compare: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const a = { vigil: [], tolerance: 3e-5, tfjsTolerance: 1e-5 };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : die(`${key} needs a value`));
    if (key === '--model') a.model = value();
    else if (key === '--manifest') a.manifest = value();
    else if (key === '--reference') a.reference = value();
    else if (key === '--reference-cpu') a.referenceCpu = value();
    else if (key === '--tolerance') a.tolerance = Number(value());
    else if (key === '--tfjs-tolerance') a.tfjsTolerance = Number(value());
    else if (key === '--vigil') {
      const v = value();
      const eq = v.indexOf('=');
      if (eq <= 0) die(`--vigil expects BACKEND=FILE, got ${v}`);
      a.vigil.push({ backend: v.slice(0, eq), file: v.slice(eq + 1) });
    } else die(`unknown argument ${key}`);
  }
  if (!a.model || !a.manifest || !a.reference || a.vigil.length === 0) {
    die('usage: compare.js --model NAME --manifest M.json --reference REF.json --vigil BACKEND=OUT.jsonl ...');
  }
  return a;
}

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
const argmax = (p) => p.reduce((best, v, i) => (v > p[best] ? i : best), 0);
const maxAbsDiff = (p, q) => p.reduce((m, v, i) => Math.max(m, Math.abs(v - q[i])), 0);
const fmt = (x) => (Number.isFinite(x) ? x.toExponential(1) : String(x));

// Reads `vigil classify --json` output into {absolute photo path: probabilities in CLASSES order}.
function readVigil(file, backend, model, problems) {
  const out = new Map();
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  for (const line of lines) {
    let r;
    try {
      r = JSON.parse(line);
    } catch (e) {
      problems.push(`${backend}: not JSON: ${line.slice(0, 200)}`);
      continue;
    }
    const key = path.resolve(String(r.path));
    if (r.error) {
      problems.push(`${backend}: ${r.path}: error ${r.error.code}: ${r.error.message}`);
      continue;
    }
    if (r.model !== undefined && r.model !== model) problems.push(`${backend}: ${r.path}: model is ${r.model}, expected ${model}`);
    if (r.backend !== undefined && r.backend !== backend) problems.push(`${backend}: ${r.path}: ran on backend ${r.backend}`);
    const probs = new Array(CLASSES.length).fill(NaN);
    for (const { label, score } of r.predictions || []) {
      const i = CLASSES.findIndex((c) => c.toLowerCase() === String(label).toLowerCase());
      if (i < 0) problems.push(`${backend}: ${r.path}: unknown label ${label}`);
      else probs[i] = Number(score);
    }
    if (probs.some((p) => !Number.isFinite(p))) {
      problems.push(`${backend}: ${r.path}: predictions lack some of ${CLASSES.join(',')}`);
      continue;
    }
    out.set(key, probs);
  }
  return out;
}

function main() {
  const a = parseArgs(process.argv.slice(2));
  const manifest = readJson(a.manifest);
  const reference = readJson(a.reference);
  const problems = [];
  const results = a.vigil.map(({ backend, file }) => ({ backend, probs: readVigil(file, backend, a.model, problems) }));
  const pairs = [];
  for (let i = 0; i < results.length; i++) for (let j = i + 1; j < results.length; j++) pairs.push([results[i], results[j]]);

  const header = ['photo', 'WxH', 'nsfwjs top-1', ...results.map((r) => `${r.backend}-nsfwjs`), ...pairs.map(([x, y]) => `${x.backend}-${y.backend}`)];
  const rows = [];
  const worst = new Array(header.length).fill(0);
  for (const entry of manifest) {
    const photo = path.resolve(entry.photo);
    const name = path.basename(photo);
    const ref = reference[entry.path];
    if (!ref) {
      problems.push(`${name}: no reference output`);
      continue;
    }
    const top = argmax(ref);
    const row = [name, `${entry.width}x${entry.height}`, `${CLASSES[top]} ${ref[top].toFixed(4)}`];
    results.forEach((r, k) => {
      const p = r.probs.get(photo);
      if (!p) {
        problems.push(`${r.backend}: no result for ${photo}`);
        row.push('missing');
        return;
      }
      const d = maxAbsDiff(p, ref);
      worst[3 + k] = Math.max(worst[3 + k], d);
      row.push(fmt(d));
      if (!(d <= a.tolerance)) problems.push(`${name}: ${r.backend} differs from nsfwjs by ${fmt(d)} > ${a.tolerance}`);
      if (argmax(p) !== top) {
        const margin = ref[top] - [...ref].sort((x, y) => y - x)[1];
        problems.push(`${name}: ${r.backend} top-1 is ${CLASSES[argmax(p)]}, nsfwjs says ${CLASSES[top]} (nsfwjs margin ${fmt(margin)})`);
      }
    });
    pairs.forEach(([x, y], k) => {
      const p = x.probs.get(photo);
      const q = y.probs.get(photo);
      if (!p || !q) {
        row.push('missing');
        return;
      }
      const d = maxAbsDiff(p, q);
      worst[3 + results.length + k] = Math.max(worst[3 + results.length + k], d);
      row.push(fmt(d));
      if (!(d <= a.tolerance)) problems.push(`${name}: ${x.backend} and ${y.backend} differ by ${fmt(d)} > ${a.tolerance}`);
    });
    rows.push(row);
  }
  if (rows.length < 10) problems.push(`only ${rows.length} photos compared, need at least 10`);
  rows.push(['MAX', '', '', ...worst.slice(3).map(fmt)]);

  let tfjsLine = '';
  if (a.referenceCpu) {
    const cpu = readJson(a.referenceCpu);
    let d = 0;
    const keys = Object.keys(cpu);
    for (const k of keys) {
      if (!reference[k]) problems.push(`tfjs cpu reference has ${k}, the main reference lacks it`);
      else d = Math.max(d, maxAbsDiff(cpu[k], reference[k]));
    }
    tfjsLine = `tfjs reference: wasm vs cpu backend on ${keys.length} photos: max |dp| = ${fmt(d)} (limit ${a.tfjsTolerance})`;
    if (!(d <= a.tfjsTolerance)) problems.push(`tfjs wasm and cpu backends differ by ${fmt(d)} > ${a.tfjsTolerance}`);
  }

  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)));
  const line = (cells) => cells.map((c, i) => String(c ?? '').padEnd(widths[i])).join('  ');
  console.log(`parity ${a.model}: max |dp| per photo (tolerance ${a.tolerance}; classes ${CLASSES.join(',')})`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  if (tfjsLine) console.log(tfjsLine);
  if (problems.length) {
    console.log(`FAIL ${a.model}: ${problems.length} problem(s):`);
    for (const p of problems) console.log(`  - ${p}`);
    process.exit(1);
  }
  console.log(`PASS ${a.model}: ${rows.length - 1} photos, every backend within ${a.tolerance} of nsfwjs with the same top-1`);
}

main();
