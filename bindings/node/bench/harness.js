'use strict';
/**
 * The timing and the tables that bench_verify.js (the napi addon against its floor and peers) and
 * bindings/wasm/bench/bench_verify.js (the WASM build against WebCrypto) share, so both measure alike: each side
 * calibrated like `timeit`'s autorange after a warm-up, then every side timed round after round with the starting
 * side rotating, a full GC (with --expose-gc) before every sample, outside the timed part.
 *
 * A side is `{ call(body, headers), async? }`; `call` returns the delivery's data (an object), folded into a sink so
 * that no call's work is dead.
 */

const childProcess = require('node:child_process');

let sink = 0;
const collect = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};

function fold(result) {
  return typeof result === 'object' && result !== null ? 1 : 0;
}

/** Seconds for `number` calls of the side. */
function timeSync(call, body, headers, number) {
  let acc = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < number; i++) acc += fold(call(body, headers));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  sink += acc;
  return seconds;
}

async function timeAsync(call, body, headers, number) {
  let acc = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < number; i++) acc += fold(await call(body, headers));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  sink += acc;
  return seconds;
}

function timeSide(side, body, headers, number) {
  return side.async ? timeAsync(side.call, body, headers, number) : timeSync(side.call, body, headers, number);
}

/** Calls per sample, as `timeit`'s autorange picks them (1, 2, 5, 10, 20, …), for >= minSeconds; after a warm-up. */
async function calibrate(side, body, headers, minSeconds) {
  const warmUntil = process.hrtime.bigint() + BigInt(Math.round(minSeconds * 1e9));
  for (let warm = 0; warm < 20 || process.hrtime.bigint() < warmUntil; warm++) await timeSide(side, body, headers, 1);
  for (let decade = 1; ; decade *= 10) {
    for (const number of [decade, 2 * decade, 5 * decade]) {
      collect();
      if ((await timeSide(side, body, headers, number)) >= minSeconds) return number;
    }
  }
}

/**
 * Per-call microseconds, `repeat` rounds of every side, the starting side rotating: `runs[side][round]`. `headersOf`
 * gives side `s`'s headers for calibration; `headersFor(s)` those of each timed sample (headers with a timestamp are
 * signed anew before every sample; by default the calibration's).
 */
async function measure(active, body, repeat, minSeconds, headersOf, headersFor = (s) => headersOf[s]) {
  const numbers = [];
  for (let s = 0; s < active.length; s++) numbers.push(await calibrate(active[s], body, headersOf[s], minSeconds));
  const runs = active.map(() => []);
  for (let r = 0; r < repeat; r++) {
    for (let k = 0; k < active.length; k++) {
      const s = (r + k) % active.length;
      const headers = headersFor(s);
      collect();
      runs[s][r] = ((await timeSide(active[s], body, headers, numbers[s])) / numbers[s]) * 1e6;
    }
  }
  return runs;
}

function formatTime(us) {
  if (us >= 1000) return `${(us / 1000).toFixed(2)} ms`;
  if (us >= 100) return `${us.toFixed(0)} µs`;
  if (us >= 10) return `${us.toFixed(1)} µs`;
  return `${us.toFixed(2)} µs`;
}

/** A cell: the best time, then (but for the reference row) its ratio and the range of the per-round ratios. */
function cell(result, isReference) {
  if (isReference) return formatTime(result.best);
  return `${formatTime(result.best)} (${result.ratio.toFixed(2)}×, ${result.low.toFixed(2)}–${result.high.toFixed(2)})`;
}

/** The table for a terminal. `rows`: `{ name, key, results: { [size]: { best, ratio, low, high } } }`. */
function plainTable(shape, rows, sizes, referenceKey) {
  const names = rows.map((row) => row.name);
  const cells = rows.map((row) => sizes.map((size) => cell(row.results[size], row.key === referenceKey)));
  const nameWidth = Math.max(...names.map((name) => name.length), shape.length);
  const widths = sizes.map((size, i) => Math.max(size.length, ...cells.map((row) => row[i].length)));
  const line = (first, rest) => [first.padEnd(nameWidth), ...rest.map((text, i) => text.padStart(widths[i]))].join(' | ');
  const head = line(shape, sizes);
  return [head, '-'.repeat(head.length), ...rows.map((row, i) => line(names[i], cells[i]))].join('\n');
}

/** The same table in Markdown, the rows `bold(row)` says in bold. */
function markdownTable(shape, rows, sizes, referenceKey, bold) {
  const lines = [`| ${shape} | ${sizes.join(' | ')} |`, `|---|${sizes.map(() => '---|').join('')}`];
  for (const row of rows) {
    const name = bold(row) ? `**${row.name}**` : row.name;
    lines.push(`| ${name} | ${sizes.map((size) => cell(row.results[size], row.key === referenceKey)).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The checkout's commit, and whether tracked files differ from it. */
function commit(root) {
  try {
    const run = (args) => childProcess.execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: 'pipe' }).trim();
    return run(['rev-parse', '--short', 'HEAD']) + (run(['status', '--porcelain', '--untracked-files=no']) ? ' (with uncommitted changes)' : '');
  } catch {
    return 'unknown';
  }
}

/** What the calls' results added up to (print it where it cannot be proven unused). */
function sinkValue() {
  return sink;
}

module.exports = { measure, formatTime, plainTable, markdownTable, commit, sinkValue };
