'use strict';
// A runnable Hono receiver (on Node, served by @hono/node-server) for ELMED and Baremeds webhooks, verified by hookseal and processed exactly once: the
// same receiver as examples/express/app.js (same settings, answers, log lines, routers and store), on Hono 4.
//
//     ELMED_WEBHOOK_SECRET=s3cret BAREMEDS_WEBHOOK_KEY=k3y PORT=3000 node examples/hono/app.js
//
// Environment:
//     ELMED_WEBHOOK_SECRET      required: the HMAC secret ELMED signs with (X-ELMED-Signature)
//     BAREMEDS_WEBHOOK_KEY      required: the shared key Baremeds sends in X-Webhook-Key
//     HOOKSEAL_STORE            optional: the dedupe store every copy of this app shares (docs/exactly-once.md):
//                               sqlite:///path.db (one host; the default is hookseal-hono.db in the system's
//                               temp folder), redis://[user:password@]host:port/db (many hosts), memory: (this process)
//     HOOKSEAL_EXAMPLE_DELAY_MS optional: each handler waits this long before answering (default 0), to rehearse two
//                               copies of one delivery arriving at once, or a process killed mid-handler
//     HOOKSEAL_MAX_BODY_BYTES   optional: the body size limit for every receiver (default 1 MiB; over it: 413)
//     PORT                      optional: default 3000; 0 picks a free port (the "listening on" line shows it)
//
// A refused delivery never reaches a handler: hookseal's middleware answers it with `{"error": "<code>"}` and 401
// (signature or key), 413 (too large) or 400 (anything else). NODE_DEBUG=hookseal logs why, one line per refusal
// (`refused a delivery from elmed (POST /webhooks/elmed): signature_mismatch: ...`). With the store, an event is
// processed once however often it arrives: a retry is answered 200 `{"status": "duplicate", ...}`, a copy arriving
// while another is processed 503 `{"error": "in_progress"}` with Retry-After, and while the store cannot be reached
// every delivery gets 503 `{"error": "store_unavailable"}` (the provider retries; nothing is lost).

const os = require('node:os');
const path = require('node:path');
const { Hono } = require('hono');
const { serve } = require('@hono/node-server');
const { Router, Store, Verifier } = require('hookseal');
const { webhook } = require('hookseal/hono');

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
// them run the handler; the middleware answers the others. Opened once at start-up: a malformed URL stops the app here
// (ConfigError); a store that is down is not (the app starts and answers 503 until it is back).
const storeUrl = process.env.HOOKSEAL_STORE || `sqlite://${path.join(os.tmpdir(), 'hookseal-hono.db')}`;
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
 * One handler of the routers below: `work` is the event's own processing. Runs once per event (the middleware
 * answered every other copy already); what it returns is the answer (as JSON).
 */
function handler(work) {
  return async (event) => {
    console.log(`processing ${event.idempotencyKey}`); // the key only: no patient data in logs
    if (delayMs > 0) await sleep(delayMs);
    // A throw here is a 500 (app.onError, below): the middleware releases the key, and the provider's retry is
    // processed.
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

const app = new Hono();

// Errors that are not refused deliveries (a handler that threw, the trap below): logged in full, answered without
// details. A 500 makes the provider retry.
app.onError((error, c) => {
  console.error(`error on ${c.req.method} ${c.req.path}: ${error.stack || error}`);
  return c.json({ error: 'internal_error' }, 500);
});

// Refusals are logged by webhook() itself under NODE_DEBUG=hookseal, and a store outage always (console.warn): one
// line each, never a secret. To count or alert on them, pass `onError: (error, c) => ...`.
// webhook() reads the raw bytes from the request itself, because the signature covers exactly those bytes. A parsed
// and re-encoded body would not match (key order, spacing, unicode escapes).
app.post('/webhooks/elmed', webhook(elmed, { store, router: elmedEvents })); // namespace: the preset's name
app.post('/webhooks/baremeds', webhook(baremeds, { store, router: baremedsEvents }));

// The trap, on purpose: a middleware that reads the body as JSON before webhook() (as validator('json', ...) does).
// Hono keeps the parsed value, not the bytes; webhook() does not guess, it fails with an error that says so (a 500,
// and the message in the log).
const peekJson = async (c, next) => {
  await c.req.json();
  await next();
};
app.post('/webhooks/elmed-after-json', peekJson, webhook(elmed, { store, router: elmedEvents }));

// The fix when something must read the body first: read the bytes (c.req.arrayBuffer(): Hono keeps them), and
// webhook() verifies those.
const peekBytes = async (c, next) => {
  await c.req.arrayBuffer();
  await next();
};
app.post('/webhooks/elmed-kept', peekBytes, webhook(elmed, { store, router: elmedEvents }));

// The rest of the app reads JSON as usual.
const notes = [];
app.post('/api/notes', async (c) => {
  const body = await c.req.json().catch(() => null);
  const text = body && typeof body.text === 'string' ? body.text : null;
  if (text === null) return c.json({ error: 'text is required' }, 400);
  notes.push(text);
  return c.json({ id: notes.length, text }, 201);
});

app.get('/healthz', (c) => c.json({ status: 'ok' }));

const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`);
});
server.on('error', (error) => {
  console.error(`cannot listen on 127.0.0.1:${port}: ${error.message}`);
  process.exit(1);
});

// Stop cleanly on Ctrl-C and on the orchestrator's SIGTERM: finish the requests in flight, then exit.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    if (typeof server.closeIdleConnections === 'function') server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
