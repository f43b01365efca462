'use strict';
// The JavaScript surface beyond the vectors: body and header types, options, rotation, the clock, errors, what
// inspection shows, sign. The vectors (vectors.test.js) pin the verdicts; these pin what only JavaScript has.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { inspect } = require('node:util');

const hookseal = require('hookseal');
const { Verifier, sign, VerificationError, ConfigError, HooksealError } = hookseal;

const SAMPLES = path.join(__dirname, '..', '..', '..', 'tests', 'samples');
const SECRET = 'whsk_elmed_node_secret_1f2e3d';
const BODY = fs.readFileSync(path.join(SAMPLES, 'elmed', 'prescription.issued.json'));
const elmed = new Verifier('elmed', { secret: SECRET });
const signed = (body = BODY, secret = SECRET) => sign('elmed', body, { secret });

function refused(fn, Class, code) {
  let caught;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof Class, `expected ${Class.name}(${code}), got ${caught}`);
  assert.equal(caught.code, code);
  return caught;
}

test('bodies: Buffer, Uint8Array, other views, ArrayBuffer and string', () => {
  const u8 = new Uint8Array(BODY);
  const bodies = [BODY, u8, new DataView(u8.buffer), u8.buffer, BODY.toString('utf8')];
  for (const body of bodies) assert.equal(elmed.verify(body, signed()).eventType, 'prescription.issued');
  // A string is hashed as its UTF-8 bytes: a body decoded as latin-1 no longer matches.
  const utf8 = Buffer.from('{"event":"x","data":{"name":"Zoë"}}');
  refused(() => elmed.verify(utf8.toString('latin1'), signed(utf8)), VerificationError, 'signature_mismatch');
  for (const bad of [undefined, null, 5, {}, [1, 2]]) assert.throws(() => elmed.verify(bad, signed()), TypeError);
});

test('headers: Node objects with arrays, WHATWG Headers, Map and pairs', () => {
  const headers = signed();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const containers = [headers, lower, new Headers(Object.entries(headers)), new Map(Object.entries(headers)),
    Object.entries(headers), { ...lower, 'x-elmed-signature': ['sha256=' + '0'.repeat(64), lower['x-elmed-signature']] }];
  for (const container of containers) assert.equal(elmed.verify(BODY, container).provider, 'elmed');
  for (const bad of [undefined, null, 'x-elmed-signature: x', 5, [['a']], [['a', 'b', 'c']], { a: 5 }, [[5, 'x']]]) {
    assert.throws(() => elmed.verify(BODY, bad), TypeError, inspect(bad));
  }
  refused(() => elmed.verify(BODY, {}), VerificationError, 'missing_header');
});

// The addon reads the headers into one buffer, sized for a typical request and grown when a value does not fit.
test('headers of any length and text cross whole', () => {
  const secret = 'whsec_' + Buffer.from('n'.repeat(32)).toString('base64');
  const verifier = new Verifier('standard-webhooks', { secret });
  const body = Buffer.from('{"type":"a.b","data":{"name":"Zoë"}}');
  const given = Object.fromEntries(
    Object.entries(sign('standard-webhooks', body, { secret, webhookId: 'msg_ünï' })).map(([k, v]) => [k.toLowerCase(), v]),
  );
  for (const count of [0, 4, 5, 6, 15]) {
    const others = Array.from({ length: count }, (_, i) => `v1,${Buffer.alloc(32, i).toString('base64')}`);
    const headers = { ...given, 'webhook-signature': [...others, given['webhook-signature']].join(' ') };
    const event = verifier.verify(body, headers);
    assert.deepEqual([event.idempotencyKey, event.data.name], ['msg_ünï', 'Zoë']);
  }
  refused(() => verifier.verify(body, { ...given, 'webhook-signature': `v1,${'é'.repeat(4097)}` }), VerificationError,
    'malformed_header');
});

