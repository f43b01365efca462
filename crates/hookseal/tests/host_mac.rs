//! A host that computes the MACs itself (the WASM build's `verifyAsync`, with WebCrypto): `Verifier::with_mac_keys`,
//! `mac_message_prefix` and `verify_with_tags` must give exactly what `verify` gives, on every shared vector, and
//! refuse every tag but the right one. `authenticate` then `parse` (the halves Python's binding calls) must give it too,
//! and `parse_for_host_json` (Node's, and after `authenticate_with_tags` the WebAssembly build's `verifyAsync`) the
//! same or an event text a strict JSON parser refuses.

mod support;

use hmac::{Hmac, KeyInit, Mac};
use hookseal::{Event, FieldCase, Options, Verifier, VerifyError};
use serde_json::Value;
use sha2::{Digest, Sha256};
use support::vectors::{load_all, option_value, Case};

type HmacSha256 = Hmac<Sha256>;

fn options(case: &Case) -> Result<Options, String> {
    let mut options = Options::new();
    for (name, value) in &case.options {
        options.set(name, option_value(value)).map_err(|e| e.code().as_str().to_owned())?;
    }
    Ok(options)
}

/// The secrets a case configures, to look for in every output.
fn secrets(case: &Case) -> Vec<String> {
    let mut out = Vec::new();
    for name in ["secret", "secrets"] {
        match case.options.get(name) {
            Some(Value::String(s)) => out.push(s.clone()),
            Some(Value::Array(items)) => out.extend(items.iter().filter_map(|i| i.as_str().map(str::to_owned))),
            _ => {}
        }
    }
    // Too short to be looked for without matching ordinary text (the vectors' "k", "xxx"...).
    out.retain(|s| s.len() >= 6);
    out
}

fn tag(key: &[u8], prefix: &[u8], body: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("any key length");
    mac.update(prefix);
    mac.update(body);
    mac.finalize().into_bytes().into()
}

type Outcome = Result<String, (String, String)>;

fn outcome(result: Result<Event<'_>, VerifyError>) -> Outcome {
    result.map(|e| e.to_json(FieldCase::Snake)).map_err(|e| (e.code().as_str().to_owned(), e.message().to_owned()))
}

fn no_secret_in(text: &str, secrets: &[String], what: &str) -> Result<(), String> {
    match secrets.iter().find(|s| text.contains(s.as_str())) {
        Some(_) => Err(format!("{what} shows a secret")),
        None => Ok(()),
    }
}

