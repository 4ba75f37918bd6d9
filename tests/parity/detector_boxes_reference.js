#!/usr/bin/env node
// Reference for the FINAL boxes of Vigil's Detector: runs a detector's tfjs graph model in
// TensorFlow.js (tf.loadGraphModel through tf.io.fromMemory), preprocesses, decodes and suppresses
// in JavaScript from the model's manifest, and compares with `vigil classify --json` output.
//   preprocessing  tf.image.resizeBilinear (align-corners / half-pixel per manifest) of the photo
//                  (raw RGB from `vigil decode`), letterbox padding or stretch, scale/mean/std,
//                  BGR order if asked, NCHW if the model wants it
//   nanodet        per stride: cells with a class score >= threshold; distances =
//                  sum(softmax(bins) * [0..reg_max]) * stride around ((x + 0.5) s, (y + 0.5) s)
//   centernet      the graph's OWN post-processing (tower_0/detections: 3x3 max-pool peaks, TopK
//                  100, boxes from the wh head) executed by tfjs; then the score threshold
//   NMS            tf.image.nonMaxSuppression per class (or across classes), best max_detections
//   boxes          clipped to the input, mapped back through the letterbox/stretch, clipped to the
//                  photo
// Every reference box must have a Vigil box of the same class with IoU >= --min-iou and |Δscore| <=
// --score-tolerance, and vice versa; boxes whose score is within --score-tolerance of the threshold
// may be missing on either side (they sit on the decision boundary).
//
// usage: node tests/parity/detector_boxes_reference.js --model GRAPH.json --manifest MANIFEST.json
//          --case FILE.rgb:WxH=OUT.json [--case ...] [--node-modules DIR] [--backend wasm|cpu]
//          [--min-iou 0.99] [--score-tolerance 1e-3]
//   FILE.rgb   the photo's pixels as `vigil decode -o` writes them (full decode)
//   OUT.json   the `vigil classify --json --full-decode -m MODEL [-m ...]` line for that photo
// Prints one line per photo; exits 1 if any photo differs.
'use strict';

const fs = require('fs');
const path = require('path');
const { loadTfjs, loadGraphModel } = require('./tfjs_graph_load');

console.log = console.info = console.warn = (...a) => process.stderr.write(a.join(' ') + '\n');

