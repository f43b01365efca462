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
// `webhookRoute()` gives the route its own hooks, as arrays (preParsing, preValidation, preHandler, onSend, onError,
// onResponse): a hook of yours of the same kind replaces hookseal's (`{ ...route, preValidation: mine }` verifies
// nothing and is refused with an Error at the first delivery), so merge instead: `preValidation:
// [...route.preValidation, mine]`, `preHandler: [mine, ...route.preHandler]` (hookseal's preHandler, which claims the
// key, stays the last one: the handler runs right after it). In a rawBody scope the route reads any Content-Type, even
// one Fastify refuses as malformed (`""`, `json`): the header is set aside while the body is read (verification reads
// the headers as sent) and put back for the hooks and the handler (it is set aside in the route's preParsing, the last
// step before the parser; if a preParsing hook after hookseal's answers or throws, it is put back in onSend, onError
// and onResponse, so the error handler and the response log see it). A route of that scope without `webhookRoute()`
// gets the raw Buffer as its body, and a body over the limit is a 413 error (code FST_ERR_CTP_BODY_TOO_LARGE, as
// Fastify's own parsers raise it) for the app's error handler.
//
// The signature covers the exact bytes sent, so no parser may have run first. A `webhookRoute()` on a route where
// Fastify's own JSON (or text) parser parsed the body (a route outside the plugin, or a scope without `rawBody`)
// throws an Error saying so, answered 500 by Fastify: never a 401 from a re-serialised body.
//
// Exactly once (docs/exactly-once.md): with `{ store }` the event's idempotency key is claimed (in
// `options.namespace`, default the preset's name) before the handler runs. A duplicate is answered 200 `{"status":
// "duplicate", "idempotency_key": ...}`, a copy another worker holds 503 `{"error": "in_progress"}` with
// Retry-After, an unreachable store 503 `{"error": "store_unavailable"}` with `Retry-After: 5`; none reaches the
// handler. The key is claimed in the route's own preHandler, after the body schema's validation and the scope's
// preHandler hooks, so that a delivery they refuse (Fastify's 400 for a body the schema rejects, an auth hook's 403)
// claims nothing and its retry is processed. The claim is settled in the route's onSend hook, before the answer goes
// out: completed below 500 if the handler ran and did not throw, released otherwise (a hook after hookseal's
// preHandler that answered or threw instead of the handler, a handler that threw, an answer at 500 and above), so the
// provider's retry is processed. How it knows the handler ran: Fastify's tracing channel
// (`tracing:fastify.request.handler:*`; the plugin's own handler is also marked directly). A client that leaves
// before the answer releases nothing (the handler is still running, as with hookseal/express): an async handler that
// then resolves without an answer (Fastify sends nothing to a closed socket, so no onSend) completes it when it
// resolves; one that never answers leaves it to the lease. `reply.hijack()` (or writing to `reply.raw`) bypasses
// onSend: the claim is then settled when the raw response finishes (below 500: completed) or closes unfinished
// (released), after the answer went out.
//
// A Router (docs/api.md, "The router") in `options.router` is the route handler: the event's one handler runs with
// (event, request, reply) and answers as a Fastify handler does: what its Promise resolves to is the answer, `reply`
// when it answered with `reply.send()` itself (Fastify's "return reply"), nothing: 200 `{"status": "processed",
// "event_type": ..., "idempotency_key": ...}`. A synchronous handler's value is the answer only when it is plain data
// (an object literal, an array), as hookseal/express has it: one that returns nothing (or a Timeout...) answers for
// itself, with `reply.send()` later, and the claim is settled by that answer. An event no pattern matches: 200 `{"status":
// "unhandled", ...}` (completed) with `unhandled: 'accept'`, 501 `{"error": "unhandled_event"}` (released) with
// `'reject'`. A router bound to another provider than the verifier's is a ConfigError when the plugin is registered
// (app.ready() / listen() reject), as is any bad option.
//
// Fastify is not required here: these are plain plugin functions and hooks, so `require('hookseal/fastify')` works
// wherever the package is installed, with or without Fastify (a peer dependency).

const diagnostics = require('node:diagnostics_channel');

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

const REPLACED_MESSAGE =
  "hookseal/fastify: the route's preValidation hook did not verify the delivery: a preValidation of the route's own " +
  "options replaced webhookRoute()'s ({ ...webhookRoute(verifier), preValidation: mine }). Merge the hooks instead: " +
  'preValidation: [...route.preValidation, mine].';

