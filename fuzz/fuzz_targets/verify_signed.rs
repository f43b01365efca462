//! Arbitrary bodies that the harness signs itself, so that the parser behind the signature is reached: for the
//! preset the first byte selects, a body signed with `sign` verifies, or is refused for what it says, never for how
//! it was signed; and `parse_for_host_json` (Node's path) answers the same, or with an event a JSON parser refuses.
#![no_main]

use hookseal::{sign_at, FieldCase, SignOptions};
use hookseal_fuzz::{check_event, check_refusal, presets, refused_for_its_body, NOW};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let all = presets();
    let preset = &all[usize::from(selector) % all.len()];
    let headers = sign_at(preset.provider, body, &SignOptions::new(preset.options.clone()), NOW)
        .unwrap_or_else(|e| panic!("{}: sign refused a preset's options: {e}", preset.provider));
    let strict = preset.verifier.verify_at(body, &headers, NOW);
    match &strict {
        Ok(event) => check_event(preset.provider, event),
        Err(err) => {
            check_refusal(err, body);
            let provider = preset.provider;
            assert!(refused_for_its_body(provider, err.code()), "{provider}: a signed body refused: {err:?}");
        }
    }
    // Node's path, `data`'s grammar left to JSON.parse (serde_json stands in): the same answer, or an event whose
    // text a strict parser refuses (the glue then calls `verify`, which names the error).
    let host = preset.verifier.authenticate(body, &headers, Some(NOW)).and_then(|a| a.parse_for_host_json());
    let text = |event: &hookseal::Event<'_>| event.to_json(FieldCase::Camel);
    match (&strict, &host) {
        (Ok(a), Ok(b)) => assert_eq!(text(a), text(b), "{:?}", String::from_utf8_lossy(body)),
        (Err(a), Err(b)) => assert_eq!((a.code(), a.message()), (b.code(), b.message())),
        (Ok(_), Err(b)) => panic!("the host path refused what verify accepts ({b:?}): {:?}", String::from_utf8_lossy(body)),
        (Err(a), Ok(b)) => {
            let marker = b"$serde_json::private::Number";
            if !body.windows(marker.len()).any(|w| w == marker) {
                assert!(
                    hookseal_fuzz::parse_json(text(b).as_bytes()).is_err(),
                    "the host path accepted what verify refuses ({a:?}), in JSON a parser takes: {:?}",
                    String::from_utf8_lossy(body)
                );
            }
        }
    }
});
