'use strict';
/**
 * Memory over 1,000,000 ELMED deliveries: hookseal's resident set size and V8 heap must stay flat.
 *
 * Each delivery is a ~1 KiB ELMED body (the documented order.status_changed sample with line items, serialised as
 * bindings/python/bench/bench_memory.py does) carrying its own sequence number, so every body, signature and
 * idempotency key differs. Deliveries are signed (with node:crypto, not hookseal) in batches of BATCH ahead of
 * verifying them, so generation cost stays out of the verify timing. Each batch is written into the same
 * preallocated Buffer (the bodies are views of it, as a parser's slices would be) and replaces the previous one, so
 * generation holds a constant amount of memory. (Allocating every body with `Buffer.from` instead grows glibc's heap
 * by ~45 MiB over the first 200,000 deliveries, with the providers' snippet as much as with hookseal: 8 KiB
 * Buffer-pool slabs, freed only when V8 collects, fragment it.) Every 10th delivery has a wrong signature and must
 * throw `VerificationError` (`signature_mismatch`), so the error path (the addon's error, index.js's rethrow) runs
 * too. Each accepted event's `.data` (materialised JS values) and `.idempotencyKey` are read, checked and dropped.
 * Headers are lowercase, as Express hands them over.
 *
 * RSS (`process.memoryUsage().rss`), `heapUsed`, the size of V8's young generation and `arrayBuffers` are reported
 * before, after 10,000 deliveries, every 200,000 and at the end, always at the same point (a batch just verified and
 * dropped), each after `global.gc()` when Node runs with `--expose-gc` (without it the readings are noisier).
 *
 * The baseline is the reading after the warm-up, which is 200,000 deliveries here (`--warm-up N`), not the 10,000
 * of the Python check: V8 grows its young generation with the allocation rate it sees, from 2 x 1 MiB semispaces at
 * start to 2 x 16 MiB, and only reaches that maximum after ~100,000 deliveries, so RSS rises by ~20 MiB after a
 * 10,000 warm-up with no leak at all (the plain JS snippet, crypto + JSON.parse, does exactly the same). The script
 * exits 1 if
 *
 * - RSS at the end exceeds RSS after the warm-up by more than 10 MiB, not the 5 MiB of the Python check: even at
 *   steady state V8 sizes its heap by what it sees (semispaces, old-space pages kept after a collection, its worker
 *   threads' malloc arenas) and does not promptly give those pages back, so RSS moves by a few MiB with no leak; a
 *   native leak of 14 bytes a delivery (over the 800,000 after the warm-up) still fails it; or
 * - heapUsed (live JS objects after a full collection, not subject to that sizing noise) grows by more than 5 MiB:
 *   retained events, errors or headers would show there rather than in RSS.
 *
 * Run: `make bench-node` (runs this and bench_verify.js), or
 * `node --expose-gc bindings/node/bench/bench_memory.js [--count N] [--warm-up N]` (defaults 1,000,000 and 200,000).
 */

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');

// This repository's build (`make node`): `require('hookseal')` would not resolve here, bench/ having a package.json of
// its own (the pinned peers of bench_verify.js).
// With HOOKSEAL_JS_BUILD=bindings/wasm/pkg-node, the WASM build instead (`make bench-wasm`): the same glue over the
// WebAssembly module, whose linear memory would show a leak in RSS as well (it only ever grows).
const ROOT = path.join(__dirname, '..', '..', '..');
const BUILD = process.env.HOOKSEAL_JS_BUILD ? path.resolve(process.env.HOOKSEAL_JS_BUILD) : ROOT;
const { Verifier, sign, VerificationError } = require(BUILD);
const { version: HOOKSEAL_VERSION } = require(path.join(ROOT, 'package.json'));

const SAMPLE = path.resolve(__dirname, '..', '..', '..', 'tests', 'samples', 'elmed', 'order.status_changed.json');
const SECRET = 'whsec_elmed_bench_0123456789abcdef';
const BATCH = 10_000;
const EARLY = 10_000; // the Python check's warm-up: reported, not the baseline (see above)
const REPORT_EVERY = 200_000;
const MAX_RSS_GROWTH_MIB = 10;
const MAX_HEAP_GROWTH_MIB = 5;
const BAD_EVERY = 10; // every 10th delivery (index % 10 === 9) carries a wrong signature
const MIB = 1024 * 1024;

function usage(message) {
  if (message) console.error(`bench_memory.js: ${message}`);
  console.error('usage: node --expose-gc bindings/node/bench/bench_memory.js [--count N] [--warm-up N]');
  process.exit(2);
}