test('rotation: any configured secret verifies; sign uses the first', () => {
  const verifier = new Verifier('elmed', { secrets: ['new_secret_2026', 'old_secret_2025'] });
  for (const secret of ['new_secret_2026', 'old_secret_2025']) {
    assert.equal(verifier.verify(BODY, signed(BODY, secret)).eventType, 'prescription.issued');
  }
  refused(() => verifier.verify(BODY, signed(BODY, 'retired')), VerificationError, 'signature_mismatch');
  assert.deepEqual(sign('elmed', BODY, { secrets: ['new_secret_2026', 'old'] }), signed(BODY, 'new_secret_2026'));
});

test('options are camelCase and checked strictly', () => {
  const cases = [
    [{ secret: SECRET, max_body_bytes: 10 }, 'invalid_option'],
    [{ secret: SECRET, maxBodyBytes: 1.5 }, 'invalid_option'],
    [{ secret: SECRET, maxBodyBytes: true }, 'invalid_option'],
    [{ secret: SECRET, tolerance: '30' }, 'invalid_option'],
    [{ secrets: ['ok', 5] }, 'invalid_option'],
    [{ secret: SECRET, secrets: [SECRET] }, 'invalid_option'],
    [{ secret: SECRET, clinicId: 'c' }, 'invalid_option'],
    [{ secret: () => SECRET }, 'invalid_option'],
    [{}, 'invalid_secret'],
  ];
  for (const [options, code] of cases) {
    const error = refused(() => new Verifier('elmed', options), ConfigError, code);
    assert.equal(error.httpStatus, 500);
  }
  refused(() => new Verifier('baremeds', { secret: 'xxx' }), ConfigError, 'insecure_default_key');
  refused(() => new Verifier('acme', { secret: SECRET }), ConfigError, 'unknown_provider');
  assert.equal(new Verifier('baremeds', { secret: 'xxx', allowInsecureDefault: true }).provider, 'baremeds');
  assert.equal(new Verifier('elmed', { secret: SECRET, tolerance: undefined, maxBodyBytes: 10 }).maxBodyBytes, 10);
  assert.throws(() => new Verifier('elmed', 'secret'), TypeError);
  assert.throws(() => new Verifier(5, { secret: SECRET }), TypeError);
});

test('index.d.ts names exactly the options the core knows', () => {
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8');
  const block = dts.match(/export interface VerifierOptions \{([\s\S]*?)\n\}/)[1];
  const names = [...block.matchAll(/^\s+(\w+)\?:/gm)].map((m) => m[1]);
  const snake = names.map((n) => n.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)).sort();
  assert.deepEqual(snake, require('../native.js').optionNames().sort());
});

test('now: seconds (fractions rounded down) or a Date; the system clock without it', () => {
  const verifier = new Verifier('elmed', { secret: SECRET, tolerance: 60 });
  const body = Buffer.from('{"event": "order.status_changed", "timestamp": 1774781100, "data": {}}');
  const headers = signed(body);
  assert.equal(verifier.verify(body, headers, { now: 1774781160.99 }).timestamp, '1774781100');
  assert.equal(verifier.verify(body, headers, { now: new Date(1774781040 * 1000) }).timestamp, '1774781100');
  for (const now of [1774781161, 1774781039.5]) {
    refused(() => verifier.verify(body, headers, { now }), VerificationError, 'timestamp_out_of_tolerance');
  }
  for (const now of [true, '1774781100', [1]]) assert.throws(() => verifier.verify(body, headers, { now }), TypeError);
  for (const now of [NaN, Infinity]) assert.throws(() => verifier.verify(body, headers, { now }), RangeError);
  const fresh = Buffer.from(JSON.stringify({ event: 'x', timestamp: Math.floor(Date.now() / 1000), data: {} }));
  assert.equal(verifier.verify(fresh, signed(fresh)).eventType, 'x');
  const stale = Buffer.from(JSON.stringify({ event: 'x', timestamp: Math.floor(Date.now() / 1000) - 3600, data: {} }));
  refused(() => verifier.verify(stale, signed(stale)), VerificationError, 'timestamp_out_of_tolerance');
});

