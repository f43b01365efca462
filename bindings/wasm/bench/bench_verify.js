'use strict';
/**
 * hookseal's WASM build against WebCrypto and against the napi addon, in Node, per verified ELMED delivery.
 *
 * What an edge worker without hookseal does (WebCrypto is its only HMAC): `crypto.subtle.importKey` once, then per
 * delivery decode the hex signature from `X-ELMED-Signature`, `await crypto.subtle.verify('HMAC', key, signature,
 * body)` and `JSON.parse` the body for its data. hookseal's sides: `verifier.verify(body, headers)` reading
 * `.idempotencyKey` and `.data`, through the WASM build (bindings/wasm/pkg-node, the same module as pkg-web) and
 * through the napi addon (require('hookseal')). hookseal does more per call than the WebCrypto side: it also hashes
 * the whole body for ELMED's idempotency key, checks the envelope (one JSON object, no duplicate top-level keys, a
 * string `event`) and hands the event over as JSON text that the glue parses with `JSON.parse`.
 *
 * Bodies of about 1 KiB, 64 KiB and 1 MiB are the Node benchmark's (bindings/node/bench/bodies.js). Each side is
 * calibrated to >= 0.2 s a sample (0.1 s at 1 MiB), then the three are timed alternately, REPEAT times; WebCrypto's
 * calls are awaited one after another, as a worker handles one request's verification. Best and median per-call
 * microseconds; ratio = WebCrypto / hookseal-WASM and napi / WASM (> 1: the WASM build is faster).
 *
 * Run: `make bench-wasm`, or `node bindings/wasm/bench/bench_verify.js` after `make wasm node`.
 */

const assert = require('node:assert');
const os = require('node:os');
const path = require('node:path');
const { webcrypto } = require('node:crypto');

const napi = require('hookseal');
const wasm = require(path.join(__dirname, '..', 'pkg-node'));
const { elmedBody } = require(path.join(__dirname, '..', '..', 'node', 'bench', 'bodies.js'));

const SECRET = 'whsec_elmed_bench_0123456789abcdef';
const SIZES = [
  ['1 KiB', 1024],
  ['64 KiB', 64 * 1024],
  ['1 MiB', 1024 * 1024],
];
const REPEAT = 15;
const subtle = (globalThis.crypto ?? webcrypto).subtle;

let sink = 0;

async function webCryptoSide(body, headers) {
  const key = await subtle.importKey('raw', new TextEncoder().encode(SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'verify',
  ]);
  return async () => {
    const header = headers['x-elmed-signature'];
    const hex = header.startsWith('sha256=') ? header.slice(7) : '';
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error('malformed signature');
    const signature = new Uint8Array(32);
    for (let i = 0; i < 32; i++) signature[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    if (!(await subtle.verify('HMAC', key, signature, body))) throw new Error('signature mismatch');
    return JSON.parse(new TextDecoder().decode(body)).data;
  };
}

function hooksealSide(build, body, headers) {
  const verifier = new build.Verifier('elmed', { secret: SECRET });
  return () => {
    const event = verifier.verify(body, headers);
    sink += event.idempotencyKey.length;
    return event.data;
  };
}

async function timeCalls(call, number) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < number; i++) {
    const data = await call();
    sink += typeof data === 'object' && data !== null ? 1 : 0;
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function calibrate(call, minSeconds) {
  for (let i = 0; i < 20; i++) await call();
  for (let decade = 1; ; decade *= 10) {
    for (const number of [decade, 2 * decade, 5 * decade]) {
      if ((await timeCalls(call, number)) >= minSeconds) return number;
    }
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function measure(calls, minSeconds) {
  const numbers = [];
  for (const call of calls) numbers.push(await calibrate(call, minSeconds));
  const runs = calls.map(() => []);
  for (let r = 0; r < REPEAT; r++) {
    for (let side = 0; side < calls.length; side++) {
      runs[side].push(((await timeCalls(calls[side], numbers[side])) / numbers[side]) * 1e6);
    }
  }
  return runs.map((run) => ({ best: Math.min(...run), median: median(run) }));
}

async function main() {
  const loadAtStart = os.loadavg()[0];
  const rows = [];
  for (const [name, target] of SIZES) {
    const body = new Uint8Array(elmedBody(target)); // a plain Uint8Array, as a worker's request.arrayBuffer() gives
    const signed = wasm.sign('elmed', body, { secret: SECRET });
    const headers = { 'content-type': 'application/json', 'x-elmed-signature': signed['X-ELMED-Signature'] };
    const sides = [await webCryptoSide(body, headers), hooksealSide(wasm, body, headers), hooksealSide(napi, body, headers)];
    const expected = JSON.parse(new TextDecoder().decode(body)).data;
    for (const side of sides) assert.deepStrictEqual(await side(), expected);
    const [web, ours, addon] = await measure(sides, target > 512 * 1024 ? 0.1 : 0.2);
    console.error(`  measured elmed ${name}`);
    rows.push({ name, size: body.length, web, ours, addon });
  }
  const { size } = require('node:fs').statSync(path.join(__dirname, '..', 'pkg-node', 'hookseal_wasm_bg.wasm'));
  const cpu = os.cpus()[0];
  console.log(
    `Node ${process.version} (V8 ${process.versions.v8}), WASM module ${size} bytes; load average ` +
      `${loadAtStart.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end, ${os.cpus().length} CPUs ` +
      `(${cpu ? cpu.model.trim() : 'unknown'})`,
  );
  console.log(
    `Per-delivery microseconds, best and median of ${REPEAT} samples, sides alternating. WebCrypto = importKey once; ` +
      'per delivery hex-decode + await subtle.verify + JSON.parse(body).data. hookseal = verify(body, headers), ' +
      '.idempotencyKey, .data.',
  );
  console.log();
  const head =
    `${'ELMED body'.padEnd(10)} ${'bytes'.padStart(8)} | ${'WebCrypto'.padStart(16)} | ${'hookseal WASM'.padStart(16)} | ` +
    `${'hookseal napi'.padStart(16)} | ${'WebCrypto/WASM'.padStart(14)} | ${'napi/WASM'.padStart(9)}`;
  console.log(head);
  console.log('-'.repeat(head.length));
  const cell = (t) => `${t.best.toFixed(1)} (${t.median.toFixed(1)})`.padStart(16);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(10)} ${String(r.size).padStart(8)} | ${cell(r.web)} | ${cell(r.ours)} | ${cell(r.addon)} | ` +
        `${(r.web.best / r.ours.best).toFixed(2).padStart(13)}x | ${(r.addon.best / r.ours.best).toFixed(2).padStart(8)}x`,
    );
  }
  const ratio = rows[0].web.best / rows[0].ours.best;
  const ratioMedian = rows[0].web.median / rows[0].ours.median;
  console.log();
  console.log(
    `Verdict: 1 KiB WASM vs WebCrypto ${ratio.toFixed(2)}x (median ${ratioMedian.toFixed(2)}x) vs target >= 3x: ` +
      `${ratio >= 3 ? 'MET' : 'NOT MET'}.`,
  );
  if (sink === 0) console.log('(sink empty)');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
