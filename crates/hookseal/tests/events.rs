//! The typed events (cargo feature `events`, generated from catalog/ by catalog/generate.py): every documented sample
//! of tests/samples/ verifies and converts into its typed variant, with its documented fields; an unknown event type is
//! `Other`; an unknown field is kept in `extra`.
#![cfg(feature = "events")]

mod support;

use std::path::PathBuf;

use hookseal::events::baremeds::{BaremedsEvent, BaremedsMetadata, Medication};
use hookseal::events::elmed::{ClaimDecisionData, ElmedEvent, OrderStatusChangedData};
use hookseal::events::management_api::ManagementApiEvent;
use hookseal::events::novamed::{NovamedEvent, ShippingAddress};
use hookseal::{sign, Event, Options, Provider, Scheme, SignOptions, Verifier};
use serde_json::{json, Map, Value};
use support::vectors::json_eq;

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/samples")
}

fn options(provider: &str) -> Options {
    match provider {
        "elmed" => Options::new().secret("whsk_events_test"),
        "custom" => Options::new().secret("mgmt_events_test").scheme(Scheme::SharedKey).header("X-Webhook-Key"),
        _ => Options::new().secret("events_test_key"),
    }
}

fn verify<'a>(provider: &str, body: &'a [u8]) -> Event<'a> {
    let options = options(provider);
    let headers = sign(provider, body, &SignOptions::new(options.clone())).unwrap();
    Verifier::new(provider, &options).unwrap().verify(body, &headers).unwrap()
}

/// An object's members that are null, removed at every level: a field the catalog does not require reads null and
/// absent alike as `None`, which serializes as absent.
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), without_nulls(v))).collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// The typed data of a documented event, serialized back: what the sample's `data` holds, with nothing in `extra`.
fn round_trip<T: serde::Serialize>(typed: &T, extra: &Map<String, Value>, sample: &Value, name: &str) {
    assert!(extra.is_empty(), "{name}: a field the catalog documents is left in extra: {extra:?}");
    let back = without_nulls(&serde_json::to_value(typed).unwrap());
    let data = without_nulls(&sample["data"]);
    assert!(json_eq(&back, &data), "{name}: {back} is not the sample's data {data}");
}

/// Converts one sample; returns its event type.
fn convert(provider: &str, name: &str, body: &[u8]) -> String {
    let sample: Value = serde_json::from_slice(body).unwrap();
    let event = verify(provider, body);
    let event_type = event.event_type().unwrap().to_owned();
    match provider {
        "elmed" => {
            let typed = ElmedEvent::from_event(&event).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(typed.event_type(), Some(event_type.as_str()));
            match &typed {
                ElmedEvent::PrescriptionIssued(d) => round_trip(d, &d.extra, &sample, name),
                ElmedEvent::PrescriptionDispensed(d) => round_trip(d, &d.extra, &sample, name),
                ElmedEvent::ConsultationCompleted(d) => round_trip(d, &d.extra, &sample, name),
                ElmedEvent::OrderStatusChanged(d) => round_trip(d, &d.extra, &sample, name),
                ElmedEvent::ClaimDecision(d) => round_trip(d, &d.extra, &sample, name),
                other => panic!("{name}: not a documented variant: {other:?}"),
            }
        }
        "baremeds" => {
            let typed = BaremedsEvent::from_event(&event).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(typed.event_type(), Some(event_type.as_str()));
            match &typed {
                BaremedsEvent::PrescriptionSubmitted(d) => round_trip(d, &d.extra, &sample, name),
                BaremedsEvent::PrescriptionDosageChanged(d) => round_trip(d, &d.extra, &sample, name),
                BaremedsEvent::EncounterCancelled(d) => round_trip(d, &d.extra, &sample, name),
                BaremedsEvent::MessageCreated(d) => round_trip(d, &d.extra, &sample, name),
                BaremedsEvent::OrderChanged(d) => round_trip(d, &d.extra, &sample, name),
                BaremedsEvent::CaseAssignedToClinician(d) => round_trip(d, &d.extra, &sample, name),
                other => panic!("{name}: not a documented variant: {other:?}"),
            }
            let metadata = BaremedsMetadata::from_event(&event).unwrap().expect("every Baremeds sample has metadata");
            assert_eq!(metadata.request_id, event.idempotency_key());
            assert!(metadata.extra.is_empty(), "{name}: {:?}", metadata.extra);
            let back = without_nulls(&serde_json::to_value(&metadata).unwrap());
            assert!(json_eq(&back, &without_nulls(&sample["metadata"])), "{name}");
        }
        "novamed" => {
            let typed = NovamedEvent::from_event(&event).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(typed.event_type(), Some(event_type.as_str()));
            match &typed {
                NovamedEvent::OrderShipped(d) => round_trip(d, &d.extra, &sample, name),
                NovamedEvent::MedicationRequestApproved(d) => round_trip(d, &d.extra, &sample, name),
                other => panic!("{name}: not a documented variant: {other:?}"),
            }
        }
        other => panic!("no samples expected for {other}"),
    }
    event_type
}

