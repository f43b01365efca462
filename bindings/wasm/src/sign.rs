//! `sign`: the headers a real delivery of a body carries, as `[name, value, …]`.

use wasm_bindgen::prelude::*;

use crate::error::config_error;
use crate::options;

#[wasm_bindgen(js_name = "nativeSign")]
pub fn sign(provider: &str, body: &[u8], options: JsValue) -> Result<Vec<String>, JsValue> {
    let options = options::sign_options(&options)?;
    // A Standard Webhooks timestamp without `now` takes the host's clock (this target has none of its own).
    let now = hookseal::seconds_from_float(crate::now()).unwrap_or_default();
    let headers = hookseal::sign_at(provider, body, &options, now).map_err(|e| config_error(&e))?;
    Ok(headers.into_iter().flat_map(|(name, value)| [name, value]).collect())
}
