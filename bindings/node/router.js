'use strict';
// The router (docs/api.md, "The router"; the same rule in every language, pinned by tests/vectors/router/routes.json):
//
//     const router = new Router({ provider: 'elmed' })          // unhandled: 'accept' (default) or 'reject'
//       .on('order.status_changed', (event) => ...)
//       .on(['prescription.issued', 'prescription.dispensed'], (event) => ...)
//       .on('claim.*', (event) => ...)
//       .on('*', (event) => ...);
//     router.dispatch(event, ...rest);                           // the one handler's return value, a Promise as is
//
// Exactly ONE handler runs per event: the exact pattern, else the longest `prefix*` the type starts with, else `*`,
// else the event is unhandled (`accept`: dispatch returns `{status: 'unhandled', event_type, idempotency_key}` and
// logs a debug line; `reject`: it throws UnhandledEventError, answered 501 by the helpers). One and not all, because
// exactly-once is per delivery: had two handlers run and the second failed, the release would run the first again.
// hookseal/express (`webhook(verifier, { router })`) and hookseal/fetch (`webhookHandler(verifier, router)`) take a
// router where they take a handler. Like index.js it uses nothing of Node's (pkg-web ships it as an ES module).

const { ConfigError, UnhandledEventError } = require('./errors.js');
const { EVENT_TYPES } = require('./events.js');
const { debug, unhandledLine, warnOnce } = require('./log.js');

const INSPECT = Symbol.for('nodejs.util.inspect.custom');
// Every preset (index.d.ts's Provider); those with a catalog have their event types in events.js.
const PRESETS = ['elmed', 'baremeds', 'novamed', 'standard-webhooks', 'custom'];
const MODES = ['accept', 'reject'];
const OPTIONS = ['provider', 'unhandled'];

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? (value.constructor && value.constructor.name) || 'an object' : typeof value;
}

const quote = (text) => `'${text}'`;

/** Levenshtein distance, for the suggestion of the typo warning (event types are short). */
function distance(a, b) {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length];
}

