//! The sample events `hookseal send` delivers: every event each provider documents, its payload (the document's own
//! where it prints one, else one made up in the same shape), made fresh for each invocation, and edited by `--set`.
//!
//! Pure: the clock and the random bytes come in through [`Fresh`], so a test gets the same bytes every time.

use hookseal::Provider;
use serde_json::{Map, Value};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

/// What the clock and the random source give one `send` invocation (passed in so tests are deterministic).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fresh {
    pub unix_micros: i64,
    pub random: [u8; 16],
}

#[derive(Debug)]
pub struct EventSample {
    pub event_type: &'static str,
    /// true: the provider's document prints this payload (tests/samples/...); false: made up by hookseal, because the
    /// document names the event but prints no payload (or the spec names no events: standard-webhooks)
    pub documented: bool,
    /// The payload's JSON text; its envelope timestamp and id are replaced by [`build`].
    template: &'static str,
}

macro_rules! documented {
    ($event:literal, $provider:literal, $file:literal) => {
        EventSample {
            event_type: $event,
            documented: true,
            template: include_str!(concat!("../../../tests/samples/", $provider, "/", $file, ".json")),
        }
    };
}

const fn made_up(event_type: &'static str, template: &'static str) -> EventSample {
    EventSample { event_type, documented: false, template }
}

// Made-up payloads hold identifiers, statuses and times only: never names, addresses or clinical free text, so that
// nothing in them can be mistaken for (or grow into) patient data.

const ELMED_REFERRAL_CREATED: &str = r#"{
  "event": "referral.created",
  "timestamp": "2026-03-29T10:45:00",
  "data": {
    "referral_id": 12,
    "consultation_id": 15,
    "patient_id": 7,
    "referring_doctor_user_id": 3,
    "specialist_user_id": 9,
    "status": "created",
    "created_at": "2026-03-29T10:44:30"
  }
}"#;

static ELMED: [EventSample; 6] = [
    documented!("prescription.issued", "elmed", "prescription.issued"),
    documented!("prescription.dispensed", "elmed", "prescription.dispensed"),
    documented!("consultation.completed", "elmed", "consultation.completed"),
    documented!("order.status_changed", "elmed", "order.status_changed"),
    documented!("claim.decision", "elmed", "claim.decision"),
    made_up("referral.created", ELMED_REFERRAL_CREATED),
];

static BAREMEDS: [EventSample; 6] = [
    documented!("prescription_submitted", "baremeds", "prescription_submitted"),
    documented!("prescription_dosage_changed", "baremeds", "prescription_dosage_changed"),
    documented!("encounter_cancelled", "baremeds", "encounter_cancelled"),
    documented!("message_created", "baremeds", "message_created"),
    documented!("order_changed", "baremeds", "order_changed"),
    documented!("case_assigned_to_clinician", "baremeds", "case_assigned_to_clinician"),
];

/// A made-up NovaMed delivery: the documented envelope (clinic of the document's example) around `$data`.
macro_rules! novamed {
    ($event:literal, $data:literal) => {
        made_up(
            $event,
            concat!(
                "{\n  \"event_type\": \"",
                $event,
                "\",\n  \"event_id\": \"evt_000000000000000000000000\",\n",
                "  \"timestamp\": \"2025-01-15T10:30:00.000Z\",\n",
                "  \"clinic_id\": \"550e8400-e29b-41d4-a716-446655440000\",\n",
                "  \"data\": ",
                $data,
                "\n}"
            ),
        )
    };
}

