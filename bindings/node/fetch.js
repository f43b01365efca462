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

const { tooLarge, wireValue } = require('./wire.js');

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

/** The answer to a refused delivery: `{"error": code}` with the code's HTTP status. */
function errorResponse(error) {
  return new Response(JSON.stringify({ error: error.code }), {
    status: error.httpStatus,
    headers: { 'content-type': 'application/json' },
  });
}

module.exports = { verifyRequest, errorResponse };
