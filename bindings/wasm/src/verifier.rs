//! `NativeVerifier`: built once from an options object; `verify` returns the event as one JSON text
//! (`Event::to_json`), which the glue parses with `JSON.parse`, as it does the napi addon's.
//!
//! `verifyAsync` (the glue's, `bindings/wasm/async.js`) hands a large body's hashing to WebCrypto, whose HMAC and
//! SHA-256 are native code where this module's are portable WebAssembly: `macPrefix` says what to sign in front of the
//! body, `takeMacKeys` gives the keys to import once, `verifyWithTags` finishes as `verify` does with the tags (and
//! ELMED's body digest) WebCrypto computed.

use hookseal::{FieldCase, HostPath};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::error::{coded, config_error, verification_error};
use crate::options;

#[wasm_bindgen(js_name = "NativeVerifier")]
pub struct Verifier {
    inner: hookseal::Verifier,
    /// Each secret's HMAC key (`hookseal::MacKey`, wiped on drop), until `takeMacKeys` hands them to WebCrypto once.
    mac_keys: Vec<Box<dyn AsRef<[u8]>>>,
}

/// The headers as `native.js` encodes them (`encodeHeaders`: each name and each value as its length in UTF-16 code
/// units, a colon, then its text), as pairs. One string crosses instead of one per name and value: wasm-bindgen copies
/// an array of strings into the module string by string, 4-9 µs for a Standard Webhooks delivery's headers here.
fn header_pairs(encoded: &str) -> Result<Vec<(&str, &str)>, JsValue> {
    let invalid = || coded("InvalidArg", "headers must be encoded by native.js");
    let mut texts = Vec::with_capacity(8);
    let mut rest = encoded;
    while !rest.is_empty() {
        let (units, text) = rest.split_once(':').ok_or_else(invalid)?;
        let units: usize = units.parse().map_err(|_| invalid())?;
        // The text's end: `units` UTF-16 code units on (JavaScript's `length`; a lone surrogate crossed as U+FFFD,
        // one unit too).
        let end = match text.get(..units) {
            Some(head) if head.is_ascii() => units,
            _ => {
                let (mut seen, mut end) = (0, 0);
                let mut chars = text.char_indices();
                while seen < units {
                    let (at, c) = chars.next().ok_or_else(invalid)?;
                    seen += c.len_utf16();
                    end = at + c.len_utf8();
                }
                if seen != units {
                    return Err(invalid());
                }
                end
            }
        };
        let (text, after) = text.split_at(end);
        texts.push(text);
        rest = after;
    }
    let (pairs, odd) = texts.as_chunks::<2>();
    if !odd.is_empty() {
        return Err(invalid());
    }
    Ok(pairs.iter().map(|&[name, value]| (name, value)).collect())
}

/// `now` in Unix seconds, fractions rounded down, or the host's clock (`Date.now()`).
fn seconds(now: Option<f64>) -> Result<i64, JsValue> {
    // The glue checks the range first; a contract code here would read as a refused delivery.
    hookseal::seconds_from_float(now.unwrap_or_else(crate::now))
        .ok_or_else(|| coded("InvalidArg", "now must be a finite number of Unix seconds in range"))
}

#[wasm_bindgen(js_class = "NativeVerifier")]
impl Verifier {
    #[wasm_bindgen(constructor)]
    pub fn new(provider: &str, options: JsValue) -> Result<Verifier, JsValue> {
        let options = options::verifier_options(&options)?;
        let (inner, keys) = hookseal::Verifier::with_mac_keys(provider, &options).map_err(|e| config_error(&e))?;
        let mac_keys = keys.into_iter().map(|key| Box::new(key) as Box<dyn AsRef<[u8]>>).collect();
        Ok(Self { inner, mac_keys })
    }

    /// Verifies `body` against `headers` (`[name, value, name, value, …]`, encoded by native.js); `now` in Unix
    /// seconds, fractions rounded down, or the host's clock (`Date.now()`).
    #[wasm_bindgen(js_name = "verifyEncoded")]
    pub fn verify(&self, body: &[u8], headers: &str, now: Option<f64>) -> Result<String, JsValue> {
        let now = seconds(now)?;
        let event = self.inner.verify_at(body, &header_pairs(headers)?, now).map_err(|e| verification_error(&e))?;
        Ok(event.to_json(FieldCase::Camel))
    }

