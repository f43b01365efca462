//! A JavaScript options object to the core's options, exactly as the napi addon reads it: camelCase names translated
//! by `hookseal::option_name_from_camel_case`, then checked by `hookseal::Options::set`, which refuses what every
//! other runtime refuses.

use hookseal::{OptionValue, Options, SignOptions};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::error::{coded, config_error};

pub(crate) fn verifier_options(options: &JsValue) -> Result<Options, JsValue> {
    let mut out = Options::new();
    for (name, value) in entries(options)? {
        out.set(&name, value).map_err(|e| config_error(&e))?;
    }
    Ok(out)
}

pub(crate) fn sign_options(options: &JsValue) -> Result<SignOptions, JsValue> {
    let mut out = SignOptions::default();
    for (name, value) in entries(options)? {
        out.set(&name, value).map_err(|e| config_error(&e))?;
    }
    Ok(out)
}

fn entries(options: &JsValue) -> Result<Vec<(String, OptionValue)>, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(Vec::new());
    }
    let read = |_| coded("invalid_option", "cannot read the options");
    let Some(object) = options.dyn_ref::<Object>() else {
        return Err(coded("invalid_option", "options must be an object"));
    };
    let mut out = Vec::new();
    for name in Object::keys(object).iter() {
        let Some(name) = name.as_string() else { continue };
        let value = Reflect::get(object, &JsValue::from_str(&name)).map_err(read)?;
        out.push((hookseal::option_name_from_camel_case(&name), option_value(&value)));
    }
    Ok(out)
}

fn option_value(value: &JsValue) -> OptionValue {
    if value.is_undefined() || value.is_null() {
        return OptionValue::Null;
    }
    if let Some(flag) = value.as_bool() {
        return OptionValue::Bool(flag);
    }
    if let Some(number) = value.as_f64() {
        // Integers only, and only those a double holds exactly.
        return if number.fract() == 0.0 && number.abs() <= 9_007_199_254_740_991.0 {
            #[allow(clippy::cast_possible_truncation)]
            OptionValue::Int(number as i64)
        } else {
            OptionValue::Other("a number that is not an integer")
        };
    }
    if let Some(text) = value.as_string() {
        return OptionValue::Str(text);
    }
    if Array::is_array(value) {
        let mut strings = Vec::new();
        for item in Array::from(value).iter() {
            match item.as_string() {
                Some(text) => strings.push(text),
                None => return OptionValue::Other("a list"),
            }
        }
        return OptionValue::StrList(strings);
    }
    if value.is_object() && !value.is_function() {
        OptionValue::Other("an object")
    } else {
        OptionValue::Other("a bigint, function or symbol")
    }
}
