'use strict';
// hookseal for JavaScript (docs/api.md): the JavaScript side of the napi-rs addon and of the WASM builds. It
// turns bodies and headers into what the native module takes, raises the error classes, and parses the event the
// core hands over as one JSON text. It uses nothing of Node's: bindings/wasm/build.js ships this same file in
// pkg-node, and as an ES module in pkg-web, over the WASM module (whose exports have the addon's names and shapes).

const native = require('./native.js');
const { HooksealError, VerificationError, ConfigError, StoreError, UnhandledEventError } = require('./errors.js');
const { EVENT_TYPES } = require('./events.js');
const { Router } = require('./router.js');

// `util.inspect.custom` without requiring node:util (a registered symbol: the same in Node, inert elsewhere).
const INSPECT = Symbol.for('nodejs.util.inspect.custom');
const UTF8 = new TextEncoder();

// The addon throws plain errors whose `code` is the contract's string; anything else (a bug) is rethrown as it is.
function rethrow(error, Class) {
  if (error && typeof error.code === 'string' && native.httpStatus(error.code) !== null) {
    throw new Class(error.code, error.message);
  }
  throw error;
}

/** The body as bytes, read in place: Buffer / Uint8Array / other views and ArrayBuffer; a string as its UTF-8. */
function bodyBytes(body) {
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return UTF8.encode(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new TypeError(`body must be a Buffer, Uint8Array, ArrayBuffer or string, not ${describe(body)}`);
}

/**
 * The verifier's header names, and a memo of which names a request uses are among them (compared ASCII
 * case-insensitively): only those headers cross into the addon, since each string crossing costs about as much as
 * hashing 150 bytes. The memo is bounded: names are the sender's to choose.
 */
class HeaderFilter {
  constructor(names) {
    this.names = new Set(names);
    this.memo = new Map();
  }

  wants(name) {
    let wanted = this.memo.get(name);
    if (wanted === undefined) {
      wanted = this.names.has(name.toLowerCase());
      if (this.memo.size < 256) this.memo.set(name, wanted);
    }
    return wanted;
  }
}

function addHeader(flat, filter, name, value) {
  if (typeof name !== 'string') throw new TypeError(`a header name must be a string, not ${describe(name)}`);
  if (typeof value === 'string') {
    if (filter.wants(name)) flat.push(name, value);
  } else if (Array.isArray(value)) {
    for (const item of value) addHeader(flat, filter, name, item);
  } else if (value !== undefined) {
    throw new TypeError(`the value of header ${JSON.stringify(name)} must be a string, not ${describe(value)}`);
  }
}

/**
 * Headers as `[name, value, name, value, …]`, only those the verifier reads: a Node `IncomingHttpHeaders` object
 * (array values for repeated headers), a WHATWG `Headers` (or anything with `forEach(value, name)`), a `Map`, or
 * `[name, value][]`.
 */
function flatHeaders(headers, filter) {
  const flat = [];
  if (Array.isArray(headers)) {
    for (const pair of headers) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError('each header must be a [name, value] pair');
      addHeader(flat, filter, pair[0], pair[1]);
    }
  } else if (headers instanceof Map || (headers && typeof headers.forEach === 'function')) {
    headers.forEach((value, name) => addHeader(flat, filter, name, value));
  } else if (headers !== null && typeof headers === 'object') {
    for (const name in headers) {
      if (Object.prototype.hasOwnProperty.call(headers, name)) addHeader(flat, filter, name, headers[name]);
    }
  } else {
    throw new TypeError(`headers must be an object, a Headers, a Map or [name, value][], not ${describe(headers)}`);
  }
  return flat;
}

/** `now` as Unix seconds (fractions are rounded down by the core), from a number or a Date. */
function unixSeconds(now) {
  if (now === undefined || now === null) return undefined;
  if (now instanceof Date) now = now.getTime() / 1000;
  if (typeof now !== 'number') throw new TypeError(`now must be Unix seconds (a number) or a Date, not ${describe(now)}`);
  if (!Number.isFinite(now)) throw new RangeError('now must be a finite number of Unix seconds');
  // The core's range (hookseal::seconds_from_float): outside it the addon's `invalid_option` would otherwise surface
  // as a VerificationError (httpStatus 500) instead of the caller's mistake it is.
  if (Math.floor(now) < -(2 ** 63) || Math.floor(now) >= 2 ** 63) {
    throw new RangeError('now must be a finite number of Unix seconds in range');
  }
  return now;
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? (value.constructor && value.constructor.name) || 'an object' : typeof value;
}

