'use strict';
/**
 * hookseal against the floor, ELMED's documented snippet and the peer libraries, per verified delivery with the data
 * materialised: one table of ratios per body shape (issue 18; the same bodies and layout as the Python and PHP
 * benches).
 *
 * Sides (each gets the same body Buffer, with the headers of its own scheme, lowercase as Express hands them over):
 *
 * - floor: what a user writes with Node alone: `crypto.createHmac('sha256')` of the body as hex, compared with
 *   `crypto.timingSafeEqual` to the `x-signature: sha256=<hex>` header (length checked first), then
 *   `JSON.parse(body.toString())`. Every ratio is to this row.
 * - ELMED's documentation snippet (`verifySignature` below, verbatim) + `JSON.parse(body)`.
 * - `standardwebhooks` (`new Webhook(secret).verify(body, headers)`, which returns the parsed payload) and `svix`
 *   (`new Webhook(secret).verify(body, headers)`, which returns nothing since svix 2: `JSON.parse(body.toString())`
 *   after it, as its docs show), both on Standard Webhooks headers.
 * - `stripe`: `stripe.webhooks.constructEvent(body, stripeSignature, secret)` with its default 300 s tolerance,
 *   which returns the parsed event. Stripe's scheme is no hookseal preset: compare its row with the floor only.
 * - `@octokit/webhooks-methods`: `await verify(secret, text, x-hub-signature-256)` on `body.toString()` (it takes a
 *   string), then `JSON.parse(text)`. It is async: its loop awaits every call, the others' loops do not await.
 * - hookseal `custom` (hmac-sha256, hex, header `X-Signature`, prefix `sha256=`: the floor's scheme), `elmed`
 *   (reads `.idempotencyKey` too, the body's SHA-256) and `standard-webhooks` (the scheme of standardwebhooks and
 *   svix, on their very headers). Each reads `.data`, materialised, as a handler would.
 *
 * Before timing, every side on every body accepts the genuine delivery, returns the same `data` as the floor's
 * parse, and refuses the delivery with its signature tampered: a side that silently does less fails the run.
 *
 * Bodies (bodies.js `SHAPES`, the same bytes as the Python, PHP and WASM benches; length and SHA-256 prefix printed):
 * `records` (line items in `data.items`) and `strings` (one base64 attachment), at 1 KiB, 64 KiB and 1 MiB.
 *
 * Timing: each side is calibrated like `timeit`'s autorange (1, 2, 5, 10, … calls until one sample takes >= 0.2 s,
 * >= 0.1 s at 1 MiB) after a warm-up, then all sides are timed round after round (REPEAT rounds, the starting side
 * rotating), so the machine's noise hits all alike. Node's garbage collector cannot be turned off: each side pays
 * for the garbage it makes, as in a server; with `--expose-gc` (as `make bench-node` runs it) a full collection runs
 * before every sample, outside the timed part, so no side pays for another's garbage. Each cell is the best per-call
 * time, its ratio to the floor (best / best) and the range of the per-round ratios (side's round / floor's round).
 * Headers with a timestamp (Standard Webhooks, Stripe) are signed anew before every sample.
 *
 * Run: `make bench-node` (installs the pinned peers of bindings/node/bench/package.json with `npm ci`, then runs this
 * and bench_memory.js), or `node --expose-gc bindings/node/bench/bench_verify.js [--repeat N] [--min-seconds S]
 * [--shapes records,strings] [--sizes 1024,65536,1048576] [--sides floor,custom,…]` (the options are for quick
 * looks; the floor always runs). hookseal is loaded from this repository's build (`make node`); the peers from
 * bindings/node/bench/node_modules.
 */

const assert = require('node:assert');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..', '..');
const { Verifier, sign, VerificationError } = require(ROOT);
const { version: HOOKSEAL_VERSION } = require(path.join(ROOT, 'package.json'));
const { SHAPES } = require('./bodies.js');
const { measure, formatTime, plainTable, markdownTable, commit, sinkValue } = require('./harness.js');

