'use strict';
// A runnable Fastify receiver for ELMED and Baremeds webhooks, verified by hookseal and processed exactly once: the
// same receiver as examples/express/app.js (same settings, answers, log lines, routers and store), on Fastify 5.
//
//     ELMED_WEBHOOK_SECRET=s3cret BAREMEDS_WEBHOOK_KEY=k3y PORT=3000 node examples/fastify/app.js
//
// Environment:
//     ELMED_WEBHOOK_SECRET      required: the HMAC secret ELMED signs with (X-ELMED-Signature)
//     BAREMEDS_WEBHOOK_KEY      required: the shared key Baremeds sends in X-Webhook-Key
//     HOOKSEAL_STORE            optional: the dedupe store every copy of this app shares (docs/exactly-once.md):
//                               sqlite:///path.db (one host; the default is hookseal-fastify.db in the system's
//                               temp folder), redis://[user:password@]host:port/db (many hosts), memory: (this process)
//     HOOKSEAL_EXAMPLE_DELAY_MS optional: each handler waits this long before answering (default 0), to rehearse two
//                               copies of one delivery arriving at once, or a process killed mid-handler
//     HOOKSEAL_MAX_BODY_BYTES   optional: the body size limit for every receiver (default 1 MiB; over it: 413)
//     LOG_LEVEL                 optional: turns Fastify's logger (pino, JSON lines on stdout) on at this level; the
//                               refusal lines go there too, at info (a store outage at warn)
//     PORT                      optional: default 3000; 0 picks a free port (the "listening on" line shows it)
//
// A refused delivery never reaches a handler: hookseal's plugin answers it with `{"error": "<code>"}` and 401
// (signature or key), 413 (too large) or 400 (anything else). NODE_DEBUG=hookseal logs why, one line per refusal
// (`refused a delivery from elmed (POST /webhooks/elmed): signature_mismatch: ...`). With the store, an event is
// processed once however often it arrives: a retry is answered 200 `{"status": "duplicate", ...}`, a copy arriving
// while another is processed 503 `{"error": "in_progress"}` with Retry-After, and while the store cannot be reached
// every delivery gets 503 `{"error": "store_unavailable"}` (the provider retries; nothing is lost).

const os = require('node:os');
const path = require('node:path');
const Fastify = require('fastify');
const { Router, Store, Verifier } = require('hookseal');
const { webhook, webhookRoute, rawBody } = require('hookseal/fastify');

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`set ${name} (the webhook secret) before starting this receiver`);
    process.exit(1);
  }
  return value;
}

function optionalInteger(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) {
    console.error(`${name} must be a non-negative integer, not ${JSON.stringify(raw)}`);
    process.exit(1);
  }
  return Number(raw);
}

const maxBodyBytes = optionalInteger('HOOKSEAL_MAX_BODY_BYTES', null);
const port = optionalInteger('PORT', 3000);
const delayMs = optionalInteger('HOOKSEAL_EXAMPLE_DELAY_MS', 0);

// Build each verifier once at start-up and share it: a Verifier is immutable. A bad secret throws ConfigError here,
// so the server refuses to start instead of refusing every delivery.
const elmed = new Verifier('elmed', { secret: required('ELMED_WEBHOOK_SECRET'), maxBodyBytes });
const baremeds = new Verifier('baremeds', { secret: required('BAREMEDS_WEBHOOK_KEY'), maxBodyBytes });

// Exactly once: providers retry (ELMED immediately, +30 s, +5 min; Baremeds with backoff), and two copies of one
// delivery can reach two processes at the same moment. The store, shared by every process of the app, lets one of
// them run the handler; the plugin answers the others. Opened once at start-up: a malformed URL stops the app here
// (ConfigError); a store that is down is not (the app starts and answers 503 until it is back).
const storeUrl = process.env.HOOKSEAL_STORE || `sqlite://${path.join(os.tmpdir(), 'hookseal-fastify.db')}`;
let store;
try {
  store = new Store(storeUrl);
} catch (error) {
  console.error(`HOOKSEAL_STORE: ${error.message}`); // never the URL's password
  process.exit(1);
}
console.log(`store: ${store.url}`); // the password, if any, shown as ***

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One handler of the routers below: `work` is the event's own processing. Runs once per event (the plugin answered
 * every other copy already); what it returns is the answer, as a Fastify handler's.
 */
