//! `Authenticated::parse_for_host_json` (Node's path: `data`'s grammar left to `JSON.parse`) against `parse`, on
//! signed envelopes whose `data` is JSON, mangled JSON, or what JSON.parse takes and the core does not. The contract:
//! the same event or the same error, except that an error may come back as an event whose text a strict JSON parser
//! (serde_json, standing in for JSON.parse) refuses; the glue then verifies again with `verify`, which names it.

mod support;

use hookseal::{sign, FieldCase, Options, SignOptions, Verifier};
use proptest::prelude::*;
use serde_json::Value;
use support::vectors::parse_deep;

type Outcome = Result<String, (String, String)>;

fn both(verifier: &Verifier, body: &[u8], headers: &[(String, String)]) -> (Outcome, Outcome, Option<String>) {
    let outcome = |result: Result<hookseal::Event<'_>, hookseal::VerifyError>| {
        result.map(|e| e.to_json(FieldCase::Camel)).map_err(|e| (e.code().as_str().to_owned(), e.message().to_owned()))
    };
    let strict = outcome(verifier.verify(body, headers));
    let host = verifier.authenticate(body, headers, None).and_then(|a| a.parse_for_host_json());
    let text = host.as_ref().ok().map(|event| event.to_json(FieldCase::Camel));
    (strict, outcome(host), text)
}

/// Checks the contract for `data` (any text) in an ELMED envelope; true when the host path answered with an event the
/// core refuses (the glue's fallback case).
fn check(data: &str) -> bool {
    let options = Options::new().secret("whsk_host_json_test");
    let verifier = Verifier::new("elmed", &options).expect("verifier");
    let body = format!(r#"{{"event":"order.status_changed","timestamp":"2026-03-29T12:00:00","data":{data},"x":1}}"#);
    let headers = sign("elmed", body.as_bytes(), &SignOptions::new(options)).expect("sign");
    let (strict, host, text) = both(&verifier, body.as_bytes(), &headers);
    if strict == host {
        return false;
    }
    assert!(strict.is_err(), "the host path changed an accepted delivery: {host:?} / {strict:?}\n{body}");
    let text = text.unwrap_or_else(|| panic!("another error: {host:?} / {strict:?}\n{body}"));
    assert!(parse_deep::<Value>(&text).is_err(), "accepted what the core refuses, in JSON a parser takes:\n{body}");
    true
}

#[test]
fn what_json_parse_refuses_falls_back() {
    for data in [
        r#"{"a" 1}"#,
        r#"{"a":1,}"#,
        r#"[1,]"#,
        r#"{"a":tru}"#,
        r#"{"a":01}"#,
        r#"{"a":"\x"}"#,
        "{\"a\":\"\t\"}",
        r#"{"a":[1}]"#,
        r#"{"a":1]"#,
        r#"{"a":1 "b":2}"#,
        r#"[NaN]"#,
    ] {
        assert!(check(data), "{data}: not refused by the host's parser");
    }
}

#[test]
fn what_json_parse_takes_and_the_core_refuses_is_the_cores_to_judge() {
    // A lone surrogate (JSON.parse takes it), nesting past jiter's limit, an integer past its 4300 digits: the
    // structural scan is not sure, and `data` is parsed as by `parse`, with its error.
    let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
    let long = format!("[{}]", "9".repeat(5000));
    for data in [r#"{"a":"\ud800"}"#, r#"["\udc00x"]"#, deep.as_str(), long.as_str()] {
        assert!(!check(data), "{data:.40}: the host path answered otherwise than the core");
    }
}

#[test]
fn what_both_take_is_the_same_event() {
    let deep = format!("{}{}", "[".repeat(120), "]".repeat(120));
    for data in [
        r#"{}"#,
        r#"[]"#,
        r#"{"a":[1,2,{"b":"}]\"\\"}],"c":null}"#,
        r#"{"a":"\ud83d\ude00","b":1e400,"c":-0.5E-7}"#,
        deep.as_str(),
        "null",
        r#""text""#,
        "12",
    ] {
        assert!(!check(data), "{data}");
    }
}

fn json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| f.to_string()),
        "\\PC{0,12}".prop_map(|s| serde_json::to_string(&s).expect("a string")),
        "(\\\\[\"\\\\/bfnrtx]|\\\\u[0-9a-fA-F]{4}|[a-z{}\\[\\]])*".prop_map(|s| format!("\"{s}\"")),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec(("[a-z\"\\\\]{0,4}", inner), 0..6).prop_map(|members| {
                let members: Vec<String> = members
                    .into_iter()
                    .map(|(k, v)| format!("{}:{v}", serde_json::to_string(&k).expect("a key")))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn json_data(data in json_text()) {
        check(&data);
    }

    #[test]
    fn mangled_data(data in json_text(), at in any::<prop::sample::Index>(), byte in prop::sample::select(
        b"{}[]\",:\\ 0a-e".to_vec()
    )) {
        let mut bytes = data.into_bytes();
        let at = at.index(bytes.len());
        bytes[at] = byte;
        if let Ok(text) = String::from_utf8(bytes) {
            check(&text);
        }
    }
}
