'use strict';
// Express: verify a webhook before the route handler runs.
//
//     const { Verifier } = require('hookseal');
//     const { webhook } = require('hookseal/express');
//
//     const elmed = new Verifier('elmed', { secret: process.env.ELMED_WEBHOOK_SECRET });
//     app.post('/webhooks/elmed', webhook(elmed), (req, res) => { req.webhook; ... });
//     app.use(express.json()); // after the webhook routes, or only on other routes
//
// The middleware reads the raw body from the request stream itself (at most `verifier.maxBodyBytes`), verifies it
// against the request's headers, and hands the handler `req.webhook` (the event). A refused delivery never reaches
// the handler: it gets `{"error": "<code>"}` with 401 (not genuine: signature or key), 413 (`payload_too_large`) or
// 400 (anything else refused). The reason goes to `options.onError` and to `NODE_DEBUG=hookseal`, one line per
// refusal (`refused a delivery from elmed (POST /webhooks/elmed): signature_mismatch: ...`), never a secret.
//
// The signature covers the exact bytes sent, so the body must not have been parsed (and re-serialised) before. If an
// app-wide `express.json()` runs first, the bytes are gone: keep them with `express.json({ verify: keepRawBody })`,
// or mount `webhook()` before the parser.
//
// Exactly once (docs/exactly-once.md): with `{ store }` (a hookseal `Store`, or any object with async claim /
// complete / release) the event's idempotency key is claimed before the handler runs, in `options.namespace`
// (default: the preset's name). A duplicate is answered 200 `{"status": "duplicate", "idempotency_key": ...}`, a copy
// another worker is processing 503 `{"error": "in_progress"}` with Retry-After, a store that cannot be reached 503
// `{"error": "store_unavailable"}` with `Retry-After: 5`; none of them reaches the handler. A claimed key is
// completed when the answer finishes with a status below 500, and released on 500 and above, when the router's
// handler threw (whatever status the app's error handler then answers), or when the connection closes before an
// answer, so that the provider's retry is processed. A route handler after webhook() that fails through Express's
// next(error) is settled by the status the error handler answers: Express gives a middleware no sight of it.
//
// A Router (hookseal's; docs/api.md, "The router") in `options.router` takes the place of the route handler:
//
//     const router = new Router({ provider: 'elmed' })
//       .on('order.status_changed', (event, req, res) => res.json({ status: 'processed' }))
//       .on('*', (event, req, res) => res.json({ status: 'ignored' }));
//     app.post('/webhooks/elmed', webhook(elmed, { store, router }));
//
// webhook() then ends the route: the event's one handler runs with (event, req, res); a throw or a rejected Promise
// goes to next(error) (a 500: released). What it returns decides who answers, so that no delivery is left hanging
// (its key claimed until the lease runs out):
// - a synchronous handler that returns anything but plain data answers with `res` itself, now or later (from a
//   callback), as an Express route handler does; webhook() answers nothing for it: undefined, `res`
//   (`return res.json(...)`), or what a one-line arrow's call gave (`setTimeout(...)`, `emitter.once(...)`).
// - plain data it returns (an object literal or an array), or what its Promise resolves to: if the handler has not
//   answered (`!res.headersSent`), webhook() answers `res.json(value)`.
// - a Promise that resolves to undefined (or `res`): an async handler that finished; if it has not answered,
//   webhook() answers 200 `{"status": "processed", "event_type": ..., "idempotency_key": ...}` (event_type null for
//   a body without a type). Either way the claim is completed (a status below 500).
// An event no pattern matches is answered 200
// `{"status": "unhandled", "event_type": ..., "idempotency_key": ...}` (completed: it will not be offered again) by a
// router with `unhandled: 'accept'`, and 501 `{"error": "unhandled_event"}` (released: the provider retries, and a
// deploy that adds the handler processes the retry) by one with `unhandled: 'reject'`. A router bound to another
// provider than the verifier's is a ConfigError when webhook() is called.

const { debuglog } = require('node:util');
const { UnhandledEventError, VerificationError } = require('./index.js');
const { unhandledLine } = require('./log.js');
const { claimEvent, dedupeOptions, processedBody, routerOption, settle } = require('./once.js');
const { tooLarge, wireValue } = require('./wire.js');

const debug = debuglog('hookseal');

// Set on the response when the router's handler threw: its claim is released whatever the error handler answers.
const HANDLER_FAILED = Symbol('hookseal.handlerFailed');

const CONSUMED_MESSAGE =
  'hookseal/express: the request body was already read by another middleware (an app-wide express.json() or ' +
  'express.urlencoded()?), so the raw bytes the signature covers are gone. Mount webhook() before express.json(), ' +
  'register express.json() only on other routes, or keep the raw body with express.json({ verify: keepRawBody }).';

const PARTLY_READ_MESSAGE =
  'hookseal/express: another middleware has started reading the request body (a data listener, pipe() or ' +
  'read()), so the raw bytes the signature covers are no longer all in the stream. Mount webhook() before any ' +
  'middleware that reads the body, or keep the raw body with express.json({ verify: keepRawBody }).';