function handler(work) {
  return async (event) => {
    console.log(`processing ${event.idempotencyKey}`); // the key only: no patient data in logs
    if (delayMs > 0) await sleep(delayMs);
    // A throw here is a 500 (Fastify's error handler, below): the plugin releases the key, and the provider's retry
    // is processed.
    await work(event, dataOf(event));
    return {
      status: 'processed',
      eventType: event.eventType,
      idempotencyKey: event.idempotencyKey,
      isTest: event.isTest,
      isRetry: event.isRetry,
    };
  };
}

/** The event's data as an object (a provider could send anything: the signature only says who sent it). */
function dataOf(event) {
  return event.data !== null && typeof event.data === 'object' && !Array.isArray(event.data) ? event.data : {};
}

// Every other type is accepted: providers add events (the `*` handler logs it). One router per provider: its
// exact patterns are checked against the provider's catalog at start-up (a typo is warned about), and the handlers
// get its typed events (TypeScript: `Elmed.OrderStatusChanged`...).
const received = handler((event) => console.log(`${event.provider} event ${event.eventType} received`));

const elmedEvents = new Router({ provider: 'elmed' })
  .on('order.status_changed', handler((event, data) => console.log(`ELMED order ${data.order_number} is now ${data.status}`)))
  .on('prescription.issued', handler((event, data) => console.log(`ELMED prescription ${data.prescription_number} issued`)))
  .on('*', received);

const baremedsEvents = new Router({ provider: 'baremeds' })
  .on('order_changed', handler((event, data) => {
    console.log(`Baremeds order ${data.order_number} ${data.status}${event.isRetry ? ' (retry)' : ''}`);
  }))
  .on('*', received);

const logLevel = process.env.LOG_LEVEL;
const app = Fastify({ logger: logLevel ? { level: logLevel } : false });

// Errors that are not refused deliveries (a handler that threw, the trap below): logged in full, answered without
// details. A 500 makes the provider retry. Set first, so that the plugins' contexts inherit it.
app.setErrorHandler((error, request, reply) => {
  console.error(`error on ${request.method} ${request.url}: ${error.stack || error}`);
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return reply.code(413).send({ error: 'payload_too_large' }); // Fastify's JSON parser's own limit
  }
  const status = Number.isInteger(error.statusCode) && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  return reply.code(status).send({ error: status === 500 ? 'internal_error' : 'bad_request' });
});

// Refusals are logged by the plugin itself (NODE_DEBUG=hookseal; request.log with LOG_LEVEL), a store outage always:
// one line each, never a secret. To count or alert on them, pass `onError: (error, request) => ...`.
// Each plugin is its own encapsulation context: there, and only there, bodies are kept raw (the signature covers
// exactly the bytes sent; a parsed and re-serialised body would not match).
app.register(webhook, { verifier: elmed, path: '/webhooks/elmed', store, router: elmedEvents });
app.register(webhook, { verifier: baremeds, path: '/webhooks/baremeds', store, router: baremedsEvents });

// The trap, on purpose: the webhook's route options on a route of the app itself, where Fastify's JSON parser runs
// first. The raw bytes are gone; hookseal does not guess, it fails with an error that says so (a 500, and the message
// in the log).
const elmedRoute = handler(() => {});
app.post('/webhooks/elmed-after-json', webhookRoute(elmed, { store }), (request) => elmedRoute(request.webhook));

// The fix, for routes of your own: a scope that keeps raw bodies (rawBody), with the same route options.
app.register(async (scope) => {
  scope.register(rawBody, { verifier: elmed });
  scope.post('/webhooks/elmed-kept', webhookRoute(elmed, { store }), (request) => elmedRoute(request.webhook));
});

// The rest of the app: Fastify's own JSON parser, untouched by the plugins above.
const notes = [];
app.post('/api/notes', async (request, reply) => {
  const text = request.body && typeof request.body.text === 'string' ? request.body.text : null;
  if (text === null) return reply.code(400).send({ error: 'text is required' });
  notes.push(text);
  return reply.code(201).send({ id: notes.length, text });
});

app.get('/healthz', async () => ({ status: 'ok' }));

app.listen({ port, host: '127.0.0.1' }).then(
  () => console.log(`listening on http://127.0.0.1:${app.server.address().port}`),
  (error) => {
    console.error(`cannot start on 127.0.0.1:${port}: ${error.message}`);
    process.exit(1);
  },
);

// Stop cleanly on Ctrl-C and on the orchestrator's SIGTERM: finish the requests in flight, then exit.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    app.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
