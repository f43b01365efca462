//! The verifier: a preset's check, envelope and idempotency rule, prepared once and used for every delivery.

use std::borrow::Cow;
use std::fmt;

use zeroize::Zeroizing;

use crate::clock;
use crate::config::{self, Resolved};
use crate::envelope::Metadata;
use crate::envelope::{self, field, reads, Envelope};
use crate::error::{ConfigError, ErrorCode, VerifyError};
use crate::event::{Event, IdempotencyKey, KeySource, RawJson};
use crate::headers::{self, Found, HeaderPair, Wanted};
use crate::options::Options;
use crate::provider::{Provider, Scheme};
use crate::scheme::{self, Check, Tags};
use crate::validate::{Skip, Visit};

/// Verifies deliveries for one provider. Build it once (keys are prepared here) and share it: it is `Send + Sync`.
#[derive(Clone)]
pub struct Verifier {
    provider: Provider,
    scheme: Scheme,
    check: Check,
    /// What the envelope parser reads for this preset.
    reads: u16,
    clinic_id: Option<Box<str>>,
    /// Seconds; 0 = off.
    tolerance: u64,
    max_body_bytes: usize,
}

/// Headers a verifier reads, by name (ELMED's event cross-check).
const ELMED_EVENT_HEADER: &str = "X-ELMED-Event";

impl Verifier {
    /// A verifier for the preset named `provider` (`elmed`, `baremeds`, `novamed`, `standard-webhooks`, `custom`).
    pub fn new(provider: &str, options: &Options) -> Result<Self, ConfigError> {
        Self::for_provider(provider.parse()?, options)
    }

    /// A verifier for `provider`.
    pub fn for_provider(provider: Provider, options: &Options) -> Result<Self, ConfigError> {
        Self::build(provider, options, None)
    }

    /// A verifier for the preset named `provider`, and the HMAC-SHA256 key of each configured secret (in the order
    /// [`Verifier::verify_with_tags`] takes their tags; none for a shared key): for a binding whose host computes the
    /// MACs faster than this crate can (WebAssembly, where WebCrypto's HMAC is native code). The keys come from the
    /// same resolution of `options` as the verifier's own; import them (WebCrypto: not extractable) and drop them.
    pub fn with_mac_keys(provider: &str, options: &Options) -> Result<(Self, Vec<MacKey>), ConfigError> {
        let mut keys = Vec::new();
        let verifier = Self::build(provider.parse()?, options, Some(&mut keys))?;
        Ok((verifier, keys))
    }

    fn build(provider: Provider, options: &Options, mut raw: Option<&mut Vec<MacKey>>) -> Result<Self, ConfigError> {
        let Resolved { scheme, header, prefix, encoding, secrets, tolerance, max_body_bytes } =
            config::resolve(provider, options)?;
        let mut keep = |key: &[u8]| {
            if let Some(raw) = raw.as_deref_mut() {
                raw.push(MacKey(Zeroizing::new(key.to_vec())));
            }
            scheme::hmac_key(key)
        };
        let check = match scheme {
            Scheme::HmacSha256 => Check::Hmac {
                header: header.into(),
                prefix: prefix.into(),
                encoding,
                keys: secrets.iter().map(|s| keep(s.as_bytes())).collect(),
            },
            Scheme::SharedKey => Check::SharedKey {
                header: header.into(),
                digests: secrets.iter().map(|s| scheme::key_digest(s.trim_ascii().as_bytes())).collect(),
            },
            Scheme::StandardWebhooks => Check::StandardWebhooks {
                keys: secrets
                    .iter()
                    .map(|s| scheme::standard_webhooks_key(s).map(|key| keep(&key)))
                    .collect::<Result<_, _>>()?,
            },
        };
        let reads = reads::TIMESTAMP
            | reads::DATA
            | match provider {
                Provider::Elmed => reads::EVENT,
                Provider::Baremeds => reads::EVENT | reads::METADATA,
                Provider::Novamed => reads::EVENT_TYPE | reads::EVENT_ID | reads::CLINIC_ID,
                Provider::StandardWebhooks => reads::TYPE,
                Provider::Custom if scheme == Scheme::StandardWebhooks => {
                    reads::EVENT | reads::EVENT_TYPE | reads::TYPE | reads::NOTIFICATION_TYPE
                }
                Provider::Custom => {
                    reads::EVENT
                        | reads::EVENT_TYPE
                        | reads::TYPE
                        | reads::NOTIFICATION_TYPE
                        | reads::EVENT_ID
                        | reads::ID
                        | reads::METADATA_REQUEST_ID
                }
            };
        Ok(Self {
            provider,
            scheme,
            check,
            reads,
            clinic_id: options.clinic_id.as_deref().map(Into::into),
            tolerance,
            max_body_bytes,
        })
    }

