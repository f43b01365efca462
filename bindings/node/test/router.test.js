'use strict';
// The router (docs/api.md, "The router"): every case of tests/vectors/router/routes.json, the rest of its contract
// (unhandled accept / reject, handlers' returns and throws, provider checks, the typo warning, the log lines), the
// framework helpers with a real store (hookseal/express on a real server, hookseal/fetch's webhookHandler), and every
// verifying vector of tests/vectors/ dispatched through a router of its provider's catalog.
//
// One suite, two builds (as vectors.test.js): the napi addon by default; with HOOKSEAL_JS_BUILD=bindings/wasm/pkg-node
// the WASM build (its fetch.js beside it, its memory: store; hookseal/express is the napi package's only).

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { createHash, randomUUID } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { inspect } = require('node:util');

const BUILD_DIR = process.env.HOOKSEAL_JS_BUILD ? path.resolve(process.env.HOOKSEAL_JS_BUILD) : null;
const build = BUILD_DIR ? require(BUILD_DIR) : require('hookseal');
const fetchGlue = BUILD_DIR ? require(path.join(BUILD_DIR, 'fetch.js')) : require('hookseal/fetch');
const WASM = BUILD_DIR !== null;
const { Router, UnhandledEventError, ConfigError, HooksealError, EVENT_TYPES, Verifier, Store, sign } = build;
const { webhookHandler } = fetchGlue;
const { loadCases, bodyOf, swapCase } = require('./vector-suite.js');

const ROOT = path.join(__dirname, '..', '..', '..');
const VECTORS = path.join(ROOT, 'tests', 'vectors');
const REDIS_URL = process.env.HOOKSEAL_TEST_REDIS_URL;
const DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'hookseal-router-test-'));
process.on('exit', () => fs.rmSync(DIR, { recursive: true, force: true }));

const SECRET = 's3cret-for-router-tests';
const elmed = new Verifier('elmed', { secret: SECRET });
const sha256 = (bytes) => 'sha256:' + createHash('sha256').update(bytes).digest('hex');
const fake = (eventType, provider = 'elmed') => ({ provider, eventType, idempotencyKey: `key-${randomUUID()}` });
const namespace = () => `router.${randomUUID().slice(0, 8)}`;

function configError(fn, code = 'invalid_option') {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${error}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail('no ConfigError');
}

/** process.emitWarning's warnings emitted while `fn` runs (they are emitted on the next tick). */
async function warnings(fn) {
  const seen = [];
  const listen = (warning) => seen.push(warning);
  process.on('warning', listen);
  try {
    fn();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.removeListener('warning', listen);
  }
  return seen;
}

