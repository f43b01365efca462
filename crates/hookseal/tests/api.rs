//! Behaviour of the Rust API beyond the shared vectors: secrets never shown, headers from many containers, the
//! clock, and the lazily hashed idempotency key.

use std::collections::HashMap;

use hookseal::{sign, sign_at, ErrorCode, KeySource, OptionValue, Options, SignOptions, Verifier};

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
fn a_delivery_outside_the_window_is_called_old_or_ahead() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let verifier = Verifier::new("standard-webhooks", &Options::new().secret(secret)).unwrap();
    let headers =
        sign_at("standard-webhooks", b"{}", &SignOptions::new(Options::new().secret(secret)), 1_000_000).unwrap();
    let old = verifier.verify_at(b"{}", &headers, 1_003_600).unwrap_err();
    assert_eq!(old.code(), ErrorCode::TimestampOutOfTolerance);
    assert_eq!(old.to_string(), "timestamp_out_of_tolerance: the delivery is 3600 s old, outside the 300 s tolerance");
    let ahead = verifier.verify_at(b"{}", &headers, 996_400).unwrap_err();
    assert_eq!(
        ahead.to_string(),
        "timestamp_out_of_tolerance: the delivery is 3600 s ahead of this clock, outside the 300 s tolerance"
    );
}

#[test]
fn sign_at_supplies_the_clock_only_where_none_is_given() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let mut options = SignOptions::new(Options::new().secret(secret));
    let at = sign_at("standard-webhooks", b"{}", &options, 1_614_265_330).unwrap();
    assert!(at.contains(&("webhook-timestamp".into(), "1614265330".into())));
    options.now = Some(1_700_000_000);
    let given = sign_at("standard-webhooks", b"{}", &options, 1_614_265_330).unwrap();
    assert!(given.contains(&("webhook-timestamp".into(), "1700000000".into())));
    assert_eq!(given, sign("standard-webhooks", b"{}", &options).unwrap());
    // Schemes without a timestamp ignore the clock.
    let elmed = SignOptions::new(Options::new().secret("whsk_elmed_endpoint_secret"));
    assert_eq!(sign_at("elmed", b"{}", &elmed, 0).unwrap(), sign("elmed", b"{}", &elmed).unwrap());
}

#[test]
fn error_codes_are_stable() {
    for code in ErrorCode::ALL {
        assert_eq!(ErrorCode::from_code(code.as_str()), Some(code));
        assert_eq!(code.is_config(), (code as u32) > 100);
    }
    assert_eq!(ErrorCode::MissingHeader as u32, 1);
    assert_eq!(ErrorCode::TimestampOutOfTolerance as u32, 10);
    assert_eq!(ErrorCode::StoreUnavailable as u32, 11);
    assert_eq!(ErrorCode::InvalidOption as u32, 104);
}

#[test]
fn http_statuses_follow_the_kind_of_failure() {
    let status = |code: &str| ErrorCode::from_code(code).map(ErrorCode::http_status);
    for code in ["missing_header", "malformed_header", "signature_mismatch", "key_mismatch"] {
        assert_eq!(status(code), Some(401), "{code}");
    }
    assert_eq!(status("payload_too_large"), Some(413));
    assert_eq!(status("store_unavailable"), Some(503));
    for code in ["invalid_json", "missing_field", "event_mismatch", "clinic_mismatch", "timestamp_out_of_tolerance"] {
        assert_eq!(status(code), Some(400), "{code}");
    }
    for code in ["invalid_secret", "insecure_default_key", "unknown_provider", "invalid_option"] {
        assert_eq!(status(code), Some(500), "{code}");
    }
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

#[test]
fn an_event_borrows_the_body_not_the_headers() {
    // Headers built and dropped inside a helper: the event only needs the body to live on.
    fn verify_here<'a>(verifier: &Verifier, body: &'a [u8], signed: &[(String, String)]) -> hookseal::Event<'a> {
        let local: Vec<(String, String)> = signed.to_vec();
        verifier.verify(body, &local).unwrap()
    }
    let options = Options::new().secret(SECRET);
    let verifier = Verifier::new("elmed", &options).unwrap();
    let signed = sign("elmed", BODY, &SignOptions::new(options)).unwrap();
    let event = verify_here(&verifier, BODY, &signed);
    assert_eq!(event.event_type(), Some("claim.decision"));

    let sw_options = Options::new().secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    let sw = Verifier::new("standard-webhooks", &sw_options).unwrap();
    let sw_signed = sign("standard-webhooks", BODY, &SignOptions::new(sw_options)).unwrap();
    let event = verify_here(&sw, BODY, &sw_signed);
    assert!(event.idempotency_key().starts_with("msg_"));
}

