//! The store: a backend chosen by URL behind one set of operations (docs/exactly-once.md, "Operations").

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::StoreError;
use crate::memory::MemoryRecords;
use crate::options::{millis, StoreOptions, DEFAULT_LEASE, DEFAULT_RETENTION};
use crate::state::{check_namespace, key_digest, Claim, ClaimOutcome};
use crate::url::{self, redact_url, Target};

/// A dedupe store, opened from a URL. Open it once per process and share it: it is `Send + Sync`, and the SQLite
/// and Redis backends keep their connections open from one delivery to the next.
pub struct Store {
    backend: Backend,
    lease_ms: u64,
    retention_ms: u64,
    clock: fn() -> u64,
    description: String,
    /// When a claim last found the store unreachable (Unix ms; 0: not lately). See `FAIL_FAST`.
    failed_at: AtomicU64,
}

/// After a claim finds the store unreachable (a timeout, a refused connection, a locked file), the claims of the next
/// second fail at once instead of each waiting out its own timeout: deliveries queued behind a dead store (on
/// libuv's four threads, an executor's few, a busy SQLite file) are all answered 503 within the bound, and the
/// threads they would hold stay free for the rest of the application.
const FAIL_FAST_MS: u64 = 1000;

enum Backend {
    Memory(Mutex<MemoryRecords>),
    #[cfg(feature = "sqlite")]
    Sqlite(crate::sqlite::SqliteBackend),
    #[cfg(feature = "redis")]
    Redis(crate::redis::RedisBackend),
}