async function until(predicate, what, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// tests/vectors/router/routes.json

const ROUTES = JSON.parse(fs.readFileSync(path.join(VECTORS, 'router', 'routes.json'), 'utf8'));
const CASE_FIELDS = { dispatch: ['id', 'kind', 'routes', 'dispatch'], error: ['id', 'kind', 'routes', 'error_at', 'error'] };

function runDispatchCase(c) {
  const router = new Router();
  const calls = [];
  c.routes.forEach((route, index) => {
    const returned = router.on(route, (event, ...rest) => {
      calls.push([index, event, rest]);
      return { handler: index };
    });
    assert.equal(returned, router, 'on() returns the router');
  });
  assert.deepEqual(router.patterns, c.routes.flat(), `${c.id}: patterns in registration order`);
  for (const [type, expected] of c.dispatch) {
    assert.ok(type === null || typeof type === 'string', `${c.id}: an event type is a string or null`);
    assert.ok(expected === null || (Number.isInteger(expected) && expected >= 0 && expected < c.routes.length),
      `${c.id}: a handler index or null`);
    calls.length = 0;
    const event = fake(type);
    const result = router.dispatch(event, 'extra');
    if (expected === null) {
      assert.deepStrictEqual(result, { status: 'unhandled', event_type: type, idempotency_key: event.idempotencyKey },
        `${c.id}: ${JSON.stringify(type)} is unhandled`);
      assert.equal(calls.length, 0);
      assert.equal(router.match(type), null);
    } else {
      assert.deepStrictEqual(result, { handler: expected }, `${c.id}: ${JSON.stringify(type)} goes to handler ${expected}`);
      assert.equal(calls.length, 1, `${c.id}: exactly one handler ran`);
      assert.equal(calls[0][1], event, 'the handler gets the event itself');
      assert.deepEqual(calls[0][2], ['extra'], 'and the rest of dispatch\'s arguments');
      assert.notEqual(router.match(type), null);
    }
  }
}

function runErrorCase(c) {
  assert.ok(Number.isInteger(c.error_at) && c.error_at >= 0 && c.error_at < c.routes.length, `${c.id}: error_at`);
  const router = new Router();
  c.routes.slice(0, c.error_at).forEach((route) => router.on(route, () => 'ok'));
  const before = router.patterns;
  const route = c.routes[c.error_at];
  const error = configError(() => router.on(route, () => 'ok'), c.error);
  // The message names the pattern (a list's: one of them; an empty list has none).
  const named = (Array.isArray(route) ? route : [route]).map((p) => `'${p}'`);
  if (named.length > 0) assert.ok(named.some((p) => error.message.includes(p)), `${c.id}: ${error.message}`);
  assert.deepEqual(router.patterns, before, `${c.id}: the failed call registered nothing`);
  for (const rest of c.routes.slice(c.error_at + 1)) assert.ok(rest !== undefined);
}

describe('tests/vectors/router/routes.json', () => {
  assert.deepEqual(Object.keys(ROUTES).sort(), ['cases', 'description', 'kinds'], 'top-level fields');
  assert.deepEqual(ROUTES.kinds, Object.keys(CASE_FIELDS), 'the case kinds this runner knows');
  let ran = 0;
  const ids = new Set();
  for (const c of ROUTES.cases) {
    it(`${c.kind}: ${c.id}`, () => {
      assert.ok(Object.prototype.hasOwnProperty.call(CASE_FIELDS, c.kind), `${c.id}: unknown case kind ${c.kind}`);
      assert.deepEqual(Object.keys(c).sort(), [...CASE_FIELDS[c.kind]].sort(), `${c.id}: fields`);
      assert.ok(!ids.has(c.id), `duplicate id ${c.id}`);
      ids.add(c.id);
      if (c.kind === 'dispatch') runDispatchCase(c);
      else runErrorCase(c);
      ran += 1;
    });
  }
  it('ran every case', () => {
    assert.ok(ROUTES.cases.length >= 15);
    assert.equal(ran, ROUTES.cases.length);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The rest of the contract

describe('Router', () => {
  it('several patterns, wildcards and the catch-all: exactly one handler, the most specific', () => {
    const ran = [];
    const router = new Router({ provider: 'novamed' })
      .on(['order:shipped', 'order:delivered'], (event) => ran.push(['shipping', event.eventType]))
      .on('order:*', (event) => ran.push(['order', event.eventType]))
      .on('*', (event) => ran.push(['all', event.eventType]));
    for (const type of ['order:shipped', 'order:delivered', 'order:created', 'refill:denied', null]) {
      router.dispatch(fake(type, 'novamed'));
    }
    assert.deepEqual(ran, [['shipping', 'order:shipped'], ['shipping', 'order:delivered'], ['order', 'order:created'],
      ['all', 'refill:denied'], ['all', null]]);
    assert.deepEqual(router.patterns, ['order:shipped', 'order:delivered', 'order:*', '*']);
    router.patterns.push('mutated');
    assert.equal(router.patterns.length, 4, 'patterns is a copy');
  });

  it("unhandled 'accept' (the default): the plain answer, snake_case, the claim's key", () => {
    const router = new Router({ provider: 'elmed' }).on('order.status_changed', () => 'handled');
    assert.equal(router.unhandled, 'accept');
    const event = fake('claim.decision');
    const answer = router.dispatch(event);
    assert.deepStrictEqual(answer, { status: 'unhandled', event_type: 'claim.decision', idempotency_key: event.idempotencyKey });
    assert.equal(Object.getPrototypeOf(answer), Object.prototype);
    assert.deepStrictEqual(new Router().dispatch({ ...event, eventType: null }),
      { status: 'unhandled', event_type: null, idempotency_key: event.idempotencyKey });
  });

  it("unhandled 'reject': UnhandledEventError (a HooksealError, unhandled_event, 501, eventType)", () => {
    const router = new Router({ provider: 'elmed', unhandled: 'reject' }).on('order.*', () => 'handled');
    assert.equal(router.dispatch(fake('order.status_changed')), 'handled');
    for (const type of ['claim.decision', null]) {
      const event = fake(type);
      assert.throws(() => router.dispatch(event), (error) => {
        assert.ok(error instanceof UnhandledEventError);
        assert.ok(error instanceof HooksealError);
        assert.equal(error.code, 'unhandled_event');
        assert.equal(error.httpStatus, 501);
        assert.equal(error.eventType, type);
        assert.equal(error.idempotencyKey, event.idempotencyKey);
        assert.equal(error.name, 'UnhandledEventError');
        assert.equal(error.message, `unhandled_event: no handler for the delivery ${event.idempotencyKey} from elmed (${type})`);
        return true;
      });
    }
  });

  it("the router's ConfigError codes have the core's status without a native call (errors.js), and the same", () => {
    const native = require(BUILD_DIR ? path.join(BUILD_DIR, 'native.js') : '../native.js');
    for (const code of ['invalid_option', 'unknown_provider']) {
      assert.equal(new ConfigError(code, 'x').httpStatus, native.httpStatus(code), code);
      assert.equal(native.httpStatus(code), 500, code);
    }
    assert.equal(configError(() => new Router({ provider: 'elmd' }), 'unknown_provider').httpStatus, 500);
    assert.equal(configError(() => new Router().on('', () => 'ok')).httpStatus, 500);
    // (null from napi, undefined from WASM: not a code of the core)
    assert.ok(native.httpStatus('unhandled_event') == null, 'unhandled_event is the glue\'s own code');
    assert.throws(() => new ConfigError('no_such_code', 'x'), /"no_such_code" is not one of hookseal's error codes/);
  });

  it("a handler's throw propagates as it is; a Promise is returned as it is (async stays async)", async () => {
    const boom = new Error('the pharmacy system is down');
    const router = new Router()
      .on('order.status_changed', () => {
        throw boom;
      })
      .on('claim.decision', async (event, extra) => ({ key: event.idempotencyKey, extra }));
    assert.throws(() => router.dispatch(fake('order.status_changed')), (error) => error === boom);
    const event = fake('claim.decision');
    const pending = router.dispatch(event, 42);
    assert.ok(pending instanceof Promise);
    assert.deepEqual(await pending, { key: event.idempotencyKey, extra: 42 });
    const rejected = new Router().on('*', async () => {
      throw boom;
    }).dispatch(fake('x'));
    await assert.rejects(rejected, (error) => error === boom);
  });

  it('a router bound to a provider refuses another provider\'s event (ConfigError invalid_option)', () => {
    const router = new Router({ provider: 'elmed' }).on('*', () => 'ran');
    const error = configError(() => router.dispatch(fake('order:shipped', 'novamed')));
    assert.match(error.message, /a router for elmed was given a novamed event/);
    assert.equal(router.dispatch(fake('order:shipped', 'elmed')), 'ran');
    assert.equal(new Router().on('*', () => 'any').dispatch(fake('order:shipped', 'novamed')), 'any');
    assert.throws(() => router.dispatch(null), TypeError);
  });

  it('invalid options and on() arguments are ConfigErrors naming what is wrong', () => {
    configError(() => new Router({ mode: 'reject' }));
    configError(() => new Router({ unhandled: 'ignore' }));
    configError(() => new Router({ unhandled: true }));
    configError(() => new Router({ provider: 5 }));
    configError(() => new Router('elmed'));
    assert.match(configError(() => new Router({ provider: 'stripe' }), 'unknown_provider').message, /stripe/);
    for (const provider of ['elmed', 'baremeds', 'novamed', 'standard-webhooks', 'custom', null, undefined]) {
      assert.equal(new Router({ provider }).provider, provider ?? null);
    }
    const router = new Router();
    assert.match(configError(() => router.on(5, () => {})).message, /number/);
    assert.match(configError(() => router.on(['a', null], () => {})).message, /null/);
    assert.match(configError(() => router.on('order.*', 'handler')).message, /'order\.\*'.*function/);
    assert.match(configError(() => router.on('order.*')).message, /function/);
    assert.deepEqual(router.patterns, []);
  });

  it('inspect and JSON show provider, mode and patterns, never a handler', () => {
    const secretHandler = function whsecHandler() {
      return 'whsec_never_shown';
    };
    const router = new Router({ provider: 'baremeds', unhandled: 'reject' }).on(['order_changed', 'message_*'], secretHandler);
    assert.equal(inspect(router), "Router { provider: 'baremeds', unhandled: 'reject', patterns: ['order_changed', 'message_*'] }");
    assert.deepEqual(JSON.parse(JSON.stringify(router)),
      { provider: 'baremeds', unhandled: 'reject', patterns: ['order_changed', 'message_*'] });
    assert.equal(inspect(new Router()), "Router { provider: null, unhandled: 'accept', patterns: [] }");
    assert.ok(!inspect(router).includes('whsec'));
  });

  it('warns once about an exact pattern its catalog does not name, with a suggestion within 3 edits', async () => {
    const typo = 'order.status_change'; // (once per process: no other test of this file registers these)
    let seen = await warnings(() => new Router({ provider: 'elmed' }).on(typo, () => {}));
    assert.deepEqual(seen.map((w) => [w.message, w.code]), [[
      `hookseal: elmed documents no event '${typo}'; did you mean 'order.status_changed'?`, 'HOOKSEAL_UNKNOWN_EVENT_TYPE']]);
    seen = await warnings(() => new Router({ provider: 'elmed' }).on(typo, () => {}));
    assert.deepEqual(seen, [], 'once');
    const far = 'shipment.dispatched';
    seen = await warnings(() => new Router({ provider: 'elmed' }).on([far, 'claim.decision', 'prescription.*', '*'], () => {}));
    assert.deepEqual(seen.map((w) => w.message), [`hookseal: elmed documents no event '${far}'`], 'no suggestion beyond 3 edits');
    seen = await warnings(() => new Router({ provider: 'custom' }).on('pharmacy_order_create', () => {}));
    assert.deepEqual(seen.map((w) => w.message),
      ["hookseal: custom documents no event 'pharmacy_order_create'; did you mean 'pharmacy_order_created'?"]);
    // No catalog to check against: no warning.
    seen = await warnings(() => {
      new Router().on('order.status_chnged', () => {});
      new Router({ provider: 'standard-webhooks' }).on('invoice.paid', () => {});
    });
    assert.deepEqual(seen, []);
  });

  it('EVENT_TYPES is each catalog\'s event list, by preset', () => {
    const catalogs = {};
    for (const file of fs.readdirSync(path.join(ROOT, 'catalog')).filter((f) => f.endsWith('.schema.json'))) {
      const meta = JSON.parse(fs.readFileSync(path.join(ROOT, 'catalog', file), 'utf8'))['x-hookseal'];
      catalogs[meta.provider] = meta.events;
    }
    assert.deepEqual(EVENT_TYPES, catalogs);
    assert.ok(Object.isFrozen(EVENT_TYPES) && Object.isFrozen(EVENT_TYPES.elmed));
  });

  it('logs the accepted unhandled delivery under NODE_DEBUG=hookseal: its key and type, never its data', () => {
    const script = `
      const { Router } = require(${JSON.stringify(BUILD_DIR ?? 'hookseal')});
      const answer = new Router({ provider: 'elmed' }).dispatch({ provider: 'elmed', eventType: 'referral.created',
        idempotencyKey: 'sha256:abc', data: { patient: 'Jane Doe' } });
      process.stdout.write(JSON.stringify(answer));`;
    const child = spawnSync(process.execPath, ['-e', script], {
      cwd: ROOT, env: { ...process.env, NODE_DEBUG: 'hookseal' }, encoding: 'utf8',
    });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout, '{"status":"unhandled","event_type":"referral.created","idempotency_key":"sha256:abc"}');
    assert.match(child.stderr, /^HOOKSEAL \d+: no handler for the delivery sha256:abc from elmed \(referral\.created\): accepted$/m);
    assert.ok(!child.stderr.includes('Jane'));
    const quiet = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, env: { ...process.env, NODE_DEBUG: '' }, encoding: 'utf8' });
    assert.equal(quiet.stderr, '');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// With a real store, through the framework helpers

/** The stores the helpers are run with: SQLite and Redis with the addon; the WASM build has memory: only. */
function stores() {
  if (WASM) return [['memory', () => new Store('memory:')]];
  return [
    ['sqlite', () => new Store(`sqlite://${path.join(DIR, 'router.db')}`)],
    ['redis', () => {
      assert.ok(REDIS_URL, 'HOOKSEAL_TEST_REDIS_URL is not set: run under scripts/with-redis.sh');
      return new Store(REDIS_URL);
    }],
  ];
}

/** A fresh signed ELMED delivery of `type`: its body, headers and idempotency key. */
function delivery(type) {
  const body = Buffer.from(JSON.stringify({ event: type, data: { order_id: 88, nonce: randomUUID() } }));
  return { body, headers: sign('elmed', body, { secret: SECRET }), key: sha256(body) };
}

/** Whether the key was completed (`duplicate`) or released (`claimed`, given back at once) in the store. */
async function stateOf(store, ns, key) {
  const claim = await store.claim(ns, key);
  if (claim.status === 'claimed') await store.release(claim);
  return claim.status;
}

/** The routers of the helper tests: what ran, and handlers that answer, throw once, or are missing. */
function scenario(answer, unhandled) {
  const ran = [];
  let failures = 1;
  const router = new Router({ provider: 'elmed', unhandled })
    .on('order.status_changed', (event, ...rest) => {
      ran.push(event.idempotencyKey);
      return answer(event, rest);
    })
    .on('prescription.*', async (event, ...rest) => {
      ran.push(event.idempotencyKey);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (failures-- > 0) throw new Error('the pharmacy system is down');
      return answer(event, rest);
    });
  return { router, ran };
}

if (!WASM) {
  const express = require('express');
  const { webhook } = require('hookseal/express');

  /** An Express app on port 0: POST /h is webhook(elmed, options), the router ending the route; errors answer 500. */
  async function withExpress(options, fn) {
    const app = express();
    const errors = [];
    app.post('/h', webhook(elmed, options));
    app.use((error, req, res, next) => {
      errors.push(error);
      if (res.headersSent) return next(error);
      res.status(500).json({ error: 'internal_error' });
    });
    const server = http.createServer(app);
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const post = async ({ body, headers }) => {
      const response = await fetch(`http://127.0.0.1:${server.address().port}/h`, { method: 'POST', body, headers });
      return { status: response.status, text: await response.text() };
    };
    try {
      await fn(post, errors);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  const expressAnswer = (event, [req, res]) => {
    assert.equal(req.webhook, event, 'the handler gets (event, req, res), as a route handler would');
    res.status(201).json({ status: 'processed', key: event.idempotencyKey, path: req.path });
  };

  for (const [backend, open] of stores()) {
    describe(`hookseal/express webhook(elmed, { store, router }) on ${backend}`, () => {
      it('claimed: the one handler runs and answers, completed; a duplicate dispatches nothing', async () => {
        const store = open();
        const ns = namespace();
        const { router, ran } = scenario(expressAnswer, 'accept');
        await withExpress({ store, namespace: ns, router }, async (post) => {
          const d = delivery('order.status_changed');
          assert.deepEqual(await post(d), { status: 201, text: JSON.stringify({ status: 'processed', key: d.key, path: '/h' }) });
          await until(async () => (await stateOf(store, ns, d.key)) === 'duplicate', 'the key completed');
          assert.deepEqual(await post(d), { status: 200, text: `{"status":"duplicate","idempotency_key":"${d.key}"}` });
          assert.deepEqual(ran, [d.key]);
        });
      });

      it('a throwing (async) handler is a 500 and releases the key: the retry runs it', async () => {
        const store = open();
        const ns = namespace();
        const { router, ran } = scenario(expressAnswer, 'accept');
        await withExpress({ store, namespace: ns, router }, async (post, errors) => {
          const d = delivery('prescription.issued');
          assert.deepEqual(await post(d), { status: 500, text: '{"error":"internal_error"}' });
          assert.equal(errors[0].message, 'the pharmacy system is down');
          await until(async () => (await stateOf(store, ns, d.key)) === 'claimed', 'the key released');
          assert.equal((await post(d)).status, 201);
          assert.deepEqual(ran, [d.key, d.key]);
        });
      });

      it("unhandled, 'accept': 200 with the router's answer, completed", async () => {
        const store = open();
        const ns = namespace();
        const { router, ran } = scenario(expressAnswer, 'accept');
        await withExpress({ store, namespace: ns, router }, async (post) => {
          const d = delivery('claim.decision');
          assert.deepEqual(await post(d),
            { status: 200, text: `{"status":"unhandled","event_type":"claim.decision","idempotency_key":"${d.key}"}` });
          await until(async () => (await stateOf(store, ns, d.key)) === 'duplicate', 'the key completed');
          assert.equal(JSON.parse((await post(d)).text).status, 'duplicate');
          assert.deepEqual(ran, []);
        });
      });

      it("unhandled, 'reject': 501 unhandled_event, released (the retry is refused again, until a handler exists)", async () => {
        const store = open();
        const ns = namespace();
        const { router, ran } = scenario(expressAnswer, 'reject');
        await withExpress({ store, namespace: ns, router }, async (post, errors) => {
          const d = delivery('claim.decision');
          assert.deepEqual(await post(d), { status: 501, text: '{"error":"unhandled_event"}' });
          await until(async () => (await stateOf(store, ns, d.key)) === 'claimed', 'the key released');
          assert.deepEqual(await post(d), { status: 501, text: '{"error":"unhandled_event"}' });
          assert.deepEqual([ran, errors], [[], []]);
        });
      });

      it('an async handler that resolves without answering: 200 processed, completed (the retry is a duplicate)', async () => {
        const store = open();
        const ns = namespace();
        const ran = [];
        const router = new Router({ provider: 'elmed' }).on('order.status_changed', async (event) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          ran.push(event.idempotencyKey);
        });
        await withExpress({ store, namespace: ns, router }, async (post, errors) => {
          const d = delivery('order.status_changed');
          assert.deepEqual(await post(d), { status: 200,
            text: `{"status":"processed","event_type":"order.status_changed","idempotency_key":"${d.key}"}` });
          await until(async () => (await stateOf(store, ns, d.key)) === 'duplicate', 'the key completed');
          assert.deepEqual(await post(d), { status: 200, text: `{"status":"duplicate","idempotency_key":"${d.key}"}` });
          assert.deepEqual([ran, errors], [[d.key], []]);
        });
      });

      it("a handler's returned value (or its Promise's) is the JSON answer, unless it answered itself", async () => {
        const store = open();
        const ns = namespace();
        const router = new Router({ provider: 'elmed' })
          .on('order.status_changed', (event, req, res) => {
            res.status(202);
            return { order: event.data.order_id, path: req.path };
          })
          .on('claim.*', async (event) => ({ claim: event.eventType }))
          .on('prescription.issued', async (event, req, res) => {
            res.status(201).json({ answered: 'by the handler' });
            return { ignored: true };
          })
          .on('prescription.dispensed', (event, req, res) => res.status(203).json({ returned: 'res' }));
        await withExpress({ store, namespace: ns, router }, async (post, errors) => {
          const d = delivery('order.status_changed');
          assert.deepEqual(await post(d), { status: 202, text: '{"order":88,"path":"/h"}' });
          await until(async () => (await stateOf(store, ns, d.key)) === 'duplicate', 'the key completed');
          assert.deepEqual(await post(delivery('claim.decision')), { status: 200, text: '{"claim":"claim.decision"}' });
          assert.deepEqual(await post(delivery('prescription.issued')), { status: 201, text: '{"answered":"by the handler"}' });
          assert.deepEqual(await post(delivery('prescription.dispensed')), { status: 203, text: '{"returned":"res"}' });
          assert.deepEqual(errors, []);
        });
      });

      it('a synchronous handler that returns undefined answers itself, later: its answer, not a premature one', async () => {
        const store = open();
        const ns = namespace();
        const router = new Router({ provider: 'elmed' }).on('order.status_changed', (event, req, res) => {
          setTimeout(() => res.status(201).json({ later: event.idempotencyKey }), 50);
        });
        await withExpress({ store, namespace: ns, router }, async (post, errors) => {
          const d = delivery('order.status_changed');
          assert.deepEqual(await post(d), { status: 201, text: JSON.stringify({ later: d.key }) });
          await until(async () => (await stateOf(store, ns, d.key)) === 'duplicate', 'the key completed');
          assert.deepEqual(errors, []);
        });
      });

      it('a one-line synchronous handler answering from a callback: its answer, whatever the call returned', async () => {
        const { EventEmitter } = require('node:events');
        const store = open();
        const ns = namespace();
        const done = new EventEmitter();
        const router = new Router({ provider: 'elmed' })
          // Returns a Timeout (circular: res.json would throw) and an EventEmitter (encodable): neither is an answer.
          .on('order.status_changed', (event, req, res) => setTimeout(() => res.status(201).json({ timer: 1 }), 50))
          .on('claim.decision', (event, req, res) => done.once('done', () => res.status(202).json({ emitter: 1 })))
          .on('prescription.issued', () => ({ literal: true })) // plain data: the answer
          .on('prescription.dispensed', () => ['a', 'b']);
        await withExpress({ store, namespace: ns, router }, async (post, errors) => {
          const timer = delivery('order.status_changed');
          assert.deepEqual(await post(timer), { status: 201, text: '{"timer":1}' });
          const emitted = delivery('claim.decision');
          const answer = post(emitted);
          await new Promise((resolve) => setTimeout(resolve, 50));
          assert.equal(await stateOf(store, ns, emitted.key), 'in_progress', 'not completed before the work finished');
          done.emit('done');
          assert.deepEqual(await answer, { status: 202, text: '{"emitter":1}' });
          assert.deepEqual(await post(delivery('prescription.issued')), { status: 200, text: '{"literal":true}' });
          assert.deepEqual(await post(delivery('prescription.dispensed')), { status: 200, text: '["a","b"]' });
          await until(async () => (await stateOf(store, ns, timer.key)) === 'duplicate', 'the timer key completed');
          assert.deepEqual(errors, []);
        });
      });

      it('a handler throwing an error the app answers below 500 (a 404) releases the key: the retry runs it', async () => {
        const store = open();
        const ns = namespace();
        let runs = 0;
        const router = new Router({ provider: 'elmed' }).on('order.status_changed', async (event, req, res) => {
          runs += 1;
          if (runs === 1) throw Object.assign(new Error('no such order yet'), { status: 404 });
          res.status(201).json({ processed: event.idempotencyKey });
        });
        const app = express();
        app.post('/h', webhook(elmed, { store, namespace: ns, router }));
        app.use((error, req, res, next) => res.status(error.status || 500).json({ error: 'not_found' }));
        const server = http.createServer(app);
        await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
        try {
          const d = delivery('order.status_changed');
          const post = async () => {
            const response = await fetch(`http://127.0.0.1:${server.address().port}/h`, { method: 'POST', body: d.body, headers: d.headers });
            return { status: response.status, text: await response.text() };
          };
          assert.deepEqual(await post(), { status: 404, text: '{"error":"not_found"}' });
          await until(async () => (await stateOf(store, ns, d.key)) === 'claimed', 'the key released');
          assert.deepEqual(await post(), { status: 201, text: JSON.stringify({ processed: d.key }) });
          await until(async () => (await stateOf(store, ns, d.key)) === 'duplicate', 'the key completed');
          assert.equal(runs, 2);
        } finally {
          server.closeAllConnections();
          await new Promise((resolve) => server.close(resolve));
        }
      });

      it('a returned value JSON cannot encode is a 500, released', async () => {
        const store = open();
        const ns = namespace();
        const router = new Router({ provider: 'elmed' }).on('order.status_changed', async () => ({ total: 1n }));
        await withExpress({ store, namespace: ns, router }, async (post, errors) => {
          const d = delivery('order.status_changed');
          assert.deepEqual(await post(d), { status: 500, text: '{"error":"internal_error"}' });
          assert.ok(errors[0] instanceof TypeError, String(errors[0]));
          await until(async () => (await stateOf(store, ns, d.key)) === 'claimed', 'the key released');
        });
      });
    });
  }

  describe('hookseal/express webhook(verifier, { router })', () => {
    it('without a store: the router ends the route, every answer as with one', async () => {
      const { router, ran } = scenario(expressAnswer, 'reject');
      await withExpress({ router }, async (post) => {
        const d = delivery('order.status_changed');
        assert.equal((await post(d)).status, 201);
        assert.equal((await post(d)).status, 201, 'no store: processed again');
        assert.deepEqual(await post(delivery('claim.decision')), { status: 501, text: '{"error":"unhandled_event"}' });
        assert.equal((await post(delivery('prescription.issued'))).status, 500);
        assert.equal(ran.length, 3);
      });
    });

    it('a router of another provider, or not a Router, fails at set-up', () => {
      const error = configError(() => webhook(elmed, { router: new Router({ provider: 'novamed' }) }));
      assert.match(error.message, /a router for novamed was given a elmed verifier/);
      assert.throws(() => webhook(elmed, { router: () => {} }), TypeError);
      webhook(elmed, { router: new Router() });
      webhook(elmed, { router: new Router({ provider: 'elmed' }), store: new Store('memory:') });
    });
  });
}

const fetchAnswer = (event, [request]) => {
  assert.ok(request instanceof Request, 'the handler gets (event, request, ...rest)');
  return Response.json({ status: 'processed', key: event.idempotencyKey }, { status: 201 });
};

function requestOf({ body, headers }) {
  return new Request('https://receiver.example/webhooks/elmed', { method: 'POST', body, headers });
}

async function answerOf(response) {
  return { status: response.status, text: await response.text() };
}

for (const [backend, open] of [...stores(), ...(WASM ? [] : [['memory', () => new Store('memory:')]])]) {
  describe(`hookseal/fetch webhookHandler(elmed, router, { store }) on ${backend}`, () => {
    it('claimed: the one handler answers, completed; a duplicate dispatches nothing', async () => {
      const store = open();
      const ns = namespace();
      const { router, ran } = scenario(fetchAnswer, 'accept');
      const handle = webhookHandler(elmed, router, { store, namespace: ns });
      const d = delivery('order.status_changed');
      assert.deepEqual(await answerOf(await handle(requestOf(d), 'env')),
        { status: 201, text: JSON.stringify({ status: 'processed', key: d.key }) });
      assert.equal(await stateOf(store, ns, d.key), 'duplicate');
      assert.deepEqual(await answerOf(await handle(requestOf(d))),
        { status: 200, text: `{"status":"duplicate","idempotency_key":"${d.key}"}` });
      assert.deepEqual(ran, [d.key]);
    });

    it('a throwing handler rejects and releases the key: the retry runs it', async () => {
      const store = open();
      const ns = namespace();
      const { router, ran } = scenario(fetchAnswer, 'accept');
      const handle = webhookHandler(elmed, router, { store, namespace: ns });
      const d = delivery('prescription.dispensed');
      await assert.rejects(handle(requestOf(d)), /the pharmacy system is down/);
      assert.equal(await stateOf(store, ns, d.key), 'claimed');
      assert.equal((await handle(requestOf(d))).status, 201);
      assert.deepEqual(ran, [d.key, d.key]);
    });

    it("unhandled, 'accept': 200 JSON with the router's answer, completed", async () => {
      const store = open();
      const ns = namespace();
      const { router, ran } = scenario(fetchAnswer, 'accept');
      const handle = webhookHandler(elmed, router, { store, namespace: ns });
      const d = delivery('claim.decision');
      const response = await handle(requestOf(d));
      assert.match(response.headers.get('content-type'), /^application\/json/);
      assert.deepEqual(await answerOf(response),
        { status: 200, text: `{"status":"unhandled","event_type":"claim.decision","idempotency_key":"${d.key}"}` });
      assert.equal(await stateOf(store, ns, d.key), 'duplicate');
      assert.deepEqual(ran, []);
    });

    it("unhandled, 'reject': 501 unhandled_event, released", async () => {
      const store = open();
      const ns = namespace();
      const { router, ran } = scenario(fetchAnswer, 'reject');
      const handle = webhookHandler(elmed, router, { store, namespace: ns });
      const d = delivery('claim.decision');
      assert.deepEqual(await answerOf(await handle(requestOf(d))), { status: 501, text: '{"error":"unhandled_event"}' });
      assert.equal(await stateOf(store, ns, d.key), 'claimed');
      assert.deepEqual(ran, []);
    });

    it('a handler that returns nothing: 200 processed; a plain object: that JSON; a Response: as is; all completed', async () => {
      const store = open();
      const ns = namespace();
      const ran = [];
      const router = new Router({ provider: 'elmed' })
        .on('order.status_changed', async (event) => {
          ran.push(event.idempotencyKey);
        })
        .on('claim.*', (event, request) => ({ claim: event.eventType, url: request.url, items: [1, null] }))
        .on('prescription.issued', async () => new Response('made', { status: 202, headers: { 'x-made': 'yes' } }));
      const handle = webhookHandler(elmed, router, { store, namespace: ns });
      const d = delivery('order.status_changed');
      const nothing = await handle(requestOf(d));
      assert.match(nothing.headers.get('content-type'), /^application\/json/);
      assert.deepEqual(await answerOf(nothing), { status: 200,
        text: `{"status":"processed","event_type":"order.status_changed","idempotency_key":"${d.key}"}` });
      assert.equal(await stateOf(store, ns, d.key), 'duplicate');
      assert.deepEqual(await answerOf(await handle(requestOf(d))),
        { status: 200, text: `{"status":"duplicate","idempotency_key":"${d.key}"}` });
      assert.deepEqual(ran, [d.key]);
      const c = delivery('claim.decision');
      const object = await handle(requestOf(c));
      assert.match(object.headers.get('content-type'), /^application\/json/);
      assert.deepEqual(await answerOf(object), { status: 200,
        text: '{"claim":"claim.decision","url":"https://receiver.example/webhooks/elmed","items":[1,null]}' });
      assert.equal(await stateOf(store, ns, c.key), 'duplicate');
      const p = delivery('prescription.issued');
      const made = await handle(requestOf(p));
      assert.deepEqual([await answerOf(made), made.headers.get('x-made')], [{ status: 202, text: 'made' }, 'yes']);
      assert.equal(await stateOf(store, ns, p.key), 'duplicate');
    });

    it('a returned value JSON cannot encode rejects and releases the key', async () => {
      const store = open();
      const ns = namespace();
      const router = new Router({ provider: 'elmed' }).on('order.status_changed', () => ({ total: 1n }));
      const handle = webhookHandler(elmed, router, { store, namespace: ns });
      const d = delivery('order.status_changed');
      await assert.rejects(handle(requestOf(d)), TypeError);
      assert.equal(await stateOf(store, ns, d.key), 'claimed');
    });
  });
}

describe('hookseal/fetch webhookHandler(verifier, router)', () => {
  it('without a store: the same answers; a refused delivery never reaches the router', async () => {
    const { router, ran } = scenario(fetchAnswer, 'reject');
    const handle = webhookHandler(elmed, router);
    assert.equal((await handle(requestOf(delivery('order.status_changed')))).status, 201);
    assert.equal((await handle(requestOf(delivery('claim.decision')))).status, 501);
    await assert.rejects(handle(requestOf(delivery('prescription.issued'))), /down/);
    const tampered = delivery('order.status_changed');
    tampered.headers = sign('elmed', tampered.body, { secret: 'another secret' });
    assert.deepEqual(await answerOf(await handle(requestOf(tampered))), { status: 401, text: '{"error":"signature_mismatch"}' });
    assert.equal(ran.length, 2);
  });

  it("a handler that is not a router's is answered with what it returns, as before", async () => {
    const object = { not: 'a Response' };
    assert.equal(await webhookHandler(elmed, () => object)(requestOf(delivery('order.status_changed'))), object);
    assert.equal(await webhookHandler(elmed, async () => undefined)(requestOf(delivery('order.status_changed'))), undefined);
  });

  it('a router of another provider fails at set-up; a handler must be a function or a Router', () => {
    const error = configError(() => webhookHandler(elmed, new Router({ provider: 'baremeds' })));
    assert.match(error.message, /a router for baremeds was given a elmed verifier/);
    assert.throws(() => webhookHandler(elmed, { dispatch() {} }), TypeError);
    webhookHandler(elmed, new Router({ provider: 'elmed' }));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Every vector that verifies, dispatched through a router of its provider's catalog

describe('the shared vectors\' events dispatch', () => {
  const read = (file) => JSON.parse(fs.readFileSync(path.join(VECTORS, file), 'utf8'));
  const onDisk = fs.readdirSync(VECTORS).filter((f) => f.endsWith('.json') && f !== 'manifest.json');
  const cases = loadCases(read('manifest.json'), onDisk, Object.fromEntries(onDisk.map((f) => [f, read(f)])), assert);
  const verifying = cases.filter((c) => 'event' in c.expect);

  it('each event goes to the handler of its type (or *), exactly once; every catalog is reached', () => {
    const exactByProvider = {};
    for (const c of verifying) {
      const options = Object.fromEntries(Object.entries(c.options).map(([name, value]) => [swapCase(name), value]));
      const event = new Verifier(c.provider, options).verify(bodyOf(c), c.headers, c.now === undefined ? undefined : { now: c.now });
      const known = EVENT_TYPES[c.provider] ?? [];
      const ran = [];
      const router = new Router({ provider: c.provider });
      for (const type of known) router.on(type, (e) => ran.push([type, e]));
      router.on('*', (e) => ran.push(['*', e]));
      router.dispatch(event);
      const expected = known.includes(event.eventType) ? event.eventType : '*';
      assert.deepEqual(ran.map(([name]) => name), [expected], `${c.name}: ${JSON.stringify(event.eventType)}`);
      assert.equal(ran[0][1], event);
      if (expected !== '*') exactByProvider[c.provider] = (exactByProvider[c.provider] ?? 0) + 1;
    }
    // A test that cannot fail is a defect: every provider with a catalog has a vector dispatched to an exact handler.
    for (const provider of Object.keys(EVENT_TYPES)) {
      assert.ok(exactByProvider[provider] > 0, `no vector of ${provider} reached an exact handler`);
    }
    assert.ok(verifying.length >= 100, `${verifying.length} verifying vectors`);
  });
});