/**
 * A `verify` hook for body-parser: `express.json({ verify: keepRawBody })` keeps the exact bytes in `req.rawBody`,
 * so that `webhook()` can still check the signature after the JSON parser has read the stream.
 */
function keepRawBody(req, res, buf) {
  req.rawBody = buf;
}

/** `refused a delivery from elmed (POST /webhooks/elmed): <code>: <why>`: the path without its query string. */
function refusalLine(provider, req, error) {
  const url = req.originalUrl || req.url || '';
  const query = url.indexOf('?');
  return `refused a delivery from ${provider} (${req.method} ${query === -1 ? url : url.slice(0, query)}): ${error.message}`;
}

/** The answer to a refused delivery: only the code (the detail is for logs). */
function errorBody(error) {
  return { error: error.code };
}

/**
 * Express middleware: verifies the delivery with `verifier`, sets `req.webhook` to the event and calls `next()`;
 * a refused delivery is answered `{"error": code}` with the code's status. `options.onError(error, req)` is called
 * with every `VerificationError` (and, with a store, every `StoreError`) before the answer is sent (to log or count
 * refusals). `options.store` and `options.namespace`: exactly once, as above. `options.router`: a Router that ends
 * the route, as above.
 */
function webhook(verifier, options) {
  if (!verifier || typeof verifier.verify !== 'function' || typeof verifier.maxBodyBytes !== 'number') {
    throw new TypeError('webhook(verifier) needs a hookseal Verifier');
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

  // One line per refusal, the wording every helper uses (never a secret, never the body): to NODE_DEBUG=hookseal,
  // or, for a store outage nobody else hears of (no onError), to console.warn instead. Then tells onError (false if
  // it threw: the error went to next()).
  function report(error, req, next) {
    const line = refusalLine(verifier.provider, req, error);
    if (error.code === 'store_unavailable' && !onError) console.warn(`hookseal: ${line}`); // an outage shows
    else debug('%s', line);
    if (onError) {
      try {
        onError(error, req);
      } catch (thrown) {
        next(thrown);
        return false;
      }
    }
    return true;
  }

  function refuse(error, req, res, next) {
    if (!report(error, req, next)) return;
    if (error.code === 'payload_too_large' && !isConsumed(req)) {
      // The rest of the body is still on the wire: do not read it (Node would, to reuse the connection); close.
      res.set('Connection', 'close');
      res.on('finish', () => req.destroy());
    }
    res.status(error.httpStatus).json(errorBody(error));
  }

  // The route's end: the router's one handler, or the next handler of the route.
  function proceed(event, req, res, next) {
    if (router === null) {
      next();
      return;
    }
    const handled = router.match(event.eventType) !== null;
    let result;
    try {
      result = router.dispatch(event, req, res);
    } catch (error) {
      unrouted(error, event, res, next);
      return;
    }
    if (!handled) {
      res.status(200).json(result); // unhandled, accepted: the router's answer
    } else if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
      result.then((value) => answered(value, true, event, res, next), (error) => unrouted(error, event, res, next));
    } else {
      answered(result, false, event, res, next);
    }
  }

  // What the handler returned (`settled`: what its Promise resolved to), answered if the handler did not answer: the
  // value as JSON; nothing, from an async handler, the processed answer; nothing, from a synchronous one: its own.
  function answered(value, settled, event, res, next) {
    const nothing = value === undefined || value === res;
    // A synchronous handler's value is an answer only when it is plain data (an object literal, an array): an arrow
    // that answers later from a callback returns whatever the call gave (a Timeout, an EventEmitter), not an answer.
    if (res.headersSent || (!settled && (nothing || !isPlainData(value)))) return;
    try {
      if (nothing) res.status(200).json(processedBody(event));
      else res.json(value);
    } catch (error) {
      next(error); // a value res.json cannot serialise (a BigInt, a cycle): a 500, released
    }
  }

  function isPlainData(value) {
    if (Array.isArray(value)) return true;
    if (value === null || typeof value !== 'object') return false;
    const proto = Object.getPrototypeOf(value);
    return proto === Object.prototype || proto === null;
  }

  // A handler's throw goes to the app's error handler (a 500, as a route handler's does) and releases the claim,
  // whatever status that handler answers (an error carrying 404 is still work not done: completing it would answer
  // the retry "duplicate"); no handler and a router that rejects unhandled events is answered 501 unhandled_event,
  // which releases the claim too.
  function unrouted(error, event, res, next) {
    if (error instanceof UnhandledEventError && !res.headersSent) {
      debug('%s', `${unhandledLine(event)}: refused 501 unhandled_event`);
      res.status(501).json({ error: 'unhandled_event' });
    } else {
      res[HANDLER_FAILED] = true;
      next(error);
    }
  }

  // With a store: claim the key, then run the handler (next, or the router), or answer for the store.
  function once(event, req, res, next) {
    claimEvent(dedupe, event.idempotencyKey).then(({ claim, answer, error }) => {
      if (answer) {
        if (error && !report(error, req, next)) return;
        res.status(answer.status).set(answer.headers).json(answer.body);
        return;
      }
      if (!res.socket || res.socket.destroyed) {
        settle(dedupe, claim, 'release'); // the client left while the key was being claimed: nobody gets an answer
        return;
      }
      // Settled when the handler (or the app's error handler) answers: complete, or release for a 5xx (the provider
      // retries it). Not on a connection that closes first: the handler still runs (a provider that gave up at its
      // deadline does not stop it), and releasing would let the retry process the event a second time meanwhile; if
      // no answer ever comes, the lease runs out.
      const end = res.end;
      res.end = function endAndSettle(...args) {
        res.end = end;
        settle(dedupe, claim, res.statusCode < 500 && !res[HANDLER_FAILED] ? 'complete' : 'release');
        return end.apply(this, args);
      };
      proceed(event, req, res, next);
    }).catch((error) => next(error));
  }

  function verified(body, req, res, next) {
    let event;
    try {
      event = verifier.verify(body, wireHeaders(req.rawHeaders));
    } catch (error) {
      if (error instanceof VerificationError) {
        refuse(error, req, res, next);
      } else {
        next(error);
      }
      return;
    }
    req.webhook = event;
    // The body is read: later body parsers (body-parser 1 checks `_body`, 2 checks the finished stream) skip it.
    req._body = true;
    req.body = event.data;
    if (dedupe) once(event, req, res, next);
    else proceed(event, req, res, next);
  }

  return function hooksealWebhook(req, res, next) {
    const kept = consumedBody(req);
    if (kept !== undefined) {
      if (kept === null) {
        next(new Error(req.readableDidRead && !isConsumed(req) ? PARTLY_READ_MESSAGE : CONSUMED_MESSAGE));
      } else {
        verified(kept, req, res, next);
      }
      return;
    }
    if (req.destroyed) {
      next(aborted()); // the client went away (or the stream was torn down) before anyone read the body
      return;
    }
    const limit = verifier.maxBodyBytes;
    const declared = req.headers['content-length'];
    if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limit) {
      refuse(tooLarge(limit), req, res, next);
      return;
    }
    readBody(req, limit, (error, body) => {
      if (error) {
        if (error instanceof VerificationError) refuse(error, req, res, next);
        else next(error);
      } else {
        verified(body, req, res, next);
      }
    });
  };
}

