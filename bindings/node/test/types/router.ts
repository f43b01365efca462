// The typed events (events.d.ts, generated from the catalog) and the Router's narrowing (router.d.ts), checked by
// `tsc --noEmit -p bindings/node/test/tsconfig.json` (make test-node). Each `@ts-expect-error` line must stay an
// error: tsc fails on one that compiles (a type that stopped catching the mistake).
import {
  EVENT_TYPES, Router, UnhandledEventError, ConfigError, Verifier,
  type Baremeds, type BaremedsEvent, type Elmed, type ElmedEvent, type ElmedEvents, type Event, type JsonValue,
  type Novamed, type Open, type Provider, type ProviderEvents, type UnhandledAnswer,
} from 'hookseal';
import express from 'express';
import { webhook } from 'hookseal/express';
import { webhookHandler, type RoutedResult } from 'hookseal/fetch';

// ProviderEvents is keyed by every preset, and by nothing else.
const presets: (keyof ProviderEvents)[] = ['elmed', 'baremeds', 'novamed', 'custom', 'standard-webhooks'];
const provider: Provider = presets[0];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const samePresets: Same<keyof ProviderEvents, Provider> = true;
const elmedTypes: readonly ElmedEvent['eventType'][] = EVENT_TYPES.elmed;
console.log(provider, samePresets, elmedTypes);

// ---------------------------------------------------------------------------------------------------------------
// The union narrows by eventType, and a field of ANOTHER event's data does not compile after narrowing.

declare const verified: ElmedEvent;
if (verified.eventType === 'order.status_changed') {
  const status: string | undefined = verified.data.status;
  const orderId: number | undefined = verified.data.order_id;
  // @ts-expect-error: prescription_number is prescription.issued's, not order.status_changed's.
  console.log(verified.data.prescription_number);
  // @ts-expect-error: a documented field keeps its type (order_id is a number).
  const wrong: string = verified.data.order_id;
  // @ts-expect-error: optional in the catalog: possibly undefined.
  const sure: string = verified.data.status;
  // A field the catalog does not name: read through Open<>, on purpose.
  const extra: unknown = (verified.data as Open<Elmed.OrderStatusChangedData>).eta;
  const stillTyped: number | undefined = (verified.data as Open<Elmed.OrderStatusChangedData>).order_id;
  console.log(status, orderId, wrong, sure, extra, stillTyped);
} else if (verified.eventType === 'referral.created') {
  // No payload in the document: open data.
  const anything: unknown = verified.data.whatever;
  console.log(anything);
}
// @ts-expect-error: before narrowing, data is any of the six: no common order_id.
console.log(verified.data.order_id);
// @ts-expect-error: not an event type of the catalog's union.
if (verified.eventType === 'order.status_change') console.log('never');
const byMap: ElmedEvents['claim.decision'] = {} as Elmed.ClaimDecision;
const rejection: string | null | undefined = byMap.data.rejection_reason;
console.log(rejection);

// Baremeds: required and nullable fields, shared sub-objects, typed metadata.
declare const baremeds: BaremedsEvent;
if (baremeds.eventType === 'prescription_submitted') {
  const orderNumber: string | null = baremeds.data.order_number; // required, nullable
  const medication: Baremeds.Medication = baremeds.data.medication[0];
  const quantity: number = medication.quantity;
  const rx: string | null = medication.rx_order_id;
  const requestId: string | undefined = baremeds.metadata?.request_id;
  const unnamed: unknown = (baremeds.metadata as Open<Baremeds.Metadata> | null)?.new_field;
  // @ts-expect-error: nullable: not a plain string.
  const notNull: string = baremeds.data.order_number;
  // @ts-expect-error: metadata may be null.
  console.log(baremeds.metadata.source);
  console.log(orderNumber, quantity, rx, requestId, unnamed, notNull);
}

// Every typed event is still an Event: what verify() returns, and what the helpers hand over.
const asBase: Event = {} as Novamed.OrderShipped;
const address: Novamed.ShippingAddress | undefined = ({} as Novamed.OrderShipped).data.shipping_address;
console.log(asBase, address?.zip);

// ---------------------------------------------------------------------------------------------------------------
// The Router: a handler's event is narrowed by its pattern.

