'use strict';
// hookseal/fastify: the example receiver (examples/fastify/app.js) as a real process answering real HTTP requests
// (example-suite.js, the suite examples/express answers too), then the plugin in-process on a real listening server.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { randomUUID } = require('node:crypto');
const http = require('node:http');

const Fastify = require('fastify');
const { ConfigError, Router, Store, Verifier, VerificationError } = require('hookseal');
const { webhook, webhookRoute, rawBody, errorBody } = require('hookseal/fastify');
const { exampleSuite, send, waitFor, elmedBodyOfSize, elmedHeaders, sha256, ELMED_SECRET } = require('./example-suite.js');

exampleSuite('examples/fastify/app.js', {
  what: "a route of the app's own with webhookRoute() (Fastify's JSON parser runs first)",
  message: /hookseal\/fastify: the request body was already parsed by a content-type parser \(Fastify's JSON or text parser: the route is outside the hookseal plugin/,
  fix: /scope\.register\(rawBody, \{ verifier \}\)/,
  fixed: 'a scope of its own with the rawBody plugin',
});

/** Runs `fn(port, seen)` against a Fastify app built by `setup(app, seen)`, listening on a free loopback port. */
async function withApp(setup, fn, options = {}) {
  const app = Fastify(options);
  const seen = { errors: [], refusals: [] };
  app.setErrorHandler((error, request, reply) => {
    seen.errors.push(error);
    return reply.code(500).send({ message: error.message });
  });
  setup(app, seen);
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    await fn(app.server.address().port, seen);
  } finally {
    await app.close();
  }
}

