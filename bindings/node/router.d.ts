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

/**
 * What the handler of a wildcard pattern gets: for `prefix*` on a router bound to a provider, the union of its
 * catalog's events whose type starts with the prefix (the base Event if none does); for `*`, or without a provider,
 * the base Event (`*` also gets event types no catalog names, and a null type). An event type the catalog does not
 * name that a `prefix*` matches arrives typed as one of the documented ones: switch on `eventType` with a default.
 */
export type WildcardEvent<P, W extends string> = W extends '*'
  ? Event
  : W extends `${infer Prefix}*`
    ? [PrefixEvents<P, Prefix>] extends [never] ? Event : PrefixEvents<P, Prefix>
    : Event;

type PrefixEvents<P, Prefix extends string> = P extends keyof ProviderEvents
  ? { [K in keyof ProviderEvents[P]]: K extends `${Prefix}${string}` ? ProviderEvents[P][K] : never }[keyof ProviderEvents[P]]
  : never;

/**
 * Routes verified events to one handler each by event type: the exact pattern, else the longest `prefix*` the type
 * starts with, else `*`, else unhandled (`options.unhandled`). `Args` are what dispatch passes after the event (the
 * framework helpers: Express `(req, res)`, fetch `(request, ...rest)`), `Result` what handlers return.
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
