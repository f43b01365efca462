//! Runs every conformance vector in `tests/vectors/` (the format is described in tests/vectors/README.md) through the
//! Rust API. Fails on a missing, unlisted or malformed file, an unknown field, or a case whose verdict differs.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use base64::Engine;
use hookseal::{OptionValue, Options, Verifier};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    #[allow(dead_code)]
    description: String,
    files: BTreeMap<String, usize>,
    total: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VectorFile {
    #[allow(dead_code)]
    description: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[allow(dead_code)]
    description: String,
    provider: String,
    options: serde_json::Map<String, Value>,
    body: Option<String>,
    body_base64: Option<String>,
    body_repeat: Option<usize>,
    headers: Vec<(String, String)>,
    now: Option<i64>,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum Expect {
    Event(ExpectedEvent),
    Error(String),
    ConfigError(String),
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct ExpectedEvent {
    provider: String,
    event_type: Option<String>,
    idempotency_key: String,
    idempotency_key_source: String,
    timestamp: Option<String>,
    data: Value,
    is_test: bool,
    is_retry: bool,
    metadata: Option<Value>,
    clinic_id: Option<String>,
}

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

/// JSON option values as a binding would hand them to the core.
fn option_value(value: &Value) -> OptionValue {
    match value {
        Value::Null => OptionValue::Null,
        Value::Bool(b) => OptionValue::Bool(*b),
        Value::Number(n) => n.as_i64().map_or(OptionValue::Other("a number"), OptionValue::Int),
        Value::String(s) => OptionValue::Str(s.clone()),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map_or(OptionValue::Other("a list"), OptionValue::StrList),
        Value::Object(_) => OptionValue::Other("an object"),
    }
}

fn body_of(case: &Case) -> Vec<u8> {
    let one = match (&case.body, &case.body_base64) {
        (Some(text), None) => text.as_bytes().to_vec(),
        (None, Some(b64)) => base64::engine::general_purpose::STANDARD.decode(b64).expect("body_base64 decodes"),
        _ => panic!("case {}: exactly one of body / body_base64", case.name),
    };
    let repeat = case.body_repeat.unwrap_or(1);
    assert!(repeat >= 1, "case {}: body_repeat must be at least 1", case.name);
    one.repeat(repeat)
}

fn build(case: &Case) -> Result<Verifier, hookseal::ConfigError> {
    let mut options = Options::new();
    for (name, value) in &case.options {
        options.set(name, option_value(value))?;
    }
    Verifier::new(&case.provider, &options)
}

/// Runs one case; Err describes the difference.
fn run(case: &Case) -> Result<(), String> {
    let verifier = match (build(case), &case.expect) {
        (Err(e), Expect::ConfigError(code)) if e.code().as_str() == code => return Ok(()),
        (Err(e), _) => return Err(format!("configuration failed: {e}")),
        (Ok(_), Expect::ConfigError(code)) => return Err(format!("expected config error {code}, built fine")),
        (Ok(v), _) => v,
    };
    let body = body_of(case);
    let headers = case.headers.iter().map(|(k, v)| (k, v));
    let result = match case.now {
        Some(now) => verifier.verify_at(&body, headers, now),
        None => verifier.verify(&body, headers),
    };
    match (result, &case.expect) {
        (Err(e), Expect::Error(code)) if e.code().as_str() == code => Ok(()),
        (Err(e), _) => Err(format!("verify failed: {e}")),
        (Ok(ev), Expect::Error(code)) => Err(format!("expected error {code}, verified {ev:?}")),
        (Ok(ev), Expect::Event(expected)) => {
            let got = ExpectedEvent {
                provider: ev.provider().as_str().to_owned(),
                event_type: ev.event_type().map(str::to_owned),
                idempotency_key: ev.idempotency_key().to_owned(),
                idempotency_key_source: ev.idempotency_key_source().as_str().to_owned(),
                timestamp: ev.timestamp().map(str::to_owned),
                data: serde_json::from_str(ev.data().get()).map_err(|e| format!("data: {e}"))?,
                is_test: ev.is_test(),
                is_retry: ev.is_retry(),
                metadata: ev
                    .metadata()
                    .map(|m| serde_json::from_str(m.get()))
                    .transpose()
                    .map_err(|e| format!("metadata: {e}"))?,
                clinic_id: ev.clinic_id().map(str::to_owned),
            };
            if &got == expected {
                Ok(())
            } else {
                Err(format!("event differs:\n  got      {got:?}\n  expected {expected:?}"))
            }
        }
        (Ok(_), Expect::ConfigError(_)) => unreachable!(),
    }
}

#[test]
fn every_vector_passes() {
    let dir = vectors_dir();
    let manifest: Manifest =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).expect("manifest.json"))
            .expect("manifest.json parses");
    let on_disk: HashSet<String> = std::fs::read_dir(&dir)
        .expect("tests/vectors exists")
        .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && n != "manifest.json")
        .collect();
    let listed: HashSet<String> = manifest.files.keys().cloned().collect();
    assert_eq!(on_disk, listed, "vector files on disk and in manifest.json differ");

    let mut names = HashSet::new();
    let mut failures = Vec::new();
    let mut total = 0;
    for (file, count) in &manifest.files {
        let text = std::fs::read_to_string(dir.join(file)).expect("vector file reads");
        let parsed: VectorFile =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file} does not match the vector format: {e}"));
        assert_eq!(parsed.cases.len(), *count, "{file}: case count differs from manifest.json");
        for case in &parsed.cases {
            assert!(names.insert(case.name.clone()), "duplicate case name {}", case.name);
            total += 1;
            if let Err(why) = run(case) {
                failures.push(format!("{file} :: {}: {why}", case.name));
            }
        }
    }
    assert_eq!(total, manifest.total, "manifest total differs from the cases run");
    assert!(total >= 60, "only {total} vectors");
    assert!(failures.is_empty(), "{} of {total} vectors failed:\n{}", failures.len(), failures.join("\n"));
    println!("{total} vectors passed");
}
