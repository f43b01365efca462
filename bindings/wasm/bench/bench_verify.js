'use strict';
/**
 * hookseal's WASM build against WebCrypto, per verified ELMED delivery with the data materialised, in Node: one table
 * of ratios per body shape (issue 18; the same bodies and layout as the Node, Python and PHP benches).
 *
 * Sides (each gets the same body, a plain Uint8Array as a worker's `request.arrayBuffer()` gives, and the same
 * ELMED headers):
 *
 * - WebCrypto, the floor: what an edge worker without hookseal writes (WebCrypto is its only HMAC):
 *   `crypto.subtle.importKey` once, then per delivery hex-decode `X-ELMED-Signature`, `await crypto.subtle.verify`,
 *   `JSON.parse(new TextDecoder().decode(body)).data`. Every ratio is to this row.
 * - hookseal WASM `verify` (bindings/wasm/pkg-node, the same module as pkg-web): synchronous, every hash in
 *   WebAssembly.
 * - hookseal WASM `verifyAsync`: a body of 16 KiB or more has its HMAC and its SHA-256 (ELMED's idempotency key)
 *   computed by WebCrypto, and is parsed by JSON.parse while they run; smaller ones go through `verify`.
 * - hookseal napi: the Node addon's `verify` (`make node`), for scale.
 * - hookseal WASM custom (hex) `verifyAsync`: the floor's own scheme (`sha256=<hex>` of the body's HMAC-SHA256), reading
 *   `.data` only; its idempotency key is the body's SHA-256 too, which verifyAsync has WebCrypto compute beside the
 *   HMAC (the module's own SHA-256 would be slower, later, on a read of the key).
 * - hookseal WASM standard-webhooks `verifyAsync`, reading `.data`: one hash, as the floor's (its key is the
 *   `webhook-id`); its headers are signed anew before every sample (their timestamp must stay within 5 minutes).
 *   The target (WebCrypto's time / the side's >= 1) is judged on this side: it does the floor's work.
 * The ELMED sides read `.idempotencyKey` (the body's SHA-256) and `.data`. Every hookseal side does more than the
 * floor: the envelope's checks (one JSON object, no duplicate top-level keys, a string `event`, `data`'s extent)
 * before the data is handed over; ELMED's and custom's key is a second hash.
 *
 * Before timing, every side on every body accepts the genuine delivery, returns the floor's `data`, (ELMED) the
 * right idempotency key, and refuses the delivery with its signature tampered: a side that silently does less fails.
 *
 * Bodies (bindings/node/bench/bodies.js `SHAPES`; length and SHA-256 prefix printed): `records` (line items in
 * `data.items`) and `strings` (one base64 attachment), at 1 KiB, 64 KiB and 1 MiB.
 *
 * Timing: each side is calibrated like `timeit`'s autorange (1, 2, 5, 10, … calls until a sample takes >= 0.2 s,
 * >= 0.1 s at 1 MiB) after a warm-up, then all sides are timed round after round (REPEAT rounds, the starting side
 * rotating), so the machine's noise hits all alike. WebCrypto's and verifyAsync's calls are awaited one after
 * another, as a worker handles one request's verification. Node's garbage collector cannot be turned off: each side
 * pays for the garbage it makes; with `--expose-gc` (as `make bench-wasm` should run it) a full collection runs before
 * every sample, outside the timed part. Each cell: the best per-call time, the ratio WebCrypto / side (best / best:
 * above 1, the side is faster) and the range of the per-round ratios (WebCrypto's round / the side's round).
 *
 * WebCrypto's per-call cost in Node is a hop to libuv's thread pool and back: tens of microseconds while the machine
 * is busy (the pool's threads awake), over a hundred on an idle one. Small bodies' ratios move with it.
 *
 * Run: `make bench-wasm`, or `node --expose-gc bindings/wasm/bench/bench_verify.js [--repeat N] [--min-seconds S]
 * [--shapes records,strings] [--sizes 1024,65536,1048576] [--sides webcrypto,verify,verifyAsync,napi,custom-verifyAsync,sw-verifyAsync] [--pkg DIR]`
 * after `make wasm node` (`--pkg`: another build of pkg-node, to compare builds).
 */

const assert = require('node:assert');
const crypto = require('node:crypto');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..', '..');
const { SHAPES } = require(path.join(ROOT, 'bindings', 'node', 'bench', 'bodies.js'));
const { measure, formatTime, plainTable, markdownTable, commit, sinkValue } =
  require(path.join(ROOT, 'bindings', 'node', 'bench', 'harness.js'));

