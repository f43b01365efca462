//! Status codes, the panic boundary and the last error message.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What a function did. The numbers are stable and never reused: 0 is success; 1–11 and 101–104 are the contract's
/// error codes (the same numbers as the core's `ErrorCode`), one status per code; 1000 and up belong to the C ABI.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum hookseal_status {
    /// Success: the outputs were written.
    Ok = 0,
    /// `missing_header`
    MissingHeader = 1,
    /// `malformed_header`
    MalformedHeader = 2,
    /// `signature_mismatch`
    SignatureMismatch = 3,
    /// `key_mismatch`
    KeyMismatch = 4,
    /// `payload_too_large`
    PayloadTooLarge = 5,
    /// `invalid_json`
    InvalidJson = 6,
    /// `missing_field`
    MissingField = 7,
    /// `event_mismatch`
    EventMismatch = 8,
    /// `clinic_mismatch`
    ClinicMismatch = 9,
    /// `timestamp_out_of_tolerance`
    TimestampOutOfTolerance = 10,
    /// `store_unavailable`: the dedupe store cannot be reached; do not process the delivery, answer 503.
    StoreUnavailable = 11,
    /// `invalid_secret`
    InvalidSecret = 101,
    /// `insecure_default_key`
    InsecureDefaultKey = 102,
    /// `unknown_provider`
    UnknownProvider = 103,
    /// `invalid_option`
    InvalidOption = 104,
    /// A pointer that must not be NULL was NULL.
    NullParameter = 1000,
    /// A name (provider, options) was not UTF-8.
    InvalidUtf8 = 1001,
    /// A bug: hookseal panicked. The panic was caught; nothing was written.
    Panic = 1002,
    /// An argument is malformed (a headers block that does not end in a complete entry).
    InvalidArgument = 1003,
}

impl From<hookseal::ErrorCode> for hookseal_status {
    fn from(code: hookseal::ErrorCode) -> Self {
        use hookseal::ErrorCode as C;
        match code {
            C::MissingHeader => Self::MissingHeader,
            C::MalformedHeader => Self::MalformedHeader,
            C::SignatureMismatch => Self::SignatureMismatch,
            C::KeyMismatch => Self::KeyMismatch,
            C::PayloadTooLarge => Self::PayloadTooLarge,
            C::InvalidJson => Self::InvalidJson,
            C::MissingField => Self::MissingField,
            C::EventMismatch => Self::EventMismatch,
            C::ClinicMismatch => Self::ClinicMismatch,
            C::TimestampOutOfTolerance => Self::TimestampOutOfTolerance,
            C::StoreUnavailable => Self::StoreUnavailable,
            C::InvalidSecret => Self::InvalidSecret,
            C::InsecureDefaultKey => Self::InsecureDefaultKey,
            C::UnknownProvider => Self::UnknownProvider,
            C::InvalidOption => Self::InvalidOption,
            // A code added to the core later must get its own status here first.
            _ => Self::Panic,
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Records the message of a failure for `hookseal_last_error_message`, and returns its status.
pub(crate) fn fail(status: hookseal_status, message: &str) -> hookseal_status {
    // `try_with`: during a thread's teardown the slot may be gone; the status still says what happened.
    let _ = LAST_ERROR.try_with(|last| {
        if let Ok(mut last) = last.try_borrow_mut() {
            last.clear();
            last.push_str(message);
        }
    });
    status
}

/// Runs `f` inside the panic boundary: a panic becomes `HOOKSEAL_STATUS_PANIC`.
pub(crate) fn guard(f: impl FnOnce() -> hookseal_status) -> hookseal_status {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| fail(hookseal_status::Panic, "hookseal panicked (a bug)"))
}

/// The contract's string for `status` (`"signature_mismatch"`, …; `"ok"`, `"null_parameter"`, `"invalid_utf8"`,
/// `"panic"`, `"invalid_argument"` for the C ABI's own). The string is static and NUL-terminated: never free it. An unknown number gives
/// `"unknown_status"`.
#[no_mangle]
pub extern "C" fn hookseal_status_code(status: u32) -> *const std::ffi::c_char {
    let text: &'static std::ffi::CStr = match catch_unwind(|| code_cstr(status)) {
        Ok(text) => text,
        Err(_) => c"panic",
    };
    text.as_ptr()
}

fn code_cstr(status: u32) -> &'static std::ffi::CStr {
    const ALL: [(hookseal_status, &std::ffi::CStr); 20] = [
        (hookseal_status::Ok, c"ok"),
        (hookseal_status::MissingHeader, c"missing_header"),
        (hookseal_status::MalformedHeader, c"malformed_header"),
        (hookseal_status::SignatureMismatch, c"signature_mismatch"),
        (hookseal_status::KeyMismatch, c"key_mismatch"),
        (hookseal_status::PayloadTooLarge, c"payload_too_large"),
        (hookseal_status::InvalidJson, c"invalid_json"),
        (hookseal_status::MissingField, c"missing_field"),
        (hookseal_status::EventMismatch, c"event_mismatch"),
        (hookseal_status::ClinicMismatch, c"clinic_mismatch"),
        (hookseal_status::TimestampOutOfTolerance, c"timestamp_out_of_tolerance"),
        (hookseal_status::StoreUnavailable, c"store_unavailable"),
        (hookseal_status::InvalidSecret, c"invalid_secret"),
        (hookseal_status::InsecureDefaultKey, c"insecure_default_key"),
        (hookseal_status::UnknownProvider, c"unknown_provider"),
        (hookseal_status::InvalidOption, c"invalid_option"),
        (hookseal_status::NullParameter, c"null_parameter"),
        (hookseal_status::InvalidUtf8, c"invalid_utf8"),
        (hookseal_status::Panic, c"panic"),
        (hookseal_status::InvalidArgument, c"invalid_argument"),
    ];
    ALL.iter().find(|(s, _)| *s as u32 == status).map_or(c"unknown_status", |(_, text)| text)
}

