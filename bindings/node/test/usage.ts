// A typed usage of the package, checked by `tsc --noEmit -p bindings/node/test/tsconfig.json` (make test):
// if index.d.ts, express.d.ts or fetch.d.ts drift from what users write, this stops compiling.
import { ConfigError, Verifier, VerificationError, sign, type Event } from 'hookseal';

interface OrderData {
  order_id: number;
  status: string;
}

const verifier = new Verifier('elmed', { secret: 'whsk_example', maxBodyBytes: 1 << 20, tolerance: 0 });
const body = Buffer.from('{"event":"order.status_changed","data":{"order_id":88,"status":"shipped"}}');
const headers: Record<string, string> = sign('elmed', body, { secret: 'whsk_example' });

const event: Event<OrderData> = verifier.verify<OrderData>(body, headers, { now: Date.now() / 1000 });
const orderId: number = event.data.order_id;
const key: string = event.idempotencyKey;
const type: string | null = event.eventType;
const source: 'event_id' | 'request_id' | 'webhook_id' | 'body_sha256' = event.idempotencyKeySource;
verifier.verify(body.toString('utf8'), new Headers(headers));
verifier.verify(new Uint8Array(body), Object.entries(headers), { now: new Date() });

try {
  new Verifier('novamed', { secret: 'k', clinicId: 'clinic-1' }).verify(body, { 'x-api-key': ['k'] });
} catch (error) {
  if (error instanceof VerificationError) {
    const status: number = error.httpStatus;
    const code: 'missing_header' | 'malformed_header' | 'signature_mismatch' | 'key_mismatch' | 'payload_too_large' |
      'invalid_json' | 'missing_field' | 'event_mismatch' | 'clinic_mismatch' | 'timestamp_out_of_tolerance' =
      error.code;
    console.log(status, code);
  } else if (error instanceof ConfigError) {
    console.log(error.code, error.detail);
  }
}

// @ts-expect-error: options are camelCase in JavaScript.
new Verifier('novamed', { secret: 'k', clinic_id: 'c' });
// @ts-expect-error: the event has no snake_case fields.
console.log(event.event_type);

console.log(orderId, key, type, source);

// The framework helpers' types.
import express from 'express';
import { keepRawBody, webhook } from 'hookseal/express';
import { errorResponse, verifyRequest } from 'hookseal/fetch';

const app = express();
app.post('/webhooks/elmed', webhook(verifier, { onError: (error) => console.log(error.code) }), (req, res) => {
  const delivered: Event | undefined = req.webhook;
  res.json({ key: delivered?.idempotencyKey });
});
app.post('/webhooks/kept', express.json({ verify: keepRawBody }), webhook(verifier));

export async function handler(request: Request): Promise<Response> {
  try {
    const delivered = await verifyRequest<OrderData>(verifier, request);
    return Response.json({ order: delivered.data.order_id });
  } catch (error) {
    if (error instanceof VerificationError) return errorResponse(error);
    throw error;
  }
}
