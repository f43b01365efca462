//! The verified event as a Python object: every field converted once, `data` and `metadata` as plain Python values;
//! an idempotency key that is the body's digest only when first read, as the core computes it.

use std::sync::OnceLock;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use crate::json::{repeated_str, to_python};
use crate::verifier::DETACH_FROM_BYTES;

/// A delivery that passed verification (docs/providers.md, "The verified event").
#[pyclass(frozen, module = "hookseal", name = "Event")]
pub struct Event {
    #[pyo3(get)]
    provider: Py<PyString>,
    #[pyo3(get)]
    event_type: Option<Py<PyString>>,
    idempotency_key: Key,
    #[pyo3(get)]
    idempotency_key_source: Py<PyString>,
    #[pyo3(get)]
    timestamp: Option<Py<PyString>>,
    #[pyo3(get)]
    data: Py<PyAny>,
    #[pyo3(get)]
    is_test: bool,
    #[pyo3(get)]
    is_retry: bool,
    #[pyo3(get)]
    metadata: Option<Py<PyAny>>,
    #[pyo3(get)]
    clinic_id: Option<Py<PyString>>,
}

/// The idempotency key, or the body it is the digest of.
enum Key {
    Ready(Py<PyString>),
    /// `sha256:<hex>` of the body (ELMED's key, and that of a delivery without an id), hashed when first read: as in
    /// the core, a second pass over a large body is only paid by a handler that asks for the key. The event holds
    /// the body (a reference, not a copy) until then.
    BodyDigest {
        body: Py<PyBytes>,
        key: OnceLock<Py<PyString>>,
    },
}

impl Event {
    /// `body` is the delivery's body as Python `bytes` when the caller has them, so that a key which is the body's
    /// digest can wait until it is read; without it, the core's key is taken as it is.
    /// `data` is the event's `data` when the fast builder made it while the core validated it; otherwise it is
    /// built here.
    pub(crate) fn new<'py>(
        py: Python<'py>,
        event: &hookseal::Event<'_>,
        body: Option<&Bound<'py, PyBytes>>,
        data: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Self> {
        let text = |s: &str| PyString::new(py, s).unbind();
        let json = |raw: hookseal::RawJson<'_>| -> PyResult<Py<PyAny>> {
            // The core has validated this text; a failure here would be a bug, reported as the contract's code.
            to_python(py, &raw.get()).map(Bound::unbind)
        };
        Ok(Self {
            provider: repeated_str(py, event.provider().as_str()).unbind(),
            event_type: event.event_type().map(|t| repeated_str(py, t).unbind()),
            idempotency_key: match body {
                Some(body) if event.idempotency_key_source() == hookseal::KeySource::BodySha256 => {
                    Key::BodyDigest { body: body.clone().unbind(), key: OnceLock::new() }
                }
                _ => Key::Ready(text(event.idempotency_key())),
            },
            idempotency_key_source: repeated_str(py, event.idempotency_key_source().as_str()).unbind(),
            timestamp: event.timestamp().map(text),
            data: match data {
                Some(data) => data.unbind(),
                None => json(event.data())?,
            },
            is_test: event.is_test(),
            is_retry: event.is_retry(),
            metadata: event.metadata().map(json).transpose()?,
            clinic_id: event.clinic_id().map(text),
        })
    }
}

#[pymethods]
impl Event {
    /// The key to deduplicate deliveries by.
    #[getter]
    fn idempotency_key<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        let (body, cell) = match &self.idempotency_key {
            Key::Ready(key) => return key.bind(py).clone(),
            Key::BodyDigest { body, key } => (body, key),
        };
        if let Some(key) = cell.get() {
            return key.bind(py).clone();
        }
        // Not under the cell's lock: a large body is hashed with the GIL released, and another thread reading the
        // key meanwhile computes the same text.
        let key = body_digest_key(py, body.bind(py));
        let _ = cell.set(key.clone().unbind());
        key
    }

    /// The ten fields under their snake_case names, as PHP's `toArray()` and the CLI give them: ready for
    /// `json.dumps`, a queue or a database row. `data` and `metadata` are the event's own objects, not copies.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("provider", &self.provider)?;
        dict.set_item("event_type", &self.event_type)?;
        dict.set_item("idempotency_key", self.idempotency_key(py))?;
        dict.set_item("idempotency_key_source", &self.idempotency_key_source)?;
        dict.set_item("timestamp", &self.timestamp)?;
        dict.set_item("data", &self.data)?;
        dict.set_item("is_test", self.is_test)?;
        dict.set_item("is_retry", self.is_retry)?;
        dict.set_item("metadata", &self.metadata)?;
        dict.set_item("clinic_id", &self.clinic_id)?;
        Ok(dict)
    }

    // Identifies the delivery without showing its payload (patient data) or metadata.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let repr = |value: Option<&Py<PyString>>| -> PyResult<String> {
            match value {
                Some(s) => Ok(s.bind(py).repr()?.to_cow()?.into_owned()),
                None => Ok("None".to_owned()),
            }
        };
        Ok(format!(
            "Event(provider={}, event_type={}, idempotency_key={}, idempotency_key_source={}, is_test={}, is_retry={})",
            repr(Some(&self.provider))?,
            repr(self.event_type.as_ref())?,
            repr(Some(&self.idempotency_key(py).unbind()))?,
            repr(Some(&self.idempotency_key_source))?,
            if self.is_test { "True" } else { "False" },
            if self.is_retry { "True" } else { "False" },
        ))
    }
}

/// `sha256:<hex>` of the body, the contract's body-digest key (docs/providers.md), made by the core
/// (`hookseal::body_digest_key`: its event, which would make it, borrows the body and so cannot outlive `verify`). A
/// large body is hashed with the GIL released, as `verify` does.
fn body_digest_key<'py>(py: Python<'py>, body: &Bound<'py, PyBytes>) -> Bound<'py, PyString> {
    let bytes = body.as_bytes();
    let hash = || hookseal::body_digest_key(bytes);
    let key = if bytes.len() >= DETACH_FROM_BYTES { py.detach(hash) } else { hash() };
    PyString::new(py, &key)
}
