// Types for require('hookseal/hono') (Hono 4, a peer dependency: these types need the `hono` package).

import type { Context, MiddlewareHandler } from 'hono';
import type { ClaimResult, DedupeStore, Event, JsonValue, Router, StoreError, VerificationError, Verifier } from './index';

/** The variables the middleware sets: `c.get('webhook')` is the verified event. */
export interface WebhookVariables<Data = JsonValue> {
  webhook: Event<Data>;
}

/** The Hono environment of a route behind `webhook()`. */
export interface WebhookEnv<Data = JsonValue> {
  Variables: WebhookVariables<Data>;
}

/**
 * What a Hono router's handler returns (or its Promise resolves to): a Response, returned as is; nothing, answered
 * 200 `{"status": "processed", "event_type": ..., "idempotency_key": ...}`; a plain object or an array, as JSON.
 */
export type HonoRoutedResult = Response | JsonValue | { [key: string]: unknown } | readonly unknown[] | undefined | void;

export interface WebhookOptions<C extends ClaimResult = ClaimResult> {
  /**
   * Exactly once: the event's idempotency key is claimed before the handler runs; a duplicate is answered 200
   * `{"status": "duplicate", "idempotency_key": ...}`, a copy being processed elsewhere 503 `in_progress` with
   * Retry-After, an unreachable store 503 `store_unavailable` (`Retry-After: 5`). Completed when the handler answers
   * below 500, released when it throws, answers 500 and above, or returns no Response (Hono answers 500).
   */
  store?: DedupeStore<C> | null;
  /** The store's namespace for this route (default: the preset's name, `verifier.provider`). Needs `store`. */
  namespace?: string | null;
  /**
   * Called with every refused delivery before it is answered: a `VerificationError`, or with a store a `StoreError`
   * (without onError, a store outage goes to `console.warn`). Never contains a secret. If it throws, Hono's onError
   * answers.
   */
  onError?: ((error: VerificationError | StoreError, c: Context) => void) | null;
  /**
   * A Router that ends the route: its one handler for the event gets `(event, c)` and what it returns is the answer
   * (`HonoRoutedResult`). An unhandled event: with `unhandled: 'accept'` 200, with `'reject'` 501
   * `{"error": "unhandled_event"}` (released). A router bound to another provider than the verifier's is a
   * ConfigError at once.
   */
  router?: Router<any, [Context], HonoRoutedResult | Promise<HonoRoutedResult>> | null;
}

/** What `webhook()` answers a refused delivery with: only the code. */
export interface ErrorBody {
  error: VerificationError['code'];
}

/**
 * Hono middleware: reads the raw body (at most `verifier.maxBodyBytes`) with hookseal/fetch's `verifyRequest`,
 * verifies it and sets `c.get('webhook')`; a refused delivery is answered `{"error": code}` with 401, 413 or 400 and
 * never reaches the handler. Throws a TypeError (a 500) when an earlier middleware read the body as text or JSON
 * (bytes kept by `c.req.arrayBuffer()` or `c.req.blob()` are verified as they are).
 */
export function webhook<Data = JsonValue, C extends ClaimResult = ClaimResult>(
  verifier: Verifier,
  options?: WebhookOptions<C> | null,
): MiddlewareHandler<WebhookEnv<Data>>;

/** The JSON body answering a refused delivery: `{ error: error.code }`. */
export function errorBody(error: VerificationError): ErrorBody;

export type { Event, JsonValue };
