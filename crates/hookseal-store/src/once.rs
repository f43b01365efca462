//! A handler run exactly once per key: what the framework helpers of every language do, as one Rust function.

use std::fmt;
use std::time::Duration;

use crate::error::StoreError;
use crate::state::{retry_after_seconds, Claim, ClaimOutcome};
use crate::store::Store;

/// What [`process_once`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Processed<T> {
    /// The handler ran and returned this; the key is done.
    Done(T),
    /// The key was already done: the handler did not run. Answer 200 `{"status": "duplicate", …}`.
    Duplicate,
    /// Another worker holds the key: the handler did not run. Answer 503 with `Retry-After`.
    InProgress {
        /// The time left on the other worker's lease.
        retry_after: Duration,
    },
}

impl<T> Processed<T> {
    /// For `InProgress`, the `Retry-After` seconds (rounded up, at least 1).
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            Processed::InProgress { retry_after } => Some(retry_after_seconds(*retry_after)),
            _ => None,
        }
    }
}

/// Why [`process_once`] did not process the event.
pub enum OnceError<E> {
    /// The store could not be reached: the handler did not run. Answer 503 `store_unavailable`.
    Store(StoreError),
    /// The handler failed; its claim was released, so the provider's retry is processed.
    Handler(E),
}

impl<E: fmt::Debug> fmt::Debug for OnceError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OnceError::Store(error) => f.debug_tuple("Store").field(error).finish(),
            OnceError::Handler(error) => f.debug_tuple("Handler").field(error).finish(),
        }
    }
}

impl<E: fmt::Display> fmt::Display for OnceError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OnceError::Store(error) => error.fmt(f),
            OnceError::Handler(error) => write!(f, "the handler failed: {error}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for OnceError<E> {}

/// Releases the claim unless it was completed: also when the handler panics.
struct Held<'a> {
    store: &'a Store,
    claim: Option<Claim>,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some(claim) = self.claim.take() {
            if let Err(error) = self.store.release(&claim) {
                // The lease runs out by itself; then the retry is processed.
                log::warn!("hookseal: releasing a failed claim: {error}");
            }
        }
    }
}

/// Claims `key` in `namespace`, runs `handler` only if the claim was won, then completes the key when it returns
/// `Ok` or releases it when it returns `Err` (or panics), as docs/exactly-once.md's table says.
///
/// A `complete` that fails after the handler returned is logged, and the handler's value is still returned: the work
/// was done, and a 5xx would make the provider deliver it again.
///
/// ```
/// use hookseal_store::{process_once, OnceError, Processed, Store, StoreOptions};
///
/// let store = Store::open("memory:", &StoreOptions::new())?;
/// let first = process_once(&store, "novamed", "evt_123", || Ok::<_, String>("shipped"));
/// assert!(matches!(first, Ok(Processed::Done("shipped"))));
/// let retry = process_once(&store, "novamed", "evt_123", || Ok::<_, String>("shipped"));
/// assert!(matches!(retry, Ok(Processed::Duplicate)));
/// # Ok::<(), hookseal_store::StoreError>(())
/// ```
pub fn process_once<T, E>(
    store: &Store,
    namespace: &str,
    key: impl AsRef<[u8]>,
    handler: impl FnOnce() -> Result<T, E>,
) -> Result<Processed<T>, OnceError<E>> {
    let claim = match store.claim(namespace, key).map_err(OnceError::Store)? {
        ClaimOutcome::Claimed(claim) => claim,
        ClaimOutcome::Duplicate => return Ok(Processed::Duplicate),
        ClaimOutcome::InProgress { retry_after } => return Ok(Processed::InProgress { retry_after }),
    };
    let mut held = Held { store, claim: Some(claim) };
    let value = handler().map_err(OnceError::Handler)?;
    if let Some(claim) = held.claim.take() {
        if let Err(error) = store.complete(&claim) {
            log::error!("hookseal: the handler ran but its key could not be marked done: {error}");
        }
    }
    Ok(Processed::Done(value))
}
