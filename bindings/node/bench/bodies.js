'use strict';
// The benchmark bodies, shared by the Node and WASM benchmarks (bindings/node/bench, bindings/wasm/bench): the
// documented samples (tests/samples/) with line items added to `data.items` up to a target size, serialised exactly
// as bindings/python/bench/bench_verify.py does (Python `json.dumps` defaults), so every bench times the same bytes.

const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');

const SAMPLES = path.resolve(__dirname, '..', '..', '..', 'tests', 'samples');

/** `json.dumps(value)` with Python's defaults (ASCII-only input; floats here are never whole numbers). */
function pyDumps(value) {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    if (!/^[\x20-\x7e]*$/.test(value)) throw new Error(`pyDumps: non-ASCII or control text ${JSON.stringify(value)}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(pyDumps).join(', ')}]`;
  return `{${Object.keys(value).map((k) => `${pyDumps(k)}: ${pyDumps(value[k])}`).join(', ')}}`;
}

const PRODUCTS = [
  ['Amoxicillin 500 mg capsules, 21', 8450],
  ['Atorvastatin 20 mg tablets, 30', 12999],
  ['Metformin 850 mg tablets, 56', 6320],
  ['Salbutamol 100 mcg inhaler, 200 doses', 9875],
  ['Omeprazole 20 mg capsules, 28', 5410],
  ['Levothyroxine 50 mcg tablets, 28', 7150],
];

function lineItem(n) {
  const [name, cents] = PRODUCTS[n % PRODUCTS.length];
  return {
    line_id: n + 1,
    sku: `SKU-${String(100000 + ((n * 37) % 900000)).padStart(6, '0')}`,
    name,
    qty: 1 + (n % 3),
    unit_price: cents / 100,
    currency: 'ZAR',
    dispensed: n % 4 !== 0,
  };
}

/** The envelope serialised with as many line items in `data.items` as fit in `target` bytes (as the Python bench). */
function grow(envelope, target) {
  const items = [];
  envelope.data.items = items;
  let size = Buffer.byteLength(pyDumps(envelope));
  for (;;) {
    const item = lineItem(items.length);
    const extra = Buffer.byteLength(pyDumps(item)) + (items.length ? 2 : 0); // ", " between items
    if (size + extra > target) break;
    items.push(item);
    size += extra;
  }
  const body = Buffer.from(pyDumps(envelope));
  assert.ok(body.length === size && size <= target, `${body.length} ${size} ${target}`);
  return body;
}

function sample(provider, name) {
  return JSON.parse(fs.readFileSync(path.join(SAMPLES, provider, name), 'utf8'));
}

const elmedBody = (target) => grow(sample('elmed', 'order.status_changed.json'), target);

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * The string-heavy shape: ELMED's sample with one attached document in `data.attachment` (a referral letter as
 * base64, the way large webhook bodies usually get large), its text sized so that the body is exactly `target` bytes.
 * Character i of the base64 text is BASE64[(i * 7919) % 64], as in the Rust benchmark (crates/hookseal/benches).
 */
function elmedStringBody(target) {
  const envelope = sample('elmed', 'order.status_changed.json');
  envelope.data.attachment = { filename: 'referral-letter.pdf', content_type: 'application/pdf', content_base64: '' };
  const fill = target - Buffer.byteLength(pyDumps(envelope));
  assert.ok(fill > 0, `no room for the attachment in ${target} bytes`);
  let text = '';
  for (let i = 0; i < fill; i++) text += BASE64[(i * 7919) % 64];
  envelope.data.attachment.content_base64 = text;
  const body = Buffer.from(pyDumps(envelope));
  assert.strictEqual(body.length, target);
  return body;
}
const novamedBody = (target) => grow(sample('novamed', 'order.shipped.json'), target);

/** Both ELMED shapes, by name: `records` (line items: many small values) and `strings` (one large string). */
const SHAPES = { records: elmedBody, strings: elmedStringBody };

module.exports = { elmedBody, elmedStringBody, novamedBody, pyDumps, SHAPES };