/**
 * If another middleware has read (or started reading) the body: the raw bytes it kept, or null if it kept none.
 * Undefined if the stream is untouched and this middleware can read it.
 */
function consumedBody(req) {
  if (Buffer.isBuffer(req.rawBody)) return req.rawBody; // express.json({ verify: keepRawBody })
  if (!isConsumed(req) && !req.readableDidRead) return undefined;
  // An app-wide express.raw(): body-parser 1 (Express 4) marks `_body`; body-parser 2 (Express 5) leaves the
  // Buffer in req.body and a finished stream. Either way the Buffer is the body (inflated if it was compressed).
  if (Buffer.isBuffer(req.body) && (req._body === true || isConsumed(req))) return req.body;
  return null;
}

function isConsumed(req) {
  return (
    req._body === true || // body-parser 1 (Express 4), or this middleware on an earlier route
    req.readableEnded === true || // 'end' was emitted: someone read the stream to the end
    (req.complete === true && req.readable === false) // the whole message came and the stream is done with
  );
}

/** Reads the stream to its end, refusing as soon as it passes `limit` bytes (a body of exactly `limit` passes). */
function readBody(req, limit, done) {
  const chunks = [];
  let size = 0;
  let settled = false;
  const finish = (error, body) => {
    if (settled) return;
    settled = true;
    req.removeListener('data', onData);
    req.removeListener('end', onEnd);
    req.removeListener('error', onError);
    req.removeListener('close', onClose);
    done(error, body);
  };
  const onData = (chunk) => {
    size += chunk.length;
    if (size > limit) {
      chunks.length = 0; // stop buffering; the answer closes the connection
      req.pause();
      finish(tooLarge(limit));
      return;
    }
    chunks.push(chunk);
  };
  const onEnd = () => finish(null, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
  const onError = (error) => finish(error);
  // 'close' before 'end': the client went away mid-body. Nobody will read the answer; never verify a fragment.
  const onClose = () => finish(aborted());
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
  req.on('close', onClose);
  req.resume(); // in case an earlier middleware paused the stream without reading it
}

function aborted() {
  const error = new Error('hookseal/express: the request was aborted before its body was complete');
  error.code = 'ECONNABORTED';
  error.status = error.statusCode = 400; // what Express's final handler answers (to nobody, usually)
  error.expose = true;
  return error;
}


/** `req.rawHeaders` as `[name, value]` pairs (repeated headers kept apart, as sent), values as sent (wire.js). */
function wireHeaders(rawHeaders) {
  const pairs = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([rawHeaders[i], wireValue(rawHeaders[i + 1])]);
  return pairs;
}

module.exports = { webhook, keepRawBody, errorBody };
