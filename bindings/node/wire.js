'use strict';
// Shared by the framework helpers (not part of the API).
//
// HTTP servers decode header bytes as latin-1 (one character
// a byte); a value with a non-ASCII character is read back as the UTF-8 those bytes were, which is how a non-ASCII
// shared key is sent. Bytes that are not UTF-8 come out as U+FFFD: they could never equal a configured key (a string,
// compared as UTF-8) either way. A runtime that already decoded a value as UTF-8 (a character above U+00FF) is left
// alone, and ASCII values, nearly all of them, pass as they are.

const { VerificationError } = require('./index.js');

const NON_ASCII = /[^\x00-\x7f]/;
const ABOVE_LATIN1 = /[^\x00-\xff]/;
const UTF8 = new TextDecoder(); // not fatal: bytes that are not UTF-8 become U+FFFD, as above

function wireValue(value) {
  if (!NON_ASCII.test(value) || ABOVE_LATIN1.test(value)) return value;
  const bytes = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) bytes[i] = value.charCodeAt(i);
  return UTF8.decode(bytes);
}

/** The refusal of a body over `limit`, found while reading it (declared length, or a stream that keeps going). */
function tooLarge(limit) {
  return new VerificationError('payload_too_large', `the body is over the limit of ${limit} bytes`);
}

/** A WHATWG Response: this realm's, or another's (a polyfill's, a framework's own fetch implementation). */
function isResponse(value) {
  if (typeof Response === 'function' && value instanceof Response) return true;
  return value !== null && typeof value === 'object' && typeof value.status === 'number' && value.headers !== null &&
    typeof value.headers === 'object' && typeof value.headers.get === 'function' && typeof value.arrayBuffer === 'function';
}

module.exports = { isResponse, tooLarge, wireValue };
