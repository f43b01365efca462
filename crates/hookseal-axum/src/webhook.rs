//! `Webhook`: a verifier, optionally a store, and a router or an async handler, as one axum `MethodRouter`.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{post, MethodRouter};
use hookseal::{ConfigError, DispatchError, Dispatched, Event, Router, Verifier};
use tracing::Span;

use crate::answer;
use crate::verified::{read_body, verify_parts, Origin, Rejection, VerifiedEvent};

#[cfg(feature = "store")]
use hookseal_store::{ClaimOutcome, Store, StoreError};

/// A webhook endpoint: `Webhook::new(verifier).store(store).router(router)?` is the `MethodRouter` to give
/// `axum::Router::route` (it answers `POST`).
///
/// A refused delivery is answered as [`crate::Verified`] answers it. With a store (cargo feature `store`), the
/// event's idempotency key is claimed in the namespace (default: the verifier's preset name) before anything runs:
///
/// | outcome | answer |
/// |---|---|
/// | claimed, the handler answered below 500 | its answer; the key is marked done |
/// | claimed, the handler failed, panicked or answered 500 or more | the key is released: the retry is processed |
/// | claimed, then the request was dropped | `handler`: released; `router`: as its handler's outcome (below) |
/// | duplicate | 200 `{"status":"duplicate","idempotency_key":…}`, nothing runs |
/// | in progress on another worker | 503 `{"error":"in_progress"}`, `Retry-After` (the lease time left) |
/// | the store cannot be reached | 503 `{"error":"store_unavailable"}`, `Retry-After: 5`, nothing runs |
///
/// A handler's answer of "nothing" (`()`, `Ok(())`, `StatusCode::OK`: a 200 without a body or `Content-Type`) is
/// answered 200 `{"status":"processed","event_type":…,"idempotency_key":…}`, as in every language. The store's
/// calls run on tokio's blocking pool (`spawn_blocking`), never on the runtime's threads.
///
/// A request dropped after its claim was won: under [`Webhook::handler`] the async handler stops where it was and
/// the key is released. Under [`Webhook::router`] the router's (synchronous) handler cannot be stopped: it runs on to
/// its end on the blocking pool, and the key is marked done or released by its outcome, as if the answer had gone out.
pub struct Webhook {
    verifier: Arc<Verifier>,
    #[cfg(feature = "store")]
    store: Option<Arc<Store>>,
    #[cfg(feature = "store")]
    namespace: Option<String>,
}

impl Webhook {
    /// An endpoint for `verifier` (a `Verifier`, an `Arc<Verifier>` or a [`crate::WebhookVerifier`]).
    pub fn new(verifier: impl Into<Arc<Verifier>>) -> Self {
        Self {
            verifier: verifier.into(),
            #[cfg(feature = "store")]
            store: None,
            #[cfg(feature = "store")]
            namespace: None,
        }
    }

    /// Runs the handler once per event with `store` (a `Store` or an `Arc<Store>` shared with other endpoints).
    #[cfg(feature = "store")]
    #[must_use]
    pub fn store(mut self, store: impl Into<Arc<Store>>) -> Self {
        self.store = Some(store.into());
        self
    }

    /// The store's namespace for this endpoint's keys (default: the verifier's preset name; an app with two
    /// endpoints of one provider gives each its own). Fails with `invalid_option` unless it is 1 to 64 of
    /// `A-Z a-z 0-9 . _ : -`, the store's rule.
    #[cfg(feature = "store")]
    pub fn namespace(mut self, namespace: impl Into<String>) -> Result<Self, StoreError> {
        let namespace = namespace.into();
        // The store's own check (a claim in a throwaway memory: store checks the namespace first), not a copy of it.
        Store::open("memory:", &hookseal_store::StoreOptions::new())?.claim(&namespace, b"")?;
        self.namespace = Some(namespace);
        Ok(self)
    }