fn run(case: &Case) -> Result<usize, String> {
    let (verifier, keys) = match (options(case), Verifier::new(&case.provider, &options(case).unwrap_or_default())) {
        (Err(code), _) => return if case.expect_config_error(&code) { Ok(0) } else { Err(code) },
        (Ok(options), plain) => match (Verifier::with_mac_keys(&case.provider, &options), plain) {
            (Ok(pair), Ok(_)) => pair,
            (Err(a), Err(b)) if a.code() == b.code() && a.message() == b.message() => return Ok(0),
            (a, b) => return Err(format!("with_mac_keys and new disagree: {:?} / {:?}", a.map(|_| ()), b.map(|_| ()))),
        },
    };
    let secrets = secrets(case);
    no_secret_in(&format!("{verifier:?} {keys:?}"), &secrets, "Debug of the verifier or its keys")?;
    let body = case.body();
    let headers = &case.headers;
    let expected = outcome(verifier.verify_inner_for_test(&body, headers, case.now));
    halves_give_what_verify_gives(&verifier, &body, headers, case.now, &expected)?;
    let digest: [u8; 32] = Sha256::digest(&body).into();
    let with = |tags: &[[u8; 32]], sha: Option<&[u8; 32]>| {
        outcome(verifier.verify_with_tags(&body, headers, case.now, tags, sha))
    };

    let prefix = match verifier.mac_message_prefix(headers) {
        Err(e) => {
            // What verify says before hashing (unless the body is over the limit, which verify says first).
            if expected.as_ref().err().map(|(code, _)| code.as_str()) != Some(e.code().as_str())
                && expected.as_ref().err().map(|(code, _)| code.as_str()) != Some("payload_too_large")
            {
                return Err(format!("mac_message_prefix: {}, verify: {expected:?}", e.code().as_str()));
            }
            if with(&[], None) != expected {
                return Err("verify_with_tags differs where mac_message_prefix failed".into());
            }
            return Ok(0);
        }
        Ok(None) => {
            if !keys.is_empty() {
                return Err("a scheme without a MAC handed out keys".into());
            }
            if with(&[], None) != expected || with(&[], Some(&digest)) != expected {
                return Err("verify_with_tags differs from verify for a shared key".into());
            }
            return Ok(0);
        }
        Ok(Some(prefix)) => prefix,
    };
    if keys.is_empty() {
        return Err("a MAC scheme handed out no keys".into());
    }
    let tags: Vec<[u8; 32]> = keys.iter().map(|k| tag(k.as_bytes(), &prefix, &body)).collect();
    let sha = verifier.may_key_by_body_digest().then_some(&digest);
    let got = with(&tags, sha);
    if got != expected {
        return Err(format!("verify_with_tags: {got:?}\n  verify: {expected:?}"));
    }
    // The WebAssembly build's verifyAsync: the tags given, then the host path.
    #[cfg(feature = "host-json")]
    host_json_agrees(
        "authenticate_with_tags + parse_for_host_json",
        verifier.authenticate_with_tags(&body, headers, case.now, &tags, sha).and_then(|a| a.parse_for_host_json()),
        &expected,
    )?;
    // The digest is an accelerator only: without it, and for any preset, the event is the same.
    if with(&tags, None) != expected || with(&tags, Some(&digest)) != expected {
        return Err("the body digest changed the outcome".into());
    }
    // Wrong or missing tags are refused as a wrong signature is (a body over the limit is refused before that).
    let first = if matches!(&expected, Err((code, _)) if code == "payload_too_large") {
        "payload_too_large"
    } else {
        "signature_mismatch"
    };
    let mismatch = |outcome: Outcome| -> Result<(), String> {
        match outcome {
            Err((code, message)) if code == first => no_secret_in(&message, &secrets, "an error message"),
            other => Err(format!("a wrong tag gave {other:?}, not {first}")),
        }
    };
    let mut flipped = tags.clone();
    for tag in &mut flipped {
        tag[31] ^= 1;
    }
    mismatch(with(&flipped, sha))?;
    mismatch(with(&[], sha))?;
    mismatch(with(&tags[1..], sha))?;
    let mut extra = tags.clone();
    extra.push([0; 32]);
    mismatch(with(&extra, sha))?;
    Ok(1)
}

/// Vectors whose `data` a visitor was told in full.
static TOLD_ALL: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Counts the whole values a visitor is told (one, for a `data` the fast scan was sure of).
#[derive(Default)]
struct Values {
    depth: usize,
    whole: usize,
}

impl Values {
    fn one(&mut self) -> bool {
        if self.depth == 0 {
            self.whole += 1;
        }
        true
    }
}

impl hookseal::Visit for Values {
    fn open(&mut self, _: bool) -> bool {
        self.depth += 1;
        true
    }
    fn close(&mut self, _: bool) -> bool {
        self.depth -= 1;
        self.one()
    }
    fn empty(&mut self, _: bool) -> bool {
        self.one()
    }
    fn string(&mut self, _: usize, _: usize, _: bool) -> bool {
        self.one()
    }
    fn number(&mut self, _: usize, _: usize) -> bool {
        self.one()
    }
    fn literal(&mut self, _: u8) -> bool {
        self.one()
    }
}

