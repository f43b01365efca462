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

// The router and the typed events, from the main entry as in the napi package: a worker's handlers get the event of
// their pattern, narrowed, and a field of another event's data does not compile.
import { Router, UnhandledEventError, EVENT_TYPES, type Elmed, type Novamed, type NovamedEvent, type Open } from '../pkg-web/index.js';

const novamedEvents = new Router({ provider: 'novamed' })
  .on('order:shipped', (event) => {
    const tracking: string | undefined = event.data.tracking_number;
    const zip: string | undefined = event.data.shipping_address?.zip;
    // @ts-expect-error: practitioner_id is medication_request:approved's, not order:shipped's.
    console.log(event.data.practitioner_id);
    return Response.json({ tracking, zip, clinic: event.clinicId });
  })
  .on('medication_request:*', (event) => {
    const type: `medication_request:${string}` = event.eventType;
    // @ts-expect-error: not only the catalog's four: a medication_request:* type NovaMed adds later matches too.
    const documented: NovamedEvent['eventType'] = event.eventType;
    console.log(documented);
    if (event.eventType === 'medication_request:approved') return Response.json({ refills: event.data.refills });
    return Response.json({ type });
  })
  .on('*', (event) => new Response(event.eventType ?? 'untyped', { status: 202 }));
// @ts-expect-error: a handler for order:shipped gets an OrderShipped.
novamedEvents.on('order:shipped', (event: Novamed.MedicationRequestApproved) => Response.json(event.data.refills));
// @ts-expect-error: EVENT_TYPES is read-only.
EVENT_TYPES.novamed.push('order:returned');

export const routed = {
  async fetch(request: Request, env: { SECRET: string; HOOKSEAL_WASM?: WebAssembly.Module }): Promise<Response> {
    await init(env.HOOKSEAL_WASM);
    return webhookHandler(new Verifier('novamed', { secret: env.SECRET }), novamedEvents, { store: new Store('memory:') })(request);
  },
};

export function narrow(event: NovamedEvent): string | undefined {
  if (event.eventType !== 'order:shipped') return undefined;
  const extra: unknown = (event.data as Open<Novamed.OrderShippedData>).signature_required;
  console.log(extra);
  try {
    new Router({ provider: 'elmed', unhandled: 'reject' }).dispatch(event);
  } catch (error) {
    if (error instanceof UnhandledEventError) return error.eventType ?? undefined;
    if (error instanceof ConfigError) return error.code;
  }
  const issued = {} as Elmed.PrescriptionIssued;
  return issued.data.prescription_number;
}

// verifyAsync (the WASM build's own): the same event as verify, large bodies hashed by WebCrypto.
export async function large(request: Request, secret: string): Promise<number> {
  const verifier = new Verifier('elmed', { secret });
  const event: Event<OrderData> = await verifier.verifyAsync<OrderData>(await request.arrayBuffer(), request.headers);
  const again: Promise<Event> = verifier.verifyAsync('{}', [['x-elmed-signature', 'sha256=00']], { now: 0 });
  // @ts-expect-error: verifyAsync() takes only `now`, as verify() does
  await verifier.verifyAsync('{}', {}, { tolerance: 5 });
  return event.data.order_id + (await again).isTest.toString().length;
}