const SECRET = 'whsec_elmed_bench_0123456789abcdef'; // ELMED, custom, octokit, stripe and the floor
const SW_SECRET = 'whsec_' + Buffer.from('hookseal bench standard webhooks key!').toString('base64');
const STRIPE_SECRET = 'whsec_stripe_bench_0123456789abcdef';
const SIZES = [
  ['1 KiB', 1024],
  ['64 KiB', 64 * 1024],
  ['1 MiB', 1024 * 1024],
];
const TARGET = 1.05; // issue 18: hookseal at most 1.05x the floor, at every size, for both shapes

// --- Options ---------------------------------------------------------------------------------------------------------

function usage(message) {
  if (message) console.error(`bench_verify.js: ${message}`);
  console.error(
    'usage: node --expose-gc bindings/node/bench/bench_verify.js [--repeat N] [--min-seconds S] ' +
      '[--shapes records,strings] [--sizes 1024,65536,1048576] [--sides floor,custom,...]',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const options = { repeat: 21, minSeconds: 0.2, shapes: null, sizes: null, sides: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-h' || argv[i] === '--help') usage();
    const match = /^--(repeat|min-seconds|shapes|sizes|sides)(?:=(.*))?$/.exec(argv[i]);
    if (!match) usage(`unknown argument ${JSON.stringify(argv[i])}`);
    const value = match[2] ?? argv[++i];
    if (value === undefined || value === '') usage(`--${match[1]} needs a value`);
    if (match[1] === 'repeat') {
      options.repeat = Number(value);
      if (!Number.isSafeInteger(options.repeat) || options.repeat < 1) usage('--repeat must be a positive integer');
    } else if (match[1] === 'min-seconds') {
      options.minSeconds = Number(value);
      if (!(options.minSeconds > 0)) usage('--min-seconds must be a positive number');
    } else {
      options[match[1]] = value.split(',').map((item) => item.trim());
    }
  }
  return options;
}

// --- The peers (bindings/node/bench/node_modules, pinned by package-lock.json) ---------------------------------------

async function loadPeers() {
  // Not `require(name + '/package.json')`: stripe's exports do not list it.
  const version = (name) =>
    JSON.parse(fs.readFileSync(path.join(__dirname, 'node_modules', name, 'package.json'))).version;
  try {
    // svix and @octokit/webhooks-methods are ES modules only.
    const [svix, octokit] = await Promise.all([import('svix'), import('@octokit/webhooks-methods')]);
    return {
      standardwebhooks: { module: require('standardwebhooks'), version: version('standardwebhooks') },
      svix: { module: svix, version: version('svix') },
      stripe: { module: require('stripe'), version: version('stripe') },
      octokit: { module: octokit, version: version('@octokit/webhooks-methods') },
    };
  } catch (error) {
    console.error(`bench_verify.js: a peer library is missing (${error.message.split('\n')[0]})`);
    console.error('install them with `npm ci --prefix bindings/node/bench` (`make bench-node` does)');
    process.exit(1);
  }
}

// --- The sides -------------------------------------------------------------------------------------------------------

// ELMED's documentation, verbatim.
function verifySignature(secret, body, header) {
  const expected = "sha256=" + crypto.createHmac("sha256", secret).update(body).digest("hex");
  return crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(header));
}

const JSON_HEADERS = { 'content-type': 'application/json' };

function elmedHeaders(body) {
  return { ...JSON_HEADERS, 'x-elmed-signature': sign('elmed', body, { secret: SECRET })['X-ELMED-Signature'] };
}

/** The floor's `x-signature: sha256=<hex>` (hookseal custom's scheme). */
function customHeaders(body) {
  const hex = crypto.createHmac('sha256', SECRET).update(body).digest('hex');
  return { ...JSON_HEADERS, 'x-signature': `sha256=${hex}` };
}

/**
 * Each side: `name`, `headers(body)` (its scheme's headers; `timed` when they carry a timestamp and are signed anew
 * before every sample), `call(body, headers)` returning the data (`async` for a Promise), and `tamper` (the header
 * whose value the sanity check breaks).
 */
