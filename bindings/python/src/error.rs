//! The core's errors as the Python classes of `hookseal/_errors.py` (carrying `.code`): subclasses of `ValueError`,
//! except `StoreError` (the store could not be reached: the input is not at fault).
//! The classes are plain Python because the stable ABI cannot subclass exceptions from Rust before 3.12.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

static VERIFICATION_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static CONFIG_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static STORE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `hookseal.VerificationError` for a delivery that failed.
pub(crate) fn verification_error(py: Python<'_>, err: &hookseal::VerifyError) -> PyErr {
    verification(py, err.code(), err.message())
}

/// `hookseal.VerificationError` with a code and message of the binding's own.
pub(crate) fn verification(py: Python<'_>, code: hookseal::ErrorCode, message: &str) -> PyErr {
    build(py, &VERIFICATION_ERROR, "VerificationError", code, message)
}

/// `hookseal.ConfigError` for options a verifier (or `sign`) cannot be built from.
pub(crate) fn config_error(py: Python<'_>, err: &hookseal::ConfigError) -> PyErr {
    build(py, &CONFIG_ERROR, "ConfigError", err.code(), err.message())
}

/// A store's error by its code: `hookseal.StoreError` (`store_unavailable`) or `hookseal.ConfigError`
/// (`invalid_option`: a malformed URL, a bad lease or namespace).
pub(crate) fn store_error(py: Python<'_>, err: &hookseal_store::StoreError) -> PyErr {
    if err.code().is_config() {
        build(py, &CONFIG_ERROR, "ConfigError", err.code(), err.message())
    } else {
        build(py, &STORE_ERROR, "StoreError", err.code(), err.message())
    }
}

/// `hookseal.ConfigError(invalid_option)` for an argument of the wrong type, refused before the core sees it.
pub(crate) fn invalid_option(py: Python<'_>, message: &str) -> PyErr {
    let code = hookseal::ErrorCode::InvalidOption;
    build(py, &CONFIG_ERROR, "ConfigError", code, message)
}

fn build(
    py: Python<'_>,
    class: &PyOnceLock<Py<PyType>>,
    name: &str,
    code: hookseal::ErrorCode,
    message: &str,
) -> PyErr {
    let instance = class
        .import(py, "hookseal._errors", name)
        .and_then(|class| class.call1((code.as_str(), message, code.http_status())));
    match instance {
        Ok(instance) => PyErr::from_value(instance),
        Err(err) => err,
    }
}

/// The HTTP status for an error code (`ErrorCode::http_status`), for errors raised from Python (`hookseal._errors`).
#[pyfunction]
#[pyo3(name = "_http_status")]
pub(crate) fn http_status(code: &str) -> PyResult<u16> {
    hookseal::ErrorCode::from_code(code)
        .map(hookseal::ErrorCode::http_status)
        .ok_or_else(|| pyo3::exceptions::PyValueError::new_err("not one of hookseal's error codes"))
}
