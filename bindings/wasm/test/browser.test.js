'use strict';
// A real browser: Debian's headless Chromium loads a page served here on 127.0.0.1 (./browser/index.html) that imports
// pkg-web as a page does, runs every conformance vector and every dedupe store scenario (on memory:, and the URL
// cases as the WASM build answers them) through the shared suites, every vector and the large deliveries of
// async-suite.js through verifyAsync as well as verify (the browser's own WebCrypto), and the worker example with
// the browser's own Requests, and posts its report back. The test fails unless every vector and scenario passed and the worker gave
// the expected answers.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// Only these parts of the repository are served.
const SERVED = ['bindings/wasm/pkg-web/', 'bindings/wasm/test/browser/', 'bindings/wasm/test/async-suite.js',
  'bindings/node/test/vector-suite.js',
  'bindings/node/test/store-suite.js', 'tests/vectors/', 'tests/samples/', 'examples/worker/'];
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm' };
const TIMEOUT_MS = 120_000;

function serve(onReport) {
  return http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (req.method === 'POST' && url.pathname === '/results') {
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => {
        res.end('ok');
        onReport(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      });
      return;
    }
    const relative = url.pathname === '/' ? 'bindings/wasm/test/browser/index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = path.join(ROOT, relative);
    const allowed = file.startsWith(ROOT + path.sep) && SERVED.some((prefix) => relative.startsWith(prefix));
    if (!allowed || relative.includes('..')) {
      res.writeHead(404).end();
      return;
    }
    if (relative === 'tests/vectors/') {
      // The directory listing the suite compares with manifest.json.
      const files = fs.readdirSync(file).filter((f) => f.endsWith('.json') && f !== 'manifest.json');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(files));
      return;
    }
    fs.readFile(file, (error, data) => {
      if (error) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(data);
    });
  });
}

test('every vector and store scenario passes in headless Chromium, and the worker example answers there', { timeout: TIMEOUT_MS + 10_000 }, async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing (apt-get install chromium; scripts/ensure-wasm-tools.sh)`);
  let resolveReport;
  const reported = new Promise((resolve) => {
    resolveReport = resolve;
  });
  const server = serve(resolveReport);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'hookseal-chromium-'));
  const url = `http://127.0.0.1:${server.address().port}/`;
  const browser = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
    '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', `--user-data-dir=${profile}`, url], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let log = '';
  browser.stderr.on('data', (chunk) => {
    log = (log + chunk.toString()).slice(-8000);
  });
  const exited = new Promise((resolve) => browser.on('exit', (code, signal) => resolve(`exited (${code ?? signal})`)));
  let timer;
  const timedOut = new Promise((resolve) => {
    timer = setTimeout(() => resolve('timed out'), TIMEOUT_MS);
  });
  let report;
  try {
    report = await Promise.race([reported, exited, timedOut]);
  } finally {
    clearTimeout(timer);
    // Chromium's helper processes share its process group (detached above): kill them all, and wait, before the
    // profile folder goes (they write to it until they exit).
    try {
      process.kill(-browser.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
    server.close();
    fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
  assert.equal(typeof report, 'object', `no report from Chromium: it ${report}; its log:\n${log}`);
  assert.equal(report.error, null, `the page failed: ${report.error}`);
  assert.match(report.userAgent, /Chrom/);
  assert.deepEqual(report.failed, [], `${report.failed.length} vectors failed in the browser`);
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'vectors', 'manifest.json'), 'utf8'));
  assert.equal(report.total, manifest.total);
  assert.equal(report.passed, manifest.total);
  const scenarios = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'vectors', 'store', 'scenarios.json'), 'utf8'));
  assert.deepEqual(report.store.failed, [], `${report.store.failed.length} store cases failed in the browser`);
  assert.equal(report.store.total, scenarios.counts.scenarios + scenarios.counts.urls);
  assert.equal(report.store.passed, report.store.total);
  assert.deepEqual(report.async.failed, [], `${report.async.failed.length} verifyAsync cases failed in the browser`);
  assert.equal(report.async.vectors, manifest.total);
  assert.ok(report.async.large.length >= 35, `${report.async.large.length} large deliveries`);
  assert.ok(report.async.hostJson.length >= 1400, `${report.async.hostJson.length} bodies whose data JSON.parse judged`);
  assert.ok(report.async.webCrypto, 'the page has WebCrypto (127.0.0.1 is a secure context)');
  const [first, again, forged, notJson] = report.worker;
  assert.equal(first[0], 200);
  assert.equal(first[1].status, 'processed');
  assert.equal(first[1].eventType, 'order.status_changed');
  assert.deepEqual(again, [200, { status: 'duplicate', idempotency_key: first[1].idempotencyKey }]);
  assert.deepEqual(forged, [401, { error: 'signature_mismatch' }]);
  assert.deepEqual(notJson, [400, { error: 'invalid_json' }]);
});
