'use strict';
// The READMEs' JavaScript snippets, run as written: documentation that cannot drift from the package.
const test = require('node:test');
const assert = require('node:assert/strict');
const { once } = require('node:events');
const fs = require('node:fs');
const path = require('node:path');

const { sign } = require('hookseal');

const AsyncFunction = (async () => {}).constructor;
const README = path.join(__dirname, '..', '..', '..', 'README.md');
const blocksOf = (file) => [...fs.readFileSync(file, 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

/** The ```js block of the README's `<!-- framework: NAME -->` section (the text up to the next marker or heading). */
function frameworkBlock(name) {
  const text = fs.readFileSync(README, 'utf8');
  const start = text.indexOf(`<!-- framework: ${name} -->`);
  assert.notEqual(start, -1, `README.md lost its <!-- framework: ${name} --> marker`);
  const rest = text.slice(start + 1);
  const end = rest.search(/\n(<!-- framework: |#)/);
  const match = /```js\n([\s\S]*?)```/.exec(end === -1 ? rest : rest.slice(0, end));
  assert.ok(match, `README.md's ${name} section lost its js block`);
  return match[1];
}

const FRAMEWORKS = ['fastify', 'hono'];

/**
 * A module's text as a function body: `import { a, b as c } from 'x'` becomes `const { a, b: c } = require('x')`,
 * and `export` is dropped (the Next.js route handler's POST stays a local function the test calls).
 */
function asFunctionBody(block) {
  return block
    .replace(/^import \{([^}]*)\} from '([^']+)';$/gm, (line, names, from) =>
      `const {${names.replace(/\b(\w+) as (\w+)\b/g, '$1: $2')}} = require('${from}');`)
    .replace(/^export (async function|const|function) /gm, '$1 ');
}

const SECRET = 'elmed-readme-secret';
const delivery = (type) => {
  const body = JSON.stringify({ event: type, data: { nonce: Math.random() } });
  return { body, headers: sign('elmed', body, { secret: SECRET }) };
};

test('README JavaScript snippets run', () => {
  const framework = new Set(FRAMEWORKS.map(frameworkBlock));
  const blocks = blocksOf(README).filter((block) => !framework.has(block));
  assert.ok(blocks.length >= 1, "the README's Node.js section lost its snippet");
  for (const block of blocks) new Function('require', block)(require);
});

test('README Fastify block: served for real, a delivery processed then a duplicate, JSON routes untouched', async () => {
  process.env.ELMED_WEBHOOK_SECRET = SECRET;
  const check = `
    await app.listen({ port: 0, host: '127.0.0.1' });
    return app;`;
  const app = await new AsyncFunction('require', asFunctionBody(frameworkBlock('fastify')) + check)(require);
  try {
    const url = `http://127.0.0.1:${app.server.address().port}`;
    const sent = delivery('claim.decision');
    const answers = [];
    for (let i = 0; i < 2; i++) answers.push(await (await fetch(`${url}/webhooks/elmed`, { method: 'POST', ...sent })).json());
    assert.deepEqual(answers.map((a) => a.status), ['processed', 'duplicate']);
    assert.equal(answers[0].eventType, 'claim.decision');
    const tampered = await fetch(`${url}/webhooks/elmed`, { method: 'POST', headers: sent.headers, body: `${sent.body} ` });
    assert.deepEqual([tampered.status, await tampered.json()], [401, { error: 'signature_mismatch' }]);
    const note = await fetch(`${url}/api/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"hi"}' });
    assert.deepEqual(await note.json(), { saved: 'hi' });
  } finally {
    await app.close();
  }
});

test("README Hono block: served by @hono/node-server; the Next.js route's POST called with real Requests", async () => {
  process.env.ELMED_WEBHOOK_SECRET = SECRET;
  // The block serves on port 3000; here on a free port (the only change: the real serve(), the real server).
  const nodeServer = require('@hono/node-server');
  const local = (name) => (name === '@hono/node-server'
    ? { ...nodeServer, serve: (options, listening) => nodeServer.serve({ ...options, port: 0, hostname: '127.0.0.1' }, listening) }
    : require(name));
  const { server, POST } = await new AsyncFunction('require', `${asFunctionBody(frameworkBlock('hono'))}\nreturn { server, POST };`)(local);
  try {
    if (!server.listening) await once(server, 'listening');
    const url = `http://127.0.0.1:${server.address().port}/webhooks/elmed`;
    const sent = delivery('order.status_changed');
    const answers = [];
    for (let i = 0; i < 2; i++) answers.push(await (await fetch(url, { method: 'POST', ...sent })).json());
    assert.deepEqual(answers.map((a) => a.status), ['processed', 'duplicate']);
    const refused = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sent.body });
    assert.deepEqual([refused.status, await refused.json()], [401, { error: 'missing_header' }]);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }

  // Next.js 15 hands a route handler a WHATWG Request (NextRequest extends it): a real one here.
  const route = 'https://clinic.example/webhooks/elmed';
  const genuine = delivery('claim.decision');
  const ok = await POST(new Request(route, { method: 'POST', ...genuine }));
  assert.deepEqual([ok.status, await ok.json()], [200, { status: 'processed', eventType: 'claim.decision' }]);
  const bad = await POST(new Request(route, { method: 'POST', headers: genuine.headers, body: genuine.body.replace('claim', 'clam') }));
  assert.deepEqual([bad.status, await bad.json()], [401, { error: 'signature_mismatch' }]);
  const read = new Request(route, { method: 'POST', ...genuine });
  await read.text();
  await assert.rejects(POST(read), /hookseal\/fetch: the request body was already read/);
});

test('bindings/node/README.md snippets run, in order, as one module (Exactly once)', async () => {
  const blocks = blocksOf(path.join(__dirname, '..', 'README.md'));
  assert.ok(blocks.length >= 4, 'the Exactly once section lost its snippets');
  await new AsyncFunction('require', blocks.join('\n'))(require);
});
