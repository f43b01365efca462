// A typed usage of pkg-web as a browser or worker (no Node types: `types` is empty), checked by
// `tsc --noEmit -p bindings/wasm/test/tsconfig.json` (make test-wasm): pkg-web's declarations are the napi
// package's plus init()/initSync(); if they drift from what a worker writes, this stops compiling.
import init, { initSync, ConfigError, Store, StoreError, Verifier, VerificationError, sign, type DedupeStore, type Event } from '../pkg-web/index.js';
import { verifyRequest, errorResponse, webhookHandler } from '../pkg-web/fetch.js';

interface OrderData {
  order_id: number;
}

export default {
  async fetch(request: Request, env: { SECRET: string; HOOKSEAL_WASM?: WebAssembly.Module }): Promise<Response> {
    await init(env.HOOKSEAL_WASM);
    const verifier = new Verifier('elmed', { secret: env.SECRET, tolerance: 0 });
    try {
      const event: Event<OrderData> = await verifyRequest<OrderData>(verifier, request);
      const id: number = event.data.order_id;
      return new Response(JSON.stringify({ id, key: event.idempotencyKey }));
    } catch (error) {
      if (error instanceof VerificationError) return errorResponse(error);
      throw error;
    }
  },
};

export function offline(bytes: ArrayBuffer): string | null {
  initSync(bytes);
  const body = new TextEncoder().encode('{"event":"order.status_changed","data":{"order_id":88}}');
  const headers: Record<string, string> = sign('elmed', body, { secret: 'whsk_example' });
  const verifier = new Verifier('elmed', { secret: 'whsk_example' });
  verifier.verify(body.buffer, new Headers(headers), { now: new Date() });
  const event = verifier.verify<OrderData>('{"event":"x","data":{"order_id":1}}', Object.entries(headers));
  try {
    new Verifier('nope');
  } catch (error) {
    if (error instanceof ConfigError) return error.code;
  }
  // @ts-expect-error: verify() takes only `now`
  verifier.verify(body, headers, { tolerance: 5 });
  return event.eventType;
}

// Exactly once in a worker: the isolate's memory store, or a binding with async claim / complete / release.
let isolateStore: Store | null = null;

export const once = {
  async fetch(request: Request, env: { SECRET: string; DEDUPE?: DedupeStore; HOOKSEAL_WASM?: WebAssembly.Module }): Promise<Response> {
    await init(env.HOOKSEAL_WASM);
    isolateStore ??= new Store('memory:?lease=30');
    const handle = webhookHandler<OrderData>(
      new Verifier('elmed', { secret: env.SECRET }),
      async (event) => Response.json({ id: event.data.order_id }),
      { store: env.DEDUPE ?? isolateStore, onError: (error) => console.warn(error instanceof StoreError ? 'store down' : error.code) },
    );
    return handle(request);
  },
};
