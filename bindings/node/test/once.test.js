'use strict';
// Exactly once through the framework helpers (docs/exactly-once.md's table): hookseal/express's webhook(verifier,
// { store }) on a real Express server (port 0, real HTTP requests), and hookseal/fetch's webhookHandler(verifier,
// handler, { store }) with real WHATWG Requests. Each against hookseal's Store (memory:, SQLite, an unreachable
// Redis) and an app's own duck-typed store object.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { createHash, randomUUID } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const express = require('express');
const { Verifier, Store, StoreError, ConfigError, VerificationError, sign } = require('hookseal');
const { webhook } = require('hookseal/express');
const { webhookHandler } = require('hookseal/fetch');

const SECRET = 's3cret-for-once-tests';
const elmed = new Verifier('elmed', { secret: SECRET });
const DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'hookseal-once-test-'));
process.on('exit', () => fs.rmSync(DIR, { recursive: true, force: true }));

const sha256 = (bytes) => 'sha256:' + createHash('sha256').update(bytes).digest('hex');
/** A fresh signed ELMED delivery: its body, headers and idempotency key. */
function delivery() {
  const body = Buffer.from(JSON.stringify({ event: 'order.status_changed', data: { order_id: 88, nonce: randomUUID() } }));
  return { body, headers: sign('elmed', body, { secret: SECRET }), key: sha256(body) };
}