const SECRET = 'whsec_elmed_bench_0123456789abcdef';
const SW_SECRET = 'whsec_' + Buffer.from('hookseal bench standard webhooks key!').toString('base64');
const SIZES = [
  ['1 KiB', 1024],
  ['64 KiB', 64 * 1024],
  ['1 MiB', 1024 * 1024],
];
const TARGET = 1.0; // issue 18: WebCrypto's time / the WASM build's >= 1 at every size, both shapes (by sw-verifyAsync)
const subtle = (globalThis.crypto ?? crypto.webcrypto).subtle;

// --- Options ---------------------------------------------------------------------------------------------------------

function usage(message) {
  if (message) console.error(`bench_verify.js: ${message}`);
  console.error(
    'usage: node --expose-gc bindings/wasm/bench/bench_verify.js [--repeat N] [--min-seconds S] ' +
      '[--shapes records,strings] [--sizes 1024,65536,1048576] [--sides webcrypto,verify,verifyAsync,napi,custom-verifyAsync,sw-verifyAsync] [--pkg DIR]',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const options = { repeat: 15, minSeconds: 0.2, shapes: null, sizes: null, sides: null, pkg: null };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    const list = () => (value ?? '').split(',').filter(Boolean);
    switch (argv[i]) {
      case '--repeat':
        options.repeat = Number(value);
        if (!Number.isInteger(options.repeat) || options.repeat < 1) usage('--repeat takes a positive integer');
        break;
      case '--min-seconds':
        options.minSeconds = Number(value);
        if (!(options.minSeconds > 0)) usage('--min-seconds takes a positive number');
        break;
      case '--shapes':
        options.shapes = list();
        break;
      case '--sizes':
        options.sizes = list();
        break;
      case '--sides':
        options.sides = list();
        break;
      case '--pkg':
        options.pkg = path.resolve(value ?? '');
        break;
      default:
        usage(`unknown argument ${argv[i]}`);
    }
    i++;
  }
  return options;
}

// --- Sides -----------------------------------------------------------------------------------------------------------

let lastKey = null; // the idempotency key the last hookseal call read

