'use strict';
// Fastify (5): verify a webhook before the route handler runs.
//
//     const { Router, Store, Verifier } = require('hookseal');
//     const { webhook } = require('hookseal/fastify');
//
//     const elmed = new Verifier('elmed', { secret: process.env.ELMED_WEBHOOK_SECRET });
//     app.register(webhook, { verifier: elmed, path: '/webhooks/elmed', store, router });   // or handler: ...
//
// The plugin is encapsulated (Fastify's default for a plugin): in its own context it replaces every content-type
// parser with one that keeps the raw bytes (at most `verifier.maxBodyBytes`, refusing as soon as a body passes it),
// registers `POST <path>` (under the register's `prefix`, if any) and verifies each delivery before the handler runs.
// The app's JSON parser, and every route outside the plugin, are untouched. The handler gets `request.webhook` (the
// event) and `request.body` (the event's data). A refused delivery never reaches it: it gets `{"error": "<code>"}`
// with 401 (not genuine: signature or key), 413 (`payload_too_large`, with `Connection: close`) or 400 (anything else
// refused). Each refusal is logged, one line, worded as every hookseal helper words it (`refused a delivery from
// elmed (POST /webhooks/elmed): signature_mismatch: ...`, never a secret or the body): on the request's logger
// (`request.log`, info; a store outage warn, and on console.warn when the Fastify logger is off and there is no
// onError) and under NODE_DEBUG=hookseal, as hookseal/express logs it. `options.onError(error, request)` hears of
// each one before the answer (to count or alert).
//
// Routes of your own, several per scope or with other route options: keep raw bodies in a scope of yours with the
// `rawBody` plugin and spread `webhookRoute(verifier, options)` into each route's options:
//
//     app.register(async (scope) => {
//       scope.register(rawBody, { verifier: elmed });
//       scope.post('/webhooks/elmed', webhookRoute(elmed, { store }), async (request) => ...);
//     });
//
// The signature covers the exact bytes sent, so no parser may have run first. A `webhookRoute()` on a route where
// Fastify's own JSON (or text) parser parsed the body (a route outside the plugin, or a scope without `rawBody`)
// throws an Error saying so, answered 500 by Fastify: never a 401 from a re-serialised body.
//
// Exactly once (docs/exactly-once.md): with `{ store }` the event's idempotency key is claimed (in
// `options.namespace`, default the preset's name) before the handler runs. A duplicate is answered 200 `{"status":
// "duplicate", "idempotency_key": ...}`, a copy another worker holds 503 `{"error": "in_progress"}` with
// Retry-After, an unreachable store 503 `{"error": "store_unavailable"}` with `Retry-After: 5`; none reaches the
// handler. The claim is settled in the route's onSend hook, before the answer goes out: completed below 500,
// released at 500 and above (a handler that threw: Fastify's error handler answers 500), so the provider's retry is
// processed. A client that leaves before the answer releases nothing (the handler is still running); if no answer
// ever comes, the lease runs out.
//
// A Router (docs/api.md, "The router") in `options.router` is the route handler: the event's one handler runs with
// (event, request, reply) and answers as a Fastify handler does: what it returns (or its Promise resolves to) is the
// answer, `reply` when it answered with `reply.send()` itself (Fastify's "return reply"); nothing: 200
// `{"status": "processed", "event_type": ..., "idempotency_key": ...}`. An event no pattern matches: 200 `{"status":
// "unhandled", ...}` (completed) with `unhandled: 'accept'`, 501 `{"error": "unhandled_event"}` (released) with
// `'reject'`. A router bound to another provider than the verifier's is a ConfigError when the plugin is registered
// (app.ready() / listen() reject), as is any bad option.
//
// Fastify is not required here: these are plain plugin functions and hooks, so `require('hookseal/fastify')` works
// wherever the package is installed, with or without Fastify (a peer dependency).