const router = new Router({ provider: 'elmed', unhandled: 'reject' })
  .on('order.status_changed', (event) => {
    const type: 'order.status_changed' = event.eventType;
    const orderId: number | undefined = event.data.order_id;
    // @ts-expect-error: another event's field.
    console.log(event.data.prescription_number);
    console.log(type, orderId);
  })
  .on(['prescription.issued', 'prescription.dispensed'], (event) => {
    const type: 'prescription.issued' | 'prescription.dispensed' = event.eventType;
    if (event.eventType === 'prescription.issued') console.log(event.data.prescription_number);
    else console.log(event.data.pharmacy_id);
    // @ts-expect-error: only prescription.issued has it: narrow first.
    console.log(event.data.prescription_number);
    console.log(type);
  })
  .on('claim.*', (event) => {
    // A prefix: the catalog's events it matches, and an event type ELMED adds later that it matches too.
    // @ts-expect-error: it may be a claim.* type the catalog does not name yet: check eventType first.
    const unchecked: Elmed.ClaimDecision = event;
    // @ts-expect-error: the same: no documented field before the check.
    console.log(event.data.amount_approved);
    if (event.eventType === 'claim.decision') {
      const decision: Elmed.ClaimDecision = event; // checked: the documented event
      console.log(decision.data.amount_approved, event.data.claim_id);
    } else {
      // Not claim.decision: a claim.* type the catalog does not name, its data any JSON.
      const later: `claim.${string}` = event.eventType;
      const data: JsonValue = event.data;
      // @ts-expect-error: its data is not typed as claim.decision's.
      console.log(event.data.amount_approved);
      console.log(later, data);
    }
    switch (event.eventType) {
      case 'claim.decision':
        console.log(event.data.amount_approved);
        break;
      default: {
        const base: Event = event;
        console.log(base.eventType);
      }
    }
    // Comparing with a type the catalog does not name: widen first (or register it as an exact pattern).
    if ((event.eventType as string) === 'claim.appealed') console.log(event.idempotencyKey);
    console.log(unchecked);
  })
  .on('*', (event) => {
    // Everything, null types and types no catalog names too: the base Event.
    const type: string | null = event.eventType;
    // @ts-expect-error: the catch-all's event is not narrowed.
    const narrowed: ElmedEvent = event;
    console.log(type, narrowed);
  });
const patterns: string[] = router.patterns;
const mode: 'accept' | 'reject' = router.unhandled;
const bound: 'elmed' = router.provider;
const answer: unknown = router.dispatch({} as Event);
console.log(patterns, mode, bound, answer, router.match('order.status_changed'));

// A handler written for the wrong event.
// @ts-expect-error: order.status_changed's handler gets an OrderStatusChanged, not a PrescriptionIssued.
router.on('order.status_changed', (event: Elmed.PrescriptionIssued) => console.log(event.data.prescription_number));
// @ts-expect-error: an event type the catalog does not name (a typo) gets the base Event: no typed data.
router.on('order.status_change', (event) => console.log(event.data.order_id));
// @ts-expect-error: another provider's event type is not one of elmed's: the base Event.
router.on('order_changed', (event: Baremeds.OrderChanged) => console.log(event.data.status));
// @ts-expect-error: a pattern is a string.
router.on(5, () => undefined);
// @ts-expect-error: a handler is a function.
router.on('claim.decision', 'handler');
// @ts-expect-error: unhandled is accept or reject.
new Router({ unhandled: 'ignore' });
// @ts-expect-error: a preset name.
new Router({ provider: 'stripe' });
// @ts-expect-error: options are provider and unhandled.
new Router({ provider: 'elmed', mode: 'reject' });

// Without a provider: any provider's events, the base Event; null provider.
const any = new Router().on('order.status_changed', (event) => {
  const data: JsonValue = event.data;
  console.log(data);
});
const none: null = any.provider;
console.log(none);

