'use strict';
// hookseal/hono: the example receiver (examples/hono/app.js, served by @hono/node-server) as a real process answering
// real HTTP requests (example-suite.js, the suite examples/express answers too), then the middleware in-process on a
// real @hono/node-server listening on a free port.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { once } = require('node:events');
const { randomUUID } = require('node:crypto');

const { Hono } = require('hono');
const { validator } = require('hono/validator');
const { serve } = require('@hono/node-server');
const { ConfigError, Router, Store, Verifier, VerificationError } = require('hookseal');
const { webhook, errorBody } = require('hookseal/hono');
const { exampleSuite, send, elmedBodyOfSize, elmedHeaders, sha256, ELMED_SECRET } = require('./example-suite.js');

exampleSuite('examples/hono/app.js', {
  what: 'a middleware reading c.req.json() before webhook()',
  message: /TypeError: hookseal\/hono: the request body was already read by a middleware or validator before webhook\(\)/,
  fix: /Put webhook\(\) first on the route/,
  fixed: 'a middleware reading c.req.arrayBuffer() first',
});

/** Runs `fn(port, seen)` against a Hono app built by `setup(app, seen)`, served by @hono/node-server. */
async function withApp(setup, fn) {
  const app = new Hono();
  const seen = { errors: [], refusals: [] };
  app.onError((error, c) => {
    seen.errors.push(error);
    return c.json({ message: error.message }, 500);
  });
  setup(app, seen);
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await once(server, 'listening');
  try {
    await fn(server.address().port, seen);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

describe('hookseal/hono in-process', () => {
  const elmed = new Verifier('elmed', { secret: ELMED_SECRET, maxBodyBytes: 1024 });
  const small = (type = 'claim.decision') => Buffer.from(JSON.stringify({ event: type, data: { nonce: randomUUID() } }));
  const echo = (c) => c.json({ eventType: c.get('webhook').eventType, key: c.get('webhook').idempotencyKey });

  it('refuses bad options at once: no verifier, a foreign router, an onError or namespace out of place', () => {
    assert.throws(() => webhook({}), TypeError);
    assert.throws(() => webhook(elmed, { onError: 'log' }), TypeError);
    assert.throws(() => webhook(elmed, { namespace: 'x' }), /namespace needs options\.store/);
    assert.throws(() => webhook(elmed, { router: new Router({ provider: 'baremeds' }) }),
      (error) => error instanceof ConfigError && error.code === 'invalid_option');
    assert.deepEqual(errorBody(new VerificationError('key_mismatch', 'secret detail')), { error: 'key_mismatch' });
  });

  it("sets c.get('webhook') for the next handler; refusals carry only the code, onError hears of them", async () => {
    await withApp(
      (app, seen) => app.post('/h', webhook(elmed, { onError: (error, c) => seen.refusals.push([error.code, c.req.path]) }), echo),
      async (port, seen) => {
        const body = small();
        const res = await send(port, '/h', { headers: elmedHeaders(body), body });
        assert.deepEqual([res.status, res.json], [200, { eventType: 'claim.decision', key: sha256(body) }]);
        const wrong = await send(port, '/h', { headers: elmedHeaders(body, 'other'), body });
        assert.deepEqual([wrong.status, wrong.text], [401, '{"error":"signature_mismatch"}']);
        const bad = Buffer.from('not json');
        assert.deepEqual((await send(port, '/h', { headers: elmedHeaders(bad), body: bad })).json, { error: 'invalid_json' });
        assert.deepEqual(seen.refusals, [['signature_mismatch', '/h'], ['invalid_json', '/h']]);
      },
    );
  });

  it('the trap: the body read as JSON or text first (c.req.json(), c.req.text(), validator) is a 500 naming the cause, never a 401', async () => {
    const readJson = async (c, next) => { await c.req.json(); await next(); };
    const readText = async (c, next) => { await c.req.text(); await next(); };
    const readRaw = async (c, next) => { await c.req.raw.text(); await next(); };
    await withApp(
      (app) => {
        app.post('/json', readJson, webhook(elmed), echo);
        app.post('/text', readText, webhook(elmed), echo);
        app.post('/validator', validator('json', (value) => value), webhook(elmed), echo);
        app.post('/raw', readRaw, webhook(elmed), echo);
      },
      async (port, seen) => {
        for (const route of ['/json', '/text', '/validator', '/raw']) {
          const body = small();
          const tampered = Buffer.from(body.toString().replace('claim', 'clam'));
          for (const sent of [body, tampered]) {
            const res = await send(port, route, { headers: elmedHeaders(body), body: sent });
            assert.equal(res.status, 500, `${route}: ${res.text}`);
            assert.match(res.json.message, route === '/raw' ? /^hookseal\/(hono|fetch): the request body was already read/
              : /^hookseal\/hono: the request body was already read by a middleware or validator before webhook\(\)/);
          }
        }
        assert.ok(seen.errors.every((e) => e instanceof TypeError));
      },
    );
  });

  it('the bytes kept by c.req.arrayBuffer() are verified as they are; a later c.req.json() still works', async () => {
    await withApp(
      (app) => app.post('/h', async (c, next) => { await c.req.arrayBuffer(); await next(); }, webhook(elmed),
        async (c) => c.json({ key: c.get('webhook').idempotencyKey, parsed: await c.req.json() })),
      async (port) => {
        const body = Buffer.from(`{ "event" : "claim.decision",\n "data": {"nonce": "${randomUUID()}"} }`);
        const res = await send(port, '/h', { headers: elmedHeaders(body), body });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json, { key: sha256(body), parsed: JSON.parse(body) });
        const tampered = Buffer.from(body.toString().replace('claim', 'clam'));
        assert.equal((await send(port, '/h', { headers: elmedHeaders(body), body: tampered })).status, 401);
      },
    );
  });

  it('oversize: declared, refused unread; chunked, as it passes the limit; Connection: close; exactly the limit passes', async () => {
    await withApp(
      (app) => app.post('/h', webhook(elmed), echo),
      async (port) => {
        const declared = await send(port, '/h', { headers: elmedHeaders('{}'), declaredLength: 10_000_000, partial: Buffer.from('{') });
        assert.deepEqual([declared.status, declared.json, declared.headers.connection], [413, { error: 'payload_too_large' }, 'close']);
        const streamed = await send(port, '/h', { headers: elmedHeaders('{}'), stream: { chunk: 256, intervalMs: 2, maxBytes: 1024 * 1024 } });
        assert.deepEqual([streamed.status, streamed.json, streamed.headers.connection], [413, { error: 'payload_too_large' }, 'close']);
        assert.ok(streamed.sent < 64 * 1024, `answered after ${streamed.sent} bytes`);
        for (const chunked of [false, true]) {
          const atLimit = elmedBodyOfSize(1024);
          const fine = await send(port, '/h', { headers: elmedHeaders(atLimit), body: atLimit, chunked });
          assert.equal(fine.status, 200, `chunked=${chunked}: ${fine.text}`);
        }
      },
    );
  });

  it('with a store and a router: once; a throw releases; a Response, a value, nothing; unhandled reject 501 released', async () => {
    const store = new Store('memory:');
    let calls = 0;
    let fail = true;
    const router = new Router({ provider: 'elmed', unhandled: 'reject' })
      .on('claim.decision', async () => { calls += 1; })
      .on('order.status_changed', async () => {
        calls += 1;
        if (fail) throw new Error('the database is down');
        return { status: 'done' };
      })
      .on('referral.created', (event, c) => c.json({ accepted: event.idempotencyKey }, 202));
    await withApp(
      (app) => app.post('/h', webhook(elmed, { store, router })),
      async (port, seen) => {
        const post = (body) => send(port, '/h', { headers: elmedHeaders(body), body });
        const body = small();
        assert.deepEqual((await post(body)).json, { status: 'processed', event_type: 'claim.decision', idempotency_key: sha256(body) });
        assert.deepEqual((await post(body)).json, { status: 'duplicate', idempotency_key: sha256(body) });
        assert.equal(calls, 1);
        const failing = small('order.status_changed');
        assert.equal((await post(failing)).status, 500);
        assert.equal(seen.errors[0].message, 'the database is down');
        fail = false;
        assert.deepEqual((await post(failing)).json, { status: 'done' });
        assert.equal(calls, 3);
        const referral = small('referral.created');
        assert.deepEqual(await post(referral).then((r) => [r.status, r.json]), [202, { accepted: sha256(referral) }]);
        assert.equal((await post(referral)).json.status, 'duplicate');
        const unknown = small('prescription.issued');
        for (let i = 0; i < 2; i++) assert.deepEqual((await post(unknown)).json, { error: 'unhandled_event' });
      },
    );
  });

  it('with a store and a next handler: an answer of 500 or a throw releases, below 500 completes', async () => {
    const store = new Store('memory:');
    let answer = 500;
    await withApp(
      (app) => {
        app.post('/answer', webhook(elmed, { store }), (c) => c.json({ answered: answer }, answer));
        app.post('/throw', webhook(elmed, { store }), () => { throw new Error('boom'); });
      },
      async (port) => {
        const body = small();
        const post = (route) => send(port, route, { headers: elmedHeaders(body), body });
        assert.equal((await post('/answer')).status, 500);
        answer = 201;
        assert.equal((await post('/answer')).status, 201); // released: processed again
        assert.equal((await post('/answer')).json.status, 'duplicate');
        const other = small();
        for (let i = 0; i < 2; i++) {
          assert.equal((await send(port, '/throw', { headers: elmedHeaders(other), body: other })).status, 500); // released each time
        }
      },
    );
  });

  it('a store that fails: 503 store_unavailable with Retry-After: 5, the handler not run', async () => {
    const broken = { claim: async () => { throw new Error('connection refused'); }, complete: async () => true, release: async () => true };
    let ran = false;
    await withApp(
      (app) => app.post('/h', webhook(elmed, { store: broken, onError: () => {} }), (c) => { ran = true; return c.text('ran'); }),
      async (port) => {
        const body = small();
        const res = await send(port, '/h', { headers: elmedHeaders(body), body });
        assert.deepEqual([res.status, res.json, res.headers['retry-after'], ran], [503, { error: 'store_unavailable' }, '5', false]);
      },
    );
  });

  // Review findings (issue 17): each test below fails without its fix.

  it('with a store, a next handler that returns no Response (Hono answers 500 "not finalized"): released, the retry processed', async () => {
    const store = new Store('memory:');
    let forget = true;
    await withApp(
      (app) => app.post('/h', webhook(elmed, { store }), (c) => (forget ? undefined : c.json({ key: c.get('webhook').idempotencyKey }))),
      async (port, seen) => {
        const body = small();
        const post = () => send(port, '/h', { headers: elmedHeaders(body), body });
        assert.equal((await post()).status, 500);
        assert.match(seen.errors[0].message, /Context is not finalized/);
        forget = false;
        assert.deepEqual(await post().then((r) => [r.status, r.json]), [200, { key: sha256(body) }]); // released
        assert.equal((await post()).json.status, 'duplicate');
      },
    );
  });

  it('the bytes kept by c.req.blob() are verified as they are; a tampered body is 401', async () => {
    await withApp(
      (app) => app.post('/h', async (c, next) => { await c.req.blob(); await next(); }, webhook(elmed), echo),
      async (port) => {
        const body = Buffer.from(`{ "event" : "claim.decision",\n "data": {"nonce": "${randomUUID()}"} }`);
        const res = await send(port, '/h', { headers: elmedHeaders(body), body });
        assert.deepEqual([res.status, res.json], [200, { eventType: 'claim.decision', key: sha256(body) }], res.text);
        const tampered = Buffer.from(body.toString().replace('claim', 'clam'));
        assert.deepEqual((await send(port, '/h', { headers: elmedHeaders(body), body: tampered })).json, { error: 'signature_mismatch' });
      },
    );
  });

  it("shares hookseal/fetch's test of a Response (wire.js): a Response-like object of another realm is answered as it is", async () => {
    const { isResponse } = require('../wire.js');
    assert.equal(isResponse(new Response('x')), true);
    assert.equal(isResponse({ status: 200 }), false);
    assert.equal('isResponse' in require('hookseal/fetch'), false, 'internal: not part of hookseal/fetch');
    const router = new Router({ provider: 'elmed' }).on('claim.decision', () => {
      const real = new Response('{"foreign":true}', { status: 202, headers: { 'content-type': 'application/json' } });
      return { status: real.status, headers: real.headers, body: real.body, arrayBuffer: () => real.arrayBuffer() };
    });
    await withApp(
      (app) => app.post('/h', webhook(elmed, { router })),
      async (port) => {
        const body = small();
        const res = await send(port, '/h', { headers: elmedHeaders(body), body });
        assert.equal(res.status, 202, res.text);
      },
    );
  });
  it("with a store and no handler after webhook() (app.use alone, or app.post without one): Hono's 404 releases, the retry is processed", async () => {
    const store = new Store('memory:'); // shared by both deployments, as a real store is
    const body = small();
    const post = (port, route) => send(port, route, { headers: elmedHeaders(body), body });
    await withApp(
      (app) => {
        app.use('/h', webhook(elmed, { store })); // the route's handler not deployed yet
        app.post('/alone', webhook(elmed, { store, namespace: 'alone' }));
      },
      async (port) => {
        for (const route of ['/h', '/alone']) {
          assert.equal((await post(port, route)).status, 404, route);
          const again = await post(port, route); // released: not a duplicate of a delivery nobody processed
          assert.equal(again.status, 404, `${route}: ${again.text}`);
        }
      },
    );
    await withApp(
      (app) => {
        app.use('/h', webhook(elmed, { store }));
        app.post('/h', echo); // deployed: the retry is processed, then a duplicate
      },
      async (port) => {
        assert.deepEqual(await post(port, '/h').then((r) => [r.status, r.json]), [200, { eventType: 'claim.decision', key: sha256(body) }]);
        assert.equal((await post(port, '/h')).json.status, 'duplicate');
      },
    );
  });
});
