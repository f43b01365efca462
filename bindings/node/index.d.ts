// Types for require('hookseal') (docs/api.md). test/usage.ts and test/types/ are checked against them with
// `tsc --noEmit`.

// The typed events of every provider's catalog (generated: events.d.ts) and the router (router.d.ts).
export * from './events';
export * from './router';

/** Any JSON value, as `JSON.parse` returns it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type Provider = 'elmed' | 'baremeds' | 'novamed' | 'standard-webhooks' | 'custom';

/** Constructor options (camelCase). An unknown option or a value of the wrong type is `ConfigError('invalid_option')`. */
export interface VerifierOptions {
  /** The secret or shared key. */
  secret?: string | null;
  /** Several secrets, any of which may sign (rotation: newest first). */
  secrets?: readonly string[] | null;
  /** NovaMed: the clinic every delivery must be for. */
  clinicId?: string | null;
  /** Baremeds: accept the documented default key `xxx`. */
  allowInsecureDefault?: boolean | null;
  /** `custom`: `hmac-sha256`, `shared-key` or `standard-webhooks`. */
  scheme?: 'hmac-sha256' | 'shared-key' | 'standard-webhooks' | null;
  /** `custom`: the signature or key header. */
  header?: string | null;
  /** `custom` `hmac-sha256`: the signature prefix, e.g. `sha256=`. */
  prefix?: string | null;
  /** `custom` `hmac-sha256`: `hex` (default) or `base64`. */
  encoding?: 'hex' | 'base64' | null;
  /** The replay window in seconds; 0 turns it off. */
  tolerance?: number | null;
  /** The body size limit in bytes (default 1 MiB). */
  maxBodyBytes?: number | null;
}

export interface SignOptions extends VerifierOptions {
  /** Standard Webhooks: the time for `webhook-timestamp`, Unix seconds or a Date (default: now). */
  now?: number | Date | null;
  /** Standard Webhooks: the `webhook-id` (default: derived from the timestamp and the body). */
  webhookId?: string | null;
}

export interface VerifyOptions {
  /** The clock for the replay window: Unix seconds (fractions rounded down) or a Date. Default: the system clock. */
  now?: number | Date | null;
}

/** A raw body: a string is hashed as its UTF-8 bytes, which only matches if it was never decoded and re-encoded. */
export type Body = Uint8Array | ArrayBuffer | ArrayBufferView | string;

/** Node's `req.headers` (array values for repeated headers), a WHATWG `Headers`, a `Map`, or `[name, value]` pairs. */
export type Headers =
  | Record<string, string | readonly string[] | undefined>
  | globalThis.Headers
  | ReadonlyMap<string, string | readonly string[]>
  | ReadonlyArray<readonly [string, string]>;

/** A delivery that passed verification (docs/providers.md, "The verified event"). */
export interface Event<Data = JsonValue> {
  provider: Provider;
  /** Null only for a Standard Webhooks body without `type`. */
  eventType: string | null;
  /** The same for every retry of one event: deduplicate by it. */
  idempotencyKey: string;
  idempotencyKeySource: 'event_id' | 'request_id' | 'webhook_id' | 'body_sha256';
  /** The envelope's timestamp as sent (a number as its text), or null. */
  timestamp: string | null;
  /** The envelope's `data` (or the whole body), keys as sent. */
  data: Data;
  /** `X-Webhook-Test: true` (unsigned: route test traffic with it, decide nothing else). */
  isTest: boolean;
  isRetry: boolean;
  /** Baremeds' `metadata` (its `webhook_key` shown as "[redacted]"), else null. */
  metadata: { [key: string]: JsonValue } | null;
  /** NovaMed's `clinic_id`, else null. */
  clinicId: string | null;
}

export type ErrorCode =
  | 'missing_header'
  | 'malformed_header'
  | 'signature_mismatch'
  | 'key_mismatch'
  | 'payload_too_large'
  | 'invalid_json'
  | 'missing_field'
  | 'event_mismatch'
  | 'clinic_mismatch'
  | 'timestamp_out_of_tolerance';

export type ConfigErrorCode = 'invalid_secret' | 'insecure_default_key' | 'unknown_provider' | 'invalid_option';

export class HooksealError extends Error {
  /** The contract's error code: the same string in every language. */
  readonly code: string;
  /** What went wrong, for logs; never contains a secret. `message` is `"<code>: <detail>"`. */
  readonly detail: string;
  /** 401 (not genuine), 413 (too large), 400 (refused), 503 (store unavailable), 500 (configuration). */
  readonly httpStatus: number;
  constructor(code: string, message: string, httpStatus?: number);
}

export class VerificationError extends HooksealError {
  readonly code: ErrorCode;
}

export class ConfigError extends HooksealError {
  readonly code: ConfigErrorCode;
}

