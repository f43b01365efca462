'use strict';
// examples/worker (a module worker over pkg-web) driven in Node with real WHATWG Requests: each test imports its own
// instance of the worker (a fresh isolate: its own verifiers and dedupe set) and hands it a `fetch(request, env)`
// call as a Workers runtime would, with the compiled WebAssembly module as the HOOKSEAL_WASM binding.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const ROOT = path.join(__dirname, '..', '..', '..');
const WORKER = pathToFileURL(path.join(ROOT, 'examples', 'worker', 'worker.js'));
const PKG_WEB = pathToFileURL(path.join(__dirname, '..', 'pkg-web', 'index.js'));
const MODULE = new WebAssembly.Module(fs.readFileSync(path.join(__dirname, '..', 'pkg-web', 'hookseal_wasm_bg.wasm')));
const ELMED_SECRET = 'whsec_worker_elmed_secret';
const NOVAMED_KEY = 'nm_live_worker_key_0123456789';
const CLINIC = '550e8400-e29b-41d4-a716-446655440000';
const sample = (provider, name) => fs.readFileSync(path.join(ROOT, 'tests', 'samples', provider, name));

let isolates = 0;
async function freshWorker() {
  isolates += 1;
  return (await import(`${WORKER}?isolate=${isolates}`)).default;
}

async function hookseal() {
  const web = await import(PKG_WEB);
  await web.default(MODULE);
  return web;
}

const baseEnv = () => ({ ELMED_WEBHOOK_SECRET: ELMED_SECRET, NOVAMED_WEBHOOK_SECRET: NOVAMED_KEY, HOOKSEAL_WASM: MODULE });

async function post(worker, env, route, body, headers) {
  const request = new Request(`https://hooks.example${route}`, { method: 'POST', body, headers });
  const response = await worker.fetch(request, env);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), type: response.headers.get('content-type') };
}

async function signedElmed(body) {
  const { sign } = await hookseal();
  return sign('elmed', body, { secret: ELMED_SECRET });
}

test('an ELMED delivery is processed once; its retry is a duplicate', async () => {
  const worker = await freshWorker();
  const env = baseEnv();
  const body = sample('elmed', 'order.status_changed.json');
  const headers = await signedElmed(body);
  const first = await post(worker, env, '/webhooks/elmed', body, headers);
  assert.equal(first.status, 200);
  assert.equal(first.type, 'application/json');
  assert.equal(first.body.status, 'processed');
  assert.equal(first.body.eventType, 'order.status_changed');
  assert.match(first.body.idempotencyKey, /^sha256:[0-9a-f]{64}$/);
  const again = await post(worker, env, '/webhooks/elmed', body, headers);
  assert.deepEqual([again.status, again.body.status], [200, 'duplicate']);
  assert.equal(again.body.idempotencyKey, first.body.idempotencyKey);
});

test('refused ELMED deliveries get the contract code and status', async () => {
  const worker = await freshWorker();
  const env = baseEnv();
  const body = sample('elmed', 'prescription.issued.json');
  const headers = await signedElmed(body);
  const tampered = Buffer.concat([body.subarray(0, -2), Buffer.from(' }')]);
  assert.deepEqual(await post(worker, env, '/webhooks/elmed', tampered, headers).then((r) => [r.status, r.body]),
    [401, { error: 'signature_mismatch' }]);
  const { 'X-ELMED-Signature': _, ...unsigned } = headers;
  assert.deepEqual(await post(worker, env, '/webhooks/elmed', body, unsigned).then((r) => [r.status, r.body]),
    [401, { error: 'missing_header' }]);
  const wrongKey = (await hookseal()).sign('elmed', body, { secret: 'whsec_someone_else' });
  assert.equal((await post(worker, env, '/webhooks/elmed', body, wrongKey)).status, 401);
  const notJson = Buffer.from('event=order.status_changed');
  assert.deepEqual(await post(worker, env, '/webhooks/elmed', notJson, await signedElmed(notJson)).then((r) => [r.status, r.body]),
    [400, { error: 'invalid_json' }]);
});

test('an oversize body is refused with 413, declared or streamed', async () => {
  const worker = await freshWorker();
  const env = baseEnv();
  const big = Buffer.alloc(1024 * 1024 + 1, 0x20);
  const headers = await signedElmed(big);
  assert.deepEqual(await post(worker, env, '/webhooks/elmed', big, headers).then((r) => [r.status, r.body]),
    [413, { error: 'payload_too_large' }]);
  // Streamed (no Content-Length): refused while reading.
  const stream = new ReadableStream({
    start(controller) {
      for (let i = 0; i < 17; i++) controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      controller.close();
    },
  });
  const request = new Request('https://hooks.example/webhooks/elmed', { method: 'POST', body: stream, headers, duplex: 'half' });
  const response = await worker.fetch(request, env);
  assert.equal(response.status, 413);
  assert.deepEqual(await response.json(), { error: 'payload_too_large' });
});

test('NovaMed: the shared key, the clinic, and a KV-style store for dedupe', async () => {
  const worker = await freshWorker();
  const store = new Map();
  const kv = {
    async get(key) { return store.has(key) ? store.get(key) : null; },
    async put(key, value, options) { assert.equal(options.expirationTtl, 604800); store.set(key, value); },
    async delete(key) { store.delete(key); },
  };
  const env = { ...baseEnv(), NOVAMED_CLINIC_ID: CLINIC, SEEN_KEYS: kv };
  const body = sample('novamed', 'order.shipped.json');
  const headers = { 'content-type': 'application/json', 'x-api-key': NOVAMED_KEY };
  const first = await post(worker, env, '/webhooks/novamed', body, headers);
  assert.deepEqual([first.status, first.body.status, first.body.eventType, first.body.idempotencyKey],
    [200, 'processed', 'order:shipped', 'evt_abc123xyz']);
  assert.deepEqual([...store.keys()], ['evt_abc123xyz']);
  assert.equal((await post(worker, env, '/webhooks/novamed', body, headers)).body.status, 'duplicate');
  assert.deepEqual(await post(worker, env, '/webhooks/novamed', body, { 'x-api-key': `${NOVAMED_KEY}x` }).then((r) => [r.status, r.body]),
    [401, { error: 'key_mismatch' }]);
  const otherClinic = Buffer.from(body.toString().replace(CLINIC, '00000000-0000-0000-0000-000000000000'));
  assert.deepEqual(await post(worker, env, '/webhooks/novamed', otherClinic, headers).then((r) => [r.status, r.body]),
    [400, { error: 'clinic_mismatch' }]);
});

test('other paths and methods, and a worker without its secrets', async () => {
  const worker = await freshWorker();
  const env = baseEnv();
  assert.equal((await worker.fetch(new Request('https://hooks.example/webhooks/elmed'), env)).status, 405);
  assert.equal((await worker.fetch(new Request('https://hooks.example/nope', { method: 'POST', body: '{}' }), env)).status, 404);
  const broken = await freshWorker();
  const response = await broken.fetch(new Request('https://hooks.example/webhooks/elmed', { method: 'POST', body: '{}' }),
    { HOOKSEAL_WASM: MODULE });
  assert.equal(response.status, 500);
  assert.deepEqual(await response.json(), { error: 'misconfigured' });
});
