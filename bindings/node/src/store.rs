//! `NativeStore`: the dedupe store (`crates/hookseal-store`, docs/exactly-once.md) opened from a URL. Its calls block
//! (SQLite's busy wait, Redis' network round trip), so `claim`, `complete` and `release` each return a Promise
//! computed on libuv's thread pool (`AsyncTask`): the JavaScript thread never waits on the store. (`memory:` answers
//! at once: it never blocks.) `index.js` wraps
//! it as `Store` and maps the errors (`store_unavailable` to `StoreError`, `invalid_option` to `ConfigError`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use hookseal_store::{Claim, ClaimOutcome, StoreError, StoreOptions};
use napi::bindgen_prelude::*;
use napi::{Env, JsError, Task};
use napi_derive::napi;

use crate::error::CodedError;

fn store_error(err: &StoreError) -> CodedError {
    napi::Error::new(err.code().as_str(), err.message())
}

#[napi(js_name = "NativeStore")]
pub struct Store {
    inner: Arc<hookseal_store::Store>,
}

#[napi]
impl Store {
    /// Opens the store `url` names (checked here; the file or server is reached on first use). `lease` and
    /// `retention` in seconds, or the defaults (60 s, 7 days).
    #[napi(constructor, catch_unwind)]
    pub fn new(url: String, lease: Option<f64>, retention: Option<f64>) -> std::result::Result<Self, CodedError> {
        let options = StoreOptions::from_seconds(lease, retention).map_err(|e| store_error(&e))?;
        let inner = hookseal_store::Store::open(&url, &options).map_err(|e| store_error(&e))?;
        Ok(Self { inner: Arc::new(inner) })
    }

    /// `memory`, `sqlite` or `redis`.
    #[napi(getter, catch_unwind)]
    pub fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    /// The URL with any password replaced by `***`.
    #[napi(getter, catch_unwind)]
    pub fn url(&self) -> String {
        self.inner.describe().to_owned()
    }

    /// The lease, in seconds.
    #[napi(getter, catch_unwind)]
    pub fn lease(&self) -> f64 {
        self.inner.lease().as_secs_f64()
    }

    /// The retention, in seconds.
    #[napi(getter, catch_unwind)]
    pub fn retention(&self) -> f64 {
        self.inner.retention().as_secs_f64()
    }

    /// Claims `key` (its bytes; only their SHA-256 is stored) in `namespace`, on the thread pool. A `memory:` store
    /// answers at once instead: its calls never block (a map behind a lock), while a trip through the pool costs
    /// tens of microseconds on a small VM, far more than the claim itself.
    #[napi(catch_unwind, ts_return_type = "Promise<NativeOutcome> | NativeOutcome")]
    pub fn claim(
        &self,
        namespace: String,
        key: &[u8],
    ) -> std::result::Result<Either<AsyncTask<StoreCall>, Outcome>, CodedError> {
        if self.in_memory() {
            let outcome = self.inner.claim(&namespace, key).map_err(|e| store_error(&e))?;
            return Ok(Either::B(Outcome { outcome }));
        }
        Ok(Either::A(self.task(Op::Claim(namespace, key.to_vec()))))
    }

    /// Marks a claimed key done, if the claim still holds it; resolves to whether it acted.
    #[napi(catch_unwind, ts_return_type = "Promise<boolean> | boolean")]
    pub fn complete(&self, outcome: &Outcome) -> std::result::Result<Either<AsyncTask<StoreCall>, bool>, CodedError> {
        let claim = outcome.held()?;
        if self.in_memory() {
            return self.inner.complete(&claim).map(Either::B).map_err(|e| store_error(&e));
        }
        Ok(Either::A(self.task(Op::Complete(claim))))
    }

    /// Forgets a claimed key, if the claim still holds it; resolves to whether it acted.
    #[napi(catch_unwind, ts_return_type = "Promise<boolean> | boolean")]
    pub fn release(&self, outcome: &Outcome) -> std::result::Result<Either<AsyncTask<StoreCall>, bool>, CodedError> {
        let claim = outcome.held()?;
        if self.in_memory() {
            return self.inner.release(&claim).map(Either::B).map_err(|e| store_error(&e));
        }
        Ok(Either::A(self.task(Op::Release(claim))))
    }
}

impl Store {
    fn in_memory(&self) -> bool {
        self.inner.backend() == "memory"
    }

    fn task(&self, op: Op) -> AsyncTask<StoreCall> {
        AsyncTask::new(StoreCall { store: Arc::clone(&self.inner), op })
    }
}

/// What a claim found: `status`, `retryAfter` for `in_progress`, and for `claimed` the claim itself, which
/// `complete` / `release` take back.
#[napi(js_name = "NativeOutcome")]
pub struct Outcome {
    outcome: ClaimOutcome,
}

#[napi]
impl Outcome {
    /// `claimed`, `duplicate` or `in_progress`.
    #[napi(getter, catch_unwind)]
    pub fn status(&self) -> &'static str {
        self.outcome.status().as_str()
    }

    /// For `in_progress`, the seconds left on the other worker's lease (rounded up, at least 1); else null.
    #[napi(getter, catch_unwind)]
    pub fn retry_after(&self) -> Option<u32> {
        self.outcome.retry_after_seconds().map(|s| u32::try_from(s).unwrap_or(u32::MAX))
    }

    fn held(&self) -> std::result::Result<Claim, CodedError> {
        match &self.outcome {
            ClaimOutcome::Claimed(claim) => Ok(claim.clone()),
            // index.js refuses these first; this guards the addon used directly.
            _ => Err(napi::Error::new("InvalidArg", "only a claimed outcome can be completed or released")),
        }
    }
}

pub enum Op {
    Claim(String, Vec<u8>),
    Complete(Claim),
    Release(Claim),
}

pub enum Done {
    Claimed(ClaimOutcome),
    Acted(bool),
}

/// One store call, run by `compute` on a thread-pool thread; `resolve` turns its result into JavaScript on the main
/// thread (a store error rejects with an `Error` whose `code` is the contract's).
pub struct StoreCall {
    store: Arc<hookseal_store::Store>,
    op: Op,
}

impl Task for StoreCall {
    type Output = std::result::Result<Done, StoreError>;
    type JsValue = Either<Outcome, bool>;

    fn compute(&mut self) -> Result<Self::Output> {
        let store = &self.store;
        // Nothing may unwind into libuv's C frames (the store denies panics; this is the boundary anyway).
        catch_unwind(AssertUnwindSafe(|| match &self.op {
            Op::Claim(namespace, key) => store.claim(namespace, key).map(Done::Claimed),
            Op::Complete(claim) => store.complete(claim).map(Done::Acted),
            Op::Release(claim) => store.release(claim).map(Done::Acted),
        }))
        .map_err(|_| napi::Error::new(Status::GenericFailure, "hookseal: the store call panicked (a bug)"))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        match output {
            Ok(Done::Claimed(outcome)) => Ok(Either::A(Outcome { outcome })),
            Ok(Done::Acted(acted)) => Ok(Either::B(acted)),
            Err(err) => Err(napi::Error::from(JsError::from(store_error(&err)).into_unknown(env))),
        }
    }
}
