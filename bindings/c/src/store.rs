//! The dedupe store (docs/exactly-once.md) over the C ABI: `hookseal_store_open`, `…_claim`, `…_complete`,
//! `…_release`. Calls block for at most a couple of seconds (SQLite's busy timeout, Redis's connect and command
//! timeouts) and fail closed with `HOOKSEAL_STATUS_STORE_UNAVAILABLE`.

use std::ffi::c_char;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use ::hookseal_store::{Claim, ClaimOutcome, Store, StoreError, StoreOptions};
use jiter::JsonValue;

use crate::bytes::hookseal_bytes;
use crate::error::{fail, guard, hookseal_status};
use crate::verifier::{name, options_text, slice};

/// A store: opaque, safe to share between threads. Made by `hookseal_store_open`, released by `hookseal_store_free`.
pub struct hookseal_store {
    inner: Arc<Store>,
}

/// One worker's hold on a key, from `hookseal_store_claim`; released by `hookseal_claim_free`.
pub struct hookseal_claim {
    inner: Claim,
}

/// What `hookseal_store_claim` found. The numbers are stable.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum hookseal_claim_status {
    /// The caller holds the key: process the event, then `hookseal_store_complete` (or `…_release` on failure).
    Claimed = 0,
    /// The key is done: answer 200 and do nothing else.
    Duplicate = 1,
    /// Another worker holds the key: answer 503 with `Retry-After` so the provider retries.
    InProgress = 2,
}

/// Stores opened in this process, by URL and options: a host that opens its store on every request (PHP) gets the
/// process's store back, with its open SQLite connection and pooled Redis connections.
/// (A list, not a hash map: its blocks are reachable from their start, so valgrind counts them "still reachable".)
static OPEN: OnceLock<Mutex<Vec<Remembered>>> = OnceLock::new();
/// A store, and the URL and options it was opened with.
type Remembered = (String, Arc<Store>);
/// A process opens a handful of stores; past this, a new one is not remembered (it still works).
const MAX_REMEMBERED: usize = 32;

fn store_options(text: Option<&str>) -> Result<StoreOptions, hookseal_status> {
    let invalid = |message: &str| fail(hookseal_status::InvalidOption, message);
    let Some(text) = text else { return Ok(StoreOptions::new()) };
    let Ok(JsonValue::Object(object)) = JsonValue::parse(text.as_bytes(), false) else {
        return Err(invalid("the store options must be a JSON object"));
    };
    let (mut lease, mut retention) = (None, None);
    for (key, value) in object.iter() {
        let seconds = match value {
            JsonValue::Null => None,
            JsonValue::Int(n) => Some(*n as f64),
            JsonValue::Float(f) => Some(*f),
            _ => return Err(invalid(&format!("the store option {key} must be a number of seconds"))),
        };
        match key.as_ref() {
            "lease" if lease.is_none() => lease = Some(seconds),
            "retention" if retention.is_none() => retention = Some(seconds),
            "lease" | "retention" => return Err(invalid("a store option is given twice")),
            _ => return Err(invalid("the store options are lease and retention (seconds)")),
        }
    }
    StoreOptions::from_seconds(lease.flatten(), retention.flatten()).map_err(|e| fail(e.code().into(), e.message()))
}

/// Opens the store `url` names (`"memory:"`, `"sqlite:///path.db"`, `"redis://[user:password@]host:port/db"`,
/// `"rediss://…"`, each with optional `?lease=S&retention=S`) with `options_json` (`{"lease": 60, "retention":
/// 604800}`, seconds; NULL for the defaults). Nothing is reached yet: a store that is down fails the first claim, not
/// this. On success writes a new handle to `*out`, released with `hookseal_store_free`.
///
/// Within one process, opening the same URL with the same options again gives a handle to the same store (the same
/// SQLite connection, the same pooled Redis connections): a PHP-FPM worker keeps its connection from one request to
/// the next. A malformed URL, an unknown scheme or bad options is `HOOKSEAL_STATUS_INVALID_OPTION`; no message ever
/// holds the URL's password.
///
/// # Safety
/// `url` and `options_json` must be NULL or NUL-terminated strings; `out` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn hookseal_store_open(
    url: *const c_char,
    options_json: *const c_char,
    out: *mut *mut hookseal_store,
) -> hookseal_status {
    guard(|| {
        if out.is_null() {
            return fail(hookseal_status::NullParameter, "out is NULL");
        }
        let opened = (|| {
            // SAFETY: the caller's promises, forwarded.
            let url = unsafe { name(url, "url") }?;
            let text = unsafe { options_text(options_json) }?;
            let options = store_options(text)?;
            let id = format!("{url}\0{}", text.unwrap_or(""));
            let mut open = OPEN.get_or_init(Default::default).lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((_, store)) = open.iter().find(|(known, _)| *known == id) {
                return Ok(store.clone());
            }
            let store = Arc::new(Store::open(url, &options).map_err(|e| fail(e.code().into(), e.message()))?);
            if open.len() < MAX_REMEMBERED {
                open.push((id, store.clone()));
            }
            Ok(store)
        })();
        match opened {
            Ok(inner) => {
                // SAFETY: `out` is non-NULL and writable (the caller's promise).
                unsafe { *out = Box::into_raw(Box::new(hookseal_store { inner })) };
                hookseal_status::Ok
            }
            Err(status) => status,
        }
    })
}

