// Types for require('hookseal') (../shared/API.md). test/usage.ts is checked against them with `tsc --noEmit`.

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

/** A delivery that passed verification (../shared/PROVIDERS.md, "The verified event"). */
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
  /** 401 (not genuine), 413 (too large), 400 (refused), 500 (configuration). */
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

/** The headers a real delivery of `body` carries, signed with the first secret. */
export function sign(provider: Provider | (string & {}), body: Body, options?: SignOptions | null): Record<string, string>;
