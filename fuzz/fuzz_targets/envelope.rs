//! Envelope parsing, every preset, on arbitrary bodies (the parser alone, without the signature in front of it). An
//! accepted body must be a JSON object by serde_json's reading too.
#![no_main]

use hookseal::ErrorCode;
use hookseal_fuzz::presets;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let mut accepted = false;
    for preset in presets() {
        match preset.verifier.fuzz_parse_envelope(body) {
            Ok(()) => accepted = true,
            Err(err) => assert_eq!(err.code(), ErrorCode::InvalidJson, "{err:?}"),
        }
    }
    if accepted {
        let value = hookseal_fuzz::parse_json(body).unwrap_or_else(|e| {
            panic!("hookseal accepted what serde_json refuses ({e}): {:?}", String::from_utf8_lossy(body))
        });
        assert!(value.is_object());
    }
});