function parseArgs(argv) {
  const options = { count: 1_000_000, warmUp: 200_000 };
  for (let i = 0; i < argv.length; i++) {
    const match = /^--(count|warm-up)(?:=(.*))?$/.exec(argv[i]);
    if (argv[i] === '-h' || argv[i] === '--help') usage();
    if (!match) usage(`unknown argument ${JSON.stringify(argv[i])}`);
    const value = match[2] ?? argv[++i];
    if (value === undefined || !/^\d[\d_,]*$/.test(value)) usage(`--${match[1]} needs a positive integer`);
    const number = Number(value.replace(/[_,]/g, ''));
    if (!Number.isSafeInteger(number) || number <= 0) usage(`--${match[1]} must be positive`);
    options[match[1] === 'count' ? 'count' : 'warmUp'] = number;
  }
  return options;
}

/** `json.dumps(value)` with Python's defaults (ASCII-only input; floats here are never whole numbers). */
function pyDumps(value) {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pyDumps).join(', ')}]`;
  return `{${Object.keys(value).map((k) => `${pyDumps(k)}: ${pyDumps(value[k])}`).join(', ')}}`;
}

/** The ~1 KiB body split around its sequence number, which goes in `data.delivery_seq`. */
function template() {
  const envelope = JSON.parse(fs.readFileSync(SAMPLE, 'utf8'));
  envelope.data.items = [
    ['Amoxicillin 500 mg capsules, 21', 84.5],
    ['Atorvastatin 20 mg tablets, 30', 129.99],
    ['Metformin 850 mg tablets, 56', 63.2],
    ['Salbutamol 100 mcg inhaler, 200 doses', 98.75],
    ['Omeprazole 20 mg capsules, 28', 54.1],
  ].map(([name, price], n) => ({
    line_id: n + 1,
    sku: `SKU-${String(100417 + n * 37).padStart(6, '0')}`,
    name,
    qty: 1 + (n % 3),
    unit_price: price,
    currency: 'ZAR',
    dispensed: n % 4 !== 0,
  }));
  envelope.data.delivery_seq = 0;
  const parts = pyDumps(envelope).split('"delivery_seq": 0');
  if (parts.length !== 2) throw new Error('the template must contain the sequence number once');
  return [parts[0] + '"delivery_seq": ', parts[1]];
}

/** Deliveries start..start+count-1, their bodies written into `slab` (reused by every batch) at `stride` bytes. */
function makeBatch(start, count, head, tail, slab, stride) {
  const batch = new Array(count);
  for (let i = 0; i < count; i++) {
    const seq = start + i;
    const offset = i * stride;
    const length = slab.write(head + seq + tail, offset, 'latin1');
    if (length >= stride) throw new Error(`delivery ${seq} does not fit in ${stride} bytes`);
    const body = slab.subarray(offset, offset + length);
    let digest = crypto.createHmac('sha256', SECRET).update(body).digest('hex');
    if (seq % BAD_EVERY === BAD_EVERY - 1) digest = [...digest].reverse().join(''); // right shape, wrong value
    batch[i] = { seq, body, headers: { 'content-type': 'application/json', 'x-elmed-signature': 'sha256=' + digest } };
  }
  return batch;
}

const gc = typeof global.gc === 'function' ? global.gc : null;

/** MiB figures, after a full collection when `--expose-gc` allows it. */
function reading() {
  if (gc) {
    gc();
    gc(); // a second pass collects what the first one's finalisers released
  }
  const m = process.memoryUsage();
  const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return {
    rss: m.rss / MIB,
    heapUsed: m.heapUsed / MIB,
    young: young ? young.physical_space_size / MIB : NaN,
    arrayBuffers: m.arrayBuffers / MIB,
  };
}

const COLUMNS = [
  ['deliveries', 20],
  ['RSS MiB', 9],
  ['heapUsed MiB', 13],
  ['V8 new space MiB', 17],
  ['arrayBuffers MiB', 17],
];

function row(label, r) {
  const cells = [label, r.rss.toFixed(1), r.heapUsed.toFixed(1), r.young.toFixed(1), r.arrayBuffers.toFixed(1)];
  return cells.map((cell, i) => cell.padStart(COLUMNS[i][1])).join(' ');
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const signed = (n) => `${n >= 0 ? '+' : ''}${n.toFixed(1)}`;

function main() {
  const { count, warmUp: requestedWarmUp } = parseArgs(process.argv.slice(2));
  const warmUp = Math.min(requestedWarmUp, count);
  const early = Math.min(EARLY, warmUp);
  const [head, tail] = template();
  const sampleBody = Buffer.from(head + '0' + tail);
  const stride = sampleBody.length + 32; // room for a sequence number of up to 33 digits
  const slab = Buffer.alloc(BATCH * stride);
  const verifier = new Verifier('elmed', { secret: SECRET });
  // hookseal's signer and node:crypto agree, so the batches are genuine deliveries.
  if (sign('elmed', sampleBody, { secret: SECRET })['X-ELMED-Signature'] !==
      makeBatch(0, 1, head, tail, slab, stride)[0].headers['x-elmed-signature']) {
    throw new Error("hookseal's signature and node:crypto's differ");
  }

  console.log(
    `Node ${process.version}, hookseal ${HOOKSEAL_VERSION}${BUILD === ROOT ? '' : ` (${path.relative(ROOT, BUILD)})`}; ${fmt(count)} ELMED deliveries of ~${sampleBody.length} ` +
      `bytes, every ${BAD_EVERY}th with a wrong signature, batches of ${fmt(BATCH)}, warm-up ${fmt(warmUp)}; ` +
      (gc ? 'global.gc() before each reading' : 'WARNING: no --expose-gc, readings without a forced collection'),
  );
  console.log(COLUMNS.map(([name, width]) => name.padStart(width)).join(' '));
  const before = reading();
  console.log(row('before', before));

  let atEarly = before;
  let afterWarmUp = before;
  let after = before;
  let accepted = 0;
  let refused = 0;
  let keyChars = 0;
  let verifyNs = 0n;
  let generateNs = 0n;
  const started = process.hrtime.bigint();
  let done = 0;
  while (done < count) {
    // Batches end exactly on the early reading, the warm-up and the report points.
    let size = Math.min(BATCH, count - done);
    for (const mark of [early, warmUp]) if (done < mark) size = Math.min(size, mark - done);
    if (done % REPORT_EVERY !== 0) size = Math.min(size, REPORT_EVERY - (done % REPORT_EVERY));
    const t0 = process.hrtime.bigint();
    let batch = makeBatch(done, size, head, tail, slab, stride);
    const t1 = process.hrtime.bigint();
    for (const { seq, body, headers } of batch) {
      let event;
      try {
        event = verifier.verify(body, headers);
      } catch (error) {
        if (!(error instanceof VerificationError) || error.code !== 'signature_mismatch' ||
            seq % BAD_EVERY !== BAD_EVERY - 1) {
          console.error(`delivery ${seq}: unexpected`, error);
          process.exit(1);
        }
        refused++;
        continue;
      }
      if (event.data.delivery_seq !== seq || !event.idempotencyKey.startsWith('sha256:') ||
          seq % BAD_EVERY === BAD_EVERY - 1) {
        console.error(`delivery ${seq}: wrong event`, event);
        process.exit(1);
      }
      keyChars += event.idempotencyKey.length;
      accepted++;
    }
    const t2 = process.hrtime.bigint();
    generateNs += t1 - t0;
    verifyNs += t2 - t1;
    done += size;
    // Every reading is taken at the same point: a batch just verified and dropped.
    batch = null;
    if (done === count) {
      after = reading();
      if (done === warmUp) afterWarmUp = after;
      if (done === early) atEarly = after;
    } else if (done === warmUp) {
      afterWarmUp = reading();
      console.log(row(`warm-up ${fmt(done)}`, afterWarmUp));
    } else if (done === early) {
      atEarly = reading();
      console.log(row(fmt(done), atEarly));
    } else if (done % REPORT_EVERY === 0) {
      console.log(row(fmt(done), reading()));
    }
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(row(`after ${fmt(count)}`, after));

  const verifySeconds = Number(verifyNs) / 1e9;
  const generateSeconds = Number(generateNs) / 1e9;
  const rssGrowth = after.rss - afterWarmUp.rss;
  const heapGrowth = after.heapUsed - afterWarmUp.heapUsed;
  console.log(`accepted ${fmt(accepted)}, refused ${fmt(refused)} (signature_mismatch); ` +
    `${fmt(keyChars)} idempotency-key characters read`);
  console.log(
    `elapsed ${elapsed.toFixed(2)} s: verifying ${verifySeconds.toFixed(2)} s (${fmt(count / verifySeconds)} ` +
      `deliveries/s), generating and signing ${generateSeconds.toFixed(2)} s, readings and gc the rest; overall ` +
      `${fmt(count / elapsed)} deliveries/s`,
  );
  if (early < warmUp) {
    console.log(`(RSS after - RSS after ${fmt(early)} = ${signed(after.rss - atEarly.rss)} MiB, V8 new space ` +
      `${signed(after.young - atEarly.young)} MiB: the young generation still growing, not checked)`);
  }
  const rssOk = rssGrowth <= MAX_RSS_GROWTH_MIB;
  const heapOk = heapGrowth <= MAX_HEAP_GROWTH_MIB;
  console.log(`RSS after - RSS after warm-up = ${signed(rssGrowth)} MiB (limit ${MAX_RSS_GROWTH_MIB} MiB, ` +
    `V8 heap sizing noise): ${rssOk ? 'flat' : 'GREW'}`);
  console.log(`heapUsed after - heapUsed after warm-up = ${signed(heapGrowth)} MiB (limit ${MAX_HEAP_GROWTH_MIB} MiB): ` +
    `${heapOk ? 'flat' : 'GREW'}`);
  return rssOk && heapOk ? 0 : 1;
}

process.exitCode = main();
