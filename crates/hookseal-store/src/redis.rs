//! `redis://` and `rediss://`: many hosts on one Redis 7 (or Valkey). Each operation is one Lua script, run
//! atomically by the server, so two workers never both win; expiry is the server's (`PX`), so workers' clocks do
//! not matter. Connections are kept from one delivery to the next (a small pool: concurrent deliveries in one
//! process do not queue behind each other), and every connect and command has a timeout.

use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::error::StoreError;
use crate::state::{hex, random_token, Claim, ClaimOutcome};
use crate::url::redact_url;

/// Well under the providers' 5 s answer deadline: a dead or paused Redis is answered 503 within about 2 s.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(1);
/// Idle connections kept per process.
const MAX_IDLE: usize = 16;

/// `processing` is stored as `p:<token>`, `done` as `d`; the key's TTL is the lease or the retention.
static CLAIM: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local found = redis.call('GET', KEYS[1])
if not found then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {0, 0}
end
if found == 'd' then return {1, 0} end
return {2, redis.call('PTTL', KEYS[1])}
",
    )
});
static COMPLETE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], 'd', 'PX', ARGV[2])
  return 1
end
return 0
",
    )
});
static RELEASE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
",
    )
});

pub(crate) struct RedisBackend {
    client: redis::Client,
    /// For messages: the URL without its password.
    shown: String,
    idle: Mutex<Vec<Idle>>,
}

struct Idle {
    /// A socket inherited through fork() is shared with the parent: never reuse one from another process.
    pid: u32,
    con: redis::Connection,
}

impl RedisBackend {
    pub(crate) fn new(url: &str) -> Result<Self, StoreError> {
        // redis-rs's parse errors may quote the URL: say what is wrong without it.
        let client = redis::Client::open(url).map_err(|_| {
            StoreError::invalid_option(format!(
                "the Redis URL {} cannot be read: redis://[user:password@]host:port/db (rediss:// for TLS)",
                redact_url(url)
            ))
        })?;
        Ok(Self { client, shown: redact_url(url), idle: Mutex::new(Vec::new()) })
    }

    fn unavailable(&self, error: &redis::RedisError) -> StoreError {
        if error.is_timeout() {
            // The socket says "Resource temporarily unavailable"; what happened is that the server did not answer.
            return StoreError::unavailable(format!(
                "the Redis store {} did not answer within {} s (connect) / {} s (command)",
                self.shown,
                CONNECT_TIMEOUT.as_secs(),
                COMMAND_TIMEOUT.as_secs()
            ));
        }
        StoreError::unavailable(format!("the Redis store {} cannot be used: {error}", self.shown))
    }

    /// Runs `f` on a pooled connection (or a new one); a connection that failed is dropped, not pooled.
    fn with<T>(&self, f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>) -> Result<T, StoreError> {
        let pid = std::process::id();
        let pooled = {
            let mut idle = lock(&self.idle);
            if idle.iter().any(|c| c.pid != pid) {
                // Inherited through fork(): the parent still uses these sockets, and dropping one would end its TLS
                // session (close_notify). Leak them instead, as the SQLite backend does.
                let (ours, inherited): (Vec<_>, Vec<_>) = idle.drain(..).partition(|c| c.pid == pid);
                std::mem::forget(inherited);
                *idle = ours;
            }
            idle.pop()
        };
        let mut con = match pooled {
            Some(idle) => idle.con,
            None => self.connect().map_err(|e| self.unavailable(&e))?,
        };
        let result = f(&mut con).map_err(|e| self.unavailable(&e))?;
        let mut idle = lock(&self.idle);
        if idle.len() < MAX_IDLE {
            idle.push(Idle { pid, con });
        }
        Ok(result)
    }

    fn connect(&self) -> redis::RedisResult<redis::Connection> {
        let con = self.client.get_connection_with_timeout(CONNECT_TIMEOUT)?;
        con.set_read_timeout(Some(COMMAND_TIMEOUT))?;
        con.set_write_timeout(Some(COMMAND_TIMEOUT))?;
        Ok(con)
    }

    pub(crate) fn claim(&self, namespace: &str, digest: [u8; 32], lease_ms: u64) -> Result<ClaimOutcome, StoreError> {
        let token = random_token()?;
        let key = redis_key(namespace, &digest);
        let (status, ttl): (i64, i64) =
            self.with(|con| CLAIM.key(&key).arg(format!("p:{}", token.to_hex())).arg(lease_ms).invoke(con))?;
        Ok(match status {
            0 => ClaimOutcome::Claimed(Claim { namespace: namespace.into(), digest, token, lease_ms }),
            1 => ClaimOutcome::Duplicate,
            // PTTL is -1 for a key without expiry (never written so by hookseal) and -2 for one that just expired.
            _ => {
                ClaimOutcome::InProgress { retry_after: Duration::from_millis(u64::try_from(ttl).unwrap_or(1).max(1)) }
            }
        })
    }

    pub(crate) fn complete(&self, claim: &Claim, retention_ms: u64) -> Result<bool, StoreError> {
        let key = redis_key(&claim.namespace, &claim.digest);
        let value = format!("p:{}", claim.token.to_hex());
        let acted: i64 = self.with(|con| COMPLETE.key(&key).arg(&value).arg(retention_ms).invoke(con))?;
        Ok(acted == 1)
    }

    pub(crate) fn release(&self, claim: &Claim) -> Result<bool, StoreError> {
        let key = redis_key(&claim.namespace, &claim.digest);
        let value = format!("p:{}", claim.token.to_hex());
        let acted: i64 = self.with(|con| RELEASE.key(&key).arg(&value).invoke(con))?;
        Ok(acted == 1)
    }
}

fn redis_key(namespace: &str, digest: &[u8; 32]) -> String {
    format!("hookseal:{namespace}:{}", hex(digest))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
