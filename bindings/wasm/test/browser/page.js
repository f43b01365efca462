// Runs in headless Chromium (../browser.test.js): loads pkg-web the way a page does (`await init()` fetches the
// module), runs every conformance vector through the shared suite (bindings/node/test/vector-suite.js) and every
// dedupe store scenario on memory: (bindings/node/test/store-suite.js), every vector and large deliveries through
// verifyAsync as well as verify (../async-suite.js, with the browser's WebCrypto), drives the worker example
// (examples/worker) with the browser's own Request objects, and posts one report to /results.

import init, * as hookseal from '/bindings/wasm/pkg-web/index.js';
import { setAsyncMinBytes } from '/bindings/wasm/pkg-web/async.js';

// The subset of Node's `assert/strict` the suite uses. Deep equality: same prototype, same own keys, equal values.
function same(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && same(a[key], b[key]));
}
const show = (value) => JSON.stringify(value);
const fail = (message) => {
  throw new Error(message);
};
const assert = {
  ok: (value, message) => value || fail(message ?? 'expected a truthy value'),
  equal: (a, b, message) => Object.is(a, b) || fail(`${message ?? 'not equal'}: ${show(a)} !== ${show(b)}`),
  notEqual: (a, b, message) => !Object.is(a, b) || fail(`${message ?? 'equal'}: ${show(a)}`),
  deepEqual: (a, b, message) => same(a, b) || fail(`${message ?? 'not deep-equal'}: ${show(a)} vs ${show(b)}`),
  deepStrictEqual: (a, b, message) => same(a, b) || fail(`${message ?? 'not deep-equal'}: ${show(a)} vs ${show(b)}`),
  fail,
};

async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return response.json();
}

async function vectors(report) {
  const manifest = await getJson('/tests/vectors/manifest.json');
  const onDisk = await getJson('/tests/vectors/');
  const docs = {};
  for (const file of onDisk) docs[file] = await getJson(`/tests/vectors/${file}`);
  const cases = globalThis.hooksealVectorSuite.loadCases(manifest, onDisk, docs, assert);
  report.total = manifest.total;
  report.cases = cases;
  for (const c of cases) {
    try {
      globalThis.hooksealVectorSuite.runCase(hookseal, c, assert);
      report.passed += 1;
    } catch (error) {
      report.failed.push({ name: c.name, message: String(error && error.message) });
    }
  }
}

async function verifyAsync(report, cases) {
  report.async.webCrypto = typeof crypto === 'object' && typeof crypto.subtle === 'object';
  for (const c of cases) {
    try {
      await globalThis.hooksealAsyncSuite.runVector(hookseal, globalThis.hooksealVectorSuite, setAsyncMinBytes, c, assert);
      report.async.vectors += 1;
    } catch (error) {
      report.async.failed.push({ name: c.name, message: String(error && error.message) });
    }
  }
  try {
    report.async.large = await globalThis.hooksealAsyncSuite.runLarge(hookseal, assert);
  } catch (error) {
    report.async.failed.push({ name: 'large deliveries', message: String(error && error.message) });
  }
  try {
    report.async.hostJson = await globalThis.hooksealAsyncSuite.runHostJson(hookseal, setAsyncMinBytes, assert);
  } catch (error) {
    report.async.failed.push({ name: 'data judged by JSON.parse', message: String(error && error.message) });
  }
}

async function storeScenarios(report) {
  const doc = globalThis.hooksealStoreSuite.load(await getJson('/tests/vectors/store/scenarios.json'), assert);
  report.store.total = doc.scenarios.length + doc.urls.length;
  for (const scenario of doc.scenarios) {
    try {
      await globalThis.hooksealStoreSuite.runScenario(hookseal, scenario, 'memory:', assert);
      report.store.passed += 1;
    } catch (error) {
      report.store.failed.push({ name: scenario.name, message: String(error && error.message) });
    }
  }
  for (const c of doc.urls) {
    try {
      globalThis.hooksealStoreSuite.checkUrl(hookseal, c, assert, { memoryOnly: true });
      report.store.passed += 1;
    } catch (error) {
      report.store.failed.push({ name: c.name, message: String(error && error.message) });
    }
  }
}

async function worker(report) {
  const { default: receiver } = await import('/examples/worker/worker.js');
  const env = { ELMED_WEBHOOK_SECRET: 'whsec_browser_elmed', NOVAMED_WEBHOOK_SECRET: 'nm_browser_key' };
  const body = new TextEncoder().encode(await (await fetch('/tests/samples/elmed/order.status_changed.json')).text());
  const signed = hookseal.sign('elmed', body, { secret: env.ELMED_WEBHOOK_SECRET });
  const send = async (headers, payload = body) => {
    const request = new Request('https://hooks.example/webhooks/elmed', { method: 'POST', body: payload, headers });
    const response = await receiver.fetch(request, env);
    return [response.status, await response.json()];
  };
  report.worker.push(await send(signed));
  report.worker.push(await send(signed));
  report.worker.push(await send({ ...signed, 'X-ELMED-Signature': `sha256=${'0'.repeat(64)}` }));
  const notJson = new TextEncoder().encode('not json');
  report.worker.push(await send(hookseal.sign('elmed', notJson, { secret: env.ELMED_WEBHOOK_SECRET }), notJson));
}

const report = {
  userAgent: navigator.userAgent, total: null, passed: 0, failed: [], store: { total: null, passed: 0, failed: [] },
  worker: [], async: { vectors: 0, large: [], hostJson: [], failed: [], webCrypto: null }, error: null,
};
try {
  await init();
  await vectors(report);
  await verifyAsync(report, report.cases);
  delete report.cases;
  await storeScenarios(report);
  await worker(report);
} catch (error) {
  report.error = String((error && error.stack) || error);
}
document.body.textContent = JSON.stringify(report);
await fetch('/results', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(report) });
