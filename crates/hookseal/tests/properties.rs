//! Property tests: sign → verify round-trips for every scheme, and any one-bit change of the body or of the
//! signature is refused.

use hookseal::{sign, Encoding, ErrorCode, Options, Scheme, SignOptions, Verifier};
use proptest::prelude::*;

const NOW: i64 = 1_800_000_000;

/// Every scheme, through a preset and through `custom`.
fn configurations() -> Vec<(&'static str, Options)> {
    vec![
        ("elmed", Options::new().secret("elmed secret")),
        ("baremeds", Options::new().secret("baremeds-key")),
        ("novamed", Options::new().secret("novamed-key")),
        ("standard-webhooks", Options::new().secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")),
        ("custom", Options::new().scheme(Scheme::HmacSha256).header("X-Sig").prefix("v1=").encoding(Encoding::Base64)),
        ("custom", Options::new().scheme(Scheme::HmacSha256).header("X-Sig")),
        ("custom", Options::new().scheme(Scheme::SharedKey).header("X-Token")),
        ("custom", Options::new().scheme(Scheme::StandardWebhooks)),
    ]
}

fn with_secret(provider: &str, options: Options, secret: &str) -> Options {
    match provider {
        "custom" if format!("{options:?}").contains("StandardWebhooks") => {
            options.secret("whsec_c2VjcmV0LWtleS1mb3ItY3VzdG9t")
        }
        "custom" => options.secret(secret),
        _ => options,
    }
}

fn envelope(event: &str, payload: &str) -> Vec<u8> {
    serde_json::json!({
        "event": event, "event_type": event, "type": event, "event_id": "evt_1",
        "timestamp": "2027-01-15T08:00:00Z", "data": {"payload": payload}
    })
    .to_string()
    .into_bytes()
}

fn signed(provider: &str, options: &Options, body: &[u8]) -> Vec<(String, String)> {
    let mut sign_options = SignOptions::new(options.clone());
    if provider == "standard-webhooks" || format!("{options:?}").contains("StandardWebhooks") {
        sign_options.now = Some(NOW);
    }
    sign(provider, body, &sign_options).expect("sign")
}

fn verify(provider: &str, options: &Options, body: &[u8], headers: &[(String, String)]) -> Result<(), ErrorCode> {
    let verifier = Verifier::new(provider, options).expect("verifier");
    verifier.verify_at(body, headers, NOW).map(drop).map_err(|e| e.code())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sign_then_verify_round_trips(event in "[a-z][a-z._:]{0,30}", payload in "\\PC{0,200}", secret in "[!-~]{1,40}") {
        for (provider, options) in configurations() {
            let options = with_secret(provider, options, &secret);
            let body = envelope(&event, &payload);
            let headers = signed(provider, &options, &body);
            prop_assert_eq!(verify(provider, &options, &body, &headers), Ok(()), "{}", provider);
        }
    }

    #[test]
    fn any_body_bit_flip_is_refused(payload in "\\PC{0,200}", bit in any::<prop::sample::Index>()) {
        for (provider, options) in configurations() {
            let options = with_secret(provider, options, "s3cret");
            let body = envelope("order.created", &payload);
            let headers = signed(provider, &options, &body);
            let mut tampered = body.clone();
            let i = bit.index(tampered.len() * 8);
            tampered[i / 8] ^= 1 << (i % 8);
            let result = verify(provider, &options, &tampered, &headers);
            if matches!(provider, "baremeds" | "novamed") || format!("{options:?}").contains("SharedKey") {
                // A shared key does not cover the body: the key still matches and the body is judged as JSON.
                prop_assert!(result.is_ok() || result == Err(ErrorCode::InvalidJson) || result == Err(ErrorCode::MissingField));
            } else {
                prop_assert_eq!(result, Err(ErrorCode::SignatureMismatch), "{}", provider);
            }
        }
    }

    #[test]
    fn any_signature_bit_flip_is_refused(bit in 0usize..256) {
        for (provider, options) in configurations() {
            let options = with_secret(provider, options, "s3cret");
            let body = envelope("order.created", "x");
            let headers = signed(provider, &options, &body);
            let auth = headers
                .iter()
                .position(|(k, _)| AUTH_HEADERS.contains(&k.to_ascii_lowercase().as_str()))
                .expect("auth header");
            let mut tampered = headers.clone();
            tampered[auth].1 = flip_signature_bit(&tampered[auth].1, bit);
            let result = verify(provider, &options, &body, &tampered);
            prop_assert!(
                matches!(result, Err(ErrorCode::SignatureMismatch | ErrorCode::KeyMismatch)),
                "{}: {:?}", provider, result
            );
        }
    }
}

const AUTH_HEADERS: [&str; 6] =
    ["x-elmed-signature", "x-webhook-key", "x-api-key", "x-sig", "x-token", "webhook-signature"];

/// Flips one bit of the signature itself (the decoded MAC), or of a shared key, keeping the header's encoding:
/// flipping a bit of the text could only change a hex digit's case, which hookseal accepts by contract.
fn flip_signature_bit(value: &str, bit: usize) -> String {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    let flip = |bytes: &mut Vec<u8>| {
        let i = bit % (bytes.len() * 8);
        bytes[i / 8] ^= 1 << (i % 8);
    };
    for prefix in ["sha256=", "v1=", "v1,"] {
        if let Some(sig) = value.strip_prefix(prefix) {
            return if let Ok(mut mac) = hex::decode(sig) {
                flip(&mut mac);
                format!("{prefix}{}", hex::encode(mac))
            } else {
                let mut mac = STANDARD.decode(sig).expect("base64 signature");
                flip(&mut mac);
                format!("{prefix}{}", STANDARD.encode(mac))
            };
        }
    }
    if let Ok(mut mac) = hex::decode(value).map_err(|_| ()).and_then(|m| if m.len() == 32 { Ok(m) } else { Err(()) }) {
        flip(&mut mac);
        return hex::encode(mac);
    }
    let mut key = value.as_bytes().to_vec();
    let i = bit % (key.len() * 7); // stay within ASCII so the key stays a printable header value
    key[i / 7] ^= 1 << (i % 7);
    String::from_utf8_lossy(&key).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Hostile input never panics (debug builds also trap arithmetic overflow): any body, any header values, any
    /// clock, through every scheme, gives an event or a contract error.
    #[test]
    fn arbitrary_input_never_panics(
        body in prop::collection::vec(any::<u8>(), 0..512),
        json_body in "\\{(\"[a-z_]{1,12}\": ?(\"[^\"\\\\]{0,20}\"|-?[0-9]{1,20}|null|true|\\{\\}|\\[\\]), ?){0,6}\"event\": \"x\"\\}",
        values in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..120), 6),
        now in any::<i64>(),
    ) {
        let names = ["X-ELMED-Signature", "X-Webhook-Key", "x-api-key", "webhook-signature", "webhook-timestamp", "webhook-id"];
        let headers: Vec<(&str, Vec<u8>)> = names.iter().copied().zip(values).collect();
        for (provider, options) in configurations() {
            let options = with_secret(provider, options, "s3cret");
            let verifier = Verifier::new(provider, &options).expect("verifier");
            for candidate in [&body[..], json_body.as_bytes()] {
                let _ = verifier.verify_at(candidate, headers.iter().map(|(k, v)| (k, v)), now);
                // Signed with the right key, the parser behind the signature is reached too.
                let signed = signed(provider, &options, candidate);
                let _ = verifier.verify_at(candidate, &signed, now);
            }
        }
    }
}
