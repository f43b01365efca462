// Types for require('hookseal/express').

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClaimResult, DedupeStore, Event, Router, StoreError, VerificationError, Verifier } from './index';

declare global {
  namespace Express {
    interface Request {
      /** The verified delivery, set by `webhook()` before the route handler runs. */
      webhook?: import('./index').Event;
      /** The exact body bytes, kept by `express.json({ verify: keepRawBody })`. */
      rawBody?: Buffer;
    }
  }
}

/**
 * `onError`'s type. Declared as a method's (bivariant) so that a callback written for `VerificationError` alone, as
 * before stores existed, still type-checks: a `StoreError` reaches it only when `store` is given.
 */
export type WebhookErrorHandler = {
  onError(error: VerificationError | StoreError, req: import('express').Request): void;
}['onError'];

export interface WebhookOptions<C extends ClaimResult = ClaimResult> {
  /**
   * Called with every refused delivery before the answer is sent (to count or alert on refusals): a
   * `VerificationError`, or with a store a `StoreError` (answered 503 `store_unavailable`). The error's `detail` says
   * why and never contains a secret. If it throws, the error goes to `next(error)` instead of the answer. Each
   * refusal is already logged, one line, under `NODE_DEBUG=hookseal` (`refused a delivery from elmed (POST
   * /webhooks/elmed): signature_mismatch: ...`; a store outage without onError on `console.warn`).
   */
  onError?: WebhookErrorHandler | null;
  /**
   * Exactly once: the event's idempotency key is claimed before the handler runs; a duplicate is answered 200
   * `{"status": "duplicate", "idempotency_key": ...}`, a copy being processed elsewhere 503 `in_progress` with
   * Retry-After, an unreachable store 503 `store_unavailable`. Completed when the answer finishes below 500, released
   * otherwise. A hookseal `Store`, or any object with async claim / complete / release.
   */
  store?: DedupeStore<C> | null;
  /** The store's namespace for this route (default: the preset's name, `verifier.provider`). Needs `store`. */
  namespace?: string | null;
  /**
   * A `Router` to dispatch the event to, in place of the next handler: `webhook()` then ends the route, calling the
   * one handler with `(event, req, res)` (a throw or a rejected Promise goes to `next(error)`). A synchronous handler
   * that returns anything but plain data (undefined, `res`, a Timeout) answers with `res` itself, now or later, as a
   * route handler does. Otherwise, if the handler has not answered (`!res.headersSent`) once it returned plain data
   * (an object literal, an array) or its Promise resolved:
   * `res.json(value)`, or for a Promise that resolved to undefined (or `res`) 200 `{"status": "processed",
   * "event_type": ..., "idempotency_key": ...}` (event_type null for a body without a type). An unhandled event: with `unhandled: 'accept'` 200 `{"status": "unhandled",
   * "event_type": ..., "idempotency_key": ...}` (completed), with `'reject'` 501 `{"error": "unhandled_event"}`
   * (released: the provider retries). A router bound to another provider than the verifier's is a ConfigError here.
   */
  router?: Router<any, [import('express').Request, import('express').Response], any> | null;
}

/** What `webhook()` answers a refused delivery with: only the code. */
export interface ErrorBody {
  error: VerificationError['code'];
}

/** What `webhook()` with a store answers a delivery already processed with (200). */
export interface DuplicateBody {
  status: 'duplicate';
  idempotency_key: string;
}

/**
 * Express middleware: reads the raw body (at most `verifier.maxBodyBytes`), verifies it and sets `req.webhook`;
 * a refused delivery is answered `{"error": code}` with 401, 413 or 400 and never reaches the next handler.
 */
export function webhook<C extends ClaimResult = ClaimResult>(
  verifier: Verifier,
  options?: WebhookOptions<C> | null,
): import('express').RequestHandler;

/** A `verify` hook for `express.json({ verify: keepRawBody })`: keeps the exact bytes in `req.rawBody`. */
export function keepRawBody(req: IncomingMessage, res: ServerResponse, buf: Buffer, encoding?: string): void;

/** The JSON body answering a refused delivery: `{ error: error.code }`. */
export function errorBody(error: VerificationError): ErrorBody;

export type { Event };
