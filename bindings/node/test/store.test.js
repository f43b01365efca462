'use strict';
// The dedupe store through the napi addon: every scenario of tests/vectors/store/scenarios.json (store-suite.js) on
// memory:, a fresh SQLite file and the test Redis ($HOOKSEAL_TEST_REDIS_URL, started by scripts/with-redis.sh:
// required), the `urls` and `unreachable` sections, the JavaScript API around it, and that no call ever holds the
// JavaScript thread (a Redis paused by CLIENT PAUSE while the event loop keeps ticking and serving).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { inspect } = require('node:util');

const hookseal = require('hookseal');
const { Store, Claim, StoreError, ConfigError, HooksealError, VerificationError } = hookseal;
const suite = require('./store-suite.js');

const ROOT = path.join(__dirname, '..', '..', '..');
const DOC = suite.load(JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'vectors', 'store', 'scenarios.json'), 'utf8')), assert);
const REDIS_URL = process.env.HOOKSEAL_TEST_REDIS_URL;
const DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'hookseal-store-test-'));
process.on('exit', () => fs.rmSync(DIR, { recursive: true, force: true }));

const rejection = async (promise) => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('resolved, expected a rejection');
};
const namespace = () => `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

test('the test Redis is given (scripts/with-redis.sh sets HOOKSEAL_TEST_REDIS_URL; make test runs under it)', () => {
  assert.ok(REDIS_URL, 'HOOKSEAL_TEST_REDIS_URL is not set: run under scripts/with-redis.sh (scripts/with-redis.sh make test-node)');
});

const BACKENDS = [
  ['memory', () => 'memory:'],
  ['sqlite', () => `sqlite://${path.join(DIR, 'scenarios.db')}`],
  ['redis', () => {
    assert.ok(REDIS_URL, 'HOOKSEAL_TEST_REDIS_URL is not set: run under scripts/with-redis.sh');
    return REDIS_URL;
  }],
];

let ran = 0;
for (const [backend, url] of BACKENDS) {
  for (const scenario of DOC.scenarios) {
    test(`scenario ${scenario.name} on ${backend}`, async () => {
      assert.ok((await suite.runScenario(hookseal, scenario, url(), assert)) > 0);
      ran += 1;
    });
  }
}
test('every scenario ran on every backend', () => {
  assert.equal(ran, DOC.scenarios.length * BACKENDS.length);
});

for (const c of DOC.urls) {
  test(`url ${c.name}`, () => suite.checkUrl(hookseal, c, assert));
}

for (const c of DOC.unreachable) {
  test(`unreachable ${c.name}: store_unavailable, fast, no secret`, () => suite.checkUnreachable(hookseal, c, assert));
}

test('StoreError is a HooksealError: store_unavailable, 503', async () => {
  const error = await rejection(new Store('redis://:hunter2@127.0.0.1:1/0').claim('elmed', 'evt'));
  assert.ok(error instanceof StoreError && error instanceof HooksealError && error instanceof Error);
  assert.ok(!(error instanceof VerificationError) && !(error instanceof ConfigError));
  assert.equal(error.name, 'StoreError');
  assert.deepEqual([error.code, error.httpStatus], ['store_unavailable', 503]);
  assert.match(error.message, /^store_unavailable: /);
  for (const shown of [error.message, error.stack, inspect(error), JSON.stringify(error), error.detail]) {
    assert.doesNotMatch(shown, /hunter2/);
  }
  assert.equal(new StoreError('store_unavailable', 'down').httpStatus, 503);
});

test('a password never shows: url, inspect, JSON, configuration errors', () => {
  const store = new Store('rediss://app:hunter2@db.example:6380/1?lease=5');
  assert.equal(store.url, 'rediss://***@db.example:6380/1?lease=5');
  assert.equal(store.backend, 'redis');
  assert.equal(inspect(store), "Store { backend: 'redis', url: 'rediss://***@db.example:6380/1?lease=5' }");
  assert.deepEqual(JSON.parse(JSON.stringify(store)),
    { backend: 'redis', url: 'rediss://***@db.example:6380/1?lease=5', lease: 5, retention: 604800 });
  assert.doesNotMatch(inspect(store, { showHidden: true, depth: 5 }), /hunter2/);
  for (const url of ['redis://:hunter2@/0', 'redis://:hunter2@127.0.0.1:6379/0?timeout=5', 'mysql://root:hunter2@db/app',
    'redis://:hunter2@127.0.0.1:notaport/0']) {
    assert.throws(() => new Store(url), (error) => error instanceof ConfigError && error.code === 'invalid_option' &&
      !`${error.message} ${error.stack} ${inspect(error)}`.includes('hunter2'));
  }
});

