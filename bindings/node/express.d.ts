// Types for require('hookseal/express').

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Event, VerificationError, Verifier } from './index';

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

export interface WebhookOptions {
  /**
   * Called with every refused delivery before the answer is sent (to log or count refusals). The error's `detail`
   * says why and never contains a secret. If it throws, the error goes to `next(error)` instead of the answer.
   */
  onError?: ((error: VerificationError, req: import('express').Request) => void) | null;
}

/** What `webhook()` answers a refused delivery with: only the code. */
export interface ErrorBody {
  error: VerificationError['code'];
}

/**
 * Express middleware: reads the raw body (at most `verifier.maxBodyBytes`), verifies it and sets `req.webhook`;
 * a refused delivery is answered `{"error": code}` with 401, 413 or 400 and never reaches the next handler.
 */
export function webhook(verifier: Verifier, options?: WebhookOptions | null): import('express').RequestHandler;

/** A `verify` hook for `express.json({ verify: keepRawBody })`: keeps the exact bytes in `req.rawBody`. */
export function keepRawBody(req: IncomingMessage, res: ServerResponse, buf: Buffer, encoding?: string): void;

/** The JSON body answering a refused delivery: `{ error: error.code }`. */
export function errorBody(error: VerificationError): ErrorBody;

export type { Event };