    /// What WebCrypto signs in front of the body for these headers (empty, or Standard Webhooks' `id.timestamp.`);
    /// undefined when the scheme has no MAC. Throws what `verify` would throw before hashing the body.
    #[wasm_bindgen(js_name = "macPrefixEncoded")]
    pub fn mac_prefix(&self, headers: &str) -> Result<Option<Vec<u8>>, JsValue> {
        self.inner.mac_message_prefix(&header_pairs(headers)?).map_err(|e| verification_error(&e))
    }

    /// The HMAC key of each secret, in order, as new arrays (copied straight from the wiped originals), once: later
    /// calls give an empty array. The caller imports them (not extractable) and zero-fills the arrays.
    #[wasm_bindgen(js_name = "takeMacKeys")]
    pub fn take_mac_keys(&mut self) -> Array {
        std::mem::take(&mut self.mac_keys).iter().map(|key| Uint8Array::from((**key).as_ref())).collect()
    }

    /// `verify`, with each secret's HMAC of `macPrefix` ‖ `body` given (`tags`: 32 bytes per secret, in order) and,
    /// optionally, the body's SHA-256 for an idempotency key that is its digest. `[event JSON, "included", path]`, or,
    /// when `parsed` (the caller's JSON.parse took the body), `[event JSON with data null, "data" | "body", path]`:
    /// where in its parse the event's data is (unless a secret is redacted from it: "included" then). With `parsed`,
    /// JSON.parse is the judge of data's grammar and the module finds where data ends (its structural scan); `path`
    /// says how the module answered: "scan" (the scan found data's end), "validated" (data checked by the module: not
    /// an object or array, or the scan not sure) or "parse" (the module's own parse, after any error on the scan's
    /// path, or without `parsed`). The glue ignores it; the tests check with it that the scan found data's end.
    #[wasm_bindgen(js_name = "verifyWithTagsEncoded")]
    pub fn verify_with_tags(
        &self,
        body: &[u8],
        headers: &str,
        now: Option<f64>,
        tags: &[u8],
        body_sha256: Option<Vec<u8>>,
        parsed: bool,
    ) -> Result<Array, JsValue> {
        let now = seconds(now)?;
        let invalid = || coded("InvalidArg", "tags must be 32 bytes per secret, and a body digest 32 bytes");
        let (tags, rest) = tags.as_chunks::<32>();
        let digest = match body_sha256.as_deref().map(<&[u8; 32]>::try_from) {
            Some(Err(_)) => return Err(invalid()),
            Some(Ok(digest)) => Some(digest),
            None => None,
        };
        if !rest.is_empty() {
            return Err(invalid());
        }
        // When the caller's JSON.parse took the body, it is the judge of data's grammar, as in the Node addon
        // (docs/decisions.md, "Node: JSON.parse checks data's grammar"): the core finds where data ends and checks
        // everything else.
        let pairs = header_pairs(headers)?;
        let genuine = self
            .inner
            .authenticate_with_tags(body, &pairs, Some(now), tags, digest)
            .map_err(|e| verification_error(&e))?;
        let (event, path) = if parsed {
            match genuine.parse_for_host_json_traced() {
                (event, HostPath::Scanned) => (event, "scan"),
                (event, HostPath::Validated) => (event, "validated"),
                (event, HostPath::Parsed) => (event, "parse"),
            }
        } else {
            (genuine.parse(), "parse")
        };
        let event = event.map_err(|e| verification_error(&e))?;
        let (json, data) = match parsed.then(|| event.to_json_without_data(FieldCase::Camel)).flatten() {
            Some(json) => (json, if event.data_is_body() { "body" } else { "data" }),
            None => (event.to_json(FieldCase::Camel), "included"),
        };
        Ok(Array::of3(&JsValue::from_str(&json), &JsValue::from_str(data), &JsValue::from_str(path)))
    }

    /// True unless the idempotency key is never the body's SHA-256 (Standard Webhooks): `verifyAsync` has WebCrypto
    /// hash the body for it too.
    #[wasm_bindgen(getter = mayKeyByBodyDigest)]
    pub fn may_key_by_body_digest(&self) -> bool {
        self.inner.may_key_by_body_digest()
    }

    /// The names of the headers `verify` reads, lowercased: the JavaScript side passes only these.
    #[wasm_bindgen(getter = headerNames)]
    pub fn header_names(&self) -> Vec<String> {
        self.inner.header_names().into_iter().map(str::to_ascii_lowercase).collect()
    }

    #[wasm_bindgen(getter)]
    pub fn provider(&self) -> String {
        self.inner.provider().as_str().to_owned()
    }

    #[wasm_bindgen(getter = maxBodyBytes)]
    pub fn max_body_bytes(&self) -> f64 {
        self.inner.max_body_bytes() as f64
    }
}
