//! The verified event (docs/providers.md, "The verified event"), borrowing from the body and headers.

use std::borrow::Cow;
use std::fmt;
use std::fmt::Write as _;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use crate::provider::Provider;

/// Validated JSON text cut from the body (`data`, `metadata`). Bindings turn it into native values.
///
/// A Baremeds `metadata.webhook_key` equals the configured key, so its value is shown as `"[redacted]"`: secrets never
/// leave hookseal. The text is borrowed from the body unless there is something to redact.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RawJson<'a> {
    text: &'a str,
    /// The span of `text` (quotes included) replaced by `"[redacted]"`.
    redact: Option<(usize, usize)>,
}

/// What a redacted value reads as.
pub const REDACTED: &str = "\"[redacted]\"";

impl<'a> RawJson<'a> {
    pub(crate) fn new(text: &'a str, redact: Option<(usize, usize)>) -> Self {
        Self { text, redact }
    }

    /// The JSON text as the provider sent it, with any secret value replaced by `"[redacted]"`.
    pub fn get(&self) -> Cow<'a, str> {
        match self.redact.and_then(|(start, end)| Some((self.text.get(..start)?, self.text.get(end..)?))) {
            Some((before, after)) => Cow::Owned([before, REDACTED, after].concat()),
            None => Cow::Borrowed(self.text),
        }
    }
}

// Payloads carry patient data: Debug shows only the size.
impl fmt::Debug for RawJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawJson(<{} bytes>)", self.text.len())
    }
}

/// Where an idempotency key came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeySource {
    /// The envelope's `event_id` (or `id`, for `custom`).
    EventId,
    /// Baremeds' `metadata.request_id`.
    RequestId,
    /// The Standard Webhooks `webhook-id` header.
    WebhookId,
    /// `sha256:` + the hex SHA-256 of the raw body (retries re-send the same bytes).
    BodySha256,
}

impl KeySource {
    /// The contract's string for this source.
    pub const fn as_str(self) -> &'static str {
        match self {
            KeySource::EventId => "event_id",
            KeySource::RequestId => "request_id",
            KeySource::WebhookId => "webhook_id",
            KeySource::BodySha256 => "body_sha256",
        }
    }
}

const DIGEST_KEY_LEN: usize = 7 + 64;

#[derive(Clone)]
pub(crate) enum IdempotencyKey<'a> {
    Given(KeySource, Cow<'a, str>),
    /// Hashed on first use: a second pass over a large body is only paid by a caller that asks for the key.
    BodyDigest(&'a [u8], OnceLock<[u8; DIGEST_KEY_LEN]>),
}

impl<'a> IdempotencyKey<'a> {
    /// The body's digest as the key: hashed on first use, or `sha256` when the host already hashed the body
    /// (`Verifier::verify_with_tags`; trusted as given, since it only names the delivery).
    pub(crate) fn body_digest(body: &'a [u8], sha256: Option<&[u8; 32]>) -> Self {
        IdempotencyKey::BodyDigest(body, sha256.map(|digest| OnceLock::from(digest_key_of(digest))).unwrap_or_default())
    }
}

/// The contract's body-digest idempotency key of `body`: `sha256:` and the hex SHA-256 of its bytes, as
/// [`Event::idempotency_key`] gives it for [`KeySource::BodySha256`]. For a binding that hashes a body later than the
/// event's life ([`Event::to_json_deferring_digest`]).
pub fn body_digest_key(body: &[u8]) -> String {
    let key = digest_key(body);
    std::str::from_utf8(&key).unwrap_or_default().to_owned()
}

fn digest_key(body: &[u8]) -> [u8; DIGEST_KEY_LEN] {
    digest_key_of(&Sha256::digest(body).into())
}

fn digest_key_of(digest: &[u8; 32]) -> [u8; DIGEST_KEY_LEN] {
    let mut key = [0u8; DIGEST_KEY_LEN];
    let (prefix, hex_part) = key.split_at_mut(7);
    prefix.copy_from_slice(b"sha256:");
    // 32 bytes always fit 64 hex digits.
    let _ = faster_hex::hex_encode(digest, hex_part);
    key
}

/// A delivery that passed verification.
#[derive(Clone)]
pub struct Event<'a> {
    pub(crate) provider: Provider,
    pub(crate) event_type: Option<Cow<'a, str>>,
    pub(crate) key: IdempotencyKey<'a>,
    pub(crate) timestamp: Option<Cow<'a, str>>,
    pub(crate) data: RawJson<'a>,
    /// `data` is the whole body (the envelope has no `data`).
    pub(crate) data_is_body: bool,
    pub(crate) is_test: bool,
    pub(crate) is_retry: bool,
    pub(crate) metadata: Option<RawJson<'a>>,
    pub(crate) clinic_id: Option<Cow<'a, str>>,
}

