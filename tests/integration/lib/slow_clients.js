// Slow-client load for the server tests and bench/slow-clients.sh (loopback only, stops by itself).
// usage: node slow_clients.js PORT CLIENTS MODE SECONDS [PROBE_TIMEOUT_MS]
//   MODE headers: each client sends a request line, then one header line every 2 s (never ends).
//   MODE body:    each client sends complete headers (Content-Length 100000), then one body byte
//                 every 2 s.
// Meanwhile a fresh connection asks GET /healthz every 250 ms (timeout PROBE_TIMEOUT_MS, 2000).
// Prints one JSON line: how many slow clients connected, were answered 503 at once (refused),
// were answered otherwise or closed by the server (cut), or were still open at the end; and the
// /healthz probes (ok, failed, latency median and max in ms).
'use strict';
const net = require('net');

const [port, clients, mode, seconds, probeTimeout] = [
  Number(process.argv[2]), Number(process.argv[3] || 1000), process.argv[4] || 'headers',
  Number(process.argv[5] || 10), Number(process.argv[6] || 2000)];
if (!port || !['headers', 'body'].includes(mode)) {
  console.error('usage: node slow_clients.js PORT CLIENTS headers|body SECONDS [PROBE_TIMEOUT_MS]');
  process.exit(2);
}
const HOST = '127.0.0.1';
const stats = {clients, mode, connected: 0, refused: 0, cut: 0, open: 0, errors: 0, error_codes: {}, cut_after_ms: [],
               probes: {ok: 0, failed: 0, median_ms: null, max_ms: null}};
const sockets = [];
const timers = [];
const start = Date.now();

function slowClient(i) {
  const s = net.connect(port, HOST);
  let answered = '';
  let ended = false;
  s.setNoDelay(true);
  s.on('connect', () => {
    stats.connected++;
    if (mode === 'headers') {
      s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      timers.push(setInterval(() => { if (!s.destroyed) s.write('X-Slow-' + i + ': y\r\n'); }, 2000));
    } else {
      s.write('POST /v1/images:classify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n' +
              'Content-Length: 100000\r\n\r\n');
      timers.push(setInterval(() => { if (!s.destroyed) s.write('a'); }, 2000));
    }
  });
  s.on('data', d => { answered += d.toString('latin1'); });
  const finish = () => {
    if (ended) return;
    ended = true;
    const elapsed = Date.now() - start;
    if (/^HTTP\/1\.1 503/.test(answered)) stats.refused++;
    else if (elapsed < seconds * 1000) { stats.cut++; stats.cut_after_ms.push(elapsed); }
  };
  s.on('end', finish);
  s.on('close', finish);
  s.on('error', e => { stats.errors++; stats.error_codes[e.code] = (stats.error_codes[e.code] || 0) + 1; });
  sockets.push(s);
}

const latencies = [];
function probe() {
  const t0 = process.hrtime.bigint();
  const s = net.connect(port, HOST);
  let got = '';
  let done = false;
  const end = ok => {
    if (done) return;
    done = true;
    s.destroy();
    if (ok) { stats.probes.ok++; latencies.push(Number(process.hrtime.bigint() - t0) / 1e6); }
    else stats.probes.failed++;
  };
  const timer = setTimeout(() => end(false), probeTimeout);
  s.on('connect', () => s.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
  s.on('data', d => {
    got += d.toString('latin1');
    if (/^HTTP\/1\.1 200/.test(got) && got.includes('"ok"')) { clearTimeout(timer); end(true); }
  });
  s.on('error', () => { clearTimeout(timer); end(false); });
  s.on('close', () => { clearTimeout(timer); end(/^HTTP\/1\.1 200/.test(got)); });
}

// Open the slow clients in bursts of 100 (the listen backlog is short), then probe.
let opened = 0;
const opener = setInterval(() => {
  for (let k = 0; k < 100 && opened < clients; ++k) slowClient(opened++);
  if (opened >= clients) clearInterval(opener);
}, 20);
const prober = setInterval(probe, 250);
setTimeout(() => {
  clearInterval(prober);
  clearInterval(opener);
  for (const t of timers) clearInterval(t);
  stats.open = sockets.filter(s => !s.destroyed).length;
  for (const s of sockets) s.destroy();
  latencies.sort((a, b) => a - b);
  if (latencies.length) {
    stats.probes.median_ms = Math.round(latencies[Math.floor(latencies.length / 2)] * 10) / 10;
    stats.probes.max_ms = Math.round(latencies[latencies.length - 1] * 10) / 10;
  }
  stats.cut_after_ms.sort((a, b) => a - b);
  const c = stats.cut_after_ms;
  stats.cut_after_ms = c.length ? {first: c[0], median: c[Math.floor(c.length / 2)], last: c[c.length - 1]} : null;
  console.log(JSON.stringify(stats));
  process.exit(0);
}, seconds * 1000);
