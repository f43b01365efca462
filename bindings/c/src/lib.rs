//! The C ABI of hookseal (docs/api.md, "C ABI"), modelled on rustls-ffi:
//!
//! - every function returns a `hookseal_status` (or is a getter that cannot fail) and writes its outputs through
//!   out-parameters, only on success;
//! - NULL where a pointer is required returns `HOOKSEAL_STATUS_NULL_PARAMETER`, never a crash; `_free(NULL)` is a no-op;
//! - every export runs inside a panic boundary (`catch_unwind`): nothing unwinds into C;
//! - every allocation handed out has its free function; ownership is documented on each function.
//!
//! Strings going in are UTF-8 with explicit lengths where they may hold anything (bodies, header values) and
//! NUL-terminated where they are names (provider, options as JSON text). The verified event comes back as JSON text
//! (`hookseal_verify`) or as fields whose `data` is read from the body in place (`hookseal_verify_fields`).
#![allow(non_camel_case_types)]

mod bytes;
mod error;
mod event;
mod options;
mod sign;
mod store;
mod verifier;

pub use bytes::{hookseal_bytes, hookseal_bytes_data, hookseal_bytes_free, hookseal_bytes_len};
pub use error::{hookseal_code_http_status, hookseal_last_error_message, hookseal_status, hookseal_status_code};
pub use event::{hookseal_event_fields, hookseal_key_source};
pub use sign::hookseal_sign;
pub use store::{
    hookseal_claim, hookseal_claim_free, hookseal_claim_status, hookseal_store, hookseal_store_backend,
    hookseal_store_claim, hookseal_store_complete, hookseal_store_describe, hookseal_store_free, hookseal_store_open,
    hookseal_store_release,
};
pub use verifier::{
    hookseal_verifier, hookseal_verifier_free, hookseal_verifier_max_body_bytes, hookseal_verifier_new,
    hookseal_verify, hookseal_verify_fields, hookseal_verify_once_fields,
};