const { UnhandledEventError, VerificationError } = require('./index.js');
const { debug, unhandledLine } = require('./log.js');
const { claimEvent, dedupeOptions, processedBody, routerOption, settle } = require('./once.js');
const { tooLarge, wireValue } = require('./wire.js');

const CONSUMED_MESSAGE =
  "hookseal/fastify: the request body was already parsed by a content-type parser (Fastify's JSON or text parser: " +
  'the route is outside the hookseal plugin, in a context that does not keep raw bodies), so the raw bytes the ' +
  "signature covers are gone. Register the route with the plugin (app.register(webhook, { verifier, path, ... })), " +
  'or declare it in a scope of its own that registers the rawBody plugin first ' +
  '(app.register(async (scope) => { scope.register(rawBody, { verifier }); scope.post(path, webhookRoute(verifier), handler); })).';

// Set by the raw-body parser when a body passes the limit (declared or streamed): refused by the hook, answered as
// every refusal is (logged, onError, {"error": "payload_too_large"}), not through Fastify's error handler.
const TOO_LARGE = Symbol('hookseal.tooLarge');
const kClaim = Symbol('hookseal.claim');
const SKIP_OVERRIDE = Symbol.for('skip-override'); // what fastify-plugin sets: the plugin runs in the caller's scope
const OPTIONS = ['verifier', 'path', 'router', 'handler', 'store', 'namespace', 'onError'];

function describe(value) {
  if (value === null) return 'null';
  return typeof value === 'object' ? (value.constructor && value.constructor.name) || 'an object' : typeof value;
}

function checkVerifier(verifier, who) {
  if (!verifier || typeof verifier.verify !== 'function' || typeof verifier.maxBodyBytes !== 'number') {
    throw new TypeError(`${who} needs a hookseal Verifier (options.verifier), not ${describe(verifier)}`);
  }
}

/** `refused a delivery from elmed (POST /webhooks/elmed): <code>: <why>`: the path without its query string. */
function refusalLine(provider, request, error) {
  const url = request.url || '';
  const query = url.indexOf('?');
  return `refused a delivery from ${provider} (${request.method} ${query === -1 ? url : url.slice(0, query)}): ${error.message}`;
}

/** The answer to a refused delivery: only the code (the detail is for logs). */
function errorBody(error) {
  return { error: error.code };
}

/** The raw-body content-type parser: a Buffer of at most `limit` bytes, or TOO_LARGE (the rest left unread). */
function rawParser(limit) {
  return function hooksealRawBody(request, payload, done) {
    const declared = request.headers['content-length'];
    if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limit) {
      done(null, TOO_LARGE); // not read at all: the answer closes the connection
      return;
    }
    const chunks = [];
    let size = 0;
    let settled = false;
    const finish = (error, body) => {
      if (settled) return;
      settled = true;
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onError);
      payload.removeListener('close', onClose);
      done(error, body);
    };
    const onData = (chunk) => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0; // stop buffering; the answer closes the connection
        payload.pause();
        finish(null, TOO_LARGE);
        return;
      }
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    };
    const onEnd = () => finish(null, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    const onError = (error) => {
      if (!(typeof error.statusCode === 'number' && error.statusCode >= 400)) error.statusCode = 400; // an abort
      finish(error);
    };
    // 'close' before 'end': the client went away mid-body. Nobody will read the answer; never verify a fragment.
    const onClose = () => onError(aborted());
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
    payload.on('close', onClose);
    payload.resume();
  };
}

function aborted() {
  const error = new Error('hookseal/fastify: the request was aborted before its body was complete');
  error.code = 'ECONNABORTED';
  error.statusCode = 400; // what Fastify's error handler answers (to nobody, usually)
  return error;
}

// The scope keeps raw bodies: every content type (and none) goes to the raw parser; request.webhook is declared.
function keepRawBodies(scope, limit) {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', rawParser(limit));
  if (!scope.hasRequestDecorator('webhook')) scope.decorateRequest('webhook', null);
}

