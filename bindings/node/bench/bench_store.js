'use strict';
/**
 * What exactly-once costs per delivery from Node: `claim` + `complete` of a fresh key on each backend, next to
 * `verify()` alone and `verify()` + `claim` + `complete` (what `webhook(verifier, { store })` and
 * `webhookHandler(verifier, handler, { store })` do around a handler). The same cases as
 * bindings/python/bench/bench_store.py.
 *
 * Backends: `memory:`, SQLite on disk (a file in a fresh temporary directory: WAL, synchronous=NORMAL, one connection
 * per Store) and Redis on loopback ($HOOKSEAL_TEST_REDIS_URL: run under scripts/with-redis.sh; required). Every
 * delivery claims a key never claimed before (a fresh namespace per run), so each claim takes the write path, as a
 * first delivery does; `duplicate` rows time the claim of a key that is done (a retry). The body is a 1 KiB ELMED
 * delivery (its key is the body's SHA-256, computed by `verify`); bodies and headers are made before the clock runs.
 *
 * Every SQLite and Redis call is a Promise computed on libuv's thread pool (4 threads by default; `memory:` answers
 * at once, as it never blocks): "one at a time" awaits each
 * call before the next (a receiver's one delivery, its latency); "16 in flight" keeps 16 deliveries going at once
 * (a busy receiver: the pool overlaps their waits; time per delivery = wall time / deliveries). The first row is the
 * floor under every store call: one round trip through the pool, made by Node's own crypto.randomFill (a claim and
 * a complete are two of them, whatever the backend).
 *
 * Each case is calibrated once (a batch that takes at least 0.2 s), then every case runs RUNS times, alternating, so
 * that the machine's noise hits them alike. The table shows the median time per delivery and the run-to-run range.
 *
 * Each timed batch ends with a full GC and a turn of the event loop, so that the finalizers of the addon's objects
 * (run on the main thread after a GC) are paid by the case that made them, not by the next one.
 *
 * Run: `make bench-store`, or `scripts/with-redis.sh node --expose-gc bindings/node/bench/bench_store.js`.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// This repository's build (`make node`): `require('hookseal')` would not resolve here, bench/ having a package.json of
// its own (the pinned peers of bench_verify.js).
const ROOT = path.join(__dirname, '..', '..', '..');
const { Store, Verifier, sign } = require(ROOT);

const SECRET = 'whsec_elmed_bench_0123456789abcdef';
const RUNS = 7;
const MIN_SECONDS = 0.2;
const IN_FLIGHT = 16;

function bodyOfAbout(size, n) {
  const envelope = { event: 'order.status_changed', timestamp: '2026-03-29T14:00:00', data: { order_number: `ORD-${n}`, note: '' } };
  envelope.data.note = 'x'.repeat(Math.max(0, size - Buffer.byteLength(JSON.stringify(envelope))));
  return Buffer.from(JSON.stringify(envelope));
}

let deliveryNumber = 0;
/** `count` fresh signed deliveries (never seen by any store). */
function deliveries(count) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const body = bodyOfAbout(1024, `${process.pid}-${Date.now()}-${deliveryNumber++}`);
    out.push([body, sign('elmed', body, { secret: SECRET })]);
  }
  return out;
}

let namespaceNumber = 0;
const freshNamespace = () => `bench-${process.pid}-${Date.now().toString(36)}-${namespaceNumber++}`;

async function claimComplete(store, namespace, key) {
  const claim = await store.claim(namespace, key);
  if (claim.status !== 'claimed') throw new Error(`expected claimed, got ${claim.status}`);
  if (!(await store.complete(claim))) throw new Error('complete did not act');
}