/// `authenticate` then `parse` (or `parse_visiting`, as Python's binding builds `data` while the core reads it) give
/// `verify`'s answer, and a visitor told all of `data` was told one whole value.
fn halves_give_what_verify_gives(
    verifier: &Verifier,
    body: &[u8],
    headers: &[(String, String)],
    now: Option<i64>,
    expected: &Outcome,
) -> Result<(), String> {
    let parsed = outcome(verifier.authenticate(body, headers, now).and_then(|a| a.parse()));
    if &parsed != expected {
        return Err(format!("authenticate + parse: {parsed:?}\n  verify: {expected:?}"));
    }
    // Node's path: `data`'s grammar left to the host's JSON parser (serde_json standing in for JSON.parse). The same
    // answer, or an event whose text such a parser refuses (the glue then calls `verify`).
    #[cfg(feature = "host-json")]
    host_json_agrees(
        "authenticate + parse_for_host_json",
        verifier.authenticate(body, headers, now).and_then(|a| a.parse_for_host_json()),
        expected,
    )?;
    let mut values = Values::default();
    let visited = verifier.authenticate(body, headers, now).and_then(|a| a.parse_visiting(&mut values));
    let told_all = matches!(visited, Ok((_, true)));
    let visited = outcome(visited.map(|(event, _)| event));
    if &visited != expected {
        return Err(format!("authenticate + parse_visiting: {visited:?}\n  verify: {expected:?}"));
    }
    if told_all && (values.whole != 1 || values.depth != 0) {
        return Err(format!("told all of data, but {} whole values (depth {})", values.whole, values.depth));
    }
    if told_all {
        TOLD_ALL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    Ok(())
}

/// `verify` or `verify_at`, as the vector says.
trait VerifyAt {
    fn verify_inner_for_test<'a>(
        &self,
        body: &'a [u8],
        headers: &[(String, String)],
        now: Option<i64>,
    ) -> Result<Event<'a>, VerifyError>;
}

impl VerifyAt for Verifier {
    fn verify_inner_for_test<'a>(
        &self,
        body: &'a [u8],
        headers: &[(String, String)],
        now: Option<i64>,
    ) -> Result<Event<'a>, VerifyError> {
        match now {
            Some(now) => self.verify_at(body, headers, now),
            None => self.verify(body, headers),
        }
    }
}

trait ExpectConfig {
    fn expect_config_error(&self, code: &str) -> bool;
}

impl ExpectConfig for Case {
    fn expect_config_error(&self, code: &str) -> bool {
        matches!(&self.expect, support::vectors::Expect::ConfigError(c) if c == code)
    }
}

#[test]
fn host_tags_give_what_verify_gives_on_every_vector() {
    let cases = load_all();
    let mut with_mac = 0;
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(file, case)| match run(case) {
            Ok(n) => {
                with_mac += n;
                None
            }
            Err(why) => Some(format!("{file} :: {}: {why}", case.name)),
        })
        .collect();
    assert!(failures.is_empty(), "{} of {} vectors failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    assert!(with_mac > 50, "only {with_mac} vectors had a MAC to compute");
    let told_all = TOLD_ALL.load(std::sync::atomic::Ordering::Relaxed);
    assert!(told_all > 50, "only {told_all} vectors had their data told to a visitor");
    println!("{} vectors, {with_mac} with host tags", cases.len());
}

const BODY: &[u8] = br#"{"event":"order.status_changed","timestamp":"2026-03-29T10:45:00","data":{"order_id":7}}"#;

fn elmed() -> (Verifier, Vec<[u8; 32]>, Vec<(String, String)>) {
    let options = Options::new().secrets(["whsk_first_secret_value", "whsk_second_secret_value"]);
    let (verifier, keys) = Verifier::with_mac_keys("elmed", &options).unwrap();
    let signed =
        hookseal::sign("elmed", BODY, &hookseal::SignOptions::new(Options::new().secret("whsk_second_secret_value")))
            .unwrap();
    let tags = keys.iter().map(|k| tag(k.as_bytes(), b"", BODY)).collect();
    (verifier, tags, signed)
}

