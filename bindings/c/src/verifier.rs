//! The verifier handle and `hookseal_verify`.

use std::ffi::{c_char, CStr};

use hookseal::FieldCase;

use crate::bytes::hookseal_bytes;
use crate::error::{fail, guard, hookseal_status};
use crate::options;

/// A verifier for one provider: opaque, immutable, safe to share between threads. Made by `hookseal_verifier_new`,
/// released by `hookseal_verifier_free`.
pub struct hookseal_verifier {
    inner: hookseal::Verifier,
}

/// A NUL-terminated UTF-8 name; Err(status) for NULL or non-UTF-8.
///
/// # Safety
/// `text` must be NULL or a NUL-terminated string valid for the call.
pub(crate) unsafe fn name<'a>(text: *const c_char, what: &str) -> Result<&'a str, hookseal_status> {
    if text.is_null() {
        return Err(fail(hookseal_status::NullParameter, &format!("{what} is NULL")));
    }
    // SAFETY: non-NULL and NUL-terminated (the caller's promise).
    unsafe { CStr::from_ptr(text) }
        .to_str()
        .map_err(|_| fail(hookseal_status::InvalidUtf8, &format!("{what} is not UTF-8")))
}

/// Options text: NULL means none.
///
/// # Safety
/// As for `name`.
pub(crate) unsafe fn options_text<'a>(text: *const c_char) -> Result<Option<&'a str>, hookseal_status> {
    if text.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded from the caller's promise.
        unsafe { name(text, "options_json") }.map(Some)
    }
}

/// `len` bytes at `ptr` (NULL with 0 is an empty slice).
///
/// # Safety
/// `ptr` must be valid for `len` readable bytes for `'a`, or NULL with `len` 0.
pub(crate) unsafe fn slice<'a>(ptr: *const c_char, len: usize, what: &str) -> Result<&'a [u8], hookseal_status> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(fail(hookseal_status::NullParameter, &format!("{what} is NULL with a length of {len}")));
    }
    // SAFETY: non-NULL and valid for `len` bytes (the caller's promise).
    Ok(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) })
}

/// Builds a verifier for `provider` (`"elmed"`, `"baremeds"`, `"novamed"`, `"standard-webhooks"`, `"custom"`) from
/// `options_json`, a JSON object with the contract's snake_case option names (`{"secret": "…"}`,
/// `{"secrets": ["new", "old"], "clinic_id": "…"}`; NULL for none). On success writes a new handle to `*out`, which
/// the caller owns and releases with `hookseal_verifier_free`. On failure returns the configuration error
/// (`HOOKSEAL_STATUS_INVALID_SECRET`, `…_INSECURE_DEFAULT_KEY`, `…_UNKNOWN_PROVIDER`, `…_INVALID_OPTION`) and leaves
/// `*out` untouched. Neither string is kept after the call.
///
/// # Safety
/// `provider` and `options_json` must be NULL or NUL-terminated strings; `out` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn hookseal_verifier_new(
    provider: *const c_char,
    options_json: *const c_char,
    out: *mut *mut hookseal_verifier,
) -> hookseal_status {
    guard(|| {
        if out.is_null() {
            return fail(hookseal_status::NullParameter, "out is NULL");
        }
        let built = (|| {
            // SAFETY: the caller's promises, forwarded.
            let provider = unsafe { name(provider, "provider") }?;
            let options = options::verifier_options(unsafe { options_text(options_json) }?)?;
            hookseal::Verifier::new(provider, &options).map_err(|e| fail(e.code().into(), e.message()))
        })();
        match built {
            Ok(inner) => {
                // SAFETY: `out` is non-NULL and writable (the caller's promise).
                unsafe { *out = Box::into_raw(Box::new(hookseal_verifier { inner })) };
                hookseal_status::Ok
            }
            Err(status) => status,
        }
    })
}

