//! Keyword arguments to the core's options: every name and type is checked by `hookseal::Options::set`, so Python
//! refuses exactly what every other runtime refuses (`ConfigError(invalid_option)`).

use hookseal::{OptionValue, Options, SignOptions};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::error::config_error;

/// Verifier options from `**options`.
pub(crate) fn verifier_options(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Options> {
    let mut options = Options::new();
    for (name, value) in each(kwargs)? {
        options.set(&name, value).map_err(|e| config_error(py, &e))?;
    }
    Ok(options)
}

/// `sign` options from `**options`: the verifier's plus `now` and `webhook_id`.
pub(crate) fn sign_options(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<SignOptions> {
    let mut options = SignOptions::default();
    for (name, value) in each(kwargs)? {
        options.set(&name, value).map_err(|e| config_error(py, &e))?;
    }
    Ok(options)
}

fn each(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<(String, OptionValue)>> {
    let Some(kwargs) = kwargs else { return Ok(Vec::new()) };
    kwargs.iter().map(|(name, value)| Ok((name.extract::<String>()?, option_value(&value)))).collect()
}

fn option_value(value: &Bound<'_, PyAny>) -> OptionValue {
    if value.is_none() {
        OptionValue::Null
    } else if let Ok(flag) = value.cast::<PyBool>() {
        // Checked before int: bool is a subclass of int, and booleans are not numbers here.
        OptionValue::Bool(flag.is_true())
    } else if value.is_instance_of::<PyInt>() {
        value.extract::<i64>().map_or(OptionValue::Other("an integer out of range"), OptionValue::Int)
    } else if let Ok(text) = value.cast::<PyString>() {
        text.to_cow()
            .map_or(OptionValue::Other("a string that is not valid Unicode"), |s| OptionValue::Str(s.into_owned()))
    } else if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        value.extract::<Vec<String>>().map_or(OptionValue::Other("a list"), OptionValue::StrList)
    } else if value.is_instance_of::<PyFloat>() {
        OptionValue::Other("a float")
    } else if value.is_instance_of::<PyDict>() {
        OptionValue::Other("a dict")
    } else {
        OptionValue::Other("an object")
    }
}
