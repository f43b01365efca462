'use strict';
// The router's and the helpers' log lines, in every build (not part of the API). It requires nothing of Node's, since
// bindings/wasm/build.js ships it in pkg-web for browsers and workers, where `process` may not exist:
//
// - debug(line): Node's `debuglog('hookseal')` (shown with NODE_DEBUG=hookseal, as the helpers' refusal lines are),
//   reached through process.getBuiltinModule (Node 20.16+ / 22.3+; older Nodes read NODE_DEBUG themselves); without
//   Node, console.debug (the "verbose" level of a browser's console or a worker's logs).
// - warnOnce(key, line, code): a mistake in the app's code (a handler registered for an event type its provider does
//   not send never runs), so it shows by default, once per process: process.emitWarning in Node (printed once to
//   stderr, silenced by --no-warnings, seen by process.on('warning')), else console.warn.

const proc = typeof process === 'object' && process !== null ? process : undefined;

function nodeDebug() {
  if (proc && typeof proc.getBuiltinModule === 'function') {
    const util = proc.getBuiltinModule('node:util');
    if (util && typeof util.debuglog === 'function') return util.debuglog('hookseal');
  }
  if (proc && proc.env && typeof proc.versions === 'object' && proc.versions !== null && proc.versions.node) {
    // debuglog's rule: NODE_DEBUG is a comma-separated list of section names, `*` a wildcard, case-insensitive.
    const sections = String(proc.env.NODE_DEBUG || '').split(',').map((s) => s.trim()).filter(Boolean);
    const on = sections.some((s) => new RegExp(`^${s.replace(/[|\\{}()[\]^$+?.]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i')
      .test('hookseal'));
    return on ? (format, line) => console.error(`HOOKSEAL ${proc.pid}: ${line}`) : () => {};
  }
  return null;
}

const nodeLog = nodeDebug();

/** One debug line (the key and type only: never data, never a secret). */
function debug(line) {
  if (nodeLog) nodeLog('%s', line);
  else if (typeof console === 'object' && typeof console.debug === 'function') console.debug(line);
}

const warned = new Set();

/** `line` as a warning, once per process for each `key`. */
function warnOnce(key, line, code) {
  if (warned.has(key)) return;
  warned.add(key);
  if (proc && typeof proc.emitWarning === 'function') proc.emitWarning(line, { code });
  else if (typeof console === 'object' && typeof console.warn === 'function') console.warn(line);
}

/** `no handler for the delivery <key> from <provider> (<type>)`: the type and key only, never data. */
function unhandledLine(event) {
  return `no handler for the delivery ${event.idempotencyKey} from ${event.provider} (${event.eventType ?? null})`;
}

module.exports = { debug, unhandledLine, warnOnce };
