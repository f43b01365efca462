//! `sqlite:///path.db`: one file shared by every process on a host. WAL lets readers and one writer work at once, a
//! busy timeout makes a process wait for another's short write instead of failing, and every claim is one
//! `BEGIN IMMEDIATE` transaction (the write lock is taken before the record is read), so two workers never both win.
//! Expired records are pruned by the claims themselves, in small batches, every few seconds per process.

use std::sync::{Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::error::StoreError;
use crate::state::{decide, random_token, Claim, ClaimOutcome, Decision, Record, Token};

/// How long a process waits for another's write lock before the claim fails `store_unavailable`: well under the
/// providers' 5 s answer deadline, and far above a claim's own time (a few hundred microseconds).
const BUSY_TIMEOUT: Duration = Duration::from_secs(2);
/// Expired records are pruned by claims, a batch at a time: up to 1,000 every 10 s per process keeps up with 8.6
/// million deliveries a day, and a batch is one short write.
const PRUNE_EVERY_MS: u64 = 10_000;
const PRUNE_BATCH: u32 = 1000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS hookseal_dedupe (
    namespace  TEXT    NOT NULL,
    key        BLOB    NOT NULL, -- SHA-256 of the idempotency key
    state      INTEGER NOT NULL, -- 0 processing, 1 done
    token      TEXT,             -- the claim's token while processing
    expires_at INTEGER NOT NULL, -- Unix ms: the lease's end, or the retention's
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS hookseal_dedupe_expires_at ON hookseal_dedupe (expires_at);
";

const PROCESSING: i64 = 0;
const DONE: i64 = 1;

pub(crate) struct SqliteBackend {
    path: String,
    conn: Mutex<Option<Open>>,
}

struct Open {
    /// The process that opened it: a connection must not be used across fork() (SQLite's rule).
    pid: u32,
    db: Connection,
    last_prune: u64,
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

fn ms(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl SqliteBackend {
    pub(crate) fn new(path: String) -> Self {
        Self { path, conn: Mutex::new(None) }
    }

    fn unavailable(&self, error: &rusqlite::Error) -> StoreError {
        StoreError::unavailable(format!("the SQLite store {} cannot be used: {error}", self.path))
    }

    fn open(&self) -> Result<Open, rusqlite::Error> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let db = Connection::open_with_flags(&self.path, flags)?;
        db.busy_timeout(BUSY_TIMEOUT)?;
        // WAL persists in the file: read first, and switch only a file that is not in WAL yet. The switch needs the
        // file to itself and SQLite answers it SQLITE_BUSY at once, without its busy handler, when another process
        // is opening the same new file (several workers' first deliveries): so it is tried again until the busy
        // timeout, as every other statement waits. NORMAL: a commit survives a crash of the process (the failure
        // that matters here); only a power cut can lose the last commits, which a retry then reprocesses.
        let deadline = Instant::now() + BUSY_TIMEOUT;
        loop {
            let mode: String = db.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
            if mode.eq_ignore_ascii_case("wal") {
                break;
            }
            match db.query_row("PRAGMA journal_mode = WAL", [], |row| row.get::<_, String>(0)) {
                Ok(_) => break,
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                        && Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(e),
            }
        }
        db.execute_batch("PRAGMA synchronous = NORMAL;")?;
        db.execute_batch(SCHEMA)?;
        Ok(Open { pid: std::process::id(), db, last_prune: 0 })
    }

    /// Runs `f` on this process's connection, opening it first if needed; a failed call drops the connection, so
    /// the next one starts afresh (a file that was replaced, a disk that came back). The whole call, waiting for the
    /// connection (other threads of this process) and for the file's lock (other processes), takes at most the busy
    /// timeout: callers queued behind a locked file do not each wait it out in turn.
    fn with<T>(&self, f: impl FnOnce(&mut Open) -> Result<T, rusqlite::Error>) -> Result<T, StoreError> {
        let deadline = Instant::now() + BUSY_TIMEOUT;
        let mut slot = self.lock_until(deadline)?;
        if let Some(open) = slot.take_if(|open| open.pid != std::process::id()) {
            // Inherited through fork(): closing it here could release the parent's locks. Leak it instead.
            std::mem::forget(open);
        }
        if slot.is_none() {
            *slot = Some(self.open().map_err(|e| self.unavailable(&e))?);
        }
        let Some(open) = slot.as_mut() else { return Err(StoreError::unavailable("the SQLite store is not open")) };
        let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
        let result = open.db.busy_timeout(left).and_then(|()| f(open));
        result.map_err(|e| {
            *slot = None;
            self.unavailable(&e)
        })
    }

    fn lock_until(&self, deadline: Instant) -> Result<MutexGuard<'_, Option<Open>>, StoreError> {
        let mut pause = Duration::from_micros(20);
        loop {
            match self.conn.try_lock() {
                Ok(guard) => return Ok(guard),
                // A panic while it was held cannot leave SQLite half-written (transactions roll back).
                Err(TryLockError::Poisoned(poisoned)) => return Ok(poisoned.into_inner()),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(1));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(StoreError::unavailable(format!(
                        "the SQLite store {} is busy: this process's connection was in use for {} s",
                        self.path,
                        BUSY_TIMEOUT.as_secs()
                    )));
                }
            }
        }
    }

    pub(crate) fn claim(&self, namespace: &str, digest: [u8; 32], lease_ms: u64) -> Result<ClaimOutcome, StoreError> {
        let token = random_token()?;
        let outcome = self.with(|open| {
            let now = now_ms();
            let tx = open.db.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let found = tx
                .prepare_cached(
                    "SELECT state, token, expires_at FROM hookseal_dedupe WHERE namespace = ?1 AND key = ?2",
                )?
                .query_row(params![namespace, &digest[..]], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, Option<String>>(1)?, row.get::<_, i64>(2)?))
                })
                .optional()?;
            let record = found.map(|(state, token, expires_at)| {
                let expires_at = u64::try_from(expires_at).unwrap_or(0);
                match (state, token.as_deref().and_then(Token::from_hex)) {
                    (PROCESSING, Some(token)) => Record::Processing { token, expires_at },
                    _ => Record::Done { expires_at },
                }
            });
            let outcome = match decide(record, now) {
                Decision::Duplicate => ClaimOutcome::Duplicate,
                Decision::InProgress(retry_after) => ClaimOutcome::InProgress { retry_after },
                Decision::Take => {
                    tx.prepare_cached(
                        "INSERT OR REPLACE INTO hookseal_dedupe (namespace, key, state, token, expires_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?
                    .execute(params![
                        namespace,
                        &digest[..],
                        PROCESSING,
                        token.to_hex(),
                        ms(now + lease_ms)
                    ])?;
                    ClaimOutcome::Claimed(Claim { namespace: namespace.into(), digest, token, lease_ms })
                }
            };
            tx.commit()?;
            if now.saturating_sub(open.last_prune) >= PRUNE_EVERY_MS {
                open.last_prune = now;
                prune(&open.db, now);
            }
            Ok(outcome)
        })?;
        Ok(outcome)
    }

    pub(crate) fn complete(&self, claim: &Claim, retention_ms: u64) -> Result<bool, StoreError> {
        self.with(|open| {
            let now = now_ms();
            let changed = open
                .db
                .prepare_cached(
                    "UPDATE hookseal_dedupe SET state = ?1, token = NULL, expires_at = ?2 \
                     WHERE namespace = ?3 AND key = ?4 AND state = ?5 AND token = ?6 AND expires_at > ?7",
                )?
                .execute(params![
                    DONE,
                    ms(now + retention_ms),
                    &*claim.namespace,
                    &claim.digest[..],
                    PROCESSING,
                    claim.token.to_hex(),
                    ms(now)
                ])?;
            Ok(changed == 1)
        })
    }

    pub(crate) fn release(&self, claim: &Claim) -> Result<bool, StoreError> {
        self.with(|open| {
            let changed = open
                .db
                .prepare_cached(
                    "DELETE FROM hookseal_dedupe \
                     WHERE namespace = ?1 AND key = ?2 AND state = ?3 AND token = ?4 AND expires_at > ?5",
                )?
                .execute(params![
                    &*claim.namespace,
                    &claim.digest[..],
                    PROCESSING,
                    claim.token.to_hex(),
                    ms(now_ms())
                ])?;
            Ok(changed == 1)
        })
    }
}

/// Deletes up to a batch of expired records. A failure only delays pruning: the claim it follows already committed.
fn prune(db: &Connection, now: u64) {
    let result = db
        .prepare_cached(
            "DELETE FROM hookseal_dedupe WHERE (namespace, key) IN \
             (SELECT namespace, key FROM hookseal_dedupe WHERE expires_at <= ?1 LIMIT ?2)",
        )
        .and_then(|mut statement| statement.execute(params![ms(now), PRUNE_BATCH]));
    if let Err(error) = result {
        log::warn!("hookseal: pruning expired records failed (retried shortly): {error}");
    }
}
