'use strict';
// Hono (4): a middleware that verifies a webhook before the route's handler runs, built on hookseal/fetch.
//
//     const { Verifier } = require('hookseal');
//     const { webhook } = require('hookseal/hono');
//
//     const elmed = new Verifier('elmed', { secret: process.env.ELMED_WEBHOOK_SECRET });
//     app.post('/webhooks/elmed', webhook(elmed, { store }), (c) => c.json({ received: c.get('webhook').eventType }));
//     app.post('/webhooks/elmed', webhook(elmed, { store, router }));   // or: a Router ends the route
//
// The middleware reads the raw body of `c.req.raw` with hookseal/fetch's `verifyRequest` (at most
// `verifier.maxBodyBytes`, refusing as soon as a body passes it), verifies it against the request's headers and sets
// `c.get('webhook')` to the event. A refused delivery never reaches the handler: it gets `{"error": "<code>"}` with
// 401 (not genuine: signature or key), 413 (`payload_too_large`, with `Connection: close`) or 400 (anything else
// refused). Each refusal is logged under NODE_DEBUG=hookseal, one line, worded as every hookseal helper words it
// (`refused a delivery from elmed (POST /webhooks/elmed): signature_mismatch: ...`, never a secret or the body); a
// store outage on console.warn unless `options.onError(error, c)`, which hears of each refusal, is given.
//
// The signature covers the exact bytes sent. The body is read once: a middleware or validator before webhook() that
// read it as text or JSON (`c.req.json()`, `c.req.text()`, `c.req.parseBody()`, `validator('json', ...)`) leaves a
// decoded copy, not the bytes, and webhook() throws a TypeError saying so (Hono's onError answers 500): never a 401
// from a re-encoded body. Bytes read with `c.req.arrayBuffer()` or `c.req.blob()` (Hono keeps them) are verified as
// they are. After webhook() the body is consumed: read the event's data (`c.get('webhook').data`), not
// `c.req.json()`.
//
// Exactly once (docs/exactly-once.md): with `{ store }` the event's idempotency key is claimed (in
// `options.namespace`, default the preset's name) before the handler runs. A duplicate is answered 200 `{"status":
// "duplicate", "idempotency_key": ...}`, a copy another worker holds 503 `{"error": "in_progress"}` with
// Retry-After, an unreachable store 503 `{"error": "store_unavailable"}` with `Retry-After: 5`; none reaches the
// handler. The claim is settled once the handler has answered: completed below 500, released when it threw (Hono's
// onError answers), answered 500 and above, or returned no Response (Hono answers 500), and when no handler came
// after webhook() (`app.use(path, webhook(...))` alone: Hono's notFound answers), so the provider's retry is
// processed. (Known from `c.req.routeIndex`: a middleware after webhook() that itself falls through to notFound
// counts as a handler.)
//
// A Router (docs/api.md, "The router") in `options.router` ends the route: the event's one handler runs with
// (event, c), and what it returns (or its Promise resolves to) is the answer: a Response as is; nothing, 200
// `{"status": "processed", "event_type": ..., "idempotency_key": ...}`; any other value as JSON (`c.json(value)`).
// An event no pattern matches: 200 `{"status": "unhandled", ...}` (completed) with `unhandled: 'accept'`, 501
// `{"error": "unhandled_event"}` (released) with `'reject'`. A router bound to another provider than the verifier's
// is a ConfigError when webhook() is called.
//
// Hono is not required here (a peer dependency): the middleware only uses the context it is given.

const { UnhandledEventError, VerificationError } = require('./index.js');
const { debug, unhandledLine } = require('./log.js');
const { claimEvent, dedupeOptions, processedBody, routerOption, settle } = require('./once.js');
const { refusalLine, verifyRequest } = require('./fetch.js');
const { isResponse } = require('./wire.js');
const { wireValue } = require('./wire.js');

const CONSUMED_MESSAGE =
  'hookseal/hono: the request body was already read by a middleware or validator before webhook() (c.req.json(), ' +
  "c.req.text(), c.req.parseBody() or validator('json', ...)), which keeps a decoded copy, not the raw bytes the " +
  "signature covers. Put webhook() first on the route and use c.get('webhook').data instead of c.req.json(); to " +
  'read the body yourself before webhook(), read it with c.req.arrayBuffer() or c.req.blob() (Hono keeps those bytes ' +
  'and webhook() verifies them).';

function describe(value) {
  if (value === null) return 'null';
  return typeof value === 'object' ? (value.constructor && value.constructor.name) || 'an object' : typeof value;
}

/** The answer to a refused delivery: only the code (the detail is for logs). */
function errorBody(error) {
  return { error: error.code };
}

/**
 * Hono middleware: verifies the delivery with `verifier`, sets `c.get('webhook')` to the event and calls the next
 * handler (or, with `options.router`, the router's one handler); a refused delivery is answered `{"error": code}`
 * with the code's status. `options.store`, `options.namespace`, `options.onError(error, c)`: as above.
 */
