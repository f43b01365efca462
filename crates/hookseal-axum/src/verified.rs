//! The `Verified` extractor: the raw body read by the verifier's limit, verified against the headers as sent.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRef, FromRequest, OriginalUri, Request};
use axum::http::header::CONTENT_LENGTH;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use hookseal::{ErrorCode, Event, KeySource, Provider, Verifier, VerifyError};
use http_body::Body as _;
use http_body_util::{BodyExt, LengthLimitError};

use crate::answer;

/// The verifier a [`Verified<P>`] extractor takes from the router's state ([`FromRef`]): `P` is a marker type of
/// the app's that tells one verifier from another (`WebhookVerifier<Elmed>`, `WebhookVerifier<Novamed>`), `()` when
/// there is one. Cloning it is cheap (an `Arc`).
pub struct WebhookVerifier<P = ()> {
    verifier: Arc<Verifier>,
    marker: PhantomData<fn() -> P>,
}

impl<P> WebhookVerifier<P> {
    /// Wraps a verifier (built once at start-up) for the state.
    pub fn new(verifier: impl Into<Arc<Verifier>>) -> Self {
        Self { verifier: verifier.into(), marker: PhantomData }
    }

    /// The verifier.
    pub fn verifier(&self) -> &Arc<Verifier> {
        &self.verifier
    }
}

impl<P> Clone for WebhookVerifier<P> {
    fn clone(&self) -> Self {
        Self { verifier: Arc::clone(&self.verifier), marker: PhantomData }
    }
}

impl<P> From<WebhookVerifier<P>> for Arc<Verifier> {
    fn from(verifier: WebhookVerifier<P>) -> Self {
        verifier.verifier
    }
}

// The Verifier's Debug counts its keys and never shows them.
impl<P> fmt::Debug for WebhookVerifier<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WebhookVerifier").field(&self.verifier).finish()
    }
}

/// A delivery that passed verification: the extractor's output, owning its body.
///
/// The fields are [`hookseal::Event`]'s (docs/api.md), copied out of the body so that the event outlives the request;
/// [`VerifiedEvent::data`] and [`VerifiedEvent::metadata`] are their JSON text as sent (Baremeds'
/// `metadata.webhook_key` redacted). For the typed events (cargo feature `events`):
/// `hookseal::events::elmed::ElmedEvent::from_parts(event.event_type(), event.data())`.
#[derive(Clone)]
pub struct VerifiedEvent {
    body: Bytes,
    provider: Provider,
    event_type: Option<String>,
    idempotency_key: String,
    idempotency_key_source: KeySource,
    timestamp: Option<String>,
    data: String,
    is_test: bool,
    is_retry: bool,
    metadata: Option<String>,
    clinic_id: Option<String>,
}

impl VerifiedEvent {
    fn new(event: &Event<'_>, body: Bytes) -> Self {
        Self {
            provider: event.provider(),
            event_type: event.event_type().map(str::to_owned),
            idempotency_key: event.idempotency_key().to_owned(),
            idempotency_key_source: event.idempotency_key_source(),
            timestamp: event.timestamp().map(str::to_owned),
            data: event.data().get().into_owned(),
            is_test: event.is_test(),
            is_retry: event.is_retry(),
            metadata: event.metadata().map(|m| m.get().into_owned()),
            clinic_id: event.clinic_id().map(str::to_owned),
            body,
        }
    }

    /// The preset that verified the delivery.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The event type; `None` only for a Standard Webhooks body without `type`.
    pub fn event_type(&self) -> Option<&str> {
        self.event_type.as_deref()
    }

    /// The key to deduplicate deliveries by: the same for every retry of one event.
    pub fn idempotency_key(&self) -> &str {
        &self.idempotency_key
    }

    /// Where [`VerifiedEvent::idempotency_key`] came from.
    pub fn idempotency_key_source(&self) -> KeySource {
        self.idempotency_key_source
    }

    /// The envelope's timestamp exactly as sent, if any.
    pub fn timestamp(&self) -> Option<&str> {
        self.timestamp.as_deref()
    }

