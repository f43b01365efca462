// Types for require('hookseal/fetch'): WHATWG `Request` / `Response` (Next.js route handlers, Hono, workers).

import type { Event, JsonValue, VerificationError, Verifier } from './index';

/**
 * Reads `request`'s body (at most `verifier.maxBodyBytes`), verifies it and returns the event. Rejects with
 * `VerificationError` for a refused delivery (`payload_too_large` for an oversize body, declared or streamed), and
 * with `TypeError` if the body was already read (`request.bodyUsed`).
 */
export function verifyRequest<Data = JsonValue>(verifier: Verifier, request: Request): Promise<Event<Data>>;

/** The answer to a refused delivery: `{"error": code}` as JSON with the code's HTTP status. */
export function errorResponse(error: VerificationError): Response;

export type { Event };