describe('hookseal/fastify in-process', () => {
  const elmed = new Verifier('elmed', { secret: ELMED_SECRET, maxBodyBytes: 1024 });
  const small = (type = 'claim.decision') => Buffer.from(JSON.stringify({ event: type, data: { nonce: randomUUID() } }));
  const echo = async (request) => ({ eventType: request.webhook.eventType, key: request.webhook.idempotencyKey, body: request.body });

  it('refuses bad options when the app starts: no verifier, both or neither of router and handler, a foreign router', async () => {
    const cases = [
      [{ path: '/h', handler: echo }, TypeError, /needs a hookseal Verifier/],
      [{ verifier: elmed, path: '/h' }, TypeError, /options\.router .* or options\.handler/],
      [{ verifier: elmed, path: '/h', handler: echo, router: new Router() }, TypeError, /one of them/],
      [{ verifier: elmed, path: '/h', router: new Router({ provider: 'novamed' }) }, ConfigError, /a router for novamed was given a elmed verifier/],
      [{ verifier: elmed, path: '/h', handler: echo, onError: 'log' }, TypeError, /onError must be a function/],
      [{ verifier: elmed, path: '/h', handler: echo, namespace: 'x' }, TypeError, /namespace needs options\.store/],
      [{ verifier: elmed, path: '/h', handler: echo, secret: 'x' }, TypeError, /unknown option "secret"/],
    ];
    for (const [options, Class, message] of cases) {
      const app = Fastify();
      app.register(webhook, options);
      await assert.rejects(app.ready(), (error) => error instanceof Class && message.test(error.message));
    }
    assert.throws(() => webhookRoute({}), TypeError);
  });

  it('errorBody is only the code', () => {
    assert.deepEqual(errorBody(new VerificationError('key_mismatch', 'secret detail')), { error: 'key_mismatch' });
  });

  it('sets request.webhook and request.body (the data, which a body schema validates); JSON elsewhere is parsed', async () => {
    await withApp(
      (app) => {
        const schema = { body: { type: 'object', required: ['nonce'] } };
        app.register(webhook, { verifier: elmed, path: '/h', handler: echo });
        app.register(async (scope) => {
          scope.register(rawBody, { verifier: elmed });
          scope.post('/schema', { ...webhookRoute(elmed), schema }, echo);
        });
        app.post('/api', async (request) => ({ parsed: request.body, webhook: request.webhook ?? 'none' }));
      },
      async (port) => {
        const body = small();
        const res = await send(port, '/h', { headers: elmedHeaders(body), body });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json, { eventType: 'claim.decision', key: sha256(body), body: JSON.parse(body).data });
        const validated = await send(port, '/schema', { headers: elmedHeaders(body), body });
        assert.equal(validated.status, 200, validated.text);
        const noNonce = Buffer.from('{"event":"claim.decision","data":{}}');
        const invalid = await send(port, '/schema', { headers: elmedHeaders(noNonce), body: noNonce });
        assert.equal(invalid.status, 500); // the app's error handler here: the schema's validation error
        const api = await send(port, '/api', { headers: { 'Content-Type': 'application/json' }, body: Buffer.from('{"x":[1,2]}') });
        assert.deepEqual([api.status, api.json], [200, { parsed: { x: [1, 2] }, webhook: 'none' }]);
      },
    );
  });

  it('the trap, over HTTP: webhookRoute() where the JSON or the text parser ran is a 500 naming the cause, never a 401', async () => {
    await withApp(
      (app) => app.post('/h', webhookRoute(elmed), echo),
      async (port, seen) => {
        for (const type of ['application/json', 'text/plain']) {
          const body = small();
          const res = await send(port, '/h', { headers: { ...elmedHeaders(body), 'Content-Type': type }, body });
          assert.equal(res.status, 500, res.text);
          assert.match(res.json.message, /^hookseal\/fastify: the request body was already parsed by a content-type parser/);
          assert.match(res.json.message, /the route is outside the hookseal plugin/);
          // Tampered: still the explanation, not signature_mismatch (nothing is verified from a parsed body).
          const tampered = Buffer.from(body.toString().replace('claim', 'clam'));
          const again = await send(port, '/h', { headers: { ...elmedHeaders(body), 'Content-Type': type }, body: tampered });
          assert.equal(again.status, 500);
        }
        assert.equal(seen.errors.length, 4);
      },
    );
  });

  it('a delivery without a body, or with no Content-Type: verified as sent (missing_header / signature checked)', async () => {
    await withApp(
      (app) => app.register(webhook, { verifier: elmed, path: '/h', handler: echo }),
      async (port) => {
        const empty = await send(port, '/h', { headers: {} });
        assert.deepEqual([empty.status, empty.json], [401, { error: 'missing_header' }]);
        const body = small();
        const { 'Content-Type': _, ...headers } = elmedHeaders(body);
        const bare = await send(port, '/h', { headers, body });
        assert.equal(bare.status, 200, bare.text);
      },
    );
  });

  it('onError and the request log hear of each refusal, one line as every helper words it; the answer is only the code', async () => {
    const lines = [];
    const stream = { write: (line) => lines.push(JSON.parse(line)) };
    await withApp(
      (app, seen) => {
        const onError = (error, request) => seen.refusals.push({ error, url: request.url });
        app.register(webhook, { verifier: elmed, path: '/h', handler: echo, onError });
      },
      async (port, seen) => {
        const body = small();
        const res = await send(port, '/h?x=1', { headers: elmedHeaders(body, 'other'), body });
        assert.equal(res.status, 401);
        assert.equal(res.text, '{"error":"signature_mismatch"}');
        assert.equal(seen.refusals.length, 1);
        assert.equal(seen.refusals[0].error.code, 'signature_mismatch');
        const logged = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('refused a delivery'));
        assert.equal(logged.length, 1);
        assert.match(logged[0].msg, /^refused a delivery from elmed \(POST \/h\): signature_mismatch: /);
        assert.equal(logged[0].level, 30); // info
        assert.ok(!JSON.stringify(lines).includes(ELMED_SECRET));
      },
      { logger: { level: 'info', stream } },
    );
  });

  it('oversize: declared, refused unread; chunked, as it passes the limit; exactly the limit passes', async () => {
    await withApp(
      (app, seen) => {
        const onError = (error, request) => seen.refusals.push({ code: error.code, didRead: request.raw.readableDidRead });
        app.register(webhook, { verifier: elmed, path: '/h', handler: echo, onError });
      },
      async (port, seen) => {
        const declared = await send(port, '/h', { headers: elmedHeaders('{}'), declaredLength: 1025, partial: Buffer.from('{') });
        assert.deepEqual([declared.status, declared.json, declared.headers.connection], [413, { error: 'payload_too_large' }, 'close']);
        assert.deepEqual(seen.refusals.shift(), { code: 'payload_too_large', didRead: false });
        const streamed = await send(port, '/h', { headers: elmedHeaders('{}'), stream: { chunk: 256, intervalMs: 2, maxBytes: 1024 * 1024 } });
        assert.deepEqual([streamed.status, streamed.json, streamed.headers.connection], [413, { error: 'payload_too_large' }, 'close']);
        assert.ok(streamed.sent < 64 * 1024, `answered after ${streamed.sent} bytes`);
        assert.equal(seen.refusals.shift().code, 'payload_too_large');
        for (const chunked of [false, true]) {
          const atLimit = elmedBodyOfSize(1024);
          const fine = await send(port, '/h', { headers: elmedHeaders(atLimit), body: atLimit, chunked });
          assert.equal(fine.status, 200, fine.text);
        }
      },
    );
  });

  it('a client that goes away mid-body: the error handler hears of the abort, nothing verified, no crash', async () => {
    let ran = false;
    await withApp(
      (app) => app.register(webhook, { verifier: elmed, path: '/h', handler: async () => { ran = true; return {}; } }),
      async (port, seen) => {
        await new Promise((resolve) => {
          const req = http.request({
            host: '127.0.0.1', port, path: '/h', method: 'POST', agent: false,
            headers: { ...elmedHeaders('{}'), 'Content-Length': '900' },
          });
          req.on('error', () => {});
          req.flushHeaders();
          req.write('{"event":', () => setTimeout(() => (req.destroy(), resolve()), 50));
        });
        await waitFor(() => seen.errors.length === 1, 'the abort error');
        assert.ok(['ECONNRESET', 'ECONNABORTED'].includes(seen.errors[0].code), String(seen.errors[0].code));
        assert.equal(ran, false);
      },
    );
  });

  it('with a store and a router: processed once, a throw releases (the retry is processed), unhandled reject 501 released', async () => {
    const store = new Store('memory:');
    let calls = 0;
    let fail = true;
    const router = new Router({ provider: 'elmed', unhandled: 'reject' })
      .on('claim.decision', async () => {
        calls += 1;
      })
      .on('order.status_changed', async () => {
        calls += 1;
        if (fail) throw new Error('the database is down');
        return { status: 'done' };
      })
      .on('referral.created', (event, request, reply) => reply.code(202).send({ accepted: event.idempotencyKey }));
    await withApp(
      (app) => app.register(webhook, { verifier: elmed, path: '/h', store, router }),
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
        assert.deepEqual((await post(failing)).json, { status: 'done' }); // released: the retry ran
        assert.equal(calls, 3);

        const referral = small('referral.created');
        const sent = await post(referral);
        assert.deepEqual([sent.status, sent.json], [202, { accepted: sha256(referral) }]);
        assert.equal((await post(referral)).json.status, 'duplicate');

        const unknown = small('prescription.issued');
        for (let i = 0; i < 2; i++) {
          const res = await post(unknown); // released each time: the provider retries
          assert.deepEqual([res.status, res.json], [501, { error: 'unhandled_event' }]);
        }
      },
    );
  });

  it('a store that fails: 503 store_unavailable with Retry-After: 5, onError told, the handler not run', async () => {
    const broken = { claim: async () => { throw new Error('connection refused'); }, complete: async () => true, release: async () => true };
    await withApp(
      (app, seen) => app.register(webhook, {
        verifier: elmed, path: '/h', store: broken, handler: echo, onError: (error) => seen.refusals.push(error.code),
      }),
      async (port, seen) => {
        const body = small();
        const res = await send(port, '/h', { headers: elmedHeaders(body), body });
        assert.deepEqual([res.status, res.json, res.headers['retry-after']], [503, { error: 'store_unavailable' }, '5']);
        assert.deepEqual(seen.refusals, ['store_unavailable']);
      },
    );
  });
});