test('events are plain objects with camelCase fields and data keys as sent', () => {
  const body = Buffer.from(JSON.stringify({ event: 'order.status_changed', timestamp: '2026-03-29T10:45:00',
    data: { order_id: 88, orderTotal: 850.5, nested: { a: [1, null, true, 'é💊'] } } }));
  const event = elmed.verify(body, { ...signed(body), 'X-Webhook-Test': 'true' });
  assert.deepEqual(event, {
    provider: 'elmed', eventType: 'order.status_changed', idempotencyKey: event.idempotencyKey,
    idempotencyKeySource: 'body_sha256', timestamp: '2026-03-29T10:45:00',
    data: { order_id: 88, orderTotal: 850.5, nested: { a: [1, null, true, 'é💊'] } },
    isTest: true, isRetry: false, metadata: null, clinicId: null,
  });
  assert.match(event.idempotencyKey, /^sha256:[0-9a-f]{64}$/);
  const deep = Buffer.from('{"event":"x","data":' + '{"a":'.repeat(150) + '1' + '}'.repeat(151));
  assert.equal(JSON.stringify(elmed.verify(deep, signed(deep)).data).length, 150 * 5 + 1 + 150);
  for (const bad of ['not json', '{"event":"a","event":"b"}', '[' .repeat(300) + ']'.repeat(300)]) {
    refused(() => elmed.verify(Buffer.from(bad), signed(Buffer.from(bad))), VerificationError, 'invalid_json');
  }
  refused(() => elmed.verify(Buffer.from([0xff, 0xfe]), signed(Buffer.from([0xff, 0xfe]))), VerificationError,
    'invalid_json');
});

test('Baremeds metadata is redacted; NovaMed fields', () => {
  const key = 'bm_live_9d2f7c41e8a35b06';
  const body = Buffer.from(JSON.stringify({ event: 'order_changed', data: { id: 1 },
    metadata: { request_id: 'req-77', retry: true, webhook_key: key } }));
  const event = new Verifier('baremeds', { secret: key }).verify(body, { 'x-webhook-key': key });
  assert.deepEqual([event.idempotencyKey, event.idempotencyKeySource, event.isRetry], ['req-77', 'request_id', true]);
  assert.deepEqual(event.metadata, { request_id: 'req-77', retry: true, webhook_key: '[redacted]' });
  assert.ok(!JSON.stringify(event).includes(key));
  const novamed = fs.readFileSync(path.join(SAMPLES, 'novamed', 'order.shipped.json'));
  const nm = new Verifier('novamed', { secret: 'k', clinicId: JSON.parse(novamed).clinic_id }).verify(novamed, [['x-api-key', 'k']]);
  assert.equal(nm.idempotencyKey, JSON.parse(novamed).event_id);
});

test('errors: classes, codes, statuses; secrets never shown', () => {
  const secret = 'whsk_TOPSECRET_do_not_print';
  const verifier = new Verifier('elmed', { secret });
  const texts = [inspect(verifier), JSON.stringify(verifier), String(verifier)];
  const mismatch = refused(() => verifier.verify(BODY, signed(BODY, 'x' + secret)), VerificationError, 'signature_mismatch');
  assert.ok(mismatch instanceof HooksealError && mismatch instanceof Error);
  assert.equal(mismatch.httpStatus, 401);
  assert.equal(mismatch.name, 'VerificationError');
  assert.ok(mismatch.message.startsWith('signature_mismatch: '));
  texts.push(mismatch.message, mismatch.stack, inspect(mismatch));
  for (const options of [{ secret: 'whsec_' + secret + '!!' }, { secret, secrets: [secret] }, { secret, tolerance: secret }]) {
    const provider = options.secret.startsWith('whsec_') ? 'standard-webhooks' : 'elmed';
    const error = refused(() => new Verifier(provider, options), ConfigError, options.secret.startsWith('whsec_') ? 'invalid_secret' : 'invalid_option');
    texts.push(error.message, inspect(error));
  }
  const shared = new Verifier('novamed', { secret });
  texts.push(refused(() => shared.verify(Buffer.from('{}'), { 'x-api-key': secret.slice(0, -1) }), VerificationError, 'key_mismatch').message);
  assert.deepEqual(texts.filter((t) => t.includes('TOPSECRET')), []);
  assert.equal(new VerificationError('payload_too_large', 'm').httpStatus, 413);
  assert.equal(new VerificationError('clinic_mismatch', 'm').httpStatus, 400);
  assert.throws(() => new VerificationError('no_such_code', 'm'), TypeError);
});