    /// The preset.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The names of every header `verify` reads (compare them ASCII case-insensitively); all others are ignored. A
    /// binding whose host pays for each header it hands over may pass only these.
    pub fn header_names(&self) -> Vec<&str> {
        self.wanted().names()
    }

    fn wanted(&self) -> Wanted<'_> {
        let sw = self.scheme == Scheme::StandardWebhooks;
        Wanted {
            auth: match &self.check {
                Check::Hmac { header, .. } | Check::SharedKey { header, .. } => header,
                Check::StandardWebhooks { .. } => headers::SW_SIGNATURE,
            },
            auth_alt: sw.then_some(headers::SVIX_SIGNATURE),
            auth_repeats: self.scheme != Scheme::SharedKey,
            event: (self.provider == Provider::Elmed).then_some(ELMED_EVENT_HEADER),
            standard_webhooks: sw,
        }
    }

    /// Fuzzing only (feature `fuzzing`): the envelope parser on `body` as this verifier runs it, without the
    /// authenticity check in front of it.
    #[cfg(feature = "fuzzing")]
    #[doc(hidden)]
    pub fn fuzz_parse_envelope(&self, body: &[u8]) -> Result<(), VerifyError> {
        envelope::parse(body, self.reads).map(drop)
    }

    /// The body size limit in bytes: a framework helper reads at most this much (plus one byte) of a request.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// Verifies a delivery, reading the system clock if a replay window is on.
    ///
    /// `headers` is any iterator of `(name, value)` pairs ([`HeaderPair`]): `&Vec<(String, String)>`,
    /// `&[(&str, &str)]`, a `HashMap`'s `.iter()`, an `http::HeaderMap`'s `.iter()`. Names match case-insensitively.
    pub fn verify<'a, 'h, I>(&self, body: &'a [u8], headers: I) -> Result<Event<'a>, VerifyError>
    where
        I: IntoIterator,
        I::Item: HeaderPair<'h>,
    {
        self.authenticate_inner(body, headers, None, Tags::Computed, None)?.parse()
    }

    /// Verifies a delivery as if the time were `now` (Unix seconds): for tests and for verifying queued deliveries.
    pub fn verify_at<'a, 'h, I>(&self, body: &'a [u8], headers: I, now: i64) -> Result<Event<'a>, VerifyError>
    where
        I: IntoIterator,
        I::Item: HeaderPair<'h>,
    {
        self.authenticate_inner(body, headers, Some(now), Tags::Computed, None)?.parse()
    }

    /// For a host that computes the MACs itself: the bytes signed in front of the body, as this verifier reads
    /// `headers` (empty for hmac-sha256; `webhook-id.webhook-timestamp.` for Standard Webhooks), so that the MAC of
    /// each key is HMAC-SHA256(key, prefix ‖ body). `None`: the scheme has no MAC (a shared key, which matched:
    /// [`Verifier::verify`] hashes nothing then). An error is the one `verify` gives for these headers before it
    /// hashes the body (a missing or malformed signature header, a wrong shared key; a body over the limit is refused
    /// before all that, by `verify`): a host that gets one calls `verify`, which hashes nothing.
    pub fn mac_message_prefix<'h, I>(&self, headers: I) -> Result<Option<Vec<u8>>, VerifyError>
    where
        I: IntoIterator,
        I::Item: HeaderPair<'h>,
    {
        let found = headers::collect(headers, &self.wanted())?;
        if self.scheme == Scheme::StandardWebhooks {
            standard_webhooks_headers(&found)?;
        }
        self.check.signed_prefix(&found)
    }

    /// [`Verifier::verify_at`] (or [`Verifier::verify`] when `now` is `None`), except that the MAC of each
    /// configured key (in [`Verifier::with_mac_keys`]' order) is `tags`' item, computed by the host over
    /// [`Verifier::mac_message_prefix`] ‖ `body`; compared in constant time with the header's signatures, as
    /// `verify` compares its own. Any other number of tags matches nothing (`signature_mismatch`). `body_sha256`, if
    /// given, is the SHA-256 of `body` the host also computed, used for an idempotency key that is the body's digest
    /// (see [`Verifier::may_key_by_body_digest`]) instead of hashing the body again; it only names the
    /// delivery and is taken as given. Every other check, and the order of the errors, is `verify`'s.
    pub fn verify_with_tags<'a, 'h, I>(
        &self,
        body: &'a [u8],
        headers: I,
        now: Option<i64>,
        tags: &[[u8; 32]],
        body_sha256: Option<&[u8; 32]>,
    ) -> Result<Event<'a>, VerifyError>
    where
        I: IntoIterator,
        I::Item: HeaderPair<'h>,
    {
        self.authenticate_with_tags(body, headers, now, tags, body_sha256)?.parse()
    }

    /// The first half of [`Verifier::verify_with_tags`], as [`Verifier::authenticate`] is of `verify`: for a host
    /// that computes the MACs itself and then parses the body with its own JSON parser
    /// ([`Authenticated::parse_for_host_json`]: the WebAssembly build's `verifyAsync`).
    pub fn authenticate_with_tags<'a, 'h, I>(
        &self,
        body: &'a [u8],
        headers: I,
        now: Option<i64>,
        tags: &[[u8; 32]],
        body_sha256: Option<&[u8; 32]>,
    ) -> Result<Authenticated<'_, 'a, 'h>, VerifyError>
    where
        I: IntoIterator,
        I::Item: HeaderPair<'h>,
    {
        self.authenticate_inner(body, headers, now, Tags::Given(tags), body_sha256)
    }

    /// False when the idempotency key is never the body's digest (Standard Webhooks: the `webhook-id`); true when it
    /// is always (ELMED, whose envelope has no id) or is for a delivery without an id (the other presets). A host
    /// that computes the MACs itself can hash the body alongside and pass the digest to
    /// [`Verifier::verify_with_tags`], instead of this crate hashing it for the key.
    pub fn may_key_by_body_digest(&self) -> bool {
        self.scheme != Scheme::StandardWebhooks
    }

    /// The first half of [`Verifier::verify_at`] (or of [`Verifier::verify`], when `now` is `None`): the size, the
    /// headers and the signature, on the raw bytes. The body has not been read as JSON yet:
    /// [`Authenticated::parse`] does that and the checks that need it, and answers as `verify` would. For a binding
    /// that hashes without holding a lock its own language's objects need (Python's GIL), then builds them while
    /// the core parses ([`Authenticated::parse_visiting`]).
    pub fn authenticate<'a, 'h, I>(
        &self,
        body: &'a [u8],
        headers: I,
        now: Option<i64>,
    ) -> Result<Authenticated<'_, 'a, 'h>, VerifyError>
    where
        I: IntoIterator,
        I::Item: HeaderPair<'h>,
    {
        self.authenticate_inner(body, headers, now, Tags::Computed, None)
    }

    fn authenticate_inner<'a, 'h, I>(
        &self,
        body: &'a [u8],
        headers: I,
        now: Option<i64>,
        tags: Tags<'_>,
        body_sha256: Option<&[u8; 32]>,
    ) -> Result<Authenticated<'_, 'a, 'h>, VerifyError>
    where
        I: IntoIterator,
        I::Item: HeaderPair<'h>,
    {
        // 1. Size, before any hashing.
        if body.len() > self.max_body_bytes {
            return Err(VerifyError::new(
                ErrorCode::PayloadTooLarge,
                format!("the body is {} bytes, over the limit of {}", body.len(), self.max_body_bytes),
            ));
        }
        // 2. Headers, in one pass.
        let sw = self.scheme == Scheme::StandardWebhooks;
        let found = headers::collect(headers, &self.wanted())?;
        let sw_headers = if sw { Some(standard_webhooks_headers(&found)?) } else { None };
        // 3. Authenticity, on the raw bytes.
        self.check.verify(body, &found, tags)?;
        Ok(Authenticated { verifier: self, body, found, sw_headers, now, body_sha256: body_sha256.copied() })
    }
}

/// How [`Authenticated::parse_for_host_json_traced`] answered.
#[doc(hidden)]
#[cfg(feature = "host-json")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostPath {
    /// The structural scan found where `data` ends; its grammar was left to the host's parser.
    Scanned,
    /// The host path answered, `data` validated by the core (not an object or array, absent, or the scan not sure).
    Validated,
    /// The host path met an error, and [`Authenticated::parse`] answered.
    Parsed,
}

