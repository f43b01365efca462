// Types for hookseal's Router (exported by require('hookseal'); router.js). A router bound to a provider types each
// handler's event from the catalog (events.d.ts): `on('order.status_changed', (event) => event.data.order_id)`.

import type { Event, HooksealError, Provider } from './index';
import type { ProviderEvents } from './events';

export interface RouterOptions<P extends Provider | undefined = Provider | undefined> {
  /**
   * The preset this router routes events of: exact patterns are checked against its catalog (an unknown one is a
   * warning, once: providers add events), handlers are typed from it, and an event of another provider is refused
   * (`ConfigError('invalid_option')`). Without it, any provider's events, typed as the base Event.
   */
  provider?: P;
  /**
   * What an event no pattern matches gets: `accept` (default: dispatch returns the `UnhandledAnswer`, which the
   * framework helpers answer 200, and the claim is completed) or `reject` (dispatch throws `UnhandledEventError`,
   * answered 501 `{"error": "unhandled_event"}` with the claim released, so the provider retries).
   */
  unhandled?: 'accept' | 'reject' | null;
}

/** What `dispatch` returns for an event no pattern matches, with `unhandled: 'accept'` (a wire answer: snake_case). */
export interface UnhandledAnswer {
  status: 'unhandled';
  event_type: string | null;
  idempotency_key: string;
}

/** No pattern matches the event, and the router rejects unhandled events: answer 501, release the claim. */
export class UnhandledEventError extends HooksealError {
  readonly code: 'unhandled_event';
  /** The event's type (null: a Standard Webhooks body without `type`). */
  readonly eventType: string | null;
  readonly idempotencyKey: string;
  constructor(message: string, eventType: string | null, idempotencyKey: string);
}

/** The event types the catalog of `P` names (none without a provider, or for Standard Webhooks). */
export type EventTypeOf<P> = P extends keyof ProviderEvents ? keyof ProviderEvents[P] & string : never;

/** The typed event of type `K` of preset `P`. */
export type EventOf<P, K> = P extends keyof ProviderEvents
  ? K extends keyof ProviderEvents[P] ? ProviderEvents[P][K] : Event
  : Event;

/** A wildcard pattern: `prefix*`, or `*` for every event. */
export type Wildcard = `${string}*`;

declare const undocumented: unique symbol;

/**
 * The type of an event a `prefix*` handler gets that its provider's catalog does not name (providers add events): a
 * string starting with the prefix. Branded, so that comparing `eventType` with a documented type narrows the
 * handler's event to that event (the undocumented member drops out); the brand exists only in the types. To compare
 * it with a type the catalog does not name, widen it first (`(event.eventType as string) === 'claim.appealed'`), or
 * register that type as an exact pattern (its handler gets the base Event).
 */
export type UndocumentedEventType<Prefix extends string> = `${Prefix}${string}` & { readonly [undocumented]: true };

/** An event the catalog does not name whose type starts with `Prefix`: the base Event, its data any JSON. */
export type UndocumentedEvent<Prefix extends string> = Event & { eventType: UndocumentedEventType<Prefix> };

/**
 * What the handler of a wildcard pattern gets. For `prefix*` on a router bound to a provider: the union of its
 * catalog's events whose type starts with the prefix AND `UndocumentedEvent<prefix>`, an event type the provider adds
 * later that the pattern matches too. So the handler checks `eventType` (`if`, or `switch` whose `default` gets the
 * undocumented ones) before it reads a documented event's fields. With no documented type under the prefix, or
 * without a provider (or for Standard Webhooks): the base Event with a type starting with the prefix. For `*`: the
 * base Event (`*` also gets event types no catalog names, and a null type).
 */
export type WildcardEvent<P, W extends string> = W extends '*'
  ? Event
  : W extends `${infer Prefix}*`
    ? [PrefixEvents<P, Prefix>] extends [never]
      ? Event & { eventType: `${Prefix}${string}` }
      : PrefixEvents<P, Prefix> | UndocumentedEvent<Prefix>
    : Event;

type PrefixEvents<P, Prefix extends string> = P extends keyof ProviderEvents
  ? { [K in keyof ProviderEvents[P]]: K extends `${Prefix}${string}` ? ProviderEvents[P][K] : never }[keyof ProviderEvents[P]]
  : never;

/**
 * Routes verified events to one handler each by event type: the exact pattern, else the longest `prefix*` the type
 * starts with, else `*`, else unhandled (`options.unhandled`). `Args` are what dispatch passes after the event (the
 * framework helpers: Express `(req, res)`, fetch `(request, ...rest)`), `Result` what handlers return (`any` unless
 * given, which checks nothing: `Router<'elmed', [Request], RoutedResult>` makes tsc check a fetch router's returns).
 *
 * What a handler returns, under the framework helpers (so that no delivery is left unanswered, its key claimed until
 * the lease runs out):
 * - Express (`webhook(verifier, { router })`): a synchronous handler that returns anything but plain data (undefined,
 *   `res`, a Timeout) answers with `res` itself, now or later from a callback, as a route handler does. Once a
 *   handler returned plain data (an object literal, an array), or its Promise resolved, and it has not answered
 *   (`!res.headersSent`): `res.json(value)`, or, for a Promise that
 *   resolved to undefined (or `res`), 200 `{"status": "processed", "event_type": ..., "idempotency_key": ...}`
 *   (event_type null for a body without a type).
 * - fetch (`webhookHandler(verifier, router)`): a Response as is; undefined, 200 with that processed body; any other
 *   value, 200 as JSON (`Response.json(value)`).
 */
export class Router<P extends Provider | undefined = undefined, Args extends unknown[] = any[], Result = any> {
  constructor(options?: RouterOptions<P> | null);
  /** The preset, or null for a router of any provider's events. */
  readonly provider: P extends Provider ? P : null;
  readonly unhandled: 'accept' | 'reject';
  /** The patterns, in registration order (a copy). */
  readonly patterns: string[];
  /**
   * Registers `handler` for an event type its provider's catalog names (or a non-empty array of them): the handler's
   * event is that event, typed. Returns the router. Invalid or already registered: `ConfigError('invalid_option')`.
   */
  on<K extends EventTypeOf<P>>(type: K | readonly K[], handler: (event: EventOf<P, K>, ...rest: Args) => Result): this;
  /** Registers `handler` for `prefix*` (every type starting with prefix) or `*` (every event, a null type too). */
  on<W extends Wildcard>(pattern: W | readonly W[], handler: (event: WildcardEvent<P, W>, ...rest: Args) => Result): this;
  /** Registers `handler` for any patterns (an event type the catalog does not name: the base Event). */
  on(patterns: string | readonly string[], handler: (event: Event, ...rest: Args) => Result): this;
  /** The pattern whose handler an event of this type goes to, or null (unhandled). */
  match(eventType: string | null): string | null;
  /**
   * Runs the one handler for `event` and returns what it returns (a Promise as is); unhandled: the `UnhandledAnswer`
   * (`accept`), or throws `UnhandledEventError` (`reject`). An event of another provider: `ConfigError`.
   */
  dispatch(event: Event, ...rest: Args): Result | UnhandledAnswer;
  toJSON(): { provider: P extends Provider ? P : null; unhandled: 'accept' | 'reject'; patterns: string[] };
}
