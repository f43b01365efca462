//! Verified JSON text (`data`, `metadata`) as plain Python values: the values `json.loads` gives (dict, list, str,
//! int of any size, float, bool, None; key order kept), built straight from the text with the core's parser. (jiter's
//! own `python` feature needs the full C API, which an abi3-py39 wheel does not have.)
//!
//! Building Python objects is most of the cost of a delivery, so short object keys come from a cache: deliveries of
//! one provider repeat the same keys, and a cached `str` also keeps its hash, which every dict insertion needs. Like
//! pydantic-core's (jiter's) string cache, it is a fixed table indexed by a hash of the text: a collision replaces the
//! entry, so it never grows past its size and never slows down. Values are never cached: they are patient data, which
//! must not outlive the request in a process-wide table.

use std::hash::BuildHasher;
use std::sync::{Mutex, TryLockError};

use jiter::{Jiter, JiterError, Peek};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};

use crate::error::verification;

/// A JSON value as Python objects. The text was validated by the core (one value, nesting bounded), so a parse error
/// here would be a bug; it is still reported as `invalid_json`, never a panic.
pub(crate) fn to_python<'py>(py: Python<'py>, json: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let mut guard = lock_cache();
    let mut builder = Builder { py, cache: guard.as_deref_mut() };
    let mut jiter = Jiter::new(json);
    let peek = jiter.peek().map_err(|e| invalid(py, e))?;
    let value = builder.walk(&mut jiter, peek)?;
    jiter.finish().map_err(|e| invalid(py, e))?;
    Ok(value)
}

/// A short string that repeats from delivery to delivery (a provider's name, an event type) from the same cache.
pub(crate) fn repeated_str<'py>(py: Python<'py>, text: &str) -> Bound<'py, PyString> {
    match lock_cache() {
        Some(mut cache) => cache.get(py, text),
        None => PyString::new(py, text),
    }
}

/// The cache, unless it is in use. The GIL serialises callers already, so the lock is only held elsewhere if a
/// destructor run while building re-enters hookseal; then strings are simply made afresh. The table holds no
/// invariant a panic could break, so a poisoned lock is taken back.
fn lock_cache() -> Option<std::sync::MutexGuard<'static, StringCache>> {
    match CACHE.try_lock() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

fn invalid(py: Python<'_>, error: JiterError) -> PyErr {
    verification(py, hookseal::ErrorCode::InvalidJson, &error.to_string())
}

struct Builder<'py, 'c> {
    py: Python<'py>,
    cache: Option<&'c mut StringCache>,
}

impl<'py> Builder<'py, '_> {
    fn walk(&mut self, jiter: &mut Jiter<'_>, peek: Peek) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let invalid = |e| invalid(py, e);
        Ok(match peek {
            Peek::Null => {
                jiter.known_null().map_err(invalid)?;
                py.None().into_bound(py)
            }
            Peek::True | Peek::False => PyBool::new(py, jiter.known_bool(peek).map_err(invalid)?).to_owned().into_any(),
            Peek::String => PyString::new(py, jiter.known_str().map_err(invalid)?).into_any(),
            Peek::Array => {
                // Collected first, so the list is made at its final size and takes the items over without
                // touching their reference counts.
                let mut items = Vec::new();
                let mut next = jiter.known_array().map_err(invalid)?;
                while let Some(peek) = next {
                    items.push(self.walk(jiter, peek)?);
                    next = jiter.array_step().map_err(invalid)?;
                }
                PyList::new(py, items)?.into_any()
            }
            Peek::Object => {
                let dict = PyDict::new(py);
                // The key is made into a `str` before the parser moves on: the `&str` borrows its scratch space.
                let mut key = jiter.known_object().map_err(invalid)?.map(|k| self.key(k));
                while let Some(name) = key {
                    let peek = jiter.peek().map_err(invalid)?;
                    dict.set_item(name, self.walk(jiter, peek)?)?;
                    key = jiter.next_key().map_err(invalid)?.map(|k| self.key(k));
                }
                dict.into_any()
            }
            _ => number(py, jiter.known_number_bytes(peek).map_err(invalid)?)?,
        })
    }

    fn key(&mut self, text: &str) -> Bound<'py, PyString> {
        match self.cache.as_deref_mut() {
            Some(cache) => cache.get(self.py, text),
            None => PyString::new(self.py, text),
        }
    }
}

/// A JSON number as `json.loads` reads it: an int (any size) without fraction or exponent, else a float.
fn number<'py>(py: Python<'py>, text: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let text = std::str::from_utf8(text).unwrap_or_default();
    if text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
        let float =
            text.parse::<f64>().map_err(|e| verification(py, hookseal::ErrorCode::InvalidJson, &e.to_string()))?;
        return Ok(PyFloat::new(py, float).into_any());
    }
    match text.parse::<i64>() {
        Ok(int) => Ok(int.into_pyobject(py)?.into_any()),
        // Past 64 bits: Python's int() keeps every digit, as json.loads does.
        Err(_) => py.get_type::<PyInt>().call1((text,)),
    }
}

/// Keys up to this many bytes are cached (longer ones are rarely repeated).
const CACHED_MAX_LEN: usize = 32;
/// Entries in the table: at most 4096 short keys, under 200 KiB with their texts (small enough to stay in cache).
const CACHE_SIZE: usize = 4096;

static CACHE: Mutex<StringCache> = Mutex::new(StringCache { entries: Vec::new() });
const HASHER: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0x6b6f_6f68_6c61_6573);

struct Entry {
    len: u8,
    text: [u8; CACHED_MAX_LEN],
    string: Py<PyString>,
}

struct StringCache {
    /// Empty until first used, then `CACHE_SIZE` slots.
    entries: Vec<Option<Entry>>,
}

impl StringCache {
    fn get<'py>(&mut self, py: Python<'py>, text: &str) -> Bound<'py, PyString> {
        if text.len() > CACHED_MAX_LEN {
            return PyString::new(py, text);
        }
        if self.entries.is_empty() {
            self.entries.resize_with(CACHE_SIZE, || None);
        }
        let index = (HASHER.hash_one(text.as_bytes()) as usize) % CACHE_SIZE;
        let Some(slot) = self.entries.get_mut(index) else { return PyString::new(py, text) };
        if let Some(entry) = slot {
            if entry.text.get(..usize::from(entry.len)) == Some(text.as_bytes()) {
                return entry.string.bind(py).clone();
            }
        }
        let string = PyString::new(py, text);
        let mut stored = [0u8; CACHED_MAX_LEN];
        stored[..text.len()].copy_from_slice(text.as_bytes());
        // `text.len() <= CACHED_MAX_LEN` fits in a u8. The entry replaced, if any, is released here, with the GIL held.
        *slot = Some(Entry { len: text.len() as u8, text: stored, string: string.clone().unbind() });
        string
    }
}