static NOVAMED: [EventSample; 12] = [
    novamed!(
        "order:created",
        r#"{
    "order_id": "ord_12345",
    "patient_id": "pat_67890",
    "medication_request_id": "med_req_11111",
    "status": "created",
    "created_at": "2025-01-15T08:00:00.000Z"
  }"#
    ),
    novamed!(
        "order:processing",
        r#"{
    "order_id": "ord_12345",
    "patient_id": "pat_67890",
    "medication_request_id": "med_req_11111",
    "status": "processing",
    "updated_at": "2025-01-15T09:30:00.000Z"
  }"#
    ),
    documented!("order:shipped", "novamed", "order.shipped"),
    novamed!(
        "order:delivered",
        r#"{
    "order_id": "ord_12345",
    "patient_id": "pat_67890",
    "medication_request_id": "med_req_11111",
    "tracking_number": "1Z999AA10123456784",
    "carrier": "UPS",
    "status": "delivered",
    "delivered_at": "2025-01-18T14:05:00.000Z"
  }"#
    ),
    novamed!(
        "order:cancelled",
        r#"{
    "order_id": "ord_12345",
    "patient_id": "pat_67890",
    "medication_request_id": "med_req_11111",
    "status": "cancelled",
    "reason": "patient_request",
    "cancelled_at": "2025-01-15T09:45:00.000Z"
  }"#
    ),
    novamed!(
        "medication_request:created",
        r#"{
    "medication_request_id": "med_req_11111",
    "patient_id": "pat_67890",
    "practitioner_id": "prac_22222",
    "status": "pending",
    "created_at": "2025-01-15T08:30:00.000Z"
  }"#
    ),
    documented!("medication_request:approved", "novamed", "medication_request.approved"),
    novamed!(
        "medication_request:filled",
        r#"{
    "medication_request_id": "med_req_11111",
    "patient_id": "pat_67890",
    "order_id": "ord_12345",
    "status": "filled",
    "filled_at": "2025-01-15T10:00:00.000Z"
  }"#
    ),
    novamed!(
        "medication_request:cancelled",
        r#"{
    "medication_request_id": "med_req_11111",
    "patient_id": "pat_67890",
    "practitioner_id": "prac_22222",
    "status": "cancelled",
    "reason": "practitioner_cancelled",
    "cancelled_at": "2025-01-15T09:15:00.000Z"
  }"#
    ),
    novamed!(
        "refill:requested",
        r#"{
    "refill_id": "ref_33333",
    "medication_request_id": "med_req_11111",
    "patient_id": "pat_67890",
    "status": "requested",
    "requested_at": "2025-02-14T08:00:00.000Z"
  }"#
    ),
    novamed!(
        "refill:approved",
        r#"{
    "refill_id": "ref_33333",
    "medication_request_id": "med_req_11111",
    "patient_id": "pat_67890",
    "practitioner_id": "prac_22222",
    "status": "approved",
    "approved_at": "2025-02-14T10:00:00.000Z"
  }"#
    ),
    novamed!(
        "refill:denied",
        r#"{
    "refill_id": "ref_33333",
    "medication_request_id": "med_req_11111",
    "patient_id": "pat_67890",
    "practitioner_id": "prac_22222",
    "status": "denied",
    "reason": "no_refills_remaining",
    "denied_at": "2025-02-14T10:00:00.000Z"
  }"#
    ),
];

/// A made-up Management API notification: the API documents event names only, so the envelope is hookseal's
/// (`notification_type` and `id` are fields the `custom` preset reads).
macro_rules! management_api {
    ($event:literal, $data:literal) => {
        made_up(
            $event,
            concat!(
                "{\n  \"notification_type\": \"",
                $event,
                "\",\n  \"id\": \"ntf_000000000000000000000000\",\n",
                "  \"timestamp\": \"2026-01-30T12:00:00Z\",\n",
                "  \"data\": ",
                $data,
                "\n}"
            ),
        )
    };
}

static CUSTOM: [EventSample; 4] = [
    management_api!(
        "pharmacy_order_created",
        r#"{
    "order_id": "po_981",
    "pharmacy_id": "ph_12",
    "status": "created",
    "created_at": "2026-01-30T11:59:58Z"
  }"#
    ),
    management_api!(
        "pharmacy_order_updated",
        r#"{
    "order_id": "po_981",
    "pharmacy_id": "ph_12",
    "status": "dispatched",
    "previous_status": "created",
    "updated_at": "2026-01-30T11:59:58Z"
  }"#
    ),
    management_api!(
        "pharmacy_sku_stock_updated",
        r#"{
    "sku_id": "sku_4410",
    "pharmacy_id": "ph_12",
    "stock_level": 24,
    "previous_stock_level": 30,
    "updated_at": "2026-01-30T11:59:58Z"
  }"#
    ),
    management_api!(
        "patient_doctor_meeting_updated",
        r#"{
    "meeting_id": "mtg_5521",
    "patient_id": "pat_301",
    "doctor_id": "doc_77",
    "status": "completed",
    "previous_status": "in_progress",
    "updated_at": "2026-01-30T11:59:58Z"
  }"#
    ),
];

/// Every event the provider documents, in the document's order. custom = the Management API's four events.
/// standard-webhooks: empty (the spec names no events; any --event type is accepted there, see `build`).
pub fn events(provider: Provider) -> &'static [EventSample] {
    match provider {
        Provider::Elmed => &ELMED,
        Provider::Baremeds => &BAREMEDS,
        Provider::Novamed => &NOVAMED,
        Provider::Custom => &CUSTOM,
        Provider::StandardWebhooks => &[],
    }
}