async function webCryptoSide() {
  const key = await subtle.importKey('raw', new TextEncoder().encode(SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'verify',
  ]);
  return {
    key: 'webcrypto',
    name: 'WebCrypto: subtle.verify + JSON.parse',
    async: true,
    call: async (body, headers) => {
      const header = headers['x-elmed-signature'];
      const hex = header.startsWith('sha256=') ? header.slice(7) : '';
      if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error('malformed signature');
      const signature = new Uint8Array(32);
      for (let i = 0; i < 32; i++) signature[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
      if (!(await subtle.verify('HMAC', key, signature, body))) throw new Error('signature mismatch');
      return JSON.parse(new TextDecoder().decode(body)).data;
    },
  };
}

function hooksealSides(wasm, napi) {
  const wasmVerifier = new wasm.Verifier('elmed', { secret: SECRET });
  const napiVerifier = new napi.Verifier('elmed', { secret: SECRET });
  // The floor's own scheme (ELMED's header is `sha256=<hex>` of the body's HMAC-SHA256), reading only `.data`: the
  // floor's work and no more, as `custom` is in the Node, Python and PHP benches.
  const custom = { secret: SECRET, scheme: 'hmac-sha256', header: 'X-ELMED-Signature', prefix: 'sha256=', encoding: 'hex' };
  const wasmCustom = new wasm.Verifier('custom', custom);
  // Standard Webhooks: one hash, as the floor's (its idempotency key is the `webhook-id`, not the body's digest).
  const wasmStandard = new wasm.Verifier('standard-webhooks', { secret: SW_SECRET });
  const read = (event) => {
    lastKey = event.idempotencyKey;
    return event.data;
  };
  return [
    {
      key: 'verify',
      name: 'hookseal WASM verify',
      hookseal: true,
      wasm: true,
      Error: wasm.VerificationError,
      call: (body, headers) => read(wasmVerifier.verify(body, headers)),
    },
    {
      key: 'verifyAsync',
      name: 'hookseal WASM verifyAsync',
      hookseal: true,
      wasm: true,
      async: true,
      Error: wasm.VerificationError,
      call: async (body, headers) => read(await wasmVerifier.verifyAsync(body, headers)),
    },
    {
      key: 'napi',
      name: 'hookseal napi verify',
      hookseal: true,
      Error: napi.VerificationError,
      call: (body, headers) => read(napiVerifier.verify(body, headers)),
    },
    {
      key: 'custom-verifyAsync',
      name: 'hookseal WASM custom (hex) verifyAsync',
      hookseal: true,
      wasm: true,
      async: true,
      dataOnly: true,
      Error: wasm.VerificationError,
      call: async (body, headers) => (await wasmCustom.verifyAsync(body, headers)).data,
    },
    {
      key: 'sw-verifyAsync',
      name: 'hookseal WASM standard-webhooks verifyAsync',
      hookseal: true,
      wasm: true,
      async: true,
      dataOnly: true,
      Error: wasm.VerificationError,
      tamper: 'webhook-signature',
      // Signed anew before every sample: its timestamp must stay within the 5-minute tolerance.
      headers: (body) => wasm.sign('standard-webhooks', body, { secret: SW_SECRET }),
      call: async (body, headers) => (await wasmStandard.verifyAsync(body, headers)).data,
    },
  ];
}

// --- Checks ------------------------------------------------------------------------------------------------------------

function fail(message) {
  console.error(`bench_verify.js: ${message}`);
  process.exit(1);
}

function tampered(headers, name = 'x-elmed-signature') {
  const value = headers[name];
  const at = value.length - 10;
  return { ...headers, [name]: value.slice(0, at) + (value[at] === '0' ? '1' : '0') + value.slice(at + 1) };
}

async function sanityCheck(side, label, body, headers, expected) {
  let data;
  lastKey = null;
  try {
    data = await side.call(body, headers);
  } catch (error) {
    fail(`${side.name}, ${label}: refused the genuine delivery (${error.message})`);
  }
  try {
    assert.deepStrictEqual(data, expected);
  } catch {
    fail(`${side.name}, ${label}: its data differs from the floor's JSON.parse`);
  }
  if (side.hookseal && !side.dataOnly && lastKey !== 'sha256:' + crypto.createHash('sha256').update(body).digest('hex')) {
    fail(`${side.name}, ${label}: unexpected idempotency key ${lastKey}`);
  }
  let refused = false;
  try {
    await side.call(body, tampered(headers, side.tamper));
  } catch (error) {
    if (side.hookseal && !(error instanceof side.Error && error.code === 'signature_mismatch')) throw error;
    refused = true;
  }
  if (!refused) fail(`${side.name}, ${label}: accepted a tampered signature`);
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const pkg = options.pkg ?? path.join(__dirname, '..', 'pkg-node');
  const wasm = require(pkg);
  const napi = require(ROOT);
  const all = [await webCryptoSide(), ...hooksealSides(wasm, napi)];
  const known = all.map((side) => side.key);
  for (const key of options.sides ?? []) if (!known.includes(key)) usage(`unknown side ${key} (${known.join(', ')})`);
  const active = all.filter((side) => side.key === 'webcrypto' || !options.sides || options.sides.includes(side.key));
  const shapes = options.shapes ?? Object.keys(SHAPES);
  for (const shape of shapes) if (!(shape in SHAPES)) usage(`unknown shape ${shape} (${Object.keys(SHAPES).join(', ')})`);
  const sizes = options.sizes ? SIZES.filter(([, bytes]) => options.sizes.includes(String(bytes))) : SIZES;
  if (sizes.length === 0) usage(`--sizes takes ${SIZES.map(([, bytes]) => bytes).join(', ')}`);
  const sizeNames = sizes.map(([name]) => name);

  const loadAtStart = os.loadavg()[0];
  const bodyLines = [];
  const tables = {};
  for (const shape of shapes) {
    const rows = active.map((side) => ({ key: side.key, name: side.name, wasm: side.wasm, results: {} }));
    tables[shape] = rows;
    for (const [sizeName, target] of sizes) {
      const bytes = SHAPES[shape](target);
      const digest = crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16);
      bodyLines.push(`${shape} ${target} -> ${bytes.length} bytes ${digest}`);
      const body = new Uint8Array(bytes); // a plain Uint8Array (a copy), as a worker's request.arrayBuffer() gives
      const signed = wasm.sign('elmed', body, { secret: SECRET });
      const headers = { 'content-type': 'application/json', 'x-elmed-signature': signed['X-ELMED-Signature'] };
      const label = `${shape} ${sizeName}`;
      const expected = JSON.parse(bytes.toString()).data;
      const headersOf = active.map((side) => (side.headers ? side.headers(body) : headers));
      for (const [s, side] of active.entries()) await sanityCheck(side, label, body, headersOf[s], expected);
      const minSeconds = body.length > 512 * 1024 ? Math.min(options.minSeconds, 0.1) : options.minSeconds;
      const fresh = (s) => (active[s].headers ? active[s].headers(body) : headersOf[s]);
      const runs = await measure(active, body, options.repeat, minSeconds, headersOf, fresh);
      const floorRuns = runs[0];
      const floorBest = Math.min(...floorRuns);
      runs.forEach((run, s) => {
        const ratios = run.map((us, r) => floorRuns[r] / us);
        const best = Math.min(...run);
        rows[s].results[sizeName] = { best, ratio: floorBest / best, low: Math.min(...ratios), high: Math.max(...ratios) };
      });
      const summary = active.map((side, s) => `${side.key} ${rows[s].results[sizeName].ratio.toFixed(2)}`).join(', ');
      console.error(`  measured ${label}: WebCrypto ${formatTime(floorBest)}; WebCrypto/side ${summary}`);
    }
  }

  const { size } = require('node:fs').statSync(path.join(pkg, 'hookseal_wasm_bg.wasm'));
  const cpu = os.cpus()[0];
  const gcNote = typeof globalThis.gc === 'function'
    ? 'a full GC before every sample (--expose-gc), outside the timed part'
    : 'GC as it comes (run with --expose-gc for a full GC before every sample)';
  console.log(
    `Node ${process.version} (V8 ${process.versions.v8}), ${os.platform()} ${process.arch}, ` +
      `${os.cpus().length} CPUs (${cpu ? cpu.model.trim() : 'unknown'}); WASM module ${size} bytes ` +
      `(${path.relative(ROOT, pkg) || pkg}); commit ${commit(ROOT)}; ${new Date().toISOString()}`,
  );
  console.log(
    `load average ${loadAtStart.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end; best of ` +
      `${options.repeat} interleaved rounds (samples >= ${options.minSeconds} s, >= ${Math.min(options.minSeconds, 0.1)} s at ` +
      `1 MiB); ${gcNote}`,
  );
  console.log(
    'Cells: best time per verified delivery (WebCrypto / side, best / best, above 1 = faster than WebCrypto; range of ' +
      'the per-round ratios).',
  );
  console.log('Bodies (shape target -> length, first 16 hex digits of SHA-256):');
  for (const line of bodyLines) console.log(`  ${line}`);
  for (const shape of shapes) {
    console.log();
    console.log(plainTable(shape, tables[shape], sizeNames, 'webcrypto'));
  }
  for (const shape of shapes) {
    console.log();
    console.log(markdownTable(shape, tables[shape], sizeNames, 'webcrypto', (row) => row.wasm));
  }
  console.log();
  // Per size: each WASM side's ratio at its worst shape. The target is judged on the side that does the floor's work
  // (one HMAC-SHA256 of the body, then JSON.parse): Standard Webhooks' verifyAsync, whose key is the webhook-id.
  // ELMED's and custom's keys are the body's SHA-256, a second hash WebCrypto's floor does not make.
  const judged = active.some((side) => side.key === 'sw-verifyAsync') ? 'sw-verifyAsync' : null;
  for (const size of sizeNames) {
    const parts = [];
    let met = null;
    for (const side of active.filter((s) => s.wasm)) {
      const worst = Math.min(...shapes.map((shape) => tables[shape].find((r) => r.key === side.key).results[size].ratio));
      parts.push(`${side.key} ${worst.toFixed(2)}×`);
      if (side.key === judged) met = worst >= TARGET;
    }
    if (parts.length === 0) continue;
    const verdict = met === null ? 'not judged (run with the sw-verifyAsync side)' : met ? 'MET' : 'NOT MET';
    console.log(`${size}: WebCrypto / WASM, worst shape: ${parts.join(', ')}; target >= ${TARGET.toFixed(1)}× ` +
      `(by ${judged ?? 'sw-verifyAsync'}): ${verdict}`);
  }
  if (sinkValue() === 0) console.log('(sink empty)');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
