//! Exactly once around an axum handler (docs/exactly-once.md): the store's blocking calls on tokio's blocking pool,
//! and a claim that is released whatever ends the handler early (a panic, the request future dropped).

use std::fmt;
use std::sync::Arc;

use axum::response::Response;
use hookseal::{Event, Router};
use hookseal_store::{process_once, Claim, ClaimOutcome, OnceError, Processed, Store};

use crate::answer;
use crate::verified::Origin;
use crate::webhook::{dispatch_failed, dispatched, not_claimed, unavailable, Failed};

/// A won claim, released when dropped unless settled.
pub(crate) struct Held {
    store: Arc<Store>,
    claim: Option<Claim>,
}

impl Held {
    /// Completes (`done`) or releases the claim, waiting for the store (a retry right after the answer then finds
    /// the key done). A failing store is logged: the answer still goes out.
    pub async fn settle(mut self, done: bool) {
        let (Some(claim), store) = (self.claim.take(), Arc::clone(&self.store)) else { return };
        let job = tokio::task::spawn_blocking(move || settle(&store, &claim, done));
        let _ = job.await;
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // The handler panicked or the request was dropped (the client went away, a timeout layer): give the key back
        // at once, so that the provider's retry is not answered in_progress for the rest of the lease.
        if let Some(claim) = self.claim.take() {
            let store = Arc::clone(&self.store);
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn_blocking(move || settle(&store, &claim, false))),
                Err(_) => settle(&store, &claim, false),
            }
        }
    }
}

fn settle(store: &Store, claim: &Claim, done: bool) {
    let namespace = claim.namespace();
    match if done { store.complete(claim) } else { store.release(claim) } {
        Ok(true) => {}
        // The store has logged it (on the `log` crate): the lease ran out and another worker may have the key.
        Ok(false) => {}
        Err(error) if done => tracing::error!(
            target: "hookseal",
            "a delivery in {namespace} was processed but not marked done ({error}): a retry may be processed again"
        ),
        Err(error) => tracing::warn!(
            target: "hookseal",
            "a failed delivery in {namespace} was not released ({error}): its retry waits for the lease to run out"
        ),
    }
}

/// Claims `key`; the answer to give instead of running the handler when the claim was not won.
pub(crate) async fn claim(store: &Arc<Store>, namespace: &str, key: &str, origin: &Origin) -> Result<Held, Response> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let (job_store, job_namespace, job_key) = (Arc::clone(store), namespace.to_owned(), key.to_owned());
    tokio::task::spawn_blocking(move || {
        let outcome = job_store.claim(&job_namespace, &job_key);
        // The request was dropped while the claim ran: nobody will process the event, so give the key back now.
        if let Err(Ok(ClaimOutcome::Claimed(claim))) = sender.send(outcome) {
            settle(&job_store, &claim, false);
        }
    });
    let outcome = match receiver.await {
        Ok(outcome) => outcome,
        Err(_) => return Err(answer::store_unavailable()), // the blocking task died: the runtime is shutting down
    };
    match outcome {
        Ok(ClaimOutcome::Claimed(claim)) => Ok(Held { store: Arc::clone(store), claim: Some(claim) }),
        Ok(other) => Err(not_claimed(&other, namespace, key).unwrap_or_else(answer::store_unavailable)),
        Err(error) => Err(unavailable(origin, &error)),
    }
}

/// Claims the event, dispatches it if the claim was won, completes or releases (on the blocking pool).
pub(crate) fn dispatch_once<T, E>(
    store: &Store,
    namespace: &str,
    event: &Event<'_>,
    router: &Router<'static, T, E>,
    origin: &Origin,
) -> Response
where
    T: axum::response::IntoResponse,
    E: fmt::Display,
{
    let key = event.idempotency_key();
    // process_once releases the claim on Err, and on a panic (its guard's Drop runs while unwinding).
    match process_once(store, namespace, key, || dispatched(event, router.dispatch(event))) {
        Ok(Processed::Done(response)) => response,
        Ok(Processed::Duplicate) => not_claimed(&ClaimOutcome::Duplicate, namespace, key).unwrap_or_default(),
        Ok(Processed::InProgress { retry_after }) => {
            not_claimed(&ClaimOutcome::InProgress { retry_after }, namespace, key).unwrap_or_default()
        }
        Err(OnceError::Store(error)) => unavailable(origin, &error),
        Err(OnceError::Handler(Failed::Answered(response))) => *response,
        Err(OnceError::Handler(Failed::Dispatch(error))) => dispatch_failed(event, error),
    }
}
