'use strict';
// hookseal/fetch: a real node:http server that hands each request over as a WHATWG Request (as Next.js route
// handlers, Hono's node adapter and friends do), answering real HTTP requests.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { createHash, randomUUID } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { Readable } = require('node:stream');

const { Verifier, VerificationError, sign } = require('hookseal');
const { verifyRequest, errorResponse } = require('hookseal/fetch');

const SAMPLES = path.resolve(__dirname, '..', '..', '..', 'tests', 'samples');
const LIMIT = 4096;
const SECRET = 's3cret-for-fetch-tests';
const elmed = new Verifier('elmed', { secret: SECRET, maxBodyBytes: LIMIT });
const baremeds = new Verifier('baremeds', { secret: 'clé-🔑', maxBodyBytes: LIMIT });

const sha256 = (bytes) => 'sha256:' + createHash('sha256').update(bytes).digest('hex');
const elmedBody = () => Buffer.from(JSON.stringify({ event: 'referral.created', data: { nonce: randomUUID() } }, null, 2));
const bodyOfSize = (size) => {
  const base = elmedBody();
  return Buffer.concat([base, Buffer.alloc(size - base.length, 0x20)]);
};

/** IncomingMessage -> Request, the handler, Response -> ServerResponse. */
function toRequest(req) {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  return new Request(`http://${req.headers.host}${req.url}`, {
    method: req.method,
    headers,
    body: hasBody ? Readable.toWeb(req) : undefined,
    duplex: 'half',
  });
}

async function handler(request) {
  const verifier = new URL(request.url).pathname === '/baremeds' ? baremeds : elmed;
  try {
    const event = await verifyRequest(verifier, request);
    return Response.json({ eventType: event.eventType, idempotencyKey: event.idempotencyKey, data: event.data });
  } catch (error) {
    if (error instanceof VerificationError) return errorResponse(error);
    throw error;
  }
}

async function respond(res, response) {
  const headers = Object.fromEntries(response.headers);
  if (response.status === 413) headers.connection = 'close'; // the rest of the body is never read
  res.writeHead(response.status, headers);
  res.end(Buffer.from(await response.arrayBuffer()));
}

/** Sends one request over a fresh connection; see express.test.js for the options. */
function send(port, urlPath, { headers = {}, body, chunked = false, stream, declaredLength, partial }) {
  return new Promise((resolve, reject) => {
    const hdrs = {};
    // Ask for keep-alive (agent: false alone sends Connection: close), so that a server's own close is visible.
    hdrs.Connection = 'keep-alive';
    for (const [name, value] of Object.entries(headers)) hdrs[name] = Buffer.from(value, 'utf8').toString('latin1');
    if (body !== undefined && !chunked) hdrs['Content-Length'] = String(body.length);
    if (declaredLength !== undefined) hdrs['Content-Length'] = String(declaredLength);
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: 'POST', headers: hdrs, agent: false });
    let answered = false;
    let sent = 0;
    let timer;
    req.on('error', (error) => {
      clearInterval(timer);
      if (!answered) reject(error);
    });
    req.on('response', (res) => {
      answered = true;
      clearInterval(timer);
      const sentBeforeAnswer = sent;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        req.destroy();
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode, headers: res.headers, text, json: JSON.parse(text), sent: sentBeforeAnswer });
      });
    });
    if (stream) {
      const chunk = Buffer.alloc(stream.chunk, 0x20);
      timer = setInterval(() => {
        if (answered) return clearInterval(timer);
        if (sent >= stream.maxBytes) {
          clearInterval(timer);
          req.end();
          return;
        }
        sent += chunk.length;
        req.write(chunk);
      }, stream.intervalMs);
    } else if (declaredLength !== undefined) {
      req.flushHeaders();
      if (partial) req.write(partial);
    } else if (chunked) {
      const piece = Math.ceil(body.length / 4);
      (async () => {
        for (let i = 0; i < body.length; i += piece) {
          req.write(body.subarray(i, i + piece));
          await new Promise((r) => setImmediate(r));
        }
        req.end();
      })();
    } else {
      req.end(body);
    }
  });
}

