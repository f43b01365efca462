// A module worker (Cloudflare Workers style: `export default { fetch(request, env) }`) receiving ELMED and NovaMed
// webhooks, verified by hookseal's WASM build: synchronous HMAC and shared-key checks in WebAssembly, where
// WebCrypto would be async-only and Node's crypto is missing.
//
//   POST /webhooks/elmed     X-ELMED-Signature: sha256=<hex HMAC of the raw body>
//   POST /webhooks/novamed   x-api-key: <the shared key>
//
// Bindings (env): ELMED_WEBHOOK_SECRET and NOVAMED_WEBHOOK_SECRET (secrets, required), NOVAMED_CLINIC_ID (optional:
// refuse deliveries for other clinics), HOOKSEAL_WASM (optional: the compiled module, as a Worker's wasm import or
// `[wasm_modules]` binding gives it; without it the module is fetched from beside pkg-web/, which is what browsers
// and Deno do), SEEN_KEYS (optional: a KV namespace, or anything with async get/put, for deduplication across
// isolates; without it a per-isolate set is used).
//
// Answers: 200 `{"status": "processed" | "duplicate", ...}`; a refused delivery `{"error": "<code>"}` with 401
// (signature or key), 413 (too large) or 400 (anything else); 404 / 405 for other paths and methods.
//
// In this repository it imports the package by path (after `make wasm`); a deployed worker imports `hookseal-wasm`.
// bindings/wasm/test/worker.test.js drives it with real Requests, and the browser test runs it in Chromium.

import init, { Verifier, VerificationError } from '../../bindings/wasm/pkg-web/index.js';
import { verifyRequest, errorResponse } from '../../bindings/wasm/pkg-web/fetch.js';

// One set of verifiers per isolate, built on the first request (a worker's bindings arrive with it), then shared: a
// Verifier is immutable. A missing or malformed secret is a ConfigError, answered 500 below and retried next time.
let routes = null;

async function setUp(env) {
  await init(env.HOOKSEAL_WASM);
  for (const name of ['ELMED_WEBHOOK_SECRET', 'NOVAMED_WEBHOOK_SECRET']) {
    if (!env[name]) throw new Error(`the worker needs the secret binding ${name}`);
  }
  return {
    '/webhooks/elmed': new Verifier('elmed', { secret: env.ELMED_WEBHOOK_SECRET }),
    '/webhooks/novamed': new Verifier('novamed', {
      secret: env.NOVAMED_WEBHOOK_SECRET,
      clinicId: env.NOVAMED_CLINIC_ID || null,
    }),
  };
}

// Idempotency: providers retry, so one event can arrive several times; its idempotency key is the same each time.
// A KV namespace is eventually consistent (two copies arriving at once in two places can both pass); where that
// matters, use a Durable Object or a database unique constraint.
const claimedHere = new Set();

async function claim(env, key) {
  if (env.SEEN_KEYS) {
    if ((await env.SEEN_KEYS.get(key)) !== null) return false;
    await env.SEEN_KEYS.put(key, '1', { expirationTtl: 7 * 24 * 3600 });
    return true;
  }
  if (claimedHere.has(key)) return false;
  claimedHere.add(key);
  return true;
}

async function release(env, key) {
  if (env.SEEN_KEYS) await env.SEEN_KEYS.delete(key);
  else claimedHere.delete(key);
}

const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** Routes a verified event by type, as the provider docs do; unknown types are accepted (providers add events). */
async function dispatch(event) {
  const data = event.data !== null && typeof event.data === 'object' ? event.data : {};
  switch (event.eventType) {
    case 'order.status_changed': // ELMED
      console.log(`ELMED order ${data.order_number} is now ${data.status}`);
      break;
    case 'order:shipped': // NovaMed
      console.log(`NovaMed order ${data.order_id} shipped for clinic ${event.clinicId}`);
      break;
    default:
      console.log(`${event.provider} event ${event.eventType} received`);
  }
}

export default {
  async fetch(request, env) {
    let verifiers;
    try {
      routes ??= setUp(env);
      verifiers = await routes;
    } catch (error) {
      routes = null;
      console.error(`hookseal worker misconfigured: ${error.message}`);
      return json({ error: 'misconfigured' }, 500);
    }
    const verifier = verifiers[new URL(request.url).pathname];
    if (!verifier) return json({ error: 'not_found' }, 404);
    if (request.method !== 'POST') return json({ error: 'method_not_allowed' }, 405);

    let event;
    try {
      // Reads the raw body itself (at most maxBodyBytes) before anything else touches it: the signature covers it.
      event = await verifyRequest(verifier, request);
    } catch (error) {
      if (!(error instanceof VerificationError)) throw error;
      console.warn(`refused ${request.method} ${new URL(request.url).pathname}: ${error.message}`);
      return errorResponse(error);
    }

    const key = event.idempotencyKey;
    if (!(await claim(env, key))) return json({ status: 'duplicate', idempotencyKey: key });
    try {
      await dispatch(event);
    } catch (error) {
      await release(env, key); // answered 500: the provider retries, and the retry is processed
      throw error;
    }
    return json({ status: 'processed', eventType: event.eventType, idempotencyKey: key, isTest: event.isTest });
  },
};
