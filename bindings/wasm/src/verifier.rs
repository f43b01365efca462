//! `NativeVerifier`: built once from an options object; `verify` returns the event as one JSON text
//! (`Event::to_json`), which the glue parses with `JSON.parse`, as it does the napi addon's.

use hookseal::FieldCase;
use wasm_bindgen::prelude::*;

use crate::error::{coded, config_error, verification_error};
use crate::options;

#[wasm_bindgen(js_name = "NativeVerifier")]
pub struct Verifier {
    inner: hookseal::Verifier,
}

#[wasm_bindgen(js_class = "NativeVerifier")]
impl Verifier {
    #[wasm_bindgen(constructor)]
    pub fn new(provider: &str, options: JsValue) -> Result<Verifier, JsValue> {
        let options = options::verifier_options(&options)?;
        let inner = hookseal::Verifier::new(provider, &options).map_err(|e| config_error(&e))?;
        Ok(Self { inner })
    }

    /// Verifies `body` against `headers` (`[name, value, name, value, …]`); `now` in Unix seconds, fractions
    /// rounded down, or the host's clock (`Date.now()`).
    pub fn verify(&self, body: &[u8], headers: Vec<String>, now: Option<f64>) -> Result<String, JsValue> {
        let pairs: Vec<(&str, &str)> = headers.chunks_exact(2).map(|p| (p[0].as_str(), p[1].as_str())).collect();
        // The glue checks the range first; a contract code here would read as a refused delivery.
        let now = hookseal::seconds_from_float(now.unwrap_or_else(crate::now))
            .ok_or_else(|| coded("InvalidArg", "now must be a finite number of Unix seconds in range"))?;
        let event = self.inner.verify_at(body, &pairs, now).map_err(|e| verification_error(&e))?;
        Ok(event.to_json(FieldCase::Camel))
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
