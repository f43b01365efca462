//! # hookseal
//!
//! Receiver-side webhook verification: prove a delivery is genuine (constant-time HMAC-SHA256, shared keys,
//! Standard Webhooks), parse its envelope, and give it an idempotency key — for ELMED, Baremeds-EHR, NovaMed,
//! every Standard Webhooks sender, and any provider configured by hand.
//!
//! The contract is the repository's `docs/providers.md` (what each provider sends and what is checked) and
//! `docs/api.md` (this API in every language); `docs/decisions.md` says why, where a choice was ours.
//!
//! ```
//! use hookseal::{sign, Options, SignOptions, Verifier};
//!
//! let body = br#"{"event":"prescription.issued","timestamp":"2026-03-29T10:45:00","data":{"prescription_id":42}}"#;
//! let options = Options::new().secret("whsk_elmed_endpoint_secret");
//! let headers = sign("elmed", body, &SignOptions::new(options.clone()))?;
//!
//! let verifier = Verifier::new("elmed", &options)?;
//! let event = verifier.verify(body, &headers)?;
//! assert_eq!(event.event_type(), Some("prescription.issued"));
//! assert_eq!(event.data().get(), r#"{"prescription_id":42}"#);
//! assert!(event.idempotency_key().starts_with("sha256:"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A [`Router`] runs one handler per verified event, chosen by its event type (with the dedupe store of
//! `hookseal-store`: claim, dispatch, complete or release). [`events`] lists the event types of each provider's
//! catalog, and with cargo feature `events` holds their typed payloads (`events::elmed::ElmedEvent`, …).
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![warn(missing_docs)]

mod clock;
mod config;
mod envelope;
mod error;
mod event;
pub mod events;
mod headers;
mod once;
mod options;
mod provider;
mod router;
mod scheme;
mod sign;
#[cfg(feature = "host-json")]
mod structure;
mod validate;
mod verifier;

pub use clock::seconds_from_float;
pub use error::{ConfigError, ErrorCode, VerifyError};
pub use event::{body_digest_key, Event, FieldCase, KeySource, RawJson};
pub use headers::{HeaderPair, MAX_HEADER_BYTES, MAX_SIGNATURES};
pub use once::{cached_verifiers, is_cached, verify, verify_at, Error, CACHED_VERIFIERS};
pub use options::{option_name_from_camel_case, OptionValue, Options, DEFAULT_MAX_BODY_BYTES};
pub use provider::{Encoding, Provider, Scheme};
pub use router::{DispatchError, Dispatched, IntoPatterns, Router, Unhandled, UnhandledEvent, UnknownPattern};
// The router's typo suggestions and the CLI's (provider and event names) measure names alike: one function, not API.
#[doc(hidden)]
pub use router::edit_distance;
pub use sign::{headers_json, sign, sign_at, SignOptions};
pub use validate::Visit;
// The scan of a string's contents, for the Python binding's decoding of escapes: one scan, the core's.
#[doc(hidden)]
pub use validate::next_special;
#[doc(hidden)]
#[cfg(feature = "host-json")]
pub use verifier::HostPath;
pub use verifier::{Authenticated, MacKey, Verifier};

/// Where the JSON object or array at the start of `text` ends, when the core's scan is sure it is valid (the scan
/// [`Authenticated::parse_visiting`] runs over `data`), telling `visitor` what it reads. `None`: not sure (malformed
/// text, a value that is not an object or array, or one past the scan's subset: nesting past 128, a surrogate escape,
/// an integer part past 4000 digits), and a caller then asks a full parser.
pub fn visit_json<V: Visit>(text: &str, visitor: &mut V) -> Option<usize> {
    match text.as_bytes().first() {
        Some(b'{' | b'[') => validate::walk(text.as_bytes(), 0, visitor),
        _ => None,
    }
}

// The Rust snippets of the README and of docs/api.md are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

#[cfg(doctest)]
#[doc = include_str!("../../../docs/api.md")]
struct ApiDoctests;
