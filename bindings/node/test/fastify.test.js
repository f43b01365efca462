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

/**
 * Runs `fn(port, seen)` against a Fastify app built by `setup(app, seen)`, listening on a free loopback port. Its error
 * handler answers 500 with the message, unless `defaultErrorHandler` (Fastify's own: 400 for a validation error...).
 */
async function withApp(setup, fn, options = {}, { defaultErrorHandler = false } = {}) {
  const app = Fastify(options);
  const seen = { errors: [], refusals: [] };
  if (!defaultErrorHandler) {
    app.setErrorHandler((error, request, reply) => {
      seen.errors.push(error);
      return reply.code(500).send({ message: error.message });
    });
  }
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

  // Review findings (issue 17): each test below fails without its fix.

  it("Fastify's own 400 for a body the schema rejects claims nothing: the retry (the schema fixed) is processed, not a duplicate", async () => {
    const store = new Store('memory:'); // shared by both deployments, as a real store is
    const body = small();
    const post = (port) => send(port, '/h', { headers: elmedHeaders(body), body });
    const deploy = (required) => (app) => app.register(async (scope) => {
      scope.register(rawBody, { verifier: elmed });
      scope.post('/h', { ...webhookRoute(elmed, { store }), schema: { body: { type: 'object', required } } }, echo);
    });
    await withApp(deploy(['order_id']), async (port) => {
      const refused = await post(port);
      assert.deepEqual([refused.status, refused.json.code], [400, 'FST_ERR_VALIDATION'], refused.text);
    }, {}, { defaultErrorHandler: true });
    await withApp(deploy(['nonce']), async (port) => {
      const retry = await post(port);
      assert.deepEqual([retry.status, retry.json.key], [200, sha256(body)], retry.text);
      assert.equal((await post(port)).json.status, 'duplicate');
    }, {}, { defaultErrorHandler: true });
  });

  it("a scope's or the app's preHandler answering 403 claims nothing: the retry with credentials is processed", async () => {
    const store = new Store('memory:');
    const auth = async (request, reply) => {
      if (request.headers['x-auth'] !== 'ok') return reply.code(403).send({ error: 'forbidden' });
      return undefined;
    };
    let ran = 0;
    const handler = async (request) => { ran += 1; return { key: request.webhook.idempotencyKey }; };
    await withApp(
      (app) => {
        app.register(async (scope) => { // the plugin, under an app-level auth hook
          scope.addHook('preHandler', auth);
          scope.register(webhook, { verifier: elmed, path: '/plugin', store, handler });
        });
        app.register(async (scope) => { // a route of the app's own, with the scope's auth hook
          scope.register(rawBody, { verifier: elmed });
          scope.addHook('preHandler', auth);
          scope.post('/own', webhookRoute(elmed, { store, namespace: 'own' }), handler);
        });
      },
      async (port) => {
        for (const route of ['/plugin', '/own']) {
          const body = small();
          const post = (headers = {}) => send(port, route, { headers: { ...elmedHeaders(body), ...headers }, body });
          assert.equal((await post()).status, 403, route);
          const retry = await post({ 'X-Auth': 'ok' });
          assert.deepEqual([retry.status, retry.json], [200, { key: sha256(body) }], `${route}: ${retry.text}`);
          assert.equal((await post({ 'X-Auth': 'ok' })).json.status, 'duplicate', route);
        }
        assert.equal(ran, 2);
      },
      {}, { defaultErrorHandler: true },
    );
  });

  it("a claim taken, then a hook after hookseal's preHandler answering instead of the handler: released, the retry processed", async () => {
    const store = new Store('memory:');
    let deny = true;
    const gate = async (request, reply) => (deny ? reply.code(409).send({ error: 'not yet' }) : undefined);
    await withApp(
      (app) => app.register(async (scope) => {
        scope.register(rawBody, { verifier: elmed });
        const route = webhookRoute(elmed, { store });
        scope.post('/h', { ...route, preHandler: [...route.preHandler, gate] }, echo);
      }),
      async (port) => {
        const body = small();
        const post = () => send(port, '/h', { headers: elmedHeaders(body), body });
        assert.equal((await post()).status, 409);
        deny = false;
        assert.deepEqual((await post()).json.key, sha256(body)); // released: processed
        assert.equal((await post()).json.status, 'duplicate');
      },
    );
  });

  it('a Content-Type Fastify refuses as malformed ("", "json", a list): a genuine delivery is verified, a tampered one 401', async () => {
    const handler = async (request) => ({ key: request.webhook.idempotencyKey, type: request.headers['content-type'] ?? null });
    await withApp(
      (app) => {
        app.register(webhook, { verifier: elmed, path: '/plugin', handler });
        app.register(async (scope) => {
          scope.register(rawBody, { verifier: elmed });
          scope.post('/own', webhookRoute(elmed), handler);
        });
      },
      async (port) => {
        for (const route of ['/plugin', '/own']) {
          for (const type of ['', 'json', 'application/json , text/plain']) {
            const body = small();
            const headers = { ...elmedHeaders(body), 'Content-Type': type };
            const res = await send(port, route, { headers, body });
            assert.deepEqual([res.status, res.json], [200, { key: sha256(body), type }], `${route} ${JSON.stringify(type)}: ${res.text}`);
            const tampered = Buffer.from(body.toString().replace('claim', 'clam'));
            const bad = await send(port, route, { headers, body: tampered });
            assert.deepEqual([bad.status, bad.json], [401, { error: 'signature_mismatch' }], `${route} ${JSON.stringify(type)}`);
          }
        }
      },
      {}, { defaultErrorHandler: true },
    );
  });

  it("a callback-style router handler (returns nothing, reply.send() later) is answered by its own reply, settled by its status", async () => {
    const store = new Store('memory:');
    let status = 503;
    let calls = 0;
    const router = new Router({ provider: 'elmed' })
      .on('claim.decision', (event, request, reply) => {
        calls += 1;
        setTimeout(() => reply.code(status).send({ late: status }), 20);
      })
      .on('order.status_changed', () => ({ plain: true })) // a synchronous handler's plain data is its answer
      .on('referral.created', (event, request, reply) => setTimeout(() => reply.code(202).send({ timer: true }), 5));
    await withApp(
      (app) => app.register(webhook, { verifier: elmed, path: '/h', store, router }),
      async (port) => {
        const post = (body) => send(port, '/h', { headers: elmedHeaders(body), body });
        const body = small();
        assert.deepEqual(await post(body).then((r) => [r.status, r.json]), [503, { late: 503 }]);
        status = 201;
        assert.deepEqual(await post(body).then((r) => [r.status, r.json]), [201, { late: 201 }]); // released: ran again
        assert.equal((await post(body)).json.status, 'duplicate');
        assert.equal(calls, 2);
        assert.deepEqual(await post(small('order.status_changed')).then((r) => [r.status, r.json]), [200, { plain: true }]);
        const timer = small('referral.created');
        assert.deepEqual(await post(timer).then((r) => [r.status, r.json]), [202, { timer: true }]);
        assert.equal((await post(timer)).json.status, 'duplicate');
      },
    );
  });

  it("a rawBody scope's route without webhookRoute(): the raw Buffer, and over the limit a 413 error, never a Symbol body", async () => {
    await withApp(
      (app) => app.register(async (scope) => {
        scope.register(rawBody, { verifier: elmed });
        scope.post('/plain', async (request) => ({ buffer: Buffer.isBuffer(request.body), type: typeof request.body }));
      }),
      async (port) => {
        const fine = await send(port, '/plain', { headers: { 'Content-Type': 'application/json' }, body: Buffer.from('{}') });
        assert.deepEqual([fine.status, fine.json], [200, { buffer: true, type: 'object' }]);
        const declared = await send(port, '/plain', { headers: { 'Content-Type': 'application/json' }, declaredLength: 5000, partial: Buffer.from('{') });
        assert.deepEqual([declared.status, declared.json.code, declared.headers.connection], [413, 'FST_ERR_CTP_BODY_TOO_LARGE', 'close']);
        const streamed = await send(port, '/plain', { headers: {}, stream: { chunk: 256, intervalMs: 2, maxBytes: 1024 * 1024 } });
        assert.deepEqual([streamed.status, streamed.json.code], [413, 'FST_ERR_CTP_BODY_TOO_LARGE']);
      },
      {}, { defaultErrorHandler: true },
    );
  });

  it("webhookRoute()'s hooks merge with the route's own (arrays); a preValidation that replaces hookseal's is an Error, never unverified", async () => {
    const mine = async (request) => { request.seenByMine = request.webhook ? request.webhook.eventType : 'unverified'; };
    await withApp(
      (app) => app.register(async (scope) => {
        scope.register(rawBody, { verifier: elmed });
        const route = webhookRoute(elmed);
        scope.post('/merged', { ...route, preValidation: [...route.preValidation, mine] }, async (request) => ({ mine: request.seenByMine }));
        scope.post('/replaced', { ...route, preValidation: mine }, async (request) => ({ mine: request.seenByMine }));
      }),
      async (port, seen) => {
        const body = small();
        const merged = await send(port, '/merged', { headers: elmedHeaders(body), body });
        assert.deepEqual([merged.status, merged.json], [200, { mine: 'claim.decision' }]);
        const replaced = await send(port, '/replaced', { headers: elmedHeaders(body), body });
        assert.equal(replaced.status, 500);
        assert.match(replaced.json.message, /preValidation hook did not verify the delivery.*preValidation: \[\.\.\.route\.preValidation, mine\]/);
        assert.equal(seen.errors.length, 1);
      },
    );
  });
  // Second review (issue 17).

  /** Polls the store until the key is no longer held by a running handler: 'duplicate' (completed) or 'claimed' (released: the poll holds it now). */
  async function settledAs(store, namespace, key) {
    const deadline = Date.now() + 5000;
    for (;;) {
      const { status } = await store.claim(namespace, key);
      if (status !== 'in_progress') return status;
      if (Date.now() > deadline) return 'in_progress';
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it("a preHandler after hookseal's that throws (Fastify's default error handler): released, the retry processed, not a duplicate", async () => {
    const store = new Store('memory:');
    let deny = true;
    let ran = 0;
    const forbid = async () => {
      if (deny) throw Object.assign(new Error('forbidden'), { statusCode: 403 });
    };
    await withApp(
      (app) => app.register(async (scope) => {
        scope.register(rawBody, { verifier: elmed });
        const route = webhookRoute(elmed, { store });
        scope.post('/h', { ...route, preHandler: [...route.preHandler, forbid] }, async (request) => {
          ran += 1;
          return { key: request.webhook.idempotencyKey };
        });
      }),
      async (port) => {
        const body = small();
        const post = () => send(port, '/h', { headers: elmedHeaders(body), body });
        const refused = await post();
        assert.equal(refused.status, 403, refused.text);
        deny = false;
        const retry = await post();
        assert.deepEqual([retry.status, retry.json], [200, { key: sha256(body) }], retry.text);
        assert.equal((await post()).json.status, 'duplicate');
        assert.equal(ran, 1);
      },
      {}, { defaultErrorHandler: true },
    );
  });

  it('an async handler that resolves with nothing after the client left: completed when it resolves (no onSend ever runs)', async () => {
    const store = new Store('memory:');
    let finish;
    let ran = 0;
    const handler = async (request, reply) => {
      ran += 1;
      if (ran === 1) await new Promise((resolve) => { finish = resolve; });
      reply.code(200);
      return ran === 1 ? undefined : { again: true };
    };
    await withApp(
      (app) => app.register(webhook, { verifier: elmed, path: '/h', store, handler }),
      async (port) => {
        const body = small();
        await new Promise((resolve) => {
          const req = http.request({ host: '127.0.0.1', port, path: '/h', method: 'POST', agent: false, headers: elmedHeaders(body) });
          req.on('error', () => {});
          req.end(body);
          const started = setInterval(() => {
            if (finish) { clearInterval(started); req.destroy(); setTimeout(resolve, 50); }
          }, 5);
        });
        const during = await send(port, '/h', { headers: elmedHeaders(body), body });
        assert.equal(during.json.error, 'in_progress'); // the handler is still running: nothing released
        finish();
        assert.equal(await settledAs(store, 'elmed', sha256(body)), 'duplicate'); // completed, not left to the lease
        assert.equal((await send(port, '/h', { headers: elmedHeaders(body), body })).json.status, 'duplicate');
        assert.equal(ran, 1);
      },
    );
  });

  it('reply.hijack(): settled by the raw response (finished below 500: completed; 5xx or closed unfinished: released)', async () => {
    const store = new Store('memory:');
    let mode = 'fail';
    let ran = 0;
    const handler = (request, reply) => {
      ran += 1;
      reply.hijack();
      if (mode === 'close') {
        reply.raw.socket.destroy();
        return;
      }
      reply.raw.writeHead(mode === 'fail' ? 503 : 200, { 'content-type': 'application/json' });
      reply.raw.end(JSON.stringify({ mode }));
    };
    await withApp(
      (app) => app.register(webhook, { verifier: elmed, path: '/h', store, handler }),
      async (port) => {
        const body = small();
        const post = () => send(port, '/h', { headers: elmedHeaders(body), body });
        assert.equal((await post()).status, 503);
        mode = 'close';
        await assert.rejects(post()); // released after the 503: run again, and the socket closed unanswered
        assert.equal(await settledAs(store, 'elmed', sha256(body)), 'claimed'); // released again (the poll holds it now)
        assert.equal(ran, 2);
      },
    );
    const done = new Store('memory:'); // the claim above is held by the poll
    await withApp(
      (app) => app.register(webhook, { verifier: elmed, path: '/h', store: done, handler }),
      async (port) => {
        mode = 'ok';
        const body = small();
        const post = () => send(port, '/h', { headers: elmedHeaders(body), body });
        assert.deepEqual(await post().then((r) => [r.status, r.json]), [200, { mode: 'ok' }]);
        assert.equal(await settledAs(done, 'elmed', sha256(body)), 'duplicate'); // completed by the raw 'finish'
        assert.equal(ran, 3);
      },
    );
  });

  it('a hook answering (or throwing) before the parser ran: the Content-Type is back for onSend, the error handler and the log', async () => {
    const seenTypes = [];
    const lines = [];
    const stream = { write: (line) => lines.push(JSON.parse(line)) };
    await withApp(
      (app) => {
        app.setErrorHandler((error, request, reply) => {
          seenTypes.push(['error handler', request.headers['content-type'] ?? null]);
          return reply.code(error.statusCode ?? 500).send({ message: error.message });
        });
        app.register(async (scope) => {
          scope.register(rawBody, { verifier: elmed });
          scope.addHook('onResponse', async (request) => {
            request.log.info({ type: request.headers['content-type'] ?? null }, 'response type');
          });
          const route = webhookRoute(elmed);
          const mine = async (request, reply, payload) => {
            seenTypes.push(['onSend', request.headers['content-type'] ?? null]);
            return payload;
          };
          const answer = async (request, reply) => reply.code(429).send({ error: 'slow down' });
          const thrower = async () => { throw Object.assign(new Error('no'), { statusCode: 403 }); };
          const onSend = [...route.onSend, mine];
          scope.post('/onrequest', { ...route, onRequest: [answer], onSend }, echo);
          scope.post('/answers', { ...route, preParsing: [...route.preParsing, answer], onSend }, echo);
          scope.post('/throws', { ...route, preParsing: [...route.preParsing, thrower], onSend }, echo);
        });
      },
      async (port) => {
        const body = small();
        const headers = { ...elmedHeaders(body), 'Content-Type': 'application/json' };
        assert.equal((await send(port, '/onrequest', { headers, body })).status, 429);
        assert.equal((await send(port, '/answers', { headers, body })).status, 429);
        assert.equal((await send(port, '/throws', { headers, body })).status, 403);
        assert.deepEqual(seenTypes, [
          ['onSend', 'application/json'],
          ['onSend', 'application/json'],
          ['error handler', 'application/json'],
          ['onSend', 'application/json'],
        ]);
        const logged = lines.filter((l) => l.msg === 'response type').map((l) => l.type);
        assert.deepEqual(logged, ['application/json', 'application/json', 'application/json']);
        const fine = await send(port, '/throws', { headers: { ...headers, 'Content-Type': 'json' }, body });
        assert.equal(fine.status, 403); // a malformed type still reaches the hooks (not Fastify's 415)
      },
      { logger: { level: 'info', stream } },
      { defaultErrorHandler: true },
    );
  });
});
