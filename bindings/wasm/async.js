'use strict';
// `Verifier.prototype.verifyAsync` of the WASM build (bindings/wasm/build.js adds the method to the glue's Verifier,
// which calls verifyWithWebCrypto below): the same verdict, event and error as `verify`, with a large body's hashing
// done by WebCrypto, whose HMAC-SHA256 and SHA-256 are native code (this module's are portable WebAssembly, several
// times slower). Below ASYNC_MIN_BYTES WebCrypto's per-call cost (a promise and, in Node and browsers, a hop to another
// thread) is more than hashing in WebAssembly, so small bodies take `verify` as they are.
//
// What crosses: the module says what to sign in front of the body (`macPrefix`, after every check `verify` makes
// before hashing: a header missing or malformed is refused without any hashing), hands each secret's HMAC key out
// once (`takeMacKeys`: imported not extractable, then the arrays are zero-filled), and finishes with the tags
// WebCrypto computed (`verifyWithTags`: compared in constant time, in the module, as `verify` compares its own).

const { subtle } = require('./webcrypto.js');

/** Bodies this long or longer are hashed by WebCrypto (bindings/wasm/README.md, "verifyAsync": where it pays). */
const ASYNC_MIN_BYTES = 16 * 1024;
let asyncMinBytes = ASYNC_MIN_BYTES;

/**
 * Tests only (this file is no export of the package): the size from which WebCrypto hashes, so that the suite can
 * run every vector, however small, through both paths. `undefined` restores ASYNC_MIN_BYTES.
 */
function setAsyncMinBytes(bytes) {
  asyncMinBytes = bytes === undefined ? ASYNC_MIN_BYTES : bytes;
}

const HMAC = { name: 'HMAC', hash: 'SHA-256' };

// Per native verifier: a promise of its imported CryptoKeys (null when WebCrypto refused them: `verify` then).
const imported = new WeakMap();

function cryptoKeys(native) {
  let keys = imported.get(native);
  if (keys === undefined) {
    const raw = native.takeMacKeys();
    keys = Promise.all(raw.map((key) => subtle.importKey('raw', key, HMAC, false, ['sign']))).then(
      (cryptoKeys) => cryptoKeys,
      () => null,
    );
    // Wiped once WebCrypto has its own copies (the spec copies at the call; the wait is for implementations that
    // read later).
    keys.finally(() => raw.forEach((key) => key.fill(0)));
    imported.set(native, keys);
  }
  return keys;
}

// Exact text (a body the module accepts is valid UTF-8; a byte-order mark is kept, as the module would see it).
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });
const UNPARSED = Symbol('unparsed');

/** The event `native.verify(bytes, flat, now)` gives, parsed (or its error). */
async function verifyWithWebCrypto(native, bytes, flat, now) {
  if (subtle === undefined || bytes.length < asyncMinBytes || bytes.length > native.maxBodyBytes) {
    return JSON.parse(native.verify(bytes, flat, now));
  }
  let prefix;
  try {
    prefix = native.macPrefix(flat);
  } catch {
    return JSON.parse(native.verify(bytes, flat, now)); // refused before any hashing: verify says why, exactly
  }
  if (prefix === undefined) return JSON.parse(native.verify(bytes, flat, now)); // a shared key: nothing to hash
  // One copy, taken at the call (before any await): WebCrypto hashes these bytes and the module checks these bytes,
  // whatever the caller does with its buffer in the meantime.
  const message = new Uint8Array(prefix.length + bytes.length);
  message.set(prefix);
  message.set(bytes, prefix.length);
  const body = message.subarray(prefix.length);
  const keys = await cryptoKeys(native);
  if (keys === null) return JSON.parse(native.verify(body, flat, now));
  const hashing = Promise.all([
    Promise.all(keys.map((key) => subtle.sign('HMAC', key, message))),
    native.mayKeyByBodyDigest ? subtle.digest('SHA-256', body) : undefined,
  ]);
  // While WebCrypto hashes (on another thread in Node and browsers), the body is parsed here as the event's JSON
  // would be. Nothing of it is used unless the module then verifies the delivery, after the MAC. Told that JSON.parse
  // took the body, the module leaves data's grammar to it, as the Node addon does (docs/decisions.md, "Node:
  // JSON.parse checks data's grammar"): it finds where data ends with its structural scan and checks everything
  // else. When JSON.parse refused the body, the module parses it all itself and names the error.
  let parsed = UNPARSED;
  try {
    parsed = JSON.parse(UTF8.decode(body));
  } catch {
    // Not JSON to JSON.parse: the module says what is wrong (or, accepting it, hands the data over itself).
  }
  let tags;
  let digest;
  try {
    [tags, digest] = await hashing;
  } catch {
    return JSON.parse(native.verify(body, flat, now)); // WebCrypto failed: the module hashes
  }
  const joined = new Uint8Array(32 * tags.length);
  tags.forEach((tag, i) => joined.set(new Uint8Array(tag), 32 * i));
  const sha = digest === undefined ? undefined : new Uint8Array(digest);
  const [json, data] = native.verifyWithTags(body, flat, now, joined, sha, parsed !== UNPARSED);
  const event = JSON.parse(json);
  if (data === 'data') event.data = parsed.data;
  else if (data === 'body') event.data = parsed;
  return event;
}

module.exports = { verifyWithWebCrypto, setAsyncMinBytes, ASYNC_MIN_BYTES };
