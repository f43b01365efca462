//! The verifier handle and `hookseal_verify`.

use std::ffi::{c_char, CStr};

use hookseal::FieldCase;

use crate::bytes::hookseal_bytes;
use crate::error::{fail, guard, hookseal_status};
use crate::event::{self, hookseal_event_fields};
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
        // SAFETY: the caller's promises, forwarded.
        let (provider, options) = match unsafe { once_configuration(provider, options_json) } {
            Ok(configured) => configured,
            Err(status) => return status,
        };
        let using = Using::Cached { provider, options: &options };
        // SAFETY: the caller's promises, forwarded.
        unsafe { verify_into(using, body, body_len, headers, headers_len, now, event_json_out) }
    })
}

/// `hookseal_verify`, with the event written to `*fields_out` as fields instead of JSON text (see
/// `hookseal_event_fields`): for a host that parses JSON itself faster than it parses it twice, or that pays for each
/// string it copies (PHP's FFI). Nothing to free: the text belongs to hookseal (this thread's buffer, valid until the
/// thread's next successful `hookseal_verify_fields` or `hookseal_verify_once_fields`), and `data` is found at
/// `data_offset` in `body` itself. Statuses, checks and messages are `hookseal_verify`'s; on failure `*fields_out`
/// and the thread's buffer are left untouched.
///
/// # Safety
/// As for `hookseal_verify`; `fields_out` must be valid for a write or NULL.
#[no_mangle]
pub unsafe extern "C" fn hookseal_verify_fields(
    verifier: *const hookseal_verifier,
    body: *const c_char,
    body_len: usize,
    headers: *const c_char,
    headers_len: usize,
    now: *const i64,
    fields_out: *mut hookseal_event_fields,
) -> hookseal_status {
    guard(|| {
        // SAFETY: NULL or a live handle (the caller's promise).
        let Some(verifier) = (unsafe { verifier.as_ref() }) else {
            return fail(hookseal_status::NullParameter, "verifier is NULL");
        };
        // SAFETY: the caller's promises, forwarded.
        unsafe { fields_into(Using::Handle(&verifier.inner), body, body_len, headers, headers_len, now, fields_out) }
    })
}

/// `hookseal_verify_once` with the event written as fields, as `hookseal_verify_fields` writes them.
///
/// # Safety
/// As for `hookseal_verify_once`; `fields_out` must be valid for a write or NULL.
#[no_mangle]
pub unsafe extern "C" fn hookseal_verify_once_fields(
    provider: *const c_char,
    options_json: *const c_char,
    body: *const c_char,
    body_len: usize,
    headers: *const c_char,
    headers_len: usize,
    now: *const i64,
    fields_out: *mut hookseal_event_fields,
) -> hookseal_status {
    guard(|| {
        // SAFETY: the caller's promises, forwarded.
        let (provider, options) = match unsafe { once_configuration(provider, options_json) } {
            Ok(configured) => configured,
            Err(status) => return status,
        };
        let using = Using::Cached { provider, options: &options };
        // SAFETY: the caller's promises, forwarded.
        unsafe { fields_into(using, body, body_len, headers, headers_len, now, fields_out) }
    })
}

/// What both fields calls share, as `verify_into` for JSON text.
///
/// # Safety
/// As for `hookseal_verify_fields`' `body`, `headers`, `now` and `fields_out`.
unsafe fn fields_into(
    using: Using<'_>,
    body: *const c_char,
    body_len: usize,
    headers: *const c_char,
    headers_len: usize,
    now: *const i64,
    fields_out: *mut hookseal_event_fields,
) -> hookseal_status {
    if fields_out.is_null() {
        return fail(hookseal_status::NullParameter, "fields_out is NULL");
    }
    // SAFETY: the caller's promises, forwarded.
    match unsafe { verified(using, body, body_len, headers, headers_len, now, event::fields) } {
        Ok(fields) => {
            // SAFETY: `fields_out` is non-NULL and writable.
            unsafe { fields_out.write(fields) };
            hookseal_status::Ok
        }
        Err(status) => status,
    }
}

