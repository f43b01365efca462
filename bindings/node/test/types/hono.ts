// hookseal/hono's types (hono.d.ts), checked by `tsc --noEmit -p bindings/node/test/tsconfig.json`. Each
// `@ts-expect-error` line must stay an error: tsc fails on one that compiles.
import { Hono, type Context } from 'hono';
import { Router, Store, Verifier, type ElmedEvent, type Event, type VerificationError } from 'hookseal';
import { errorBody, webhook, type ErrorBody, type HonoRoutedResult, type WebhookEnv } from 'hookseal/hono';

const app = new Hono();
const elmed = new Verifier('elmed', { secret: 'whsk_example' });
const store = new Store('memory:');

// c.get('webhook') is the event, typed by the middleware's environment.
app.post('/webhooks/elmed', webhook(elmed, { store, onError: (error, c) => console.log(error.code, c.req.path) }), (c) => {
  const event: Event = c.get('webhook');
  return c.json({ type: event.eventType, key: event.idempotencyKey });
});
app.post('/webhooks/typed', webhook<ElmedEvent['data']>(elmed), (c) => c.json({ data: c.get('webhook').data !== null }));

// A router ends the route: its handlers get (event, c) and return a Response, JSON or nothing.
const router = new Router<'elmed', [Context], HonoRoutedResult | Promise<HonoRoutedResult>>({ provider: 'elmed' })
  .on('order.status_changed', async (event) => ({ order: event.data.order_id ?? null }))
  .on('referral.created', (event, c) => c.json({ url: c.req.url }, 202))
  .on('*', () => {});
app.post('/webhooks/routed', webhook(elmed, { store, router }));

// @ts-expect-error: a Hono router's handlers do not return a bigint (JSON has none).
webhook(elmed, { router: new Router<'elmed', [Context], bigint>({ provider: 'elmed' }) });
// @ts-expect-error: the store needs claim, complete and release.
webhook(elmed, { store: { claim: async () => ({ status: 'claimed' as const }) } });

const env: WebhookEnv = { Variables: { webhook: {} as Event } };
declare const refused: VerificationError;
const body: ErrorBody = errorBody(refused);
console.log(env, body);