    /// The endpoint, dispatching each verified event to `router` (its handlers run on tokio's blocking pool: they
    /// are synchronous, and may block). A handler's `Ok` value is the answer (`T: IntoResponse`; `()` the processed
    /// answer); its `Err` is logged (`the handler for the delivery <key> from <provider> (<type>) failed: <error>`)
    /// and answered 500, and the claim released. An event no pattern matches is answered 200
    /// `{"status":"unhandled","event_type":…,"idempotency_key":…}` (the key marked done) under
    /// [`hookseal::Unhandled::Accept`], 501 `{"error":"unhandled_event"}` (the key released) under
    /// [`hookseal::Unhandled::Reject`].
    ///
    /// Fails with `invalid_option` when the router is bound to another provider than the verifier's.
    pub fn router<S, T, E>(self, router: Router<'static, T, E>) -> Result<MethodRouter<S>, ConfigError>
    where
        S: Clone + Send + Sync + 'static,
        T: IntoResponse + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        router.check_provider(self.verifier.provider())?;
        let endpoint = Arc::new(self);
        let router = Arc::new(router);
        Ok(post(move |req: Request| {
            let (endpoint, router) = (Arc::clone(&endpoint), Arc::clone(&router));
            async move { endpoint.dispatch(req, router).await }
        }))
    }

    /// The endpoint, running `handler` for each verified event (with a store: once per event). Its answer is the
    /// response, `()` the processed answer; an answer of 500 or more releases the claim, as a panic does.
    pub fn handler<S, F, Fut, R>(self, handler: F) -> MethodRouter<S>
    where
        S: Clone + Send + Sync + 'static,
        F: Fn(VerifiedEvent) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoResponse + 'static,
    {
        let endpoint = Arc::new(self);
        post(move |req: Request| {
            let (endpoint, handler) = (Arc::clone(&endpoint), handler.clone());
            async move { endpoint.handle(req, handler).await }
        })
    }

    async fn handle<F, Fut, R>(&self, req: Request, handler: F) -> Response
    where
        F: Fn(VerifiedEvent) -> Fut,
        Fut: Future<Output = R>,
        R: IntoResponse,
    {
        let (parts, body) = req.into_parts();
        let origin = Origin::of(self.verifier.provider(), &parts);
        let event = match verify_parts(&self.verifier, &origin, &parts, body).await {
            Ok(event) => event,
            Err(rejection) => return rejection.into_response(),
        };
        let (event_type, key) = (event.event_type().map(str::to_owned), event.idempotency_key().to_owned());
        #[cfg(feature = "store")]
        if let Some(store) = &self.store {
            let namespace = self.namespace_or_provider();
            let claim = match crate::once::claim(store, &namespace, &key, &origin).await {
                Ok(claim) => claim,
                Err(answer) => return answer,
            };
            let response = answer::handled(handler(event).await.into_response(), event_type.as_deref(), &key);
            claim.settle(!response.status().is_server_error()).await;
            return response;
        }
        let _ = origin;
        answer::handled(handler(event).await.into_response(), event_type.as_deref(), &key)
    }

    async fn dispatch<T, E>(&self, req: Request, router: Arc<Router<'static, T, E>>) -> Response
    where
        T: IntoResponse + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        let (parts, body) = req.into_parts();
        let origin = Origin::of(self.verifier.provider(), &parts);
        let body = match read_body(&parts, body, self.verifier.max_body_bytes()).await {
            Ok(body) => body,
            Err(rejection) => return origin.refused(rejection).into_response(),
        };
        let verifier = Arc::clone(&self.verifier);
        #[cfg(feature = "store")]
        let store = self.store.clone().map(|store| (store, self.namespace_or_provider()));
        let span = Span::current();
        // One hop to the blocking pool for the whole delivery: the router's handlers are synchronous, the store's calls
        // block, and the event borrows the body, so it is verified where it is dispatched.
        let job = tokio::task::spawn_blocking(move || {
            span.in_scope(|| {
                let event = match verifier.verify(&body, &parts.headers) {
                    Ok(event) => event,
                    Err(error) => return origin.refused(Rejection::from(error)).into_response(),
                };
                #[cfg(feature = "store")]
                if let Some((store, namespace)) = store {
                    return crate::once::dispatch_once(&store, &namespace, &event, &router, &origin);
                }
                match dispatched(&event, router.dispatch(&event)) {
                    Ok(response) => response,
                    Err(Failed::Answered(response)) => *response,
                    Err(Failed::Dispatch(error)) => dispatch_failed(&event, error),
                }
            })
        });
        match job.await {
            Ok(response) => response,
            // A handler panicked (its claim is already released): panic here too, as a panicking axum handler does.
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(), // the runtime is shutting down
        }
    }