#[test]
fn every_documented_sample_converts_into_its_typed_variant() {
    let mut seen: Vec<(String, String)> = Vec::new();
    for provider in ["elmed", "baremeds", "novamed"] {
        let mut entries: Vec<_> =
            std::fs::read_dir(samples_dir().join(provider)).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let event_type = convert(provider, &name, &std::fs::read(&path).unwrap());
            // File names spell NovaMed's `:` as `.` (tests/samples/README.md).
            let stem = name.strip_suffix(".json").unwrap();
            let expected = if provider == "novamed" { stem.replacen('.', ":", 1) } else { stem.to_owned() };
            assert_eq!(event_type, expected, "{provider}/{name}");
            seen.push((provider.to_owned(), event_type));
        }
    }
    // Every typed (documented) variant has its sample: the catalog's counts (catalog/README.md).
    let count = |p: &str| seen.iter().filter(|(provider, _)| provider == p).count();
    assert_eq!((count("elmed"), count("baremeds"), count("novamed")), (5, 6, 2), "{seen:?}");
}

#[test]
fn documented_fields_are_typed() {
    let read = |path: &str| std::fs::read(samples_dir().join(path)).unwrap();
    let body = read("elmed/claim.decision.json");
    let ElmedEvent::ClaimDecision(ClaimDecisionData { claim_id, amount_claimed, rejection_reason, status, .. }) =
        ElmedEvent::from_event(&verify("elmed", &body)).unwrap()
    else {
        panic!("not a claim.decision")
    };
    assert_eq!((claim_id, amount_claimed, rejection_reason), (Some(31), Some(850.0), None));
    assert_eq!(status.as_deref(), Some("approved"));

    let body = read("elmed/order.status_changed.json");
    let ElmedEvent::OrderStatusChanged(OrderStatusChangedData { status, courier, .. }) =
        ElmedEvent::from_event(&verify("elmed", &body)).unwrap()
    else {
        panic!("not an order.status_changed")
    };
    assert_eq!(status.as_deref(), Some("IN_TRANSIT"));
    assert!(courier.is_some());

    let body = read("baremeds/prescription_submitted.json");
    let BaremedsEvent::PrescriptionSubmitted(data) = BaremedsEvent::from_event(&verify("baremeds", &body)).unwrap()
    else {
        panic!("not a prescription_submitted")
    };
    let Medication { quantity, medication, .. } = &data.medication[0];
    assert!(*quantity > 0 && !medication.is_empty());

    let body = read("novamed/order.shipped.json");
    let NovamedEvent::OrderShipped(data) = NovamedEvent::from_event(&verify("novamed", &body)).unwrap() else {
        panic!("not an order:shipped")
    };
    let Some(ShippingAddress { city, zip, .. }) = data.shipping_address else { panic!("no shipping address") };
    assert_eq!((city.as_deref(), zip.as_deref()), (Some("San Francisco"), Some("94102")));
}

