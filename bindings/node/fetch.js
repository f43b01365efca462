'use strict';
// The WHATWG fetch API (Next.js route handlers, Hono, Cloudflare-style workers, Deno, Bun): verify a `Request`.
//
//     const { Verifier, VerificationError } = require('hookseal');
//     const { verifyRequest, errorResponse } = require('hookseal/fetch');
//
//     const elmed = new Verifier('elmed', { secret: process.env.ELMED_WEBHOOK_SECRET });
//     export async function POST(request) {
//       let event;
//       try {
//         event = await verifyRequest(elmed, request);
//       } catch (error) {
//         if (error instanceof VerificationError) return errorResponse(error);
//         throw error;
//       }
//       ...
//     }
//
// `verifyRequest` reads the raw body itself (at most `verifier.maxBodyBytes`, refusing as soon as it passes), so
// call it before anything else reads the body (`request.json()`, `request.text()`): the signature covers the bytes.
//
// Or let `webhookHandler` do all of it, exactly once (docs/exactly-once.md):
//
//     const store = new Store('sqlite:///var/lib/app/hookseal.db');   // or an object with async claim/complete/release
//     export const POST = webhookHandler(elmed, async (event, request) => {
//       ...                                                           // runs once per event
//       return Response.json({ status: 'processed' });
//     }, { store });
//
// A refused delivery is answered as `errorResponse` does; a duplicate 200 `{"status": "duplicate",
// "idempotency_key": ...}`; a copy another worker is processing 503 `{"error": "in_progress"}` with Retry-After; a
// store that cannot be reached 503 `{"error": "store_unavailable"}` with `Retry-After: 5`. The handler's key is
// completed when it returns a Response below 500, and released when it throws (the error propagates) or answers 500
// and above, so that the provider's retry is processed.
//
// A Router (docs/api.md, "The router") may take the handler's place: `webhookHandler(elmed, router, { store })`. The
// event's one handler runs with (event, request, ...rest); what it returns (or its Promise resolves to) is the answer:
// a Response as is; undefined (nothing) 200 `{"status": "processed", "event_type": ..., "idempotency_key": ...}`
// (event_type null for a body without a type); any other value as JSON, 200 (`Response.json(value)`: a plain
// object, an array...; one JSON cannot encode, a BigInt or a cycle, rejects, which releases the claim). A handler
// that is not a router's is answered with what it returns, as before. An event no pattern matches is
// answered 200 `{"status": "unhandled", "event_type": ..., "idempotency_key": ...}` (completed) by a router with
// `unhandled: 'accept'`, 501 `{"error": "unhandled_event"}` (released: the provider retries) by one with
// `unhandled: 'reject'`. A router bound to another provider than the verifier's is a ConfigError at once.

const { Router, UnhandledEventError, VerificationError } = require('./index.js');
const { debug, unhandledLine } = require('./log.js');
const { claimEvent, dedupeOptions, processedBody, routerOption, settle } = require('./once.js');
const { isResponse, tooLarge, wireValue } = require('./wire.js');

/** Reads `request`'s body (at most `verifier.maxBodyBytes`), verifies it and returns the event. */
async function verifyRequest(verifier, request) {
  if (!verifier || typeof verifier.verify !== 'function' || typeof verifier.maxBodyBytes !== 'number') {
    throw new TypeError('verifyRequest(verifier, request) needs a hookseal Verifier');
  }
  if (!request || typeof request !== 'object' || !request.headers || !('bodyUsed' in request)) {
    throw new TypeError('verifyRequest(verifier, request) needs a WHATWG Request');
  }
  if (request.bodyUsed) {
    throw new TypeError(
      'hookseal/fetch: the request body was already read (request.json(), .text(), .arrayBuffer() or a reader), so ' +
        'the raw bytes the signature covers are gone. Call verifyRequest() before anything reads the body, and use ' +
        "the event's data instead of request.json(); to read the body yourself as well, verify request.clone().",
    );
  }
  const limit = verifier.maxBodyBytes;
  const declared = request.headers.get('content-length');
  // The rest of an oversize body is left unread rather than cancelled: a Node adapter that wraps an IncomingMessage
  // (Readable.toWeb) destroys the socket on cancel, before the 413 could be sent; the server discards or closes.
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) throw tooLarge(limit);
  const body = await readBody(request.body, limit);
  return verifier.verify(body, wireHeaders(request.headers));
}

async function readBody(stream, limit) {
  if (stream === null || stream === undefined) return new Uint8Array(0); // GET, HEAD, or no body at all
  const reader = stream.getReader();
  const chunks = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        chunks.length = 0; // stop buffering; the rest is never read (not cancelled: see above)
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0];
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}


/** A `Headers` as `[name, value]` pairs, values as sent (wire.js). */
function wireHeaders(headers) {
  const pairs = [];
  headers.forEach((value, name) => pairs.push([name, wireValue(value)]));
  return pairs;
}

