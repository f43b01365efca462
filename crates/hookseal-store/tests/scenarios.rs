//! tests/vectors/store/scenarios.json against every backend: memory, a fresh SQLite file and the test Redis
//! ($HOOKSEAL_TEST_REDIS_URL, started by scripts/with-redis.sh; required).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use hookseal_store::{Claim, ClaimOutcome, ErrorCode, Store, StoreOptions};
use serde_json::{Map, Value};

fn vectors() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/store/scenarios.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn redis_url() -> String {
    std::env::var("HOOKSEAL_TEST_REDIS_URL")
        .expect("HOOKSEAL_TEST_REDIS_URL is not set: run the tests under scripts/with-redis.sh (make test does)")
}

/// Fails on any field this runner does not know.
fn only(object: &Map<String, Value>, known: &[&str], what: &str) {
    for name in object.keys() {
        assert!(known.contains(&name.as_str()), "{what}: unknown field {name:?}");
    }
}

fn key_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Object(o) => {
            only(o, &["repeat", "times", "then"], "key");
            let mut key = o["repeat"].as_str().unwrap().repeat(o["times"].as_u64().unwrap() as usize);
            if let Some(then) = o.get("then") {
                key.push_str(then.as_str().unwrap());
            }
            key
        }
        other => panic!("a key is a string or a repeat, not {other}"),
    }
}

fn options_of(object: Option<&Value>) -> Result<StoreOptions, ErrorCode> {
    let Some(object) = object else { return Ok(StoreOptions::new()) };
    let object = object.as_object().unwrap();
    only(object, &["lease", "retention"], "options");
    let number = |name: &str| match object.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(Some(n.as_f64().unwrap())),
        Some(_) => Err(ErrorCode::InvalidOption), // a value of the wrong type, as every binding refuses it
    };
    StoreOptions::from_seconds(number("lease")?, number("retention")?).map_err(|e| e.code())
}

fn random_prefix() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("t{:x}{}", nanos, std::process::id())
}

fn run_scenario(scenario: &Map<String, Value>, backend_url: &str) -> usize {
    only(scenario, &["name", "description", "lease", "retention", "steps"], "scenario");
    let name = scenario["name"].as_str().unwrap();
    let mut given = Map::new();
    for field in ["lease", "retention"] {
        if let Some(value) = scenario.get(field) {
            given.insert(field.into(), value.clone());
        }
    }
    let store = Store::open(backend_url, &options_of(Some(&Value::Object(given))).unwrap()).unwrap();
    let prefix = random_prefix();
    let mut claims: HashMap<String, Claim> = HashMap::new();
    let mut steps = 0;
    for step in scenario["steps"].as_array().unwrap() {
        let step = step.as_object().unwrap();
        let at = format!("{name} on {}: step {step:?}", store.backend());
        if let Some(key) = step.get("claim") {
            only(step, &["claim", "as", "namespace", "namespace_raw", "expect", "expect_error", "retry_after"], &at);
            let namespace = match (step.get("namespace"), step.get("namespace_raw")) {
                (_, Some(raw)) => raw.as_str().unwrap().to_owned(),
                (Some(suffix), None) => format!("{prefix}-{}", suffix.as_str().unwrap()),
                (None, None) => prefix.clone(),
            };
            let result = store.claim(&namespace, key_of(key));
            if let Some(code) = step.get("expect_error") {
                assert_eq!(result.map_err(|e| e.code().as_str()).err(), code.as_str(), "{at}");
            } else {
                let outcome = result.unwrap_or_else(|e| panic!("{at}: {e}"));
                assert_eq!(outcome.status().as_str(), step["expect"].as_str().unwrap(), "{at}");
                if let Some(range) = step.get("retry_after") {
                    let (min, max) = (range[0].as_u64().unwrap(), range[1].as_u64().unwrap());
                    let seconds = outcome.retry_after_seconds().unwrap();
                    assert!((min..=max).contains(&seconds), "{at}: retry_after {seconds}");
                }
                if let (Some(label), ClaimOutcome::Claimed(claim)) = (step.get("as"), outcome) {
                    claims.insert(label.as_str().unwrap().to_owned(), claim);
                }
            }
        } else if let Some(label) = step.get("complete").or(step.get("release")) {
            only(step, &["complete", "release", "expect"], &at);
            let claim = &claims[label.as_str().unwrap()];
            let acted = if step.contains_key("complete") { store.complete(claim) } else { store.release(claim) };
            assert_eq!(acted.unwrap_or_else(|e| panic!("{at}: {e}")), step["expect"].as_bool().unwrap(), "{at}");
        } else if let Some(seconds) = step.get("wait") {
            only(step, &["wait"], &at);
            std::thread::sleep(Duration::from_secs_f64(seconds.as_f64().unwrap()));
        } else {
            panic!("{at}: unknown step");
        }
        steps += 1;
    }
    steps
}

