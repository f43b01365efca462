//! Arbitrary bodies that the harness signs itself, so that the parser behind the signature is reached: for the
//! preset the first byte selects, a body signed with `sign` verifies, or is refused for what it says, never for how
//! it was signed.
#![no_main]

use hookseal::{sign_at, SignOptions};
use hookseal_fuzz::{check_event, check_refusal, presets, refused_for_its_body, NOW};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let all = presets();
    let preset = &all[usize::from(selector) % all.len()];
    let headers = sign_at(preset.provider, body, &SignOptions::new(preset.options.clone()), NOW)
        .unwrap_or_else(|e| panic!("{}: sign refused a preset's options: {e}", preset.provider));
    match preset.verifier.verify_at(body, &headers, NOW) {
        Ok(event) => check_event(preset.provider, &event),
        Err(err) => {
            check_refusal(&err, body);
            let provider = preset.provider;
            assert!(refused_for_its_body(provider, err.code()), "{provider}: a signed body refused: {err:?}");
        }
    }
});
