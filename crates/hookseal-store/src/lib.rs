//! # hookseal-store
//!
//! Exactly-once processing for webhook receivers: a dedupe store that every worker of a receiver shares, so that a
//! provider's retry, or two copies of one delivery arriving at once on two workers, are processed once. The contract
//! is `docs/exactly-once.md` (in the repository; `docs/decisions.md` says what hookseal decided where it is
//! silent): a key is absent, `processing` (one worker holds it, under a token and a lease) or `done` (for the
//! retention); `claim`, `complete` and `release` move it between those states atomically.
//!
//! Backends, by URL: `memory:` (this process), `sqlite:///path.db` (every process on one host; the embedded default),
//! `redis://…` / `rediss://…` (many hosts). The store holds keys (as SHA-256 digests), states, tokens and times only:
//! never a body, a header or a field of the payload.
//!
//! ```
//! use hookseal_store::{ClaimOutcome, Store, StoreOptions};
//!
//! let store = Store::open("memory:", &StoreOptions::new())?;
//! let ClaimOutcome::Claimed(claim) = store.claim("elmed", "sha256:9f86d0…")? else { unreachable!() };
//! // … process the event …
//! assert!(store.complete(&claim)?);
//! assert!(matches!(store.claim("elmed", "sha256:9f86d0…")?, ClaimOutcome::Duplicate));
//! # Ok::<(), hookseal_store::StoreError>(())
//! ```
//!
//! A web handler wraps its work in [`process_once`], which claims, runs it, and completes (or releases, when it fails
//! or panics) as the contract says.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![warn(missing_docs)]

mod error;
mod memory;
mod once;
mod options;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "sqlite")]
mod sqlite;
mod state;
mod store;
mod url;

pub use error::StoreError;
pub use once::{process_once, OnceError, Processed};
pub use options::{StoreOptions, DEFAULT_LEASE, DEFAULT_RETENTION};
pub use state::{Claim, ClaimOutcome, ClaimStatus, Token};
pub use store::Store;
pub use url::redact_url;

/// The contract's code for a store that cannot be reached (`store_unavailable`), re-exported for bindings.
pub use hookseal::ErrorCode;
