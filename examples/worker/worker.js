// A module worker (Cloudflare Workers style: `export default { fetch(request, env) }`) receiving ELMED and NovaMed
// webhooks, verified by hookseal's WASM build (synchronous HMAC and shared-key checks in WebAssembly, where
// WebCrypto would be async-only and Node's crypto is missing) and processed once each, by `webhookHandler`.
//
//   POST /webhooks/elmed     X-ELMED-Signature: sha256=<hex HMAC of the raw body>
//   POST /webhooks/novamed   x-api-key: <the shared key>
//
// Bindings (env): ELMED_WEBHOOK_SECRET and NOVAMED_WEBHOOK_SECRET (secrets, required), NOVAMED_CLINIC_ID (optional:
// refuse deliveries for other clinics), HOOKSEAL_WASM (optional: the compiled module, as a Worker's wasm import or
// `[wasm_modules]` binding gives it; without it the module is fetched from beside pkg-web/, which is what browsers
// and Deno do), and the dedupe store that has each event processed once (docs/exactly-once.md), the first of:
//   DEDUPE          any object with async claim(namespace, key), complete(claim) and release(claim): a service
//                   binding whose entrypoint exposes them over RPC, or a test's own;
//   DEDUPE_OBJECTS  a Durable Object namespace bound to the DedupeObject class exported below (./dedupe.js): one
//                   object per key, atomic, shared by every isolate and location. The one to deploy;
//   DEDUPE_KV       a KV namespace (./dedupe.js): eventually consistent, so two copies arriving together in two
//                   places (or a retry within about a minute, elsewhere) can both be processed;
//   otherwise       hookseal's `new Store('memory:')`, per isolate: a retry that reaches another isolate (or arrives
//                   after this one was evicted) is processed again.
//
// Answers: 200 `{"status": "processed", ...}`; a retry of a processed event 200 `{"status": "duplicate",
// "idempotency_key": ...}`; a copy another isolate is processing 503 `{"error": "in_progress"}` with Retry-After; a
// store that cannot be reached 503 `{"error": "store_unavailable"}`; a refused delivery `{"error": "<code>"}` with
// 401 (signature or key), 413 (too large) or 400 (anything else); 404 / 405 for other paths and methods.
//
// In this repository it imports the package by path (after `make wasm`); a deployed worker imports `hookseal-wasm`.
// bindings/wasm/test/worker.test.js drives it with real Requests, and the browser test runs it in Chromium.

import init, { Router, Store, Verifier } from '../../bindings/wasm/pkg-web/index.js';
import { refusalLine, webhookHandler } from '../../bindings/wasm/pkg-web/fetch.js';
import { DedupeObject, durableObjectStore, kvStore } from './dedupe.js';

// The Durable Object class must be exported by the worker's main module for DEDUPE_OBJECTS to bind to it.
export { DedupeObject };

// One set of handlers per isolate, built on the first request (a worker's bindings arrive with it), then shared: a
// Verifier is immutable. A missing or malformed secret is a ConfigError, answered 500 below and retried next time.
let routes = null;
let isolateStore = null;

function dedupeStore(env) {
  if (env.DEDUPE) return env.DEDUPE;
  if (env.DEDUPE_OBJECTS) return durableObjectStore(env.DEDUPE_OBJECTS);
  if (env.DEDUPE_KV) return kvStore(env.DEDUPE_KV);
  isolateStore ??= new Store('memory:'); // after init(): the store lives in the WebAssembly module
  return isolateStore;
}

// Refusals and store outages are logged, one line each as every hookseal helper words it (`refused a delivery from
// elmed (POST /webhooks/elmed): signature_mismatch: ...`; never a secret); the answer carries only the code.
const onError = (provider) => (error, request) => console.warn(refusalLine(provider, request, error));

async function setUp(env) {
  await init(env.HOOKSEAL_WASM);
  for (const name of ['ELMED_WEBHOOK_SECRET', 'NOVAMED_WEBHOOK_SECRET']) {
    if (!env[name]) throw new Error(`the worker needs the secret binding ${name}`);
  }
  const store = dedupeStore(env); // namespace: the preset's name (elmed, novamed)
  const elmed = new Verifier('elmed', { secret: env.ELMED_WEBHOOK_SECRET });
  const novamed = new Verifier('novamed', { secret: env.NOVAMED_WEBHOOK_SECRET, clinicId: env.NOVAMED_CLINIC_ID || null });
  return {
    '/webhooks/elmed': webhookHandler(elmed, elmedEvents, { store, onError: onError('elmed') }),
    '/webhooks/novamed': webhookHandler(novamed, novamedEvents, { store, onError: onError('novamed') }),
  };
}

const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/**
 * One handler of the routers below, `log` the event's own processing. Runs once per event: webhookHandler verified
 * the request and claimed its idempotency key. A throw (or a 5xx answer) releases the key, so the provider's retry
 * is processed; any other answer completes it.
 */
function handler(log) {
  return async (event) => {
    log(event, event.data !== null && typeof event.data === 'object' ? event.data : {});
    return json({ status: 'processed', eventType: event.eventType, idempotencyKey: event.idempotencyKey, isTest: event.isTest });
  };
}

// Routed by type, as the provider docs do; every other type is accepted by `*` (providers add events). A router per
// provider: its exact patterns are checked against the provider's catalog, and an event of another provider refused.
const received = handler((event) => console.log(`${event.provider} event ${event.eventType} received`));
const elmedEvents = new Router({ provider: 'elmed' })
  .on('order.status_changed', handler((event, data) => console.log(`ELMED order ${data.order_number} is now ${data.status}`)))
  .on('*', received);
const novamedEvents = new Router({ provider: 'novamed' })
  .on('order:shipped', handler((event, data) => console.log(`NovaMed order ${data.order_id} shipped for clinic ${event.clinicId}`)))
  .on('*', received);

export default {
  async fetch(request, env, ctx) {
    let handlers;
    try {
      routes ??= setUp(env);
      handlers = await routes;
    } catch (error) {
      routes = null;
      console.error(`hookseal worker misconfigured: ${error.message}`);
      return json({ error: 'misconfigured' }, 500);
    }
    const handler = handlers[new URL(request.url).pathname];
    if (!handler) return json({ error: 'not_found' }, 404);
    if (request.method !== 'POST') return json({ error: 'method_not_allowed' }, 405);
    // Reads the raw body itself (at most maxBodyBytes) before anything else touches it: the signature covers it.
    return handler(request, env, ctx);
  },
};