/// The verifier's body size limit in bytes (0 if `verifier` is NULL): a receiver can refuse a larger request before
/// reading it.
///
/// # Safety
/// `verifier` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn hookseal_verifier_max_body_bytes(verifier: *const hookseal_verifier) -> usize {
    // SAFETY: NULL or a live handle (the caller's promise).
    unsafe { verifier.as_ref() }.map_or(0, |v| v.inner.max_body_bytes())
}

/// Releases a verifier. NULL is a no-op.
///
/// # Safety
/// `verifier` must be NULL or a handle from `hookseal_verifier_new` not freed yet, and no call may be using it.
#[no_mangle]
pub unsafe extern "C" fn hookseal_verifier_free(verifier: *mut hookseal_verifier) {
    if !verifier.is_null() {
        // SAFETY: made by `Box::into_raw` in `hookseal_verifier_new`, freed once (the caller's promise).
        let _ = std::panic::catch_unwind(|| drop(unsafe { Box::from_raw(verifier) }));
    }
}

/// Verifies one delivery: `body_len` bytes at `body` (any bytes: NUL and non-UTF-8 included; NULL with 0 for an
/// empty body), the `headers_len` bytes at `headers` as the request's headers, and the clock at `*now` (Unix
/// seconds) or, if `now` is NULL, the system clock. Nothing is kept after the call.
///
/// `headers` is a block of `name NUL value NUL` entries, one per header as sent (repeats included, any order):
/// `"X-ELMED-Signature\0sha256=ab…\0X-ELMED-Event\0order.status_changed\0"`. One block crosses in one call, which
/// suits FFI hosts as well as C. NULL with 0 means no headers; a block that does not end in a complete entry is
/// `HOOKSEAL_STATUS_INVALID_ARGUMENT`. (A header value cannot hold NUL; HTTP does not allow it either.)
///
/// On success writes to `*event_json_out` the verified event as one JSON object (UTF-8) with the contract's
/// snake_case fields (`provider`, `event_type`, `idempotency_key`, `idempotency_key_source`, `timestamp`, `data`,
/// `is_test`, `is_retry`, `metadata`, `clinic_id`); the caller owns it and releases it with `hookseal_bytes_free`.
/// On failure returns the contract's code (`HOOKSEAL_STATUS_SIGNATURE_MISMATCH`, …), leaves `*event_json_out`
/// untouched, and `hookseal_last_error_message` says why.
///
/// # Safety
/// `verifier` must be a live handle or NULL; `body` valid for `body_len` bytes and `headers` for `headers_len`
/// bytes (or NULL with 0); `now` NULL or valid; `event_json_out` valid for a write or NULL.
#[no_mangle]
pub unsafe extern "C" fn hookseal_verify(
    verifier: *const hookseal_verifier,
    body: *const c_char,
    body_len: usize,
    headers: *const c_char,
    headers_len: usize,
    now: *const i64,
    event_json_out: *mut *mut hookseal_bytes,
) -> hookseal_status {
    guard(|| {
        // SAFETY: NULL or a live handle (the caller's promise).
        let Some(verifier) = (unsafe { verifier.as_ref() }) else {
            return fail(hookseal_status::NullParameter, "verifier is NULL");
        };
        // SAFETY: the caller's promises, forwarded.
        unsafe {
            verify_into(Using::Handle(&verifier.inner), body, body_len, headers, headers_len, now, event_json_out)
        }
    })
}

