// Dedupe stores for a worker that runs in many isolates and places at once: what `webhookHandler(..., { store })`
// takes is any object with async claim(namespace, key), complete(claim) and release(claim) (docs/exactly-once.md).
// hookseal's WASM build has the memory: store only (one isolate); these share the claim between all of them.
//
// - durableObjectStore(env.DEDUPE_OBJECTS): a Durable Object per key. One object runs one request at a time, and its
//   storage calls hold back other requests while they wait (input gates), so a claim's read-then-write is atomic:
//   two copies of one delivery arriving together in two places never both run. Use this one.
// - kvStore(env.DEDUPE_KV): Workers KV. Cheap and simple, but eventually consistent: a write takes up to about a
//   minute to reach other locations, and there is no compare-and-set, so two copies arriving together (or a retry
//   within that minute, in another location) can both be `claimed` and both processed. Good enough for retries
//   minutes apart (ELMED +30 s / +5 min, NovaMed +1 min...) in one location, not for "exactly once".
//
// Keys are stored as their SHA-256 (as hookseal's own stores do: any length fits, nothing of the payload is kept),
// with states, tokens and times only.

const LEASE_SECONDS = 60;
const RETENTION_SECONDS = 7 * 24 * 3600;

async function digest(namespace, key) {
  const bytes = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${namespace}\n${key}`));
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The rule every store decides a claim by, given the record found (or null) at `now` (Unix ms). */
function decide(record, now) {
  if (record === null || record === undefined || record.expiresAt <= now) return { status: 'claimed' };
  if (record.state === 'done') return { status: 'duplicate' };
  return { status: 'in_progress', retryAfter: Math.max(1, Math.ceil((record.expiresAt - now) / 1000)) };
}

/**
 * The Durable Object class (export it from the worker's main module and bind it, e.g. in wrangler.toml:
 * `[[durable_objects.bindings]] name = "DEDUPE_OBJECTS" class_name = "DedupeObject"` plus a migration). Each object
 * holds one key's record; the worker talks to it with `fetch` (POST /claim, /complete, /release, a JSON body).
 */
export class DedupeObject {
  constructor(state) {
    this.storage = state.storage;
  }

  async fetch(request) {
    const { op, token, lease = LEASE_SECONDS, retention = RETENTION_SECONDS } = await request.json();
    const now = Date.now();
    const record = (await this.storage.get('record')) ?? null;
    let answer;
    if (op === 'claim') {
      answer = decide(record, now);
      if (answer.status === 'claimed') {
        answer.token = crypto.randomUUID();
        await this.storage.put('record', { state: 'processing', token: answer.token, expiresAt: now + lease * 1000 });
      }
    } else {
      // complete / release act only while this token still holds the key (its lease has not run out).
      const held = record !== null && record.state === 'processing' && record.token === token && record.expiresAt > now;
      if (held && op === 'complete') await this.storage.put('record', { state: 'done', expiresAt: now + retention * 1000 });
      if (held && op === 'release') await this.storage.delete('record');
      answer = { acted: held };
    }
    if (this.storage.setAlarm) await this.storage.setAlarm(now + retention * 1000); // forget the key after its retention
    return Response.json(answer);
  }

  async alarm() {
    const record = await this.storage.get('record');
    if (record && record.expiresAt <= Date.now()) await this.storage.delete('record');
  }
}

/** A store over the DedupeObject namespace binding: one object per (namespace, key). */
export function durableObjectStore(objects, { lease = LEASE_SECONDS, retention = RETENTION_SECONDS } = {}) {
  const call = async (name, body) => {
    const stub = objects.get(objects.idFromName(name));
    const response = await stub.fetch('https://dedupe.internal/', { method: 'POST', body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`the dedupe object answered ${response.status}`);
    return response.json();
  };
  return {
    async claim(namespace, key) {
      const name = await digest(namespace, key);
      const { status, retryAfter, token } = await call(name, { op: 'claim', lease });
      return { status, retryAfter: retryAfter ?? null, name, token };
    },
    async complete(claim) {
      return (await call(claim.name, { op: 'complete', token: claim.token, retention })).acted;
    },
    async release(claim) {
      return (await call(claim.name, { op: 'release', token: claim.token })).acted;
    },
  };
}

/** A store over a KV namespace binding: read, then write. Not atomic (see above). */
export function kvStore(kv, { lease = LEASE_SECONDS, retention = RETENTION_SECONDS } = {}) {
  // KV's shortest expirationTtl is 60 s; the record's own expiresAt is what decides.
  const ttl = (seconds) => Math.max(60, Math.ceil(seconds));
  return {
    async claim(namespace, key) {
      const name = await digest(namespace, key);
      const now = Date.now();
      const answer = decide(await kv.get(name, { type: 'json' }), now);
      if (answer.status !== 'claimed') return { ...answer, name };
      const token = crypto.randomUUID();
      await kv.put(name, JSON.stringify({ state: 'processing', token, expiresAt: now + lease * 1000 }), { expirationTtl: ttl(lease) });
      return { status: 'claimed', retryAfter: null, name, token };
    },
    async complete(claim) {
      const record = await kv.get(claim.name, { type: 'json' });
      if (!record || record.token !== claim.token || record.expiresAt <= Date.now()) return false;
      await kv.put(claim.name, JSON.stringify({ state: 'done', expiresAt: Date.now() + retention * 1000 }), { expirationTtl: ttl(retention) });
      return true;
    },
    async release(claim) {
      const record = await kv.get(claim.name, { type: 'json' });
      if (!record || record.token !== claim.token) return false;
      await kv.delete(claim.name);
      return true;
    },
  };
}