/// Which verifier checks the delivery: a caller's handle, or the core's cached one for these options.
/// The provider's name and options of a one-call verification (`hookseal_verify_once` and its fields form).
///
/// # Safety
/// As for `hookseal_verify_once`'s `provider` and `options_json`.
unsafe fn once_configuration<'a>(
    provider: *const c_char,
    options_json: *const c_char,
) -> Result<(&'a str, hookseal::Options), hookseal_status> {
    // SAFETY: the caller's promises, forwarded.
    let provider = unsafe { name(provider, "provider") }?;
    Ok((provider, options::verifier_options(unsafe { options_text(options_json) }?)?))
}

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
    // SAFETY: the caller's promises, forwarded.
    let written = unsafe {
        verified(using, body, body_len, headers, headers_len, now, |_, event| Ok(event.to_json(FieldCase::Snake)))
    };
    match written {
        Ok(json) => {
            // SAFETY: `event_json_out` is non-NULL and writable.
            unsafe { *event_json_out = hookseal_bytes::boxed(json) };
            hookseal_status::Ok
        }
        Err(status) => status,
    }
}

/// Reads the arguments, verifies the delivery and hands the event (with the body it borrows from) to `write`.
///
/// # Safety
/// As for `hookseal_verify`'s `body`, `headers` and `now`.
unsafe fn verified<T>(
    using: Using<'_>,
    body: *const c_char,
    body_len: usize,
    headers: *const c_char,
    headers_len: usize,
    now: *const i64,
    write: impl FnOnce(&[u8], &hookseal::Event<'_>) -> Result<T, hookseal_status>,
) -> Result<T, hookseal_status> {
    // SAFETY: the caller's promises for `body` and `headers`, forwarded.
    let body = unsafe { slice(body, body_len, "body") }?;
    let block = unsafe { slice(headers, headers_len, "headers") }?;
    let pairs = header_pairs(block)?;
    // SAFETY: NULL or valid (the caller's promise).
    let verified = match (using, unsafe { now.as_ref() }.copied()) {
        (Using::Handle(verifier), Some(now)) => verifier.verify_at(body, pairs, now).map_err(hookseal::Error::from),
        (Using::Handle(verifier), None) => verifier.verify(body, pairs).map_err(hookseal::Error::from),
        (Using::Cached { provider, options }, Some(now)) => hookseal::verify_at(provider, body, pairs, options, now),
        (Using::Cached { provider, options }, None) => hookseal::verify(provider, body, pairs, options),
    };
    let event = verified.map_err(|e| fail(e.code().into(), e.message()))?;
    write(body, &event)
}

/// One header: name and value as sent.
type Pair<'a> = (&'a [u8], &'a [u8]);

/// The entries of a checked headers block, read in place (no allocation per delivery).
struct Pairs<'a>(Option<Entries<'a>>);

/// A block's names and values, in order.
type Entries<'a> = std::slice::Split<'a, u8, fn(&u8) -> bool>;

impl<'a> Iterator for Pairs<'a> {
    type Item = Pair<'a>;

    fn next(&mut self) -> Option<Pair<'a>> {
        let parts = self.0.as_mut()?;
        Some((parts.next()?, parts.next()?))
    }
}

/// `name NUL value NUL …` as (name, value) pairs: a block is well formed when it is empty, or ends with NUL and has
/// an even number of NULs (each entry two).
fn header_pairs(block: &[u8]) -> Result<Pairs<'_>, hookseal_status> {
    let Some(entries) = block.strip_suffix(b"\0") else {
        return if block.is_empty() {
            Ok(Pairs(None))
        } else {
            Err(fail(hookseal_status::InvalidArgument, "the headers block does not end with NUL"))
        };
    };
    if block.iter().filter(|&&b| b == 0).count() % 2 != 0 {
        return Err(fail(hookseal_status::InvalidArgument, "the headers block ends with a name and no value"));
    }
    let is_nul: fn(&u8) -> bool = |&b| b == 0;
    Ok(Pairs(Some(entries.split(is_nul))))
}

#[cfg(test)]
mod tests {
    //! `hookseal_verify_fields` against `hookseal_verify`: the same event, field by field, and the same refusals.
    use std::ffi::{c_char, CStr};
    use std::ptr;

    use jiter::JsonValue;

    use super::*;
    use crate::bytes::{hookseal_bytes_data, hookseal_bytes_free, hookseal_bytes_len};
    use crate::event::hookseal_key_source;

    const SECRET: &str = "whsec_fields_test_0123456789";
    const ELMED: &CStr = c"elmed";