test('options: lease and retention in seconds; anything else is invalid_option; the URL is a string', () => {
  const store = new Store('memory:', { lease: 1.5, retention: 30 });
  assert.deepEqual([store.lease, store.retention, store.backend, store.url], [1.5, 30, 'memory', 'memory:']);
  assert.deepEqual([new Store('memory:').lease, new Store('memory:', { lease: null }).retention], [60, 604800]);
  assert.deepEqual([new Store('memory:?lease=2').lease, new Store('memory:?retention=0.5').retention], [2, 0.5]);
  const refused = (fn) => assert.throws(fn, (e) => e instanceof ConfigError && e.code === 'invalid_option' && e.httpStatus === 500);
  refused(() => new Store('memory:', { ttl: 5 }));
  refused(() => new Store('memory:', { lease: '5' }));
  refused(() => new Store('memory:', { lease: NaN }));
  refused(() => new Store('memory:', { retention: Infinity }));
  refused(() => new Store('memory:', { lease: 0 }));
  refused(() => new Store('memory:?lease=2', { lease: 2 }));
  assert.throws(() => new Store(), TypeError);
  assert.throws(() => new Store(new URL('redis://127.0.0.1:6379/0')), TypeError);
  assert.throws(() => new Store('memory:', 60), TypeError);
});

test('a key is a string or bytes: the same bytes are the same key', async () => {
  const store = new Store('memory:');
  const ns = namespace();
  assert.equal((await store.claim(ns, 'évt_1')).status, 'claimed');
  assert.equal((await store.claim(ns, Buffer.from('évt_1'))).status, 'in_progress');
  assert.equal((await store.claim(ns, new TextEncoder().encode('évt_1').buffer)).status, 'in_progress');
  assert.equal((await store.claim(ns, new DataView(new TextEncoder().encode('évt_1').buffer))).status, 'in_progress');
  assert.equal((await store.claim(ns, new Uint8Array([0, 255, 0]))).status, 'claimed');
  assert.ok((await rejection(store.claim(ns, 42))) instanceof TypeError);
  assert.ok((await rejection(store.claim(ns, null))) instanceof TypeError);
  assert.ok((await rejection(store.claim(undefined, 'k'))) instanceof TypeError);
  const bad = await rejection(store.claim('', 'k'));
  assert.ok(bad instanceof ConfigError && bad.code === 'invalid_option');
});

test('a Claim: status, retryAfter, namespace; frozen; made only by claim(); only a claimed one settles', async () => {
  const store = new Store('memory:', { lease: 30 });
  const ns = namespace();
  const claim = await store.claim(ns, 'evt');
  assert.ok(claim instanceof Claim);
  assert.deepEqual({ ...claim }, { status: 'claimed', retryAfter: null, namespace: ns });
  assert.ok(Object.isFrozen(claim));
  assert.equal(inspect(claim, { breakLength: Infinity }), `Claim { status: 'claimed', retryAfter: null, namespace: '${ns}' }`);
  const busy = await store.claim(ns, 'evt');
  assert.deepEqual({ ...busy }, { status: 'in_progress', retryAfter: 30, namespace: ns });
  await assert.rejects(store.complete(busy), /takes a claim whose status is 'claimed', not 'in_progress'/);
  await assert.rejects(store.release({ status: 'claimed' }), TypeError);
  assert.throws(() => new Claim(), TypeError);
  assert.equal(await store.complete(claim), true);
  const again = await store.claim(ns, 'evt');
  assert.deepEqual([again.status, again.retryAfter], ['duplicate', null]);
  await assert.rejects(store.release(again), TypeError);
  // A claim handed to another store does not hold anything there.
  const other = new Store('memory:');
  const mine = await other.claim(ns, 'evt2');
  assert.equal(await store.complete(mine), false);
  assert.equal(await other.complete(mine), true);
});

