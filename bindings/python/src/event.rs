//! The verified event as a Python object: every field converted once, `data` and `metadata` as plain Python values.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::json::{repeated_str, to_python};

/// A delivery that passed verification (docs/providers.md, "The verified event").
#[pyclass(frozen, module = "hookseal", name = "Event")]
pub struct Event {
    #[pyo3(get)]
    provider: Py<PyString>,
    #[pyo3(get)]
    event_type: Option<Py<PyString>>,
    #[pyo3(get)]
    idempotency_key: Py<PyString>,
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

impl Event {
    pub(crate) fn new(py: Python<'_>, event: &hookseal::Event<'_>) -> PyResult<Self> {
        let text = |s: &str| PyString::new(py, s).unbind();
        let json = |raw: hookseal::RawJson<'_>| -> PyResult<Py<PyAny>> {
            let raw = raw.get();
            // The core has validated this text; a failure here would be a bug, reported as the contract's code.
            to_python(py, raw.as_bytes()).map(Bound::unbind)
        };
        Ok(Self {
            provider: repeated_str(py, event.provider().as_str()).unbind(),
            event_type: event.event_type().map(|t| repeated_str(py, t).unbind()),
            idempotency_key: text(event.idempotency_key()),
            idempotency_key_source: repeated_str(py, event.idempotency_key_source().as_str()).unbind(),
            timestamp: event.timestamp().map(text),
            data: json(event.data())?,
            is_test: event.is_test(),
            is_retry: event.is_retry(),
            metadata: event.metadata().map(json).transpose()?,
            clinic_id: event.clinic_id().map(text),
        })
    }
}

#[pymethods]
impl Event {
    /// The ten fields under their snake_case names, as PHP's `toArray()` and the CLI give them: ready for
    /// `json.dumps`, a queue or a database row. `data` and `metadata` are the event's own objects, not copies.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("provider", &self.provider)?;
        dict.set_item("event_type", &self.event_type)?;
        dict.set_item("idempotency_key", &self.idempotency_key)?;
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
            repr(Some(&self.idempotency_key))?,
            repr(Some(&self.idempotency_key_source))?,
            if self.is_test { "True" } else { "False" },
            if self.is_retry { "True" } else { "False" },
        ))
    }
}