fn backends(dir: &tempfile::TempDir) -> Vec<String> {
    vec!["memory:".to_owned(), format!("sqlite://{}", dir.path().join("scenarios.db").display()), redis_url()]
}

#[test]
fn every_scenario_on_every_backend() {
    let doc = vectors();
    let doc = doc.as_object().unwrap();
    only(doc, &["description", "counts", "scenarios", "urls", "unreachable"], "scenarios.json");
    let scenarios = doc["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len() as u64, doc["counts"]["scenarios"].as_u64().unwrap(), "counts.scenarios");
    let dir = tempfile::tempdir().unwrap();
    let mut ran = 0;
    for url in backends(&dir) {
        for scenario in scenarios {
            assert!(run_scenario(scenario.as_object().unwrap(), &url) > 0);
            ran += 1;
        }
    }
    assert_eq!(ran, scenarios.len() * 3);
}

#[test]
fn every_url() {
    let doc = vectors();
    let urls = doc["urls"].as_array().unwrap();
    assert_eq!(urls.len() as u64, doc["counts"]["urls"].as_u64().unwrap(), "counts.urls");
    for case in urls {
        let case = case.as_object().unwrap();
        only(case, &["name", "url", "options", "expect"], "url case");
        let name = case["name"].as_str().unwrap();
        let expect = case["expect"].as_object().unwrap();
        only(expect, &["config_error", "not_in_message", "backend", "describe", "not_in_describe"], name);
        let opened = options_of(case.get("options")).map_err(|code| (code, String::new())).and_then(|options| {
            Store::open(case["url"].as_str().unwrap(), &options).map_err(|e| (e.code(), e.to_string()))
        });
        match (expect.get("config_error"), opened) {
            (Some(code), Err((got, message))) => {
                assert_eq!(got.as_str(), code.as_str().unwrap(), "{name}");
                assert!(got.is_config(), "{name}");
                if let Some(secret) = expect.get("not_in_message") {
                    assert!(!message.contains(secret.as_str().unwrap()), "{name}: {message}");
                }
            }
            (None, Ok(store)) => {
                assert_eq!(store.backend(), expect["backend"].as_str().unwrap(), "{name}");
                assert_eq!(store.describe(), expect["describe"].as_str().unwrap(), "{name}");
                let debug = format!("{store:?}");
                if let Some(secret) = expect.get("not_in_describe") {
                    assert!(!debug.contains(secret.as_str().unwrap()), "{name}: {debug}");
                }
            }
            (Some(_), Ok(_)) => panic!("{name}: opened, expected a configuration error"),
            (None, Err((code, message))) => panic!("{name}: {code}: {message}"),
        }
    }
}

#[test]
fn every_unreachable_store_fails_closed_and_fast() {
    let doc = vectors();
    let cases = doc["unreachable"].as_array().unwrap();
    assert_eq!(cases.len() as u64, doc["counts"]["unreachable"].as_u64().unwrap(), "counts.unreachable");
    for case in cases {
        let case = case.as_object().unwrap();
        only(case, &["name", "url", "description", "not_in_message"], "unreachable case");
        let name = case["name"].as_str().unwrap();
        let store = Store::open(case["url"].as_str().unwrap(), &StoreOptions::new()).unwrap();
        let started = Instant::now();
        let error = store.claim("t", "evt").unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(3), "{name}: {:?}", started.elapsed());
        assert_eq!(error.code(), ErrorCode::StoreUnavailable, "{name}");
        if let Some(secret) = case.get("not_in_message") {
            assert!(!error.to_string().contains(secret.as_str().unwrap()), "{name}: {error}");
            assert!(!format!("{error:?}").contains(secret.as_str().unwrap()), "{name}: {error:?}");
        }
    }
}