/// A delivery whose size, headers and signature [`Verifier::authenticate`] has checked: genuine bytes, not yet read
/// as JSON. Nothing in it is an event yet: [`Authenticated::parse`] makes one, or the error `verify` gives.
pub struct Authenticated<'v, 'a, 'h> {
    verifier: &'v Verifier,
    body: &'a [u8],
    found: Found<'h>,
    sw_headers: Option<(&'h str, i64)>,
    now: Option<i64>,
    body_sha256: Option<[u8; 32]>,
}

impl fmt::Debug for Authenticated<'_, '_, '_> {
    // The body may carry patient data: only its size is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticated")
            .field("provider", &self.verifier.provider)
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Authenticated<'_, 'a, '_> {
    /// The rest of the verification: the envelope and the checks that need it, with `verify`'s answer.
    pub fn parse(self) -> Result<Event<'a>, VerifyError> {
        self.finish(&mut Skip).map(|(event, _)| event)
    }

    /// [`Authenticated::parse`], telling `visitor` what the core's scan reads of `data` as it validates it, so that a
    /// binding builds its own objects in the same pass. The flag says whether the visitor was told all of `data`
    /// (an object or array the fast scan was sure of); when it is false, whatever the visitor built is to be
    /// discarded and `data` built from [`Event::data`] (the event is the same either way).
    pub fn parse_visiting<V: Visit>(self, visitor: &mut V) -> Result<(Event<'a>, bool), VerifyError> {
        self.finish(visitor)
    }

    /// [`Authenticated::parse`] for a host whose own strict JSON parser (Node's `JSON.parse`) parses all of
    /// [`Event::to_json`]'s text, `data` included: the grammar of an object or array `data` is left to that parser,
    /// and only its extent is found here (and what such a parser would take that this crate refuses: nesting past
    /// 128 levels, a lone surrogate escape, an integer of thousands of digits, for which `data` is parsed as ever).
    /// Every other check is [`Authenticated::parse`]'s, and an error is the one it gives (on any error, the body is
    /// parsed again as `parse` does). But an `Ok` is only `parse`'s answer if the host's parser then accepts the whole
    /// event text: if it refuses it, the host verifies again with [`Verifier::verify`] (or `verify_at`, at the same
    /// `now`), whose error names what is wrong with `data`.
    #[cfg(feature = "host-json")]
    pub fn parse_for_host_json(self) -> Result<Event<'a>, VerifyError> {
        self.parse_for_host_json_traced().0
    }

    /// [`Authenticated::parse_for_host_json`], and which way it answered ([`HostPath`]). For a binding's tests: on a
    /// body that `parse` accepts and whose `data` is an object or array the host's parser takes, it is
    /// [`HostPath::Scanned`] unless the scan is rightly not sure (nesting past 128 levels, a `\u` escape of a
    /// surrogate, a long run of digits), which checks the structural scan on the binding's own target (the
    /// WebAssembly build's SIMD scan, which this crate's tests do not run).
    #[doc(hidden)]
    #[cfg(feature = "host-json")]
    pub fn parse_for_host_json_traced(self) -> (Result<Event<'a>, VerifyError>, HostPath) {
        let host = {
            let Self { verifier, body, found, sw_headers, now, body_sha256 } = &self;
            envelope::parse_for_host(body, verifier.reads).and_then(|mut envelope| {
                let id = sw_headers.map(|(id, _)| id);
                let event = verifier.event(body, &mut envelope, found, id, body_sha256.as_ref())?;
                verifier.checks(&envelope, found, &event, *sw_headers, *now)?;
                Ok((event, envelope.data_scanned))
            })
        };
        // An error may be one the structural scan let through (a malformed `data`): `parse` names the right one.
        match host {
            Ok((event, true)) => (Ok(event), HostPath::Scanned),
            Ok((event, false)) => (Ok(event), HostPath::Validated),
            Err(_) => (self.parse(), HostPath::Parsed),
        }
    }

    fn finish<V: Visit>(self, visitor: &mut V) -> Result<(Event<'a>, bool), VerifyError> {
        let Self { verifier, body, found, sw_headers, now, body_sha256 } = self;
        // 4. Only now, the body.
        let mut envelope = envelope::parse_visiting(body, verifier.reads, visitor)?;
        let visited = envelope.data_visited;
        let event = verifier.event(body, &mut envelope, &found, sw_headers.map(|(id, _)| id), body_sha256.as_ref())?;
        verifier.checks(&envelope, &found, &event, sw_headers, now)?;
        Ok((event, visited))
    }
}

