//! `NativeStore`: the dedupe store's memory backend (`crates/hookseal-store`, docs/exactly-once.md), with the napi
//! addon's names and shapes so that the glue's `Store` runs over either. The calls are synchronous here (a map in
//! this isolate); the glue awaits them as it awaits the addon's promises. The clock is `Date.now()`: this target has
//! none of its own. SQLite and Redis are not built in: a store shared between isolates is an object the app passes
//! to the helpers (a Durable Object, KV, a database).

use hookseal_store::{Claim, ClaimOutcome, StoreError, StoreOptions};
use wasm_bindgen::prelude::*;

use crate::error::coded;

fn store_error(err: &StoreError) -> JsValue {
    coded(err.code().as_str(), err.message())
}

/// Unix milliseconds by the host's clock.
fn clock() -> u64 {
    js_sys::Date::now() as u64
}

#[wasm_bindgen(js_name = "NativeStore")]
pub struct Store {
    inner: hookseal_store::Store,
}

#[wasm_bindgen(js_class = "NativeStore")]
impl Store {
    /// Opens `memory:` (with `?lease=` / `?retention=` if given); any other URL is `invalid_option`.
    #[wasm_bindgen(constructor)]
    pub fn new(url: &str, lease: Option<f64>, retention: Option<f64>) -> Result<Store, JsValue> {
        let options = StoreOptions::from_seconds(lease, retention).map_err(|e| store_error(&e))?.clock(clock);
        match hookseal_store::Store::open(url, &options) {
            Ok(inner) => Ok(Self { inner }),
            Err(e) if url.starts_with("memory:") => Err(store_error(&e)),
            Err(e) => Err(coded(
                e.code().as_str(),
                &format!(
                    "{}. In WebAssembly, to share a store between isolates or hosts, pass the helpers an object with \
                     async claim(namespace, key), complete(claim) and release(claim) instead (over a Durable Object, \
                     KV or a database)",
                    e.message()
                ),
            )),
        }
    }

    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.inner.backend().to_owned()
    }

    #[wasm_bindgen(getter)]
    pub fn url(&self) -> String {
        self.inner.describe().to_owned()
    }

    #[wasm_bindgen(getter)]
    pub fn lease(&self) -> f64 {
        self.inner.lease().as_secs_f64()
    }

    #[wasm_bindgen(getter)]
    pub fn retention(&self) -> f64 {
        self.inner.retention().as_secs_f64()
    }

    pub fn claim(&self, namespace: &str, key: &[u8]) -> Result<Outcome, JsValue> {
        self.inner.claim(namespace, key).map(|outcome| Outcome { outcome }).map_err(|e| store_error(&e))
    }

    pub fn complete(&self, outcome: &Outcome) -> Result<bool, JsValue> {
        self.inner.complete(outcome.held()?).map_err(|e| store_error(&e))
    }

    pub fn release(&self, outcome: &Outcome) -> Result<bool, JsValue> {
        self.inner.release(outcome.held()?).map_err(|e| store_error(&e))
    }
}

#[wasm_bindgen(js_name = "NativeOutcome")]
pub struct Outcome {
    outcome: ClaimOutcome,
}

#[wasm_bindgen(js_class = "NativeOutcome")]
impl Outcome {
    #[wasm_bindgen(getter)]
    pub fn status(&self) -> String {
        self.outcome.status().as_str().to_owned()
    }

    #[wasm_bindgen(getter = retryAfter)]
    pub fn retry_after(&self) -> Option<u32> {
        self.outcome.retry_after_seconds().map(|s| u32::try_from(s).unwrap_or(u32::MAX))
    }

    fn held(&self) -> Result<&Claim, JsValue> {
        match &self.outcome {
            ClaimOutcome::Claimed(claim) => Ok(claim),
            _ => Err(coded("InvalidArg", "only a claimed outcome can be completed or released")),
        }
    }
}