function sides(peers) {
  const swWebhook = new peers.standardwebhooks.module.Webhook(SW_SECRET);
  const svixWebhook = new peers.svix.module.Webhook(SW_SECRET);
  const Stripe = peers.stripe.module;
  const stripe = new Stripe('sk_test_hookseal_bench_never_used'); // constructEvent makes no request
  const octokitVerify = peers.octokit.module.verify;
  const octokitSign = peers.octokit.module.sign;
  const octokitSignatures = new WeakMap();

  const swHeaders = (body) => {
    const id = `msg_${crypto.createHash('sha256').update(body).digest('hex').slice(0, 24)}`;
    // One clock reading for both: signing 1 MiB takes milliseconds, and a second boundary between two readings
    // would make the header's timestamp another than the one signed.
    const now = new Date();
    const signature = swWebhook.sign(id, now, body);
    const seconds = String(Math.floor(now.getTime() / 1000));
    return { ...JSON_HEADERS, 'webhook-id': id, 'webhook-timestamp': seconds, 'webhook-signature': signature };
  };
  const custom = new Verifier('custom', {
    secret: SECRET, scheme: 'hmac-sha256', header: 'X-Signature', prefix: 'sha256=', encoding: 'hex',
  });
  const elmed = new Verifier('elmed', { secret: SECRET });
  const standard = new Verifier('standard-webhooks', { secret: SW_SECRET });

  return [
    {
      key: 'floor',
      name: 'floor: createHmac + timingSafeEqual + JSON.parse',
      headers: customHeaders,
      tamper: 'x-signature',
      call(body, headers) {
        const signature = headers['x-signature'];
        const expected = Buffer.from(crypto.createHmac('sha256', SECRET).update(body).digest('hex'));
        const given = signature.startsWith('sha256=') ? Buffer.from(signature.slice(7)) : null;
        if (given === null || given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
          throw new Error('signature mismatch');
        }
        return JSON.parse(body.toString()).data;
      },
    },
    {
      key: 'snippet',
      name: "ELMED's docs snippet + JSON.parse",
      headers: elmedHeaders,
      tamper: 'x-elmed-signature',
      call(body, headers) {
        if (!verifySignature(SECRET, body, headers['x-elmed-signature'])) throw new Error('signature mismatch');
        return JSON.parse(body).data;
      },
    },
    {
      key: 'standardwebhooks',
      name: `standardwebhooks ${peers.standardwebhooks.version}`,
      headers: swHeaders,
      timed: true,
      tamper: 'webhook-signature',
      call: (body, headers) => swWebhook.verify(body, headers).data,
    },
    {
      key: 'svix',
      name: `svix ${peers.svix.version} + JSON.parse`,
      headers: swHeaders,
      timed: true,
      tamper: 'webhook-signature',
      call(body, headers) {
        svixWebhook.verify(body, headers);
        return JSON.parse(body.toString()).data;
      },
    },
    {
      key: 'stripe',
      name: `stripe ${peers.stripe.version} constructEvent`,
      headers: (body) => ({
        ...JSON_HEADERS,
        'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body.toString(), secret: STRIPE_SECRET }),
      }),
      timed: true,
      tamper: 'stripe-signature',
      call: (body, headers) => stripe.webhooks.constructEvent(body, headers['stripe-signature'], STRIPE_SECRET).data,
    },
    {
      key: 'octokit',
      name: `@octokit/webhooks-methods ${peers.octokit.version} + JSON.parse`,
      // Its sign() is async: the signature is made ahead, by prepare().
      headers: (body) => ({ ...JSON_HEADERS, 'x-hub-signature-256': octokitSignatures.get(body) }),
      tamper: 'x-hub-signature-256',
      async: true,
      async prepare(body) {
        octokitSignatures.set(body, await octokitSign(SECRET, body.toString()));
      },
      async call(body, headers) {
        const text = body.toString();
        if (!(await octokitVerify(SECRET, text, headers['x-hub-signature-256']))) throw new Error('signature mismatch');
        return JSON.parse(text).data;
      },
    },
    {
      key: 'custom',
      name: 'hookseal custom (hex)',
      hookseal: true,
      headers: customHeaders,
      tamper: 'x-signature',
      call: (body, headers) => custom.verify(body, headers).data,
    },
    {
      key: 'elmed',
      name: 'hookseal elmed',
      hookseal: true,
      headers: elmedHeaders,
      tamper: 'x-elmed-signature',
      call(body, headers) {
        const event = elmed.verify(body, headers);
        lastKey = event.idempotencyKey; // read, as a handler would to deduplicate
        keyChars += lastKey.length;
        return event.data;
      },
    },
    {
      key: 'standard-webhooks',
      name: 'hookseal standard-webhooks',
      hookseal: true,
      headers: swHeaders,
      timed: true,
      tamper: 'webhook-signature',
      call: (body, headers) => standard.verify(body, headers).data,
    },
  ];
}