impl Verifier {
    /// 5. The checks that need the parsed body.
    fn checks(
        &self,
        envelope: &Envelope<'_>,
        found: &Found<'_>,
        event: &Event<'_>,
        sw_headers: Option<(&str, i64)>,
        now: Option<i64>,
    ) -> Result<(), VerifyError> {
        if let Some(meta) = &envelope.metadata {
            if let (Some(key), Check::SharedKey { digests, .. }) = (&meta.webhook_key, &self.check) {
                if self.reads & reads::METADATA != 0 && !scheme::shared_key_matches(digests, key.as_bytes()) {
                    return Err(VerifyError::new(
                        ErrorCode::KeyMismatch,
                        "metadata.webhook_key does not match the configured key",
                    ));
                }
            }
        }
        if event.event_type.is_none() && self.provider != Provider::StandardWebhooks {
            return Err(VerifyError::new(
                ErrorCode::MissingField,
                format!("the envelope has no event type ({})", self.event_type_fields()),
            ));
        }
        if let (Some(header), Some(event_type)) = (found.event, event.event_type()) {
            // A header value cannot carry surrounding whitespace (HTTP trims it; so does `collect`): an event type
            // with some is compared without it. Found by fuzzing (verify_signed): sign → verify did not round-trip.
            if header != event_type.as_bytes().trim_ascii() {
                return Err(VerifyError::new(
                    ErrorCode::EventMismatch,
                    "the X-ELMED-Event header differs from the body's event",
                ));
            }
        }
        if let Some(expected) = &self.clinic_id {
            if event.clinic_id() != Some(expected.as_ref()) {
                return Err(VerifyError::new(
                    ErrorCode::ClinicMismatch,
                    "the delivery is not for the configured clinic_id",
                ));
            }
        }
        if self.tolerance > 0 {
            let at = match sw_headers {
                Some((_, at)) => at,
                None => {
                    let text = event.timestamp().ok_or_else(|| {
                        VerifyError::new(
                            ErrorCode::MissingField,
                            "the envelope has no timestamp, and a replay window is configured",
                        )
                    })?;
                    clock::parse_timestamp(text).ok_or_else(|| {
                        VerifyError::new(
                            ErrorCode::TimestampOutOfTolerance,
                            "the envelope timestamp is neither Unix seconds nor an ISO 8601 date-time",
                        )
                    })?
                }
            };
            let now = now.unwrap_or_else(clock::system_now);
            if !clock::within(now, at, self.tolerance) {
                return Err(VerifyError::new(
                    ErrorCode::TimestampOutOfTolerance,
                    format!(
                        "the delivery is {} s {}, outside the {} s tolerance",
                        now.abs_diff(at),
                        if at <= now { "old" } else { "ahead of this clock" },
                        self.tolerance
                    ),
                ));
            }
        }
        Ok(())
    }

