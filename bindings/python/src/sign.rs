//! `hookseal.sign`: the headers a real delivery of a body carries, for tests and demos.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::error::config_error;
use crate::{options, Body};

/// Signs `body` as `provider` would and returns the delivery's headers as a dict.
#[pyfunction]
#[pyo3(signature = (provider, body, **options))]
pub(crate) fn sign<'py>(
    py: Python<'py>,
    provider: &str,
    body: &Bound<'py, PyAny>,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyDict>> {
    let body = Body::extract(body)?;
    let options = options::sign_options(py, options)?;
    let headers = hookseal::sign(provider, body.as_bytes(), &options).map_err(|e| config_error(py, &e))?;
    let dict = PyDict::new(py);
    for (name, value) in headers {
        dict.set_item(name, value)?;
    }
    Ok(dict)
}