#[test]
fn unknown_event_types_are_other_and_open_events_keep_their_data() {
    let body = br#"{"event":"lab.result_ready","data":{"lab_id":7}}"#;
    let event = verify("elmed", body);
    assert_eq!(
        ElmedEvent::from_event(&event).unwrap(),
        ElmedEvent::Other { event_type: Some("lab.result_ready".into()), data: json!({"lab_id": 7}) }
    );
    assert_eq!(ElmedEvent::from_event(&event).unwrap().event_type(), Some("lab.result_ready"));
    // Named but without a documented payload: its own variant, open data.
    let body = br#"{"event":"referral.created","data":{"referral_id":3}}"#;
    assert_eq!(
        ElmedEvent::from_event(&verify("elmed", body)).unwrap(),
        ElmedEvent::ReferralCreated(json!({"referral_id": 3}))
    );
    let body = br#"{"notification_type":"pharmacy_sku_stock_updated","id":5,"data":{"sku":"A1"}}"#;
    let event = verify("custom", body);
    assert_eq!(event.provider(), Provider::Custom);
    assert_eq!(
        ManagementApiEvent::from_event(&event).unwrap(),
        ManagementApiEvent::PharmacySkuStockUpdated(json!({"sku": "A1"}))
    );
    assert_eq!(ManagementApiEvent::EVENT_TYPES.len(), 4);
    // No type at all (only Standard Webhooks has none; from_parts takes it too).
    assert_eq!(
        NovamedEvent::from_parts(None, "{}").unwrap(),
        NovamedEvent::Other { event_type: None, data: json!({}) }
    );
}

#[test]
fn unknown_fields_are_kept_in_extra() {
    let body = br#"{"event":"order.status_changed","data":{"order_id":88,"status":"DELIVERED","signed_by":"A. Person","proof":{"photo":true}}}"#;
    let ElmedEvent::OrderStatusChanged(data) = ElmedEvent::from_event(&verify("elmed", body)).unwrap() else {
        panic!("not typed")
    };
    assert_eq!(data.order_id, Some(88));
    assert_eq!(data.tracking_number, None);
    assert_eq!(data.extra.get("signed_by"), Some(&json!("A. Person")));
    assert_eq!(data.extra.get("proof"), Some(&json!({"photo": true})));
    assert_eq!(data.extra.len(), 2);
    // Serialized back: the same object (absent optional fields stay absent).
    let back = serde_json::to_value(&data).unwrap();
    assert_eq!(
        back,
        json!({"order_id": 88, "status": "DELIVERED", "signed_by": "A. Person", "proof": {"photo": true}})
    );
    let again: OrderStatusChangedData = serde_json::from_value(back).unwrap();
    assert_eq!(again, data);
}

#[test]
fn a_payload_of_another_shape_or_provider_is_an_error() {
    // A documented field of another type.
    let body = br#"{"event":"claim.decision","data":{"claim_id":"thirty-one"}}"#;
    let error = ElmedEvent::from_event(&verify("elmed", body)).unwrap_err();
    // Where, not what: serde_json's message quotes the value (patient data), the typed event's error never does.
    assert_eq!(
        error.to_string(),
        "the claim.decision data does not have the documented shape: a value has another type than documented (line 1, \
         column 24)"
    );
    assert!(!format!("{error} {error:?}").contains("thirty-one"), "{error:?}");
    // A required Baremeds field missing: its name (a name, never a value).
    let data = r#"{"status":"updated","created_at":"2026-01-30T12:00:00Z"}"#;
    let error = BaremedsEvent::from_parts(Some("order_changed"), data).unwrap_err();
    assert!(
        error.to_string().starts_with("the order_changed data does not have the documented shape: the field "),
        "{error}"
    );
    assert!(error.to_string().contains("`order_number` is missing"), "{error}");
    // Not JSON at all.
    let error = ElmedEvent::from_parts(Some("claim.decision"), "{").unwrap_err();
    assert!(error.to_string().contains("it is not valid JSON"), "{error}");
    // Null where the catalog says nullable: None.
    let data = r#"{"order_number":null,"patient_id":"p","encounter_id":"e","medication":[],"created_at":"t","special_necessities":null}"#;
    let BaremedsEvent::PrescriptionSubmitted(typed) =
        BaremedsEvent::from_parts(Some("prescription_submitted"), data).unwrap()
    else {
        panic!("not typed")
    };
    assert_eq!((typed.order_number, typed.special_necessities), (None, None));
    // Another preset's event.
    let body = br#"{"event":"claim.decision","data":{}}"#;
    let error = NovamedEvent::from_event(&verify("elmed", body)).unwrap_err();
    assert!(error.to_string().contains("NovamedEvent is for novamed deliveries"), "{error}");
    assert!(BaremedsMetadata::from_event(&verify("elmed", body)).is_err());
}

