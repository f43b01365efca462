//! One call for scripts and tests, as Stripe's `Webhook::construct_event` is: `hookseal::verify(provider, body,
//! headers, &options)`. It keeps the verifiers it built (at most [`CACHED_VERIFIERS`], the least recently used
//! dropped first), so a loop over deliveries prepares its keys once; a server should still build one [`Verifier`]
//! and share it.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::{ConfigError, ErrorCode, VerifyError};
use crate::event::Event;
use crate::headers::HeaderPair;
use crate::options::Options;
use crate::verifier::Verifier;

/// How many verifiers [`verify`] keeps, per process.
pub const CACHED_VERIFIERS: usize = 32;

/// A provider name and its options (secrets included: like the verifier, never shown), and the verifier they built.
type Entry = (Box<str>, Options, Arc<Verifier>);

/// Most recently used last.
static CACHE: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

/// Why [`verify`] failed: the options could not build a verifier, or the delivery failed verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// `invalid_secret`, `insecure_default_key`, `unknown_provider` or `invalid_option`.
    Config(ConfigError),
    /// One of the verification codes.
    Verify(VerifyError),
}

impl Error {
    /// The contract code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Config(e) => e.code(),
            Error::Verify(e) => e.code(),
        }
    }

    /// A human explanation. It never contains a secret or a signature.
    pub fn message(&self) -> &str {
        match self {
            Error::Config(e) => e.message(),
            Error::Verify(e) => e.message(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(e) => e.fmt(f),
            Error::Verify(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}

impl From<VerifyError> for Error {
    fn from(e: VerifyError) -> Self {
        Error::Verify(e)
    }
}

/// Verifies one delivery from `provider` with `options` (a replay window reads the system clock).
///
/// ```
/// use hookseal::{sign, Options, SignOptions};
///
/// let body = br#"{"event":"claim.decision","data":{"claim_id":31}}"#;
/// let options = Options::new().secret("elmed-endpoint-secret");
/// let headers = sign("elmed", body, &SignOptions::new(options.clone()))?;
/// let event = hookseal::verify("elmed", body, &headers, &options)?;
/// assert_eq!(event.event_type(), Some("claim.decision"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify<'a, 'h, I>(provider: &str, body: &'a [u8], headers: I, options: &Options) -> Result<Event<'a>, Error>
where
    I: IntoIterator,
    I::Item: HeaderPair<'h>,
{
    Ok(cached(provider, options)?.verify(body, headers)?)
}

/// [`verify`] as if the time were `now` (Unix seconds).
pub fn verify_at<'a, 'h, I>(
    provider: &str,
    body: &'a [u8],
    headers: I,
    options: &Options,
    now: i64,
) -> Result<Event<'a>, Error>
where
    I: IntoIterator,
    I::Item: HeaderPair<'h>,
{
    Ok(cached(provider, options)?.verify_at(body, headers, now)?)
}

/// The verifier for these options: the one built before, or a new one (a configuration error is not kept).
fn cached(provider: &str, options: &Options) -> Result<Arc<Verifier>, ConfigError> {
    if let Some(verifier) = take_cached(&mut lock(), provider, options) {
        return Ok(verifier);
    }
    // Built without holding the lock; another thread may have built the same one meanwhile, and then its copy is kept.
    let built = Arc::new(Verifier::new(provider, options)?);
    let mut cache = lock();
    if let Some(verifier) = take_cached(&mut cache, provider, options) {
        return Ok(verifier);
    }
    if cache.len() >= CACHED_VERIFIERS {
        cache.remove(0);
    }
    cache.push((provider.into(), options.clone(), Arc::clone(&built)));
    Ok(built)
}

/// A panic elsewhere cannot leave the list half-changed (every change to it is one Vec operation).
fn lock() -> std::sync::MutexGuard<'static, Vec<Entry>> {
    CACHE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The cached verifier for these options, moved to the most recently used end.
fn take_cached(cache: &mut Vec<Entry>, provider: &str, options: &Options) -> Option<Arc<Verifier>> {
    let at = cache.iter().position(|(p, o, _)| **p == *provider && o == options)?;
    let entry = cache.remove(at);
    let verifier = Arc::clone(&entry.2);
    cache.push(entry);
    Some(verifier)
}

/// How many verifiers the cache holds now (for tests).
#[doc(hidden)]
pub fn cached_verifiers() -> usize {
    lock().len()
}

/// Whether the cache holds a verifier for these options (for tests; it does not count as a use).
#[doc(hidden)]
pub fn is_cached(provider: &str, options: &Options) -> bool {
    lock().iter().any(|(p, o, _)| **p == *provider && o == options)
}