impl<'a> Event<'a> {
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
        match &self.key {
            IdempotencyKey::Given(_, key) => key,
            IdempotencyKey::BodyDigest(body, cell) => {
                let key = cell.get_or_init(|| digest_key(body));
                std::str::from_utf8(key).unwrap_or_default()
            }
        }
    }

    /// Where [`Event::idempotency_key`] came from.
    pub fn idempotency_key_source(&self) -> KeySource {
        match &self.key {
            IdempotencyKey::Given(source, _) => *source,
            IdempotencyKey::BodyDigest(..) => KeySource::BodySha256,
        }
    }

    /// The envelope's timestamp exactly as sent (a number as its JSON text), if any.
    pub fn timestamp(&self) -> Option<&str> {
        self.timestamp.as_deref()
    }

    /// The envelope's `data`, or the whole body when it has none.
    pub fn data(&self) -> RawJson<'a> {
        self.data
    }

    /// True when [`Event::data`] is the whole body, the envelope having no `data` of its own.
    pub fn data_is_body(&self) -> bool {
        self.data_is_body
    }

    /// True for a test delivery (`X-Webhook-Test: true`).
    pub fn is_test(&self) -> bool {
        self.is_test
    }

    /// True when the provider marked the delivery as a retry (Baremeds `metadata.retry`).
    pub fn is_retry(&self) -> bool {
        self.is_retry
    }

    /// Baremeds' `metadata` object as sent (its `webhook_key` value redacted).
    pub fn metadata(&self) -> Option<RawJson<'a>> {
        self.metadata
    }

    /// NovaMed's `clinic_id`.
    pub fn clinic_id(&self) -> Option<&str> {
        self.clinic_id.as_deref()
    }
}

/// How [`Event::to_json`] names the fields: the host language's case (docs/api.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldCase {
    /// `event_type`, `idempotency_key`, … (Python, PHP arrays, the CLI).
    Snake,
    /// `eventType`, `idempotencyKey`, … (JavaScript).
    Camel,
}