    fn verifier(provider: &CStr, options: &CStr) -> *mut hookseal_verifier {
        let mut out = ptr::null_mut();
        // SAFETY: valid strings and out-pointer.
        assert_eq!(
            unsafe { hookseal_verifier_new(provider.as_ptr(), options.as_ptr(), &mut out) },
            hookseal_status::Ok
        );
        out
    }

    fn block(headers: &[(&str, &str)]) -> Vec<u8> {
        headers.iter().flat_map(|(n, v)| [n.as_bytes(), b"\0", v.as_bytes(), b"\0"].concat()).collect()
    }

    fn elmed_block(body: &[u8]) -> Vec<u8> {
        let options = crate::options::verifier_options(Some(&format!("{{\"secret\":\"{SECRET}\"}}")));
        let options = hookseal::SignOptions::new(options.unwrap_or_default());
        let signed = hookseal::sign("elmed", body, &options).unwrap_or_default();
        let pairs: Vec<(&str, &str)> = signed.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        block(&pairs)
    }

    fn fields(
        v: *const hookseal_verifier,
        body: &[u8],
        block: &[u8],
    ) -> Result<hookseal_event_fields, hookseal_status> {
        let mut out = std::mem::MaybeUninit::<hookseal_event_fields>::uninit();
        // SAFETY: valid pointers and lengths.
        let status = unsafe {
            hookseal_verify_fields(
                v,
                body.as_ptr().cast(),
                body.len(),
                block.as_ptr().cast(),
                block.len(),
                ptr::null(),
                out.as_mut_ptr(),
            )
        };
        // SAFETY: written on success.
        (status == hookseal_status::Ok).then(|| unsafe { out.assume_init() }).ok_or(status)
    }

    fn json(v: *const hookseal_verifier, body: &[u8], block: &[u8]) -> Result<String, hookseal_status> {
        let mut out = ptr::null_mut();
        // SAFETY: valid pointers and lengths.
        let status = unsafe {
            hookseal_verify(
                v,
                body.as_ptr().cast(),
                body.len(),
                block.as_ptr().cast(),
                block.len(),
                ptr::null(),
                &mut out,
            )
        };
        if status != hookseal_status::Ok {
            return Err(status);
        }
        // SAFETY: a live hookseal_bytes, freed once after the copy.
        let text = unsafe { std::slice::from_raw_parts(hookseal_bytes_data(out), hookseal_bytes_len(out)) };
        let text = String::from_utf8(text.to_vec()).unwrap_or_default();
        unsafe { hookseal_bytes_free(out) };
        Ok(text)
    }

    /// The JSON text of `hookseal_verify` rebuilt from the fields, for comparison.
    fn as_json(provider: &str, body: &[u8], f: &hookseal_event_fields) -> String {
        // SAFETY: the thread's buffer, valid until the next call.
        let text = unsafe { std::slice::from_raw_parts(f.text, f.text_len) };
        let mut at = 0;
        let mut cut = |len: i64| {
            let len = usize::try_from(len).ok()?;
            let part = std::str::from_utf8(&text[at..at + len]).ok()?;
            at += len;
            Some(part)
        };
        let quoted = |s: Option<&str>| {
            s.map_or("null".to_owned(), |s| {
                let mut out = String::new();
                hookseal_json_string(&mut out, s);
                out
            })
        };
        let event_type = quoted(cut(f.event_type_len));
        let key = quoted(cut(f.idempotency_key_len));
        let timestamp = quoted(cut(f.timestamp_len));
        let clinic_id = quoted(cut(f.clinic_id_len));
        let metadata = cut(f.metadata_len).unwrap_or("null").to_owned();
        let from = if f.data_in_body { body } else { text };
        let data = std::str::from_utf8(&from[f.data_offset..f.data_offset + f.data_len]).unwrap_or_default();
        let source = ["event_id", "request_id", "webhook_id", "body_sha256"][f.idempotency_key_source as usize];
        format!(
            "{{\"provider\":\"{provider}\",\"event_type\":{event_type},\"idempotency_key\":{key},\
             \"idempotency_key_source\":\"{source}\",\"timestamp\":{timestamp},\"data\":{data},\"is_test\":{},\
             \"is_retry\":{},\"metadata\":{metadata},\"clinic_id\":{clinic_id}}}",
            f.is_test, f.is_retry
        )
    }

