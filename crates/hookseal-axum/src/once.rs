//! Exactly once around an axum handler (docs/exactly-once.md): the store's blocking calls on tokio's blocking pool,
//! and a claim that is released whatever ends the handler early (a panic; under `Webhook::handler`, the request
//! future dropped, also while the claim was on its way).

use std::fmt;
use std::sync::Arc;

use axum::response::Response;
use hookseal::{Event, Router};
use hookseal_store::{Claim, ClaimOutcome, Store};
use tracing::Span;

use crate::answer;
use crate::verified::Origin;
use crate::webhook::{dispatch_failed, dispatched, not_claimed, unavailable, Failed};

/// A won claim, released when dropped unless settled.
pub(crate) struct Held {
    store: Arc<Store>,
    claim: Option<Claim>,
    /// The idempotency key, for the log lines (a claim keeps only its digest).
    key: String,
}

impl Held {
    /// Completes (`done`) or releases the claim, waiting for the store (a retry right after the answer then finds
    /// the key done). A failing store is logged: the answer still goes out.
    pub async fn settle(mut self, done: bool) {
        let (Some(claim), store, key) = (self.claim.take(), Arc::clone(&self.store), std::mem::take(&mut self.key))
        else {
            return;
        };
        let span = Span::current();
        let job = tokio::task::spawn_blocking(move || span.in_scope(|| settle(&store, &claim, &key, done)));
        let _ = job.await;
    }

    /// [`Held::settle`] on the calling thread (one of the blocking pool's).
    fn settle_here(mut self, done: bool) {
        if let Some(claim) = self.claim.take() {
            settle(&self.store, &claim, &self.key, done);
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // The handler panicked or the request was dropped (the client went away, a timeout layer), also while the
        // claim was on its way to it: give the key back at once, so that the provider's retry is not answered
        // in_progress for the rest of the lease.
        if let Some(claim) = self.claim.take() {
            let (store, key) = (Arc::clone(&self.store), std::mem::take(&mut self.key));
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn_blocking(move || settle(&store, &claim, &key, false))),
                Err(_) => settle(&store, &claim, &key, false),
            }
        }
    }
}

/// Completes or releases `claim`, logging what went wrong in the words of every helper (Python's `_answers.py`).
fn settle(store: &Store, claim: &Claim, key: &str, done: bool) {
    let namespace = claim.namespace();
    match if done { store.complete(claim) } else { store.release(claim) } {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            target: "hookseal",
            "the delivery {key} from {namespace} outlived its lease: another worker may process it too"
        ),
        Err(error) if done => tracing::error!(
            target: "hookseal",
            "the delivery {key} from {namespace} was processed but not marked done ({error}): a retry may be \
             processed again"
        ),
        Err(error) => tracing::warn!(
            target: "hookseal",
            "the failed delivery {key} from {namespace} was not released ({error}): its retry waits for the lease \
             to run out"
        ),
    }
}

/// Claims `key` on the calling thread: the won claim, or the answer to give instead of running the handler (boxed:
/// it travels through a channel).
fn claim_here(store: &Arc<Store>, namespace: &str, key: &str, origin: &Origin) -> Result<Held, Box<Response>> {
    match store.claim(namespace, key) {
        Ok(ClaimOutcome::Claimed(claim)) => {
            Ok(Held { store: Arc::clone(store), claim: Some(claim), key: key.to_owned() })
        }
        // not_claimed answers every outcome but Claimed; never a 2xx fallback.
        Ok(other) => Err(Box::new(not_claimed(&other, namespace, key).unwrap_or_else(answer::store_unavailable))),
        Err(error) => Err(Box::new(unavailable(origin, &error))),
    }
}

/// Claims `key` on the blocking pool; the answer to give instead of running the handler when the claim was not won.
pub(crate) async fn claim(store: &Arc<Store>, namespace: &str, key: &str, origin: &Origin) -> Result<Held, Response> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let (store, namespace, key, origin) = (Arc::clone(store), namespace.to_owned(), key.to_owned(), origin.clone());
    let span = Span::current();
    tokio::task::spawn_blocking(move || {
        // The claim travels as a Held: if the request is dropped before it takes it (here, or while it waits in the
        // channel), the Held is dropped and releases the key.
        let _ = sender.send(span.in_scope(|| claim_here(&store, &namespace, &key, &origin)));
    });
    match receiver.await {
        Ok(claimed) => claimed.map_err(|answer| *answer),
        Err(_) => Err(answer::store_unavailable()), // the blocking task died: the runtime is shutting down
    }
}

/// Claims the event, dispatches it if the claim was won, completes or releases (on the blocking pool).
pub(crate) fn dispatch_once<T, E>(
    store: &Arc<Store>,
    namespace: &str,
    event: &Event<'_>,
    router: &Router<'static, T, E>,
    origin: &Origin,
) -> Response
where
    T: axum::response::IntoResponse,
    E: fmt::Display,
{
    let held = match claim_here(store, namespace, event.idempotency_key(), origin) {
        Ok(held) => held,
        Err(answer) => return *answer,
    };
    // A panic in the handler drops `held` while unwinding, which releases the key.
    match dispatched(event, router.dispatch(event)) {
        Ok(response) => {
            held.settle_here(true);
            response
        }
        Err(Failed::Answered(response)) => {
            held.settle_here(false);
            *response
        }
        Err(Failed::Dispatch(error)) => {
            held.settle_here(false);
            dispatch_failed(event, error)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::task::Poll;
    use std::time::Duration;

    use hookseal::Provider;
    use hookseal_store::StoreOptions;

    use super::*;

    /// The request dropped after the blocking task sent the won claim but before it took it: the claim, dropped in
    /// the channel, gives the key back (the retry is claimed, not answered in_progress for the whole lease).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_claim_the_request_never_took_is_released() {
        let store = Arc::new(Store::open("memory:", &StoreOptions::new()).unwrap());
        let (parts, ()) = axum::http::Request::post("/webhooks/elmed").body(()).unwrap().into_parts();
        let origin = Origin::of(Provider::Elmed, &parts);
        let mut request = Box::pin(claim(&store, "elmed", "evt_1", &origin));
        // One poll starts the claim on the blocking pool; the claim (memory:) is sent long before 200 ms.
        std::future::poll_fn(|cx| {
            assert!(request.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(request);
        let mut outcome = store.claim("elmed", "evt_1").unwrap();
        for _ in 0..50 {
            if matches!(outcome, ClaimOutcome::Claimed(_)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await; // the release runs on the blocking pool
            outcome = store.claim("elmed", "evt_1").unwrap();
        }
        assert!(matches!(outcome, ClaimOutcome::Claimed(_)), "{outcome:?}");
    }
}
