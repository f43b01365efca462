//! Runs every conformance vector in `tests/vectors/` through the Rust API.

mod support;

use hookseal::{Event, FieldCase, Options, Verifier};
use serde_json::{Map, Value};
use support::vectors::{load_all, option_value, parse_deep, Case, Expect};

fn event_json(ev: &Event<'_>) -> Result<Value, String> {
    let opt = |s: Option<&str>| s.map_or(Value::Null, |s| Value::String(s.to_owned()));
    let mut out = Map::new();
    out.insert("provider".into(), ev.provider().as_str().into());
    out.insert("event_type".into(), opt(ev.event_type()));
    out.insert("idempotency_key".into(), ev.idempotency_key().into());
    out.insert("idempotency_key_source".into(), ev.idempotency_key_source().as_str().into());
    out.insert("timestamp".into(), opt(ev.timestamp()));
    out.insert("data".into(), parse_deep(&ev.data().get()).map_err(|e| format!("data: {e}"))?);
    out.insert("is_test".into(), ev.is_test().into());
    out.insert("is_retry".into(), ev.is_retry().into());
    let metadata = ev.metadata().map(|m| parse_deep(&m.get())).transpose().map_err(|e| format!("metadata: {e}"))?;
    out.insert("metadata".into(), metadata.unwrap_or(Value::Null));
    out.insert("clinic_id".into(), opt(ev.clinic_id()));
    Ok(Value::Object(out))
}

fn run(case: &Case) -> Result<(), String> {
    let mut options = Options::new();
    let built = case
        .options
        .iter()
        .try_for_each(|(name, value)| options.set(name, option_value(value)))
        .and_then(|()| Verifier::new(&case.provider, &options));
    let verifier = match (built, &case.expect) {
        (Err(e), Expect::ConfigError(code)) if e.code().as_str() == code => return Ok(()),
        (Err(e), _) => return Err(format!("configuration failed: {e}")),
        (Ok(_), Expect::ConfigError(code)) => return Err(format!("expected config error {code}, built fine")),
        (Ok(v), _) => v,
    };
    let body = case.body();
    let headers = &case.headers;
    let result = match case.now {
        Some(now) => verifier.verify_at(&body, headers, now),
        None => verifier.verify(&body, headers),
    };
    // Passing only the headers the verifier says it reads (what the Node binding does) changes nothing.
    let names = verifier.header_names();
    let read: Vec<&(String, String)> =
        headers.iter().filter(|(name, _)| names.iter().any(|n| n.eq_ignore_ascii_case(name))).collect();
    let filtered = match case.now {
        Some(now) => verifier.verify_at(&body, read.iter().copied(), now),
        None => verifier.verify(&body, read.iter().copied()),
    };
    if filtered.as_ref().map(|e| e.to_json(FieldCase::Snake)).map_err(|e| e.code())
        != result.as_ref().map(|e| e.to_json(FieldCase::Snake)).map_err(|e| e.code())
    {
        return Err("the headers named by header_names() give another result".into());
    }
    match (result, &case.expect) {
        (Err(e), Expect::Error(code)) if e.code().as_str() == code => Ok(()),
        (Err(e), _) => Err(format!("verify failed: {e}")),
        (Ok(ev), _) => {
            case.check_event(&event_json(&ev)?)?;
            // The same event as the one JSON text bindings hand to their host (`Event::to_json`), in both cases.
            let snake: Value = parse_deep(&ev.to_json(FieldCase::Snake)).map_err(|e| format!("to_json: {e}"))?;
            case.check_event(&snake).map_err(|e| format!("to_json(Snake): {e}"))?;
            let camel: Value = parse_deep(&ev.to_json(FieldCase::Camel)).map_err(|e| format!("to_json: {e}"))?;
            case.check_event(&Value::Object(camel_to_snake(camel)?)).map_err(|e| format!("to_json(Camel): {e}"))
        }
    }
}

/// The top-level keys of a camelCase event renamed to the contract's snake_case (`data`'s own keys stay as sent).
fn camel_to_snake(event: Value) -> Result<Map<String, Value>, String> {
    let Value::Object(fields) = event else { return Err("to_json is not an object".into()) };
    let mut keys: Vec<&str> = fields.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected = [
        "provider",
        "eventType",
        "idempotencyKey",
        "idempotencyKeySource",
        "timestamp",
        "data",
        "isTest",
        "isRetry",
        "metadata",
        "clinicId",
    ];
    expected.sort_unstable();
    if keys != expected {
        return Err(format!("to_json(Camel) names the fields {keys:?}"));
    }
    Ok(fields
        .into_iter()
        .map(|(name, value)| {
            let snake: String = name
                .chars()
                .flat_map(|c| if c.is_ascii_uppercase() { vec!['_', c.to_ascii_lowercase()] } else { vec![c] })
                .collect();
            (snake, value)
        })
        .collect())
}

#[test]
fn every_vector_passes() {
    let cases = load_all();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(file, case)| run(case).err().map(|why| format!("{file} :: {}: {why}", case.name)))
        .collect();
    assert!(failures.is_empty(), "{} of {} vectors failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    println!("{} vectors passed", cases.len());
}
