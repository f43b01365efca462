'use strict';
// The README's JavaScript snippets, run as written: documentation that cannot drift from the package.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

test('README JavaScript snippets run', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 1, "the README's Node.js section lost its snippet");
  for (const block of blocks) new Function('require', block)(require);
});
