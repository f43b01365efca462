//! Header parsing, every scheme: arbitrary headers (any bytes) with a fixed, valid body, for the preset the input's
//! first byte selects.
#![no_main]

use hookseal_fuzz::{check_event, check_refusal, Input, NOW};
use libfuzzer_sys::fuzz_target;

const BODY: &[u8] = br#"{"event":"order.status_changed","event_type":"order:shipped","type":"invoice.paid","event_id":"evt_1","timestamp":"2026-03-29T10:45:00","clinic_id":"550e8400-e29b-41d4-a716-446655440000","data":{"id":1}}"#;

fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::parse(data) else { return };
    match input.preset.verifier.verify_at(BODY, &input.headers, NOW) {
        Ok(event) => check_event(input.preset.provider, &event),
        Err(err) => check_refusal(&err, BODY),
    }
});
