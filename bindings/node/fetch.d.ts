// Types for require('hookseal/fetch'): WHATWG `Request` / `Response` (Next.js route handlers, Hono, workers).

import type { ClaimResult, DedupeStore, Event, JsonValue, Router, StoreError, VerificationError, Verifier } from './index';

/**
 * Reads `request`'s body (at most `verifier.maxBodyBytes`), verifies it and returns the event. Rejects with
 * `VerificationError` for a refused delivery (`payload_too_large` for an oversize body, declared or streamed), and
 * with `TypeError` if the body was already read (`request.bodyUsed`).
 */
export function verifyRequest<Data = JsonValue>(verifier: Verifier, request: Request): Promise<Event<Data>>;

/** The answer to a refused delivery: `{"error": code}` as JSON with the code's HTTP status. */
export function errorResponse(error: VerificationError): Response;

/**
 * The log line for a refused delivery, as every hookseal helper words it (the path without its query; never a secret
 * or the body): `refused a delivery from elmed (POST /webhooks/elmed): signature_mismatch: <why>`.
 */
export function refusalLine(provider: string, request: Request, error: VerificationError | StoreError): string;

export interface WebhookHandlerOptions<C extends ClaimResult = ClaimResult> {
  /**
   * Exactly once: the event's idempotency key is claimed before the handler runs; a duplicate is answered 200
   * `{"status": "duplicate", "idempotency_key": ...}`, a copy being processed elsewhere 503 `in_progress` with
   * Retry-After, an unreachable store 503 `store_unavailable` (`Retry-After: 5`). Completed when the handler returns
   * a Response below 500, released when it throws or answers 500 and above. A hookseal `Store`, or any object with
   * async claim / complete / release (over a Durable Object, KV, a database).
   */
  store?: DedupeStore<C> | null;
  /** The store's namespace for this route (default: the preset's name, `verifier.provider`). Needs `store`. */
  namespace?: string | null;
  /**
   * Called with every refused delivery before it is answered: a `VerificationError`, or with a store a `StoreError`
   * (answered 503 `store_unavailable`; without onError it goes to `console.warn`). Never contains a secret. If it
   * throws, the handler rejects with that error.
   */
  onError?: ((error: VerificationError | StoreError, request: Request) => void) | null;
}

/**
 * A fetch handler: verifies the request, then calls `handler(event, request, ...rest)` (once per event with a store)
 * and returns its Response; a refused delivery is answered as `errorResponse` does and never reaches the handler.
 */
export function webhookHandler<Data = JsonValue, Rest extends unknown[] = unknown[], C extends ClaimResult = ClaimResult>(
  verifier: Verifier,
  handler: (event: Event<Data>, request: Request, ...rest: Rest) => Response | Promise<Response>,
  options?: WebhookHandlerOptions<C> | null,
): (request: Request, ...rest: Rest) => Promise<Response>;

/**
 * What a fetch router's handler returns (or its Promise resolves to): a Response, returned as is; nothing, answered
 * 200 `ProcessedBody`; a plain object or an array (any JSON), answered 200 as JSON (`Response.json(value)`).
 */
export type RoutedResult = Response | JsonValue | { [key: string]: unknown } | readonly unknown[] | undefined | void;

/** The answer (200) to a router's handler that returned nothing. A wire answer: snake_case keys. */
export interface ProcessedBody {
  status: 'processed';
  /** Null for a body without a type (Standard Webhooks). */
  event_type: string | null;
  idempotency_key: string;
}

/**
 * The same with a `Router` in place of the handler: the one handler for the event's type is called with `(event,
 * request, ...rest)`, and what it returns answered (`RoutedResult`): a Response as is, nothing 200 `ProcessedBody`,
 * any other value 200 as JSON. An unhandled event: with `unhandled: 'accept'` 200 `{"status": "unhandled",
 * "event_type": ..., "idempotency_key": ...}` (completed), with `'reject'` 501 `{"error": "unhandled_event"}`
 * (released: the provider retries). A router bound to another provider than the verifier's is a ConfigError when the
 * handler is built.
 */
export function webhookHandler<Rest extends unknown[] = unknown[], C extends ClaimResult = ClaimResult>(
  verifier: Verifier,
  router: Router<any, [Request, ...Rest], RoutedResult | Promise<RoutedResult>>,
  options?: WebhookHandlerOptions<C> | null,
): (request: Request, ...rest: Rest) => Promise<Response>;

export type { Event };
