'use strict';
/**
 * What the router costs per delivery in Node: `router.dispatch` of a verified ELMED event, next to an if-ladder on
 * `event.eventType`, an object of handlers, and `verify()` itself. The same cases as
 * bindings/python/bench/bench_router.py: a handler for each of ELMED's six event types, two prefixes and `*`, each
 * returning a prebuilt object; an exact type (`claim.decision`), a prefix match (`claim.appealed`, caught by
 * `claim.*`), and the catch-all (`x.y`).
 *
 * Each case runs RUNS times, interleaved; a run times a batch and reports ns per call; the table shows the median
 * and the range (fastest to slowest run). The napi build by default; HOOKSEAL_JS_BUILD=bindings/wasm/pkg-node for
 * the WASM one.
 *
 * Run: `node bindings/node/bench/bench_router.js` (`make bench-router` runs every language's).
 */

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..', '..');
const build = process.env.HOOKSEAL_JS_BUILD ? path.resolve(ROOT, process.env.HOOKSEAL_JS_BUILD) : ROOT;
const { Router, Verifier, sign, EVENT_TYPES } = require(build);

const SECRET = 'whsec_elmed_bench_0123456789abcdef';
const RUNS = 9;
const BATCH = 500_000;
const SAMPLE = fs.readFileSync(path.join(ROOT, 'tests', 'samples', 'elmed', 'claim.decision.json'), 'utf8');
const verifier = new Verifier('elmed', { secret: SECRET });

function eventOf(eventType) {
  const body = Buffer.from(SAMPLE.replace('claim.decision', eventType));
  return verifier.verify(body, sign('elmed', body, { secret: SECRET }));
}

const ANSWERS = Object.fromEntries([0, 1, 2, 3, 4, 5, 10, 11].map((n) => [n, { handler: n }]));
const router = new Router({ provider: 'elmed' });
EVENT_TYPES.elmed.forEach((type, i) => router.on(type, () => ANSWERS[i]));
router.on(['claim.*', 'order.*'], () => ANSWERS[10]).on('*', () => ANSWERS[11]);
const table = Object.fromEntries(EVENT_TYPES.elmed.map((type, i) => [type, () => ANSWERS[i]]));
// The ladder calls a handler too, as the router does: only the choice of it differs.
const HANDLERS = Object.fromEntries(Object.keys(ANSWERS).map((n) => [n, () => ANSWERS[n]]));

function ladder(event) {
  const t = event.eventType;
  if (t === 'prescription.issued') return HANDLERS[0](event);
  if (t === 'prescription.dispensed') return HANDLERS[1](event);
  if (t === 'consultation.completed') return HANDLERS[2](event);
  if (t === 'order.status_changed') return HANDLERS[3](event);
  if (t === 'claim.decision') return HANDLERS[4](event);
  if (t === 'referral.created') return HANDLERS[5](event);
  if (t !== null && (t.startsWith('claim.') || t.startsWith('order.'))) return HANDLERS[10](event);
  return HANDLERS[11](event);
}

const cases = new Map();
for (const [label, type] of [['exact', 'claim.decision'], ['prefix', 'claim.appealed'], ['any', 'x.y']]) {
  const event = eventOf(type);
  if (router.dispatch(event) !== ladder(event)) throw new Error(`the router and the ladder disagree on ${label}`);
  cases.set(`router.dispatch, ${label}`, () => router.dispatch(event));
  cases.set(`if-ladder, ${label}`, () => ladder(event));
  if (label === 'exact') cases.set('object of handlers, exact', () => table[event.eventType](event));
}
const body = Buffer.from(SAMPLE);
const headers = sign('elmed', body, { secret: SECRET });
cases.set('verify() of the 297-byte sample, for scale', () => verifier.verify(body, headers));

let sink = 0;
function perCall(fn, batch) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < batch; i++) sink ^= fn() === null ? 1 : 0;
  return Number(process.hrtime.bigint() - start) / batch;
}

const results = new Map([...cases.keys()].map((name) => [name, []]));
for (let run = 0; run < RUNS; run++) {
  for (const [name, fn] of cases) results.get(name).push(perCall(fn, name.startsWith('verify') ? BATCH / 10 : BATCH));
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`Node ${process.version}, hookseal router (${process.env.HOOKSEAL_JS_BUILD ? 'wasm' : 'napi'}), ${RUNS} runs (median, fastest-slowest), ns per call`);
for (const [name, values] of results) {
  const shown = `${median(values).toFixed(0)}`.padStart(8);
  console.log(`  ${name.padEnd(44)} ${shown}   (${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)})`);
}
if (sink === 2) console.log('');