/// The sample for `event_type`, made fresh for one invocation: the envelope timestamp is `fresh.unix_micros` and the
/// provider's event id (if it has one) comes from `fresh.random`, so two runs are two events to a receiver's dedupe
/// while the copies of one run are one. Returns the JSON value and whether the payload is documented.
pub fn build(provider: Provider, event_type: &str, fresh: &Fresh) -> Result<(Value, bool), String> {
    let timestamp = Value::String(format_timestamp(provider, fresh.unix_micros)?);
    if provider == Provider::StandardWebhooks {
        if event_type.is_empty() {
            return Err("standard-webhooks needs a non-empty event type (the spec names none: any is accepted)".into());
        }
        let mut body = Map::new();
        body.insert("type".into(), Value::String(event_type.into()));
        body.insert("timestamp".into(), timestamp);
        body.insert("data".into(), Value::Object(Map::new()));
        return Ok((Value::Object(body), false));
    }
    let known = events(provider);
    let sample =
        known.iter().find(|s| s.event_type == event_type).ok_or_else(|| unknown_event(provider, event_type, known))?;
    let mut body: Value = serde_json::from_str(sample.template)
        .map_err(|e| format!("the {} sample {} does not parse: {e}", provider.as_str(), sample.event_type))?;
    let Value::Object(envelope) = &mut body else {
        return Err(format!("the {} sample {} is not a JSON object", provider.as_str(), sample.event_type));
    };
    // `insert` on an existing key keeps its place (preserve_order), so the envelope reads as documented.
    envelope.insert("timestamp".into(), timestamp);
    match provider {
        // ELMED sends no id: its idempotency key is the body digest, which the fresh timestamp makes new.
        Provider::Elmed | Provider::StandardWebhooks => {}
        Provider::Baremeds => {
            let metadata = envelope
                .get_mut("metadata")
                .and_then(Value::as_object_mut)
                .ok_or_else(|| format!("the baremeds sample {} has no metadata object", sample.event_type))?;
            metadata.insert("request_id".into(), Value::String(uuid_v4(fresh.random)));
            metadata.insert("retry".into(), Value::Bool(false));
        }
        Provider::Novamed => {
            envelope.insert("event_id".into(), Value::String(format!("evt_{}", hex24(&fresh.random))));
        }
        Provider::Custom => {
            envelope.insert("id".into(), Value::String(format!("ntf_{}", hex24(&fresh.random))));
        }
    }
    Ok((body, sample.documented))
}

/// Sets the envelope timestamp field ("timestamp", top level) to `unix_micros` in the provider's format.
/// Used by `send --stale` on non-standard-webhooks providers, for catalog bodies and --body files alike.
pub fn restamp(provider: Provider, body: &mut Value, unix_micros: i64) -> Result<(), String> {
    let Value::Object(envelope) = body else {
        return Err(format!("the body is {}, not an object: it has no timestamp field to restamp", kind(body)));
    };
    let Some(field) = envelope.get_mut("timestamp") else {
        return Err("the body has no timestamp field to restamp (a replay window reads the envelope's)".into());
    };
    *field = Value::String(format_timestamp(provider, unix_micros)?);
    Ok(())
}

/// Applies one `--set PATH=VALUE`: PATH is dotted (`data.status`, `data.medication.0.quantity`: a segment that is a
/// number indexes an array); VALUE is parsed as JSON (`42`, `true`, `null`, `{"a":1}`, `"quoted"`), else taken as
/// a string. Every segment must exist already: a typo is an error, never a silently added field.
pub fn apply_set(body: &mut Value, assignment: &str) -> Result<(), String> {
    let Some((path, raw)) = assignment.split_once('=') else {
        return Err("--set needs PATH=VALUE, e.g. data.status=SHIPPED".into());
    };
    if path.is_empty() {
        return Err("--set needs a path before `=`, e.g. data.status=SHIPPED".into());
    }
    let segments: Vec<&str> = path.split('.').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(format!("--set {}: the path has an empty segment (write it as data.status)", shown(path)));
    }
    let mut node = body;
    for (depth, segment) in segments.iter().enumerate() {
        // Where we stand, for messages: the user's own path so far.
        let here = if depth == 0 { "the body".to_owned() } else { shown(&segments[..depth].join(".")) };
        let fail = |what: String| format!("--set {}: {what}", shown(path));
        let is_index = !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit());
        node = match node {
            Value::Object(map) => {
                if !map.contains_key(*segment) {
                    return Err(fail(format!("no field {:?} in {here} ({})", bounded(segment), fields(map))));
                }
                map.get_mut(*segment).ok_or_else(|| fail(format!("no field {:?}", bounded(segment))))?
            }
            Value::Array(items) => {
                let len = items.len();
                if !is_index {
                    return Err(fail(format!(
                        "{here} is an array: index it with a number, not {:?}",
                        bounded(segment)
                    )));
                }
                let out_of_range = || {
                    fail(format!("index {} is out of range ({here} has {len} item{})", bounded(segment), plural(len)))
                };
                let index: usize = segment.parse().map_err(|_| out_of_range())?;
                match items.get_mut(index) {
                    Some(item) => item,
                    None => return Err(out_of_range()),
                }
            }
            other => {
                let wanted = if is_index { "an array or object" } else { "an object" };
                return Err(fail(format!("{here} is {}, not {wanted}", kind(other))));
            }
        };
    }
    *node = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()));
    Ok(())
}

/// A one-line label for output, saying where the payload comes from.
pub fn provenance(provider: Provider, documented: bool) -> &'static str {
    match (provider, documented) {
        (Provider::StandardWebhooks, _) => "made-up sample: the spec names no events",
        (_, false) => "made-up sample: the document names this event but prints no payload",
        (Provider::Elmed, true) => "documented sample (ELMED's webhook docs)",
        (Provider::Baremeds, true) => "documented sample (Baremeds-EHR's webhook docs)",
        (Provider::Novamed, true) => "documented sample (NovaMed's webhook docs)",
        // The Management API prints no payload; kept for completeness.
        (Provider::Custom, true) => "documented sample (the Management API's docs)",
    }
}