/**
 * The log line for a refused delivery, worded as every hookseal helper words it (the path without its query, never a
 * secret or the body): `refused a delivery from elmed (POST /webhooks/elmed): signature_mismatch: ...`.
 */
function refusalLine(provider, request, error) {
  let path = '';
  try {
    path = new URL(request.url).pathname;
  } catch {
    path = String(request.url).split('?')[0];
  }
  return `refused a delivery from ${provider} (${request.method} ${path}): ${error.message}`;
}

/** The answer to a refused delivery: `{"error": code}` with the code's HTTP status. */
function errorResponse(error) {
  return new Response(JSON.stringify({ error: error.code }), {
    status: error.httpStatus,
    headers: { 'content-type': 'application/json' },
  });
}

function jsonResponse(status, body, headers) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/**
 * The router's one handler for the event, what it returns answered (a Response as is, nothing the processed answer,
 * a value as JSON); no handler: 200 with the router's answer (`accept`), or 501 unhandled_event (`reject`, logged
 * under NODE_DEBUG=hookseal).
 */
async function routed(router, event, request, rest) {
  const handled = router.match(event.eventType) !== null;
  let result;
  try {
    result = await router.dispatch(event, request, ...rest);
  } catch (error) {
    if (!(error instanceof UnhandledEventError)) throw error;
    debug(`${unhandledLine(event)}: refused 501 unhandled_event`);
    return jsonResponse(501, { error: 'unhandled_event' });
  }
  if (!handled) return jsonResponse(200, result);
  if (result === undefined) return jsonResponse(200, processedBody(event));
  if (isResponse(result)) return result;
  const text = JSON.stringify(result);
  if (text === undefined) {
    throw new TypeError(`hookseal/fetch: a router's handler returned ${typeof result}, which is neither a Response nor JSON`);
  }
  return new Response(text, { status: 200, headers: { 'content-type': 'application/json' } });
}

/**
 * A fetch handler, `async (request, ...rest) => Response`: verifies the request, then calls `handler(event, request,
 * ...rest)` (with `options.store`: exactly once per idempotency key, in `options.namespace`, by default the preset's
 * name) and returns its Response; `handler` may be a Router (the event's one handler is called, and what it returns
 * answered as above: a Response, nothing, or JSON). A refused delivery
 * never reaches the handler; `options.onError(error, request)` is called with it (a VerificationError, or a
 * StoreError) before the answer.
 */
function webhookHandler(verifier, handler, options) {
  if (!verifier || typeof verifier.verify !== 'function' || typeof verifier.maxBodyBytes !== 'number') {
    throw new TypeError('webhookHandler(verifier, handler, options) needs a hookseal Verifier');
  }
  const router = handler instanceof Router ? handler : null;
  if (router === null && typeof handler !== 'function') {
    throw new TypeError('webhookHandler(verifier, handler, options): handler must be a function or a hookseal Router');
  }
  if (options !== undefined && options !== null && typeof options !== 'object') {
    throw new TypeError('webhookHandler(verifier, handler, options): options must be an object');
  }
  const onError = options ? options.onError : undefined;
  if (onError !== undefined && onError !== null && typeof onError !== 'function') {
    throw new TypeError('webhookHandler(verifier, handler, options): options.onError must be a function');
  }
  const dedupe = dedupeOptions(verifier, options, 'webhookHandler(verifier, handler, options)');
  routerOption(verifier, router, 'webhookHandler(verifier, router, options)');
  const run = router === null ? (event, request, rest) => handler(event, request, ...rest)
    : (event, request, rest) => routed(router, event, request, rest);

  // A refusal or a store outage, before it is answered: to onError (if it throws, that propagates), else an outage
  // to the console (it must show somewhere; a refusal is the sender's business), worded as every helper logs it.
  function report(error, request) {
    if (onError) onError(error, request);
    else if (error.code === 'store_unavailable') console.warn(`hookseal: ${refusalLine(verifier.provider, request, error)}`);
  }

  return async function hooksealWebhookHandler(request, ...rest) {
    let event;
    try {
      event = await verifyRequest(verifier, request);
    } catch (error) {
      if (!(error instanceof VerificationError)) throw error;
      report(error, request);
      return errorResponse(error);
    }
    if (!dedupe) return run(event, request, rest);
    const { claim, answer, error } = await claimEvent(dedupe, event.idempotencyKey);
    if (answer) {
      if (error) report(error, request);
      return jsonResponse(answer.status, answer.body, answer.headers);
    }
    let response;
    try {
      response = await run(event, request, rest);
    } catch (thrown) {
      await settle(dedupe, claim, 'release');
      throw thrown;
    }
    const failed = response !== null && typeof response === 'object' && response.status >= 500;
    await settle(dedupe, claim, failed ? 'release' : 'complete');
    return response;
  };
}

module.exports = { verifyRequest, errorResponse, webhookHandler, refusalLine };
