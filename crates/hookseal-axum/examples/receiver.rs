//! A runnable axum receiver for ELMED and NovaMed webhooks, verified by hookseal and processed exactly once
//! (examples/axum/README.md; the Flask one, examples/flask/app.py, does the same).
//!
//!     ELMED_WEBHOOK_SECRET=... NOVAMED_WEBHOOK_SECRET=... cargo run -p hookseal-axum --example receiver
//!
//! Environment:
//!     ELMED_WEBHOOK_SECRET       required: the HMAC secret ELMED signs with (X-ELMED-Signature)
//!     NOVAMED_WEBHOOK_SECRET     required: the key NovaMed sends in x-api-key
//!     NOVAMED_CLINIC_ID          optional: refuse NovaMed deliveries for any other clinic (400 clinic_mismatch)
//!     HOOKSEAL_MAX_BODY_BYTES    optional: the body size limit for both receivers (default 1 MiB; over it: 413)
//!     HOOKSEAL_STORE             optional: the dedupe store (default: an SQLite file in the system's temp dir, shared
//!                                by every process on this host; redis://host:6379/0 for several hosts)
//!     HOOKSEAL_EXAMPLE_DELAY_MS  optional: each handler sleeps this long (default 0), to rehearse concurrent copies
//!     HOST, PORT                 optional: where to listen (default 127.0.0.1:8000)
//!
//! A refused delivery never reaches a handler: `hookseal_axum::Webhook` answers it `{"error": "<code>"}` with 401
//! (signature or key), 413 (too large) or 400 (anything else). A genuine one goes to one handler by its type (a
//! `hookseal::Router`, typed by `on_data`), once: its retries get 200 `{"status": "duplicate", ...}`, a copy arriving
//! while the first is processed 503 `{"error": "in_progress"}` with `Retry-After`, and a store that cannot be reached
//! 503 `store_unavailable` (the provider retries both).

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use hookseal::events::{elmed, novamed};
use hookseal::{Event, Options, Provider, Router, Verifier};
use hookseal_axum::Webhook;
use hookseal_store::{Store, StoreOptions};

/// A handler's error: the answer is a 500 and the claim released, so the provider's retry is processed.
type HandlerError = Box<dyn Error + Send + Sync>;

/// What the receiver is built from, read from the environment (`lookup`: `std::env::var`, or a test's map).
pub struct Settings {
    pub elmed: Verifier,
    pub novamed: Verifier,
    pub store: Store,
    pub delay: Duration,
}

impl Settings {
    /// A missing or bad setting is an error: the receiver refuses to start.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Box<dyn Error>> {
        let value = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let required = |name: &str| value(name).ok_or(format!("set {name} (the webhook secret) before starting"));
        let mut options = Options::new();
        if let Some(raw) = value("HOOKSEAL_MAX_BODY_BYTES") {
            let bytes: usize =
                raw.parse().map_err(|_| format!("HOOKSEAL_MAX_BODY_BYTES must be an integer (bytes), not {raw:?}"))?;
            options = options.max_body_bytes(bytes);
        }
        // Build each verifier once at start-up and share it: a Verifier is immutable and Send + Sync.
        let elmed = Verifier::new("elmed", &options.clone().secret(required("ELMED_WEBHOOK_SECRET")?))?;
        let mut novamed_options = options.secret(required("NOVAMED_WEBHOOK_SECRET")?);
        if let Some(clinic) = value("NOVAMED_CLINIC_ID") {
            novamed_options = novamed_options.clinic_id(clinic);
        }
        let novamed = Verifier::new("novamed", &novamed_options)?;
        let delay = match value("HOOKSEAL_EXAMPLE_DELAY_MS") {
            None => Duration::ZERO,
            Some(raw) => Duration::from_millis(raw.parse().map_err(|_| {
                format!("HOOKSEAL_EXAMPLE_DELAY_MS must be a whole number of milliseconds, not {raw:?}")
            })?),
        };
        // Exactly once: providers retry (ELMED up to 3 times, NovaMed up to 5), and the keys live in a store every
        // process reaches. The SQLite default serves every process of this host; redis://… several hosts.
        let url = value("HOOKSEAL_STORE")
            .unwrap_or_else(|| format!("sqlite://{}", std::env::temp_dir().join("hookseal-axum.db").display()));
        let store = Store::open(&url, &StoreOptions::new())?;
        Ok(Self { elmed, novamed, store, delay })
    }
}

/// Each handler's common part: the key only in the log (no patient data), then the rehearsal delay.
fn processing(event: &Event<'_>, delay: Duration) {
    tracing::info!("processing {}", event.idempotency_key());
    if !delay.is_zero() {
        std::thread::sleep(delay); // the router's handlers run on tokio's blocking pool: sleeping blocks nothing else
    }
}

/// What a handler logs once it is done: the provider and the event type only. The data (order numbers, statuses,
/// patients) is the app's to act on, never the log's.
fn handled(event: &Event<'_>) {
    tracing::info!("{} event {} handled", event.provider(), event.event_type().unwrap_or("null"));
}

/// The app: `POST /webhooks/elmed`, `POST /webhooks/novamed`, `GET /healthz`.
pub fn app(settings: Settings) -> Result<axum::Router, Box<dyn Error>> {
    let Settings { elmed, novamed, store, delay } = settings;
    let store = Arc::new(store); // one store (and its connections) for both endpoints

    // One handler per event type, as the provider docs list them (on_data types each handler's data); "*" takes
    // every other type: providers add events. Returning () answers 200 {"status":"processed",…}.
    let mut elmed_router = Router::<'static, (), HandlerError>::new().provider(Provider::Elmed);
    elmed_router
        .on_data(move |event, _order: elmed::OrderStatusChangedData| {
            processing(event, delay);
            // `_order` is the typed data (order_number, status, …): the app's to act on, never the log's.
            handled(event);
            Ok(())
        })?
        .on_data(move |event, _prescription: elmed::PrescriptionIssuedData| {
            processing(event, delay);
            handled(event);
            Ok(())
        })?
        .on("*", move |event| {
            processing(event, delay);
            tracing::info!("{} event {} received", event.provider(), event.event_type().unwrap_or("null"));
            Ok(())
        })?;

    let mut novamed_router = Router::<'static, (), HandlerError>::new().provider(Provider::Novamed);
    novamed_router
        .on_data(move |event, _order: novamed::OrderShippedData| {
            processing(event, delay);
            handled(event);
            Ok(())
        })?
        .on("*", move |event| {
            processing(event, delay);
            tracing::info!("{} event {} received", event.provider(), event.event_type().unwrap_or("null"));
            Ok(())
        })?;

    Ok(axum::Router::new()
        .route("/webhooks/elmed", Webhook::new(elmed).store(Arc::clone(&store)).router(elmed_router)?)
        .route("/webhooks/novamed", Webhook::new(novamed).store(store).router(novamed_router)?)
        .route("/healthz", get(|| async { "ok" })))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // tracing's fmt subscriber; the store's `log` records (a lease that ran out) come through it too.
    tracing_subscriber::fmt().with_max_level(tracing::Level::INFO).init();
    let settings = Settings::from_env(|name| std::env::var(name).ok())?;
    tracing::info!("store: {}", settings.store.describe()); // redacted: never a password
    let app = app(settings)?;
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".to_owned());
    let port: u16 = std::env::var("PORT").ok().map_or(Ok(8000), |p| p.parse())?;
    let listener = tokio::net::TcpListener::bind((host.as_str(), port)).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