/** A promise with its resolve outside: to hold a handler or a store call until the test lets it go. */
function gate() {
  let open;
  const opened = new Promise((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

async function until(predicate, what, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** An app's own store (the duck type: async claim / complete / release), over a Map, recording every call. */
function mapStore({ lease = 60, hold = {} } = {}) {
  const records = new Map();
  const calls = [];
  let tokens = 0;
  return {
    calls,
    records,
    async claim(namespace, key) {
      calls.push(['claim', namespace, key]);
      if (hold.claim) await hold.claim;
      const name = `${namespace}/${key}`;
      const record = records.get(name);
      if (record && record.state === 'done') return { status: 'duplicate' };
      if (record) return { status: 'in_progress', retryAfter: lease };
      const claim = { status: 'claimed', name, token: ++tokens };
      records.set(name, { state: 'processing', token: claim.token });
      return claim;
    },
    async complete(claim) {
      calls.push(['complete', claim.name]);
      if (hold.complete) await hold.complete;
      const record = records.get(claim.name);
      if (!record || record.token !== claim.token) return false;
      records.set(claim.name, { state: 'done' });
      return true;
    },
    async release(claim) {
      calls.push(['release', claim.name]);
      const record = records.get(claim.name);
      if (!record || record.token !== claim.token) return false;
      records.delete(claim.name);
      return true;
    },
  };
}

/** console.warn captured while `fn` runs. */
async function warnings(fn) {
  const seen = [];
  const original = console.warn;
  console.warn = (...args) => seen.push(args.join(' '));
  try {
    await fn();
  } finally {
    console.warn = original;
  }
  return seen;
}

// ---------------------------------------------------------------------------------------------------------------
// Express

/** An Express app on port 0: POST /h is webhook(verifier, options) then `handler`; errors answer 500. */
async function withExpress(options, handler, fn, verifier = elmed) {
  const app = express();
  const seen = { errors: [] };
  app.post('/h', webhook(verifier, options), handler);
  app.use((error, req, res, next) => {
    seen.errors.push(error);
    if (res.headersSent) return next(error);
    res.status(500).json({ error: 'internal_error' });
  });
  const server = http.createServer(app);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const post = async ({ body, headers }, init = {}) => {
    const response = await fetch(`http://127.0.0.1:${server.address().port}/h`, { method: 'POST', body, headers, ...init });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };
  try {
    await fn(post, seen);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('hookseal/express webhook(verifier, { store })', () => {
  it('a retry is answered 200 {"status":"duplicate","idempotency_key":...} without running the handler', async () => {
    let runs = 0;
    const store = new Store('memory:');
    await withExpress({ store }, (req, res) => {
      runs += 1;
      res.json({ status: 'processed', idempotencyKey: req.webhook.idempotencyKey });
    }, async (post) => {
      const d = delivery();
      const first = await post(d);
      assert.deepEqual([first.status, JSON.parse(first.text)], [200, { status: 'processed', idempotencyKey: d.key }]);
      for (let i = 0; i < 3; i++) {
        const again = await post(d);
        assert.equal(again.status, 200);
        assert.equal(again.text, `{"status":"duplicate","idempotency_key":"${d.key}"}`);
        assert.match(again.headers.get('content-type'), /^application\/json/);
      }
      assert.equal(runs, 1);
    });
  });

  it('a copy arriving while the first is processed: 503 {"error":"in_progress"} with Retry-After (the lease left)', async () => {
    const store = new Store(`sqlite://${path.join(DIR, 'express-in-progress.db')}`, { lease: 30 });
    const held = gate();
    let runs = 0;
    await withExpress({ store }, async (req, res) => {
      runs += 1;
      await held.opened;
      res.json({ status: 'processed' });
    }, async (post) => {
      const d = delivery();
      const first = post(d);
      await until(() => runs === 1, 'the first copy in the handler');
      const second = await post(d);
      assert.equal(second.status, 503);
      assert.equal(second.text, '{"error":"in_progress"}');
      assert.ok(['29', '30'].includes(second.headers.get('retry-after')), second.headers.get('retry-after'));
      held.open();
      assert.equal((await first).status, 200);
      // complete runs once the answer has finished: wait for it (a claim of a key held or done never takes it).
      await until(async () => (await store.claim('elmed', d.key)).status === 'duplicate', 'the key done');
      const third = await post(d);
      assert.deepEqual([third.status, JSON.parse(third.text).status], [200, 'duplicate']);
      assert.equal(runs, 1);
    });
  });

  it('a handler that throws is a 500, and its key is released: the retry is processed', async () => {
    const store = mapStore();
    let runs = 0;
    await withExpress({ store }, async (req, res) => {
      runs += 1;
      if (runs === 1) throw new Error('the pharmacy system is down');
      res.json({ status: 'processed' });
    }, async (post, seen) => {
      const d = delivery();
      const failed = await post(d);
      assert.deepEqual([failed.status, failed.text], [500, '{"error":"internal_error"}']);
      assert.equal(seen.errors[0].message, 'the pharmacy system is down');
      await until(() => store.calls.some(([op]) => op === 'release'), 'the release');
      const retried = await post(d);
      assert.deepEqual([retried.status, JSON.parse(retried.text)], [200, { status: 'processed' }]);
      await until(() => store.calls.some(([op]) => op === 'complete'), 'the complete');
      assert.equal(JSON.parse((await post(d)).text).status, 'duplicate');
      assert.equal(runs, 2);
      assert.deepEqual(store.calls.map(([op]) => op), ['claim', 'release', 'claim', 'complete', 'claim']);
    });
  });

  it('an answer of 500 or above releases the key; below 500 (a 4xx too) completes it', async () => {
    const store = mapStore();
    const statuses = [503, 500, 422];
    await withExpress({ store }, (req, res) => res.status(statuses.shift()).json({}), async (post) => {
      const d = delivery();
      assert.equal((await post(d)).status, 503);
      await until(() => store.calls.length === 2, 'the release');
      assert.equal((await post(d)).status, 500);
      await until(() => store.calls.length === 4, 'the release');
      assert.equal((await post(d)).status, 422);
      await until(() => store.calls.length === 6, 'the complete');
      assert.deepEqual(store.calls.map(([op]) => op), ['claim', 'release', 'claim', 'release', 'claim', 'complete']);
      assert.equal(JSON.parse((await post(d)).text).status, 'duplicate');
    });
  });

  it('a store that cannot be reached: 503 {"error":"store_unavailable"}, Retry-After: 5, the handler never runs', async () => {
    const store = new Store('redis://:hunter2@127.0.0.1:1/0');
    const refused = [];
    let runs = 0;
    await withExpress({ store, onError: (error, req) => refused.push([error, req.originalUrl]) }, (req, res) => {
      runs += 1;
      res.json({});
    }, async (post) => {
      const answer = await post(delivery());
      assert.deepEqual([answer.status, answer.text, answer.headers.get('retry-after')], [503, '{"error":"store_unavailable"}', '5']);
      assert.equal(runs, 0);
      assert.equal(refused.length, 1);
      assert.ok(refused[0][0] instanceof StoreError);
      assert.equal(refused[0][1], '/h');
      assert.doesNotMatch(refused[0][0].message, /hunter2/);
    });
    // Without onError, the outage goes to the console (it must show somewhere).
    const logged = await warnings(() => withExpress({ store }, (req, res) => res.json({}), async (post) => {
      assert.equal((await post(delivery())).status, 503);
    }));
    assert.equal(logged.length, 1);
    assert.match(logged[0], /^hookseal: refused a delivery from elmed \(POST \/h\): store_unavailable: /);
    assert.doesNotMatch(logged[0], /hunter2/);
  });

  it("an app's own store: the namespace (default: the preset's name), the key, its own claim handed back", async () => {
    const store = mapStore();
    await withExpress({ store }, (req, res) => res.json({ ok: true }), async (post) => {
      const d = delivery();
      assert.equal((await post(d)).status, 200);
      await until(() => store.calls.length === 2, 'the complete');
      assert.deepEqual(store.calls, [['claim', 'elmed', d.key], ['complete', `elmed/${d.key}`]]);
    });
    const other = mapStore();
    await withExpress({ store: other, namespace: 'elmed.clinic-a' }, (req, res) => res.json({}), async (post) => {
      const d = delivery();
      await post(d);
      assert.deepEqual(other.calls[0], ['claim', 'elmed.clinic-a', d.key]);
    });
  });

  it('the key is completed after the answer: the provider has its 200 while complete is still running', async () => {
    const completing = gate();
    const store = mapStore({ hold: { complete: completing.opened } });
    const order = [];
    await withExpress({ store }, (req, res) => {
      order.push('handler answers');
      res.json({ status: 'processed' });
    }, async (post) => {
      const d = delivery();
      const answer = await post(d);
      order.push('client has the answer');
      assert.equal(answer.status, 200);
      await until(() => store.calls.length === 2, 'the complete');
      assert.deepEqual(order, ['handler answers', 'client has the answer']);
      assert.equal(store.records.get(`elmed/${d.key}`).state, 'processing', 'complete has not finished yet');
      completing.open();
      await until(() => store.records.get(`elmed/${d.key}`).state === 'done', 'the key done');
    });
  });

  it('a connection closed while the handler runs leaves the key held: the answer it gives later settles it', async () => {
    // A provider that gives up at its deadline does not stop the handler: releasing here would let its retry run the
    // event a second time while the first run is still going.
    const store = mapStore();
    const controller = new AbortController();
    const answering = gate();
    let entered = false;
    await withExpress({ store }, async (req, res) => {
      entered = true;
      await answering.opened;
      res.json({ status: 'processed' }); // to a client that left
    }, async (post) => {
      const d = delivery();
      const pending = post(d, { signal: controller.signal }).catch((error) => error);
      await until(() => entered, 'the handler');
      controller.abort();
      assert.equal((await pending).name, 'AbortError');
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(store.calls.map(([op]) => op), ['claim'], 'nothing settled while the handler runs');
      assert.equal(store.records.get(`elmed/${d.key}`).state, 'processing');
      answering.open();
      await until(() => store.calls.length === 2, 'the complete');
      assert.equal(store.calls[1][0], 'complete');
      assert.equal(store.records.get(`elmed/${d.key}`).state, 'done');
    });
  });

  it('a failing complete is logged, and the answer still goes out', async () => {
    const store = { ...mapStore(), complete: async () => { throw new Error('the disk is full'); } };
    const logged = await warnings(() => withExpress({ store }, (req, res) => res.json({ status: 'processed' }), async (post) => {
      assert.equal((await post(delivery())).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }));
    assert.equal(logged.length, 1);
    assert.match(logged[0], /complete of a claim in elmed failed after the handler ran .*: the disk is full/);
  });

  it("a store's claim that throws, or answers nonsense, is store_unavailable (fail closed); a ConfigError is a 500", async () => {
    for (const claim of [async () => { throw new TypeError('fetch failed'); }, async () => ({ status: 'maybe' }), async () => null]) {
      let runs = 0;
      const store = { claim, complete: async () => true, release: async () => true };
      const refused = [];
      await withExpress({ store, onError: (error) => refused.push(error) }, (req, res) => {
        runs += 1;
        res.json({});
      }, async (post) => {
        const answer = await post(delivery());
        assert.deepEqual([answer.status, answer.text, answer.headers.get('retry-after')], [503, '{"error":"store_unavailable"}', '5']);
        assert.equal(runs, 0);
        assert.ok(refused[0] instanceof StoreError && refused[0].code === 'store_unavailable');
      });
    }
    const misconfigured = { claim: async () => { throw new ConfigError('invalid_option', 'bad namespace'); }, complete() {}, release() {} };
    await withExpress({ store: misconfigured }, (req, res) => res.json({}), async (post, seen) => {
      assert.equal((await post(delivery())).status, 500);
      assert.ok(seen.errors[0] instanceof ConfigError);
    });
  });

  it('a refused delivery never reaches the store', async () => {
    const store = mapStore();
    await withExpress({ store }, (req, res) => res.json({}), async (post) => {
      const d = delivery();
      const answer = await post({ body: d.body, headers: sign('elmed', d.body, { secret: 'not-the-secret' }) });
      assert.deepEqual([answer.status, answer.text], [401, '{"error":"signature_mismatch"}']);
      assert.deepEqual(store.calls, []);
    });
  });

  it('two apps on one SQLite file (two Store objects): concurrent copies run the handler once', async () => {
    const file = path.join(DIR, 'two-apps.db');
    const held = gate();
    let runs = 0;
    const handler = async (req, res) => {
      runs += 1;
      await held.opened;
      res.json({ status: 'processed' });
    };
    await withExpress({ store: new Store(`sqlite://${file}`) }, handler, (postA) =>
      withExpress({ store: new Store(`sqlite://${file}`) }, handler, async (postB) => {
        const d = delivery();
        const answers = [postA(d), postB(d), postA(d), postB(d)];
        await until(() => runs === 1, 'one copy in the handler');
        await new Promise((resolve) => setTimeout(resolve, 100));
        held.open();
        const statuses = (await Promise.all(answers)).map((a) => a.status).sort();
        assert.deepEqual(statuses, [200, 503, 503, 503]);
        assert.equal(runs, 1);
      }));
  });

  it('checks its options when it is built', () => {
    const { release, ...noRelease } = mapStore();
    assert.throws(() => webhook(elmed, { store: noRelease }), /options\.store must have async claim\(namespace, key\), complete\(claim\) and release\(claim\).*its release is undefined/);
    assert.throws(() => webhook(elmed, { store: 'redis://localhost' }), TypeError);
    assert.throws(() => webhook(elmed, { namespace: 'elmed' }), /options\.namespace needs options\.store/);
    for (const namespace of ['', 'a b', 'x'.repeat(65), 7]) {
      assert.throws(() => webhook(elmed, { store: mapStore(), namespace }), (e) => e instanceof ConfigError && e.code === 'invalid_option');
    }
    webhook(elmed, { store: mapStore(), namespace: 'A-z.0_9:x' });
    webhook(new Verifier('standard-webhooks', { secret: 'whsec_' + Buffer.from('k'.repeat(24)).toString('base64') }), { store: mapStore() });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// fetch

const request = ({ body, headers }) => new Request('https://clinic.example/webhooks/elmed', { method: 'POST', body, headers });
const answerOf = async (response) => [response.status, await response.text()];

describe('hookseal/fetch webhookHandler(verifier, handler, { store })', () => {
  it('without a store: verifies, then calls handler(event, request, ...rest) and returns its Response', async () => {
    const seen = [];
    const handle = webhookHandler(elmed, (event, req, env, ctx) => {
      seen.push([event.idempotencyKey, req.url, env, ctx]);
      return Response.json({ status: 'processed' }, { status: 202 });
    });
    const d = delivery();
    const req = request(d);
    assert.deepEqual(await answerOf(await handle(req, { env: 1 }, 'ctx')), [202, '{"status":"processed"}']);
    assert.deepEqual(seen, [[d.key, req.url, { env: 1 }, 'ctx']]);
    assert.deepEqual(await answerOf(await handle(request(d))), [202, '{"status":"processed"}'], 'no dedupe without a store');
    const forged = await handle(request({ body: d.body, headers: sign('elmed', d.body, { secret: 'other' }) }));
    assert.deepEqual(await answerOf(forged), [401, '{"error":"signature_mismatch"}']);
    assert.equal(seen.length, 2);
  });

  it('duplicate, in_progress, done: the table, with one handler run', async () => {
    const store = new Store('memory:', { lease: 12 });
    const held = gate();
    let runs = 0;
    const handle = webhookHandler(elmed, async () => {
      runs += 1;
      await held.opened;
      return Response.json({ status: 'processed' });
    }, { store });
    const d = delivery();
    const first = handle(request(d));
    await until(() => runs === 1, 'the handler');
    const busy = await handle(request(d));
    assert.deepEqual(await answerOf(busy), [503, '{"error":"in_progress"}']);
    assert.equal(busy.headers.get('retry-after'), '12');
    assert.equal(busy.headers.get('content-type'), 'application/json');
    held.open();
    assert.deepEqual(await answerOf(await first), [200, '{"status":"processed"}']);
    const again = await handle(request(d));
    assert.deepEqual(await answerOf(again), [200, `{"status":"duplicate","idempotency_key":"${d.key}"}`]);
    assert.equal(runs, 1);
  });

  it('a handler that throws: the error propagates, the key is released, the retry is processed', async () => {
    const store = mapStore();
    let runs = 0;
    const handle = webhookHandler(elmed, async () => {
      runs += 1;
      if (runs === 1) throw new Error('down');
      return new Response('ok');
    }, { store });
    const d = delivery();
    await assert.rejects(handle(request(d)), /down/);
    assert.deepEqual(store.calls.map(([op]) => op), ['claim', 'release']);
    assert.deepEqual(await answerOf(await handle(request(d))), [200, 'ok']);
    assert.equal(JSON.parse(await (await handle(request(d))).text()).status, 'duplicate');
    assert.equal(runs, 2);
  });

  it('a Response of 500 or above releases the key; below 500 completes it', async () => {
    const store = mapStore();
    const statuses = [500, 502, 400];
    const handle = webhookHandler(elmed, () => new Response('', { status: statuses.shift() }), { store });
    const d = delivery();
    assert.equal((await handle(request(d))).status, 500);
    assert.equal((await handle(request(d))).status, 502);
    assert.equal((await handle(request(d))).status, 400);
    assert.deepEqual(store.calls.map(([op]) => op), ['claim', 'release', 'claim', 'release', 'claim', 'complete']);
  });

  it('the key is completed after the handler returned, before its Response is handed back', async () => {
    const store = mapStore();
    const order = [];
    const handle = webhookHandler(elmed, async () => {
      order.push('handler');
      return new Response('ok');
    }, { store: { ...store, complete: async (claim) => { order.push('complete'); return store.complete(claim); } } });
    const response = await handle(request(delivery()));
    order.push('response');
    assert.deepEqual(order, ['handler', 'complete', 'response']);
    assert.equal(response.status, 200);
  });

  it('a store that cannot be reached: 503 store_unavailable, Retry-After: 5, handler not run, onError told', async () => {
    let runs = 0;
    const refused = [];
    const store = new Store('redis://:hunter2@127.0.0.1:1/0');
    const handle = webhookHandler(elmed, () => {
      runs += 1;
      return new Response('ok');
    }, { store, onError: (error, req) => refused.push([error, req.method]) });
    const response = await handle(request(delivery()));
    assert.deepEqual([...(await answerOf(response)), response.headers.get('retry-after')], [503, '{"error":"store_unavailable"}', '5']);
    assert.equal(runs, 0);
    assert.ok(refused[0][0] instanceof StoreError);
    assert.equal(refused[0][1], 'POST');
    const logged = await warnings(async () => {
      assert.equal((await webhookHandler(elmed, () => new Response(), { store })(request(delivery()))).status, 503);
    });
    assert.equal(logged.length, 1);
    assert.match(logged[0], /^hookseal: refused a delivery from elmed \(POST \/[^ ?]*\): store_unavailable: /);
    assert.doesNotMatch(logged[0], /hunter2/);
  });

  it("onError is told of refused deliveries too; an app's own store gets the preset's namespace", async () => {
    const refused = [];
    const store = mapStore();
    const handle = webhookHandler(elmed, () => new Response('ok'), { store, onError: (error) => refused.push(error.code) });
    const d = delivery();
    await handle(request({ body: d.body, headers: {} }));
    assert.deepEqual(refused, ['missing_header']);
    await handle(request(d));
    assert.deepEqual(store.calls[0], ['claim', 'elmed', d.key]);
  });

  it('checks its arguments when it is built', () => {
    assert.throws(() => webhookHandler({}, () => {}), TypeError);
    assert.throws(() => webhookHandler(elmed, 'handler'), TypeError);
    assert.throws(() => webhookHandler(elmed, () => {}, { store: {} }), /options\.store must have async claim/);
    assert.throws(() => webhookHandler(elmed, () => {}, { onError: 1 }), TypeError);
    assert.throws(() => webhookHandler(elmed, () => {}, { store: mapStore(), namespace: 'no spaces' }), ConfigError);
    assert.ok(!(new ConfigError('invalid_option', 'x') instanceof VerificationError));
  });
});