let keyChars = 0; // idempotency keys read by hookseal elmed (part of the sink)
let lastKey = null;

// --- Checks ----------------------------------------------------------------------------------------------------------

function fail(message) {
  console.error(`bench_verify.js: ${message}`);
  process.exit(1);
}

function tampered(headers, name) {
  const value = headers[name];
  // A digit of a hex or base64 signature, away from base64's padding bits, changed (a digit in both alphabets).
  const at = value.length - 10;
  return { ...headers, [name]: value.slice(0, at) + (value[at] === '0' ? '1' : '0') + value.slice(at + 1) };
}

/** The side accepts the delivery, returns the floor's data, and refuses the delivery with its signature tampered. */
async function sanityCheck(side, label, body, headers, expected) {
  let data;
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
  if (side.key === 'elmed') {
    const key = 'sha256:' + crypto.createHash('sha256').update(body).digest('hex');
    if (lastKey !== key) fail(`${side.name}, ${label}: unexpected idempotency key ${lastKey}`);
  }
  let refused = false;
  try {
    await side.call(body, tampered(headers, side.tamper));
  } catch (error) {
    if (side.hookseal && !(error instanceof VerificationError)) throw error;
    refused = true;
  }
  if (!refused) fail(`${side.name}, ${label}: accepted a tampered ${side.tamper}`);
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const peers = await loadPeers();
  const all = sides(peers);
  const known = all.map((side) => side.key);
  for (const key of options.sides ?? []) if (!known.includes(key)) usage(`unknown side ${key} (${known.join(', ')})`);
  const active = all.filter((side) => side.key === 'floor' || !options.sides || options.sides.includes(side.key));
  const shapes = options.shapes ?? Object.keys(SHAPES);
  for (const shape of shapes) if (!(shape in SHAPES)) usage(`unknown shape ${shape} (${Object.keys(SHAPES).join(', ')})`);
  const sizes = options.sizes ? SIZES.filter(([, bytes]) => options.sizes.includes(String(bytes))) : SIZES;
  if (sizes.length === 0) usage(`--sizes takes ${SIZES.map(([, bytes]) => bytes).join(', ')}`);
  const sizeNames = sizes.map(([name]) => name);

  const loadAtStart = os.loadavg()[0];
  const bodyLines = [];
  const tables = {}; // shape -> rows
  for (const shape of shapes) {
    const rows = active.map((side) => ({ key: side.key, name: side.name, hookseal: side.hookseal, results: {} }));
    tables[shape] = rows;
    for (const [sizeName, target] of sizes) {
      const body = SHAPES[shape](target);
      const digest = crypto.createHash('sha256').update(body).digest('hex').slice(0, 16);
      bodyLines.push(`${shape} ${target} -> ${body.length} bytes ${digest}`);
      const label = `${shape} ${sizeName}`;
      const expected = JSON.parse(body.toString()).data;
      for (const side of active) {
        if (side.prepare) await side.prepare(body);
        await sanityCheck(side, label, body, side.headers(body), expected);
      }
      const minSeconds = body.length > 512 * 1024 ? Math.min(options.minSeconds, 0.1) : options.minSeconds;
      const headersOf = active.map((side) => side.headers(body));
      const fresh = (s) => (active[s].timed ? active[s].headers(body) : headersOf[s]);
      const runs = await measure(active, body, options.repeat, minSeconds, headersOf, fresh);
      const floorRuns = runs[0];
      const floorBest = Math.min(...floorRuns);
      runs.forEach((run, s) => {
        const ratios = run.map((us, r) => us / floorRuns[r]);
        const best = Math.min(...run);
        rows[s].results[sizeName] = { best, ratio: best / floorBest, low: Math.min(...ratios), high: Math.max(...ratios) };
      });
      const summary = active
        .map((side, s) => `${side.key} ${rows[s].results[sizeName].ratio.toFixed(2)}`)
        .join(', ');
      console.error(`  measured ${label}: floor ${formatTime(floorBest)}; ratios ${summary}`);
    }
  }

  const cpu = os.cpus()[0];
  const gcNote = typeof globalThis.gc === 'function'
    ? 'a full GC before every sample (--expose-gc), outside the timed part'
    : 'GC as it comes (run with --expose-gc for a full GC before every sample)';
  console.log(
    `Node ${process.version} (V8 ${process.versions.v8}), ${os.platform()} ${process.arch}, ` +
      `${os.cpus().length} CPUs (${cpu ? cpu.model.trim() : 'unknown'}); hookseal ${HOOKSEAL_VERSION} at ${commit(ROOT)}; ` +
      new Date().toISOString(),
  );
  console.log(
    `load average ${loadAtStart.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end; best of ` +
      `${options.repeat} interleaved rounds (samples >= ${options.minSeconds} s, >= ${Math.min(options.minSeconds, 0.1)} s at ` +
      `1 MiB); ${gcNote}`,
  );
  console.log('Cells: best time per verified delivery (ratio to the floor, best / best; range of the per-round ratios).');
  console.log('Bodies (shape target -> length, first 16 hex digits of SHA-256):');
  for (const line of bodyLines) console.log(`  ${line}`);
  for (const shape of shapes) {
    console.log();
    console.log(plainTable(shape, tables[shape], sizeNames, 'floor'));
  }
  for (const shape of shapes) {
    console.log();
    console.log(markdownTable(shape, tables[shape], sizeNames, 'floor', (row) => row.hookseal));
  }
  console.log();
  const hooksealKeys = active.filter((side) => side.hookseal).map((side) => side.key);
  for (const key of hooksealKeys) {
    let worst = null;
    for (const shape of shapes) {
      const row = tables[shape].find((r) => r.key === key);
      for (const size of sizeNames) {
        const { ratio } = row.results[size];
        if (worst === null || ratio > worst.ratio) worst = { ratio, where: `${shape} ${size}` };
      }
    }
    console.log(
      `Target (hookseal ${key} <= ${TARGET.toFixed(2)}× the floor at every size, both shapes): ` +
        `${worst.ratio <= TARGET ? 'MET' : 'NOT MET'} (worst ${worst.ratio.toFixed(2)}× at ${worst.where})`,
    );
  }
  // Against the peers that sit at the floor: hookseal custom's best beside theirs, cell by cell.
  const custom = active.find((side) => side.key === 'custom');
  for (const peer of ['octokit', 'stripe']) {
    if (!custom || !active.some((side) => side.key === peer)) continue;
    const faster = [];
    const slower = [];
    for (const shape of shapes) {
      const ours = tables[shape].find((r) => r.key === 'custom');
      const theirs = tables[shape].find((r) => r.key === peer);
      for (const size of sizeNames) {
        (ours.results[size].best < theirs.results[size].best ? faster : slower).push(`${shape} ${size}`);
      }
    }
    const name = active.find((side) => side.key === peer).name;
    console.log(
      `hookseal custom faster than ${name} in ${faster.length} of ${faster.length + slower.length} cells` +
        (slower.length ? ` (not at ${slower.join(', ')})` : ''),
    );
  }
  // Keep the sink observable so that no result can be proven unused.
  if (sinkValue() === -1 || keyChars === -1) console.log(sinkValue(), keyChars);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
