//! Options as a JSON object with the contract's snake_case names (`{"secret": "...", "clinic_id": "..."}`), turned
//! into the core's options by `hookseal::Options::set`, which checks every name and type like every other runtime.

use hookseal::{OptionValue, Options, SignOptions};
use jiter::JsonValue;

use crate::error::{fail, hookseal_status};

/// The (name, value) pairs of an options object; NULL text means no options.
pub(crate) fn entries(text: Option<&str>) -> Result<Vec<(String, OptionValue)>, hookseal_status> {
    let Some(text) = text else { return Ok(Vec::new()) };
    let value = JsonValue::parse(text.as_bytes(), false)
        .map_err(|e| fail(hookseal_status::InvalidOption, &format!("the options are not JSON: {e}")))?;
    let JsonValue::Object(object) = value else {
        return Err(fail(hookseal_status::InvalidOption, "the options must be a JSON object"));
    };
    let mut entries: Vec<(String, OptionValue)> = Vec::with_capacity(object.len());
    for (name, value) in object.iter() {
        // As everywhere in hookseal, a repeated key is refused, never "the last one wins".
        if entries.iter().any(|(seen, _)| seen == name.as_ref()) {
            return Err(fail(hookseal_status::InvalidOption, "an option is given twice"));
        }
        entries.push((name.to_string(), option_value(value)));
    }
    Ok(entries)
}

fn option_value(value: &JsonValue<'_>) -> OptionValue {
    match value {
        JsonValue::Null => OptionValue::Null,
        JsonValue::Bool(b) => OptionValue::Bool(*b),
        JsonValue::Int(n) => OptionValue::Int(*n),
        JsonValue::Float(_) => OptionValue::Other("a number that is not an integer"),
        JsonValue::Str(s) => OptionValue::Str(s.to_string()),
        JsonValue::Array(items) => items
            .iter()
            .map(|item| match item {
                JsonValue::Str(s) => Some(s.to_string()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map_or(OptionValue::Other("a list"), OptionValue::StrList),
        JsonValue::Object(_) => OptionValue::Other("an object"),
        #[allow(unreachable_patterns)]
        _ => OptionValue::Other("an integer out of range"),
    }
}

pub(crate) fn verifier_options(text: Option<&str>) -> Result<Options, hookseal_status> {
    let mut options = Options::new();
    for (name, value) in entries(text)? {
        options.set(&name, value).map_err(|e| fail(e.code().into(), e.message()))?;
    }
    Ok(options)
}

pub(crate) fn sign_options(text: Option<&str>) -> Result<SignOptions, hookseal_status> {
    let mut options = SignOptions::default();
    for (name, value) in entries(text)? {
        options.set(&name, value).map_err(|e| fail(e.code().into(), e.message()))?;
    }
    Ok(options)
}