#[test]
fn baremeds_webhook_key_is_redacted_wherever_the_event_shows_it() {
    let key = "bm_live_S3cr3t";
    let options = Options::new().secret(key);
    let verifier = Verifier::new("baremeds", &options).unwrap();
    let body = format!(r#"{{"event":"order_changed","metadata":{{"request_id":"r1","webhook_key":"{key}"}}}}"#);
    let headers = [("X-Webhook-Key", key)];
    let event = verifier.verify(body.as_bytes(), &headers).unwrap();
    let metadata = event.metadata().unwrap().get();
    assert_eq!(metadata, r#"{"request_id":"r1","webhook_key":"[redacted]"}"#);
    let data = event.data().get(); // no `data` field: the whole body, redacted too
    assert_eq!(data, r#"{"event":"order_changed","metadata":{"request_id":"r1","webhook_key":"[redacted]"}}"#);
    assert!(!format!("{event:?}").contains(key));
}

#[test]
fn sign_refuses_what_verify_would_refuse() {
    let mut elmed = SignOptions::new(Options::new().secret(SECRET));
    elmed.now = Some(5);
    assert_eq!(sign("elmed", BODY, &elmed).unwrap_err().code(), ErrorCode::InvalidOption);
    let mut sw = SignOptions::new(Options::new().secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    sw.now = Some(-5);
    assert_eq!(sign("standard-webhooks", BODY, &sw).unwrap_err().code(), ErrorCode::InvalidOption);
    sw.now = Some(5);
    sw.webhook_id = Some(" msg 1 ".into());
    assert_eq!(sign("standard-webhooks", BODY, &sw).unwrap_err().code(), ErrorCode::InvalidOption);
    // The builder goes through the same checks as Options::set.
    let zero = Verifier::new("elmed", &Options::new().secret(SECRET).max_body_bytes(0)).unwrap_err();
    assert_eq!(zero.code(), ErrorCode::InvalidOption);
    let custom = Options::new().secret(SECRET).scheme(hookseal::Scheme::HmacSha256).header("X-Sig: abc");
    assert_eq!(Verifier::new("custom", &custom).unwrap_err().code(), ErrorCode::InvalidOption);
}

#[test]
fn shared_keys_are_trimmed_like_header_values() {
    let verifier = Verifier::new("novamed", &Options::new().secret(" k3y\t")).unwrap();
    let body = br#"{"event_type":"order:created","data":{}}"#;
    assert!(verifier.verify(body, &[("x-api-key", "k3y")]).is_ok());
    assert!(verifier.verify(body, &[("x-api-key", " k3y ")]).is_ok());
    let nbsp = Verifier::new("novamed", &Options::new().secret("\u{a0}k3y")).unwrap();
    assert!(nbsp.verify(body, &[("x-api-key", "\u{a0}k3y")]).is_ok());
    assert_eq!(nbsp.verify(body, &[("x-api-key", "k3y")]).unwrap_err().code(), ErrorCode::KeyMismatch);
}

#[test]
fn to_json_escapes_what_json_strings_need() {
    let body = br#"{"event":"a\"b\\c\u0001\n\u2028\u00e9","event_id":"id\"1","data":{"k":"\"v\""}}"#;
    let options = Options::new().secret("s").scheme(hookseal::Scheme::SharedKey).header("X-Key");
    let verifier = Verifier::new("custom", &options).unwrap();
    let event = verifier.verify(body, &[("X-Key", "s")]).unwrap();
    for case in [hookseal::FieldCase::Snake, hookseal::FieldCase::Camel] {
        let json: serde_json::Value = serde_json::from_str(&event.to_json(case)).unwrap();
        let type_field = if case == hookseal::FieldCase::Snake { "event_type" } else { "eventType" };
        assert_eq!(json[type_field], "a\"b\\c\u{1}\n\u{2028}\u{e9}");
        assert_eq!(json["data"]["k"], "\"v\"");
    }
}

#[test]
fn header_bytes_that_are_not_text_get_contract_codes() {
    let body = br#"{"event":"order.status_changed","data":{}}"#;
    let elmed = Verifier::new("elmed", &Options::new().secret("s")).unwrap();
    let novamed = Verifier::new("novamed", &Options::new().secret("k")).unwrap();
    let sw =
        Verifier::new("standard-webhooks", &Options::new().secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).unwrap();
    let code = |v: &Verifier, headers: &[(&[u8], &[u8])]| v.verify_at(body, headers, 1_700_000_000).unwrap_err().code();
    let bad: &[u8] = b"sha256=\xff\xfe\x00\x01";
    assert_eq!(code(&elmed, &[(b"X-ELMED-Signature", bad)]), ErrorCode::MalformedHeader);
    assert_eq!(code(&elmed, &[(b"X-ELMED-Signature\xff", bad)]), ErrorCode::MissingHeader);
    assert_eq!(code(&novamed, &[(b"x-api-key", b"k\x00")]), ErrorCode::KeyMismatch);
    assert_eq!(code(&novamed, &[(b"x-api-key", b"\xc3\x28")]), ErrorCode::KeyMismatch);
    let sw_headers: [(&[u8], &[u8]); 3] =
        [(b"webhook-id", b"msg_\xff"), (b"webhook-timestamp", b"1700000000"), (b"webhook-signature", b"v1,AAAA")];
    assert_eq!(code(&sw, &sw_headers), ErrorCode::MalformedHeader);
    // 100,000 headers the verifier does not read are passed over, once each.
    let noise: Vec<(String, String)> = (0..100_000).map(|i| (format!("x-noise-{i}"), "v".into())).collect();
    assert_eq!(elmed.verify_at(body, &noise, 0).unwrap_err().code(), ErrorCode::MissingHeader);
}

#[test]
fn one_call_verify_keeps_at_most_32_verifiers_and_no_configuration_error() {
    // The only test here that uses hookseal::verify: the cache is the process's.
    let options = Options::new().secret(SECRET);
    let headers = sign("elmed", BODY, &SignOptions::new(options.clone())).unwrap();
    for _ in 0..1000 {
        let event = hookseal::verify("elmed", BODY, &headers, &options).unwrap();
        assert_eq!(event.event_type(), Some("claim.decision"));
    }
    assert_eq!(hookseal::cached_verifiers(), 1, "a loop reuses one verifier");
    let wrong = hookseal::verify("elmed", BODY, &headers, &Options::new().secret("another")).unwrap_err();
    assert_eq!(wrong.code(), ErrorCode::SignatureMismatch);
    assert!(matches!(wrong, hookseal::Error::Verify(_)));
    let config = hookseal::verify("elmd", BODY, &headers, &options).unwrap_err();
    assert_eq!(config.code(), ErrorCode::UnknownProvider);
    assert!(!format!("{config:?} {config}").contains(SECRET));
    assert_eq!(hookseal::cached_verifiers(), 2, "a configuration error is not kept");
    let numbered = |i: usize| Options::new().secret(format!("{SECRET}-{i}").as_str());
    let use_numbered = |i: usize| {
        let options = numbered(i);
        let headers = sign("elmed", BODY, &SignOptions::new(options.clone())).unwrap();
        hookseal::verify_at("elmed", BODY, &headers, &options, 0).unwrap();
    };
    for i in 0..40 {
        use_numbered(i);
    }
    assert_eq!(hookseal::cached_verifiers(), hookseal::CACHED_VERIFIERS);
    assert!(!hookseal::is_cached("elmed", &options), "the first options were the least recently used");
    assert!(!hookseal::is_cached("elmed", &numbered(7)) && hookseal::is_cached("elmed", &numbered(8)));
    use_numbered(8); // now the most recently used: the next new one evicts 9, not 8
    use_numbered(40);
    assert!(hookseal::is_cached("elmed", &numbered(8)) && !hookseal::is_cached("elmed", &numbered(9)));
    assert_eq!(hookseal::cached_verifiers(), hookseal::CACHED_VERIFIERS);
}

#[test]
fn to_json_deferring_digest_leaves_out_only_a_digest_key_not_yet_computed() {
    let body = br#"{"event":"prescription.issued","timestamp":"2026-03-29T10:45:00","data":{"id":7}}"#;
    let options = Options::new().secret(SECRET);
    let headers = sign("elmed", body, &SignOptions::new(options.clone())).unwrap();
    let event = Verifier::new("elmed", &options).unwrap().verify(body, &headers).unwrap();
    let deferred: serde_json::Value =
        serde_json::from_str(&event.to_json_deferring_digest(hookseal::FieldCase::Camel)).unwrap();
    assert_eq!(deferred["idempotencyKey"], serde_json::Value::Null);
    assert_eq!(deferred["idempotencyKeySource"], "body_sha256");
    // The key, computed later from the same bytes, is the event's own.
    assert_eq!(hookseal::body_digest_key(body), event.idempotency_key());
    let mut whole: serde_json::Value = serde_json::from_str(&event.to_json(hookseal::FieldCase::Camel)).unwrap();
    whole["idempotencyKey"] = serde_json::Value::Null;
    assert_eq!(deferred, whole, "only the key differs");
    // Once computed, the key is written.
    let again: serde_json::Value =
        serde_json::from_str(&event.to_json_deferring_digest(hookseal::FieldCase::Camel)).unwrap();
    assert_eq!(again["idempotencyKey"], event.idempotency_key());
    // A key that is not the body's digest is always written.
    let options = Options::new().secret("s").scheme(hookseal::Scheme::SharedKey).header("X-Key");
    let custom = Verifier::new("custom", &options).unwrap();
    let with_id = br#"{"event":"x","id":"evt_1","data":{}}"#;
    let event = custom.verify(with_id, &[("X-Key", "s")]).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&event.to_json_deferring_digest(hookseal::FieldCase::Snake)).unwrap();
    assert_eq!(json["idempotency_key"], "evt_1");
}