for (const [backend, url] of BACKENDS.slice(1)) {
  test(`${backend}: two stores on one database, 40 copies of one delivery at once: exactly one is claimed`, async () => {
    const a = new Store(url());
    const b = new Store(url());
    const ns = namespace();
    const claims = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).claim(ns, 'evt_concurrent')));
    const statuses = claims.map((c) => c.status);
    assert.equal(statuses.filter((s) => s === 'claimed').length, 1, statuses.join(' '));
    assert.equal(statuses.filter((s) => s === 'in_progress').length, 39);
    const winner = claims.find((c) => c.status === 'claimed');
    const holder = claims.indexOf(winner) % 2 ? a : b;
    assert.equal(await (holder === a ? b : a).complete(winner), true, 'any store on the database completes it');
    assert.equal((await a.claim(ns, 'evt_concurrent')).status, 'duplicate');
    assert.equal((await b.claim(ns, 'evt_concurrent')).status, 'duplicate');
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Off the main thread: the addon computes every call on libuv's pool. While Redis is paused (CLIENT PAUSE, so the
// claim waits on the network until its 1 s timeout), the event loop keeps running timers and serving requests.

/** Sends one command to Redis as RESP over a raw socket and resolves with the first reply line. */
function redisCommand(url, ...args) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
    socket.on('data', (text) => {
      reply += text;
      if (reply.includes('\r\n')) {
        socket.end();
        resolve(reply.split('\r\n')[0]);
      }
    });
    socket.on('error', reject);
  });
}

test('a claim waiting on a paused Redis never holds the JavaScript thread: timers tick, requests are served', async () => {
  assert.ok(REDIS_URL, 'HOOKSEAL_TEST_REDIS_URL is not set: run under scripts/with-redis.sh');
  const store = new Store(REDIS_URL);
  const ns = namespace();
  assert.equal((await store.claim(ns, 'warm-up')).status, 'claimed'); // the connection is open before the pause
  const server = http.createServer((req, res) => res.end('served'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  let ticks = 0;
  const timer = setInterval(() => {
    ticks += 1;
  }, 10);
  try {
    assert.equal(await redisCommand(REDIS_URL, 'CLIENT', 'PAUSE', '2000', 'ALL'), '+OK');
    const pausedAt = Date.now();
    let settled = false;
    const pending = store.claim(ns, 'during-the-pause').then(
      (claim) => ({ claim }),
      (error) => ({ error }),
    ).finally(() => {
      settled = true;
    });
    // While the claim waits, this process answers HTTP (the request goes out and back through the event loop).
    const answer = await fetch(`http://127.0.0.1:${server.address().port}/`).then((r) => r.text());
    assert.equal(answer, 'served');
    assert.equal(settled, false, 'the HTTP request was served while the claim was still waiting');
    const ticksBefore = ticks;
    const outcome = await pending;
    if (process.env.HOOKSEAL_TEST_VERBOSE) console.log('paused claim:', outcome, Date.now() - pausedAt);
    const waited = Date.now() - pausedAt;
    assert.ok(waited >= 700, `the claim waited ${waited} ms: Redis was paused`);
    assert.ok(ticks - ticksBefore >= 20, `only ${ticks - ticksBefore} ticks of a 10 ms timer in ${waited} ms`);
    // The command timeout (1 s) ends the wait before the 2 s pause does: fail closed, and in bounded time.
    assert.ok(outcome.error instanceof StoreError, `resolved with ${inspect(outcome.claim)} during the pause`);
    assert.ok(waited < 1900, `the claim waited ${waited} ms: longer than its timeout`);
    // Once the pause is over, the same store works again.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 2100 - (Date.now() - pausedAt))));
    assert.equal((await store.claim(ns, 'after-the-pause')).status, 'claimed');
  } finally {
    clearInterval(timer);
    server.close();
  }
});
