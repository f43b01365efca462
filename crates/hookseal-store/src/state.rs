//! The states of one key (docs/exactly-once.md, "The states of one key") and the one rule every backend decides a
//! claim by. Redis runs the same rule as a script on the server (redis.rs).

use std::fmt;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::error::StoreError;

/// The random value that marks one worker's claim: `complete` and `release` act only while it still holds the key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Token(pub(crate) [u8; 16]);

impl Token {
    /// The token as 32 lowercase hex digits (what SQLite and Redis store).
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    /// A token from its 32 hex digits (a claim handed back through a binding).
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 32 {
            return None;
        }
        let mut out = [0u8; 16];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let digit = |c: u8| (c as char).to_digit(16);
            out[i] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
        }
        Some(Self(out))
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({})", self.to_hex())
    }
}

/// One worker's hold on a key: hand it back to [`crate::Store::complete`] or [`crate::Store::release`].
#[derive(Clone, PartialEq, Eq)]
pub struct Claim {
    pub(crate) namespace: Box<str>,
    pub(crate) digest: [u8; 32],
    pub(crate) token: Token,
    pub(crate) lease_ms: u64,
}

impl Claim {
    /// The namespace the key was claimed in.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The SHA-256 of the idempotency key, as the store keeps it (the key itself is never stored).
    pub fn key_digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// This claim's token.
    pub fn token(&self) -> Token {
        self.token
    }

    /// How long the claim holds the key from the moment it was taken.
    pub fn lease(&self) -> Duration {
        Duration::from_millis(self.lease_ms)
    }
}

// The key's digest and the token are not secrets, but nothing in a claim is worth a log line either.
impl fmt::Debug for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claim").field("namespace", &self.namespace).field("key", &hex(&self.digest[..4])).finish()
    }
}

/// What `claim` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// The key was absent (or its lease had run out): the caller processes the event, then completes or releases.
    Claimed(Claim),
    /// The key is done: the caller answers 2xx and does nothing else.
    Duplicate,
    /// Another worker holds the key: the caller answers so that the provider retries after `retry_after`.
    InProgress {
        /// The time left on the other worker's lease.
        retry_after: Duration,
    },
}

/// The outcome's name, the same string in every language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimStatus {
    /// `"claimed"`
    Claimed,
    /// `"duplicate"`
    Duplicate,
    /// `"in_progress"`
    InProgress,
}

impl ClaimStatus {
    /// `"claimed"`, `"duplicate"` or `"in_progress"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Claimed => "claimed",
            ClaimStatus::Duplicate => "duplicate",
            ClaimStatus::InProgress => "in_progress",
        }
    }
}

impl ClaimOutcome {
    /// The outcome's status.
    pub fn status(&self) -> ClaimStatus {
        match self {
            ClaimOutcome::Claimed(_) => ClaimStatus::Claimed,
            ClaimOutcome::Duplicate => ClaimStatus::Duplicate,
            ClaimOutcome::InProgress { .. } => ClaimStatus::InProgress,
        }
    }

    /// For `in_progress`, the `Retry-After` a helper answers with: the lease time left in whole seconds, rounded up,
    /// at least 1. `None` otherwise.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            ClaimOutcome::InProgress { retry_after } => Some(retry_after_seconds(*retry_after)),
            _ => None,
        }
    }
}

pub(crate) fn retry_after_seconds(left: Duration) -> u64 {
    left.as_millis().div_ceil(1000).max(1) as u64
}

/// A record as a backend read it, with its expiry in Unix milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Record {
    Processing { token: Token, expires_at: u64 },
    Done { expires_at: u64 },
}

impl Record {
    fn expires_at(&self) -> u64 {
        match *self {
            Record::Processing { expires_at, .. } | Record::Done { expires_at } => expires_at,
        }
    }

    /// The record as it stands at `now`: an expired one is absent (a lease ran out: its worker is taken to have died;
    /// a retention ran out: the key is forgotten).
    pub(crate) fn live(record: Option<Record>, now: u64) -> Option<Record> {
        record.filter(|r| r.expires_at() > now)
    }

    /// True while the record is `token`'s claim and its lease has not run out.
    pub(crate) fn held_by(record: Option<Record>, token: Token, now: u64) -> bool {
        matches!(Record::live(record, now), Some(Record::Processing { token: t, .. }) if t == token)
    }
}

/// What a claim does, given the record found.
pub(crate) enum Decision {
    Take,
    Duplicate,
    InProgress(Duration),
}

pub(crate) fn decide(record: Option<Record>, now: u64) -> Decision {
    match Record::live(record, now) {
        None => Decision::Take,
        Some(Record::Done { .. }) => Decision::Duplicate,
        Some(Record::Processing { expires_at, .. }) => Decision::InProgress(Duration::from_millis(expires_at - now)),
    }
}

/// The longest namespace: it is part of every stored key.
pub const MAX_NAMESPACE_BYTES: usize = 64;

/// A namespace is 1 to 64 of `A-Z a-z 0-9 . _ : -` (it is part of a Redis key and an SQLite row as it is).
pub(crate) fn check_namespace(namespace: &str) -> Result<(), StoreError> {
    let ok = !namespace.is_empty()
        && namespace.len() <= MAX_NAMESPACE_BYTES
        && namespace.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::invalid_option("a namespace is 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'"))
    }
}

/// The key as every backend stores it: its SHA-256, so a key of any length or bytes takes 32 bytes, and a key that
/// happens to carry something sensitive is not kept readable.
pub(crate) fn key_digest(key: &[u8]) -> [u8; 32] {
    Sha256::digest(key).into()
}

/// A token from the system's random source: unique across processes and hosts sharing a store.
#[cfg(any(feature = "sqlite", feature = "redis"))]
pub(crate) fn random_token() -> Result<Token, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::unavailable(format!("the system's random source failed: {e}")))?;
    Ok(Token(bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}
