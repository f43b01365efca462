'use strict';
// Exactly once (docs/exactly-once.md): what the framework helpers (express.js, fetch.js) share, as the core's
// `process_once` does it in Rust (crates/hookseal-store/src/once.rs). Not part of the API. It uses nothing of
// Node's: bindings/wasm/build.js ships it beside the glue.
//
// A store is any object with async claim(namespace, key), complete(claim) and release(claim): hookseal's `Store`,
// or an app's own over a Durable Object, KV or a database. `claim` resolves to `{ status, retryAfter }` with status
// `claimed`, `duplicate` or `in_progress`; `complete` / `release` take that object back and resolve to a boolean.

const { ConfigError, StoreError } = require('./index.js');
const { Router } = require('./router.js');

const NAMESPACE = /^[A-Za-z0-9._:-]{1,64}$/;
const METHODS = ['claim', 'complete', 'release'];
// Retry-After when the store cannot be reached: long enough not to hammer it, well inside every retry schedule.
const UNAVAILABLE_RETRY_AFTER = 5;

function describe(value) {
  if (value === null) return 'null';
  return typeof value === 'object' ? (value.constructor && value.constructor.name) || 'an object' : typeof value;
}

/**
 * The helpers' `store` and `namespace` options, checked when the helper is built: null without a store (the helper
 * then behaves as it always did). The namespace defaults to the verifier's preset name.
 */
function dedupeOptions(verifier, options, who) {
  const store = options ? options.store : undefined;
  const namespace = options ? options.namespace : undefined;
  if (store === undefined || store === null) {
    if (namespace !== undefined && namespace !== null) throw new TypeError(`${who}: options.namespace needs options.store`);
    return null;
  }
  for (const method of METHODS) {
    if (!store || typeof store[method] !== 'function') {
      throw new TypeError(
        `${who}: options.store must have async claim(namespace, key), complete(claim) and release(claim) (a hookseal ` +
          `Store, or an object of your own); its ${method} is ${describe(store && store[method])}`,
      );
    }
  }
  const name = namespace ?? verifier.provider;
  if (typeof name !== 'string' || !NAMESPACE.test(name)) {
    throw new ConfigError('invalid_option', "a namespace is 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'");
  }
  return { store, namespace: name };
}

/** Seconds for Retry-After: a whole number, at least 1 (the contract's rounding: up). */
function retryAfter(seconds) {
  const value = Math.ceil(Number(seconds));
  return Number.isFinite(value) && value >= 1 ? value : 1;
}

/**
 * Claims the event's key. Resolves to `{ claim }` when this worker is to run the handler, else to `{ answer }`:
 * `{ status, headers, body }`, the table's answer (with `error`, a StoreError, when the store failed). A ConfigError
 * (the store refusing the namespace) rejects: a misconfiguration is the framework's 500.
 */
async function claimEvent(dedupe, key) {
  let claim;
  try {
    claim = await dedupe.store.claim(dedupe.namespace, key);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    // Failure is closed: whatever went wrong (an app's own store may throw anything), the handler does not run.
    const failure = error instanceof StoreError ? error
      : new StoreError('store_unavailable', `the store's claim() failed: ${reason(error)}`);
    return unavailable(failure, error);
  }
  switch (claim && claim.status) {
    case 'claimed':
      return { claim };
    case 'duplicate':
      return { answer: { status: 200, headers: {}, body: { status: 'duplicate', idempotency_key: key } } };
    case 'in_progress':
      return {
        answer: {
          status: 503,
          headers: { 'Retry-After': String(retryAfter(claim.retryAfter)) },
          body: { error: 'in_progress' },
        },
      };
    default:
      return unavailable(new StoreError('store_unavailable',
        `the store's claim() resolved to ${describe(claim)} with status ${JSON.stringify(claim && claim.status)}, ` +
          "not 'claimed', 'duplicate' or 'in_progress'"));
  }
}

function reason(error) {
  return error && error.message ? error.message : String(error);
}

function unavailable(error, cause) {
  if (cause !== undefined && cause !== error) error.cause = cause;
  const headers = { 'Retry-After': String(UNAVAILABLE_RETRY_AFTER) };
  return { error, answer: { status: 503, headers, body: { error: 'store_unavailable' } } };
}

/**
 * `complete` (the handler answered) or `release` (it failed, or nobody got an answer) the claim. Never rejects: a
 * store that fails now is logged and the answer still goes out (the work was done, or the lease runs out by itself).
 */
async function settle(dedupe, claim, op) {
  try {
    const acted = await dedupe.store[op](claim);
    if (acted === false) {
      console.warn(`hookseal: the claim in ${dedupe.namespace} was no longer held at ${op} (its lease ran out): ` +
        'the event may be processed again');
    }
  } catch (error) {
    console.warn(`hookseal: ${op} of a claim in ${dedupe.namespace} failed` +
      `${op === 'complete' ? ' after the handler ran (the event may be processed again)' : ''}: ${reason(error)}`);
  }
}

/**
 * A helper's router, checked when the helper is built: a Router (or null without one) for the verifier's provider,
 * so that a route wired to the wrong router fails at start-up rather than at the first delivery.
 */
function routerOption(verifier, router, who) {
  if (router === undefined || router === null) return null;
  if (!(router instanceof Router)) throw new TypeError(`${who}: the router must be a hookseal Router, not ${describe(router)}`);
  if (router.provider !== null && router.provider !== verifier.provider) {
    throw new ConfigError('invalid_option', `${who}: a router for ${router.provider} was given a ${verifier.provider} verifier`);
  }
  return router;
}

/**
 * What a helper answers (200) for a router's handler that finished without an answer of its own: an async Express
 * handler that resolved without answering, a fetch handler that returned nothing. A wire answer: snake_case keys.
 */
function processedBody(event) {
  return { status: 'processed', event_type: event.eventType ?? null, idempotency_key: event.idempotencyKey };
}

module.exports = { dedupeOptions, claimEvent, settle, routerOption, processedBody };