/**
 * A plugin that keeps the raw body (at most `options.verifier.maxBodyBytes`, or `options.bodyLimit`) for every route
 * of the scope that registers it, in place of Fastify's JSON and text parsers: for routes of your own with
 * `webhookRoute()`. It runs in the caller's scope (as if wrapped by fastify-plugin), so register it inside a scope of
 * its own: registered on the root instance, no route of the app would parse JSON any more.
 */
function rawBody(scope, options, done) {
  try {
    const given = options || {};
    let limit = given.bodyLimit;
    if (limit === undefined || limit === null) {
      checkVerifier(given.verifier, 'rawBody');
      limit = given.verifier.maxBodyBytes;
    } else if (!Number.isInteger(limit) || limit < 0) {
      throw new TypeError(`rawBody: options.bodyLimit must be a non-negative integer, not ${describe(limit)}`);
    }
    keepRawBodies(scope, limit);
  } catch (error) {
    done(error);
    return;
  }
  done();
}
rawBody[SKIP_OVERRIDE] = true;
rawBody[Symbol.for('fastify.display-name')] = 'hookseal-raw-body';

/**
 * Route options for a webhook route in a scope that keeps raw bodies (the plugin's, or one with `rawBody`):
 * `{ bodyLimit, preValidation, onSend }`, to spread into the route's options. preValidation verifies the raw body
 * and sets `request.webhook` and `request.body` (the event's data, which a body schema then validates); with a
 * store it claims the key, and onSend settles it. `options`: `store`, `namespace`, `onError`.
 */
function webhookRoute(verifier, options) {
  checkVerifier(verifier, 'webhookRoute(verifier, options)');
  if (options !== undefined && options !== null && typeof options !== 'object') {
    throw new TypeError('webhookRoute(verifier, options): options must be an object');
  }
  const onError = options ? options.onError : undefined;
  if (onError !== undefined && onError !== null && typeof onError !== 'function') {
    throw new TypeError('webhookRoute(verifier, options): options.onError must be a function');
  }
  const dedupe = dedupeOptions(verifier, options, 'webhookRoute(verifier, options)');

  // One line per refusal (never a secret, never the body), then onError (if it throws, that is the answer: a 500).
  function report(error, request) {
    const line = refusalLine(verifier.provider, request, error);
    debug(line);
    const log = request.log;
    if (error.code === 'store_unavailable') {
      log.warn(line);
      const heard = typeof log.isLevelEnabled === 'function' && log.isLevelEnabled('warn');
      if (!heard && !onError) console.warn(`hookseal: ${line}`); // an outage shows somewhere
    } else {
      log.info(line);
    }
    if (onError) onError(error, request);
  }

  function refuse(error, request, reply) {
    report(error, request);
    if (error.code === 'payload_too_large') {
      // The rest of the body is still on the wire: do not read it (Node would, to reuse the connection); close.
      reply.header('connection', 'close');
      reply.raw.once('finish', () => request.raw.destroy());
    }
    return reply.code(error.httpStatus).send(errorBody(error));
  }

  function bodyOf(request) {
    const body = request.body;
    if (Buffer.isBuffer(body)) return body;
    if (body === undefined) {
      // Fastify parses nothing for a request without a body (no Content-Length, or 0, and not chunked).
      const length = request.headers['content-length'];
      if (request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) {
        return Buffer.alloc(0);
      }
    }
    throw new Error(CONSUMED_MESSAGE);
  }

  async function preValidation(request, reply) {
    if (request.body === TOO_LARGE) return refuse(tooLarge(verifier.maxBodyBytes), request, reply);
    const body = bodyOf(request);
    let event;
    try {
      event = verifier.verify(body, wireHeaders(request.raw.rawHeaders));
    } catch (error) {
      if (error instanceof VerificationError) return refuse(error, request, reply);
      throw error;
    }
    request.webhook = event;
    request.body = event.data;
    if (!dedupe) return undefined;
    const { claim, answer, error } = await claimEvent(dedupe, event.idempotencyKey);
    if (answer) {
      if (error) report(error, request);
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    }
    // (The socket, not the request: a request whose body was read to its end is destroyed, as Node's streams are.)
    const socket = request.raw.socket;
    if (socket && socket.destroyed) {
      // The client left while the key was being claimed: nobody gets an answer, and the retry must be processed.
      await settle(dedupe, claim, 'release');
      return reply.hijack(); // ends Fastify's handling of the request without writing to a closed socket
    }
    request[kClaim] = claim;
    return undefined;
  }

  // Settled before the answer is written, so that a retry right after it finds the key done.
  async function onSend(request, reply, payload) {
    const claim = request[kClaim];
    if (claim) {
      request[kClaim] = null;
      await settle(dedupe, claim, reply.statusCode < 500 ? 'complete' : 'release');
    }
    return payload;
  }

  const route = { bodyLimit: verifier.maxBodyBytes, preValidation };
  if (dedupe) route.onSend = onSend;
  return route;
}

