//! Behaviour of the Rust API beyond the shared vectors: secrets never shown, headers from many containers, the
//! clock, and the lazily hashed idempotency key.

use std::collections::HashMap;

use hookseal::{sign, ErrorCode, KeySource, OptionValue, Options, SignOptions, Verifier};

const SECRET: &str = "super-secret-value-1234";
const BODY: &[u8] = br#"{"event":"claim.decision","timestamp":"2026-03-29T14:00:00","data":{"claim_id":31}}"#;

#[test]
fn secrets_never_appear_in_debug_or_errors() {
    for provider in ["elmed", "baremeds", "novamed", "custom"] {
        let mut options = Options::new().secrets([SECRET, "another-secret-5678"]);
        if provider == "custom" {
            options = options.scheme(hookseal::Scheme::SharedKey).header("X-Token");
        }
        let verifier = Verifier::new(provider, &options).unwrap();
        let shown = format!("{verifier:?} {options:?}");
        assert!(!shown.contains(SECRET) && !shown.contains("another-secret"), "{shown}");
        let headers =
            [("X-ELMED-Signature", "sha256=00"), ("X-Webhook-Key", "super-secret-value-123"), ("x-api-key", "super")];
        let err = verifier.verify(BODY, &headers).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(SECRET), "{shown}");
    }
    let sw =
        Verifier::new("standard-webhooks", &Options::new().secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).unwrap();
    assert!(!format!("{sw:?}").contains("MfKQ9r8"));
    let mut options = Options::new();
    options.set("secret", OptionValue::Str(SECRET.into())).unwrap();
    let err = options.set("tolerance", OptionValue::Str(SECRET.into())).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidOption);
    assert!(!format!("{err} {:?}", OptionValue::Str(SECRET.into())).contains(SECRET));
}

#[test]
fn payload_debug_shows_only_sizes() {
    let options = Options::new().secret(SECRET);
    let headers = sign("elmed", BODY, &SignOptions::new(options.clone())).unwrap();
    let event = Verifier::new("elmed", &options).unwrap().verify(BODY, &headers).unwrap();
    let shown = format!("{event:?}");
    assert!(!shown.contains("claim_id"), "{shown}");
    assert!(shown.contains("claim.decision"));
}

#[test]
fn headers_from_any_container() {
    let options = Options::new().secret(SECRET);
    let verifier = Verifier::new("elmed", &options).unwrap();
    let signed = sign("elmed", BODY, &SignOptions::new(options)).unwrap();

    let map: HashMap<String, String> = signed.iter().cloned().collect();
    assert!(verifier.verify(BODY, map.iter()).is_ok());

    let borrowed: Vec<(&str, &str)> = signed.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert!(verifier.verify(BODY, &borrowed).is_ok());
    assert!(verifier.verify(BODY, borrowed.iter().map(|(k, v)| (*k, *v))).is_ok());

    let bytes: Vec<(Vec<u8>, Vec<u8>)> =
        signed.iter().map(|(k, v)| (k.to_ascii_uppercase().into_bytes(), format!("  {v} ").into_bytes())).collect();
    assert!(verifier.verify(BODY, &bytes).is_ok());

    let none: [(&str, &str); 0] = [];
    assert_eq!(verifier.verify(BODY, &none).unwrap_err().code(), ErrorCode::MissingHeader);
}

#[test]
fn the_system_clock_is_used_without_now() {
    let options = Options::new().secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    let verifier = Verifier::new("standard-webhooks", &options).unwrap();
    let fresh = sign("standard-webhooks", br#"{"type":"a"}"#, &SignOptions::new(options.clone())).unwrap();
    assert!(verifier.verify(br#"{"type":"a"}"#, &fresh).is_ok());

    let mut stale_options = SignOptions::new(options);
    stale_options.now = Some(1_614_265_330);
    let stale = sign("standard-webhooks", br#"{"type":"a"}"#, &stale_options).unwrap();
    let err = verifier.verify(br#"{"type":"a"}"#, &stale).unwrap_err();
    assert_eq!(err.code(), ErrorCode::TimestampOutOfTolerance);
    assert!(verifier.verify_at(br#"{"type":"a"}"#, &stale, 1_614_265_400).is_ok());
}

#[test]
fn body_digest_key_is_stable_and_lowercase_hex() {
    let options = Options::new().secret(SECRET);
    let headers = sign("elmed", BODY, &SignOptions::new(options.clone())).unwrap();
    let event = Verifier::new("elmed", &options).unwrap().verify(BODY, &headers).unwrap();
    assert_eq!(event.idempotency_key_source(), KeySource::BodySha256);
    let key = event.idempotency_key().to_owned();
    assert_eq!(key, event.clone().idempotency_key());
    assert_eq!(key.len(), 71);
    assert!(key.strip_prefix("sha256:").unwrap().bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
}

#[test]
fn standard_webhooks_sign_is_deterministic_and_matches_the_spec_vector() {
    let mut options = SignOptions::new(Options::new().secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    options.now = Some(1_614_265_330);
    options.webhook_id = Some("msg_p5jXN8AQM9LWM0D4loKWxJek".into());
    let headers = sign("standard-webhooks", br#"{"test": 2432232314}"#, &options).unwrap();
    assert!(headers.contains(&("webhook-signature".into(), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".into())));
    options.webhook_id = None;
    let a = sign("standard-webhooks", b"{}", &options).unwrap();
    assert_eq!(a, sign("standard-webhooks", b"{}", &options).unwrap());
}

#[test]
fn error_codes_are_stable() {
    for code in ErrorCode::ALL {
        assert_eq!(ErrorCode::from_code(code.as_str()), Some(code));
        assert_eq!(code.is_config(), (code as u32) > 100);
    }
    assert_eq!(ErrorCode::MissingHeader as u32, 1);
    assert_eq!(ErrorCode::TimestampOutOfTolerance as u32, 10);
    assert_eq!(ErrorCode::InvalidOption as u32, 104);
}

#[test]
fn verifier_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Verifier>();
}

#[test]
fn deep_and_wide_bodies_are_bounded() {
    let options = Options::new().secret(SECRET);
    let verifier = Verifier::new("elmed", &options).unwrap();
    let deep = format!(r#"{{"event":"a","data":{}{}}}"#, "[".repeat(100_000), "]".repeat(100_000));
    let headers = sign("elmed", deep.as_bytes(), &SignOptions::new(options.clone())).unwrap();
    let err = verifier.verify(deep.as_bytes(), &headers).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidJson);

    let mut wide = String::from(r#"{"event":"a""#);
    for i in 0..50_000 {
        wide.push_str(&format!(r#","k{i}":{i}"#));
    }
    wide.push_str(r#","k7":0}"#);
    let headers = sign("elmed", wide.as_bytes(), &SignOptions::new(options)).unwrap();
    let err = verifier.verify(wide.as_bytes(), &headers).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidJson, "{err}");
}