/** The closest documented type within an edit distance of 3 (the first in catalog order on a tie), or null. */
function suggestion(pattern, known) {
  let best = null;
  let bestDistance = 4;
  for (const type of known) {
    const d = distance(pattern, type);
    if (d < bestDistance) {
      best = type;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Routes verified events to handlers by event type (exact, `prefix*` or `*`): `new Router({ provider, unhandled })`.
 * A router bound to a provider warns once about an exact pattern its catalog does not name, and refuses (ConfigError)
 * an event of another provider.
 */
class Router {
  #provider;
  #unhandled;
  #known; // the catalog's event types, or null (no provider, or Standard Webhooks)
  #exact = new Map();
  #prefixes = []; // [prefix, handler], longest prefix first
  #catchAll = null;
  #patterns = [];

  constructor(options) {
    if (options !== undefined && options !== null && (typeof options !== 'object' || Array.isArray(options))) {
      throw new ConfigError('invalid_option', `new Router(options): options must be an object, not ${describe(options)}`);
    }
    const given = options ?? {};
    for (const name of Object.keys(given)) {
      if (!OPTIONS.includes(name)) {
        throw new ConfigError('invalid_option', `unknown router option ${JSON.stringify(name)}: provider and unhandled are known`);
      }
    }
    const provider = given.provider ?? null;
    if (provider !== null) {
      if (typeof provider !== 'string') {
        throw new ConfigError('invalid_option', `the router's provider must be a preset name (a string), not ${describe(provider)}`);
      }
      if (!PRESETS.includes(provider)) {
        throw new ConfigError('unknown_provider', `the router's provider ${JSON.stringify(provider)} is not a preset: ${PRESETS.join(', ')}`);
      }
    }
    const unhandled = given.unhandled ?? 'accept';
    if (!MODES.includes(unhandled)) {
      throw new ConfigError('invalid_option', `the router's unhandled must be 'accept' or 'reject', not ${
        typeof unhandled === 'string' ? JSON.stringify(unhandled) : describe(unhandled)}`);
    }
    this.#provider = provider;
    this.#unhandled = unhandled;
    this.#known = provider !== null && Object.prototype.hasOwnProperty.call(EVENT_TYPES, provider) ? EVENT_TYPES[provider] : null;
  }

  /** The preset this router routes events of, or null for any provider's. */
  get provider() {
    return this.#provider;
  }

  /** `accept` (an event no pattern matches is answered 200 and done) or `reject` (it is refused 501 and retried). */
  get unhandled() {
    return this.#unhandled;
  }

  /** The patterns, in registration order. */
  get patterns() {
    return [...this.#patterns];
  }

  /**
   * Registers `handler` for a pattern (an exact event type, `prefix*` or `*`) or a non-empty array of them; returns
   * the router. ConfigError('invalid_option'), registering nothing, for an invalid or already registered pattern or a
   * handler that is not a function.
   */
  on(patterns, handler) {
    const list = Array.isArray(patterns) ? patterns : [patterns];
    if (list.length === 0) throw new ConfigError('invalid_option', 'on([], handler): the list of patterns is empty');
    const seen = new Set();
    for (const pattern of list) {
      if (typeof pattern !== 'string') {
        throw new ConfigError('invalid_option', `on(): a pattern is an event type, 'prefix*' or '*' (a string), not ${describe(pattern)}`);
      }
      if (pattern === '') throw new ConfigError('invalid_option', "on(''): an empty pattern: give an event type, 'prefix*' or '*'");
      const star = pattern.indexOf('*');
      if (star !== -1 && star !== pattern.length - 1) {
        throw new ConfigError('invalid_option',
          `on(${quote(pattern)}): a '*' is a wildcard only at the end of a pattern ('order.*'; '*' alone for every event)`);
      }
      if (seen.has(pattern) || this.#patterns.includes(pattern)) {
        throw new ConfigError('invalid_option', `on(${quote(pattern)}): the pattern ${quote(pattern)} already has a handler`);
      }
      seen.add(pattern);
    }
    if (typeof handler !== 'function') {
      throw new ConfigError('invalid_option', `on(${list.map(quote).join(', ')}): the handler must be a function, not ${describe(handler)}`);
    }
    for (const pattern of list) {
      this.#patterns.push(pattern);
      if (pattern === '*') {
        this.#catchAll = handler;
      } else if (pattern.endsWith('*')) {
        this.#prefixes.push([pattern.slice(0, -1), handler, pattern]);
        this.#prefixes.sort((a, b) => b[0].length - a[0].length);
      } else {
        this.#exact.set(pattern, handler);
        this.#checkKnown(pattern);
      }
    }
    return this;
  }

  // A provider adds events, so an event type its catalog does not name is no error; but it is often a typo.
  #checkKnown(pattern) {
    if (this.#known === null || this.#known.includes(pattern)) return;
    const near = suggestion(pattern, this.#known);
    const line = `hookseal: ${this.#provider} documents no event ${quote(pattern)}${near === null ? '' : `; did you mean ${quote(near)}?`}`;
    warnOnce(`${this.#provider}\n${pattern}`, line, 'HOOKSEAL_UNKNOWN_EVENT_TYPE');
  }

  #find(eventType) {
    if (typeof eventType === 'string') {
      const exact = this.#exact.get(eventType);
      if (exact !== undefined) return [eventType, exact];
      for (const [prefix, handler, pattern] of this.#prefixes) {
        if (eventType.startsWith(prefix)) return [pattern, handler];
      }
    }
    return this.#catchAll === null ? null : ['*', this.#catchAll];
  }

  /** The pattern whose handler an event of type `eventType` goes to (null: a body without a type), or null: none. */
  match(eventType) {
    const found = this.#find(eventType);
    return found === null ? null : found[0];
  }

  /**
   * Runs the one handler for `event` (a verified event: its provider, eventType and idempotencyKey are read) with
   * `(event, ...rest)` and returns what it returns (a Promise as is). No handler: `{ status: 'unhandled', event_type,
   * idempotency_key }` (`accept`) or UnhandledEventError (`reject`). An event of another provider than the router's:
   * ConfigError('invalid_option').
   */
  dispatch(event, ...rest) {
    if (event === null || typeof event !== 'object') {
      throw new TypeError(`dispatch(event): event must be a verified event (an object), not ${describe(event)}`);
    }
    if (this.#provider !== null && event.provider !== this.#provider) {
      throw new ConfigError('invalid_option', `a router for ${this.#provider} was given a ${event.provider} event`);
    }
    const found = this.#find(event.eventType);
    if (found !== null) return found[1](event, ...rest);
    if (this.#unhandled === 'reject') {
      throw new UnhandledEventError(unhandledLine(event), event.eventType ?? null, event.idempotencyKey);
    }
    debug(`${unhandledLine(event)}: accepted`);
    return { status: 'unhandled', event_type: event.eventType ?? null, idempotency_key: event.idempotencyKey };
  }

  // Handlers are never shown, only what they are registered for.
  [INSPECT]() {
    const patterns = this.#patterns.map(quote).join(', ');
    return `Router { provider: ${this.#provider === null ? 'null' : quote(this.#provider)}, unhandled: '${this.#unhandled}', ` +
      `patterns: [${patterns}] }`;
  }

  toJSON() {
    return { provider: this.#provider, unhandled: this.#unhandled, patterns: this.patterns };
  }
}

module.exports = { Router, UnhandledEventError };
