//! `memory:`: the records of one process, in a map behind the store's lock. Also what the WebAssembly build uses,
//! with the host's clock: nothing here reads a clock or the system's randomness.

use std::collections::BTreeMap;

use crate::state::{decide, Claim, ClaimOutcome, Decision, Record, Token};

/// Expired records are swept at most this often (by claims), so memory stays bounded by the live records.
const SWEEP_EVERY_MS: u64 = 60_000;

/// The records of a memory store. Times are Unix milliseconds given by the caller.
#[derive(Debug, Default)]
pub(crate) struct MemoryRecords {
    records: BTreeMap<(Box<str>, [u8; 32]), Record>,
    /// Tokens only need to differ within this map: a counter does.
    next_token: u128,
    last_sweep: u64,
}

impl MemoryRecords {
    /// No records.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// `claim` at `now`, for a key already digested and a namespace already checked.
    pub(crate) fn claim(&mut self, namespace: &str, digest: [u8; 32], now: u64, lease_ms: u64) -> ClaimOutcome {
        if now.saturating_sub(self.last_sweep) >= SWEEP_EVERY_MS {
            self.records.retain(|_, record| Record::live(Some(*record), now).is_some());
            self.last_sweep = now;
        }
        let slot = (Box::<str>::from(namespace), digest);
        match decide(self.records.get(&slot).copied(), now) {
            Decision::Duplicate => ClaimOutcome::Duplicate,
            Decision::InProgress(retry_after) => ClaimOutcome::InProgress { retry_after },
            Decision::Take => {
                self.next_token = self.next_token.wrapping_add(1);
                let token = Token(self.next_token.to_le_bytes());
                self.records.insert(slot, Record::Processing { token, expires_at: now.saturating_add(lease_ms) });
                ClaimOutcome::Claimed(Claim { namespace: namespace.into(), digest, token, lease_ms })
            }
        }
    }

    /// `complete` at `now`: the key is done until `now + retention_ms`, if `claim` still holds it.
    pub(crate) fn complete(&mut self, claim: &Claim, now: u64, retention_ms: u64) -> bool {
        let slot = (claim.namespace.clone(), claim.digest);
        if !Record::held_by(self.records.get(&slot).copied(), claim.token, now) {
            return false;
        }
        self.records.insert(slot, Record::Done { expires_at: now.saturating_add(retention_ms) });
        true
    }

    /// `release` at `now`: the key is forgotten, if `claim` still holds it.
    pub(crate) fn release(&mut self, claim: &Claim, now: u64) -> bool {
        let slot = (claim.namespace.clone(), claim.digest);
        if !Record::held_by(self.records.get(&slot).copied(), claim.token, now) {
            return false;
        }
        self.records.remove(&slot);
        true
    }
}