/// One call, for scripts, tests and hosts whose objects do not outlive a request (PHP): `hookseal_verifier_new` and
/// `hookseal_verify` in one, with the verifier kept in a per-process cache of the 32 configurations used last
/// (keyed by `provider` and the options, secrets included, never shown), so a loop, or every request a PHP-FPM
/// worker serves, builds its keys once. Arguments and results are those of the two calls; a configuration error
/// comes back on every call (it is not cached). A server that keeps a handle should build its verifier once instead.
///
/// # Safety
/// As for `hookseal_verifier_new` (`provider`, `options_json`) and `hookseal_verify` (the rest).
#[no_mangle]
pub unsafe extern "C" fn hookseal_verify_once(
    provider: *const c_char,
    options_json: *const c_char,
    body: *const c_char,
    body_len: usize,
    headers: *const c_char,
    headers_len: usize,
    now: *const i64,
    event_json_out: *mut *mut hookseal_bytes,
) -> hookseal_status {
    guard(|| {
        let configured = (|| {
            // SAFETY: the caller's promises, forwarded.
            let provider = unsafe { name(provider, "provider") }?;
            Ok::<_, hookseal_status>((provider, options::verifier_options(unsafe { options_text(options_json) }?)?))
        })();
        let (provider, options) = match configured {
            Ok(configured) => configured,
            Err(status) => return status,
        };
        let using = Using::Cached { provider, options: &options };
        // SAFETY: the caller's promises, forwarded.
        unsafe { verify_into(using, body, body_len, headers, headers_len, now, event_json_out) }
    })
}

/// Which verifier checks the delivery: a caller's handle, or the core's cached one for these options.
enum Using<'a> {
    Handle(&'a hookseal::Verifier),
    Cached { provider: &'a str, options: &'a hookseal::Options },
}

/// What both verify calls share: the body, the headers block and the clock read, the delivery verified, and its event
/// written to `*event_json_out` (only on success).
///
/// # Safety
/// As for `hookseal_verify`'s `body`, `headers`, `now` and `event_json_out`.
unsafe fn verify_into(
    using: Using<'_>,
    body: *const c_char,
    body_len: usize,
    headers: *const c_char,
    headers_len: usize,
    now: *const i64,
    event_json_out: *mut *mut hookseal_bytes,
) -> hookseal_status {
    if event_json_out.is_null() {
        return fail(hookseal_status::NullParameter, "event_json_out is NULL");
    }
    let run = || -> Result<String, hookseal_status> {
        // SAFETY: the caller's promises for `body` and `headers`, forwarded.
        let body = unsafe { slice(body, body_len, "body") }?;
        let block = unsafe { slice(headers, headers_len, "headers") }?;
        let pairs = header_pairs(block)?;
        // SAFETY: NULL or valid (the caller's promise).
        let verified = match (using, unsafe { now.as_ref() }.copied()) {
            (Using::Handle(verifier), Some(now)) => {
                verifier.verify_at(body, &pairs, now).map_err(hookseal::Error::from)
            }
            (Using::Handle(verifier), None) => verifier.verify(body, &pairs).map_err(hookseal::Error::from),
            (Using::Cached { provider, options }, Some(now)) => {
                hookseal::verify_at(provider, body, &pairs, options, now)
            }
            (Using::Cached { provider, options }, None) => hookseal::verify(provider, body, &pairs, options),
        };
        verified.map(|event| event.to_json(FieldCase::Snake)).map_err(|e| fail(e.code().into(), e.message()))
    };
    match run() {
        Ok(json) => {
            // SAFETY: `event_json_out` is non-NULL and writable.
            unsafe { *event_json_out = hookseal_bytes::boxed(json) };
            hookseal_status::Ok
        }
        Err(status) => status,
    }
}

/// One header: name and value as sent.
type Pair<'a> = (&'a [u8], &'a [u8]);

/// `name NUL value NUL …` as (name, value) pairs.
fn header_pairs(block: &[u8]) -> Result<Vec<Pair<'_>>, hookseal_status> {
    let Some(entries) = block.strip_suffix(b"\0") else {
        return if block.is_empty() {
            Ok(Vec::new())
        } else {
            Err(fail(hookseal_status::InvalidArgument, "the headers block does not end with NUL"))
        };
    };
    let mut parts = entries.split(|&b| b == 0);
    let mut pairs = Vec::new();
    while let Some(name) = parts.next() {
        let value = parts
            .next()
            .ok_or_else(|| fail(hookseal_status::InvalidArgument, "the headers block ends with a name and no value"))?;
        pairs.push((name, value));
    }
    Ok(pairs)
}
