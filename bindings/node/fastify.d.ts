// Types for require('hookseal/fastify') (Fastify 5, a peer dependency: these types need the `fastify` package).

import type {
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  RouteHandlerMethod,
  onErrorHookHandler,
  onResponseHookHandler,
  onSendAsyncHookHandler,
  preParsingAsyncHookHandler,
  preHandlerAsyncHookHandler,
  preValidationAsyncHookHandler,
} from 'fastify';
import type { ClaimResult, DedupeStore, Event, JsonValue, Router, StoreError, VerificationError, Verifier } from './index';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The verified delivery, set by hookseal's plugin (or `webhookRoute()`) before the handler runs; null on the
     * other routes of a scope that keeps raw bodies, undefined outside one. `request.body` is then the event's data.
     */
    webhook?: import('./index').Event | null;
  }
}

/**
 * `onError`'s type. Declared as a method's (bivariant) so that a callback written for `VerificationError` alone still
 * type-checks: a `StoreError` reaches it only when `store` is given.
 */
export type WebhookErrorHandler = {
  onError(error: VerificationError | StoreError, request: FastifyRequest): void;
}['onError'];

export interface WebhookRouteOptions<C extends ClaimResult = ClaimResult> {
  /**
   * Exactly once: the event's idempotency key is claimed before the handler runs; a duplicate is answered 200
   * `{"status": "duplicate", "idempotency_key": ...}`, a copy being processed elsewhere 503 `in_progress` with
   * Retry-After, an unreachable store 503 `store_unavailable` (`Retry-After: 5`). Settled in the route's onSend hook:
   * completed below 500 if the handler ran and did not throw, released otherwise; after `reply.hijack()`, when the
   * raw response finishes (below 500: completed) or closes unfinished (released). A hookseal `Store`, or any object with async claim / complete /
   * release.
   */
  store?: DedupeStore<C> | null;
  /** The store's namespace for this route (default: the preset's name, `verifier.provider`). Needs `store`. */
  namespace?: string | null;
  /**
   * Called with every refused delivery before it is answered: a `VerificationError`, or with a store a `StoreError`.
   * Never contains a secret. If it throws, Fastify's error handler answers instead. Each refusal is already logged,
   * one line, on `request.log` (info; a store outage warn) and under `NODE_DEBUG=hookseal`.
   */
  onError?: WebhookErrorHandler | null;
}

/**
 * A Router for the plugin: its handlers get `(event, request, reply)`. What an async handler resolves to is the
 * answer (nothing: 200 processed); a synchronous handler's value only when it is plain data, else it answers for
 * itself with `reply.send()`.
 */
export type FastifyRouter = Router<any, [FastifyRequest, FastifyReply], any>;

interface PluginBase<C extends ClaimResult> extends WebhookRouteOptions<C> {
  /** The verifier of the provider this route receives. Its `maxBodyBytes` is the body limit. */
  verifier: Verifier;
  /** The route's path, under the register's `prefix` (default '/'). The method is POST. */
  path?: string;
  prefix?: string;
}

/**
 * The plugin's options: the verifier, the path, and either a `router` (its one handler per event answers: what it
 * returns, `reply` after `reply.send()`, or nothing for 200 `{"status": "processed", ...}`; unhandled: 200 accepted or
 * 501 `unhandled_event`) or a `handler` (a Fastify handler; `request.webhook` is the event).
 */
export type WebhookPluginOptions<C extends ClaimResult = ClaimResult> = PluginBase<C> &
  ({ router: FastifyRouter; handler?: null } | { handler: RouteHandlerMethod; router?: null });

/** What `webhook` answers a refused delivery with: only the code. */
export interface ErrorBody {
  error: VerificationError['code'];
}

/**
 * The plugin: `app.register(webhook, { verifier, path, router | handler, store })` registers `POST <path>` in its
 * own encapsulation context, where (and only where) bodies are kept raw, and verifies each delivery first. A refused
 * delivery is answered `{"error": code}` with 401, 413 or 400 and never reaches the handler.
 */
export const webhook: FastifyPluginCallback<WebhookPluginOptions<any>>;

/**
 * A plugin keeping raw bodies (at most `verifier.maxBodyBytes`, or `bodyLimit`) in the scope that registers it (it is
 * not encapsulated, as if wrapped by fastify-plugin): for routes of your own with `webhookRoute()`. Register it in a
 * scope of its own: on the root instance no route of the app would parse JSON any more.
 */
export const rawBody: FastifyPluginCallback<{ verifier: Verifier; bodyLimit?: number } | { verifier?: Verifier; bodyLimit: number }>;

/**
 * Route options to spread into a webhook route's options, in a scope that keeps raw bodies. The hooks are arrays: a
 * hook of the route's own of the same kind replaces hookseal's, so merge them (`preValidation:
 * [...route.preValidation, mine]`, `preHandler: [mine, ...route.preHandler]`: hookseal's preHandler stays last).
 */
export interface WebhookRoute {
  bodyLimit: number;
  /**
   * Sets the Content-Type aside (Fastify would refuse a malformed one) while the raw body is read; it is put back
   * after the parser, or in onSend / onError / onResponse if no parser ran. Put preParsing hooks of yours first.
   */
  preParsing: preParsingAsyncHookHandler[];
  /**
   * Verifies the raw body and sets `request.webhook` and `request.body` (the event's data); refuses with `{"error":
   * code}`. Throws an Error (a 500) when a content-type parser already parsed the body.
   */
  preValidation: preValidationAsyncHookHandler[];
  /**
   * With a store, claims the key: after the body schema and the scope's preHandlers, so that a delivery they refuse
   * claims nothing. Throws an Error (a 500) when the route's preValidation replaced hookseal's (nothing verified).
   */
  preHandler: preHandlerAsyncHookHandler[];
  /**
   * With a store: settles the claim before the answer is written (completed only if the handler ran and did not
   * throw, below 500). Also puts back the Content-Type if no parser ran. Merge: `onSend: [...route.onSend, mine]`.
   */
  onSend: onSendAsyncHookHandler<unknown>[];
  /** Puts back the Content-Type for the error handler when no parser ran (a preParsing hook threw). */
  onError: onErrorHookHandler[];
  /** Puts back the Content-Type for the response log when no parser ran. */
  onResponse: onResponseHookHandler[];
}

/** The plugin's route options for a route of your own: `scope.post(path, webhookRoute(verifier, { store }), handler)`. */
export function webhookRoute<C extends ClaimResult = ClaimResult>(
  verifier: Verifier,
  options?: WebhookRouteOptions<C> | null,
): WebhookRoute;

/** The JSON body answering a refused delivery: `{ error: error.code }`. */
export function errorBody(error: VerificationError): ErrorBody;

/** The log line for a refused delivery, as every hookseal helper words it (the path without its query). */
export function refusalLine(provider: string, request: FastifyRequest, error: VerificationError | StoreError): string;

export type { Event, JsonValue };