/// Releases a store handle (the process keeps the store itself for the next open of its URL). NULL is a no-op.
///
/// # Safety
/// `store` must be NULL or a handle from `hookseal_store_open` not freed yet, and no call may be using it.
#[no_mangle]
pub unsafe extern "C" fn hookseal_store_free(store: *mut hookseal_store) {
    if !store.is_null() {
        // SAFETY: made by `Box::into_raw` in `hookseal_store_open`, freed once (the caller's promise).
        let _ = std::panic::catch_unwind(|| drop(unsafe { Box::from_raw(store) }));
    }
}

/// The store's URL with any password replaced by `***` (for logs), as UTF-8 in a new `hookseal_bytes` written to
/// `*out` (release it with `hookseal_bytes_free`).
///
/// # Safety
/// `store` must be NULL or a live handle; `out` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn hookseal_store_describe(
    store: *const hookseal_store,
    out: *mut *mut hookseal_bytes,
) -> hookseal_status {
    guard(|| {
        // SAFETY: NULL or a live handle (the caller's promise).
        let Some(store) = (unsafe { store.as_ref() }) else {
            return fail(hookseal_status::NullParameter, "store is NULL");
        };
        if out.is_null() {
            return fail(hookseal_status::NullParameter, "out is NULL");
        }
        // SAFETY: non-NULL and writable (the caller's promise).
        unsafe { *out = hookseal_bytes::boxed(store.inner.describe().to_owned()) };
        hookseal_status::Ok
    })
}

/// The store's backend: `"memory"`, `"sqlite"` or `"redis"` (static, NUL-terminated: never free it); `""` for NULL.
///
/// # Safety
/// `store` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn hookseal_store_backend(store: *const hookseal_store) -> *const c_char {
    // SAFETY: NULL or a live handle (the caller's promise).
    let backend = match unsafe { store.as_ref() }.map(|s| s.inner.backend()) {
        Some("memory") => c"memory",
        Some("sqlite") => c"sqlite",
        Some("redis") => c"redis",
        _ => c"",
    };
    backend.as_ptr()
}

