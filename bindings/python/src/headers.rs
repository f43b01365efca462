//! Headers from any Python container: a Mapping (`dict`, Flask's `request.headers`, Starlette's `Headers`, anything
//! with `.items()`, whose values may also be lists for repeated headers) or an iterable of `(name, value)` pairs.
//! Names and values are `str` or `bytes`.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

/// The pairs as `bytes` objects (a `str` encoded once): the core reads them in place, through [`slices`], even
/// while the GIL is released.
pub(crate) type Headers<'py> = Vec<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)>;

/// The pairs as byte slices, borrowed from the objects (`bytes` are immutable).
pub(crate) fn slices<'a>(headers: &'a Headers<'_>) -> Vec<(&'a [u8], &'a [u8])> {
    headers.iter().map(|(name, value)| (name.as_bytes(), value.as_bytes())).collect()
}

pub(crate) fn extract<'py>(headers: &Bound<'py, PyAny>) -> PyResult<Headers<'py>> {
    let py = headers.py();
    if headers.is_instance_of::<PyString>() || headers.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err("headers must be a Mapping or a list of (name, value) pairs, not a string"));
    }
    let pairs = if headers.hasattr(pyo3::intern!(py, "items"))? {
        headers.call_method0(pyo3::intern!(py, "items"))?
    } else {
        headers.clone()
    };
    let mut out = Vec::new();
    for pair in pairs.try_iter().map_err(|_| not_headers(headers))? {
        let pair = pair?;
        let (name, value) = two(&pair)?;
        let name = text(&name, "header name")?;
        if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
            for item in value.try_iter()? {
                out.push((name.clone(), text(&item?, "header value")?));
            }
        } else {
            out.push((name, text(&value, "header value")?));
        }
    }
    Ok(out)
}

fn two<'py>(pair: &Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    if let Ok(tuple) = pair.cast::<PyTuple>() {
        if tuple.len() == 2 {
            return Ok((tuple.get_item(0)?, tuple.get_item(1)?));
        }
    } else if let Ok(list) = pair.cast::<PyList>() {
        if list.len() == 2 {
            return Ok((list.get_item(0)?, list.get_item(1)?));
        }
    }
    Err(PyTypeError::new_err("each header must be a (name, value) pair"))
}

fn text<'py>(value: &Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyBytes>> {
    if let Ok(s) = value.cast::<PyString>() {
        // Encoded as UTF-8, like the configured secrets (WSGI/ASGI decode header bytes as latin-1, which is the same
        // for the ASCII that signatures and keys are made of).
        return s.encode_utf8();
    }
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(b.clone());
    }
    Err(PyTypeError::new_err(format!("a {what} must be str or bytes, not {}", value.get_type().name()?)))
}

fn not_headers(headers: &Bound<'_, PyAny>) -> PyErr {
    let name = headers.get_type().name().map(|n| n.to_string()).unwrap_or_default();
    PyTypeError::new_err(format!("headers must be a Mapping or a list of (name, value) pairs, not {name}"))
}
