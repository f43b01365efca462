'use strict';
// The README's WASM snippet (the ```mjs block), run as written as an ES module in Node: `hookseal-wasm` resolves to
// pkg-web through a node_modules link, and `fetch` of a file: URL (which Node lacks and a browser has) is supplied
// by a preloaded module, so the snippet's `await init()` loads the module as it would in a browser.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..', '..', '..');

const FILE_FETCH = `
import { readFile } from 'node:fs/promises';
const networkFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.protocol !== 'file:') return networkFetch(input, init);
  return new Response(await readFile(url), { headers: { 'content-type': 'application/wasm' } });
};
`;

test('README WASM snippet runs', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```mjs\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.equal(blocks.length, 1, "the README's WASM section lost its snippet");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookseal-readme-'));
  try {
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(path.join(__dirname, '..', 'pkg-web'), path.join(dir, 'node_modules', 'hookseal-wasm'), 'dir');
    fs.writeFileSync(path.join(dir, 'file-fetch.mjs'), FILE_FETCH);
    fs.writeFileSync(path.join(dir, 'snippet.mjs'), blocks[0]);
    execFileSync(process.execPath, ['--import', './file-fetch.mjs', 'snippet.mjs'], { cwd: dir, stdio: 'pipe' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
