// `verifyAsync` against `verify`, shared by async.test.js (pkg-node in Node) and the browser page (pkg-web in headless
// Chromium): on every conformance vector and on large deliveries made here, both give the same event (deep-equal) or
// the same error (class, code and message). Every vector runs twice: with WebCrypto hashing whatever the size (the
// threshold set to 0 through async.js's test hook) and with the threshold as shipped. It uses nothing of Node's; the
// caller hands in the build (the package's exports), async.js's `setAsyncMinBytes`, and an `assert` with Node's
// `assert/strict` methods (ok, equal, deepStrictEqual, fail).
(function (factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else globalThis.hooksealAsyncSuite = factory();
})(function () {
  'use strict';

  const UTF8 = new TextEncoder();

  function outcomeOfError(error) {
    return { error: [error && error.constructor && error.constructor.name, error && error.code, error && error.message] };
  }

  function syncOutcome(f) {
    try {
      return { event: f() };
    } catch (error) {
      return outcomeOfError(error);
    }
  }

  async function asyncOutcome(f) {
    try {
      return { event: await f() };
    } catch (error) {
      return outcomeOfError(error);
    }
  }

  /** Both ways on one delivery: `verifyAsync` must give exactly `verify`'s outcome. Returns that outcome. */
  async function compare(verifier, body, headers, at, assert, label) {
    const sync = syncOutcome(() => verifier.verify(body(), headers, at));
    const got = await asyncOutcome(() => verifier.verifyAsync(body(), headers, at));
    assert.deepStrictEqual(got, sync, `${label}: verifyAsync differs from verify`);
    return sync;
  }

  /** One conformance vector (the vector suite's `c`), both ways, at both thresholds. */
  async function runVector(build, suite, setAsyncMinBytes, c, assert) {
    const options = Object.fromEntries(Object.entries(c.options).map(([name, value]) => [suite.swapCase(name), value]));
    let verifier;
    try {
      verifier = new build.Verifier(c.provider, options);
    } catch (error) {
      assert.ok(error instanceof build.ConfigError, `${c.name}: not a ConfigError: ${error}`);
      return;
    }
    const at = c.now === undefined ? undefined : { now: c.now };
    for (const threshold of [0, undefined]) {
      setAsyncMinBytes(threshold);
      try {
        await compare(verifier, () => suite.bodyOf(c), c.headers, at, assert, `${c.name} (threshold ${threshold ?? 'shipped'})`);
      } finally {
        setAsyncMinBytes(undefined);
      }
    }
  }

  // A large body of records (about `target` bytes), ELMED's envelope: `extra` adds top-level text after `{`.
  function records(target, extra = '') {
    const item = (n) => `{"sku": "SKU-${n}", "name": "Line item ${n} \\u00e9\\n", "qty": ${n % 7}, "price": ${n}.25, "ok": true, "note": null}`;
    const items = [];
    let size = 0;
    for (let n = 0; size < target; n++) {
      const text = item(n);
      items.push(text);
      size += text.length + 2;
    }
    return `{${extra}"event": "order.status_changed", "timestamp": "2026-03-29T10:45:00", "data": {"order_id": 7, "items": [${items.join(', ')}]}}`;
  }

  function strings(target) {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    let text = '';
    for (let i = 0; text.length < target; i++) text += alphabet[(i * 7919) % 64];
    return `{"event": "order.status_changed", "data": {"attachment": {"filename": "a.pdf", "content_base64": "${text}"}}}`;
  }

  function bytes(text) {
    return UTF8.encode(text);
  }

  function tamper(value) {
    const at = value.length - 10;
    return value.slice(0, at) + (value[at] === '0' ? '1' : '0') + value.slice(at + 1);
  }

  /**
   * Large deliveries (WebCrypto's path as shipped), genuine and not, through both ways: `[name, outcome kind]` for
   * each, so the caller can check that the cases meant to verify did.
   */
  async function runLarge(build, assert) {
    const secret = 'whsec_async_suite_elmed';
    const elmed = new build.Verifier('elmed', { secret });
    const results = [];
    const check = async (name, verifier, body, headers, at, expected) => {
      const outcome = await compare(verifier, () => body, headers, at, assert, name);
      const kind = outcome.event ? 'event' : outcome.error[1];
      assert.equal(kind, expected, `${name}: ${JSON.stringify(outcome.error ?? 'verified')}`);
      results.push([name, kind]);
    };
    const signed = (provider, body, options) => build.sign(provider, body, options);

    for (const [shape, text] of [['records 70 KiB', records(70_000)], ['strings 1 MiB', strings(1_000_000)],
      ['records 1 MiB', records(1_000_000)]]) {
      const body = bytes(text);
      const headers = signed('elmed', body, { secret });
      await check(`elmed ${shape}`, elmed, body, headers, undefined, 'event');
      await check(`elmed ${shape}, tampered`, elmed, body,
        { ...headers, 'X-ELMED-Signature': tamper(headers['X-ELMED-Signature']) }, undefined, 'signature_mismatch');
      await check(`elmed ${shape}, as a string`, elmed, text, headers, undefined, 'event');
      await check(`elmed ${shape}, as an ArrayBuffer`, elmed, body.slice().buffer, headers, undefined, 'event');
    }
    const body = bytes(records(40_000));
    const headers = signed('elmed', body, { secret });
    await check('elmed, no signature header', elmed, body, { 'X-Other': 'x' }, undefined, 'missing_header');
    await check('elmed, undecodable signature', elmed, body, { 'X-ELMED-Signature': 'sha256=zz' }, undefined,
      'malformed_header');
    await check('elmed, wrong X-ELMED-Event', elmed, body, { ...headers, 'X-ELMED-Event': 'claim.decision' }, undefined,
      'event_mismatch');
    await check('elmed, a DataView', elmed, new DataView(body.buffer), headers, undefined, 'event');
    const rotated = new build.Verifier('elmed', { secrets: ['whsec_old_one', secret] });
    await check('elmed, the second of two secrets', rotated, body, headers, undefined, 'event');
    const small = new build.Verifier('elmed', { secret, maxBodyBytes: 30_000 });
    await check('elmed, over maxBodyBytes', small, body, headers, undefined, 'payload_too_large');

    // Signed, yet refused by the module's parse (JSON.parse accepts the first two: the module decides).
    const signedBad = async (name, text, code) => {
      const bad = typeof text === 'string' ? bytes(text) : text;
      await check(name, elmed, bad, signed('elmed', bad, { secret }), undefined, code);
    };
    await signedBad('a duplicate top-level key', records(30_000).replace('{', '{"event": "x", '), 'invalid_json');
    await signedBad('a lone surrogate in data', records(30_000).replace('"order_id": 7', '"order_id": "\\ud800"'),
      'invalid_json');
    await signedBad('not JSON', 'x'.repeat(30_000), 'invalid_json');
    await signedBad('a byte-order mark', new Uint8Array([0xef, 0xbb, 0xbf, ...bytes(records(30_000))]), 'invalid_json');
    const invalidUtf8 = bytes(records(30_000).replace('SKU-3"', 'SKU-3\u00ff"'));
    invalidUtf8[invalidUtf8.indexOf(0xc3)] = 0xff;
    await signedBad('invalid UTF-8 in a string', invalidUtf8, 'invalid_json');
    await signedBad('no event', records(30_000).replace('"event": "order.status_changed", ', ''), 'missing_field');

    // The caller's buffer changed right after the call: the bytes hashed are the bytes checked (a copy).
    {
      const mine = bytes(records(50_000));
      const minesHeaders = signed('elmed', mine, { secret });
      const expected = elmed.verify(mine, minesHeaders);
      const pending = elmed.verifyAsync(mine, minesHeaders);
      mine.fill(0x20, 1, 100);
      assert.deepStrictEqual(await pending, expected, 'a buffer changed during verifyAsync');
      results.push(['the caller changes its buffer meanwhile', 'event']);
    }

    // custom hmac-sha256: the body's digest as the key (no id), an id, and no `data` (the whole body is the data).
    const customOptions = { scheme: 'hmac-sha256', header: 'X-Signature', prefix: 'sha256=', secret };
    const custom = new build.Verifier('custom', customOptions);
    for (const [name, text] of [['custom, keyed by digest', records(40_000)],
      ['custom, keyed by id', records(40_000, '"id": "evt_42", ')],
      ['custom, no data', records(40_000).replace('"data": ', '"payload": ')]]) {
      const b = bytes(text);
      await check(name, custom, b, signed('custom', b, customOptions), undefined, 'event');
    }

    // Standard Webhooks: `id.timestamp.` signed in front of the body; its headers checked before any hashing.
    const sw = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const swVerifier = new build.Verifier('standard-webhooks', { secret: sw });
    const swBody = bytes(records(60_000).replace('"event"', '"type"'));
    const swHeaders = signed('standard-webhooks', swBody, { secret: sw, now: 1_700_000_000, webhookId: 'msg_async' });
    await check('standard-webhooks', swVerifier, swBody, swHeaders, { now: 1_700_000_010 }, 'event');
    await check('standard-webhooks, out of tolerance', swVerifier, swBody, swHeaders, { now: 1_700_001_000 },
      'timestamp_out_of_tolerance');
    await check('standard-webhooks, a malformed timestamp', swVerifier, swBody,
      { ...swHeaders, 'webhook-timestamp': 'soon' }, { now: 1_700_000_010 }, 'malformed_header');
    await check('standard-webhooks, another id', swVerifier, swBody, { ...swHeaders, 'webhook-id': 'msg_other' },
      { now: 1_700_000_010 }, 'signature_mismatch');

    // A shared key: nothing to hash, verify as it is.
    const nm = new build.Verifier('novamed', { secret: 'nm_async_suite_key' });
    const nmBody = bytes(records(40_000, '"event_type": "order.shipped", "event_id": "e1", ').replace('"event": "order.status_changed", ', ''));
    await check('novamed', nm, nmBody, { 'x-api-key': 'nm_async_suite_key' }, undefined, 'event');
    await check('novamed, wrong key', nm, nmBody, { 'x-api-key': 'nm_wrong' }, undefined, 'key_mismatch');

    // Arguments are refused as verify refuses them, as rejections.
    for (const [name, args] of [['a number body', [42, headers]], ['no headers', [body, 7]], ['a bad now', [body, headers, { now: 'soon' }]],
      ['an unknown option', [body, headers, { tolerance: 5 }]]]) {
      const sync = syncOutcome(() => elmed.verify(...args));
      const promise = elmed.verifyAsync(...args);
      assert.ok(promise instanceof Promise, `${name}: verifyAsync returns a promise`);
      const got = await asyncOutcome(() => promise);
      assert.deepStrictEqual(got, sync, `${name}: verifyAsync differs from verify`);
      results.push([name, got.error[0]]);
    }
    return results;
  }

  /** A seeded generator (xorshift32): the same cases in Node and in the browser. */
  function generator(seed) {
    let x = seed >>> 0 || 1;
    const next = () => {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      return x / 4294967296;
    };
    const pick = (items) => items[Math.floor(next() * items.length)];
    // What a structural scan could get wrong: quotes escaped or not, runs of backslashes, brackets, colons and commas
    // inside strings, escapes of every kind, text that is not ASCII.
    const pieces = ['a', 'Z', '0', ' ', '\\"', '\\\\', '\\\\\\"', '{', '}', '[', ']', ',', ':', '\\n', '\\/',
      '\\u00e9', '\\ud83d\\ude00', 'é', '😀', '\\\\\\\\', 'QUJD'.repeat(20)];
    const string = () => {
      let text = '"';
      for (let n = Math.floor(next() * next() * 60); n > 0; n--) text += pick(pieces);
      return `${text}"`;
    };
    const value = (depth) => {
      const kind = depth > 6 ? Math.floor(next() * 3) : Math.floor(next() * 5);
      if (kind === 0) return pick(['0', '-12', '3.25', '1e400', '-0.5E-3', '7', 'true', 'false', 'null']);
      if (kind === 1 || kind === 2) return string();
      const n = Math.floor(next() * next() * 12);
      const items = Array.from({ length: n }, () => (kind === 3 ? value(depth + 1) : `${string()}:${value(depth + 1)}`));
      const spaced = next() < 0.3 ? ' ' : '';
      return kind === 3 ? `[${items.join(`,${spaced}`)}]` : `{${spaced}${items.join(`,${spaced}`)}}`;
    };
    const container = () => (next() < 0.5 ? `[${value(1)},${value(1)}]` : `{"v":${value(1)},"w":${value(1)}}`);
    // One byte replaced by another that matters to the scan, or dropped.
    const mangle = (text) => {
      const at = Math.floor(next() * text.length);
      return text.slice(0, at) + (next() < 0.2 ? '' : pick(['{', '}', '[', ']', '"', '\\', ',', ':', ' ', 'x'])) + text.slice(at + 1);
    };
    return { next, container, mangle };
  }

  /**
   * Where `data` ends found by the module's structural scan, its grammar judged by JSON.parse (docs/decisions.md, "Node:
   * JSON.parse checks data's grammar", which verifyAsync follows): on valid and malformed data, on what JSON.parse
   * takes and the module refuses, and on escapes and brackets at every offset in the scan's 64-byte blocks,
   * verifyAsync (WebCrypto hashing whatever the size) must give exactly `verify`'s outcome. `[name, outcome]` each.
   */
  async function runHostJson(build, setAsyncMinBytes, assert) {
    const secret = 'whsec_async_suite_host_json';
    const elmed = new build.Verifier('elmed', { secret });
    const envelope = (data) => `{"event":"order.status_changed","timestamp":"2026-03-29T12:00:00","data":${data},"x":1}`;
    const results = [];
    // What the module should do with data that JSON.parse and it both take: find its end with the scan (an object
    // or array), or check it itself (anything else, or an escape of a surrogate, where the scan is not sure).
    const expected = (data) => {
      if (!/^[[{]/.test(data)) return 'validated';
      return /\\u[dD][89a-fA-F]/.test(data) ? 'validated' : 'scan';
    };
    const check = async (name, data, how = {}) => {
      const { verifier = elmed, wrap = envelope, options = { secret }, provider = 'elmed', expect = expected(data) } = how;
      const body = bytes(wrap(data));
      const headers = build.sign(provider, body, options);
      const outcome = await compare(verifier, () => body, headers, undefined, assert, name);
      results.push([name, outcome.event ? 'event' : outcome.error[1], expect]);
    };
    setAsyncMinBytes(0);
    try {
      for (const data of ['{"a" 1}', '{"a":1,}', '[1,]', '{"a":tru}', '{"a":01}', '{"a":"\\x"}', '{"a":"\t"}',
        '{"a":[1}]', '{"a":1]', '[NaN]', '{"a":1 "b":2}', '{"a":"\\ud800"}', '["\\udc00x"]',
        `${'['.repeat(300)}${']'.repeat(300)}`, `${'['.repeat(120)}${']'.repeat(120)}`, `[${'9'.repeat(5000)}]`,
        '{}', '[]', '{"a":[1,2,{"b":"}]\\"\\\\"}],"c":null}', '{"a":"\\ud83d\\ude00","b":1e400}', 'null', '"text"',
        `{"attachment":"${'QUJD'.repeat(30000)}"}`, `{"attachment":"${'QUJD'.repeat(30000)}\\"}"}`,
        `{"pad":"${'x'.repeat(9000)}","a" 1}`]) {
        await check(`data ${data.slice(0, 40)}`, data);
      }
      // A backslash run (1 to 4 long) before a quote, a bracket or a letter, and a string's end, at every offset of a
      // block: the escape carried from one block to the next, and the inside of strings across blocks.
      for (let pad = 0; pad < 70; pad++) {
        for (const run of ['\\', '\\\\', '\\\\\\', '\\\\\\\\']) {
          for (const after of ['"', '}', 'n']) {
            await check(`pad ${pad}, ${run.length} backslashes, then ${after}`, `{"s":"${'x'.repeat(pad)}${run}${after}]","t":[{}]}`);
          }
        }
      }
      // The same at the end of a long string (blocks wholly inside it are skipped with one test each).
      for (let pad = 0; pad < 64; pad++) {
        for (const end of ['\\"]"', '"', '\\\\"']) {
          await check(`a long string, pad ${pad}, then ${end}`, `{"s":"${'QUJD'.repeat(50)}${'x'.repeat(pad)}${end},"t":[{}]}`);
        }
      }
      // Refused after data: the error is the module's own parse's (data malformed or not), as verify's.
      for (const [name, data, after] of [['a duplicate data', '{"a":[1]}', ',"data":1'], ['a number event', '[{}]', ',"event":7'],
        ['text after the envelope', '{"a":"}"}', '} x'], ['malformed data, then a duplicate', '{"a" 1}', ',"data":{}']]) {
        await check(name, data, { wrap: (d) => `{"event":"order.status_changed","data":${d}${after}}` });
      }
      // Custom without data (the whole body is the event's data, checked by the module) and Standard Webhooks.
      const custom = { scheme: 'hmac-sha256', header: 'X-Signature', prefix: 'sha256=', secret };
      const customVerifier = new build.Verifier('custom', custom);
      for (const data of ['{"items":[{"a":"\\"}"}]}', '{"a" 1}']) {
        await check(`custom, no data, ${data}`, data, { verifier: customVerifier, wrap: (d) => `{"type":"x","payload":${d}}`,
          options: custom, provider: 'custom', expect: 'validated' });
      }
      const sw = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
      const swVerifier = new build.Verifier('standard-webhooks', { secret: sw });
      for (const data of ['{"items":[1,{"b":"]"}]}', '[1,]']) {
        await check(`standard-webhooks, data ${data}`, data, { verifier: swVerifier, options: { secret: sw },
          wrap: (d) => `{"type":"x","timestamp":"2026-01-01T00:00:00Z","data":${d}}`, provider: 'standard-webhooks' });
      }
      const random = generator(18);
      for (let n = 0; n < 300; n++) {
        const data = random.container();
        await check(`generated ${n}`, data);
        await check(`generated ${n}, mangled`, random.mangle(data));
      }
    } finally {
      setAsyncMinBytes(undefined);
    }
    return results;
  }

  return { runVector, runLarge, runHostJson, compare };
});