function fail(message) {
  process.stderr.write(`detector_boxes_reference: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const a = { backend: 'wasm', minIou: 0.99, scoreTolerance: 1e-3, cases: [] };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => (i + 1 < argv.length ? argv[++i] : fail(`${k} needs a value`));
    if (k === '--model') a.model = v();
    else if (k === '--manifest') a.manifest = v();
    else if (k === '--case') a.cases.push(v());
    else if (k === '--node-modules') a.nodeModules = v();
    else if (k === '--backend') a.backend = v();
    else if (k === '--min-iou') a.minIou = Number(v());
    else if (k === '--score-tolerance') a.scoreTolerance = Number(v());
    else fail(`unknown argument ${k}`);
  }
  for (const k of ['model', 'manifest']) if (!a[k]) fail(`--${k} is required`);
  if (!a.cases.length) fail('at least one --case is required');
  return a;
}

// Photo -> model input tensor and the geometry (model = photo * scale + offset).
function preprocess(tf, m, rgb, w, h) {
  const pre = m.preprocessing;
  const S = { w: m.input.width, h: m.input.height };
  let rw = S.w, rh = S.h, ox = 0, oy = 0;
  if (pre.resize === 'letterbox') {
    const r = Math.min(S.w / w, S.h / h);
    rw = Math.min(Math.max(Math.round(w * r), 1), S.w);
    rh = Math.min(Math.max(Math.round(h * r), 1), S.h);
    ox = Math.floor((S.w - rw) / 2);
    oy = Math.floor((S.h - rh) / 2);
  }
  const input = tf.tidy(() => {
    let x = tf.tensor3d(new Int32Array(rgb), [h, w, 3], 'int32').toFloat();
    if (pre.scale !== 1) x = x.mul(pre.scale);
    x = tf.image.resizeBilinear(x, [rh, rw], pre.align_corners, pre.half_pixel_centers);
    if (pre.resize === 'letterbox') {
      x = tf.pad(x, [[oy, S.h - rh - oy], [ox, S.w - rw - ox], [0, 0]], pre.pad_value * pre.scale);
    }
    x = x.sub(tf.tensor1d(pre.mean)).div(tf.tensor1d(pre.std));
    if (pre.color === 'BGR') x = tf.reverse(x, 2);
    if (m.input.layout === 'NCHW') x = x.transpose([2, 0, 1]);
    return x.expandDims(0);
  });
  return { input, geometry: { sx: rw / w, sy: rh / h, ox, oy } };
}

function clip(v, lo, hi) { return Math.min(Math.max(v, lo), hi); }

async function decodeNanoDet(tf, model, m, input) {
  const d = m.detection;
  const names = [...d.detection_outputs];
  const outs = await model.executeAsync(input, names);
  const thr = d.score_threshold, bins = d.reg_max + 1, C = m.labels.length;
  const cands = [];
  for (let level = 0; level < d.strides.length; level++) {
    const s = d.strides[level], gw = m.input.width / s;
    const scores = outs[level].dataSync();
    const dist = tf.tidy(() => tf.softmax(outs[d.strides.length + level].reshape([-1, 4, bins]), -1)
      .mul(tf.range(0, bins).toFloat()).sum(-1)).dataSync();
    const cells = scores.length / C;
    for (let i = 0; i < cells; i++) {
      const cx = (i % gw + 0.5) * s, cy = (Math.floor(i / gw) + 0.5) * s;
      for (let c = 0; c < C; c++) {
        const score = scores[i * C + c];
        if (!(score >= thr)) continue;
        cands.push({ c, score, box: [
          clip(cx - dist[i * 4] * s, 0, m.input.width), clip(cy - dist[i * 4 + 1] * s, 0, m.input.height),
          clip(cx + dist[i * 4 + 2] * s, 0, m.input.width), clip(cy + dist[i * 4 + 3] * s, 0, m.input.height)] });
      }
    }
  }
  tf.dispose(outs);
  return cands;
}

async function decodeCenterNet(tf, model, m, input) {
  const out = await model.executeAsync(input, ['tower_0/detections']);
  const rows = out.arraySync()[0];  // [100][x1, y1, x2, y2, score, class] in input pixels
  tf.dispose(out);
  const thr = m.detection.score_threshold;
  return rows.filter((r) => r[4] >= thr && r[4] > 0).map((r) => ({
    c: r[5], score: r[4],
    box: [clip(r[0], 0, m.input.width), clip(r[1], 0, m.input.height),
          clip(r[2], 0, m.input.width), clip(r[3], 0, m.input.height)],
  }));
}

async function suppress(tf, m, cands) {
  const d = m.detection;
  const groups = new Map();
  for (const k of cands) {
    const key = d.class_agnostic_nms ? -1 : k.c;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(k);
  }
  let kept = [];
  for (const list of groups.values()) {
    const boxes = tf.tensor2d(list.map((k) => [k.box[1], k.box[0], k.box[3], k.box[2]]), [list.length, 4]);
    const scores = tf.tensor1d(list.map((k) => k.score));
    const idx = tf.image.nonMaxSuppression(boxes, scores, d.max_detections, d.iou_threshold);
    for (const i of idx.dataSync()) kept.push(list[i]);
    tf.dispose([boxes, scores, idx]);
  }
  kept.sort((a, b) => b.score - a.score);
  return kept.slice(0, d.max_detections);
}

function iou(a, b) {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { tf } = await loadTfjs(args.nodeModules, args.backend);

  const m = JSON.parse(fs.readFileSync(args.manifest, 'utf8'));
  m.detection.detection_outputs = [...m.detection.outputs.scores, ...m.detection.outputs.boxes];
  const { model } = await loadGraphModel(tf, args.model);
  let failed = 0;
  for (const c of args.cases) {
    if (!(await checkCase(tf, model, m, args, c))) failed++;
  }
  process.exit(failed ? 1 : 0);
}

// One photo: reference boxes vs Vigil's; prints a line; returns true when they agree.
async function checkCase(tf, model, m, args, spec) {
  const mm = /^(.*):(\d+)x(\d+)=(.*)$/.exec(spec) || fail('--case wants FILE.rgb:WxH=OUT.json');
  const [w, h, vigilFile] = [Number(mm[2]), Number(mm[3]), mm[4]];
  const rgb = fs.readFileSync(mm[1]);
  if (rgb.length !== w * h * 3) fail(`${mm[1]}: ${rgb.length} bytes, expected ${w * h * 3}`);
  const { input, geometry: g } = preprocess(tf, m, rgb, w, h);
  const cands = m.detection.architecture === 'nanodet' ? await decodeNanoDet(tf, model, m, input)
                                                       : await decodeCenterNet(tf, model, m, input);
  tf.dispose(input);
  const kept = await suppress(tf, m, cands);
  const ref = kept.map((k) => ({
    label: m.labels[k.c], score: k.score,
    box: [clip((k.box[0] - g.ox) / g.sx, 0, w), clip((k.box[1] - g.oy) / g.sy, 0, h),
          clip((k.box[2] - g.ox) / g.sx, 0, w), clip((k.box[3] - g.oy) / g.sy, 0, h)],
  }));

  const vigilLine = JSON.parse(fs.readFileSync(vigilFile, 'utf8').trim().split('\n')[0]);
  const result = (vigilLine.results || []).find((r) => r.model === m.name);
  if (!result) fail(`no ${m.name} result in ${vigilFile}`);
  const got = result.detections;
  if (vigilLine.width !== w || vigilLine.height !== h) fail(`vigil saw ${vigilLine.width}x${vigilLine.height}`);
  const thr = m.detection.score_threshold, tol = args.scoreTolerance;
  const problems = [];
  let minIou = 1, maxDs = 0, matched = 0;
  const used = new Set();
  for (const r of ref) {
    let best = -1, bestIou = 0;
    got.forEach((v, j) => {
      if (used.has(j) || v.label !== r.label) return;
      const o = iou(r.box, v.box);
      if (o > bestIou) { bestIou = o; best = j; }
    });
    if (best < 0 || bestIou < args.minIou) {
      if (Math.abs(r.score - thr) > tol) problems.push(`reference ${r.label} ${r.score.toFixed(4)} [${r.box.map((x) => x.toFixed(1))}] unmatched (best IoU ${bestIou.toFixed(4)})`);
      continue;
    }
    used.add(best);
    matched++;
    minIou = Math.min(minIou, bestIou);
    const ds = Math.abs(got[best].score - r.score);
    maxDs = Math.max(maxDs, ds);
    if (ds > tol) problems.push(`${r.label}: score ${got[best].score} vs ${r.score}`);
  }
  got.forEach((v, j) => {
    if (!used.has(j) && Math.abs(v.score - thr) > tol) problems.push(`vigil ${v.label} ${v.score.toFixed(4)} [${v.box.map((x) => x.toFixed(1))}] not in the reference`);
  });
  process.stdout.write(`${path.basename(vigilLine.path)} ${m.name}: ${ref.length} reference boxes, ${got.length} vigil boxes, ${matched} matched, ` +
                       `min IoU ${minIou.toFixed(7)}, max |Δscore| ${maxDs.toExponential(2)} ` +
                       `(${[...new Set(ref.map((r) => r.label))].join(', ') || 'none'})${problems.length ? ' FAIL' : ' ok'}\n`);
  for (const p of problems) process.stdout.write(`  ${p}\n`);
  return problems.length === 0;
}


main().catch((e) => fail(e.stack || String(e)));
