'use strict';
/**
 * Memory over `verifyAsync`'s path (WebCrypto's hashes, JSON.parse, the module's structural scan): 100,000 deliveries
 * of 64 KiB through the WASM build (pkg-node), ELMED and Standard Webhooks, records and strings alternating, every
 * 10th ELMED delivery with a wrong signature (refused, `signature_mismatch`). Each accepted event's `.data` is read,
 * and ELMED's `.idempotencyKey`. RSS and V8's `heapUsed` are read after `global.gc()` every 20,000 deliveries; the
 * baseline is the reading after 10,000 (V8's young generation grows to its size first: bindings/node/bench/
 * bench_memory.js). Exits 1 if RSS at the end exceeds the baseline by more than 10 MiB or heapUsed by more than
 * 5 MiB (the limits of bench_memory.js; a leak of 100 bytes a delivery fails it). `bench_memory.js` with
 * HOOKSEAL_JS_BUILD covers a million deliveries through `verify`; this covers what only `verifyAsync` runs.
 *
 * Run: `make bench-wasm`, or `node --expose-gc bindings/wasm/bench/bench_memory_async.js [--count N]`.
 */

const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..', '..');
const { SHAPES } = require(path.join(ROOT, 'bindings', 'node', 'bench', 'bodies.js'));
const wasm = require(path.join(__dirname, '..', 'pkg-node'));

const SECRET = 'whsec_elmed_bench_0123456789abcdef';
const SW_SECRET = 'whsec_' + Buffer.from('hookseal bench standard webhooks key!').toString('base64');
const WARM_UP = 10_000;
const REPORT_EVERY = 20_000;
const MAX_RSS_GROWTH_MIB = 10;
const MAX_HEAP_GROWTH_MIB = 5;
const MIB = 1024 * 1024;

function count() {
  const at = process.argv.indexOf('--count');
  if (at === -1) return 100_000;
  const n = Number(process.argv[at + 1]);
  if (!Number.isInteger(n) || n <= WARM_UP) {
    console.error(`bench_memory_async.js: --count takes an integer over ${WARM_UP}`);
    process.exit(2);
  }
  return n;
}

function reading() {
  if (typeof global.gc === 'function') global.gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss: rss / MIB, heapUsed: heapUsed / MIB };
}

function tampered(headers) {
  const value = headers['X-ELMED-Signature'];
  return { ...headers, 'X-ELMED-Signature': value.slice(0, -1) + (value.endsWith('0') ? '1' : '0') };
}

async function main() {
  const total = count();
  if (typeof global.gc !== 'function') console.error('bench_memory_async.js: run with --expose-gc for steady readings');
  const bodies = [new Uint8Array(SHAPES.records(65536)), new Uint8Array(SHAPES.strings(65536))];
  const elmed = new wasm.Verifier('elmed', { secret: SECRET });
  const standard = new wasm.Verifier('standard-webhooks', { secret: SW_SECRET });
  const elmedHeaders = bodies.map((body) => wasm.sign('elmed', body, { secret: SECRET }));
  const forged = elmedHeaders.map(tampered);
  let base = null;
  let refused = 0;
  const started = Date.now();
  console.log('deliveries    RSS MiB  heapUsed MiB');
  for (let i = 0; i < total; i++) {
    if (i === WARM_UP) base = reading();
    if (i > 0 && i % REPORT_EVERY === 0) {
      const now = reading();
      console.log(`${String(i).padStart(10)} ${now.rss.toFixed(1).padStart(10)} ${now.heapUsed.toFixed(1).padStart(13)}`);
    }
    const k = i % 2;
    if (i % 10 === 9) {
      const error = await elmed.verifyAsync(bodies[k], forged[k]).then(() => null, (e) => e);
      if (!(error instanceof wasm.VerificationError) || error.code !== 'signature_mismatch') {
        throw new Error(`a forged delivery gave ${error}`);
      }
      refused++;
      continue;
    }
    const event = await elmed.verifyAsync(bodies[k], elmedHeaders[k]);
    if (!event.idempotencyKey.startsWith('sha256:') || typeof event.data !== 'object') throw new Error('an ELMED event');
    const sw = await standard.verifyAsync(bodies[k], wasm.sign('standard-webhooks', bodies[k], { secret: SW_SECRET }));
    if (typeof sw.data !== 'object') throw new Error('a Standard Webhooks event');
  }
  const end = reading();
  const rss = end.rss - base.rss;
  const heap = end.heapUsed - base.heapUsed;
  console.log(`${String(total).padStart(10)} ${end.rss.toFixed(1).padStart(10)} ${end.heapUsed.toFixed(1).padStart(13)}`);
  console.log(`${total} ELMED deliveries (${refused} forged, refused) and ${total - refused} Standard Webhooks ones, ` +
    `64 KiB each, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`RSS at the end - after ${WARM_UP}: ${rss >= 0 ? '+' : ''}${rss.toFixed(1)} MiB (limit ${MAX_RSS_GROWTH_MIB}); ` +
    `heapUsed ${heap >= 0 ? '+' : ''}${heap.toFixed(1)} MiB (limit ${MAX_HEAP_GROWTH_MIB})`);
  if (rss > MAX_RSS_GROWTH_MIB || heap > MAX_HEAP_GROWTH_MIB) {
    console.log('NOT FLAT');
    process.exit(1);
  }
  console.log('flat');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