// Standard Webhooks has no catalog: every pattern gets the base Event.
new Router({ provider: 'standard-webhooks' }).on('invoice.paid', (event) => console.log(event.eventType));
// The Management API (preset custom): its catalog's events, open data.
new Router({ provider: 'custom' }).on('pharmacy_order_created', (event) => {
  const type: 'pharmacy_order_created' = event.eventType;
  const data: Record<string, unknown> = event.data;
  console.log(type, data);
});
// NovaMed's prefixes: order:* is the five order events, and any order:* type NovaMed adds later.
new Router({ provider: 'novamed' }).on('order:*', (event) => {
  // @ts-expect-error: not only the five documented types: one NovaMed adds later matches order:* too.
  const documented: 'order:created' | 'order:processing' | 'order:shipped' | 'order:delivered' | 'order:cancelled' = event.eventType;
  const type: `order:${string}` = event.eventType;
  if (event.eventType === 'order:shipped') console.log(event.data.tracking_number, event.clinicId);
  // @ts-expect-error: order:shipped's field, before the check.
  console.log(event.data.tracking_number);
  console.log(documented, type);
});
// A prefix no catalog type starts with, or a router without a provider: the base Event, its type starting with it.
new Router({ provider: 'elmed' }).on('invoice.*', (event) => {
  const type: `invoice.${string}` = event.eventType;
  const data: JsonValue = event.data;
  if (event.eventType === 'invoice.paid') console.log(type, data);
});
new Router().on('order.*', (event) => {
  const type: `order.${string}` = event.eventType;
  // @ts-expect-error: no provider: the base Event, no typed data.
  console.log(event.data.order_id, type);
});

// Handlers' extra arguments and return type, typed by the router's parameters.
const typed = new Router<'elmed', [string], number>({ provider: 'elmed' })
  .on('claim.decision', (event, region) => region.length + (event.data.claim_id ?? 0));
// @ts-expect-error: a handler of this router returns a number.
typed.on('referral.created', () => 'done');
const result: number | UnhandledAnswer = typed.dispatch({} as Event, 'eu');
console.log(result);

try {
  router.dispatch({} as Event);
} catch (error) {
  if (error instanceof UnhandledEventError) {
    const code: 'unhandled_event' = error.code;
    const type: string | null = error.eventType;
    console.log(code, type, error.httpStatus, error.idempotencyKey);
  } else if (error instanceof ConfigError) {
    console.log(error.code);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// With the framework helpers: a router where a handler is taken.

const elmed = new Verifier('elmed', { secret: 'whsk_example' });
const app = express();
const expressRouter = new Router<'elmed', [express.Request, express.Response]>({ provider: 'elmed' })
  .on('order.status_changed', (event, req, res) => {
    res.json({ order: event.data.order_id, path: req.path });
  })
  .on('prescription.*', async (event, req, res) => {
    res.status(202).json({ type: event.eventType });
  });
app.post('/webhooks/elmed', webhook(elmed, { router: expressRouter }));
app.post('/webhooks/any', webhook(elmed, { router: new Router().on('*', (event, req, res) => res.json({})) }));

export const POST: (request: Request) => Promise<Response> = webhookHandler(
  elmed,
  new Router({ provider: 'elmed' })
    .on('order.status_changed', async (event) => Response.json({ order: event.data.order_id }))
    .on('*', () => new Response(null, { status: 204 })),
);
interface Env {
  region: string;
}
export const worker: (request: Request, env: Env) => Promise<Response> = webhookHandler(
  elmed,
  new Router<'elmed', [Request, Env]>({ provider: 'elmed' })
    .on('claim.decision', (event, request, env) => Response.json({ region: env.region, url: request.url })),
);
// A fetch router's handler may also return nothing (answered 200 processed) or JSON (answered as JSON). The Result
// is spelled out: a Router's default Result is `any`, which any handler satisfies (then webhookHandler checks nothing).
export const quiet: (request: Request) => Promise<Response> = webhookHandler(
  elmed,
  new Router<'elmed', [Request], RoutedResult | Promise<RoutedResult>>({ provider: 'elmed' })
    .on('order.status_changed', async (event) => ({ order: event.data.order_id, status: event.data.status ?? null }))
    .on('claim.decision', async () => undefined)
    .on('referral.created', () => [1, 2])
    .on('*', () => {}),
);
// @ts-expect-error: a fetch router's handlers return a Response, JSON or nothing: not a bigint (JSON has none).
webhookHandler(elmed, new Router<'elmed', [Request], bigint>({ provider: 'elmed' }).on('claim.decision', () => 1n));
// @ts-expect-error: nor a Map (not a plain object: JSON would be {}).
webhookHandler(elmed, new Router<'elmed', [Request], Map<string, string>>({ provider: 'elmed' }));