test('sign returns a real delivery\'s headers; Standard Webhooks takes now and webhookId', () => {
  assert.deepEqual(Object.keys(signed()), ['Content-Type', 'X-ELMED-Signature', 'X-ELMED-Event']);
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const headers = sign('standard-webhooks', '{"type":"a"}', { secret, now: 1700000000, webhookId: 'msg_1' });
  assert.deepEqual([headers['webhook-id'], headers['webhook-timestamp']], ['msg_1', '1700000000']);
  const event = new Verifier('standard-webhooks', { secret }).verify('{"type":"a"}', headers, { now: 1700000000 });
  assert.deepEqual([event.idempotencyKey, event.eventType], ['msg_1', 'a']);
  refused(() => sign('elmed', BODY, { secret: SECRET, now: 1 }), ConfigError, 'invalid_option');
  refused(() => sign('elmed', BODY, { secret: SECRET, webhook_id: 'x' }), ConfigError, 'invalid_option');
});

test('a body of 1 MiB of line items round-trips', () => {
  const items = Array.from({ length: 9000 }, (_, n) => ({ sku: `SKU-${n}`, qty: n % 3, price: n / 7 }));
  const body = Buffer.from(JSON.stringify({ event: 'order.status_changed', data: { items } }));
  assert.deepStrictEqual(elmed.verify(body, signed(body)).data, { items });
});

test('verify takes only now; now and sign\'s now read alike', () => {
  for (const options of [{ nowe: 1 }, { now: 1, tolerance: 0 }]) {
    assert.throws(() => elmed.verify(BODY, signed(), options), TypeError);
  }
  assert.throws(() => elmed.verify(BODY, signed(), { now: 1e300 }), RangeError);
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const fractional = sign('standard-webhooks', '{"type":"a"}', { secret, now: 1700000000.9, webhookId: 'm' });
  const dated = sign('standard-webhooks', '{"type":"a"}', { secret, now: new Date(1700000000900), webhookId: 'm' });
  assert.equal(fractional['webhook-timestamp'], '1700000000');
  assert.deepEqual(dated, fractional);
  assert.throws(() => new VerificationError('invalid_json_typo', 'm', 400), TypeError);
  assert.throws(() => new VerificationError(5, 'm'), TypeError);
});

test('header values that are not plain text get contract codes, never a crash', () => {
  const verifier = new Verifier('elmed', { secret: 's' });
  const body = Buffer.from('{"event":"a.b","data":{}}');
  const code = (headers) => {
    try {
      verifier.verify(body, headers);
    } catch (error) {
      return error.code;
    }
    return null;
  };
  assert.equal(code({ 'x-elmed-signature': 'sha256=\ud800\u0000' }), 'malformed_header'); // lone surrogate, NUL
  assert.equal(code({ 'x-elmed-signature': `sha256=${'a'.repeat(1 << 20)}` }), 'malformed_header');
  assert.equal(code({ 'x-elmed-signature': '0,'.repeat(100000) }), 'malformed_header');
  const novamed = new Verifier('novamed', { secret: 'k' });
  assert.throws(() => novamed.verify('{"event_type":"a","event_id":"e","data":{}}', { 'x-api-key': 'k\udc00' }),
    (error) => error.code === 'key_mismatch');
});

