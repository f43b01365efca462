//! `sign`: the headers a real delivery of a body carries, as `[name, value, …]`.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::{config_error, CodedError};
use crate::options;

#[napi(js_name = "nativeSign", catch_unwind)]
pub fn sign(
    provider: String,
    body: &[u8],
    options: Option<Object<'_>>,
) -> std::result::Result<Vec<String>, CodedError> {
    let options = options::sign_options(options)?;
    let headers = hookseal::sign(&provider, body, &options).map_err(|e| config_error(&e))?;
    Ok(headers.into_iter().flat_map(|(name, value)| [name, value]).collect())
}