    #[cfg(feature = "store")]
    fn namespace_or_provider(&self) -> String {
        self.namespace.clone().unwrap_or_else(|| self.verifier.provider().as_str().to_owned())
    }
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Webhook");
        debug.field("verifier", &self.verifier);
        #[cfg(feature = "store")]
        debug.field("store", &self.store).field("namespace", &self.namespace);
        debug.finish()
    }
}

/// Why a dispatched event is not done: the claim is released.
pub(crate) enum Failed<E> {
    /// The handler answered 500 or more: that answer goes out.
    Answered(Box<Response>),
    /// The router's error.
    Dispatch(DispatchError<E>),
}

/// What the router's outcome answers: `Ok` completes the claim, `Err` releases it.
pub(crate) fn dispatched<T: IntoResponse, E>(
    event: &Event<'_>,
    outcome: Result<Dispatched<T>, DispatchError<E>>,
) -> Result<Response, Failed<E>> {
    match outcome {
        Ok(Dispatched::Handled(value)) => {
            let response = answer::handled(value.into_response(), event.event_type(), event.idempotency_key());
            if response.status().is_server_error() {
                Err(Failed::Answered(Box::new(response)))
            } else {
                Ok(response)
            }
        }
        Ok(Dispatched::Unhandled(unhandled)) => {
            tracing::info!(target: "hookseal", "{unhandled}: accepted");
            Ok(answer::json(StatusCode::OK, unhandled.to_json()))
        }
        Err(error) => Err(Failed::Dispatch(error)),
    }
}

/// The answer to a router's error (its claim, if any, already released).
pub(crate) fn dispatch_failed<E: fmt::Display>(event: &Event<'_>, error: DispatchError<E>) -> Response {
    match error {
        DispatchError::Unhandled(unhandled) => {
            tracing::warn!(target: "hookseal", "{unhandled}: refused 501 unhandled_event");
            answer::unhandled_refused()
        }
        DispatchError::Handler(error) => {
            tracing::error!(
                target: "hookseal",
                "the handler for the delivery {} from {} ({}) failed: {error}",
                event.idempotency_key(),
                event.provider(),
                event.event_type().unwrap_or("null")
            );
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        // check_provider ran at set-up; an event of another provider cannot reach this router.
        DispatchError::Config(error) => {
            tracing::error!(target: "hookseal", "the router refused the delivery: {error}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(feature = "store")]
pub(crate) use store_answers::*;

#[cfg(feature = "store")]
mod store_answers {
    use super::*;

    /// The answer when `claim` did not give this worker the key (a duplicate, in progress), `None` when it did.
    pub(crate) fn not_claimed(outcome: &ClaimOutcome, namespace: &str, key: &str) -> Option<Response> {
        match outcome {
            ClaimOutcome::Claimed(_) => None,
            ClaimOutcome::Duplicate => {
                tracing::info!(target: "hookseal", "the delivery {key} from {namespace} is a duplicate: already processed");
                Some(answer::duplicate(key))
            }
            ClaimOutcome::InProgress { .. } => {
                tracing::info!(target: "hookseal", "the delivery {key} from {namespace} is in progress on another worker");
                Some(answer::in_progress(outcome.retry_after_seconds().unwrap_or(1)))
            }
        }
    }

    /// The 503 for a store that cannot be reached, logged as a refusal (the handler did not run); a store refusing
    /// its configuration is the app's 500.
    pub(crate) fn unavailable(origin: &Origin, error: &StoreError) -> Response {
        tracing::error!(target: "hookseal", "{origin}: {error}");
        if error.code().is_config() {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        answer::store_unavailable()
    }
}
