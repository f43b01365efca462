'use strict';
// Every case of tests/vectors/ through the JavaScript API (vector-suite.js). One suite, two builds: it runs against
// the napi-rs addon (`require('hookseal')`) and, with HOOKSEAL_JS_BUILD=<path to a module with the same exports>,
// against the WASM build (bindings/wasm/pkg-node). The browser runs the same suite over pkg-web
// (bindings/wasm/test/browser.test.js).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { loadCases, runCase } = require('./vector-suite.js');

const build = process.env.HOOKSEAL_JS_BUILD ? require(path.resolve(process.env.HOOKSEAL_JS_BUILD)) : require('hookseal');
const VECTORS = path.join(__dirname, '..', '..', '..', 'tests', 'vectors');

function readCases() {
  const read = (file) => JSON.parse(fs.readFileSync(path.join(VECTORS, file), 'utf8'));
  const manifest = read('manifest.json');
  const onDisk = fs.readdirSync(VECTORS).filter((f) => f.endsWith('.json') && f !== 'manifest.json');
  const docs = Object.fromEntries(onDisk.map((file) => [file, read(file)]));
  return loadCases(manifest, onDisk, docs, assert);
}

const CASES = readCases();

test('every vector file loads', () => {
  assert.ok(CASES.length >= 300);
});

for (const c of CASES) {
  test(c.name, () => runCase(build, c, assert));
}