function webhook(verifier, options) {
  if (!verifier || typeof verifier.verify !== 'function' || typeof verifier.maxBodyBytes !== 'number') {
    throw new TypeError(`webhook(verifier) needs a hookseal Verifier, not ${describe(verifier)}`);
  }
  if (options !== undefined && options !== null && typeof options !== 'object') {
    throw new TypeError('webhook(verifier, options): options must be an object');
  }
  const onError = options ? options.onError : undefined;
  if (onError !== undefined && onError !== null && typeof onError !== 'function') {
    throw new TypeError('webhook(verifier, options): options.onError must be a function');
  }
  const dedupe = dedupeOptions(verifier, options, 'webhook(verifier, options)');
  const router = routerOption(verifier, options ? options.router : undefined, 'webhook(verifier, options)');

  // One line per refusal, as every helper logs it: NODE_DEBUG=hookseal, and a store outage nobody else hears of
  // (no onError) on console.warn. Then onError (if it throws, that propagates: Hono's onError answers 500).
  function report(error, c) {
    const line = refusalLine(verifier.provider, c.req.raw, error);
    if (error.code === 'store_unavailable' && !onError) console.warn(`hookseal: ${line}`);
    else debug(line);
    if (onError) onError(error, c);
  }

  function refused(error, c) {
    report(error, c);
    // An oversize body is left unread (verifyRequest does not cancel it): close the connection rather than drain it.
    const headers = error.code === 'payload_too_large' ? { Connection: 'close' } : undefined;
    return c.json(errorBody(error), error.httpStatus, headers);
  }

  async function verified(c) {
    const { raw, bodyCache } = c.req;
    // c.req.arrayBuffer() (or Hono's form validator) or c.req.blob() before webhook(): the bytes as sent.
    let kept = bodyCache.arrayBuffer;
    if (kept === undefined && bodyCache.blob !== undefined) kept = Promise.resolve(bodyCache.blob).then((blob) => blob.arrayBuffer());
    if (kept !== undefined) {
      const pairs = [];
      raw.headers.forEach((value, name) => pairs.push([name, wireValue(value)]));
      return verifier.verify(new Uint8Array(await kept), pairs);
    }
    if (raw.bodyUsed || Object.keys(bodyCache).length > 0) throw new TypeError(CONSUMED_MESSAGE);
    return verifyRequest(verifier, raw);
  }

  // The router's one handler, its return answered; no handler: the router's answer (accept) or 501 (reject).
  async function routed(event, c) {
    const handled = router.match(event.eventType) !== null;
    let result;
    try {
      result = await router.dispatch(event, c);
    } catch (error) {
      if (!(error instanceof UnhandledEventError)) throw error;
      debug(`${unhandledLine(event)}: refused 501 unhandled_event`);
      return c.json({ error: 'unhandled_event' }, 501);
    }
    if (!handled) return c.json(result, 200);
    if (result === undefined) return c.json(processedBody(event), 200);
    if (isResponse(result)) return result;
    return c.json(result);
  }

  // The route's end: the router, or the next handler (whose answer Hono keeps in c.res; a throw there is caught by
  // Hono and answered by its onError, leaving c.error set). `reached`: false when no handler came after webhook()
  // (`app.use(path, webhook(...))` alone): next() then ran Hono's notFound (its 404 processed nothing). Hono sets
  // c.req.routeIndex to each handler it dispatches, so an unchanged index means none ran after this middleware.
  async function proceed(event, c, next) {
    if (router !== null) return { response: await routed(event, c), reached: true };
    const mine = c.req.routeIndex;
    await next();
    return { response: undefined, reached: c.req.routeIndex !== mine };
  }

  return async function hooksealWebhook(c, next) {
    let event;
    try {
      event = await verified(c);
    } catch (error) {
      if (!(error instanceof VerificationError)) throw error;
      return refused(error, c);
    }
    c.set('webhook', event);
    if (!dedupe) return (await proceed(event, c, next)).response;
    const { claim, answer, error } = await claimEvent(dedupe, event.idempotencyKey);
    if (answer) {
      if (error) report(error, c);
      return c.json(answer.body, answer.status, answer.headers);
    }
    let outcome;
    try {
      outcome = await proceed(event, c, next);
    } catch (thrown) {
      await settle(dedupe, claim, 'release');
      throw thrown;
    }
    const { response, reached } = outcome;
    // A next handler that returned nothing leaves c.res a placeholder (200) and Hono answers 500 "Context is not
    // finalized": release, so that the retry is processed. So is Hono's notFound (no handler after webhook()).
    const status = response !== undefined ? response.status : c.finalized ? c.res.status : 500;
    await settle(dedupe, claim, !reached || c.error !== undefined || status >= 500 ? 'release' : 'complete');
    return response;
  };
}

module.exports = { webhook, errorBody };