// `verify`'s options: only `now`. Anything else is a mistake, never silently ignored.
function verifyOptions(options) {
  if (options === undefined || options === null) return {};
  checkOptions(options);
  for (const name of Object.keys(options)) {
    if (name !== 'now') throw new TypeError(`verify() takes only the option now, not ${JSON.stringify(name)}`);
  }
  return options;
}

function checkOptions(options) {
  if (options !== undefined && options !== null && (typeof options !== 'object' || Array.isArray(options))) {
    throw new TypeError(`options must be an object, not ${describe(options)}`);
  }
  return options ?? undefined;
}

/**
 * The event of the addon's JSON. For a large body whose key is its digest (ELMED's, or a delivery without an id) the
 * addon leaves `idempotencyKey` null: it is hashed when first read, from the body as this call owns it (the caller's
 * buffer may be reused or changed later): the text the addon handed over for JSON.parse, a string body's UTF-8, or
 * else a copy of the bytes taken now; then kept. A plain
 * data property from then on: enumerable, in its place, in JSON.stringify and spreads, writable as before.
 *
 * One getter and setter for every event (a closure pair per event gave each its own hidden class, which measured as
 * slow as the hash it saves), the copy under a private symbol on the event itself, not enumerable, so that it is found
 * through a Proxy (Vue's `reactive`), a prototype (`Object.create`) or a copy of the descriptors. A frozen or sealed
 * event cannot take the key as a data property: it keeps the getter, and the key is hashed again at each read.
 */
const DEFERRED_BODY = Symbol('hookseal.deferredBody');
function settleKey(event, key) {
  try {
    Object.defineProperty(event, 'idempotencyKey', { value: key, writable: true, enumerable: true, configurable: true });
    event[DEFERRED_BODY] = undefined; // the copy goes as soon as the key is known
  } catch {
    // frozen or sealed: the getter stays
  }
  return key;
}
const DEFERRED_KEY = {
  get() {
    return settleKey(this, native.digestKey(this[DEFERRED_BODY]));
  },
  set(key) {
    settleKey(this, key);
  },
  enumerable: true,
  configurable: true,
};
function eventOf(json, body, bytes, strict) {
  let event;
  if (typeof json !== 'string') {
    // A large body on the path where JSON.parse checks `data`'s grammar: `[the event's JSON with data null, the body
    // as text, where the data is in it]`. The body's text is immutable: a deferred key is hashed from it, no copy.
    const [fields, text, place] = json;
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch {
      return eventOf(strict(), body, bytes); // refused: the core's own parse says what is wrong
    }
    event = JSON.parse(fields);
    event.data = place === 'body' ? parsed : parsed.data;
    return deferKey(event, text);
  }
  try {
    event = JSON.parse(json);
  } catch (error) {
    // The addon left `data`'s grammar to JSON.parse, which refused it: the core's own parse says what is wrong (and
    // a text it accepted after all, which JSON.parse still refuses, throws as before).
    if (strict === undefined) throw error;
    event = JSON.parse(strict());
  }
  return deferKey(event, typeof body === 'string' ? bytes : undefined, bytes);
}

/**
 * A key the addon left `null` becomes the deferred getter, over `own` (the body as bytes or text that nothing else
 * can change: a string body's UTF-8, or the text the addon handed over) or else a copy of `bytes` taken now.
 */
function deferKey(event, own, bytes) {
  if (event.idempotencyKey === null && event.idempotencyKeySource === 'body_sha256') {
    const copy = own === undefined ? new Uint8Array(bytes) : own;
    Object.defineProperty(event, DEFERRED_BODY, { value: copy, writable: true });
    Object.defineProperty(event, 'idempotencyKey', DEFERRED_KEY);
  }
  return event;
}

/** Verifies deliveries for one provider (docs/api.md). Build it once and share it. */
class Verifier {
  #native;
  #headers;

  constructor(provider, options) {
    if (typeof provider !== 'string') throw new TypeError(`provider must be a string, not ${describe(provider)}`);
    try {
      this.#native = new native.NativeVerifier(provider, checkOptions(options));
    } catch (error) {
      rethrow(error, ConfigError);
    }
    this.#headers = new HeaderFilter(this.#native.headerNames);
  }

  /** The preset's name. */
  get provider() {
    return this.#native.provider;
  }

  /** The body size limit in bytes. */
  get maxBodyBytes() {
    return this.#native.maxBodyBytes;
  }