    /// JSON string escaping as the event's (quote, backslash, control characters).
    fn hookseal_json_string(out: &mut String, s: &str) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if c < ' ' => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                c => out.push(c),
            }
        }
        out.push('"');
    }

    fn same_json(a: &str, b: &str) {
        let (a, b) = (JsonValue::parse(a.as_bytes(), false), JsonValue::parse(b.as_bytes(), false));
        assert!(a.is_ok() && a == b, "{a:?} != {b:?}");
    }

    #[test]
    fn fields_are_the_json_events_fields() {
        let elmed =
            verifier(ELMED, &std::ffi::CString::new(format!("{{\"secret\":\"{SECRET}\"}}")).unwrap_or_default());
        let bodies: [&[u8]; 4] = [
            br#"{"event":"order.status_changed","timestamp":"2026-03-29T12:00:00","data":{"order_id":88,"n":"a\"b\u0001"}}"#,
            br#"{"event":"order.status_changed","data":[1,2.5,{"k":null}],"timestamp":1711713600}"#,
            br#"{"event":"order.status_changed"}"#,
            br#" {"data" : "x\ty", "event":"order.status_changed"} "#,
        ];
        for body in bodies {
            let block = elmed_block(body);
            let f = fields(elmed, body, &block).map_err(|s| s as u32);
            let expected = json(elmed, body, &block).map_err(|s| s as u32);
            assert!(f.is_ok() && expected.is_ok(), "{f:?} {expected:?}");
            let f = f.unwrap_or_else(|_| unreachable!());
            assert!(f.data_in_body);
            assert_eq!(f.idempotency_key_source, hookseal_key_source::BodySha256);
            same_json(&as_json("elmed", body, &f), &expected.unwrap_or_default());
        }
        // Baremeds: metadata with its webhook_key redacted; without `data`, the redacted body is the data (copied).
        let key = "bm_key_0123456789abcdef";
        let baremeds =
            verifier(c"baremeds", &std::ffi::CString::new(format!("{{\"secret\":\"{key}\"}}")).unwrap_or_default());
        let block = block(&[("X-Webhook-Key", key), ("X-Webhook-Test", "true")]);
        for (body, in_body) in [
            (
                format!(
                    r#"{{"event":"order_changed","data":{{"a":1}},"metadata":{{"request_id":"r-1","retry":true,"webhook_key":"{key}"}}}}"#
                ),
                true,
            ),
            (format!(r#"{{"event":"order_changed","metadata":{{"retry":false,"webhook_key":"{key}"}}}}"#), false),
        ] {
            let f = fields(baremeds, body.as_bytes(), &block).map_err(|s| s as u32);
            let expected = json(baremeds, body.as_bytes(), &block).unwrap_or_default();
            let f = f.unwrap_or_else(|s| panic!("{s}"));
            assert_eq!((f.data_in_body, f.is_test), (in_body, true));
            let shown = as_json("baremeds", body.as_bytes(), &f);
            assert!(!shown.contains(key), "{shown}");
            same_json(&shown, &expected);
        }
        // SAFETY: live handles, freed once.
        unsafe { hookseal_verifier_free(elmed) };
        unsafe { hookseal_verifier_free(baremeds) };
    }

    #[test]
    fn refusals_are_hookseal_verifys_and_write_nothing() {
        let v = verifier(ELMED, &std::ffi::CString::new(format!("{{\"secret\":\"{SECRET}\"}}")).unwrap_or_default());
        let body: &[u8] = br#"{"event":"order.status_changed","data":{}}"#;
        let good = elmed_block(body);
        let kept = fields(v, body, &good).unwrap_or_else(|s| panic!("{}", s as u32));
        // SAFETY: the thread's buffer, valid until the next successful call.
        let kept_text = unsafe { std::slice::from_raw_parts(kept.text, kept.text_len) }.to_vec();
        let cases: [(&[u8], Vec<u8>); 5] = [
            (b"{\"event\":\"order.status_changed\",\"data\":{}} ", good.clone()), // another body: signature_mismatch
            (
                br#"{"event":"order.status_changed","data":{]}"#,
                elmed_block(br#"{"event":"order.status_changed","data":{]}"#),
            ),
            (body, block(&[("Content-Type", "application/json")])),
            (body, good[..good.len() - 1].to_vec()),          // no final NUL
            (body, [good.as_slice(), b"X-Extra\0"].concat()), // a name and no value
        ];
        for (body, block) in cases {
            let mut out = std::mem::MaybeUninit::<hookseal_event_fields>::zeroed();
            // SAFETY: valid pointers and lengths.
            let status = unsafe {
                hookseal_verify_fields(
                    v,
                    body.as_ptr().cast(),
                    body.len(),
                    block.as_ptr().cast(),
                    block.len(),
                    ptr::null(),
                    out.as_mut_ptr(),
                )
            };
            assert_ne!(status, hookseal_status::Ok);
            assert_eq!(Err(status), json(v, body, &block).map(drop));
            // SAFETY: zeroed, a valid bit pattern for the struct; untouched on failure.
            assert!(unsafe { out.assume_init() }.text.is_null());
            // SAFETY: the thread's buffer, kept by the failed calls.
            assert_eq!(unsafe { std::slice::from_raw_parts(kept.text, kept.text_len) }, kept_text.as_slice());
        }
        // SAFETY: a live handle, freed once.
        unsafe { hookseal_verifier_free(v) };
    }

    #[test]
    fn null_arguments_are_null_parameter() {
        let v = verifier(ELMED, &std::ffi::CString::new(format!("{{\"secret\":\"{SECRET}\"}}")).unwrap_or_default());
        let body: &[u8] = br#"{"event":"order.status_changed","data":{}}"#;
        let good = elmed_block(body);
        let mut out = std::mem::MaybeUninit::<hookseal_event_fields>::zeroed();
        let (b, bl, h, hl) = (body.as_ptr().cast::<c_char>(), body.len(), good.as_ptr().cast::<c_char>(), good.len());
        // SAFETY: every pointer is valid or NULL.
        unsafe {
            let null = hookseal_status::NullParameter;
            assert_eq!(hookseal_verify_fields(ptr::null(), b, bl, h, hl, ptr::null(), out.as_mut_ptr()), null);
            assert_eq!(hookseal_verify_fields(v, b, bl, h, hl, ptr::null(), ptr::null_mut()), null);
            assert_eq!(hookseal_verify_fields(v, ptr::null(), bl, h, hl, ptr::null(), out.as_mut_ptr()), null);
            assert_eq!(hookseal_verify_fields(v, b, bl, ptr::null(), hl, ptr::null(), out.as_mut_ptr()), null);
            assert_eq!(
                hookseal_verify_fields(ptr::null(), ptr::null(), 0, ptr::null(), 0, ptr::null(), ptr::null_mut()),
                null
            );
            let options = std::ffi::CString::new(format!("{{\"secret\":\"{SECRET}\"}}")).unwrap_or_default();
            let o = options.as_ptr();
            assert_eq!(hookseal_verify_once_fields(ptr::null(), o, b, bl, h, hl, ptr::null(), out.as_mut_ptr()), null);
            assert_eq!(
                hookseal_verify_once_fields(ELMED.as_ptr(), o, b, bl, h, hl, ptr::null(), ptr::null_mut()),
                null
            );
            assert_eq!(
                hookseal_verify_once_fields(ELMED.as_ptr(), o, ptr::null(), 1, h, hl, ptr::null(), out.as_mut_ptr()),
                null
            );
            assert!(out.assume_init().text.is_null());
            // Not written; and the once call's success is the handle's.
            let now = 1_711_713_600_i64;
            assert_eq!(
                hookseal_verify_once_fields(ELMED.as_ptr(), o, b, bl, h, hl, &now, out.as_mut_ptr()),
                hookseal_status::Ok
            );
            assert_eq!(out.assume_init().data_len, 2);
            hookseal_verifier_free(v);
        }
    }

    #[test]
    fn headers_blocks() {
        fn pairs(b: &[u8]) -> Result<Vec<Pair<'_>>, u32> {
            header_pairs(b).map(|p| p.collect()).map_err(|s| s as u32)
        }
        assert_eq!(pairs(b""), Ok(vec![]));
        assert_eq!(pairs(b"\0\0"), Ok(vec![(&b""[..], &b""[..])]));
        assert_eq!(pairs(b"a\0b\0c\0\0"), Ok(vec![(&b"a"[..], &b"b"[..]), (&b"c"[..], &b""[..])]));
        for bad in [&b"a"[..], b"a\0", b"a\0b", b"a\0b\0c\0", b"\0"] {
            assert_eq!(pairs(bad), Err(hookseal_status::InvalidArgument as u32), "{bad:?}");
        }
    }
}
