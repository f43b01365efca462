'use strict';
// examples/worker (a module worker over pkg-web) driven in Node with real WHATWG Requests: each test imports its own
// instance of the worker (a fresh isolate: its own verifiers and memory store) and hands it a `fetch(request, env)`
// call as a Workers runtime would, with the compiled WebAssembly module as the HOOKSEAL_WASM binding. The dedupe
// stores of examples/worker/dedupe.js run over stand-ins for their bindings: a Durable Object namespace whose
// objects take one request at a time (as the runtime's input gates make them), and a KV namespace over a Map.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const ROOT = path.join(__dirname, '..', '..', '..');
const WORKER = pathToFileURL(path.join(ROOT, 'examples', 'worker', 'worker.js'));
const DEDUPE = pathToFileURL(path.join(ROOT, 'examples', 'worker', 'dedupe.js'));
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
  assert.deepEqual([again.status, again.body], [200, { status: 'duplicate', idempotency_key: first.body.idempotencyKey }]);
  // The memory store is the isolate's own: another isolate processes the retry again (hence DEDUPE_OBJECTS).
  const elsewhere = await post(await freshWorker(), env, '/webhooks/elmed', body, headers);
  assert.equal(elsewhere.body.status, 'processed');
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

/** A Durable Object namespace stand-in: one DedupeObject per name, each taking one request at a time. */
async function objectNamespace() {
  const { DedupeObject } = await import(DEDUPE);
  const objects = new Map();
  return {
    objects,
    idFromName: (name) => `id:${name}`,
    get(id) {
      if (!objects.has(id)) {
        const data = new Map();
        const storage = {
          async get(key) { return structuredClone(data.get(key)); },
          async put(key, value) { data.set(key, structuredClone(value)); },
          async delete(key) { return data.delete(key); },
          async setAlarm() {},
        };
        objects.set(id, { object: new DedupeObject({ storage }), queue: Promise.resolve(), data });
      }
      const entry = objects.get(id);
      return {
        fetch(url, init) {
          const run = entry.queue.then(() => entry.object.fetch(new Request(url, init)));
          entry.queue = run.catch(() => {});
          return run;
        },
      };
    },
  };
}

/** A KV namespace stand-in over a Map (strongly consistent, unlike the real one). */
function kvNamespace() {
  const data = new Map();
  return {
    data,
    async get(key, options) {
      if (!data.has(key)) return null;
      return options && options.type === 'json' ? JSON.parse(data.get(key).value) : data.get(key).value;
    },
    async put(key, value, options) { data.set(key, { value, ttl: options && options.expirationTtl }); },
    async delete(key) { data.delete(key); },
  };
}

test('NovaMed: the shared key and the clinic', async () => {
  const worker = await freshWorker();
  const env = { ...baseEnv(), NOVAMED_CLINIC_ID: CLINIC };
  const body = sample('novamed', 'order.shipped.json');
  const headers = { 'content-type': 'application/json', 'x-api-key': NOVAMED_KEY };
  const first = await post(worker, env, '/webhooks/novamed', body, headers);
  assert.deepEqual([first.status, first.body.status, first.body.eventType, first.body.idempotencyKey],
    [200, 'processed', 'order:shipped', 'evt_abc123xyz']);
  assert.deepEqual((await post(worker, env, '/webhooks/novamed', body, headers)).body,
    { status: 'duplicate', idempotency_key: 'evt_abc123xyz' });
  assert.deepEqual(await post(worker, env, '/webhooks/novamed', body, { 'x-api-key': `${NOVAMED_KEY}x` }).then((r) => [r.status, r.body]),
    [401, { error: 'key_mismatch' }]);
  const otherClinic = Buffer.from(body.toString().replace(CLINIC, '00000000-0000-0000-0000-000000000000'));
  assert.deepEqual(await post(worker, env, '/webhooks/novamed', otherClinic, headers).then((r) => [r.status, r.body]),
    [400, { error: 'clinic_mismatch' }]);
});