impl Event<'_> {
    /// The event as one JSON object with the ten fields in the contract's order, `data` and `metadata` as their JSON
    /// text (redacted as [`RawJson::get`] shows them). A binding whose host parses JSON faster than it can build
    /// objects one by one (JavaScript's `JSON.parse`) hands this over in one piece.
    pub fn to_json(&self, case: FieldCase) -> String {
        self.write_json(case, true)
    }

    /// [`Event::to_json`] with `null` for `data`, for a host that has parsed the body itself (the WASM build's
    /// `verifyAsync`, while WebCrypto hashes): `data` is then its parse's `data`, or all of it when
    /// [`Event::data_is_body`]. `None` when `data` has a secret redacted (Baremeds' `metadata.webhook_key`, in a body
    /// without `data`), which the host's own parse would show: use `to_json` then.
    pub fn to_json_without_data(&self, case: FieldCase) -> Option<String> {
        self.data.redact.is_none().then(|| self.write_json(case, false))
    }

    /// [`Event::to_json`] with `null` for the idempotency key when it is the body's digest and was not computed yet,
    /// for a binding that hashes the body only when its event's key is first read, from its own copy of the body
    /// ([`body_digest_key`]): the Node addon, whose handlers often never read the key of a large body. Whether the key
    /// was left out is the event's [`Event::idempotency_key_source`] being [`KeySource::BodySha256`].
    pub fn to_json_deferring_digest(&self, case: FieldCase) -> String {
        self.write_json_with(case, true, true)
    }

    /// [`Event::to_json_without_data`] with the key left out as [`Event::to_json_deferring_digest`] leaves it: for
    /// the Node addon, whose glue parses the body itself (`JSON.parse`, the judge of `data`'s grammar on that path)
    /// and keeps that immutable text for the key, instead of a copy of the body.
    pub fn to_json_without_data_deferring_digest(&self, case: FieldCase) -> Option<String> {
        self.data.redact.is_none().then(|| self.write_json_with(case, false, true))
    }

    fn write_json(&self, case: FieldCase, with_data: bool) -> String {
        self.write_json_with(case, with_data, false)
    }

    fn write_json_with(&self, case: FieldCase, with_data: bool, defer_digest: bool) -> String {
        let data = if with_data { self.data.get() } else { Cow::Borrowed("null") };
        let metadata = self.metadata.map(|m| m.get());
        let mut out = String::with_capacity(data.len() + metadata.as_ref().map_or(0, |m| m.len()) + 256);
        let names: [&str; 10] = match case {
            FieldCase::Snake => [
                "provider",
                "event_type",
                "idempotency_key",
                "idempotency_key_source",
                "timestamp",
                "data",
                "is_test",
                "is_retry",
                "metadata",
                "clinic_id",
            ],
            FieldCase::Camel => [
                "provider",
                "eventType",
                "idempotencyKey",
                "idempotencyKeySource",
                "timestamp",
                "data",
                "isTest",
                "isRetry",
                "metadata",
                "clinicId",
            ],
        };
        let [provider, event_type, key, source, timestamp, data_name, is_test, is_retry, metadata_name, clinic_id] =
            names;
        out.push('{');
        field(&mut out, provider, Some(self.provider.as_str()));
        field(&mut out, event_type, self.event_type());
        let deferred = defer_digest && matches!(&self.key, IdempotencyKey::BodyDigest(_, cell) if cell.get().is_none());
        field(&mut out, key, if deferred { None } else { Some(self.idempotency_key()) });
        field(&mut out, source, Some(self.idempotency_key_source().as_str()));
        field(&mut out, timestamp, self.timestamp());
        raw_field(&mut out, data_name, &data);
        raw_field(&mut out, is_test, if self.is_test { "true" } else { "false" });
        raw_field(&mut out, is_retry, if self.is_retry { "true" } else { "false" });
        raw_field(&mut out, metadata_name, metadata.as_deref().unwrap_or("null"));
        field(&mut out, clinic_id, self.clinic_id());
        out.pop(); // the last field's comma
        out.push('}');
        out
    }
}

fn raw_field(out: &mut String, name: &str, json: &str) {
    out.push('"');
    out.push_str(name);
    out.push_str("\":");
    out.push_str(json);
    out.push(',');
}

fn field(out: &mut String, name: &str, value: Option<&str>) {
    out.push('"');
    out.push_str(name);
    out.push_str("\":");
    match value {
        Some(text) => json_string(out, text),
        None => out.push_str("null"),
    }
    out.push(',');
}

/// `text` as a JSON string (RFC 8259: quote, backslash and control characters escaped).
pub(crate) fn json_string(out: &mut String, text: &str) {
    out.push('"');
    // Identifiers, types and timestamps rarely need escaping: copy them whole.
    if !text.bytes().any(|b| b == b'"' || b == b'\\' || b < b' ') {
        out.push_str(text);
        out.push('"');
        return;
    }
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl fmt::Debug for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("provider", &self.provider.as_str())
            .field("event_type", &self.event_type())
            .field("idempotency_key", &self.idempotency_key())
            .field("idempotency_key_source", &self.idempotency_key_source().as_str())
            .field("timestamp", &self.timestamp())
            .field("data", &self.data)
            .field("is_test", &self.is_test)
            .field("is_retry", &self.is_retry)
            .field("metadata", &self.metadata)
            .field("clinic_id", &self.clinic_id())
            .finish()
    }
}