/** Runs `one(i)` for i in 0..n, `parallel` at a time; resolves when all are done. */
async function drive(n, parallel, one) {
  if (parallel === 1) {
    for (let i = 0; i < n; i++) await one(i);
    return;
  }
  let next = 0;
  const worker = async () => {
    while (next < n) await one(next++);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

/**
 * A case: `prepare(n)` makes what a batch of n deliveries needs (untimed), `batch(prepared, n)` does them.
 */
function storeCase(name, store, { parallel = 1, verify = false, duplicate = false } = {}) {
  const verifier = new Verifier('elmed', { secret: SECRET });
  return {
    name,
    async prepare(n) {
      const namespace = freshNamespace();
      if (!verify && !duplicate) return { namespace, keys: Array.from({ length: n }, (_, i) => `evt_${i}`) };
      const made = deliveries(n);
      if (duplicate) {
        const keys = made.map(([body, headers]) => verifier.verify(body, headers).idempotencyKey);
        for (const key of keys) await claimComplete(store, namespace, key);
        return { namespace, keys };
      }
      return { namespace, made };
    },
    async batch({ namespace, keys, made }, n) {
      if (duplicate) {
        await drive(n, parallel, async (i) => {
          if ((await store.claim(namespace, keys[i])).status !== 'duplicate') throw new Error('expected duplicate');
        });
      } else if (verify) {
        await drive(n, parallel, (i) => claimComplete(store, namespace, verifier.verify(made[i][0], made[i][1]).idempotencyKey));
      } else {
        await drive(n, parallel, (i) => claimComplete(store, namespace, keys[i]));
      }
    },
  };
}

function verifyCase() {
  const verifier = new Verifier('elmed', { secret: SECRET });
  return {
    name: 'verify() alone',
    async prepare(n) {
      return deliveries(n);
    },
    async batch(made, n) {
      let sink = 0;
      for (let i = 0; i < n; i++) sink += verifier.verify(made[i][0], made[i][1]).idempotencyKey.length;
      if (sink === 0) throw new Error('no work');
    },
  };
}

/** The floor every store call stands on: one round trip through libuv's pool, as Node's own crypto and fs make it. */
function poolHopCase() {
  const crypto = require('node:crypto');
  const one = Buffer.alloc(1);
  return {
    name: "reference: one libuv pool round trip (crypto.randomFill of 1 byte)",
    async prepare() {
      return null;
    },
    async batch(_, n) {
      for (let i = 0; i < n; i++) await new Promise((resolve, reject) => crypto.randomFill(one, (e) => (e ? reject(e) : resolve())));
    },
  };
}

async function timeBatch(c, n) {
  const prepared = await c.prepare(n);
  await settle(); // the garbage of what ran before is not this case's
  const started = process.hrtime.bigint();
  await c.batch(prepared, n);
  await settle(); // and this case's own is: the addon's objects are finalized on the main thread, after a GC
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** A full GC, then a turn of the event loop, where napi runs the finalizers of the objects the GC collected. */
async function settle() {
  global.gc();
  await new Promise((resolve) => setImmediate(resolve));
}

async function calibrate(c) {
  for (let n = 1; ; n *= 2) {
    const seconds = await timeBatch(c, n);
    if (seconds >= MIN_SECONDS || n >= 1 << 17) return Math.max(1, Math.round(n * (MIN_SECONDS / seconds)));
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function show(seconds) {
  const us = seconds * 1e6;
  if (us < 10) return `${us.toFixed(2)} µs`;
  if (us < 1000) return `${us.toFixed(1)} µs`;
  return `${(us / 1000).toFixed(2)} ms`;
}

async function main() {
  const redisUrl = process.env.HOOKSEAL_TEST_REDIS_URL;
  if (typeof global.gc !== 'function') {
    console.error('run with node --expose-gc (each timed batch includes collecting its garbage)');
    process.exit(2);
  }
  if (!redisUrl) {
    console.error('HOOKSEAL_TEST_REDIS_URL is not set: run under scripts/with-redis.sh');
    process.exit(2);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookseal-bench-'));
  try {
    const stores = {
      memory: new Store('memory:'),
      sqlite: new Store(`sqlite://${path.join(dir, 'bench.db')}`),
      redis: new Store(redisUrl),
    };
    const cases = [poolHopCase(), verifyCase()];
    for (const [name, store] of Object.entries(stores)) {
      cases.push(storeCase(`${name}: claim + complete, one at a time`, store));
      cases.push(storeCase(`${name}: verify() + claim + complete, one at a time`, store, { verify: true }));
      cases.push(storeCase(`${name}: claim of a duplicate (a retry)`, store, { duplicate: true }));
      cases.push(storeCase(`${name}: verify() + claim + complete, ${IN_FLIGHT} in flight`, store, { verify: true, parallel: IN_FLIGHT }));
    }
    for (const store of Object.values(stores)) await claimComplete(store, freshNamespace(), 'warm-up'); // connections open
    const sizes = [];
    for (const c of cases) sizes.push(await calibrate(c));
    const times = cases.map(() => []);
    for (let run = 0; run < RUNS; run++) {
      for (let i = 0; i < cases.length; i++) times[i].push((await timeBatch(cases[i], sizes[i])) / sizes[i]);
    }
    console.log(`hookseal store, per delivery (1 KiB ELMED body): Node ${process.version}, ${os.cpus().length} CPUs ` +
      `(${os.cpus()[0].model.trim()}), UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE || 4}; median of ${RUNS} ` +
      'runs (range: fastest to slowest run)');
    const width = Math.max(...cases.map((c) => c.name.length));
    for (let i = 0; i < cases.length; i++) {
      const ts = times[i];
      console.log(`  ${cases[i].name.padEnd(width)}  ${show(median(ts)).padStart(9)}  ` +
        `(${show(Math.min(...ts))} to ${show(Math.max(...ts))}, ${sizes[i]} deliveries a run)`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
