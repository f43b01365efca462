'use strict';
// hookseal's error classes (exported by index.js). A module of their own so that index.js can export the router
// (router.js) and router.js can throw ConfigError and UnhandledEventError without the two requiring each other. Like
// index.js it uses nothing of Node's: bindings/wasm/build.js ships it in pkg-node, and as an ES module in pkg-web.

const native = require('./native.js');

// The codes the glue raises itself, with the answer a receiver gives: unhandled_event is the glue's alone (the core
// has no router error); invalid_option and unknown_provider are the core's configuration codes (500, as the core's
// httpStatus gives them: router.test.js checks that they agree), thrown by the Router's constructor and on(). Known
// here, they need no native call: pkg-web's glue builds routers at module scope, before init() has loaded the
// WebAssembly module, and a misconfigured one must throw its ConfigError, not "not loaded yet".
const GLUE_CODES = { unhandled_event: 501, invalid_option: 500, unknown_provider: 500 };

/** The base of hookseal's errors: `code` is the contract's string, `httpStatus` the answer a receiver gives. */
class HooksealError extends Error {
  constructor(code, message, httpStatus) {
    super(`${code}: ${message}`);
    let known = null;
    if (typeof code === 'string') {
      // The glue's own codes first: they need no native module (a WASM build not loaded yet can still throw them).
      known = Object.prototype.hasOwnProperty.call(GLUE_CODES, code) ? GLUE_CODES[code] : native.httpStatus(code);
    }
    // Not a code: null from the napi addon, undefined from the WASM module.
    if (known === null || known === undefined) throw new TypeError(`${JSON.stringify(String(code))} is not one of hookseal's error codes`);
    const status = httpStatus ?? known;
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false, configurable: true });
    this.code = code;
    this.detail = message;
    this.httpStatus = status;
  }
}

/** A delivery failed verification: not genuine, malformed, or refused by a rule. `code` says which. */
class VerificationError extends HooksealError {}

/** A verifier, a store, a router (or `sign`) cannot be built from these options. */
class ConfigError extends HooksealError {}

/**
 * The dedupe store cannot be reached (connection refused, a timeout, a locked or full SQLite file): `code`
 * `store_unavailable`, `httpStatus` 503. The delivery must be neither processed nor acknowledged; the provider's
 * retry succeeds once the store is back (docs/exactly-once.md, "Failure is closed").
 */
class StoreError extends HooksealError {}

/**
 * A router with `unhandled: 'reject'` has no handler for the event's type: `code` `unhandled_event`, `httpStatus`
 * 501 (a 5xx: every provider retries, and a deploy that adds the handler processes the retry). `eventType` is the
 * event's type (null for a Standard Webhooks body without `type`), `idempotencyKey` its key.
 */
class UnhandledEventError extends HooksealError {
  constructor(message, eventType, idempotencyKey) {
    super('unhandled_event', message, 501);
    this.eventType = eventType;
    this.idempotencyKey = idempotencyKey;
  }
}

module.exports = { HooksealError, VerificationError, ConfigError, StoreError, UnhandledEventError };
