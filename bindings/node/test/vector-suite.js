// The conformance vectors (tests/vectors/, format in its README.md) through the JavaScript API, shared by every place
// they run: vectors.test.js in Node (the napi addon, or with HOOKSEAL_JS_BUILD the WASM build) and the browser page
// of bindings/wasm/test/browser.test.js (pkg-web in headless Chromium). It uses nothing of Node's; the caller hands
// in the files it read and an `assert` with Node's `assert/strict` methods (ok, equal, notEqual, deepEqual,
// deepStrictEqual, fail). Loading fails on a file missing from or unlisted in manifest.json, a miscounted file, a
// duplicate name, an unknown field or an expectation that is not exactly one of the three kinds.
(function (factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else globalThis.hooksealVectorSuite = factory();
})(function () {
  'use strict';

  const CASE_FIELDS = new Set(['name', 'description', 'provider', 'options', 'body', 'body_base64', 'body_repeat',
    'headers', 'now', 'expect']);
  const REQUIRED = ['name', 'description', 'provider', 'options', 'headers', 'expect'];
  const EVENT_FIELDS = ['provider', 'event_type', 'idempotency_key', 'idempotency_key_source', 'timestamp', 'data',
    'is_test', 'is_retry', 'metadata', 'clinic_id'];
  const ERROR_CODES = new Set(['missing_header', 'malformed_header', 'signature_mismatch', 'key_mismatch',
    'payload_too_large', 'invalid_json', 'missing_field', 'event_mismatch', 'clinic_mismatch',
    'timestamp_out_of_tolerance']);
  const CONFIG_ERROR_CODES = new Set(['invalid_secret', 'insecure_default_key', 'unknown_provider', 'invalid_option']);

  /**
   * The cases, checked: `manifest` is manifest.json parsed, `onDisk` the names of the .json files in the directory
   * (manifest.json excluded), `docs` maps each listed file name to its parsed content.
   */
  function loadCases(manifest, onDisk, docs, assert) {
    assert.deepEqual(Object.keys(manifest).sort(), ['description', 'files', 'total'], 'manifest.json fields');
    assert.deepEqual([...onDisk].sort(), Object.keys(manifest.files).sort(),
      'vector files on disk and in manifest.json differ');
    const names = new Set();
    const cases = [];
    for (const [file, count] of Object.entries(manifest.files)) {
      const doc = docs[file];
      assert.deepEqual(Object.keys(doc).sort(), ['cases', 'description'], `${file}: top-level fields`);
      assert.equal(doc.cases.length, count, `${file}: case count differs from manifest.json`);
      for (const c of doc.cases) {
        for (const field of Object.keys(c)) assert.ok(CASE_FIELDS.has(field), `${c.name}: unknown field ${field}`);
        for (const field of REQUIRED) assert.ok(field in c, `${c.name}: missing field ${field}`);
        assert.ok(('body' in c) !== ('body_base64' in c), `${c.name}: exactly one of body / body_base64`);
        assert.ok(!names.has(c.name), `duplicate case name ${c.name}`);
        names.add(c.name);
        const kinds = Object.keys(c.expect);
        assert.equal(kinds.length, 1, `${c.name}: expect has exactly one kind`);
        const [kind] = kinds;
        const value = c.expect[kind];
        if (kind === 'event') assert.deepEqual(Object.keys(value).sort(), [...EVENT_FIELDS].sort(), `${c.name}: fields`);
        else if (kind === 'error') assert.ok(ERROR_CODES.has(value), `${c.name}: unknown code ${value}`);
        else if (kind === 'config_error') assert.ok(CONFIG_ERROR_CODES.has(value), `${c.name}: unknown code ${value}`);
        else assert.fail(`${c.name}: unknown expectation ${kind}`);
        cases.push(c);
      }
    }
    assert.equal(cases.length, manifest.total, 'manifest total differs from the cases read');
    return cases;
  }

  // The contract's snake_case names and JavaScript's camelCase, swapped: `clinic_id` → `clinicId`, and a vector's
  // deliberately camelCase (wrong in the contract) name → snake_case, which is just as wrong in JavaScript.
  function swapCase(name) {
    if (name.includes('_')) return name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
    return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  }

  function bodyOf(c) {
    const one = 'body' in c
      ? new TextEncoder().encode(c.body)
      : Uint8Array.from(atob(c.body_base64), (ch) => ch.charCodeAt(0));
    const times = c.body_repeat ?? 1;
    const body = new Uint8Array(one.length * times);
    for (let i = 0; i < times; i++) body.set(one, i * one.length);
    return body;
  }

  /** Runs one case against `build` (the module's exports: Verifier, VerificationError, ConfigError). */
  function runCase(build, c, assert) {
    const { Verifier, VerificationError, ConfigError } = build;
    const [kind, expected] = Object.entries(c.expect)[0];
    const options = Object.fromEntries(Object.entries(c.options).map(([name, value]) => [swapCase(name), value]));
    let verifier;
    try {
      verifier = new Verifier(c.provider, options);
    } catch (error) {
      assert.ok(error instanceof ConfigError, `not a ConfigError: ${error}`);
      assert.deepEqual(['config_error', error.code], [kind, expected], `configuration refused: ${error.message}`);
      return;
    }
    assert.notEqual(kind, 'config_error', `expected ConfigError(${expected}), the verifier was built`);
    const at = c.now === undefined ? undefined : { now: c.now };
    let event;
    try {
      event = verifier.verify(bodyOf(c), c.headers, at);
    } catch (error) {
      assert.ok(error instanceof VerificationError, `not a VerificationError: ${error}`);
      assert.deepEqual(['error', error.code], [kind, expected], `delivery refused: ${error.message}`);
      return;
    }
    assert.equal(kind, 'event', `expected VerificationError(${expected}), verified ${JSON.stringify(event)}`);
    // The same delivery with the headers as Node hands them over (an object, repeats as arrays), as a Map and, where
    // the runtime has one, as a WHATWG Headers (it joins repeats with ", ", so only cases without repeats).
    const grouped = {};
    for (const [name, value] of c.headers) (grouped[name] ??= []).push(value);
    assert.deepStrictEqual(verifier.verify(bodyOf(c), grouped, at), event);
    assert.deepStrictEqual(verifier.verify(bodyOf(c), new Map(Object.entries(grouped)), at), event);
    const repeated = Object.values(grouped).some((values) => values.length > 1);
    if (typeof Headers === 'function' && !repeated && isByteString(c.headers)) {
      assert.deepStrictEqual(verifier.verify(bodyOf(c), new Headers(c.headers), at), event);
    }
    assert.deepEqual(Object.keys(event).sort(), EVENT_FIELDS.map(swapCase).sort());
    const got = Object.fromEntries(Object.entries(event).map(([name, value]) => [swapCase(name), value]));
    // JSON values compare exactly: JavaScript has one number type, so 850.00 and 850.0 are both 850.
    assert.deepStrictEqual(got, expected);
  }

  // A WHATWG Headers takes only byte strings (U+0000-U+00FF) that are valid header values.
  function isByteString(headers) {
    return headers.every(([name, value]) => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) &&
      /^[\t\x20-\x7e\x80-\xff]*$/.test(value) && value === value.trim());
  }

  return { loadCases, runCase, bodyOf, swapCase };
});