  /** Verifies one delivery and returns its event, or throws `VerificationError`. */
  verify(body, headers, options) {
    const bytes = bodyBytes(body);
    const flat = flatHeaders(headers, this.#headers);
    const now = unixSeconds(verifyOptions(options).now);
    let json;
    try {
      json = this.#native.verify(bytes, flat, now, true);
    } catch (error) {
      rethrow(error, VerificationError);
    }
    return eventOf(json, body, bytes, () => {
      try {
        return this.#native.verify(bytes, flat, now, false);
      } catch (error) {
        return rethrow(error, VerificationError);
      }
    });
  }

  // Secrets are never shown.
  [INSPECT]() {
    return `Verifier { provider: '${this.provider}', maxBodyBytes: ${this.maxBodyBytes} }`;
  }

  toJSON() {
    return { provider: this.provider, maxBodyBytes: this.maxBodyBytes };
  }
}

// `verify()`'s verifiers, least recently used first (a Map keeps insertion order): at most VERIFY_CACHE_SIZE, so the
// secrets of a configuration no longer used do not stay in memory. Keys hold the options (secrets included) and are
// never shown; a configuration that fails to build is not cached, so its ConfigError comes back on every call.
const VERIFY_CACHE_SIZE = 32;
const verifiers = new Map();

// The cache key of `provider` + `options`: a JSON text with the names sorted, or null when a value is not one the
// options take as JSON shows it (such options go to a Verifier of their own, which says what is wrong).
function verifierKey(provider, options) {
  const names = Object.keys(options).sort();
  // JSON writes NaN and Infinity as null: such numbers are not keys (the Verifier refuses them anyway).
  const plain = (value) => value === null || value === undefined || typeof value === 'string'
    || typeof value === 'boolean' || Number.isFinite(value);
  for (const name of names) {
    const value = options[name];
    if (!(plain(value) || (Array.isArray(value) && value.every((item) => typeof item === 'string')))) return null;
  }
  // undefined is kept apart from an absent option (JSON would drop it): the addon reads both as unset, but a key
  // must never make two configurations the addon could tell apart one.
  return JSON.stringify([provider, names.map((name) => (options[name] === undefined ? [name] : [name, options[name]]))]);
}

/**
 * One call, for scripts and tests: `new Verifier(provider, options).verify(body, headers, { now })` with the verifier
 * taken from a cache of the last 32 configurations (`now` is not part of the key). Throws as they do.
 */
function verify(provider, body, headers, options) {
  if (typeof provider !== 'string') throw new TypeError(`provider must be a string, not ${describe(provider)}`);
  const { now, ...rest } = checkOptions(options) ?? {};
  const key = verifierKey(provider, rest);
  let verifier = key === null ? undefined : verifiers.get(key);
  if (verifier === undefined) {
    verifier = new Verifier(provider, rest);
    if (key !== null) {
      verifiers.set(key, verifier);
      if (verifiers.size > VERIFY_CACHE_SIZE) verifiers.delete(verifiers.keys().next().value);
    }
  } else {
    verifiers.delete(key); // the most recently used goes last
    verifiers.set(key, verifier);
  }
  return verifier.verify(body, headers, { now });
}

/** The headers a real delivery of `body` by `provider` carries (for tests and demos), as `{ name: value }`. */
function sign(provider, body, options) {
  if (typeof provider !== 'string') throw new TypeError(`provider must be a string, not ${describe(provider)}`);
  let flat;
  try {
    const given = checkOptions(options);
    // `now` reads as in verify(): Unix seconds (fractions rounded down) or a Date.
    const signOptions = given && given.now !== undefined && given.now !== null
      ? { ...given, now: Math.floor(unixSeconds(given.now)) } : given;
    flat = native.nativeSign(provider, bodyBytes(body), signOptions);
  } catch (error) {
    rethrow(error, ConfigError);
  }
  const headers = {};
  for (let i = 0; i < flat.length; i += 2) headers[flat[i]] = flat[i + 1];
  return headers;
}

// ---------------------------------------------------------------------------------------------------------------
// Exactly once (docs/exactly-once.md): the dedupe store. The addon runs every call on libuv's thread pool and hands
// back a Promise; the WASM module's memory store answers at once. Either way the methods here are async.

// A store call's failure: `store_unavailable` is a StoreError, `invalid_option` (a bad namespace) a ConfigError.
function rethrowStore(error) {
  rethrow(error, error && error.code === 'store_unavailable' ? StoreError : ConfigError);
}

// `new Store(url, options)`'s options: lease and retention in seconds. Anything else, or a value that is not a
// number, is `invalid_option` (as every runtime refuses it); the range is the core's to check.
function storeOptions(options) {
  const given = checkOptions(options) ?? {};
  for (const name of Object.keys(given)) {
    if (name !== 'lease' && name !== 'retention') {
      const known = 'lease and retention are known';
      throw new ConfigError('invalid_option', `unknown store option ${JSON.stringify(name)}: ${known}`);
    }
    const value = given[name];
    if (value !== undefined && value !== null && typeof value !== 'number') {
      throw new ConfigError('invalid_option', `${name} must be a number of seconds, not ${describe(value)}`);
    }
  }
  return [given.lease ?? undefined, given.retention ?? undefined];
}

/** An idempotency key as bytes: a string as its UTF-8, or the bytes of a Buffer / Uint8Array / view / ArrayBuffer. */
function keyBytes(key) {
  if (typeof key === 'string') return UTF8.encode(key);
  if (key instanceof Uint8Array || ArrayBuffer.isView(key) || key instanceof ArrayBuffer) return bodyBytes(key);
  throw new TypeError(`key must be a string or bytes, not ${describe(key)}`);
}

// Only Store's claim() makes Claims; each claimed one keeps the native claim here (its token never shows).
const MAKE_CLAIM = Symbol('hookseal.Claim');
const HELD = new WeakMap();

/** What `store.claim()` found: `status` `claimed` (process it), `duplicate` (done before) or `in_progress`. */
class Claim {
  constructor(token, outcome, namespace) {
    if (token !== MAKE_CLAIM) throw new TypeError('a Claim comes from store.claim(namespace, key)');
    /** `claimed`, `duplicate` or `in_progress`. */
    this.status = outcome.status;
    /** For `in_progress`: the seconds left on the other worker's lease (at least 1); else null. */
    this.retryAfter = outcome.retryAfter ?? null;
    this.namespace = namespace;
    if (this.status === 'claimed') HELD.set(this, outcome);
    Object.freeze(this);
  }
}

/**
 * A dedupe store, opened from a URL: `memory:`, `sqlite:///path.db`, `redis://[user:password@]host:port/db` or
 * `rediss://…` (docs/exactly-once.md). Open it once per process and share it. `claim`, `complete` and `release` are
 * async and never block the event loop.
 */
class Store {
  #native;