    /// The envelope's `data` as JSON text, or the whole body when it has none (`serde_json::from_str` it into a type
    /// of yours).
    pub fn data(&self) -> &str {
        &self.data
    }

    /// True for a test delivery (`X-Webhook-Test: true`).
    pub fn is_test(&self) -> bool {
        self.is_test
    }

    /// True when the provider marked the delivery as a retry (Baremeds `metadata.retry`).
    pub fn is_retry(&self) -> bool {
        self.is_retry
    }

    /// Baremeds' `metadata` object as JSON text (its `webhook_key` value redacted).
    pub fn metadata(&self) -> Option<&str> {
        self.metadata.as_deref()
    }

    /// NovaMed's `clinic_id`.
    pub fn clinic_id(&self) -> Option<&str> {
        self.clinic_id.as_deref()
    }

    /// The raw body exactly as signed (to archive a delivery). Unlike [`VerifiedEvent::data`] nothing in it is
    /// redacted: a Baremeds body carries the shared key in `metadata.webhook_key`.
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}

// Payloads carry patient data (and a Baremeds body its key): Debug shows sizes, as hookseal::Event's does.
impl fmt::Debug for VerifiedEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedEvent")
            .field("provider", &self.provider.as_str())
            .field("event_type", &self.event_type)
            .field("idempotency_key", &self.idempotency_key)
            .field("idempotency_key_source", &self.idempotency_key_source.as_str())
            .field("timestamp", &self.timestamp)
            .field("data", &format_args!("<{} bytes>", self.data.len()))
            .field("is_test", &self.is_test)
            .field("is_retry", &self.is_retry)
            .field("metadata", &self.metadata.as_ref().map(|m| format!("<{} bytes>", m.len())))
            .field("clinic_id", &self.clinic_id)
            .finish_non_exhaustive()
    }
}

/// Extracts a verified delivery: `async fn on_elmed(Verified { event, .. }: Verified) -> …`.
///
/// It takes the verifier from the state (a [`WebhookVerifier<P>`] through [`FromRef`]), reads the raw body itself
/// (at most the verifier's `max_body_bytes`: a `Content-Length` over it is refused before a byte is read, a chunked
/// body as soon as it passes it; a body of exactly the limit passes), verifies it against the request's headers as
/// sent, and rejects with a [`Rejection`]: the contract's status and `{"error": "<code>"}`, logged on the `hookseal`
/// target as `refused a delivery from <provider> (<METHOD> <path>): <code>: <message>`.
///
/// It reads the body, so it is the handler's last argument (axum refuses to compile a body extractor anywhere
/// else). The verifier's limit is this route's: axum's `DefaultBodyLimit` applies to axum's own body extractors,
/// not to this one. A `tower_http::limit::RequestBodyLimitLayer` in front still applies: a chunked body that passes
/// its limit is answered 413 `payload_too_large` here, but a `Content-Length` over it gets tower-http's own 413
/// (plain text, not the contract's JSON, and no `hookseal` log line) before the extractor runs.
///
/// A layer that reads or rewrites the body before the handler (`tower_http`'s `RequestDecompressionLayer`, a
/// middleware that buffers and re-encodes it) changes the bytes the signature covers. Where the request still
/// declares a `Content-Length` the body no longer has, the extractor says so (500, and an error line naming the
/// cause and the fix) instead of refusing the delivery as `signature_mismatch`; `RequestDecompressionLayer` removes
/// the `Content-Length`, so route webhooks outside it.
pub struct Verified<P = ()> {
    /// The verified delivery.
    pub event: VerifiedEvent,
    marker: PhantomData<fn() -> P>,
}

impl<P> Verified<P> {
    /// The verified delivery.
    pub fn into_inner(self) -> VerifiedEvent {
        self.event
    }
}

impl<P> Deref for Verified<P> {
    type Target = VerifiedEvent;

    fn deref(&self) -> &VerifiedEvent {
        &self.event
    }
}

impl<P> fmt::Debug for Verified<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Verified").field(&self.event).finish()
    }
}