    fn event_type_fields(&self) -> &'static str {
        match self.provider {
            Provider::Elmed | Provider::Baremeds => "event",
            Provider::Novamed => "event_type",
            Provider::StandardWebhooks => "type",
            Provider::Custom => "event, event_type, type or notification_type",
        }
    }

    fn event<'a>(
        &self,
        body: &'a [u8],
        envelope: &mut Envelope<'a>,
        found: &Found<'_>,
        webhook_id: Option<&str>,
        body_sha256: Option<&[u8; 32]>,
    ) -> Result<Event<'a>, VerifyError> {
        let event_type = match self.provider {
            Provider::Elmed | Provider::Baremeds => envelope.take_named(field::EVENT),
            Provider::Novamed => envelope.take_named(field::EVENT_TYPE),
            Provider::StandardWebhooks => envelope.take_named(field::TYPE),
            Provider::Custom => [field::EVENT, field::EVENT_TYPE, field::TYPE, field::NOTIFICATION_TYPE]
                .into_iter()
                .find_map(|f| envelope.take_named(f)),
        };
        let request_id = envelope.metadata.as_mut().and_then(|m| envelope::named(m.request_id.take()));
        let given = match (webhook_id, self.provider) {
            // Headers are not borrowed by the event: the id is copied (Standard Webhooks only).
            (Some(id), _) => Some((KeySource::WebhookId, Cow::Owned(id.to_owned()))),
            (None, Provider::Baremeds) => request_id.map(|id| (KeySource::RequestId, id)),
            (None, Provider::Novamed) => envelope.take_named(field::EVENT_ID).map(|id| (KeySource::EventId, id)),
            (None, Provider::Custom) => envelope
                .take_named(field::EVENT_ID)
                .or_else(|| envelope.take_named(field::ID))
                .map(|id| (KeySource::EventId, id))
                .or_else(|| request_id.map(|id| (KeySource::RequestId, id))),
            (None, _) => None,
        };
        let key = match given {
            Some((source, id)) => IdempotencyKey::Given(source, id),
            None => IdempotencyKey::body_digest(body, body_sha256),
        };
        let baremeds = self.provider == Provider::Baremeds;
        // Baremeds' metadata.webhook_key is the configured key: shown redacted, wherever the event shows it.
        let key_span = envelope.metadata.as_ref().and_then(|m| m.webhook_key_span).filter(|_| baremeds);
        let data_is_body = envelope.data.is_none();
        let data = match envelope.data {
            Some(data) => RawJson::new(data, None),
            None => {
                let whole = envelope.text.trim_start_matches([' ', '\t', '\n', '\r']);
                let offset = envelope.text.len() - whole.len();
                let whole = whole.trim_end_matches([' ', '\t', '\n', '\r']);
                RawJson::new(whole, key_span.and_then(|span| relative(span, offset)))
            }
        };
        let metadata = envelope
            .metadata
            .as_ref()
            .filter(|_| baremeds)
            .map(|m: &Metadata<'a>| RawJson::new(m.raw, key_span.and_then(|span| relative(span, m.start))));
        Ok(Event {
            provider: self.provider,
            event_type,
            key,
            timestamp: envelope.take(field::TIMESTAMP),
            data,
            data_is_body,
            is_test: found.is_test(),
            is_retry: baremeds && envelope.metadata.as_ref().and_then(|m| m.retry).unwrap_or(false),
            metadata,
            clinic_id: if self.provider == Provider::Novamed { envelope.take(field::CLINIC_ID) } else { None },
        })
    }
}

