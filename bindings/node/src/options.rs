//! A JavaScript options object to the core's options. JavaScript spells names in camelCase (`clinicId`); the core's
//! names are snake_case (`clinic_id`), so a name is translated and then checked by `hookseal::Options::set`, which
//! refuses exactly what every other runtime refuses. A snake_case name is not JavaScript's spelling: it is unknown.

use hookseal::{OptionValue, Options, SignOptions};
use napi::bindgen_prelude::*;
use napi::ValueType;

use crate::error::{config_error, CodedError};

pub(crate) fn verifier_options(options: Option<Object<'_>>) -> std::result::Result<Options, CodedError> {
    let mut out = Options::new();
    for (name, value) in entries(options)? {
        out.set(&name, value).map_err(|e| config_error(&e))?;
    }
    Ok(out)
}

pub(crate) fn sign_options(options: Option<Object<'_>>) -> std::result::Result<SignOptions, CodedError> {
    let mut out = SignOptions::default();
    for (name, value) in entries(options)? {
        out.set(&name, value).map_err(|e| config_error(&e))?;
    }
    Ok(out)
}

fn entries(options: Option<Object<'_>>) -> std::result::Result<Vec<(String, OptionValue)>, CodedError> {
    let Some(options) = options else { return Ok(Vec::new()) };
    let read = |e: napi::Error| napi::Error::new("invalid_option", format!("cannot read the options: {}", e.reason));
    let mut out = Vec::new();
    for name in Object::keys(&options).map_err(read)? {
        // `undefined` (absent) reads as None: not set, like null.
        let value = match options.get::<Unknown<'_>>(&name).map_err(read)? {
            Some(value) => option_value(value).map_err(read)?,
            None => OptionValue::Null,
        };
        out.push((hookseal::option_name_from_camel_case(&name), value));
    }
    Ok(out)
}

fn option_value(value: Unknown<'_>) -> Result<OptionValue> {
    Ok(match value.get_type()? {
        ValueType::Undefined | ValueType::Null => OptionValue::Null,
        ValueType::Boolean => OptionValue::Bool(bool::from_unknown(value)?),
        ValueType::Number => {
            let number = f64::from_unknown(value)?;
            // Integers only, and only those a double holds exactly.
            if number.fract() == 0.0 && number.abs() <= 9_007_199_254_740_991.0 {
                OptionValue::Int(number as i64)
            } else {
                OptionValue::Other("a number that is not an integer")
            }
        }
        ValueType::String => OptionValue::Str(String::from_unknown(value)?),
        ValueType::Object => match Vec::<Unknown<'_>>::from_unknown(value) {
            Ok(items) => {
                let mut strings = Vec::with_capacity(items.len());
                for item in items {
                    if item.get_type()? != ValueType::String {
                        return Ok(OptionValue::Other("a list"));
                    }
                    strings.push(String::from_unknown(item)?);
                }
                OptionValue::StrList(strings)
            }
            Err(_) => OptionValue::Other("an object"),
        },
        _ => OptionValue::Other("a bigint, function or symbol"),
    })
}
