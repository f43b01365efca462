// A typed usage of the package, checked by `tsc --noEmit -p bindings/node/test/tsconfig.json` (make test):
// if index.d.ts, express.d.ts or fetch.d.ts drift from what users write, this stops compiling.
import { ConfigError, Verifier, VerificationError, sign, verify, type Event } from 'hookseal';

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

// One call: the verifier's options plus the clock.
const once: Event<OrderData> = verify<OrderData>('elmed', body, headers, { secret: 'whsk_example', now: new Date() });
console.log(once.data.status, verify('novamed', body, { 'x-api-key': 'k' }, { secret: 'k', clinicId: 'c' }).clinicId);
// @ts-expect-error: options are camelCase in JavaScript.
verify('elmed', body, headers, { secret: 'k', max_body_bytes: 5 });

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

// Exactly once: the store, the helpers with a store, and an app's own store (the duck type).
import { Claim, Store, StoreError, type ClaimResult, type DedupeStore } from 'hookseal';
import { webhookHandler } from 'hookseal/fetch';

const store = new Store('sqlite:///tmp/hookseal-usage.db', { lease: 30, retention: 86_400 });
const backend: 'memory' | 'sqlite' | 'redis' = store.backend;
const redacted: string = store.url;
const seconds: number = store.lease + store.retention;
// @ts-expect-error: options are lease and retention only.
new Store('memory:', { ttl: 5 });

export async function processOnce(key: string): Promise<boolean> {
  let claim: Claim;
  try {
    claim = await store.claim('elmed', key);
  } catch (error) {
    if (error instanceof StoreError) {
      const code: 'store_unavailable' = error.code;
      console.log(code, error.httpStatus);
      return false;
    }
    throw error;
  }
  if (claim.status === 'in_progress') {
    const retryAfter: number | null = claim.retryAfter;
    console.log(retryAfter);
    return false;
  }
  if (claim.status === 'duplicate') return true;
  const namespace: string = claim.namespace;
  console.log(namespace, backend, redacted, seconds);
  await store.claim('elmed', Buffer.from(key));
  return (await store.complete(claim)) || (await store.release(claim));
}

interface KvClaim extends ClaimResult {
  name: string;
  token: string;
}
const own: DedupeStore<KvClaim> = {
  async claim(namespace, key) {
    return { status: 'claimed', retryAfter: null, name: `${namespace}:${key}`, token: 't' };
  },
  async complete(claim) {
    return claim.token === 't';
  },
  async release(claim) {
    return claim.name.length > 0;
  },
};

app.post('/webhooks/once', webhook(verifier, { store, namespace: 'elmed.main', onError: (error) => console.log(error.code) }),
  (req, res) => res.json({ key: req.webhook?.idempotencyKey }));
app.post('/webhooks/own', webhook(verifier, { store: own }), (req, res) => res.json({}));
// A refusal logger written before stores existed still type-checks.
const logRefusal = (error: VerificationError, req: express.Request) => console.log(error.code, req.path);
app.post('/webhooks/logged', webhook(verifier, { onError: logRefusal }), (req, res) => res.json({}));

interface Env {
  region: string;
}
export const onceHandler: (request: Request, env: Env) => Promise<Response> = webhookHandler<OrderData, [Env]>(
  verifier,
  async (event, request, env) => Response.json({ order: event.data.order_id, region: env.region, url: request.url }),
  { store: own, onError: (error, request) => console.log(error.code, request.url) },
);
webhookHandler(verifier, (event) => new Response(event.idempotencyKey));
// @ts-expect-error: the handler returns a Response.
webhookHandler(verifier, () => 'processed');
// @ts-expect-error: a store has claim, complete and release.
webhook(verifier, { store: { claim: async () => ({ status: 'claimed' as const }) } });
