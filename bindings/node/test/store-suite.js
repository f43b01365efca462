// The dedupe store's scenario vectors (tests/vectors/store/scenarios.json, format in its README.md) through the
// JavaScript `Store`, shared by every place they run: store.test.js in Node (the napi addon: memory, SQLite, Redis),
// bindings/wasm/test/store.test.js (pkg-node: memory) and the browser page of bindings/wasm/test/browser.test.js
// (pkg-web in headless Chromium: memory). The logic is crates/hookseal-store/tests/scenarios.rs's. It uses nothing of
// Node's; the caller hands in the parsed file, the build's exports and an `assert` with Node's `assert/strict`
// methods (ok, equal, deepEqual, fail). Loading fails on a miscounted section or a field it does not know.
(function (factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else globalThis.hooksealStoreSuite = factory();
})(function () {
  'use strict';

  /** Fails on any field this runner does not know. */
  function only(object, known, what, assert) {
    for (const name of Object.keys(object)) assert.ok(known.includes(name), `${what}: unknown field ${JSON.stringify(name)}`);
  }

  /** The document, checked: its sections and counts. */
  function load(doc, assert) {
    only(doc, ['description', 'counts', 'scenarios', 'urls', 'unreachable'], 'scenarios.json', assert);
    only(doc.counts, ['scenarios', 'urls', 'unreachable'], 'counts', assert);
    for (const section of ['scenarios', 'urls', 'unreachable']) {
      assert.ok(Array.isArray(doc[section]), `${section} is a list`);
      assert.equal(doc[section].length, doc.counts[section], `counts.${section}`);
    }
    const names = new Set();
    for (const c of [...doc.scenarios, ...doc.urls, ...doc.unreachable]) {
      assert.ok(typeof c.name === 'string' && !names.has(c.name), `a unique name: ${c.name}`);
      names.add(c.name);
    }
    return doc;
  }

  function keyOf(value, assert) {
    if (typeof value === 'string') return value;
    assert.ok(value !== null && typeof value === 'object', `a key is a string or a repeat, not ${JSON.stringify(value)}`);
    only(value, ['repeat', 'times', 'then'], 'key', assert);
    return value.repeat.repeat(value.times) + (value.then ?? '');
  }

  const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

  function randomPrefix() {
    return `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
  }

  /** The error a call rejected with, or null. */
  async function rejection(promise) {
    try {
      await promise;
    } catch (error) {
      return error;
    }
    return null;
  }

  /** Runs one scenario on a store opened from `url`; returns the number of steps run. */
  async function runScenario(build, scenario, url, assert) {
    const { Store, ConfigError } = build;
    only(scenario, ['name', 'description', 'lease', 'retention', 'steps'], 'scenario', assert);
    const options = {};
    for (const field of ['lease', 'retention']) if (field in scenario) options[field] = scenario[field];
    const store = new Store(url, options);
    const prefix = randomPrefix();
    const claims = new Map();
    let steps = 0;
    for (const step of scenario.steps) {
      const at = `${scenario.name} on ${store.backend}: step ${JSON.stringify(step)}`;
      if ('claim' in step) {
        only(step, ['claim', 'as', 'namespace', 'namespace_raw', 'expect', 'expect_error', 'retry_after'], at, assert);
        const namespace = 'namespace_raw' in step ? step.namespace_raw
          : 'namespace' in step ? `${prefix}-${step.namespace}` : prefix;
        const result = store.claim(namespace, keyOf(step.claim, assert));
        if ('expect_error' in step) {
          const error = await rejection(result);
          assert.ok(error !== null, `${at}: claimed, expected ${step.expect_error}`);
          assert.equal(error.code, step.expect_error, at);
          if (step.expect_error === 'invalid_option') assert.ok(error instanceof ConfigError, `${at}: ${error}`);
        } else {
          const claim = await result;
          assert.equal(claim.status, step.expect, at);
          assert.equal(claim.namespace, namespace, at);
          if (claim.status !== 'in_progress') assert.equal(claim.retryAfter, null, at);
          if ('retry_after' in step) {
            const [min, max] = step.retry_after;
            assert.ok(Number.isInteger(claim.retryAfter) && claim.retryAfter >= min && claim.retryAfter <= max,
              `${at}: retryAfter ${claim.retryAfter}`);
          }
          if ('as' in step && claim.status === 'claimed') claims.set(step.as, claim);
        }
      } else if ('complete' in step || 'release' in step) {
        only(step, ['complete', 'release', 'expect'], at, assert);
        const op = 'complete' in step ? 'complete' : 'release';
        const claim = claims.get(step[op]);
        assert.ok(claim !== undefined, `${at}: no claim labelled ${step[op]}`);
        assert.equal(await store[op](claim), step.expect, at);
      } else if ('wait' in step) {
        only(step, ['wait'], at, assert);
        await sleep(step.wait);
      } else {
        assert.fail(`${at}: unknown step`);
      }
      steps += 1;
    }
    return steps;
  }

  /** Everything an error shows: a secret must be in none of it. */
  function shown(error) {
    let json = '';
    try {
      json = JSON.stringify(error);
    } catch {
      // not serialisable: nothing shown that way
    }
    return `${error} ${error.message} ${error.stack} ${error.detail} ${json}`;
  }

  /**
   * One `urls` case. `memoryOnly` (the WASM build): a URL the native build opens as SQLite or Redis is
   * ConfigError(invalid_option) there instead, whose message says to pass a store object (and never holds the URL's
   * password: the case's `not_in_describe`); every other case is checked exactly as natively.
   */
  function checkUrl(build, c, assert, { memoryOnly = false } = {}) {
    const { Store, ConfigError } = build;
    only(c, ['name', 'url', 'options', 'expect'], 'url case', assert);
    only(c.expect, ['config_error', 'not_in_message', 'backend', 'describe', 'not_in_describe'], c.name, assert);
    let store;
    let error = null;
    try {
      store = new Store(c.url, c.options);
    } catch (thrown) {
      error = thrown;
    }
    const refusedHere = memoryOnly && 'backend' in c.expect && c.expect.backend !== 'memory';
    if ('config_error' in c.expect || refusedHere) {
      assert.ok(error !== null, `${c.name}: opened, expected a configuration error`);
      assert.ok(error instanceof ConfigError, `${c.name}: not a ConfigError: ${error}`);
      assert.equal(error.code, refusedHere ? 'invalid_option' : c.expect.config_error, c.name);
      assert.equal(error.httpStatus, 500, c.name);
      const secret = c.expect.not_in_message ?? c.expect.not_in_describe;
      if (secret !== undefined) assert.ok(!shown(error).includes(secret), `${c.name}: ${error.message}`);
      if (refusedHere) {
        assert.ok(/async claim\(namespace, key\), complete\(claim\) and release\(claim\)/.test(error.message),
          `${c.name}: the message says what to pass instead: ${error.message}`);
      }
      return;
    }
    assert.equal(error, null, `${c.name}: ${error}`);
    assert.equal(store.backend, c.expect.backend, c.name);
    assert.equal(store.url, c.expect.describe, c.name);
    if ('not_in_describe' in c.expect) assert.ok(!JSON.stringify(store).includes(c.expect.not_in_describe), c.name);
  }

  /**
   * One `unreachable` case: the claim rejects with StoreError(store_unavailable) within 3 s, no secret shown. With
   * `memoryOnly` the URL (never memory:) is refused when the store is opened instead, as checkUrl says.
   */
  async function checkUnreachable(build, c, assert, { memoryOnly = false } = {}) {
    const { Store, StoreError, ConfigError } = build;
    only(c, ['name', 'url', 'description', 'not_in_message'], 'unreachable case', assert);
    if (memoryOnly) {
      let error = null;
      try {
        new Store(c.url);
      } catch (thrown) {
        error = thrown;
      }
      assert.ok(error instanceof ConfigError && error.code === 'invalid_option', `${c.name}: ${error}`);
      if ('not_in_message' in c) assert.ok(!shown(error).includes(c.not_in_message), `${c.name}: ${error.message}`);
      return;
    }
    const store = new Store(c.url);
    const started = Date.now();
    const error = await rejection(store.claim('t', 'evt'));
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 3000, `${c.name}: ${elapsed} ms`);
    assert.ok(error instanceof StoreError, `${c.name}: not a StoreError: ${error}`);
    assert.equal(error.code, 'store_unavailable', c.name);
    assert.equal(error.httpStatus, 503, c.name);
    if ('not_in_message' in c) assert.ok(!shown(error).includes(c.not_in_message), `${c.name}: ${error.message}`);
  }

  return { load, runScenario, checkUrl, checkUnreachable, keyOf };
});
