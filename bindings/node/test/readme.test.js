'use strict';
// The READMEs' JavaScript snippets, run as written: documentation that cannot drift from the package.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const AsyncFunction = (async () => {}).constructor;
const blocksOf = (file) => [...fs.readFileSync(file, 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

test('README JavaScript snippets run', () => {
  const blocks = blocksOf(path.join(__dirname, '..', '..', '..', 'README.md'));
  assert.ok(blocks.length >= 1, "the README's Node.js section lost its snippet");
  for (const block of blocks) new Function('require', block)(require);
});

test('bindings/node/README.md snippets run, in order, as one module (Exactly once)', async () => {
  const blocks = blocksOf(path.join(__dirname, '..', 'README.md'));
  assert.ok(blocks.length >= 4, 'the Exactly once section lost its snippets');
  await new AsyncFunction('require', blocks.join('\n'))(require);
});