/// A span of the body, relative to a part of it that starts at `start`.
fn relative((from, to): (usize, usize), start: usize) -> Option<(usize, usize)> {
    Some((from.checked_sub(start)?, to.checked_sub(start)?))
}

/// The Standard Webhooks id (UTF-8) and timestamp (integer seconds), checked for shape before the signature.
fn standard_webhooks_headers<'h>(found: &Found<'h>) -> Result<(&'h str, i64), VerifyError> {
    let id = found.id().ok_or_else(|| headers::missing(headers::SW_ID))?;
    let timestamp = found.timestamp().ok_or_else(|| headers::missing(headers::SW_TIMESTAMP))?;
    let id = std::str::from_utf8(id)
        .ok()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| VerifyError::new(ErrorCode::MalformedHeader, "the webhook-id header is empty or not UTF-8"))?;
    let timestamp = std::str::from_utf8(timestamp)
        .ok()
        .filter(|t| !t.is_empty() && t.len() <= 18 && t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or_else(|| {
            VerifyError::new(
                ErrorCode::MalformedHeader,
                "the webhook-timestamp header must be whole seconds since the Unix epoch",
            )
        })?;
    Ok((id, timestamp))
}

// Keys are counted, never shown.
impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("provider", &self.provider.as_str())
            .field("check", &self.check)
            .field("clinic_id", &self.clinic_id)
            .field("tolerance", &self.tolerance)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

/// The HMAC-SHA256 key of one configured secret ([`Verifier::with_mac_keys`]): the secret's bytes for hmac-sha256, the
/// decoded key for Standard Webhooks. Wiped when dropped; never shown.
pub struct MacKey(Zeroizing<Vec<u8>>);

impl MacKey {
    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for MacKey {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for MacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MacKey([redacted])")
    }
}
