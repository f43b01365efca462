// hookseal/fastify's types (fastify.d.ts), checked by `tsc --noEmit -p bindings/node/test/tsconfig.json`. Each
// `@ts-expect-error` line must stay an error: tsc fails on one that compiles.
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { Router, Store, Verifier, type Event, type StoreError, type VerificationError } from 'hookseal';
import { errorBody, rawBody, webhook, webhookRoute, type ErrorBody, type WebhookRoute } from 'hookseal/fastify';

const app = Fastify();
// @ts-expect-error: request.webhook is undefined outside a scope that keeps raw bodies, not only null.
app.get('/other', async (request) => { const event: Event | null = request.webhook; return { event: event !== null }; });
const elmed = new Verifier('elmed', { secret: 'whsk_example' });
const store = new Store('memory:');

// The plugin with a handler: request.webhook is the event (null outside hookseal's routes).
app.register(webhook, {
  verifier: elmed,
  path: '/webhooks/elmed',
  store,
  namespace: 'elmed-main',
  onError: (error: VerificationError | StoreError, request: FastifyRequest) => console.log(error.code, request.url),
  handler: async (request) => {
    const event: Event | null | undefined = request.webhook;
    return { type: event?.eventType ?? null };
  },
});

// With a router: its handlers get (event, request, reply), typed by the provider.
const router = new Router<'elmed', [FastifyRequest, FastifyReply]>({ provider: 'elmed' })
  .on('order.status_changed', async (event, request) => ({ order: event.data.order_id, url: request.url }))
  .on('referral.created', (event, request, reply) => reply.code(202).send({ key: event.idempotencyKey }));
app.register(webhook, { verifier: elmed, prefix: '/webhooks', path: '/elmed-routed', router });

// @ts-expect-error: a router or a handler, not neither.
app.register(webhook, { verifier: elmed, path: '/nothing' });
// @ts-expect-error: and not both.
app.register(webhook, { verifier: elmed, router, handler: async () => ({}) });
// @ts-expect-error: the verifier is required.
app.register(webhook, { path: '/x', router });

// Routes of your own, in a scope that keeps raw bodies.
app.register(async (scope) => {
  scope.register(rawBody, { verifier: elmed });
  const route: WebhookRoute = webhookRoute(elmed, { store });
  scope.post('/webhooks/own', { ...route, schema: { body: { type: 'object' } } }, async (request) => {
    return { key: request.webhook?.idempotencyKey };
  });
  // Hooks of the route's own, merged with hookseal's (arrays): its preHandler stays the last one.
  scope.post('/webhooks/merged', {
    ...route,
    preValidation: [...route.preValidation, async (request: FastifyRequest) => { request.log.info(request.webhook?.eventType); }],
    preHandler: [async () => undefined, ...route.preHandler],
  }, async () => ({}));
  // preParsing hooks of yours before hookseal's; onSend, onError, onResponse merged after (all arrays).
  scope.post('/webhooks/hooks', {
    ...route,
    preParsing: [async (request: FastifyRequest, reply: FastifyReply, payload) => payload, ...route.preParsing],
    onSend: [...route.onSend, async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => payload],
    onResponse: [...route.onResponse],
  }, async () => ({}));
});
app.register(rawBody, { bodyLimit: 4096 });
// @ts-expect-error: rawBody needs a verifier or a bodyLimit.
app.register(rawBody, {});

declare const refused: VerificationError;
const body: ErrorBody = errorBody(refused);
// @ts-expect-error: the code is one of the contract's, not any string.
const wrong: ErrorBody = { error: 'nope' };
console.log(body, wrong);