export class Verifier {
  constructor(provider: Provider | (string & {}), options?: VerifierOptions | null);
  /** The preset's name. */
  readonly provider: Provider;
  /** The body size limit in bytes. */
  readonly maxBodyBytes: number;
  /** Verifies one delivery; throws `VerificationError`. */
  verify<Data = JsonValue>(body: Body, headers: Headers, options?: VerifyOptions | null): Event<Data>;
  toJSON(): { provider: Provider; maxBodyBytes: number };
}

/** `verify()`'s options: the verifier's, plus the clock. */
export interface OneCallVerifyOptions extends VerifierOptions, VerifyOptions {}

/**
 * One call, for scripts and tests (as Stripe's `constructEvent`): `new Verifier(provider, options).verify(body,
 * headers, { now })`, with the verifier taken from a per-process cache of the last 32 configurations (keyed by the
 * provider and the options, secrets included, never shown; `now` is not part of the key). Throws `ConfigError` for
 * options that cannot build a verifier (on every call: those are not cached), `VerificationError` for a refusal. A
 * server builds its `Verifier` once instead.
 */
export function verify<Data = JsonValue>(
  provider: Provider | (string & {}),
  body: Body,
  headers: Headers,
  options?: OneCallVerifyOptions | null,
): Event<Data>;

/** The headers a real delivery of `body` carries, signed with the first secret. */
export function sign(provider: Provider | (string & {}), body: Body, options?: SignOptions | null): Record<string, string>;

// ---------------------------------------------------------------------------------------------------------------
// Exactly once (docs/exactly-once.md): the dedupe store.

/** The dedupe store cannot be reached: neither process nor acknowledge the delivery (answer 503; the provider retries). */
export class StoreError extends HooksealError {
  readonly code: 'store_unavailable';
}

/** What a claim found: `claimed` (this worker processes the event), `duplicate` (done before), `in_progress`. */
export type ClaimStatus = 'claimed' | 'duplicate' | 'in_progress';

/** A claim as the framework helpers read it: what `claim` of any store (hookseal's, or an app's own) resolves to. */
export interface ClaimResult {
  readonly status: ClaimStatus;
  /** For `in_progress`: the seconds left on the other worker's lease (at least 1), the answer's Retry-After. */
  readonly retryAfter?: number | null;
}

/**
 * What the framework helpers take as `store`: hookseal's `Store`, or an app's own object (over a Durable Object, KV,
 * a database) with these async methods. `claim` must be atomic: two workers never both get `claimed`.
 */
export interface DedupeStore<C extends ClaimResult = ClaimResult> {
  claim(namespace: string, key: string): Promise<C>;
  /** Marks the claimed key done; resolves to whether the claim still held it. */
  complete(claim: C): Promise<boolean>;
  /** Forgets the claimed key (the handler failed); resolves to whether the claim still held it. */
  release(claim: C): Promise<boolean>;
}

/** The result of `Store.claim`. Only a `claimed` one can be completed or released. */
export class Claim implements ClaimResult {
  private constructor();
  readonly status: ClaimStatus;
  /** For `in_progress`: the seconds left on the other worker's lease (at least 1); else null. */
  readonly retryAfter: number | null;
  readonly namespace: string;
}

/** `new Store(url, options)`: seconds, fractions allowed. Giving one both here and in the URL is `invalid_option`. */
export interface StoreOptions {
  /** How long a claim holds its key before another worker may take it over (default 60). */
  lease?: number | null;
  /** How long a processed key is remembered (default 7 days). */
  retention?: number | null;
}

/**
 * A dedupe store opened from a URL: `memory:`, `sqlite:///absolute/path.db`, `sqlite://relative.db`,
 * `redis://[user:password@]host:port/db`, `rediss://...` (optionally `?lease=S&retention=S`). A malformed URL is
 * `ConfigError('invalid_option')`; the file or server is reached on first use. Every call is async and runs off the
 * JavaScript thread.
 */
export class Store implements DedupeStore<Claim> {
  constructor(url: string, options?: StoreOptions | null);
  readonly backend: 'memory' | 'sqlite' | 'redis';
  /** The URL with any password replaced by `***`. */
  readonly url: string;
  /** Seconds. */
  readonly lease: number;
  /** Seconds. */
  readonly retention: number;
  /**
   * Claims `key` (a string, or bytes) in `namespace` (1 to 64 of `A-Z a-z 0-9 . _ : -`). Rejects with `StoreError`
   * when the store cannot be reached, `ConfigError` for a bad namespace.
   */
  claim(namespace: string, key: string | Uint8Array | ArrayBuffer | ArrayBufferView): Promise<Claim>;
  /** Marks a `claimed` claim's key done; false if the claim no longer held it (its lease ran out). */
  complete(claim: Claim): Promise<boolean>;
  /** Forgets a `claimed` claim's key, so the provider's retry is processed; false if the claim no longer held it. */
  release(claim: Claim): Promise<boolean>;
  toJSON(): { backend: 'memory' | 'sqlite' | 'redis'; url: string; lease: number; retention: number };
}