#[test]
fn debug_shows_no_payload_field() {
    // A typed event printed with {:?} (a log line, a panic message) names its type only: the payload is patient data.
    let body = std::fs::read(samples_dir().join("novamed/order.shipped.json")).unwrap();
    let typed = NovamedEvent::from_event(&verify("novamed", &body)).unwrap();
    let NovamedEvent::OrderShipped(data) = &typed else { panic!("not an order:shipped") };
    let printed = format!("{typed:?} {data:?} {:?}", data.shipping_address);
    assert_eq!(
        printed,
        r#"NovamedEvent { event_type: Some("order:shipped"), .. } OrderShippedData { .. } Some(ShippingAddress { .. })"#
    );
}

#[test]
fn on_data_hands_the_handler_its_typed_data() {
    use hookseal::events::EventData;
    use hookseal::{DispatchError, Dispatched, Router};
    type Error = Box<dyn std::error::Error + Send + Sync>;

    let mut router = Router::<'_, String, Error>::new().provider(Provider::Elmed);
    router
        .on_data(|event, claim: ClaimDecisionData| {
            Ok(format!("{} {:?} {:?}", event.idempotency_key().len(), claim.claim_id, claim.amount_approved))
        })
        .unwrap()
        .on_data(|_, order: OrderStatusChangedData| Ok(format!("order {}", order.status.unwrap_or_default())))
        .unwrap();
    assert_eq!(router.patterns(), ["claim.decision", "order.status_changed"]);

    let body = std::fs::read(samples_dir().join("elmed/claim.decision.json")).unwrap();
    let Ok(Dispatched::Handled(answer)) = router.dispatch(&verify("elmed", &body)) else { panic!("not handled") };
    assert_eq!(answer, "71 Some(31) Some(850.0)");
    let body = std::fs::read(samples_dir().join("elmed/order.status_changed.json")).unwrap();
    let Ok(Dispatched::Handled(answer)) = router.dispatch(&verify("elmed", &body)) else { panic!("not handled") };
    assert_eq!(answer, "order IN_TRANSIT");

    // Data of another shape: the handler's error (release the claim), which quotes no value.
    let body = br#"{"event":"claim.decision","data":{"claim_id":"thirty-one"}}"#;
    let Err(DispatchError::Handler(error)) = router.dispatch(&verify("elmed", body)) else { panic!("no error") };
    assert!(error.to_string().starts_with("the claim.decision data does not have the documented shape"), "{error}");
    assert!(!error.to_string().contains("thirty-one"));

    // The typed data of another provider, or of another event type.
    let mut novamed = Router::<'_, (), Error>::new().provider(Provider::Novamed);
    let error = novamed.on_data(|_, _: ClaimDecisionData| Ok(())).err().unwrap();
    assert_eq!(error.code().as_str(), "invalid_option");
    assert!(
        error.to_string().contains(r#""claim.decision" is an event type of elmed; this router is for novamed"#),
        "{error}"
    );
    let error = ClaimDecisionData::from_event(&verify("elmed", &body_of("order.status_changed"))).unwrap_err();
    assert_eq!(
        error.to_string(),
        "ClaimDecisionData is the data of claim.decision; this event is order.status_changed"
    );
}

fn body_of(event_type: &str) -> Vec<u8> {
    format!(r#"{{"event":"{event_type}","data":{{}}}}"#).into_bytes()
}
