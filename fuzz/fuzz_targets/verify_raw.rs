//! Full verification of arbitrary bytes: a preset, headers and a body, all from the input.
#![no_main]

use hookseal_fuzz::{check_event, check_refusal, Input, NOW};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::parse(data) else { return };
    match input.preset.verifier.verify_at(input.body, &input.headers, NOW) {
        Ok(event) => check_event(input.preset.provider, &event),
        Err(err) => check_refusal(&err, input.body),
    }
});
