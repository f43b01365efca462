//! Core errors as JavaScript `Error`s whose `code` is the contract's string, as the napi addon throws them; the glue
//! (`index.js`) turns them into `VerificationError` / `ConfigError`.

use js_sys::{Error, Reflect};
use wasm_bindgen::prelude::*;

/// A JavaScript `Error` with `message` and a `code` property.
pub(crate) fn coded(code: &str, message: &str) -> JsValue {
    let error = Error::new(message);
    // Setting a property on a fresh Error cannot fail; were it to, the error still says what happened.
    let _ = Reflect::set(&error, &JsValue::from_str("code"), &JsValue::from_str(code));
    error.into()
}

pub(crate) fn verification_error(err: &hookseal::VerifyError) -> JsValue {
    coded(err.code().as_str(), err.message())
}

pub(crate) fn config_error(err: &hookseal::ConfigError) -> JsValue {
    coded(err.code().as_str(), err.message())
}

/// The HTTP status a receiver answers with for `code` (`ErrorCode::http_status`), or undefined for a string that is
/// not one of the contract's codes.
#[wasm_bindgen(js_name = "httpStatus")]
pub fn http_status(code: &str) -> Option<u32> {
    hookseal::ErrorCode::from_code(code).map(|c| u32::from(c.http_status()))
}

/// The name of every option the core knows, in its snake_case spelling.
#[wasm_bindgen(js_name = "optionNames")]
pub fn option_names() -> Vec<String> {
    hookseal::Options::names().map(str::to_owned).collect()
}
