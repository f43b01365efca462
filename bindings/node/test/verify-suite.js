'use strict';
// The one-call `verify(provider, body, headers, options)`, against a build of the glue: the napi addon
// (verify.test.js) and the WASM pkg-node (bindings/wasm/test/api.test.js). `native` is the module the glue builds
// its verifiers from: counting its constructor calls shows what the cache reuses, without timing anything.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { inspect } = require('node:util');

const BODY = Buffer.from('{"event":"prescription.issued","data":{"prescription_number":"RX-1"}}');
const SW_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function verifySuite(label, hookseal, native) {
  const { Verifier, verify, sign, VerificationError, ConfigError } = hookseal;
  const signed = (secret, body = BODY) => sign('elmed', body, { secret });

  // Counts the verifiers the glue builds while `fn` runs.
  function built(fn) {
    const original = native.NativeVerifier;
    let count = 0;
    native.NativeVerifier = function CountingVerifier(...args) {
      count += 1;
      return new original(...args);
    };
    try {
      fn();
    } finally {
      native.NativeVerifier = original;
    }
    return count;
  }

  const codeOf = (fn) => {
    try {
      fn();
    } catch (error) {
      return [error.constructor.name, error.code];
    }
    return null;
  };

  test(`${label}: verify() gives the Verifier's verdict`, () => {
    const secret = `${label}-verdict`;
    assert.deepEqual(verify('elmed', BODY, signed(secret), { secret }),
      new Verifier('elmed', { secret }).verify(BODY, signed(secret)));
    assert.deepEqual(codeOf(() => verify('elmed', BODY, signed('other'), { secret })),
      ['VerificationError', 'signature_mismatch']);
    const error = codeOf(() => verify('elmed', BODY, {}, { secret }));
    assert.deepEqual(error, ['VerificationError', 'missing_header']);
    // `now` is the clock for this call, not part of the verifier.
    const headers = sign('standard-webhooks', '{}', { secret: SW_SECRET, now: 1_700_000_000 });
    const count = built(() => {
      assert.equal(verify('standard-webhooks', '{}', headers, { secret: SW_SECRET, now: 1_700_000_010 }).eventType, null);
      assert.equal(verify('standard-webhooks', '{}', headers, { secret: SW_SECRET, now: new Date(1_700_000_020_000) })
        .eventType, null);
      assert.deepEqual(codeOf(() => verify('standard-webhooks', '{}', headers, { secret: SW_SECRET, now: 1_700_009_999 })),
        ['VerificationError', 'timestamp_out_of_tolerance']);
    });
    assert.equal(count, 1);
    assert.ok(VerificationError && ConfigError);
  });

  test(`${label}: verify() in a loop builds its verifier once`, () => {
    const secret = `${label}-loop`;
    const headers = signed(secret);
    assert.equal(built(() => {
      for (let i = 0; i < 10_000; i++) verify('elmed', BODY, headers, { secret });
    }), 1);
    // The same options in another order are the same configuration; another value is another one.
    assert.equal(built(() => {
      verify('elmed', BODY, headers, { secrets: [secret, 'old'], tolerance: 0 });
      verify('elmed', BODY, headers, { tolerance: 0, secrets: [secret, 'old'] });
      verify('elmed', BODY, headers, { tolerance: 0, secrets: [secret, 'old'], now: 5 });
    }), 1);
    assert.equal(built(() => verify('elmed', BODY, headers, { secrets: [secret, 'older'], tolerance: 0 })), 1);
  });

  test(`${label}: verify() keeps the 32 most recently used verifiers`, () => {
    const secrets = Array.from({ length: 34 }, (_, i) => `${label}-lru-${i}`);
    const headers = secrets.map((secret) => signed(secret));
    const call = (i) => built(() => verify('elmed', BODY, headers[i], { secret: secrets[i] }));
    let count = 0;
    for (let i = 0; i < 32; i++) count += call(i);
    assert.equal(count, 32);
    assert.equal(call(0), 0); // now the most recently used: secret 1 is the oldest
    assert.equal(call(32), 1); // evicts secret 1
    assert.equal(call(0), 0);
    assert.equal(call(2), 0);
    assert.equal(call(1), 1); // built again (and evicts secret 3)
    assert.equal(call(3), 1);
  });

  test(`${label}: verify() throws a configuration error on every call, and caches none`, () => {
    const headers = signed('s');
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(codeOf(() => verify('acme', BODY, headers, { secret: 's' })), ['ConfigError', 'unknown_provider']);
      assert.deepEqual(codeOf(() => verify('elmed', BODY, headers, { secret: 's', nope: 1 })),
        ['ConfigError', 'invalid_option']);
      assert.deepEqual(codeOf(() => verify('elmed', BODY, headers, { secret: 's', tolerance: '5' })),
        ['ConfigError', 'invalid_option']);
      assert.deepEqual(codeOf(() => verify('elmed', BODY, headers, {})), ['ConfigError', 'invalid_secret']);
    }
    // A value JSON cannot tell from null is never served the verifier built for null.
    const secret = `${label}-nan`;
    verify('elmed', BODY, signed(secret), { secret, tolerance: null });
    assert.deepEqual(codeOf(() => verify('elmed', BODY, signed(secret), { secret, tolerance: NaN })),
      ['ConfigError', 'invalid_option']);
    assert.throws(() => verify(5, BODY, headers, { secret: 's' }), TypeError);
    assert.throws(() => verify('elmed', BODY, headers, 'secret'), TypeError);
  });

  test(`${label}: verify() never shows its secrets`, () => {
    const secret = 'whsk_TOPSECRET_in_the_cache';
    verify('elmed', BODY, signed(secret), { secret });
    const texts = [inspect(hookseal, { depth: 5, showHidden: true }), JSON.stringify(Object.keys(hookseal))];
    try {
      verify('elmed', BODY, signed('another'), { secret });
    } catch (error) {
      texts.push(error.message, inspect(error));
    }
    assert.equal(texts.length, 4);
    assert.deepEqual(texts.filter((text) => text.includes('TOPSECRET')), []);
  });
}

module.exports = { verifySuite };
