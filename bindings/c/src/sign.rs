//! `hookseal_sign`: the headers a real delivery carries, for tests and demos.

use std::ffi::c_char;

use crate::bytes::hookseal_bytes;
use crate::error::{fail, guard, hookseal_status};
use crate::options;
use crate::verifier::{name, options_text, slice};

/// Signs `body_len` bytes at `body` as `provider` would, with `options_json` (the verifier's options plus `now` and
/// `webhook_id` for Standard Webhooks; NULL for none). On success writes to `*headers_json_out` a JSON object
/// `{"Name": "value", …}` of the delivery's headers, which the caller owns and releases with `hookseal_bytes_free`.
///
/// # Safety
/// `provider` and `options_json` NULL or NUL-terminated; `body` valid for `body_len` bytes (or NULL with 0);
/// `headers_json_out` valid for a write or NULL.
#[no_mangle]
pub unsafe extern "C" fn hookseal_sign(
    provider: *const c_char,
    body: *const c_char,
    body_len: usize,
    options_json: *const c_char,
    headers_json_out: *mut *mut hookseal_bytes,
) -> hookseal_status {
    guard(|| {
        if headers_json_out.is_null() {
            return fail(hookseal_status::NullParameter, "headers_json_out is NULL");
        }
        let run = || -> Result<String, hookseal_status> {
            // SAFETY: the caller's promises, forwarded.
            let provider = unsafe { name(provider, "provider") }?;
            let body = unsafe { slice(body, body_len, "body") }?;
            let options = options::sign_options(unsafe { options_text(options_json) }?)?;
            let headers = hookseal::sign(provider, body, &options).map_err(|e| fail(e.code().into(), e.message()))?;
            let json = hookseal::headers_json(&headers);
            Ok(json)
        };
        match run() {
            Ok(json) => {
                // SAFETY: non-NULL and writable.
                unsafe { *headers_json_out = hookseal_bytes::boxed(json) };
                hookseal_status::Ok
            }
            Err(status) => status,
        }
    })
}
