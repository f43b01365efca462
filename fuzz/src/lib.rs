//! What the fuzz targets share: the presets they verify with (the secrets of tests/vectors/, so that the seed corpus
//! made from the vectors starts from deliveries that verify), the input format, and the invariants every outcome
//! must hold.
//!
//! Input format (`fuzz/seed.py` writes the vectors in it): one selector byte, then header lines `Name: value\n` up
//! to an empty line, then the body. Header bytes are passed as they are (not necessarily UTF-8).

use std::sync::OnceLock;

use hookseal::{ErrorCode, FieldCase, Options, Verifier, VerifyError};

pub const ELMED_SECRET: &str = "elmed_whsk_4f9c2a7e1b6d3c8a5e0f";
pub const ELMED_OLD_SECRET: &str = "elmed_whsk_old_0a1b2c3d4e5f6a7b";
pub const BAREMEDS_KEY: &str = "bm_live_9d2f7c41e8a35b06";
pub const NOVAMED_KEY: &str = "nm_key_2f8a61c0d94b37e5";
pub const NOVAMED_CLINIC: &str = "550e8400-e29b-41d4-a716-446655440000";
pub const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const CUSTOM_SECRET: &str = "custom-signing-secret-7781";

/// Every secret a preset holds: none may ever appear in an error message.
pub const SECRETS: [&str; 7] = [
    ELMED_SECRET,
    ELMED_OLD_SECRET,
    BAREMEDS_KEY,
    NOVAMED_KEY,
    SW_SECRET,
    CUSTOM_SECRET,
    "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
];

/// A preset: its name, its options, and a time to verify at.
pub struct Preset {
    pub provider: &'static str,
    pub options: Options,
    pub verifier: Verifier,
}

fn preset(provider: &'static str, options: Options) -> Preset {
    let verifier = Verifier::new(provider, &options).unwrap_or_else(|e| panic!("{provider}: {e}"));
    Preset { provider, options, verifier }
}

/// The presets: every provider, each scheme of `custom`, rotation and a replay window.
pub fn presets() -> &'static [Preset] {
    static PRESETS: OnceLock<Vec<Preset>> = OnceLock::new();
    PRESETS.get_or_init(|| {
        vec![
            preset("elmed", Options::new().secret(ELMED_SECRET)),
            preset("baremeds", Options::new().secret(BAREMEDS_KEY)),
            preset("novamed", Options::new().secret(NOVAMED_KEY).clinic_id(NOVAMED_CLINIC)),
            preset("standard-webhooks", Options::new().secret(SW_SECRET)),
            preset(
                "custom",
                Options::new()
                    .secret(CUSTOM_SECRET)
                    .scheme(hookseal::Scheme::HmacSha256)
                    .header("X-Signature")
                    .prefix("v0=")
                    .encoding(hookseal::Encoding::Base64),
            ),
            preset("custom", Options::new().secret(CUSTOM_SECRET).scheme(hookseal::Scheme::SharedKey).header("X-Key")),
            preset("custom", Options::new().secret(SW_SECRET).scheme(hookseal::Scheme::StandardWebhooks)),
            preset("elmed", Options::new().secrets([ELMED_SECRET, ELMED_OLD_SECRET]).tolerance(300)),
        ]
    })
}

/// The time deliveries are verified at (the vectors' ELMED and Standard Webhooks "now").
pub const NOW: i64 = 1_774_781_100;

/// One input: the preset it selects, its headers and its body.
pub struct Input<'a> {
    pub preset: &'static Preset,
    pub headers: Vec<(&'a [u8], &'a [u8])>,
    pub body: &'a [u8],
}

impl<'a> Input<'a> {
    pub fn parse(data: &'a [u8]) -> Option<Self> {
        let (&selector, rest) = data.split_first()?;
        let all = presets();
        let preset = &all[usize::from(selector) % all.len()];
        let mut headers = Vec::new();
        let mut rest = rest;
        loop {
            let (line, after) = match rest.iter().position(|&b| b == b'\n') {
                Some(end) => (&rest[..end], &rest[end + 1..]),
                None => (rest, &rest[rest.len()..]),
            };
            rest = after;
            if line.is_empty() {
                break;
            }
            let colon = line.iter().position(|&b| b == b':').unwrap_or(line.len());
            let value = line.get(colon + 1..).unwrap_or_default();
            headers.push((&line[..colon], value.strip_prefix(b" ").unwrap_or(value)));
            if rest.is_empty() {
                break;
            }
        }
        Some(Self { preset, headers, body: rest })
    }
}

/// What every refusal must be: a verification code (never a configuration one) whose message names no secret. A
/// message may quote the body (a duplicated key's name), so a secret the body itself contains is the sender's text,
/// not a leak (fuzzing found that case).
pub fn check_refusal(err: &VerifyError, body: &[u8]) {
    assert!(!err.code().is_config(), "a verification returned a configuration code: {err:?}");
    for secret in SECRETS {
        let in_body = body.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(in_body || !err.message().contains(secret), "a message shows a secret: {}", err.message());
    }
}

/// What every verified event must be: its JSON (as bindings hand it over) is valid JSON with the same fields.
pub fn check_event(provider: &str, event: &hookseal::Event<'_>) {
    for case in [FieldCase::Snake, FieldCase::Camel] {
        let json = event.to_json(case);
        let value = parse_json(json.as_bytes()).unwrap_or_else(|e| panic!("to_json is not JSON ({e}): {json}"));
        assert_eq!(value["provider"], provider);
        let key = if case == FieldCase::Snake { "idempotency_key" } else { "idempotencyKey" };
        assert_eq!(value[key].as_str(), Some(event.idempotency_key()));
    }
    assert!(!event.idempotency_key().is_empty());
    // `data` is the body's own JSON text: valid JSON on its own.
    parse_json(event.data().get().as_bytes()).expect("data is not JSON");
}

/// serde_json's reading of `text`, without its own nesting limit (hookseal's is the one under test).
pub fn parse_json(text: &[u8]) -> Result<serde_json::Value, serde_json::Error> {
    use serde::Deserialize;
    let mut reader = serde_json::Deserializer::from_slice(text);
    reader.disable_recursion_limit();
    let value = serde_json::Value::deserialize(&mut reader)?;
    reader.end()?;
    Ok(value)
}

/// The codes a delivery signed by `sign` may still be refused with: what the body says, not how it was signed. Only
/// Baremeds reads a key from the body (`metadata.webhook_key`), so only there can a signed body be a key mismatch.
pub fn refused_for_its_body(provider: &str, code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::InvalidJson
            | ErrorCode::MissingField
            | ErrorCode::ClinicMismatch
            | ErrorCode::TimestampOutOfTolerance
    ) || (provider == "baremeds" && code == ErrorCode::KeyMismatch)
}