impl<S, P> FromRequest<S> for Verified<P>
where
    S: Send + Sync,
    WebhookVerifier<P>: FromRef<S>,
{
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Rejection> {
        let verifier = WebhookVerifier::<P>::from_ref(state);
        let event = verify_request(&verifier.verifier, req).await?;
        Ok(Self { event, marker: PhantomData })
    }
}

/// Reads, verifies and logs a refusal: what the extractor and [`crate::Webhook::handler`] do.
pub(crate) async fn verify_request(verifier: &Verifier, req: Request) -> Result<VerifiedEvent, Rejection> {
    let (parts, body) = req.into_parts();
    let origin = Origin::of(verifier.provider(), &parts);
    verify_parts(verifier, &origin, &parts, body).await
}

pub(crate) async fn verify_parts(
    verifier: &Verifier,
    origin: &Origin,
    parts: &Parts,
    body: Body,
) -> Result<VerifiedEvent, Rejection> {
    let body = read_body(parts, body, verifier.max_body_bytes()).await.map_err(|r| origin.refused(r))?;
    match verifier.verify(&body, &parts.headers) {
        // A clone of `Bytes` is a reference count, not a copy.
        Ok(event) => Ok(VerifiedEvent::new(&event, body.clone())),
        Err(error) => Err(origin.refused(error.into())),
    }
}

/// Where a delivery came from, for log lines: the provider and the request line (the path without its query).
#[derive(Clone)]
pub(crate) struct Origin {
    pub provider: Provider,
    method: Method,
    path: String,
}

impl Origin {
    pub fn of(provider: Provider, parts: &Parts) -> Self {
        // Inside a nested router the URI has lost its prefix; OriginalUri is the path the sender used.
        let uri = parts.extensions.get::<OriginalUri>().map_or(&parts.uri, |original| &original.0);
        Self { provider, method: parts.method.clone(), path: uri.path().to_owned() }
    }

    /// Logs the rejection as every hookseal helper words it (never a secret, never payload data) and returns it.
    pub fn refused(&self, rejection: Rejection) -> Rejection {
        match rejection.kind {
            Kind::Refused { .. } | Kind::Unreadable(_) => tracing::warn!(target: "hookseal", "{self}: {rejection}"),
            Kind::BodyChanged { .. } => tracing::error!(target: "hookseal", "{self}: {rejection}"),
        }
        rejection
    }
}

/// `refused a delivery from elmed (POST /webhooks/elmed)`: the start of every refusal line.
impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refused a delivery from {} ({} {})", self.provider, self.method, self.path)
    }
}

/// The body, at most `limit` bytes: refused by its `Content-Length` before reading, or as soon as it passes `limit`.
pub(crate) async fn read_body(parts: &Parts, body: Body, limit: usize) -> Result<Bytes, Rejection> {
    let declared = match parts.headers.get(CONTENT_LENGTH).map(|v| v.to_str().map(str::parse::<u64>)) {
        Some(Ok(Ok(length))) => Some(length),
        // hyper refuses a request with a malformed Content-Length before any handler runs.
        _ => None,
    };
    let limit_u64 = u64::try_from(limit).unwrap_or(u64::MAX);
    if declared.is_some_and(|length| length > limit_u64) || body.size_hint().lower() > limit_u64 {
        return Err(Rejection::too_large(limit));
    }
    let mut body = body;
    let mut first: Option<Bytes> = None;
    let mut rest = BytesMut::new();
    let mut read = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| match error.into_inner().downcast::<LengthLimitError>() {
            // A chunked body past a RequestBodyLimitLayer's limit (axum's DefaultBodyLimit does not apply here).
            Ok(_) => Rejection::too_large(limit),
            Err(error) => Rejection { kind: Kind::Unreadable(error.to_string()) },
        })?;
        let Ok(data) = frame.into_data() else { continue }; // trailers
        read = read.saturating_add(data.len());
        if read > limit {
            // The rest is left unread: hyper answers and closes the connection.
            return Err(Rejection::too_large(limit));
        }
        // One frame (a body sent with Content-Length usually is) is kept as it came, without a copy.
        if first.is_none() && rest.is_empty() {
            first = Some(data);
        } else {
            if let Some(previous) = first.take() {
                rest.reserve(declared.and_then(|d| usize::try_from(d).ok()).unwrap_or(0).min(limit));
                rest.extend_from_slice(&previous);
            }
            rest.extend_from_slice(&data);
        }
    }
    let body = first.unwrap_or_else(|| rest.freeze());
    // hyper delivers exactly the Content-Length or fails the read; a body of another length was replaced by a layer.
    if let Some(declared) = declared.filter(|&d| d != body.len() as u64) {
        return Err(Rejection { kind: Kind::BodyChanged { declared, read: body.len() } });
    }
    Ok(body)
}