#[test]
fn the_keys_are_the_secrets_in_order_and_never_shown() {
    let options = Options::new().secrets(["whsk_first_secret_value", "whsk_second_secret_value"]);
    let (verifier, keys) = Verifier::with_mac_keys("elmed", &options).unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].as_bytes(), b"whsk_first_secret_value");
    assert_eq!(keys[1].as_bytes(), b"whsk_second_secret_value");
    let shown = format!("{keys:?} {:?} {verifier:?}", keys[0]);
    assert!(!shown.contains("secret_value"), "{shown}");
    assert!(!shown.contains("119"), "no key byte is shown: {shown}"); // b'w'
    assert_eq!(format!("{:?}", keys[0]), "MacKey([redacted])");

    // Standard Webhooks: the decoded key, the bytes signed in front of the body being `id.timestamp.`.
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let (sw, keys) = Verifier::with_mac_keys("standard-webhooks", &Options::new().secret(secret)).unwrap();
    let decoded =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    assert_eq!(keys[0].as_bytes(), decoded.unwrap().as_slice());
    let headers = [
        ("webhook-id", "msg_1"),
        ("webhook-timestamp", " 1700000000 "),
        ("webhook-signature", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="),
    ];
    assert_eq!(sw.mac_message_prefix(headers).unwrap().unwrap(), b"msg_1.1700000000.");

    // A shared key has no MAC: no keys, no prefix.
    let (shared, keys) = Verifier::with_mac_keys("novamed", &Options::new().secret("nm_shared_key_value")).unwrap();
    assert!(keys.is_empty());
    assert_eq!(shared.mac_message_prefix([("x-api-key", "nm_shared_key_value")]).unwrap(), None);
    assert_eq!(shared.mac_message_prefix([("x-api-key", "nope")]).unwrap_err().code().as_str(), "key_mismatch");
    assert!(shared.may_key_by_body_digest()); // NovaMed's key is the digest when the body has no event_id
    assert!(verifier.may_key_by_body_digest());
    assert!(!sw.may_key_by_body_digest());
}

#[test]
fn the_right_tags_verify_as_verify_does_and_no_other_does() {
    let (verifier, tags, headers) = elmed();
    let expected = verifier.verify_at(BODY, &headers, 0).unwrap().to_json(FieldCase::Camel);
    let got = verifier.verify_with_tags(BODY, &headers, Some(0), &tags, None).unwrap();
    assert_eq!(got.to_json(FieldCase::Camel), expected);
    let digest: [u8; 32] = Sha256::digest(BODY).into();
    let got = verifier.verify_with_tags(BODY, &headers, Some(0), &tags, Some(&digest)).unwrap();
    assert_eq!(got.to_json(FieldCase::Camel), expected);
    assert_eq!(got.idempotency_key(), format!("sha256:{}", hex::encode(digest)));

    // Only the second secret signed: its tag alone, a tag in the wrong place, a short or long list all fail.
    let refused = |tags: &[[u8; 32]]| {
        let err = verifier.verify_with_tags(BODY, &headers, Some(0), tags, None).unwrap_err();
        assert_eq!(err.code().as_str(), "signature_mismatch", "{tags:?}");
        assert!(!err.message().contains("secret_value"));
        assert!(!err.message().contains(&hex::encode(tags.first().copied().unwrap_or_default())));
    };
    refused(&[]);
    refused(&tags[1..]);
    refused(&[tags[0]]);
    refused(&[tags[0], tags[0]]);
    refused(&[tags[0], tags[1], tags[1]]);
    refused(&[[0; 32], [0; 32]]);
    let mut flipped = tags.clone();
    flipped[1][0] ^= 0x80;
    refused(&flipped);
    // A signature of zeros is not matched by missing tags.
    let zeros = [("X-ELMED-Signature".to_owned(), format!("sha256={}", "0".repeat(64)))];
    let err = verifier.verify_with_tags(BODY, &zeros, Some(0), &[], None).unwrap_err();
    assert_eq!(err.code().as_str(), "signature_mismatch");
    // The header checks come first, as in verify: no header, no decodable signature.
    let err = verifier.mac_message_prefix([("X-Other", "x")]).unwrap_err();
    assert_eq!(err.code().as_str(), "missing_header");
    let err = verifier.mac_message_prefix([("X-ELMED-Signature", "sha256=zz")]).unwrap_err();
    assert_eq!(err.code().as_str(), "malformed_header");
    assert_eq!(verifier.mac_message_prefix(&headers).unwrap().unwrap(), b"");
}

/// A host path's answer (`parse_for_host_json`: Node's, the WASM build's `verifyAsync`) is `verify`'s, or an event
/// whose text a strict JSON parser refuses.
#[cfg(feature = "host-json")]
fn host_json_agrees(what: &str, host: Result<Event<'_>, VerifyError>, expected: &Outcome) -> Result<(), String> {
    use support::vectors::parse_deep;
    let host_text = host.as_ref().ok().map(|event| event.to_json(FieldCase::Camel));
    let host = outcome(host);
    if &host != expected && !(expected.is_err() && host_text.is_some_and(|text| parse_deep::<Value>(&text).is_err())) {
        return Err(format!("{what}: {host:?}\n  verify: {expected:?}"));
    }
    Ok(())
}