describe('hookseal/fetch behind a real node:http server', () => {
  let server;
  let port;
  const serverErrors = [];

  before(async () => {
    server = http.createServer((req, res) => {
      handler(toRequest(req))
        .then((response) => respond(res, response))
        .catch((error) => {
          serverErrors.push(error);
          res.writeHead(500).end();
        });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    port = server.address().port;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    assert.deepEqual(serverErrors, []);
  });

  it('a documented ELMED sample: 200 with its event', async () => {
    const body = fs.readFileSync(path.join(SAMPLES, 'elmed', 'prescription.issued.json'));
    const res = await send(port, '/elmed', { headers: sign('elmed', body, { secret: SECRET }), body });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.eventType, 'prescription.issued');
    assert.equal(res.json.idempotencyKey, sha256(body));
    assert.deepEqual(res.json.data, JSON.parse(body).data);
  });

  it('a valid delivery sent chunked: 200', async () => {
    const body = elmedBody();
    const res = await send(port, '/elmed', { headers: sign('elmed', body, { secret: SECRET }), body, chunked: true });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.idempotencyKey, sha256(body));
  });

  it('tampered: 401 signature_mismatch, only the code', async () => {
    const body = elmedBody();
    const headers = sign('elmed', body, { secret: SECRET });
    const res = await send(port, '/elmed', { headers, body: Buffer.from(body.toString().replace('referral', 'deferral')) });
    assert.equal(res.status, 401);
    assert.equal(res.text, '{"error":"signature_mismatch"}');
    assert.equal(res.headers['content-type'], 'application/json');
  });

  it('a non-ASCII shared key sent as UTF-8 header bytes matches', async () => {
    const text = fs.readFileSync(path.join(SAMPLES, 'baremeds', 'encounter_cancelled.json'), 'utf8');
    const requestId = randomUUID();
    const body = Buffer.from(text.replace(/"request_id": "[^"]*"/, `"request_id": "${requestId}"`));
    const res = await send(port, '/baremeds', { headers: { 'X-Webhook-Key': 'clé-🔑' }, body });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.idempotencyKey, requestId);
    const wrong = await send(port, '/baremeds', { headers: { 'X-Webhook-Key': 'cle-🔑' }, body });
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.json, { error: 'key_mismatch' });
  });

  it('a body of exactly the limit: 200', async () => {
    for (const chunked of [false, true]) {
      const body = bodyOfSize(LIMIT);
      const res = await send(port, '/elmed', { headers: sign('elmed', body, { secret: SECRET }), body, chunked });
      assert.equal(res.status, 200, `chunked=${chunked}: ${res.text}`);
    }
  });

  it('oversize, declared: 413 payload_too_large before the body is read', async () => {
    const res = await send(port, '/elmed', {
      headers: { 'X-ELMED-Signature': 'sha256=' + '0'.repeat(64) },
      declaredLength: 10_000_000,
      partial: Buffer.from('{'),
    });
    assert.equal(res.status, 413);
    assert.deepEqual(res.json, { error: 'payload_too_large' });

    const body = bodyOfSize(LIMIT + 1);
    const whole = await send(port, '/elmed', { headers: sign('elmed', body, { secret: SECRET }), body });
    assert.equal(whole.status, 413);
  });

  it('oversize, streamed (chunked): 413 as soon as it passes the limit', async () => {
    const res = await send(port, '/elmed', {
      headers: { 'X-ELMED-Signature': 'sha256=' + '0'.repeat(64) },
      stream: { chunk: 1024, intervalMs: 2, maxBytes: 8 * 1024 * 1024 },
    });
    assert.equal(res.status, 413);
    assert.deepEqual(res.json, { error: 'payload_too_large' });
    assert.ok(res.sent < 1024 * 1024, `answered after ${res.sent} bytes of an 8 MiB stream`);
  });
});

describe('hookseal/fetch on Request objects', () => {
  const url = 'http://localhost/webhooks/elmed';

  it('a body already read (bodyUsed): TypeError that says so', async () => {
    const body = elmedBody();
    const request = new Request(url, { method: 'POST', body, headers: sign('elmed', body, { secret: SECRET }) });
    await request.json();
    await assert.rejects(verifyRequest(elmed, request), (error) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /already read/);
      assert.match(error.message, /request\.clone\(\)/);
      return true;
    });
  });

  it('verifying a clone leaves the original readable', async () => {
    const body = elmedBody();
    const request = new Request(url, { method: 'POST', body, headers: sign('elmed', body, { secret: SECRET }) });
    const event = await verifyRequest(elmed, request.clone());
    assert.equal(event.idempotencyKey, sha256(body));
    assert.deepEqual(await request.json(), JSON.parse(body));
  });

  it('a stream that passes the limit is refused without reading the rest', async () => {
    let pulled = 0;
    const endless = new ReadableStream({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(1000));
      },
    });
    const request = new Request(url, { method: 'POST', body: endless, duplex: 'half', headers: { 'X-ELMED-Signature': 'x' } });
    await assert.rejects(verifyRequest(elmed, request), (error) => error instanceof VerificationError && error.code === 'payload_too_large');
    assert.ok(pulled < 20, `pulled ${pulled} chunks`);
  });

  it('no body: verified as the empty body (refused as invalid_json)', async () => {
    const request = new Request(url, { method: 'POST', headers: sign('elmed', '', { secret: SECRET }) });
    await assert.rejects(verifyRequest(elmed, request), (error) => error instanceof VerificationError && error.code === 'invalid_json');
  });

  it('errorResponse: {"error": code} as JSON with the code status', async () => {
    const response = errorResponse(new VerificationError('payload_too_large', 'the body is 9 bytes, over 8'));
    assert.equal(response.status, 413);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.equal(await response.text(), '{"error":"payload_too_large"}');
  });

  it('not a verifier or not a Request: TypeError', async () => {
    await assert.rejects(verifyRequest({}, new Request(url)), TypeError);
    await assert.rejects(verifyRequest(elmed, { headers: {} }), TypeError);
  });
});