/// Why a delivery did not reach the handler, answered with the contract's status and `{"error": "<code>"}`.
///
/// Its `Display` is the refusal's `<code>: <message>`, its `Debug` the code and message: never a secret, a
/// signature or payload data.
pub struct Rejection {
    kind: Kind,
}

enum Kind {
    /// A delivery refused by hookseal: one of the verification codes.
    Refused { code: ErrorCode, message: Cow<'static, str> },
    /// The body could not be read (the connection broke, a malformed chunk): 400, no code.
    Unreadable(String),
    /// A layer before the extractor read or replaced the body: the app's mistake, 500.
    BodyChanged { declared: u64, read: usize },
}

impl Rejection {
    fn too_large(limit: usize) -> Self {
        Self {
            kind: Kind::Refused {
                code: ErrorCode::PayloadTooLarge,
                message: format!("the body is over the limit of {limit} bytes").into(),
            },
        }
    }

    /// The contract's code (`signature_mismatch`, `payload_too_large`, …); `None` when the body could not be read
    /// or a layer changed it.
    pub fn code(&self) -> Option<ErrorCode> {
        match self.kind {
            Kind::Refused { code, .. } => Some(code),
            Kind::Unreadable(_) | Kind::BodyChanged { .. } => None,
        }
    }

    /// The answer's status: the code's ([`ErrorCode::http_status`]: 401, 413 or 400), 400 for an unreadable body,
    /// 500 for a body changed by a layer of the app.
    pub fn status(&self) -> StatusCode {
        match self.kind {
            Kind::Refused { code, .. } => {
                StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
            Kind::Unreadable(_) => StatusCode::BAD_REQUEST,
            Kind::BodyChanged { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// True when the app, not the sender, is at fault (a layer changed the body).
    pub fn is_app_error(&self) -> bool {
        matches!(self.kind, Kind::BodyChanged { .. })
    }
}

impl From<VerifyError> for Rejection {
    fn from(error: VerifyError) -> Self {
        Self { kind: Kind::Refused { code: error.code(), message: error.message().to_owned().into() } }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self.kind {
            Kind::Refused { code, .. } => answer::error(self.status(), code.as_str()),
            // No code of the contract: the status says it (the sender of a broken body is gone anyway).
            Kind::Unreadable(_) | Kind::BodyChanged { .. } => self.status().into_response(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Refused { code, message } => write!(f, "{code}: {message}"),
            Kind::Unreadable(error) => write!(f, "the request body could not be read: {error}"),
            Kind::BodyChanged { declared, read } => write!(
                f,
                "hookseal-axum: the request declares Content-Length: {declared} but its body is {read} bytes: a layer \
                 or middleware before this handler read or replaced the body (one that buffers, decompresses or \
                 re-encodes it), so the bytes the signature covers are gone. Route the webhook outside that layer, \
                 or make it hand the body on unchanged; the Verified extractor (or hookseal_axum::Webhook) must be \
                 the first to read it"
            ),
        }
    }
}

impl fmt::Debug for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rejection")
            .field("code", &self.code().map(ErrorCode::as_str))
            .field("status", &self.status().as_u16())
            .field("message", &self.to_string())
            .finish()
    }
}

impl std::error::Error for Rejection {}
