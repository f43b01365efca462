//! Core errors as JavaScript exceptions whose `code` is the contract's string; `index.js` turns them into
//! `VerificationError` / `ConfigError`.

use napi_derive::napi;

/// A thrown error carrying the contract's code.
pub(crate) type CodedError = napi::Error<&'static str>;

pub(crate) fn verification_error(err: &hookseal::VerifyError) -> CodedError {
    napi::Error::new(err.code().as_str(), err.message())
}

pub(crate) fn config_error(err: &hookseal::ConfigError) -> CodedError {
    napi::Error::new(err.code().as_str(), err.message())
}

/// The HTTP status a receiver answers with for `code` (`ErrorCode::http_status`), or null for a string that is not
/// one of the contract's codes.
#[napi(catch_unwind)]
pub fn http_status(code: String) -> Option<u32> {
    hookseal::ErrorCode::from_code(&code).map(|c| u32::from(c.http_status()))
}

/// The name of every option the core knows, in its snake_case spelling.
#[napi(catch_unwind)]
pub fn option_names() -> Vec<&'static str> {
    hookseal::Options::names().collect()
}