test('DEDUPE_OBJECTS: one Durable Object per key, shared by every isolate; a copy in progress elsewhere is 503', async () => {
  const objects = await objectNamespace();
  const env = { ...baseEnv(), DEDUPE_OBJECTS: objects };
  const body = sample('elmed', 'order.status_changed.json');
  const headers = await signedElmed(body);
  const [a, b] = [await freshWorker(), await freshWorker()];
  const first = await post(a, env, '/webhooks/elmed', body, headers);
  assert.equal(first.body.status, 'processed');
  assert.deepEqual(await post(b, env, '/webhooks/elmed', body, headers).then((r) => [r.status, r.body]),
    [200, { status: 'duplicate', idempotency_key: first.body.idempotencyKey }], 'another isolate knows it');
  assert.equal(objects.objects.size, 1);
  const [{ data }] = objects.objects.values();
  assert.deepEqual(Object.keys(data.get('record')).sort(), ['expiresAt', 'state'], 'states and times only');
  // Another isolate holds a key (its claim taken through the same objects): this copy is told to come back.
  const { durableObjectStore } = await import(DEDUPE);
  const other = durableObjectStore(objects, { lease: 45 });
  const busyBody = sample('elmed', 'prescription.issued.json');
  const held = await other.claim('elmed', await keyOf(busyBody));
  assert.equal(held.status, 'claimed');
  const request = new Request('https://hooks.example/webhooks/elmed', { method: 'POST', body: busyBody, headers: await signedElmed(busyBody) });
  const busy = await a.fetch(request, env);
  assert.deepEqual([busy.status, await busy.json(), busy.headers.get('retry-after')], [503, { error: 'in_progress' }, '45']);
  assert.equal(await other.release(held), true);
  assert.equal((await post(b, env, '/webhooks/elmed', busyBody, await signedElmed(busyBody))).body.status, 'processed');
  // Twenty copies at once over two isolates: the objects take one request at a time, so exactly one is processed.
  const burst = sample('elmed', 'claim.decision.json');
  const burstHeaders = await signedElmed(burst);
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => post(i % 2 ? a : b, env, '/webhooks/elmed', burst, burstHeaders)));
  const statuses = answers.map((r) => r.body.status ?? r.body.error);
  assert.equal(statuses.filter((s) => s === 'processed').length, 1, statuses.join(' '));
});

async function keyOf(body) {
  const { Verifier, sign } = await hookseal();
  const verifier = new Verifier('elmed', { secret: ELMED_SECRET });
  return verifier.verify(body, sign('elmed', body, { secret: ELMED_SECRET })).idempotencyKey;
}

test('DEDUPE_KV: processed once, then duplicate; keys stored as digests with a TTL', async () => {
  const kv = kvNamespace();
  const env = { ...baseEnv(), DEDUPE_KV: kv };
  const body = sample('novamed', 'order.shipped.json');
  const headers = { 'content-type': 'application/json', 'x-api-key': NOVAMED_KEY };
  assert.equal((await post(await freshWorker(), env, '/webhooks/novamed', body, headers)).body.status, 'processed');
  assert.deepEqual((await post(await freshWorker(), env, '/webhooks/novamed', body, headers)).body,
    { status: 'duplicate', idempotency_key: 'evt_abc123xyz' });
  const [[name, record]] = kv.data.entries();
  assert.match(name, /^[0-9a-f]{64}$/, 'the key is stored as its SHA-256');
  assert.equal(JSON.parse(record.value).state, 'done');
  assert.equal(record.ttl, 604800);
});

test('DEDUPE: an object of your own; when it fails, 503 store_unavailable (Retry-After: 5) and nothing runs', async () => {
  const calls = [];
  const own = {
    async claim(namespace, key) { calls.push(['claim', namespace, key]); return { status: 'claimed', key }; },
    async complete(claim) { calls.push(['complete', claim.key]); return true; },
    async release(claim) { calls.push(['release', claim.key]); return true; },
  };
  const body = sample('elmed', 'order.status_changed.json');
  const headers = await signedElmed(body);
  const first = await post(await freshWorker(), { ...baseEnv(), DEDUPE: own }, '/webhooks/elmed', body, headers);
  assert.deepEqual(calls, [['claim', 'elmed', first.body.idempotencyKey], ['complete', first.body.idempotencyKey]]);
  const down = { ...own, claim: async () => { throw new Error('the Durable Object is unreachable'); } };
  const warned = [];
  const warn = console.warn;
  console.warn = (...args) => warned.push(args.join(' '));
  let response;
  try {
    response = await (await freshWorker()).fetch(
      new Request('https://hooks.example/webhooks/elmed', { method: 'POST', body, headers }), { ...baseEnv(), DEDUPE: down });
  } finally {
    console.warn = warn;
  }
  assert.deepEqual([response.status, await response.json(), response.headers.get('retry-after')], [503, { error: 'store_unavailable' }, '5']);
  assert.match(warned.join('\n'), /refused a delivery from elmed \(POST \/webhooks\/elmed\): store_unavailable: the store's claim\(\) failed: the Durable Object is unreachable/);
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