/// Claims the `key_len` bytes at `key` (any bytes; NULL with 0 for an empty key) in `namespace` (1 to 64 of
/// `A-Z a-z 0-9 . _ : -`, NUL-terminated). On success writes the outcome to `*status_out`; for
/// `HOOKSEAL_CLAIM_STATUS_IN_PROGRESS` the seconds left on the other worker's lease (rounded up, at least 1) to
/// `*retry_after_out` (0 otherwise); for `HOOKSEAL_CLAIM_STATUS_CLAIMED` a new claim to `*claim_out`, which the
/// caller releases with `hookseal_claim_free` after completing or releasing it (NULL otherwise). A store that cannot
/// be reached is `HOOKSEAL_STATUS_STORE_UNAVAILABLE`: do not process the event, answer 503.
///
/// # Safety
/// `store` must be NULL or a live handle; `namespace` NULL or NUL-terminated; `key` valid for `key_len` bytes (or
/// NULL with 0); the out-pointers NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn hookseal_store_claim(
    store: *const hookseal_store,
    namespace: *const c_char,
    key: *const c_char,
    key_len: usize,
    status_out: *mut hookseal_claim_status,
    retry_after_out: *mut u64,
    claim_out: *mut *mut hookseal_claim,
) -> hookseal_status {
    guard(|| {
        // SAFETY: NULL or a live handle (the caller's promise).
        let Some(store) = (unsafe { store.as_ref() }) else {
            return fail(hookseal_status::NullParameter, "store is NULL");
        };
        if status_out.is_null() || retry_after_out.is_null() || claim_out.is_null() {
            return fail(hookseal_status::NullParameter, "an out-pointer is NULL");
        }
        let run = || {
            // SAFETY: the caller's promises, forwarded.
            let namespace = unsafe { name(namespace, "namespace") }?;
            let key = unsafe { slice(key, key_len, "key") }?;
            store.inner.claim(namespace, key).map_err(|e| fail(e.code().into(), e.message()))
        };
        let outcome = match run() {
            Ok(outcome) => outcome,
            Err(status) => return status,
        };
        let retry_after = outcome.retry_after_seconds().unwrap_or(0);
        let (status, claim) = match outcome {
            ClaimOutcome::Claimed(inner) => {
                (hookseal_claim_status::Claimed, Box::into_raw(Box::new(hookseal_claim { inner })))
            }
            ClaimOutcome::Duplicate => (hookseal_claim_status::Duplicate, std::ptr::null_mut()),
            ClaimOutcome::InProgress { .. } => (hookseal_claim_status::InProgress, std::ptr::null_mut()),
        };
        // SAFETY: all three checked non-NULL above; writable (the caller's promise).
        unsafe {
            *status_out = status;
            *retry_after_out = retry_after;
            *claim_out = claim;
        }
        hookseal_status::Ok
    })
}

/// Shared by complete and release: the handles, the call, and `*acted_out`.
///
/// # Safety
/// As for `hookseal_store_complete`.
unsafe fn settle(
    store: *const hookseal_store,
    claim: *const hookseal_claim,
    acted_out: *mut bool,
    op: fn(&Store, &Claim) -> Result<bool, StoreError>,
) -> hookseal_status {
    guard(|| {
        // SAFETY: NULL or live handles (the caller's promise).
        let (Some(store), Some(claim)) = (unsafe { store.as_ref() }, unsafe { claim.as_ref() }) else {
            return fail(hookseal_status::NullParameter, "store or claim is NULL");
        };
        if acted_out.is_null() {
            return fail(hookseal_status::NullParameter, "acted_out is NULL");
        }
        match op(&store.inner, &claim.inner) {
            Ok(acted) => {
                // SAFETY: non-NULL and writable (the caller's promise).
                unsafe { *acted_out = acted };
                hookseal_status::Ok
            }
            Err(e) => fail(e.code().into(), e.message()),
        }
    })
}

/// Marks the claim's key done for the store's retention, if the claim still holds it; writes to `*acted_out` whether
/// it did (false: the lease ran out, and the event may be processed again).
///
/// # Safety
/// `store` and `claim` must be NULL or live handles; `acted_out` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn hookseal_store_complete(
    store: *const hookseal_store,
    claim: *const hookseal_claim,
    acted_out: *mut bool,
) -> hookseal_status {
    // SAFETY: forwarded.
    unsafe { settle(store, claim, acted_out, Store::complete) }
}

/// Forgets the claim's key, if the claim still holds it, so that the provider's retry is processed; writes to
/// `*acted_out` whether it did.
///
/// # Safety
/// As for `hookseal_store_complete`.
#[no_mangle]
pub unsafe extern "C" fn hookseal_store_release(
    store: *const hookseal_store,
    claim: *const hookseal_claim,
    acted_out: *mut bool,
) -> hookseal_status {
    // SAFETY: forwarded.
    unsafe { settle(store, claim, acted_out, Store::release) }
}

/// Releases a claim handle (it does not release the key: see `hookseal_store_release`). NULL is a no-op.
///
/// # Safety
/// `claim` must be NULL or a handle from `hookseal_store_claim` not freed yet.
#[no_mangle]
pub unsafe extern "C" fn hookseal_claim_free(claim: *mut hookseal_claim) {
    if !claim.is_null() {
        // SAFETY: made by `Box::into_raw` in `hookseal_store_claim`, freed once (the caller's promise).
        let _ = std::panic::catch_unwind(|| drop(unsafe { Box::from_raw(claim) }));
    }
}