/// The system clock in Unix milliseconds (a clock set before 1970 reads as 0).
fn system_clock() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl Store {
    /// Opens the store `url` names. Only the URL and the options are checked here (a malformed URL, an unknown
    /// scheme or a bad lease is `invalid_option`); the SQLite file and the Redis server are reached on first use, so
    /// a receiver starts while its store is down and answers 503 `store_unavailable` until it is back.
    ///
    /// A lease or retention may be given in the URL (`?lease=30&retention=86400`, seconds) or in `options`, not both.
    pub fn open(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        let parsed = url::parse(url)?;
        let pick = |name: &str, from_url: Option<Duration>, given: Option<Duration>, default: Duration| match (
            from_url, given,
        ) {
            (Some(_), Some(_)) => {
                Err(StoreError::invalid_option(format!("{name} is given both in the store URL and as an option")))
            }
            (from_url, given) => millis(name, from_url.or(given).unwrap_or(default)),
        };
        let lease_ms = pick("lease", parsed.lease, options.lease, DEFAULT_LEASE)?;
        let retention_ms = pick("retention", parsed.retention, options.retention, DEFAULT_RETENTION)?;
        let backend = match parsed.target {
            Target::Memory => Backend::Memory(Mutex::new(MemoryRecords::new())),
            #[cfg(feature = "sqlite")]
            Target::Sqlite { path } => Backend::Sqlite(crate::sqlite::SqliteBackend::new(path)),
            #[cfg(feature = "redis")]
            Target::Redis { url } => Backend::Redis(crate::redis::RedisBackend::new(&url)?),
            #[allow(unreachable_patterns)]
            _ => return Err(StoreError::invalid_option("this build of hookseal has only the memory: store")),
        };
        if options.clock.is_some() && !matches!(backend, Backend::Memory(_)) {
            return Err(StoreError::invalid_option("a clock can be given to a memory: store only"));
        }
        Ok(Self {
            backend,
            lease_ms,
            retention_ms,
            clock: options.clock.unwrap_or(system_clock),
            description: redact_url(url),
            failed_at: AtomicU64::new(0),
        })
    }

    /// `memory`, `sqlite` or `redis`.
    pub fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Memory(_) => "memory",
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => "sqlite",
            #[cfg(feature = "redis")]
            Backend::Redis(_) => "redis",
        }
    }

    /// The URL the store was opened from, with any password replaced by `***`: for start-up logs.
    pub fn describe(&self) -> &str {
        &self.description
    }

    /// The lease a claim gets.
    pub fn lease(&self) -> Duration {
        Duration::from_millis(self.lease_ms)
    }

    /// How long a processed key is remembered.
    pub fn retention(&self) -> Duration {
        Duration::from_millis(self.retention_ms)
    }

    /// Claims `key` in `namespace` (1 to 64 of `A-Z a-z 0-9 . _ : -`; the framework helpers use the preset's name).
    /// The key may be of any length and bytes: only its SHA-256 is stored.
    pub fn claim(&self, namespace: &str, key: impl AsRef<[u8]>) -> Result<ClaimOutcome, StoreError> {
        check_namespace(namespace)?;
        let digest = key_digest(key.as_ref());
        match &self.backend {
            Backend::Memory(records) => {
                let now = (self.clock)();
                Ok(lock(records).claim(namespace, digest, now, self.lease_ms))
            }
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(db) => self.unless_failing(|| db.claim(namespace, digest, self.lease_ms)),
            #[cfg(feature = "redis")]
            Backend::Redis(redis) => self.unless_failing(|| redis.claim(namespace, digest, self.lease_ms)),
        }
    }

    /// Runs a claim, unless one failed less than `FAIL_FAST_MS` ago; records a failure, clears it on success.
    #[cfg_attr(not(any(feature = "sqlite", feature = "redis")), allow(dead_code))]
    fn unless_failing(
        &self,
        claim: impl FnOnce() -> Result<ClaimOutcome, StoreError>,
    ) -> Result<ClaimOutcome, StoreError> {
        let failed_at = self.failed_at.load(Ordering::Relaxed);
        let now = system_clock();
        if failed_at != 0 && now.saturating_sub(failed_at) < FAIL_FAST_MS {
            return Err(StoreError::unavailable(format!(
                "the store {} was unreachable {} ms ago (not tried again for {} s)",
                self.description,
                now.saturating_sub(failed_at),
                FAIL_FAST_MS / 1000
            )));
        }
        let result = claim();
        match &result {
            Err(error) if !error.code().is_config() => self.failed_at.store(system_clock().max(1), Ordering::Relaxed),
            Ok(_) if failed_at != 0 => self.failed_at.store(0, Ordering::Relaxed),
            _ => {}
        }
        result
    }

    /// Marks the claim's key done for the retention, if the claim still holds it (its lease has not run out and no
    /// other worker took the key over). `Ok(false)` says it did not: the event may be processed again.
    pub fn complete(&self, claim: &Claim) -> Result<bool, StoreError> {
        let acted = match &self.backend {
            Backend::Memory(records) => {
                let now = (self.clock)();
                Ok(lock(records).complete(claim, now, self.retention_ms))
            }
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(db) => db.complete(claim, self.retention_ms),
            #[cfg(feature = "redis")]
            Backend::Redis(redis) => redis.complete(claim, self.retention_ms),
        }?;
        if !acted {
            log::warn!(
                "hookseal: a claim in {} was no longer held when it completed (its lease of {} ms ran out): the event \
                 may be processed again",
                claim.namespace,
                claim.lease_ms
            );
        }
        Ok(acted)
    }

    /// Forgets the claim's key, if the claim still holds it, so that the provider's retry is processed.
    pub fn release(&self, claim: &Claim) -> Result<bool, StoreError> {
        let acted = match &self.backend {
            Backend::Memory(records) => {
                let now = (self.clock)();
                Ok(lock(records).release(claim, now))
            }
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(db) => db.release(claim),
            #[cfg(feature = "redis")]
            Backend::Redis(redis) => redis.release(claim),
        }?;
        if !acted {
            log::warn!("hookseal: a claim in {} was no longer held when it was released", claim.namespace);
        }
        Ok(acted)
    }
}

/// The memory store's lock. A panic while it was held cannot leave a record half-written (every change is one map
/// operation), so a poisoned lock is taken as it is.
fn lock(records: &Mutex<MemoryRecords>) -> std::sync::MutexGuard<'_, MemoryRecords> {
    records.lock().unwrap_or_else(PoisonError::into_inner)
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("url", &self.description)
            .field("lease_ms", &self.lease_ms)
            .field("retention_ms", &self.retention_ms)
            .finish()
    }
}