/// Copies the message of this thread's last failure (UTF-8, never a secret, not NUL-terminated) into
/// `buf[0..len]`, as much as fits, and writes the full length to `*out_len`: a caller can retry with a larger
/// buffer. `buf` may be NULL when `len` is 0 (to ask for the length). The message stays until the thread's next
/// failure.
///
/// # Safety
/// `buf` must be valid for `len` writable bytes (or NULL with `len` 0); `out_len` must be valid or NULL.
#[no_mangle]
pub unsafe extern "C" fn hookseal_last_error_message(
    buf: *mut std::ffi::c_char,
    len: usize,
    out_len: *mut usize,
) -> hookseal_status {
    guard(|| {
        if out_len.is_null() || (buf.is_null() && len > 0) {
            return hookseal_status::NullParameter;
        }
        // SAFETY: checked non-NULL above; the caller gave a valid pointer. (No message if the thread is ending.)
        unsafe { *out_len = 0 };
        let _ = LAST_ERROR.try_with(|last| {
            let Ok(last) = last.try_borrow() else { return };
            let n = last.len().min(len);
            if n > 0 {
                // SAFETY: the caller gave `len >= n` writable bytes at `buf`; `last` does not overlap them.
                unsafe { std::ptr::copy_nonoverlapping(last.as_ptr(), buf.cast::<u8>(), n) };
            }
            // SAFETY: checked non-NULL above; the caller gave a valid pointer.
            unsafe { *out_len = last.len() };
        });
        hookseal_status::Ok
    })
}

/// The HTTP status a receiver answers with for the contract's error `code` (`"signature_mismatch"`, …), from the
/// core's table shared by every framework helper: 401 when the delivery did not prove it is genuine, 413 for
/// `payload_too_large`, 400 for any other refused delivery, 503 for `store_unavailable`, 500 for a configuration
/// error; 0 if `code` is NULL or
/// not one of the contract's codes.
///
/// # Safety
/// `code` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn hookseal_code_http_status(code: *const std::ffi::c_char) -> u16 {
    if code.is_null() {
        return 0;
    }
    // SAFETY: non-NULL and NUL-terminated (the caller's promise).
    let code = unsafe { std::ffi::CStr::from_ptr(code) };
    catch_unwind(|| {
        code.to_str().ok().and_then(hookseal::ErrorCode::from_code).map_or(0, hookseal::ErrorCode::http_status)
    })
    .unwrap_or(0)
}
