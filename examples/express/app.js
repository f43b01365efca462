'use strict';
// A runnable Express receiver for ELMED and Baremeds webhooks, verified by hookseal and processed exactly once.
//
//     ELMED_WEBHOOK_SECRET=s3cret BAREMEDS_WEBHOOK_KEY=k3y PORT=3000 node examples/express/app.js
//
// Environment:
//     ELMED_WEBHOOK_SECRET      required: the HMAC secret ELMED signs with (X-ELMED-Signature)
//     BAREMEDS_WEBHOOK_KEY      required: the shared key Baremeds sends in X-Webhook-Key
//     HOOKSEAL_STORE            optional: the dedupe store every copy of this app shares (docs/exactly-once.md):
//                               sqlite:///path.db (one host; the default is hookseal-express.db in the system's
//                               temp folder), redis://[user:password@]host:port/db (many hosts), memory: (this process)
//     HOOKSEAL_EXAMPLE_DELAY_MS optional: each handler waits this long before answering (default 0), to rehearse two
//                               copies of one delivery arriving at once, or a process killed mid-handler
//     HOOKSEAL_MAX_BODY_BYTES   optional: the body size limit for every receiver (default 1 MiB; over it: 413)
//     PORT                      optional: default 3000; 0 picks a free port (the "listening on" line shows it)
//
// A refused delivery never reaches a handler: hookseal's `webhook()` answers it with `{"error": "<code>"}` and
// 401 (signature or key), 413 (too large) or 400 (anything else). NODE_DEBUG=hookseal logs why, one line per refusal
// (`refused a delivery from elmed (POST /webhooks/elmed): signature_mismatch: ...`). With the store, an
// event is processed once however often it arrives: a retry is answered 200 `{"status": "duplicate", ...}`, a copy
// arriving while another is processed 503 `{"error": "in_progress"}` with Retry-After, and while the store cannot be
// reached every delivery gets 503 `{"error": "store_unavailable"}` (the provider retries; nothing is lost).

const os = require('node:os');
const path = require('node:path');
const express = require('express');
const { Router, Store, Verifier } = require('hookseal');
const { webhook, keepRawBody } = require('hookseal/express');

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
// them run the handler; webhook() answers the others. Opened once at start-up: a malformed URL stops the app here
// (ConfigError); a store that is down is not (the app starts and answers 503 until it is back).
const storeUrl = process.env.HOOKSEAL_STORE || `sqlite://${path.join(os.tmpdir(), 'hookseal-express.db')}`;
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
 * One handler of the routers below: `work` is the event's own processing. Runs once per event (webhook() answered
 * every other copy already), and answers as every handler of this app does.
 */
function handler(work) {
  return async (event, req, res) => {
    console.log(`processing ${event.idempotencyKey}`); // the key only: no patient data in logs
    if (delayMs > 0) await sleep(delayMs);
    // A throw here is a 500 (webhook() hands a rejected handler's error to the error handler below): webhook()
    // releases the key, and the provider's retry is processed.
    await work(event, dataOf(event));
    res.json({
      status: 'processed',
      eventType: event.eventType,
      idempotencyKey: event.idempotencyKey,
      isTest: event.isTest,
      isRetry: event.isRetry,
    });
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

// Refusals are logged by webhook() itself under NODE_DEBUG=hookseal, and a store outage always (console.warn): one
// line each, never a secret. To count or alert on them (a flood of signature_mismatch is worth an alert, and so is
// store_unavailable), pass `onError: (error, req) => ...`; logging them there as well would log each one twice.
const elmedOnce = { store, router: elmedEvents }; // namespace: the preset's name (elmed, baremeds)
const baremedsOnce = { store, router: baremedsEvents };

const app = express();

// The webhook routes come FIRST: webhook() reads the raw bytes from the request stream, because the signature
// covers exactly those bytes. A parsed and re-serialised body would not match (key order, spacing, unicode escapes).
app.post('/webhooks/elmed', webhook(elmed, elmedOnce));
app.post('/webhooks/baremeds', webhook(baremeds, baremedsOnce));

// The trap, on purpose: a JSON parser in front of webhook(). It reads the stream before webhook() runs, so the raw
// bytes are gone; webhook() does not guess, it fails with an error that says so (a 500, and the message in the log).
app.post('/webhooks/elmed-after-json', express.json(), webhook(elmed, elmedOnce));

// The fix when a parser has to run first: keepRawBody keeps the exact bytes in req.rawBody, and webhook() uses them.
// (Give the parser the verifier's limit, so that it does not buffer more than webhook() would accept.)
app.post(
  '/webhooks/elmed-kept',
  express.json({ verify: keepRawBody, limit: elmed.maxBodyBytes }),
  webhook(elmed, elmedOnce),
);

// The rest of the app parses JSON app-wide. Order matters: this parser is registered AFTER the webhook routes, so
// it never sees their requests (a route that answers does not call next()). Registered before them, it would read
// every webhook body first and every delivery would fail like /webhooks/elmed-after-json does.
app.use(express.json());

const notes = [];
app.post('/api/notes', (req, res) => {
  const text = req.body && typeof req.body.text === 'string' ? req.body.text : null;
  if (text === null) {
    res.status(400).json({ error: 'text is required' });
    return;
  }
  notes.push(text);
  res.status(201).json({ id: notes.length, text });
});

app.get('/healthz', (req, res) => {
  res.json({ status: 'ok' });
});

// Errors that are not refused deliveries (a handler that threw, the trap above): logged in full, answered without
// details. A 500 makes the provider retry.
app.use((error, req, res, next) => {
  console.error(`error on ${req.method} ${req.originalUrl}: ${error.stack || error}`);
  if (res.headersSent) {
    next(error);
    return;
  }
  if (error.type === 'entity.too.large') {
    res.status(413).json({ error: 'payload_too_large' }); // express.json()'s own limit
    return;
  }
  const status = Number.isInteger(error.status) && error.status >= 400 && error.status < 500 ? error.status : 500;
  res.status(status).json({ error: status === 500 ? 'internal_error' : 'bad_request' });
});

const server = app.listen(port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
server.on('error', (error) => {
  console.error(`cannot listen on 127.0.0.1:${port}: ${error.message}`);
  process.exit(1);
});

// Stop cleanly on Ctrl-C and on the orchestrator's SIGTERM: finish the requests in flight, then exit.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
