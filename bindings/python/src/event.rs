//! The verified event as a Python object: every field converted once, `data` and `metadata` as plain Python values.

use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::json::{repeated_str, to_python};

/// A delivery that passed verification (../shared/PROVIDERS.md, "The verified event").
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
