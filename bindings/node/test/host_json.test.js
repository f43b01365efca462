'use strict';
// `data`'s grammar checked by JSON.parse (docs/decisions.md, "Node: JSON.parse checks data's grammar"): the addon
// finds where `data` ends and the glue's JSON.parse of the event judges the rest, falling back to the core's own parse
// when it refuses. Every verdict must be the core's: the same event, or the same error code and message, as the
// addon's strict path (`hostParses` false), on malformed `data`, on what JSON.parse takes and the core does not, and
// on valid bodies of every size.

const test = require('node:test');
const assert = require('node:assert/strict');

const { Verifier, sign, VerificationError } = require('hookseal');
const native = require('../native.js');

const SECRET = 'whsk_elmed_host_json_test';
const elmed = new Verifier('elmed', { secret: SECRET });
const strictNative = new native.NativeVerifier('elmed', { secret: SECRET });

const envelope = (data) => `{"event":"order.status_changed","timestamp":"2026-03-29T12:00:00","data":${data},"x":1}`;

/** The addon's calls during `fn`: the `hostParses` flag of each, and whether it threw. */
function calls(fn) {
  const seen = [];
  const original = native.NativeVerifier.prototype.verify;
  native.NativeVerifier.prototype.verify = function spy(...args) {
    try {
      const out = original.apply(this, args);
      // From 8 KiB the addon hands the body over as text for the glue's JSON.parse, with the event's other fields.
      seen.push([args[3] === true, Array.isArray(out) ? 'returned text' : 'returned']);
      return out;
    } catch (error) {
      seen.push([args[3] === true, 'threw']);
      throw error;
    }
  };
  try {
    return { result: fn(), seen };
  } catch (error) {
    return { error, seen };
  } finally {
    native.NativeVerifier.prototype.verify = original;
  }
}

/** The core's verdict on `body` by its own parse: an event (parsed, its key read) or [code, message]. */
function strictVerdict(body, headers) {
  const flat = Object.entries(headers).flatMap(([name, value]) => [name.toLowerCase(), value]);
  try {
    const event = JSON.parse(strictNative.verify(Buffer.from(body), flat, undefined, false));
    // A large body's digest key is left for the glue to hash when read.
    if (event.idempotencyKey === null) event.idempotencyKey = native.digestKey(Buffer.from(body));
    return { event };
  } catch (error) {
    return { code: error.code, message: error.message };
  }
}

/** Verifies `data` in an ELMED envelope through the glue; checks the verdict against the core's; the calls made. */
function check(data) {
  const body = Buffer.from(envelope(data));
  const headers = sign('elmed', body, { secret: SECRET });
  const expected = strictVerdict(body, headers);
  const { result, error, seen } = calls(() => elmed.verify(body, headers));
  if (expected.event !== undefined) {
    assert.equal(error, undefined, `${data.slice(0, 60)}: refused (${error && error.message}), the core accepts`);
    assert.deepEqual({ ...result }, expected.event); // the spread reads a deferred key too
  } else {
    assert.ok(error instanceof VerificationError, `${data.slice(0, 60)}: ${error}, the core refuses (${expected.code})`);
    assert.equal(error.code, expected.code);
    assert.equal(error.detail, expected.message);
  }
  // What a call that answered looks like for this body's size.
  const returned = body.length >= 8192 ? 'returned text' : 'returned';
  const label = (what) => {
    if (what === 'threw') return what;
    return what === returned ? 'returned' : `${what}, for a body of ${body.length} bytes`;
  };
  return seen.map(([host, what]) => [host, label(what)]);
}

test('malformed data that the structural scan passes: JSON.parse refuses, the core names the error', () => {
  for (const data of ['{"a" 1}', '{"a":1,}', '[1,]', '{"a":tru}', '{"a":01}', '{"a":"\\x"}', '{"a":"\t"}',
    '{"a":[1}]', '{"a":1]', '[NaN]', '{"a":1 "b":2}',
    // Past 8 KiB the addon hands the body over as text for JSON.parse: the same fallback.
    `{"pad":"${'x'.repeat(9000)}","a" 1}`, `[${'"a",'.repeat(3000)}]`]) {
    const seen = check(data);
    // The host path answered with a text, JSON.parse refused it, and the strict path threw the core's error.
    assert.deepEqual(seen, [[true, 'returned'], [false, 'threw']], data.slice(0, 60));
  }
});

test("what JSON.parse takes and the core refuses: the core's verdict, in one call", () => {
  const edges = [
    '{"a":"\\ud800"}', // a lone surrogate: JSON.parse takes it
    '["\\udc00x"]',
    `${'['.repeat(300)}${']'.repeat(300)}`, // past jiter's 200 levels: JSON.parse takes it
    `[${'9'.repeat(5000)}]`, // past jiter's 4300 digits: JSON.parse takes it (as Infinity)
  ];
  for (const data of edges) {
    assert.deepEqual(check(data), [[true, 'threw']], data.slice(0, 40));
  }
});

test('valid data: the same event as the core, in one call', () => {
  const items = Array.from({ length: 3000 }, (_, i) => ({ sku: `RX-${i}`, qty: i % 7, price: 12.5, ok: i % 2 === 0 }));
  for (const data of ['{}', '[]', '{"a":[1,2,{"b":"}]\\"\\\\"}],"c":null}', '{"a":"\\ud83d\\ude00","b":1e400}',
    `${'['.repeat(120)}${']'.repeat(120)}`, 'null', '"text"', '12', JSON.stringify({ items }),
    JSON.stringify({ attachment: 'QUJD'.repeat(50000) }),
    // Not ASCII, past 8 KiB: the text is handed over as UTF-8, and the deferred key hashed from it is the bytes'.
    JSON.stringify({ note: 'Zoë, 😀, ü\u2028 '.repeat(2000) })]) {
    assert.deepEqual(check(data), [[true, 'returned']], data.slice(0, 40));
  }
});

test('a refusal after data (a duplicate key) is the core\'s error, not another', () => {
  // The structural scan passes the malformed data; the duplicate after it would be the host path's error, but the
  // core's own parse meets the malformed data first.
  const body = Buffer.from('{"event":"a","data":{"a" 1},"event":"b"}');
  const headers = sign('elmed', body, { secret: SECRET });
  const expected = strictVerdict(body, headers);
  assert.match(expected.message, /expected `:`/);
  const { error } = calls(() => elmed.verify(body, headers));
  assert.equal(error.code, expected.code);
  assert.equal(error.detail, expected.message);
});
