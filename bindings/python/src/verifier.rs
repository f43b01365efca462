//! `hookseal.Verifier`: built once from keyword options, shared across threads, `verify(body, headers, now=None)`.

use std::fmt::Write as _;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt};

use crate::error::{config_error, verification_error};
use crate::event::Event;
use crate::json::{self, Stop};
use crate::{headers, options, Body};

/// From this size on, the GIL is released while the core checks the headers and hashes the body, so other threads run
/// (the envelope is then parsed with it held, as `data` is built in the same pass). Below it, releasing and re-taking
/// the GIL would cost more than it frees.
pub(crate) const DETACH_FROM_BYTES: usize = 16 * 1024;

/// Verifies deliveries for one provider (docs/api.md).
#[pyclass(frozen, module = "hookseal", name = "Verifier")]
pub struct Verifier {
    inner: hookseal::Verifier,
}

#[pymethods]
impl Verifier {
    #[new]
    #[pyo3(signature = (provider, **options))]
    fn new(py: Python<'_>, provider: &str, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let options = options::verifier_options(py, options)?;
        let inner = hookseal::Verifier::new(provider, &options).map_err(|e| config_error(py, &e))?;
        Ok(Self { inner })
    }

    /// Verifies one delivery and returns its event, or raises `VerificationError`.
    #[pyo3(signature = (body, headers, now = None))]
    fn verify(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        headers: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Event> {
        let body = Body::extract(body)?;
        let owners = headers::extract(headers)?;
        let headers = headers::slices(&owners);
        let now = now.map(unix_seconds).transpose()?;
        let bytes = body.as_bytes();
        // A key that is the body's digest waits until it is read, on the `bytes` the event keeps; a copied body
        // (bytearray) has no `bytes` to keep, so its digest is computed here, with the GIL released too.
        let kept = match &body {
            Body::Borrowed(bytes) => Some(bytes),
            Body::Copied(_) => None,
        };
        // The size, the headers and the signature, with the GIL released for a large body; then the envelope, as the
        // fast builder makes `data` from what the core's scan reads while it validates it (one pass, not two).
        let authenticate = || self.inner.authenticate(bytes, &headers, now);
        let detach = bytes.len() >= DETACH_FROM_BYTES;
        let authenticated = if detach { py.detach(authenticate) } else { authenticate() };
        let authenticated = authenticated.map_err(|err| verification_error(py, &err))?;
        let (parsed, built) = json::build_while(py, bytes, |build| authenticated.parse_visiting(build));
        let (event, visited) = parsed.map_err(|err| verification_error(py, &err))?;
        let data = match built {
            Ok(data) if visited => Some(data),
            Err(Stop::Python(err)) => return Err(err),
            _ => None,
        };
        if kept.is_none() {
            // A copied body (bytearray) has no `bytes` for the event to keep: a key that is its digest is made now.
            let hash = || {
                event.idempotency_key();
            };
            if detach {
                py.detach(hash);
            } else {
                hash();
            }
        }
        Event::new(py, &event, kept, data)
    }

    /// The preset's name.
    #[getter]
    fn provider(&self) -> &'static str {
        self.inner.provider().as_str()
    }

    /// The body size limit in bytes.
    #[getter]
    fn max_body_bytes(&self) -> usize {
        self.inner.max_body_bytes()
    }

    // Secrets are never shown.
    fn __repr__(&self) -> String {
        let mut repr = String::from("Verifier(");
        let _ = write!(repr, "'{}', max_body_bytes={})", self.inner.provider().as_str(), self.inner.max_body_bytes());
        repr
    }
}

/// `now` as whole Unix seconds: an int, or a float such as `time.time()` (rounded down, as in every binding).
fn unix_seconds(now: &Bound<'_, PyAny>) -> PyResult<i64> {
    if now.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err("now must be Unix seconds (int or float), not bool"));
    }
    if now.is_instance_of::<PyInt>() {
        return now.extract::<i64>().map_err(|_| PyValueError::new_err("now is out of range"));
    }
    if let Ok(float) = now.cast::<PyFloat>() {
        return hookseal::seconds_from_float(float.value())
            .ok_or_else(|| PyValueError::new_err("now must be a finite number of seconds in range"));
    }
    Err(PyTypeError::new_err(format!("now must be Unix seconds (int or float), not {}", now.get_type().name()?)))
}
