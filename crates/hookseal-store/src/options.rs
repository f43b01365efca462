//! How long a claim holds a key (the lease) and how long a processed key is remembered (the retention).

use std::time::Duration;

use crate::error::StoreError;

/// How long a worker holds a key it claimed before another may take it over (its worker is taken to have died).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);
/// How long a processed key is remembered: longer than every preset's retry horizon (NovaMed's last retry comes
/// after about 1 h 21 min, Svix's after about a day) and than a manual re-delivery from a portal days later.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// The longest lease or retention accepted: a year.
const MAX_DURATION: Duration = Duration::from_secs(366 * 24 * 3600);

/// A store's lease and retention (and, for hosts without a system clock, its clock).
#[derive(Clone, Copy, Debug, Default)]
pub struct StoreOptions {
    pub(crate) lease: Option<Duration>,
    pub(crate) retention: Option<Duration>,
    pub(crate) clock: Option<fn() -> u64>,
}

impl StoreOptions {
    /// The defaults: a 60 s lease, a 7-day retention, the system clock.
    pub fn new() -> Self {
        Self::default()
    }

    /// The lease (whole milliseconds, at least 1 ms, at most a year; checked by [`crate::Store::open`]).
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = Some(lease);
        self
    }

    /// The retention (whole milliseconds, at least 1 ms, at most a year; checked by [`crate::Store::open`]).
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = Some(retention);
        self
    }

    /// Lease and retention as the bindings receive them: seconds, fractions allowed, `None` for the default.
    pub fn from_seconds(lease: Option<f64>, retention: Option<f64>) -> Result<Self, StoreError> {
        Ok(Self {
            lease: lease.map(|s| seconds("lease", s)).transpose()?,
            retention: retention.map(|s| seconds("retention", s)).transpose()?,
            clock: None,
        })
    }

    /// The clock in Unix milliseconds, for a host without a system clock (WebAssembly reads `Date.now()`) or a
    /// test. Memory stores only: SQLite reads the system clock and Redis expires keys by the server's.
    pub fn clock(mut self, clock: fn() -> u64) -> Self {
        self.clock = Some(clock);
        self
    }
}

/// Seconds as a binding passes them (a number, fractions allowed) to a duration in the accepted range.
pub(crate) fn seconds(name: &str, value: f64) -> Result<Duration, StoreError> {
    if !value.is_finite() || value < 0.001 || value > MAX_DURATION.as_secs_f64() {
        return Err(StoreError::invalid_option(format!(
            "{name} must be a number of seconds from 0.001 to {} (a year)",
            MAX_DURATION.as_secs()
        )));
    }
    Ok(Duration::from_millis((value * 1000.0).round() as u64))
}

/// A duration given to the builder, checked like one given in seconds, as whole milliseconds.
pub(crate) fn millis(name: &str, value: Duration) -> Result<u64, StoreError> {
    seconds(name, value.as_secs_f64()).map(|d| d.as_millis() as u64)
}
