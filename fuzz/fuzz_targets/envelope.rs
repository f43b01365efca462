//! Envelope parsing, every preset, on arbitrary bodies (the parser alone, without the signature in front of it). An
//! accepted body must be a JSON object by serde_json's reading too.
#![no_main]

use hookseal::ErrorCode;
use hookseal_fuzz::presets;
use libfuzzer_sys::fuzz_target;

const NUMBER_MARKER: &[u8] = b"$serde_json::private::Number";

fuzz_target!(|body: &[u8]| {
    let mut accepted = false;
    for preset in presets() {
        match preset.verifier.fuzz_parse_envelope(body) {
            Ok(()) => accepted = true,
            Err(err) => assert_eq!(err.code(), ErrorCode::InvalidJson, "{err:?}"),
        }
    }
    // serde_json's arbitrary_precision reads an object whose key is this marker as a number (found by fuzzing: the
    // oracle's quirk, not hookseal's); the differential skips such bodies.
    if accepted && !body.windows(NUMBER_MARKER.len()).any(|w| w == NUMBER_MARKER) {
        let value = hookseal_fuzz::parse_json(body).unwrap_or_else(|e| {
            panic!("hookseal accepted what serde_json refuses ({e}): {:?}", String::from_utf8_lossy(body))
        });
        assert!(value.is_object());
    }
});