/// `unix_micros` as the provider writes its envelope timestamp (each format copies the provider's own example).
fn format_timestamp(provider: Provider, unix_micros: i64) -> Result<String, String> {
    const ELMED: &[BorrowedFormatItem<'_>] =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]");
    const SECONDS_Z: &[BorrowedFormatItem<'_>] = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    const MILLIS_Z: &[BorrowedFormatItem<'_>] =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    const MICROS_Z: &[BorrowedFormatItem<'_>] =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    let format = match provider {
        Provider::Elmed => ELMED,
        Provider::Baremeds | Provider::Custom => SECONDS_Z,
        Provider::Novamed => MILLIS_Z,
        Provider::StandardWebhooks => MICROS_Z,
    };
    let out_of_range = || format!("the time {unix_micros} µs after the Unix epoch is out of range");
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_micros) * 1000).map_err(|_| out_of_range())?;
    at.format(format).map_err(|_| out_of_range())
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

/// 24 lowercase hex digits (96 random bits): the length of the ids hookseal makes up.
fn hex24(random: &[u8; 16]) -> String {
    hex(&random[..12])
}

/// A UUID version 4 (RFC 9562) from 16 random bytes: Baremeds documents `request_id` as a UUID.
fn uuid_v4(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    format!("{}-{}-{}-{}-{}", hex(&b[..4]), hex(&b[4..6]), hex(&b[6..8]), hex(&b[8..10]), hex(&b[10..]))
}

fn unknown_event(provider: Provider, given: &str, known: &[EventSample]) -> String {
    let names: Vec<&str> = known.iter().map(|s| s.event_type).collect();
    let hint = suggest(given, &names).map(|s| format!("; did you mean {s}?")).unwrap_or_default();
    format!("no {} event named {:?}{hint} (known: {})", provider.as_str(), bounded(given), names.join(", "))
}

/// The closest known name: within an edit distance of 3, else one the given name is a prefix of, else one in the
/// same family (the part before the first `.`, `:` or `_`: `order.shiped` → `order.status_changed`).
fn suggest<'a>(given: &str, names: &[&'a str]) -> Option<&'a str> {
    let given = given.to_lowercase();
    // Longer than any name by more than 3 cannot be within 3 edits; this also bounds the work on odd input.
    if given.chars().count() <= 64 {
        let best = names.iter().map(|n| (crate::edit_distance(&given, n), *n)).min_by_key(|(d, _)| *d);
        if let Some((distance, name)) = best {
            if distance <= 3 {
                return Some(name);
            }
        }
    }
    if given.len() >= 2 {
        if let Some(name) = names.iter().find(|n| n.starts_with(given.as_str())) {
            return Some(name);
        }
    }
    let family = |s: &str| s.split(['.', ':', '_']).next().unwrap_or_default().to_owned();
    let wanted = family(&given);
    if wanted.is_empty() || wanted == given {
        return None;
    }
    names.iter().find(|n| family(n) == wanted).copied()
}