// Set by the raw-body parser when a body passes the limit (declared or streamed): refused by the hook, answered as
// every refusal is (logged, onError, {"error": "payload_too_large"}), not through Fastify's error handler.
const TOO_LARGE = Symbol('hookseal.tooLarge');
const kClaim = Symbol('hookseal.claim');
const kRan = Symbol('hookseal.handlerRan'); // the route's handler started: only then may its answer complete a claim
const kEvent = Symbol('hookseal.event'); // set by webhookRoute()'s preValidation
const kRoute = Symbol('hookseal.route'); // set by webhookRoute()'s preParsing: the raw parser refuses for the route
const kContentType = Symbol('hookseal.contentType'); // the header set aside while the body is read
const kKeepsRaw = Symbol('hookseal.keepsRawBodies'); // on a scope whose parser is hookseal's
// Fastify's tracing channel for handlers (its documented diagnostics channel): how webhookRoute() knows that the
// handler of a route of the app's own ran, without wrapping it (see hearHandlerStarts).
const HANDLER = 'tracing:fastify.request.handler';
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

/**
 * The raw-body content-type parser: a Buffer of at most `limit` bytes, or TOO_LARGE (the rest left unread) for a
 * webhookRoute() to refuse; on a route of the scope without it, an oversize body is a 413 error, as Fastify's own.
 */
