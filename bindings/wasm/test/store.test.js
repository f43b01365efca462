'use strict';
// The dedupe store in the WASM build (pkg-node): every scenario of tests/vectors/store/scenarios.json on memory:
// through the shared suite (bindings/node/test/store-suite.js, as the napi addon runs it on every backend); the
// `urls` and `unreachable` sections, where a SQLite or Redis URL the native build opens is refused here
// (ConfigError invalid_option, saying to pass a store object instead, never with the URL's password); the clock
// being JavaScript's Date.now(); and the helpers over it.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { inspect } = require('node:util');

const ROOT = path.join(__dirname, '..', '..', '..');
const wasm = require(path.join(__dirname, '..', 'pkg-node'));
const fetchHelpers = require(path.join(__dirname, '..', 'pkg-node', 'fetch.js'));
const suite = require(path.join(ROOT, 'bindings', 'node', 'test', 'store-suite.js'));

const DOC = suite.load(JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'vectors', 'store', 'scenarios.json'), 'utf8')), assert);
const { Store, Claim, StoreError, ConfigError, HooksealError, Verifier, sign } = wasm;

let ran = 0;
for (const scenario of DOC.scenarios) {
  test(`scenario ${scenario.name} on memory (WASM)`, async () => {
    assert.ok((await suite.runScenario(wasm, scenario, 'memory:', assert)) > 0);
    ran += 1;
  });
}
test('every scenario ran', () => assert.equal(ran, DOC.scenarios.length));

for (const c of DOC.urls) {
  test(`url ${c.name} (WASM: SQLite and Redis URLs are invalid_option)`, () => suite.checkUrl(wasm, c, assert, { memoryOnly: true }));
}

for (const c of DOC.unreachable) {
  test(`unreachable ${c.name} (WASM: refused when opened)`, () => suite.checkUnreachable(wasm, c, assert, { memoryOnly: true }));
}

test('a SQLite or Redis URL says what to do instead, and never shows its password', () => {
  for (const url of ['redis://:hunter2@127.0.0.1:6379/0', 'rediss://app:hunter2@db:6380/1', 'sqlite:///var/lib/app/h.db']) {
    assert.throws(() => new Store(url), (error) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.code, 'invalid_option');
      assert.match(error.message, /only the memory: store\. In WebAssembly, to share a store between isolates or hosts, pass the helpers an object with async claim\(namespace, key\), complete\(claim\) and release\(claim\)/);
      assert.doesNotMatch(`${error.message} ${error.stack} ${inspect(error)}`, /hunter2/);
      return true;
    });
  }
  // A malformed memory: URL keeps the core's own message.
  assert.throws(() => new Store('memory:?lease=abc'), /the store URL's lease must be a number of seconds/);
});

test('the same API as the addon: Store, Claim, StoreError; the glue is the addon\'s', async () => {
  const store = new Store('memory:?lease=5', { retention: 10 });
  assert.deepEqual([store.backend, store.url, store.lease, store.retention], ['memory', 'memory:?lease=5', 5, 10]);
  assert.equal(inspect(store), "Store { backend: 'memory', url: 'memory:?lease=5' }");
  const claim = await store.claim('elmed', Buffer.from('evt_1'));
  assert.ok(claim instanceof Claim);
  assert.deepEqual({ ...claim }, { status: 'claimed', retryAfter: null, namespace: 'elmed' });
  assert.deepEqual({ ...(await store.claim('elmed', 'evt_1')) }, { status: 'in_progress', retryAfter: 5, namespace: 'elmed' });
  assert.equal(await store.complete(claim), true);
  assert.equal(await store.release(claim), false);
  assert.equal((await store.claim('elmed', 'evt_1')).status, 'duplicate');
  await assert.rejects(store.claim('no spaces', 'k'), (e) => e instanceof ConfigError && e.code === 'invalid_option');
  await assert.rejects(store.complete({ status: 'claimed' }), TypeError);
  const error = new StoreError('store_unavailable', 'down');
  assert.ok(error instanceof HooksealError);
  assert.equal(error.httpStatus, 503);
  const shipped = fs.readFileSync(path.join(__dirname, '..', 'pkg-node', 'once.js'), 'utf8');
  const glue = fs.readFileSync(path.join(ROOT, 'bindings', 'node', 'once.js'), 'utf8');
  assert.ok(shipped.endsWith(glue.replace(/^'use strict';\n/, '')), 'pkg-node/once.js is bindings/node/once.js');
});

test("the memory store's clock is JavaScript's Date.now() (the target has none of its own)", async () => {
  const realNow = Date.now;
  let now = realNow();
  Date.now = () => now;
  try {
    const store = new Store('memory:', { lease: 60, retention: 3600 });
    const first = await store.claim('elmed', 'evt_clock');
    assert.equal(first.status, 'claimed');
    now += 30_500;
    assert.equal((await store.claim('elmed', 'evt_clock')).retryAfter, 30);
    now += 30_000; // the lease ran out by the JavaScript clock: its worker is taken to have died
    const takeover = await store.claim('elmed', 'evt_clock');
    assert.equal(takeover.status, 'claimed');
    assert.equal(await store.complete(first), false);
    assert.equal(await store.complete(takeover), true);
    now += 3_599_000;
    assert.equal((await store.claim('elmed', 'evt_clock')).status, 'duplicate');
    now += 2_000; // the retention ran out: forgotten
    assert.equal((await store.claim('elmed', 'evt_clock')).status, 'claimed');
  } finally {
    Date.now = realNow;
  }
});

test('webhookHandler over the WASM memory store: processed once, then duplicate', async () => {
  const verifier = new Verifier('elmed', { secret: 's3cret' });
  const store = new Store('memory:');
  let runs = 0;
  const handle = fetchHelpers.webhookHandler(verifier, () => {
    runs += 1;
    return Response.json({ status: 'processed' });
  }, { store });
  const body = '{"event":"order.status_changed","data":{"order_id":1}}';
  const headers = sign('elmed', body, { secret: 's3cret' });
  const send = () => handle(new Request('https://hooks.example/', { method: 'POST', body, headers }));
  assert.equal((await send()).status, 200);
  const again = await send();
  assert.equal(again.status, 200);
  assert.equal(await again.text(), `{"status":"duplicate","idempotency_key":"${verifier.verify(body, headers).idempotencyKey}"}`);
  assert.equal(runs, 1);
});