  constructor(url, options) {
    if (typeof url !== 'string') throw new TypeError(`url must be a string, not ${describe(url)}`);
    const [lease, retention] = storeOptions(options);
    try {
      this.#native = new native.NativeStore(url, lease, retention);
    } catch (error) {
      rethrowStore(error);
    }
  }

  /** `memory`, `sqlite` or `redis`. */
  get backend() {
    return this.#native.backend;
  }

  /** The URL, with any password replaced by `***`: for start-up logs. */
  get url() {
    return this.#native.url;
  }

  /** The lease a claim gets, in seconds. */
  get lease() {
    return this.#native.lease;
  }

  /** How long a processed key is remembered, in seconds. */
  get retention() {
    return this.#native.retention;
  }

  /** Claims `key` (a string or bytes) in `namespace`; rejects with StoreError when the store cannot be reached. */
  async claim(namespace, key) {
    if (typeof namespace !== 'string') throw new TypeError(`namespace must be a string, not ${describe(namespace)}`);
    const bytes = keyBytes(key);
    let outcome;
    try {
      outcome = await this.#native.claim(namespace, bytes);
    } catch (error) {
      rethrowStore(error);
    }
    return new Claim(MAKE_CLAIM, outcome, namespace);
  }

  /** Marks a claimed key done for the retention; false if the claim no longer held it (its lease ran out). */
  async complete(claim) {
    return this.#settle('complete', claim);
  }

  /** Forgets a claimed key, so that the provider's retry is processed; false if the claim no longer held it. */
  async release(claim) {
    return this.#settle('release', claim);
  }

  async #settle(op, claim) {
    if (!(claim instanceof Claim)) {
      throw new TypeError(`${op}() takes a Claim from store.claim(), not ${describe(claim)}`);
    }
    const held = HELD.get(claim);
    if (held === undefined) {
      throw new TypeError(`${op}() takes a claim whose status is 'claimed', not '${claim.status}'`);
    }
    try {
      return await this.#native[op](held);
    } catch (error) {
      rethrowStore(error);
    }
  }

  // The URL as describe() gives it: never a password.
  [INSPECT]() {
    return `Store { backend: '${this.backend}', url: '${this.url}' }`;
  }

  toJSON() {
    return { backend: this.backend, url: this.url, lease: this.lease, retention: this.retention };
  }
}

module.exports = {
  Verifier, verify, sign, Store, Claim, VerificationError, ConfigError, StoreError, HooksealError, Router,
  UnhandledEventError, EVENT_TYPES,
};