function rawParser(limit) {
  return function hooksealRawBody(request, payload, callback) {
    restoreContentType(request);
    const done = (error, body) => {
      if (body === TOO_LARGE && request[kRoute] !== true) callback(bodyTooLarge(limit));
      else callback(error, body);
    };
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

/** What Fastify's own parsers raise for a body over the route's bodyLimit (answered by the app's error handler). */
function bodyTooLarge(limit) {
  const error = new Error(`Request body is too large (over ${limit} bytes)`);
  error.code = 'FST_ERR_CTP_BODY_TOO_LARGE';
  error.statusCode = 413;
  error.headers = { connection: 'close' }; // the rest is left unread: close rather than drain it
  return error;
}

/** Puts back the Content-Type that webhookRoute()'s preParsing set aside (idempotent: the parser, then any later hook). */
function restoreContentType(request) {
  const type = request[kContentType];
  if (type !== undefined) {
    request[kContentType] = undefined;
    request.raw.headers['content-type'] = type;
  }
}

let hearingHandlers = false;
// Fastify's tracing channel (`tracing:fastify.request.handler:*`, documented): `start` is published just before the
// handler is called, but also when a preHandler failed (handle-request.js publishes `start`, then `error`, and calls
// no handler): so `error` undoes the mark (a handler that threw releases too, as hookseal/hono's does). `asyncEnd`:
// an async handler resolved; Fastify sends nothing for `undefined` on a socket the client has closed, so no onSend
// ever runs: the handler did the work, so the claim is settled here as its answer would have settled it.
// (Not an onRoute hook wrapping each handler: Fastify runs onRoute hooks inside scope.post(), before the rawBody
// plugin queued just above it in the same scope has loaded, so the routes it serves would never be wrapped.)
function hearHandlerStarts() {
  if (hearingHandlers) return;
  hearingHandlers = true;
  diagnostics.subscribe(`${HANDLER}:start`, (message) => {
    const request = message && message.request;
    if (request && request[kClaim]) request[kRan] = true;
  });
  diagnostics.subscribe(`${HANDLER}:error`, (message) => {
    const request = message && message.request;
    if (request && request[kClaim]) request[kRan] = false;
  });
  diagnostics.subscribe(`${HANDLER}:asyncEnd`, (message) => {
    const request = message && message.request;
    const reply = message && message.reply;
    const held = request && request[kClaim];
    if (!held || !reply || message.error !== undefined || reply.sent) return;
    const socket = request.raw.socket;
    if (socket && !socket.destroyed && request.raw.aborted !== true) return; // an answer is on its way: onSend settles it
    request[kClaim] = null;
    const { dedupe, claim } = held;
    settle(dedupe, claim, request[kRan] === true && reply.statusCode < 500 ? 'complete' : 'release');
  });
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
  scope[kKeepsRaw] = true;
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
 * `{ bodyLimit, preParsing, preValidation, preHandler, onSend, onError, onResponse }` (the hooks as arrays, to merge
 * with yours), to spread into the route's options. preParsing sets the Content-Type aside while the raw parser reads
 * the body (onSend, onError and onResponse put it back if no parser ran); preValidation verifies the raw body and sets
 * `request.webhook` and `request.body` (the event's data, which a body schema then validates); with a store, preHandler
 * (after the schema and the scope's preHandlers) claims the key and onSend settles it (or the raw response, after
 * reply.hijack()). `options`: `store`, `namespace`, `onError`.
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

  // Fastify refuses a Content-Type it cannot parse (`""`, `json`, `a/b , c/d`) with 415 before any parser; the raw
  // parser reads every type, so the header is set aside until it has run (verification reads rawHeaders, as sent).
  // In preParsing, the last step before the parser: the onRequest hooks (and the scope's preParsing) see it as sent.
  async function preParsing(request, reply, payload) {
    request[kRoute] = true;
    const headers = request.raw.headers;
    if (this && this[kKeepsRaw] === true && headers['content-type'] !== undefined) {
      request[kContentType] = headers['content-type'];
      delete headers['content-type'];
    }
    return payload;
  }

  async function preValidation(request, reply) {
    restoreContentType(request); // a body-less request: no parser ran
    if (request.body === TOO_LARGE) return refuse(tooLarge(verifier.maxBodyBytes), request, reply);
    const body = bodyOf(request);
    let event;
    try {
      event = verifier.verify(body, wireHeaders(request.raw.rawHeaders));
    } catch (error) {
      if (error instanceof VerificationError) return refuse(error, request, reply);
      throw error;
    }
    request[kEvent] = event;
    request.webhook = event;
    request.body = event.data;
    return undefined;
  }

  // The route's own preHandler, after the body schema and the scope's preHandlers (route hooks run after the
  // scope's): a delivery any of them refuses claims nothing. The last preHandler: the handler runs next.
  async function preHandler(request, reply) {
    const event = request[kEvent];
    if (event === undefined) throw new Error(REPLACED_MESSAGE);
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
    const held = { dedupe, claim };
    request[kClaim] = held;
    // An answer that never reaches onSend: reply.hijack() (or reply.raw written to directly) is settled when the raw
    // response finishes (by its status) or closes unfinished (released). Not a close while Fastify still owns the
    // reply (`reply.sent` false): the handler is still running, and its answer (or its end, hearHandlerStarts)
    // settles the claim; if neither ever comes, the lease runs out.
    const raw = reply.raw;
    const settleRaw = () => {
      if (request[kClaim] !== held || !reply.sent) return;
      request[kClaim] = null;
      raw.removeListener('finish', settleRaw);
      raw.removeListener('close', settleRaw);
      const finished = raw.writableFinished === true;
      settle(dedupe, claim, finished && request[kRan] === true && raw.statusCode < 500 ? 'complete' : 'release');
    };
    raw.once('finish', settleRaw);
    raw.once('close', settleRaw);
    return undefined;
  }

  // Settled before the answer is written, so that a retry right after it finds the key done. Completed only if the
  // handler ran (and did not throw): a hook after hookseal's preHandler that answered or threw did not process it.
  async function onSend(request, reply, payload) {
    restoreContentType(request); // a preParsing hook after hookseal's answered (or threw) before the parser ran
    const held = request[kClaim];
    if (held) {
      request[kClaim] = null;
      await settle(held.dedupe, held.claim, request[kRan] === true && reply.statusCode < 500 ? 'complete' : 'release');
    }
    return payload;
  }

  // The Content-Type put back for the error handler (onError runs before it) and the response log, whatever answered.
  function onErrorPutBack(request, reply, error, done) {
    restoreContentType(request);
    done();
  }
  function onResponsePutBack(request, reply, done) {
    restoreContentType(request);
    done();
  }

  const route = {
    bodyLimit: verifier.maxBodyBytes,
    preParsing: [preParsing],
    preValidation: [preValidation],
    preHandler: [preHandler],
    onSend: [onSend],
    onError: [onErrorPutBack],
    onResponse: [onResponsePutBack],
  };
  if (dedupe) hearHandlerStarts();
  return route;
}

/**
 * A Fastify handler answering with a router's one handler for `request.webhook`. As hookseal/express: what a Promise
 * resolves to is the answer (nothing: processed); a synchronous handler's value only when it is plain data, else it
 * answers for itself (`return reply`: Fastify waits for its reply.send()).
 */
function routedHandler(router) {
  return function hooksealRouted(request, reply) {
    const event = request.webhook;
    const handled = router.match(event.eventType) !== null;
    const unrouted = (error) => {
      if (!(error instanceof UnhandledEventError) || reply.sent) throw error;
      debug(`${unhandledLine(event)}: refused 501 unhandled_event`);
      return reply.code(501).send({ error: 'unhandled_event' });
    };
    let result;
    try {
      result = router.dispatch(event, request, reply);
    } catch (error) {
      return unrouted(error);
    }
    if (!handled) return result; // unhandled, accepted: the router's answer
    if (result === reply || reply.sent) return reply;
    if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
      return Promise.resolve(result).then((value) => {
        if (value === reply || reply.sent) return reply;
        return value === undefined ? processedBody(event) : value;
      }, unrouted);
    }
    // A callback-style handler returns nothing (or whatever its call gave: a Timeout, an emitter) and answers later.
    return isPlainData(result) ? result : reply;
  };
}

function isPlainData(value) {
  if (Array.isArray(value)) return true;
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The plugin's handler, marking that it ran (the claim may be completed by its answer). */
function marked(handler) {
  return function hooksealHandler(request, reply) {
    request[kRan] = true;
    return handler.call(this, request, reply);
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
    scope.post(path, route, marked(router === null ? handler : routedHandler(router)));
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
