//! The native module `hookseal._hookseal`: converts Python values, calls the core (`crates/hookseal`), maps the result
//! (bindings/README.md, "Conventions"). Files mirror the core's modules; the public surface is docs/api.md.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};

mod error;
mod event;
mod headers;
mod json;
mod options;
mod sign;
mod store;
mod verifier;

/// A body as the core reads it: `bytes` borrowed as they are; a `bytearray` copied once, a `memoryview` turned into
/// `bytes` once (the stable ABI for Python 3.9 has no buffer protocol).
pub(crate) enum Body<'py> {
    Borrowed(Bound<'py, PyBytes>),
    Copied(Vec<u8>),
}

impl<'py> Body<'py> {
    pub(crate) fn extract(body: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(bytes) = body.cast::<PyBytes>() {
            return Ok(Body::Borrowed(bytes.clone()));
        }
        if body.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err(
                "body must be the raw bytes of the request, not str: a decoded and re-encoded body no longer matches \
                 its signature (use request.get_data() in Flask, await request.body() in FastAPI)",
            ));
        }
        if let Ok(array) = body.cast::<PyByteArray>() {
            return Ok(Body::Copied(array.to_vec()));
        }
        // memoryview and other buffers: the stable ABI before 3.11 has no buffer protocol, so ask Python for bytes.
        if body.hasattr(pyo3::intern!(body.py(), "tobytes"))? {
            let bytes = body.call_method0(pyo3::intern!(body.py(), "tobytes"))?;
            if let Ok(bytes) = bytes.cast::<PyBytes>() {
                return Ok(Body::Borrowed(bytes.clone()));
            }
        }
        Err(PyTypeError::new_err(format!(
            "body must be bytes, bytearray or memoryview, not {}",
            body.get_type().name()?
        )))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Body::Borrowed(bytes) => bytes.as_bytes(),
            Body::Copied(bytes) => bytes,
        }
    }
}

#[pymodule]
fn _hookseal(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<verifier::Verifier>()?;
    m.add_class::<event::Event>()?;
    m.add_class::<store::Store>()?;
    m.add_class::<store::Claim>()?;
    m.add_function(wrap_pyfunction!(sign::sign, m)?)?;
    m.add_function(wrap_pyfunction!(error::http_status, m)?)?;
    m.add("_OPTION_NAMES", hookseal::Options::names().collect::<Vec<_>>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