/** A Fastify handler answering with a router's one handler for `request.webhook`. */
function routedHandler(router) {
  return async function hooksealRouted(request, reply) {
    const event = request.webhook;
    const handled = router.match(event.eventType) !== null;
    let result;
    try {
      result = await router.dispatch(event, request, reply);
    } catch (error) {
      if (!(error instanceof UnhandledEventError) || reply.sent) throw error;
      debug(`${unhandledLine(event)}: refused 501 unhandled_event`);
      return reply.code(501).send({ error: 'unhandled_event' });
    }
    if (!handled) return result; // unhandled, accepted: the router's answer
    if (result === reply || reply.sent) return reply;
    if (result === undefined) return processedBody(event);
    return result;
  };
}

/**
 * The plugin: `app.register(webhook, { verifier, path, router | handler, store, namespace, onError })` registers
 * `POST <path>` (default '/', under the register's prefix) in its own encapsulation context, where bodies are kept
 * raw, and verifies each delivery before the router or the handler (a Fastify handler: `request.webhook`) runs.
 */
function webhook(scope, options, done) {
  try {
    const given = options || {};
    checkVerifier(given.verifier, 'app.register(webhook, options)');
    for (const name of Object.keys(given)) {
      // Fastify's own register options (prefix, logLevel...) ride along with ours.
      if (!OPTIONS.includes(name) && !['prefix', 'logLevel', 'logSerializers'].includes(name)) {
        throw new TypeError(`app.register(webhook, options): unknown option ${JSON.stringify(name)} (known: ${OPTIONS.join(', ')})`);
      }
    }
    const { verifier, path = '/', handler } = given;
    if (typeof path !== 'string') throw new TypeError(`app.register(webhook, options): path must be a string, not ${describe(path)}`);
    const router = routerOption(verifier, given.router, 'app.register(webhook, options)');
    if ((router === null) === (handler === undefined || handler === null)) {
      throw new TypeError('app.register(webhook, options): give options.router (a hookseal Router) or options.handler (a Fastify handler), one of them');
    }
    if (router === null && typeof handler !== 'function') {
      throw new TypeError(`app.register(webhook, options): options.handler must be a function, not ${describe(handler)}`);
    }
    const route = webhookRoute(verifier, given);
    keepRawBodies(scope, verifier.maxBodyBytes);
    scope.post(path, route, router === null ? handler : routedHandler(router));
  } catch (error) {
    done(error);
    return;
  }
  done();
}
webhook[Symbol.for('fastify.display-name')] = 'hookseal-webhook';

/** `request.raw.rawHeaders` as `[name, value]` pairs (repeated headers kept apart), values as sent (wire.js). */
function wireHeaders(rawHeaders) {
  const pairs = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([rawHeaders[i], wireValue(rawHeaders[i + 1])]);
  return pairs;
}

module.exports = { webhook, webhookRoute, rawBody, errorBody, refusalLine };