/// The caller's text, at most 64 characters (messages stay one bounded line).
fn bounded(text: &str) -> String {
    let mut out: String = text.chars().take(64).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// A path or field name as a message shows it: as typed when it is plain, else quoted and escaped (one line).
fn shown(text: &str) -> String {
    let text = bounded(text);
    if text.chars().all(|c| !c.is_control() && !c.is_whitespace() && c != '"') {
        text
    } else {
        format!("{text:?}")
    }
}

fn fields(map: &Map<String, Value>) -> String {
    const SHOWN: usize = 20;
    if map.is_empty() {
        return "it has no fields".into();
    }
    let mut list: Vec<String> = map.keys().take(SHOWN).map(|k| shown(k)).collect();
    if map.len() > SHOWN {
        list.push(format!("and {} more", map.len() - SHOWN));
    }
    format!("its fields: {}", list.join(", "))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookseal::{sign, KeySource, Options, Scheme, SignOptions, Verifier};

    const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    /// 2026-03-29T10:45:00.123456 UTC.
    const AT: i64 = 1_774_781_100_123_456;

    fn fresh(unix_micros: i64, seed: u8) -> Fresh {
        Fresh { unix_micros, random: std::array::from_fn(|i| seed.wrapping_mul(31).wrapping_add(i as u8)) }
    }

    fn options(provider: Provider) -> Options {
        match provider {
            Provider::Elmed => Options::new().secret("whsk_catalog_test"),
            Provider::Baremeds => Options::new().secret("bm_catalog_test_key"),
            Provider::Novamed => Options::new().secret("nm_catalog_test_key"),
            Provider::StandardWebhooks => Options::new().secret(SW_SECRET),
            Provider::Custom => {
                Options::new().secret("mgmt_catalog_test").scheme(Scheme::SharedKey).header("X-Webhook-Key")
            }
        }
    }

    fn expected_source(provider: Provider) -> KeySource {
        match provider {
            Provider::Elmed => KeySource::BodySha256,
            Provider::Baremeds => KeySource::RequestId,
            Provider::Novamed | Provider::Custom => KeySource::EventId,
            Provider::StandardWebhooks => KeySource::WebhookId,
        }
    }

    /// Signs and verifies `body` (at `now`, Unix seconds, with `tolerance` if given): the event's type and key.
    fn deliver(
        provider: Provider,
        body: &str,
        now: i64,
        tolerance: Option<u64>,
    ) -> Result<(Option<String>, String, KeySource), String> {
        let mut sign_options = SignOptions::new(options(provider));
        if provider == Provider::StandardWebhooks {
            sign_options.now = Some(now);
        }
        let headers = sign(provider.as_str(), body.as_bytes(), &sign_options).map_err(|e| e.to_string())?;
        let mut verify_options = options(provider);
        if let Some(t) = tolerance {
            verify_options = verify_options.tolerance(t);
        }
        let verifier = Verifier::for_provider(provider, &verify_options).map_err(|e| e.to_string())?;
        let event = verifier.verify_at(body.as_bytes(), &headers, now).map_err(|e| e.code().as_str().to_owned())?;
        Ok((event.event_type().map(str::to_owned), event.idempotency_key().to_owned(), event.idempotency_key_source()))
    }

    fn all_events() -> Vec<(Provider, &'static str)> {
        let mut all: Vec<(Provider, &'static str)> =
            Provider::ALL.iter().flat_map(|&p| events(p).iter().map(move |s| (p, s.event_type))).collect();
        all.push((Provider::StandardWebhooks, "invoice.paid"));
        all
    }

    #[test]
    fn every_provider_but_standard_webhooks_has_events_in_the_documents_order() {
        for provider in Provider::ALL {
            assert_eq!(events(provider).is_empty(), provider == Provider::StandardWebhooks, "{provider}");
        }
        let names = |p| events(p).iter().map(|s| s.event_type).collect::<Vec<_>>();
        assert_eq!(
            names(Provider::Elmed),
            [
                "prescription.issued",
                "prescription.dispensed",
                "consultation.completed",
                "order.status_changed",
                "claim.decision",
                "referral.created"
            ]
        );
        assert_eq!(names(Provider::Baremeds).len(), 6);
        assert_eq!(names(Provider::Novamed).len(), 12);
        assert_eq!(
            names(Provider::Custom),
            [
                "pharmacy_order_created",
                "pharmacy_order_updated",
                "pharmacy_sku_stock_updated",
                "patient_doctor_meeting_updated"
            ]
        );
        let documented = |p| events(p).iter().filter(|s| s.documented).count();
        assert_eq!(
            [Provider::Elmed, Provider::Baremeds, Provider::Novamed, Provider::Custom].map(documented),
            [5, 6, 2, 0]
        );
    }

    #[test]
    fn every_template_names_its_own_event_type() {
        for provider in Provider::ALL {
            let field = match provider {
                Provider::Elmed | Provider::Baremeds => "event",
                Provider::Novamed => "event_type",
                Provider::Custom => "notification_type",
                Provider::StandardWebhooks => "type",
            };
            for sample in events(provider) {
                let body: Value = serde_json::from_str(sample.template).unwrap();
                assert_eq!(body[field], sample.event_type, "{provider} {}", sample.event_type);
                assert!(body["timestamp"].is_string() && body["data"].is_object(), "{}", sample.event_type);
            }
        }
    }

    #[test]
    fn every_sample_builds_signs_and_verifies() {
        let f = fresh(AT, 1);
        for (provider, event_type) in all_events() {
            let (body, documented) = build(provider, event_type, &f).unwrap();
            let text = serde_json::to_string_pretty(&body).unwrap();
            let (verified_type, key, source) = deliver(provider, &text, AT / 1_000_000, None).unwrap();
            assert_eq!(verified_type.as_deref(), Some(event_type), "{provider}");
            assert_eq!(source, expected_source(provider), "{provider} {event_type}");
            match provider {
                Provider::Elmed => assert!(key.starts_with("sha256:")),
                Provider::Baremeds => assert_eq!(key, uuid_v4(f.random)),
                Provider::Novamed => assert_eq!(key, format!("evt_{}", hex24(&f.random))),
                Provider::Custom => assert_eq!(key, format!("ntf_{}", hex24(&f.random))),
                Provider::StandardWebhooks => assert!(key.starts_with("msg_")),
            }
            let in_catalog = events(provider).iter().find(|s| s.event_type == event_type);
            assert_eq!(documented, in_catalog.is_some_and(|s| s.documented), "{provider} {event_type}");
        }
    }

    #[test]
    fn documented_payloads_keep_their_data_and_only_the_envelope_changes() {
        let f = fresh(AT, 2);
        for provider in Provider::ALL {
            for sample in events(provider) {
                let original: Value = serde_json::from_str(sample.template).unwrap();
                let (built, _) = build(provider, sample.event_type, &f).unwrap();
                assert_eq!(built["data"], original["data"], "{}", sample.event_type);
                let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
                assert_eq!(keys(&built), keys(&original), "the envelope keeps its fields and their order");
                let changed: Vec<&String> = original
                    .as_object()
                    .unwrap()
                    .iter()
                    .filter(|(k, v)| built[k.as_str()] != **v)
                    .map(|(k, _)| k)
                    .collect();
                let allowed: &[&str] = match provider {
                    Provider::Elmed => &["timestamp"],
                    Provider::Baremeds => &["timestamp", "metadata"],
                    Provider::Novamed => &["timestamp", "event_id"],
                    Provider::Custom => &["timestamp", "id"],
                    Provider::StandardWebhooks => &[],
                };
                assert!(changed.iter().all(|k| allowed.contains(&k.as_str())), "{changed:?}");
                if provider == Provider::Baremeds {
                    let mut meta = original["metadata"].clone();
                    meta["request_id"] = built["metadata"]["request_id"].clone();
                    assert_eq!(built["metadata"], meta, "only request_id changes in metadata");
                }
            }
        }
        // Numbers are kept as written (arbitrary_precision): 850.00 stays 850.00.
        let (claim, _) = build(Provider::Elmed, "claim.decision", &f).unwrap();
        assert!(serde_json::to_string(&claim).unwrap().contains("\"amount_claimed\":850.00"));
    }

    #[test]
    fn timestamps_use_each_providers_format() {
        let f = fresh(AT, 3);
        let stamp = |p, e| build(p, e, &f).unwrap().0["timestamp"].as_str().unwrap().to_owned();
        assert_eq!(stamp(Provider::Elmed, "claim.decision"), "2026-03-29T10:45:00.123456");
        assert_eq!(stamp(Provider::Baremeds, "order_changed"), "2026-03-29T10:45:00Z");
        assert_eq!(stamp(Provider::Novamed, "order:created"), "2026-03-29T10:45:00.123Z");
        assert_eq!(stamp(Provider::Custom, "pharmacy_order_created"), "2026-03-29T10:45:00Z");
        assert_eq!(stamp(Provider::StandardWebhooks, "a.b"), "2026-03-29T10:45:00.123456Z");
        // Milliseconds are truncated, not rounded (a rounded time could lie in the future).
        let f = fresh(1_774_781_100_999_999, 3);
        assert_eq!(build(Provider::Novamed, "order:created", &f).unwrap().0["timestamp"], "2026-03-29T10:45:00.999Z");
        // Before the epoch the fraction still counts forward from the second.
        assert_eq!(format_timestamp(Provider::Elmed, -1).unwrap(), "1969-12-31T23:59:59.999999");
        assert!(format_timestamp(Provider::Elmed, i64::MAX).unwrap_err().contains("out of range"));
        assert!(build(Provider::Elmed, "claim.decision", &fresh(i64::MIN, 0)).is_err());
    }

    #[test]
    fn ids_are_fresh_and_well_formed() {
        let id = uuid_v4([0xff; 16]);
        assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
        assert_eq!(hex24(&[0xab; 16]), "ab".repeat(12));
        let (body, _) = build(Provider::Baremeds, "order_changed", &fresh(AT, 9)).unwrap();
        assert_eq!(body["metadata"]["retry"], false);
    }

    #[test]
    fn two_invocations_are_two_events_and_one_invocation_is_one() {
        let (a, b) = (fresh(AT, 4), fresh(AT + 1, 5));
        for (provider, event_type) in all_events() {
            let text = |f: &Fresh| serde_json::to_string(&build(provider, event_type, f).unwrap().0).unwrap();
            assert_eq!(text(&a), text(&a), "same Fresh, same bytes: {provider} {event_type}");
            let key = |f: &Fresh| deliver(provider, &text(f), AT / 1_000_000, None).unwrap().1;
            if provider == Provider::StandardWebhooks {
                // The key is the webhook-id header, which `sign` derives from the body: new body, new key.
                assert_ne!(text(&a), text(&b));
            }
            assert_ne!(key(&a), key(&b), "{provider} {event_type}");
        }
    }

    #[test]
    fn standard_webhooks_takes_any_non_empty_type() {
        let (body, documented) = build(Provider::StandardWebhooks, "whatever.you.like", &fresh(AT, 6)).unwrap();
        assert!(!documented);
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"type":"whatever.you.like","timestamp":"2026-03-29T10:45:00.123456Z","data":{}}"#
        );
        assert!(build(Provider::StandardWebhooks, "", &fresh(AT, 6)).unwrap_err().contains("non-empty"));
    }

    #[test]
    fn unknown_events_are_refused_with_a_suggestion() {
        let f = fresh(AT, 7);
        let err = build(Provider::Elmed, "order.shiped", &f).unwrap_err();
        assert_eq!(
            err,
            "no elmed event named \"order.shiped\"; did you mean order.status_changed? (known: prescription.issued, \
             prescription.dispensed, consultation.completed, order.status_changed, claim.decision, referral.created)"
        );
        let suggestion = |p, e| {
            let err = build(p, e, &f).unwrap_err();
            err.split_once("did you mean ").map(|(_, rest)| rest.split('?').next().unwrap().to_owned())
        };
        // NovaMed's files spell ':' as '.': one edit away.
        assert_eq!(suggestion(Provider::Novamed, "order.shipped").as_deref(), Some("order:shipped"));
        assert_eq!(suggestion(Provider::Novamed, "Refill:Denied").as_deref(), Some("refill:denied"));
        assert_eq!(suggestion(Provider::Baremeds, "message").as_deref(), Some("message_created"));
        assert_eq!(suggestion(Provider::Baremeds, "order_shipped").as_deref(), Some("order_changed"));
        assert_eq!(suggestion(Provider::Custom, "pharmacy_order_create").as_deref(), Some("pharmacy_order_created"));
        assert_eq!(suggestion(Provider::Elmed, "invoice.paid"), None);
        assert_eq!(suggestion(Provider::Elmed, "order").as_deref(), Some("order.status_changed"));
        // The caller's text is bounded and escaped: the message stays one line.
        let err = build(Provider::Novamed, &format!("x\n{}", "y".repeat(500)), &f).unwrap_err();
        assert!(!err.contains('\n') && err.len() < 400, "{err}");
        assert!(err.starts_with("no novamed event named \"x\\nyyy"), "{err}");
        // Exact names only: the suggestion is a hint, never silently taken.
        assert!(build(Provider::Novamed, "order.shipped", &f).is_err());
    }

    #[test]
    fn restamp_moves_the_envelope_time_for_a_replay_window() {
        let now = AT / 1_000_000;
        let hour_ago = AT - 3_600_000_000;
        for provider in [Provider::Elmed, Provider::Baremeds, Provider::Novamed, Provider::Custom] {
            let event_type = events(provider)[0].event_type;
            let (mut body, _) = build(provider, event_type, &fresh(AT, 8)).unwrap();
            let fresh_text = serde_json::to_string(&body).unwrap();
            assert!(deliver(provider, &fresh_text, now, Some(300)).is_ok(), "{provider}");
            restamp(provider, &mut body, hour_ago).unwrap();
            let stale = serde_json::to_string(&body).unwrap();
            assert_eq!(
                deliver(provider, &stale, now, Some(300)).unwrap_err(),
                "timestamp_out_of_tolerance",
                "{provider}"
            );
            assert!(deliver(provider, &stale, now - 3_590, Some(300)).is_ok(), "{provider}");
            assert!(deliver(provider, &stale, now, None).is_ok(), "no window, no refusal: {provider}");
        }
        // A --body file is restamped the same way, its other bytes untouched.
        let mut file: Value = serde_json::from_str(events(Provider::Novamed)[2].template).unwrap();
        restamp(Provider::Novamed, &mut file, AT).unwrap();
        assert_eq!(file["timestamp"], "2026-03-29T10:45:00.123Z");
        assert_eq!(file["event_id"], "evt_abc123xyz");
        // Nothing to restamp: a clear error, never an added field.
        let mut no_stamp: Value = serde_json::from_str(r#"{"event":"a","data":{}}"#).unwrap();
        let err = restamp(Provider::Elmed, &mut no_stamp, AT).unwrap_err();
        assert!(err.starts_with("the body has no timestamp field to restamp"), "{err}");
        assert_eq!(no_stamp, serde_json::json!({"event": "a", "data": {}}));
        let err = restamp(Provider::Elmed, &mut Value::from(vec![1, 2]), AT).unwrap_err();
        assert_eq!(err, "the body is an array, not an object: it has no timestamp field to restamp");
    }

    fn order() -> Value {
        serde_json::from_str(
            r#"{"event":"e","timestamp":"t","data":{"order_id":88,"status":"IN_TRANSIT","medication":[{"quantity":1}],"tags":{}}}"#,
        )
        .unwrap()
    }

    fn set(assignment: &str) -> Result<Value, String> {
        let mut body = order();
        apply_set(&mut body, assignment).map(|()| body)
    }

    #[test]
    fn set_replaces_existing_values_with_json_or_text() {
        assert_eq!(set("data.status=SHIPPED").unwrap()["data"]["status"], "SHIPPED");
        assert_eq!(set("data.status=\"42\"").unwrap()["data"]["status"], "42");
        assert_eq!(set("data.status=42").unwrap()["data"]["status"], 42);
        assert_eq!(set("data.status=true").unwrap()["data"]["status"], true);
        assert_eq!(set("data.status=null").unwrap()["data"]["status"], Value::Null);
        assert_eq!(set("data.status=").unwrap()["data"]["status"], "");
        assert_eq!(set("data.status=a=b").unwrap()["data"]["status"], "a=b");
        assert_eq!(set(r#"data.status={"a":1}"#).unwrap()["data"]["status"], serde_json::json!({"a": 1}));
        assert_eq!(set("data.medication.0.quantity=3").unwrap()["data"]["medication"][0]["quantity"], 3);
        assert_eq!(set("data.medication.0={}").unwrap()["data"]["medication"][0], serde_json::json!({}));
        assert_eq!(set("event=x").unwrap()["event"], "x");
        // Key order is kept: a --set edits in place.
        let text = serde_json::to_string(&set("data.order_id=1").unwrap()).unwrap();
        assert!(text.starts_with(r#"{"event":"e","timestamp":"t","data":{"order_id":1,"status""#), "{text}");
    }

    #[test]
    fn set_errors_say_what_is_wrong() {
        let err = |a: &str| set(a).unwrap_err();
        assert_eq!(err("data.status"), "--set needs PATH=VALUE, e.g. data.status=SHIPPED");
        assert_eq!(err("=5"), "--set needs a path before `=`, e.g. data.status=SHIPPED");
        assert_eq!(
            err("data..status=1"),
            "--set data..status: the path has an empty segment (write it as data.status)"
        );
        assert_eq!(err("data.=1"), "--set data.: the path has an empty segment (write it as data.status)");
        assert_eq!(
            err("data.stauts=1"),
            r#"--set data.stauts: no field "stauts" in data (its fields: order_id, status, medication, tags)"#
        );
        assert_eq!(err("evnt=1"), r#"--set evnt: no field "evnt" in the body (its fields: event, timestamp, data)"#);
        assert_eq!(err("data.tags.x=1"), r#"--set data.tags.x: no field "x" in data.tags (it has no fields)"#);
        assert_eq!(
            err("data.medication.1.quantity=2"),
            "--set data.medication.1.quantity: index 1 is out of range (data.medication has 1 item)"
        );
        assert_eq!(
            err("data.medication.99999999999999999999999=2"),
            "--set data.medication.99999999999999999999999: index 99999999999999999999999 is out of range \
             (data.medication has 1 item)"
        );
        assert_eq!(
            err("data.medication.first=2"),
            r#"--set data.medication.first: data.medication is an array: index it with a number, not "first""#
        );
        assert_eq!(err("data.status.code=1"), "--set data.status.code: data.status is a string, not an object");
        assert_eq!(
            err("data.order_id.0=1"),
            "--set data.order_id.0: data.order_id is a number, not an array or object"
        );
        let mut top = Value::from("text");
        assert_eq!(apply_set(&mut top, "a=1").unwrap_err(), "--set a: the body is a string, not an object");
        // An odd path is quoted, so the message stays on one line.
        let err = err("data.a\nb=1");
        assert_eq!(
            err,
            r#"--set "data.a\nb": no field "a\nb" in data (its fields: order_id, status, medication, tags)"#
        );
        // Errors leave the body as it was.
        let mut body = order();
        assert!(apply_set(&mut body, "data.nope=1").is_err());
        assert_eq!(body, order());
    }

    #[test]
    fn provenance_labels() {
        assert_eq!(provenance(Provider::Elmed, true), "documented sample (ELMED's webhook docs)");
        assert_eq!(
            provenance(Provider::Elmed, false),
            "made-up sample: the document names this event but prints no payload"
        );
        assert_eq!(provenance(Provider::StandardWebhooks, false), "made-up sample: the spec names no events");
        for provider in Provider::ALL {
            for sample in events(provider) {
                assert!(!provenance(provider, sample.documented).contains('\n'));
            }
        }
    }

    /// `send`'s events are the event catalog's (catalog/*.schema.json, the one source of the typed events): the
    /// same event types in the same order, documented where the catalog says the document prints the payload.
    #[test]
    fn the_events_are_the_catalogs() {
        let catalogs = [
            (Provider::Elmed, include_str!("../../../catalog/elmed.schema.json")),
            (Provider::Baremeds, include_str!("../../../catalog/baremeds.schema.json")),
            (Provider::Novamed, include_str!("../../../catalog/novamed.schema.json")),
            (Provider::Custom, include_str!("../../../catalog/management-api.schema.json")),
        ];
        for (provider, text) in catalogs {
            let schema: Value = serde_json::from_str(text).unwrap();
            assert_eq!(schema["x-hookseal"]["provider"], provider.as_str());
            let named: Vec<&str> =
                schema["x-hookseal"]["events"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
            let ours: Vec<&str> = events(provider).iter().map(|e| e.event_type).collect();
            assert_eq!(ours, named, "{}: send's events are not the catalog's", provider.as_str());
            for sample in events(provider) {
                let documented = &schema["$defs"][sample.event_type]["x-hookseal-documented"];
                assert_eq!(documented, &Value::Bool(sample.documented), "{} {}", provider.as_str(), sample.event_type);
            }
        }
    }
}
