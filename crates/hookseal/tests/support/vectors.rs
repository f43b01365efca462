//! Loading the conformance vectors of `tests/vectors/` (format: tests/vectors/README.md), shared by the core's and
//! the CLI's runners. Loading fails on a missing, unlisted or miscounted file, an unknown field, or a duplicate name.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use base64::Engine;
use hookseal::OptionValue;
use serde::Deserialize;
use serde_json::{Map, Value};

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
pub struct Case {
    pub name: String,
    #[allow(dead_code)]
    pub description: String,
    pub provider: String,
    pub options: Map<String, Value>,
    pub body: Option<String>,
    pub body_base64: Option<String>,
    pub body_repeat: Option<usize>,
    pub headers: Vec<(String, String)>,
    pub now: Option<i64>,
    pub expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum Expect {
    Event(Map<String, Value>),
    Error(String),
    ConfigError(String),
}

/// The fields of a verified event, in the contract's order.
pub const EVENT_FIELDS: [&str; 10] = [
    "provider",
    "event_type",
    "idempotency_key",
    "idempotency_key_source",
    "timestamp",
    "data",
    "is_test",
    "is_retry",
    "metadata",
    "clinic_id",
];

pub const ERROR_CODES: [&str; 10] = [
    "missing_header",
    "malformed_header",
    "signature_mismatch",
    "key_mismatch",
    "payload_too_large",
    "invalid_json",
    "missing_field",
    "event_mismatch",
    "clinic_mismatch",
    "timestamp_out_of_tolerance",
];

pub const CONFIG_ERROR_CODES: [&str; 4] =
    ["invalid_secret", "insecure_default_key", "unknown_provider", "invalid_option"];

/// JSON option values as a binding would hand them to the core.
pub fn option_value(value: &Value) -> OptionValue {
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

/// Vectors nest up to 200 levels (the core's limit), past serde_json's default of 128.
pub fn parse_deep<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let value = T::deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// JSON equality where numbers compare by value (`850.00` == `850.0`), whatever serde_json features are unified in.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
            (Some(x), Some(y), _, _) => x == y,
            (_, _, Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

impl Case {
    /// The raw body bytes.
    pub fn body(&self) -> Vec<u8> {
        let one = match (&self.body, &self.body_base64) {
            (Some(text), None) => text.as_bytes().to_vec(),
            (None, Some(b64)) => base64::engine::general_purpose::STANDARD.decode(b64).expect("body_base64 decodes"),
            _ => panic!("case {}: exactly one of body / body_base64", self.name),
        };
        let repeat = self.body_repeat.unwrap_or(1);
        assert!(repeat >= 1, "case {}: body_repeat must be at least 1", self.name);
        one.repeat(repeat)
    }

    /// Compares a verified event (as a JSON object with the contract's snake_case keys) with the expectation.
    pub fn check_event(&self, got: &Value) -> Result<(), String> {
        match &self.expect {
            Expect::Event(expected) => {
                if json_eq(got, &Value::Object(expected.clone())) {
                    Ok(())
                } else {
                    Err(format!("event differs:\n  got      {got}\n  expected {}", Value::Object(expected.clone())))
                }
            }
            Expect::Error(code) | Expect::ConfigError(code) => Err(format!("expected {code}, verified {got}")),
        }
    }
}

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

/// Every case of every file listed in manifest.json, with its file name.
pub fn load_all() -> Vec<(String, Case)> {
    let dir = vectors_dir();
    let manifest: Manifest =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).expect("manifest.json"))
            .expect("manifest.json matches the format");
    let on_disk: HashSet<String> = std::fs::read_dir(&dir)
        .expect("tests/vectors exists")
        .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && n != "manifest.json")
        .collect();
    let listed: HashSet<String> = manifest.files.keys().cloned().collect();
    assert_eq!(on_disk, listed, "vector files on disk and in manifest.json differ");

    let mut names = HashSet::new();
    let mut all = Vec::new();
    for (file, count) in &manifest.files {
        let text = std::fs::read_to_string(dir.join(file)).expect("vector file reads");
        let parsed: VectorFile =
            parse_deep(&text).unwrap_or_else(|e| panic!("{file} does not match the vector format: {e}"));
        assert_eq!(parsed.cases.len(), *count, "{file}: case count differs from manifest.json");
        for case in parsed.cases {
            assert!(names.insert(case.name.clone()), "duplicate case name {}", case.name);
            match &case.expect {
                Expect::Event(event) => {
                    let keys: Vec<&str> = event.keys().map(String::as_str).collect();
                    let mut sorted_expected = EVENT_FIELDS.to_vec();
                    sorted_expected.sort_unstable();
                    let mut sorted = keys.clone();
                    sorted.sort_unstable();
                    assert_eq!(
                        sorted, sorted_expected,
                        "{}: an event expectation has exactly the 10 fields",
                        case.name
                    );
                }
                Expect::Error(code) => {
                    assert!(ERROR_CODES.contains(&code.as_str()), "{}: unknown code {code}", case.name)
                }
                Expect::ConfigError(code) => {
                    assert!(CONFIG_ERROR_CODES.contains(&code.as_str()), "{}: unknown code {code}", case.name)
                }
            }
            all.push((file.clone(), case));
        }
    }
    assert_eq!(all.len(), manifest.total, "manifest total differs from the cases read");
    assert!(all.len() >= 60, "only {} vectors", all.len());
    all
}
