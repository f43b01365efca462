'use strict';
// `verifyAsync` (the WASM build's own: bindings/wasm/async.js) against `verify`, in Node over pkg-node: every
// conformance vector both ways (WebCrypto hashing whatever the size, then the threshold as shipped), large deliveries
// genuine and not (async-suite.js, which the browser page runs over pkg-web too), and what the glue hands WebCrypto.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { inspect } = require('node:util');

const PKG = path.join(__dirname, '..');
const build = require(path.join(PKG, 'pkg-node'));
const native = require(path.join(PKG, 'pkg-node', 'native.js'));
const { setAsyncMinBytes, ASYNC_MIN_BYTES } = require(path.join(PKG, 'pkg-node', 'async.js'));
const suite = require(path.join(PKG, '..', 'node', 'test', 'vector-suite.js'));
const { runVector, runLarge, runHostJson } = require('./async-suite.js');
const VECTORS = path.join(PKG, '..', '..', 'tests', 'vectors');

function readCases() {
  const read = (file) => JSON.parse(fs.readFileSync(path.join(VECTORS, file), 'utf8'));
  const onDisk = fs.readdirSync(VECTORS).filter((f) => f.endsWith('.json') && f !== 'manifest.json');
  return suite.loadCases(read('manifest.json'), onDisk, Object.fromEntries(onDisk.map((f) => [f, read(f)])), assert);
}

test('every vector: verifyAsync gives what verify gives, through WebCrypto and as shipped', async () => {
  const cases = readCases();
  assert.ok(cases.length >= 300);
  for (const c of cases) await runVector(build, suite, setAsyncMinBytes, c, assert);
});

test('large deliveries: verifyAsync gives what verify gives', async () => {
  const results = await runLarge(build, assert);
  assert.ok(results.length >= 35, `${results.length} cases`);
  assert.ok(results.filter(([, kind]) => kind === 'event').length >= 15);
});

test('data found by the structural scan, judged by JSON.parse: verifyAsync gives what verify gives', async () => {
  const seen = [];
  const original = native.NativeVerifier.prototype.verifyWithTags;
  native.NativeVerifier.prototype.verifyWithTags = function spy(...args) {
    try {
      const out = original.apply(this, args);
      seen.push([args[5], out[2]]);
      return out;
    } catch (error) {
      seen.push([args[5], 'threw']);
      throw error;
    }
  };
  let results;
  try {
    results = await runHostJson(build, setAsyncMinBytes, assert);
  } finally {
    native.NativeVerifier.prototype.verifyWithTags = original;
  }
  const count = (kind) => results.filter(([, outcome]) => outcome === kind).length;
  assert.ok(results.length >= 1400, `${results.length} cases`);
  assert.ok(count('event') >= 600, `${count('event')} verified`);
  assert.ok(count('invalid_json') >= 300, `${count('invalid_json')} refused as invalid JSON`);
  // The module was handed JSON.parse's verdict: true for the bodies JSON.parse took, false for the others (the
  // module's own parse). Every body both took was answered as expected: an object or array data by the structural
  // scan, which found where it ends (the module's own check, after the scan gave up or erred, would give the same
  // verdict and hide a wrong end), anything else checked by the module.
  assert.equal(seen.length, results.length);
  results.forEach(([name, outcome, expected], i) => {
    const [parsed, path] = seen[i];
    if (parsed && outcome === 'event') assert.equal(path, expected, `${name}: verified, but not as expected`);
    if (!parsed) assert.ok(path === 'parse' || path === 'threw', `${name}: ${path}`);
  });
  assert.ok(seen.filter(([parsed, path]) => parsed && path === 'scan').length >= 500);
  assert.ok(seen.filter(([parsed, path]) => parsed && path === 'validated').length >= 50);
  assert.ok(seen.filter(([parsed]) => parsed === false).length >= 200);
});

test('the threshold is 16 KiB, and the glue reads its arguments as verify does', async () => {
  assert.equal(ASYNC_MIN_BYTES, 16 * 1024);
  const verifier = new build.Verifier('elmed', { secret: 'whsec_threshold' });
  assert.equal(typeof verifier.verifyAsync, 'function');
  assert.equal(Object.keys(build).includes('verifyAsync'), false, 'a method, not an export');
  await assert.rejects(verifier.verifyAsync(new Uint8Array(20), { 'X-ELMED-Signature': 'sha256=' + '0'.repeat(64) }),
    (error) => error instanceof build.VerificationError && error.code === 'signature_mismatch');
});

test('each secret\'s key is handed out once, its bytes as configured; nothing secret is shown', async () => {
  const secrets = ['whsec_first_async_secret', 'whsec_second_async_secret'];
  const verifier = new native.NativeVerifier('elmed', { secrets });
  const keys = verifier.takeMacKeys();
  assert.deepEqual(keys.map((key) => new TextDecoder().decode(key)), secrets);
  assert.deepEqual(verifier.takeMacKeys(), [], 'a second call gives nothing');
  const sw = new native.NativeVerifier('standard-webhooks', { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
  assert.deepEqual(Buffer.from(sw.takeMacKeys()[0]).toString('base64'), 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  assert.deepEqual(new native.NativeVerifier('novamed', { secret: 'nm_async_key' }).takeMacKeys(), []);

  const glue = new build.Verifier('elmed', { secrets });
  const body = new TextEncoder().encode(`{"event": "x", "data": {"pad": "${'a'.repeat(20_000)}"}}`);
  const headers = build.sign('elmed', body, { secret: secrets[1] });
  await glue.verifyAsync(body, headers);
  const bad = await glue.verifyAsync(body, { 'X-ELMED-Signature': `sha256=${'1'.repeat(64)}` }).catch((e) => e);
  for (const shown of [inspect(glue), JSON.stringify(glue), bad.message, inspect(bad)]) {
    for (const secret of secrets) assert.ok(!shown.includes(secret), shown);
  }
});

test('the tags must be 32 bytes each, the digest 32 bytes: anything else is refused, never padded', () => {
  const verifier = new native.NativeVerifier('elmed', { secret: 'whsec_tags' });
  const body = new TextEncoder().encode('{"event": "x", "data": {}}');
  const flat = ['x-elmed-signature', build.sign('elmed', body, { secret: 'whsec_tags' })['X-ELMED-Signature']];
  assert.throws(() => verifier.verifyWithTags(body, flat, undefined, new Uint8Array(31), undefined, false), /32 bytes/);
  assert.throws(() => verifier.verifyWithTags(body, flat, undefined, new Uint8Array(32), new Uint8Array(31), false),
    /32 bytes/);
  assert.throws(() => verifier.verifyWithTags(body, flat, undefined, new Uint8Array(0), undefined, false),
    (error) => error.code === 'signature_mismatch');
  assert.deepEqual(verifier.macPrefix(flat), new Uint8Array(0));
});
