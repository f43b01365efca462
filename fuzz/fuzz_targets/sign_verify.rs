//! sign → verify, differential, for every scheme with fuzzed configuration (secret, header, prefix, encoding):
//! `sign` and `Verifier::new` accept the same options, and what `sign` produced verifies unless the body itself is
//! refused.
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hookseal::{sign_at, Options, SignOptions, Verifier};
use hookseal_fuzz::{check_event, check_refusal, refused_for_its_body, NOW};
use libfuzzer_sys::fuzz_target;

const SCHEMES: [&str; 3] = ["hmac-sha256", "shared-key", "standard-webhooks"];
const HEADERS: [&str; 4] = ["X-Signature", "x-hub-signature-256", "Authorization", "bad header"];
const PREFIXES: [&str; 4] = ["", "sha256=", "v0=", "a b"];

fuzz_target!(|data: &[u8]| {
    let [selector, secret_len, rest @ ..] = data else { return };
    let (secret, body) = rest.split_at(usize::from(*secret_len).min(rest.len()));
    let mut options = Options::new();
    let scheme = SCHEMES[usize::from(selector % 3)];
    let secret = if scheme == "standard-webhooks" && selector & 0x80 != 0 {
        // Mostly a well-formed whsec_ secret, so that verification is reached.
        format!("whsec_{}", STANDARD.encode(secret))
    } else {
        String::from_utf8_lossy(secret).into_owned()
    };
    let set = |options: &mut Options, name: &str, value: &str| {
        let _ = options.set(name, hookseal::OptionValue::Str(value.to_owned()));
    };
    set(&mut options, "secret", &secret);
    set(&mut options, "scheme", scheme);
    if scheme != "standard-webhooks" {
        set(&mut options, "header", HEADERS[usize::from((selector >> 2) % 4)]);
    }
    if scheme == "hmac-sha256" {
        set(&mut options, "prefix", PREFIXES[usize::from((selector >> 4) % 4)]);
        set(&mut options, "encoding", if selector & 0x40 != 0 { "base64" } else { "hex" });
    }
    let signed = sign_at("custom", body, &SignOptions::new(options.clone()), NOW);
    let verifier = Verifier::new("custom", &options);
    match (signed, verifier) {
        (Ok(headers), Ok(verifier)) => match verifier.verify_at(body, &headers, NOW) {
            Ok(event) => check_event("custom", &event),
            Err(err) => {
                check_refusal(&err, body);
                assert!(refused_for_its_body("custom", err.code()), "{scheme}: a signed body refused: {err:?}");
            }
        },
        (Err(a), Err(b)) => assert_eq!(a.code(), b.code(), "sign and Verifier::new refuse differently"),
        (signed, verifier) => panic!(
            "sign and Verifier::new disagree on the options: sign {:?}, verifier {:?}",
            signed.err(),
            verifier.err()
        ),
    }
});