test('a large body\'s digest key is hashed when first read, from the body as verified', () => {
  const crypto = require('node:crypto');
  const digest = (bytes) => `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;
  const items = Array.from({ length: 800 }, (_, i) => ({ line: i, sku: `SKU-${i}`, qty: i % 3 }));
  const large = Buffer.from(JSON.stringify({ event: 'prescription.issued', data: { items } }));
  assert.ok(large.length > 16 * 1024);
  const expected = digest(large);
  const custom = new Verifier('custom', { secret: SECRET, scheme: 'hmac-sha256', header: 'X-ELMED-Signature',
    prefix: 'sha256=' });
  const bodies = [() => Buffer.from(large), () => new Uint8Array(large), () => large.toString(),
    () => new Uint8Array(large).buffer];
  for (const verifier of [elmed, custom]) {
    for (const make of bodies) {
      const body = make();
      const event = verifier.verify(body, signed(large));
      assert.equal(event.idempotencyKeySource, 'body_sha256');
      // The caller's buffer changes after verify: the key is still the verified body's.
      if (typeof body !== 'string') new Uint8Array(body instanceof ArrayBuffer ? body : body.buffer).fill(0x20, 0, 64);
      assert.deepEqual(Object.keys(event), ['provider', 'eventType', 'idempotencyKey', 'idempotencyKeySource',
        'timestamp', 'data', 'isTest', 'isRetry', 'metadata', 'clinicId']);
      assert.equal(event.idempotencyKey, expected);
      assert.equal(event.idempotencyKey, expected);
      assert.equal(Object.getOwnPropertyDescriptor(event, 'idempotencyKey').value, expected, 'a data property once read');
      assert.equal(JSON.parse(JSON.stringify(event)).idempotencyKey, expected);
      assert.equal({ ...event }.idempotencyKey, expected);
    }
  }
  // JSON.stringify and a spread read an unread key too; written before it is read, the key is what was written.
  assert.equal(JSON.parse(JSON.stringify(elmed.verify(large, signed(large)))).idempotencyKey, expected);
  assert.equal({ ...elmed.verify(large, signed(large)) }.idempotencyKey, expected);
  const event = elmed.verify(large, signed(large));
  event.idempotencyKey = 'mine';
  assert.equal(event.idempotencyKey, 'mine');
  // Found through a Proxy, a prototype, a copy of the descriptors; a frozen event hashes at each read; a view with
  // an offset and a DataView are hashed over exactly their bytes.
  assert.equal(new Proxy(elmed.verify(large, signed(large)), {}).idempotencyKey, expected);
  assert.equal(Object.create(elmed.verify(large, signed(large))).idempotencyKey, expected);
  const descriptors = Object.getOwnPropertyDescriptors(elmed.verify(large, signed(large)));
  assert.equal(Object.defineProperties({}, descriptors).idempotencyKey, expected);
  const frozen = Object.freeze(elmed.verify(large, signed(large)));
  assert.equal(frozen.idempotencyKey, expected);
  assert.equal(frozen.idempotencyKey, expected);
  assert.deepEqual(Object.keys(frozen).length, 10);
  const padded = Buffer.concat([Buffer.from('xxxx'), large, Buffer.from('yyyy')]);
  const view = padded.subarray(4, 4 + large.length);
  assert.equal(elmed.verify(view, signed(large)).idempotencyKey, expected);
  const dataView = new DataView(padded.buffer, padded.byteOffset + 4, large.length);
  assert.equal(elmed.verify(dataView, signed(large)).idempotencyKey, expected);
  assert.deepEqual(Object.getOwnPropertySymbols(event).map((s) => s.description), ['hookseal.deferredBody']);
  assert.equal(JSON.stringify(elmed.verify(large, signed(large))).includes('deferredBody'), false);
  // A small body's key is there at once, a plain data property; so is a key that is not a digest.
  const small = elmed.verify(BODY, signed());
  assert.equal(Object.getOwnPropertyDescriptor(small, 'idempotencyKey').value, digest(BODY));
  const withId = Buffer.from(JSON.stringify({ event: 'x', id: 'evt_1', data: { items } }));
  assert.equal(Object.getOwnPropertyDescriptor(custom.verify(withId, signed(withId)), 'idempotencyKey').value, 'evt_1');
});
