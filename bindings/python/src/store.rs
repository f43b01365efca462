//! `hookseal.Store` and `hookseal.Claim`: the dedupe store of `crates/hookseal-store` (docs/exactly-once.md). Every
//! store call runs with the GIL released: SQLite may wait for another process's lock and Redis for the network (both
//! bounded by the core's timeouts), and meanwhile the other threads of a gunicorn worker keep running.

use std::borrow::Cow;
use std::sync::Arc;

use hookseal_store::{ClaimOutcome, StoreOptions};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyFloat, PyInt, PyString};

use crate::error::{invalid_option, store_error};

/// A dedupe store opened from a URL (`memory:`, `sqlite:///path.db`, `redis://…`), shared by every thread.
#[pyclass(frozen, module = "hookseal", name = "Store")]
pub struct Store {
    inner: Arc<hookseal_store::Store>,
}

#[pymethods]
impl Store {
    #[new]
    #[pyo3(signature = (url, *, lease = None, retention = None))]
    fn new(
        py: Python<'_>,
        url: &str,
        lease: Option<&Bound<'_, PyAny>>,
        retention: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let options = StoreOptions::from_seconds(seconds(py, "lease", lease)?, seconds(py, "retention", retention)?)
            .map_err(|e| store_error(py, &e))?;
        // Opening only parses: the file or server is reached on the first claim.
        let inner = hookseal_store::Store::open(url, &options).map_err(|e| store_error(py, &e))?;
        Ok(Self { inner: Arc::new(inner) })
    }

    /// Claims `key` in `namespace`: `claimed` (process it), `duplicate` (done) or `in_progress` (another worker).
    fn claim(&self, py: Python<'_>, namespace: &str, key: &Bound<'_, PyAny>) -> PyResult<Claim> {
        let key = key_bytes(key)?;
        let store = &self.inner;
        let outcome = py.detach(|| store.claim(namespace, &key)).map_err(|e| store_error(py, &e))?;
        Ok(Claim { namespace: namespace.to_owned(), outcome })
    }

    /// Marks a claimed key done; False if the claim no longer held it (its lease ran out).
    fn complete(&self, py: Python<'_>, claim: &Claim) -> PyResult<bool> {
        let (store, held) = (&self.inner, claim.held("complete")?);
        py.detach(|| store.complete(held)).map_err(|e| store_error(py, &e))
    }

    /// Forgets a claimed key so that the provider's retry is processed; False if the claim no longer held it.
    fn release(&self, py: Python<'_>, claim: &Claim) -> PyResult<bool> {
        let (store, held) = (&self.inner, claim.held("release")?);
        py.detach(|| store.release(held)).map_err(|e| store_error(py, &e))
    }

    /// `memory`, `sqlite` or `redis`.
    #[getter]
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    /// The URL with any password replaced by `***`.
    #[getter]
    fn url(&self) -> &str {
        self.inner.describe()
    }

    /// Seconds a claim holds its key.
    #[getter]
    fn lease(&self) -> f64 {
        self.inner.lease().as_secs_f64()
    }

    /// Seconds a processed key is remembered.
    #[getter]
    fn retention(&self) -> f64 {
        self.inner.retention().as_secs_f64()
    }

    // The redacted URL only: never a password.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let url = PyString::new(py, self.inner.describe()).repr()?;
        Ok(format!("Store(backend='{}', url={})", self.inner.backend(), url.to_cow()?))
    }
}

/// What `Store.claim` found; a `claimed` one is handed back to `complete` or `release`.
#[pyclass(frozen, module = "hookseal", name = "Claim")]
pub struct Claim {
    #[pyo3(get)]
    namespace: String,
    outcome: ClaimOutcome,
}

impl Claim {
    fn held(&self, operation: &str) -> PyResult<&hookseal_store::Claim> {
        match &self.outcome {
            ClaimOutcome::Claimed(claim) => Ok(claim),
            other => Err(PyValueError::new_err(format!(
                "only a claim whose status is 'claimed' can be given to {operation}(), not '{}'",
                other.status().as_str()
            ))),
        }
    }
}

#[pymethods]
impl Claim {
    /// `claimed`, `duplicate` or `in_progress`.
    #[getter]
    fn status(&self) -> &'static str {
        self.outcome.status().as_str()
    }

    /// For `in_progress`, the seconds left on the other worker's lease (at least 1); otherwise None.
    #[getter]
    fn retry_after(&self) -> Option<u64> {
        self.outcome.retry_after_seconds()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let namespace = PyString::new(py, &self.namespace).repr()?;
        let retry = self.retry_after().map(|s| format!(", retry_after={s}")).unwrap_or_default();
        Ok(format!("Claim(status='{}', namespace={}{retry})", self.status(), namespace.to_cow()?))
    }
}

/// A key as the store digests it: `bytes` as they are, a `str` as its UTF-8 bytes.
fn key_bytes<'a>(key: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(bytes) = key.cast::<PyBytes>() {
        return Ok(Cow::Borrowed(bytes.as_bytes()));
    }
    if let Ok(text) = key.cast::<PyString>() {
        return Ok(match text.to_cow()? {
            Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
            Cow::Owned(text) => Cow::Owned(text.into_bytes()),
        });
    }
    Err(PyTypeError::new_err(format!("key must be str or bytes, not {}", key.get_type().name()?)))
}

/// A lease or retention as given: None, or seconds as an int or a float (a bool or anything else is
/// `invalid_option`, as in every binding).
fn seconds(py: Python<'_>, name: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<f64>> {
    let Some(value) = value.filter(|v| !v.is_none()) else { return Ok(None) };
    let number =
        !value.is_instance_of::<PyBool>() && (value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>());
    match value.extract::<f64>() {
        Ok(seconds) if number => Ok(Some(seconds)),
        _ => Err(invalid_option(py, &format!("{name} must be a number of seconds (int or float)"))),
    }
}
