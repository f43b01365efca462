//! Verified JSON text (`data`, `metadata`) as plain Python values: the values `json.loads` gives (dict, list, str,
//! int of any size, float, bool, None; key order kept, the last of duplicate keys winning).
//!
//! Building Python objects is most of the cost of a delivery, so it has a fast path of its own, which does not parse:
//! the core's scan, as it validates `data` during `verify` (`hookseal::Authenticated::parse_visiting`), tells the
//! fast builder ([`Build`]) each key, string, number and bracket it reads, and the builder makes the objects in the
//! same pass: integers and plain decimals without a general parser, lists and dicts filled through the C API
//! directly. The core stays the only judge of the text; the builder trusts what it is told. Whatever the scan is not
//! sure of (a `\u` escape of a surrogate, nesting past 128, anything malformed) it leaves to jiter, and then the text
//! is built again by the general builder ([`Builder`], over jiter, the core's parser), which gives the same values
//! or names the error. `metadata` (and a `data` that is the whole body) are built the same way after `verify`.
//!
//! jiter's own `python` feature (`PythonParse`, pydantic's builder) fits this crate's pyo3, but measured here it was
//! no faster than the general builder: it is the same parser and, under the stable ABI (abi3-py39), the same
//! `PyUnicode_FromStringAndSize` for every string; what costs is parsing again what the core just validated.
//!
//! Short object keys come from a cache: deliveries of one provider repeat the same keys, and a cached `str` also keeps
//! its hash, which every dict insertion needs. Like pydantic-core's (jiter's) string cache, it is a fixed table indexed
//! by a hash of the text: a collision replaces the entry, so it never grows past its size and never slows down. Values
//! are never cached: they are patient data, which must not outlive the request in a process-wide table.

use std::sync::{Mutex, TryLockError};

use jiter::{Jiter, JiterError, Peek};
use pyo3::exceptions::PyRuntimeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};

use crate::error::verification;

/// A JSON value as Python objects. The text was validated by the core (one value, nesting bounded), so a parse error
/// here would be a bug; it is still reported as `invalid_json`, never a panic.
pub(crate) fn to_python<'py>(py: Python<'py>, json: &str) -> PyResult<Bound<'py, PyAny>> {
    let (end, built) = build_while(py, json.as_bytes(), |build| hookseal::visit_json(json, build));
    let whole = end
        .and_then(|end| json.get(end..))
        .is_some_and(|rest| rest.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')));
    match built {
        Ok(value) if whole => return Ok(value),
        Err(Stop::Python(err)) => return Err(err),
        _ => {}
    }
    let mut guard = lock_cache();
    let mut builder = Builder { py, keys: guard.as_deref_mut().map(|strings| &mut strings.keys) };
    let mut jiter = Jiter::new(json.as_bytes());
    let peek = jiter.peek().map_err(|e| invalid(py, e))?;
    let value = builder.walk(&mut jiter, peek)?;
    jiter.finish().map_err(|e| invalid(py, e))?;
    Ok(value)
}

/// Runs `walk` (the core's scan of a value in `text`, told to this builder), then gives its answer and the value
/// built: `Ok` if the scan told the builder a whole value, `Err(Stop::Python)` if building it raised, else
/// `Err(Stop::Unsure)` (the scan stopped: not sure of the text, or not a container).
pub(crate) fn build_while<'py, T>(
    py: Python<'py>,
    text: &[u8],
    walk: impl FnOnce(&mut Build<'py, '_, '_>) -> T,
) -> (T, Built<'py>) {
    let mut guard = lock_cache();
    let mut build = Build::new(py, text, guard.as_deref_mut().map(Values));
    let answer = walk(&mut build);
    (answer, build.finish())
}

/// A short string that repeats from delivery to delivery (a provider's name, an event type) from the same cache.
pub(crate) fn repeated_str<'py>(py: Python<'py>, text: &str) -> Bound<'py, PyString> {
    match lock_cache() {
        Some(mut cache) => cache.keys.get(py, text.as_bytes()).map_or_else(|| PyString::new(py, text), |(s, _)| s),
        None => PyString::new(py, text),
    }
}

/// The cache, unless it is in use. The GIL serialises callers already, so the lock is only held elsewhere if a
/// destructor run while building re-enters hookseal; then strings are simply made afresh. The table holds no
/// invariant a panic could break, so a poisoned lock is taken back.
fn lock_cache() -> Option<std::sync::MutexGuard<'static, Strings>> {
    match CACHE.try_lock() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

fn invalid(py: Python<'_>, error: JiterError) -> PyErr {
    verification(py, hookseal::ErrorCode::InvalidJson, &error.to_string())
}

// --- The fast builder ------------------------------------------------------------------------------------------

/// Why the fast builder stopped: not sure of the text (build it again with the general builder), or a Python error
/// (out of memory), which is the answer.
pub(crate) enum Stop {
    Unsure,
    Python(PyErr),
}

impl From<PyErr> for Stop {
    fn from(err: PyErr) -> Self {
        Stop::Python(err)
    }
}

pub(crate) type Built<'py, T = PyAny> = Result<Bound<'py, T>, Stop>;

/// The fast builder: told by the core's scan (`hookseal::Visit`) what it reads, as it validates, it makes the
/// objects in the same pass. It trusts what it is told (the core is the judge): a value is only taken when the scan
/// answered that it is whole and valid ([`build_while`]); otherwise what was built is dropped.
pub(crate) struct Build<'py, 'j, 'c> {
    py: Python<'py>,
    text: &'j [u8],
    strings: Option<Values<'c>>,
    /// Whether short values are looked up in `strings` too.
    share_values: bool,
    /// Whether the next value, if a string, is looked up: not where the template's key has had new values.
    share_next: bool,
    /// Whether the last value looked up was there already.
    shared: Option<bool>,
    /// The containers being built, innermost last.
    open: Vec<Open<'py>>,
    /// The items of every open array, innermost last: one vector for the whole value, so no array allocates its own.
    items: Vec<Bound<'py, PyAny>>,
    /// A string with escapes, decoded.
    scratch: Vec<u8>,
    /// Per depth, the last object with enough keys, all from the cache: the shape the next one likely has.
    templates: Vec<Option<Template<'py>>>,
    /// A vector for an object's keys, kept between objects.
    spare_keys: Vec<Known>,
    /// The value, once whole.
    value: Option<Bound<'py, PyAny>>,
    /// What stopped the build, if it was Python (out of memory, an integer past the interpreter's limit).
    error: Option<PyErr>,
}

/// A container being built.
enum Open<'py> {
    /// An array; its items so far are `items[first..]`.
    Array {
        first: usize,
    },
    Object(Object<'py>),
}

/// An object being built. Records in a list usually have the keys of the one before, in the same order: then the
/// dict is a copy of that one ([`Template`]) with each value replaced, which costs CPython less than growing a new
/// dict key by key (no resize, no rehash). The keys are compared as objects, so only keys from the cache can match.
struct Object<'py> {
    dict: Bound<'py, PyAny>,
    template: Option<Template<'py>>,
    /// Whether every key so far is the template's key at its place.
    following: bool,
    /// This object's keys, for the next one, unless it follows the template to the end.
    keys: Vec<Known>,
    all_cached: bool,
    count: usize,
    /// The key whose value comes next.
    key: Option<Key<'py>>,
}

/// The key whose value comes next in an object.
enum Key<'py> {
    /// The template's key at this place, the same text: its `str` is in the template's dict, which the object holds,
    /// so it needs neither a reference of its own nor a look in the cache.
    Template,
    /// Another key, with its [`KeyText`] if it came from the cache.
    Other(Bound<'py, PyString>, Option<KeyText>),
}

/// Objects with fewer keys than this are built key by key: CPython's first dict size holds five without a resize.
const TEMPLATE_MIN_KEYS: usize = 6;

/// An object's dict and its keys in order, for the next object at its depth.
struct Template<'py> {
    dict: Bound<'py, PyAny>,
    keys: Vec<Known>,
}

/// A short key's length and [`words_of`].
type KeyText = (usize, [u64; 4]);

/// A key of a template: a cached `str` (borrowed: the template's dict holds it) and its text as [`words_of`], so the
/// next record's key is recognised without a look in the cache.
#[derive(Clone, Copy)]
struct Known {
    key: *mut ffi::PyObject,
    len: usize,
    words: [u64; 4],
    /// How many of this key's string values in a row were new to the values table: from [`NEW_VALUES_TO_STOP`] on,
    /// as with an id, its values are no longer looked up (each look would only evict a value that repeats).
    misses: u8,
}

/// Enough new values in a row to tell a key of ids from one of a few values that each come for the first time (the
/// products of an order's lines).
const NEW_VALUES_TO_STOP: u8 = 16;

/// `PyDict_SetItem`: the last of duplicate keys replaces the value in the first one's place, as in json.loads.
///
/// # Safety
/// `key` is a live `str` (borrowed: the caller keeps it alive through the call).
#[inline(always)]
unsafe fn set_item<'py>(
    py: Python<'py>,
    dict: &Bound<'py, PyAny>,
    key: *mut ffi::PyObject,
    value: &Bound<'py, PyAny>,
) -> PyResult<()> {
    // SAFETY: all three are alive (`key` by the caller's contract) and the GIL is held; PyDict_SetItem takes its own
    // references.
    if unsafe { ffi::PyDict_SetItem(dict.as_ptr(), key, value.as_ptr()) } != 0 {
        return Err(PyErr::fetch(py));
    }
    Ok(())
}

/// A new dict of `keys` (in order) with their values in `from`.
fn rebuilt<'py>(py: Python<'py>, from: &Bound<'py, PyAny>, keys: &[Known]) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: the GIL is held; a null (out of memory) becomes the Python error.
    let dict = unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyDict_New()) }?;
    for &Known { key, .. } in keys {
        // SAFETY: `from` is a dict holding `key` (a str, so the lookup cannot raise), alive with it; the value is
        // borrowed only until PyDict_SetItem takes its own reference.
        let value = unsafe { ffi::PyDict_GetItem(from.as_ptr(), key) };
        if value.is_null() || unsafe { ffi::PyDict_SetItem(dict.as_ptr(), key, value) } != 0 {
            return Err(PyErr::take(py).unwrap_or_else(|| PyRuntimeError::new_err("a template key went missing")));
        }
    }
    Ok(dict)
}

/// A new, empty dict.
fn new_dict(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    // SAFETY: the GIL is held; a null (out of memory) becomes the Python error.
    unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyDict_New()) }
}

impl hookseal::Visit for Build<'_, '_, '_> {
    fn open(&mut self, object: bool) -> bool {
        self.share_next = true;
        let pushed = if object {
            self.open_object()
        } else {
            self.open.push(Open::Array { first: self.items.len() });
            Ok(())
        };
        self.went(pushed)
    }

    fn close(&mut self, _object: bool) -> bool {
        let closed = match self.open.pop() {
            Some(Open::Array { first }) => self.close_array(first),
            Some(Open::Object(object)) => self.close_object(object),
            None => Err(Stop::Unsure),
        };
        let put = closed.and_then(|value| self.put(value));
        self.went(put)
    }

    fn empty(&mut self, object: bool) -> bool {
        self.share_next = true;
        let py = self.py;
        let made = if object {
            new_dict(py)
        } else {
            // SAFETY: the GIL is held; a null (out of memory) becomes the Python error.
            unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyList_New(0)) }
        };
        let put = made.map_err(Stop::from).and_then(|value| self.put(value));
        self.went(put)
    }

    fn key(&mut self, start: usize, end: usize, escaped: bool) -> bool {
        let key = self.key_of(start, end, escaped);
        self.went(key)
    }

    fn string(&mut self, start: usize, end: usize, escaped: bool) -> bool {
        let share = std::mem::replace(&mut self.share_next, true);
        let made =
            if escaped { self.unescaped(start, end, false, share) } else { self.slice_str(start, end, false, share) };
        let put = made.and_then(|string| self.put(string.into_any()));
        self.went(put)
    }

    fn number(&mut self, start: usize, end: usize) -> bool {
        self.share_next = true;
        let put = self.number_of(start, end).and_then(|number| self.put(number));
        self.went(put)
    }

    fn literal(&mut self, first: u8) -> bool {
        self.share_next = true;
        let py = self.py;
        let value = match first {
            b't' => PyBool::new(py, true).to_owned().into_any(),
            b'f' => PyBool::new(py, false).to_owned().into_any(),
            _ => py.None().into_bound(py),
        };
        let put = self.put(value);
        self.went(put)
    }
}

impl<'py, 'j, 'c> Build<'py, 'j, 'c> {
    fn new(py: Python<'py>, text: &'j [u8], strings: Option<Values<'c>>) -> Self {
        let share_values = text.len() >= VALUES_FROM_BYTES;
        Self {
            py,
            text,
            strings,
            share_values,
            share_next: true,
            shared: None,
            open: Vec::new(),
            items: Vec::new(),
            scratch: Vec::new(),
            templates: Vec::new(),
            spare_keys: Vec::new(),
            value: None,
            error: None,
        }
    }

    /// The value, if the scan told the whole of one.
    fn finish(self) -> Built<'py> {
        match (self.error, self.value) {
            (Some(err), _) => Err(Stop::Python(err)),
            (None, Some(value)) if self.open.is_empty() => Ok(value),
            _ => Err(Stop::Unsure),
        }
    }

    /// Whether to go on: a Python error is kept for [`Build::finish`], and stops the scan.
    fn went(&mut self, done: Result<(), Stop>) -> bool {
        match done {
            Ok(()) => true,
            Err(Stop::Python(err)) => {
                self.error.get_or_insert(err);
                false
            }
            Err(Stop::Unsure) => false,
        }
    }

    /// A finished value, into the container it is in (or as the value, at the top).
    #[inline(always)]
    fn put(&mut self, value: Bound<'py, PyAny>) -> Result<(), Stop> {
        let shared = self.shared.take();
        let py = self.py;
        let object = match self.open.last_mut() {
            None => {
                self.value = Some(value);
                return Ok(());
            }
            Some(Open::Array { .. }) => {
                self.items.push(value);
                return Ok(());
            }
            Some(Open::Object(object)) => object,
        };
        let count = object.count;
        match object.key.take().ok_or(Stop::Unsure)? {
            Key::Template => {
                // `key_of` only answers this while the object follows its template, which has a key at `count`.
                let known = object.template.as_mut().and_then(|t| t.keys.get_mut(count)).ok_or(Stop::Unsure)?;
                if let Some(shared) = shared {
                    known.misses = if shared { 0 } else { known.misses.saturating_add(1) };
                }
                // SAFETY: the template's dict, which this object holds, holds this key.
                unsafe { set_item(py, &object.dict, known.key, &value) }?;
            }
            Key::Other(key, words) => {
                if object.following {
                    // Another shape: the keys so far into a new dict, in order, and on without the template.
                    let seen = object.template.as_ref().map_or(&[][..], |t| t.keys.get(..count).unwrap_or_default());
                    object.dict = rebuilt(py, &object.dict, seen)?;
                    object.keys.extend_from_slice(seen);
                    object.following = false;
                }
                // SAFETY: `key` is alive until the end of this block.
                unsafe { set_item(py, &object.dict, key.as_ptr(), &value) }?;
                match words {
                    Some((len, words)) => object.keys.push(Known { key: key.as_ptr(), len, words, misses: 0 }),
                    None => object.all_cached = false,
                }
            }
        }
        object.count += 1;
        Ok(())
    }

    /// Opens an object, made in its place on `open`: an `Object` returned through a `Result` was copied several
    /// times on the stack, one copy a store-forwarding stall.
    fn open_object(&mut self) -> Result<(), Stop> {
        let depth = self.open.len();
        let template = self.templates.get_mut(depth).and_then(Option::take);
        let dict = match &template {
            // SAFETY: the template is a dict, alive; the GIL is held; a null becomes the Python error.
            Some(template) => {
                unsafe { Bound::from_owned_ptr_or_err(self.py, ffi::PyDict_Copy(template.dict.as_ptr())) }?
            }
            None => new_dict(self.py)?,
        };
        let mut keys = std::mem::take(&mut self.spare_keys);
        keys.clear();
        let following = template.is_some();
        self.open.push(Open::Object(Object { dict, template, following, keys, all_cached: true, count: 0, key: None }));
        Ok(())
    }

    fn close_object(&mut self, object: Object<'py>) -> Built<'py> {
        let Object { mut dict, template, following, mut keys, all_cached, count, .. } = object;
        let depth = self.open.len();
        if let Some(template) = template {
            if following && template.keys.len() == count {
                // The same keys: the template stays.
                self.spare_keys = keys;
                self.set_template(depth, template);
                return Ok(dict);
            }
            if following {
                // Fewer keys than the template: the copy has the template's others too.
                let seen = template.keys.get(..count).unwrap_or_default();
                dict = rebuilt(self.py, &dict, seen)?;
                keys.extend_from_slice(seen);
            }
            self.spare_keys = template.keys;
        }
        // Only an object without a repeated key becomes a template: each of its keys is then the dict's own key
        // object, which the template's dict keeps alive (`Known` borrows it). A repeated key's second `str` may be
        // another object than the dict's first (the cache's slot replaced in between), held by nothing but the cache.
        // SAFETY: `dict` is a dict, alive; the GIL is held; PyDict_Size cannot fail on a dict.
        let distinct = unsafe { ffi::PyDict_Size(dict.as_ptr()) } == count as ffi::Py_ssize_t;
        if all_cached && distinct && count >= TEMPLATE_MIN_KEYS {
            self.set_template(depth, Template { dict: dict.clone(), keys });
        } else {
            self.spare_keys = keys;
        }
        Ok(dict)
    }

    fn close_array(&mut self, first: usize) -> Built<'py> {
        let len = self.items.len().checked_sub(first).ok_or(Stop::Unsure)?;
        // The list is made at its final size and takes the items over, without touching their reference counts.
        // SAFETY: the GIL is held; a null (out of memory) becomes the Python error.
        let list = unsafe { Bound::from_owned_ptr_or_err(self.py, ffi::PyList_New(len as ffi::Py_ssize_t)) }?;
        for (index, item) in self.items.drain(first..).enumerate() {
            // SAFETY: a new list of `len` empty slots, `index < len`: PyList_SetItem steals the item and cannot fail.
            unsafe { ffi::PyList_SetItem(list.as_ptr(), index as ffi::Py_ssize_t, item.into_ptr()) };
        }
        Ok(list)
    }

    fn set_template(&mut self, depth: usize, template: Template<'py>) {
        if self.templates.len() <= depth {
            self.templates.resize_with(depth + 1, || None);
        }
        if let Some(slot) = self.templates.get_mut(depth) {
            *slot = Some(template);
        }
    }

    /// The key between `start` and `end`, kept for its value: the template's key at this place when the text is the
    /// same (then the same text is the same object in the next record), else from the cache.
    fn key_of(&mut self, start: usize, end: usize, escaped: bool) -> Result<(), Stop> {
        let Some(Open::Object(object)) = self.open.last_mut() else {
            return Err(Stop::Unsure);
        };
        let len = end - start;
        let predicted =
            if object.following { object.template.as_ref().and_then(|t| t.keys.get(object.count)) } else { None };
        // The next record's keys, most of the time: compared by text (a template's keys are short, from the cache, so
        // `known.len == len` keeps `words_at` within its bound), nothing else made.
        if let Some(known) = predicted
            .filter(|known| !escaped && known.len == len && same_words(&known.words, &words_at(self.text, start, len)))
        {
            self.share_next = known.misses < NEW_VALUES_TO_STOP;
            object.key = Some(Key::Template);
            return Ok(());
        }
        self.share_next = predicted.map_or(true, |known| known.misses < NEW_VALUES_TO_STOP);
        let key = if escaped {
            Key::Other(self.unescaped(start, end, true, false)?, None) // escaped: made afresh
        } else if len > CACHED_MAX_LEN || self.strings.is_none() {
            Key::Other(self.slice_str(start, end, true, false)?, None)
        } else {
            let words = words_at(self.text, start, len);
            let raw = self.text.get(start..end).ok_or(Stop::Unsure)?;
            Key::Other(self.make_str(raw, words, true, false)?, Some((len, words)))
        };
        if let Some(Open::Object(object)) = self.open.last_mut() {
            object.key = Some(key);
        }
        Ok(())
    }

    /// The string of the text between `start` and `end` (no escapes).
    #[inline(always)]
    fn slice_str(&mut self, start: usize, end: usize, key: bool, share: bool) -> Built<'py, PyString> {
        let raw = self.text.get(start..end).ok_or(Stop::Unsure)?;
        let words = if raw.len() <= CACHED_MAX_LEN { words_at(self.text, start, raw.len()) } else { [0; 4] };
        self.make_str(raw, words, key, share)
    }

    /// The string of the text between `start` and `end`, with its escapes decoded.
    fn unescaped(&mut self, start: usize, end: usize, key: bool, share: bool) -> Built<'py, PyString> {
        self.unescape(start, end)?;
        let scratch = std::mem::take(&mut self.scratch);
        let words = words_of(scratch.get(..CACHED_MAX_LEN).unwrap_or(&scratch));
        let made = self.make_str(&scratch, words, key, share);
        self.scratch = scratch;
        made
    }

    /// A `str` of `raw`, whose [`words_of`] are `words` if it is short: a key from the key cache, a value of a large
    /// text from this build's values if `share` (the outcome in `shared`).
    #[inline(always)]
    fn make_str(&mut self, raw: &[u8], words: [u64; 4], key: bool, share: bool) -> Built<'py, PyString> {
        if raw.len() <= CACHED_MAX_LEN {
            if let Some(Values(strings)) = self.strings.as_mut() {
                if key {
                    if let Some((cached, _)) = strings.keys.get_with(self.py, raw, words) {
                        return Ok(cached);
                    }
                } else if self.share_values && share {
                    if let Some((shared, stored)) = strings.values.get_with(self.py, raw, words) {
                        self.shared = Some(stored.is_none());
                        strings.values_used.extend(stored);
                        return Ok(shared);
                    }
                }
            }
        }
        new_str(self.py, raw).ok_or(Stop::Unsure)
    }

    /// Decodes the string between `start` and `end` into `scratch`. The core has checked its escapes (valid, and no
    /// surrogate: those it leaves to jiter, and so the general builder).
    fn unescape(&mut self, start: usize, end: usize) -> Result<(), Stop> {
        let text = self.text.get(..end).ok_or(Stop::Unsure)?;
        self.scratch.clear();
        let mut i = start;
        while i < end {
            if at(text, i) == b'\\' {
                let byte = match at(text, i + 1) {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'u' => {
                        let ch = hex4(text, i + 2).and_then(char::from_u32).ok_or(Stop::Unsure)?;
                        let mut utf8 = [0u8; 4];
                        self.scratch.extend_from_slice(ch.encode_utf8(&mut utf8).as_bytes());
                        i += 6;
                        continue;
                    }
                    _ => return Err(Stop::Unsure),
                };
                self.scratch.push(byte);
                i += 2;
            } else {
                // To the next escape, or the end (the string holds no quote or control byte).
                let next = hookseal::next_special(text, i).min(end);
                self.scratch.extend_from_slice(text.get(i..next).ok_or(Stop::Unsure)?);
                i = next;
            }
        }
        Ok(())
    }

    /// The number between `start` and `end` as `json.loads` reads it: an int (any size) without fraction or
    /// exponent, else a float. The core has checked its grammar.
    fn number_of(&mut self, start: usize, end: usize) -> Built<'py> {
        let text = self.text.get(..end).ok_or(Stop::Unsure)?;
        let mut i = start;
        let negative = at(text, i) == b'-';
        if negative {
            i += 1;
        }
        // The digits of the integer and fraction parts as one integer; only read while there are at most 19.
        let mut mantissa: u64 = 0;
        let int_start = i;
        while let digit @ b'0'..=b'9' = at(text, i) {
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(digit - b'0'));
            i += 1;
        }
        let int_digits = i - int_start;
        let mut frac_digits = 0;
        let mut exponent: i64 = 0;
        let mut is_float = false;
        if at(text, i) == b'.' {
            is_float = true;
            i += 1;
            let frac_start = i;
            while let digit @ b'0'..=b'9' = at(text, i) {
                mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(digit - b'0'));
                i += 1;
            }
            frac_digits = i - frac_start;
        }
        if matches!(at(text, i), b'e' | b'E') {
            is_float = true;
            i += 1;
            let exp_negative = at(text, i) == b'-';
            if matches!(at(text, i), b'-' | b'+') {
                i += 1;
            }
            while let digit @ b'0'..=b'9' = at(text, i) {
                exponent = (exponent * 10 + i64::from(digit - b'0')).min(1 << 20); // far past any f64, no overflow
                i += 1;
            }
            if exp_negative {
                exponent = -exponent;
            }
        }
        if i != end {
            return Err(Stop::Unsure);
        }
        let py = self.py;
        if !is_float {
            if int_digits <= 18 {
                // At most 18 digits: below 2^63, so exact in an i64.
                let magnitude = mantissa as i64;
                let int = (if negative { -magnitude } else { magnitude }).into_pyobject(py);
                return Ok(int.unwrap_or_else(|never| match never {}).into_any());
            }
            let digits = std::str::from_utf8(text.get(start..i).ok_or(Stop::Unsure)?).map_err(|_| Stop::Unsure)?;
            return Ok(big_int(py, digits)?);
        }
        // Clinger's fast path: a mantissa below 2^53 and a power of ten up to 1e22 are both exact in an f64, so one
        // multiplication or division gives the correctly rounded value, as float() (and so json.loads) does.
        let e10 = exponent - frac_digits as i64;
        if int_digits + frac_digits <= 19 && mantissa <= 1 << 53 && (-22..=22).contains(&e10) {
            let power = POWERS_OF_TEN[e10.unsigned_abs() as usize];
            let magnitude = if e10 < 0 { mantissa as f64 / power } else { mantissa as f64 * power };
            return Ok(PyFloat::new(py, if negative { -magnitude } else { magnitude }).into_any());
        }
        let digits = std::str::from_utf8(text.get(start..i).ok_or(Stop::Unsure)?).map_err(|_| Stop::Unsure)?;
        let float = digits.parse::<f64>().map_err(|_| Stop::Unsure)?;
        Ok(PyFloat::new(py, float).into_any())
    }
}

const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// A byte of the text, or 0 past its end.
#[inline(always)]
fn at(text: &[u8], i: usize) -> u8 {
    text.get(i).copied().unwrap_or(0)
}

/// The four hex digits of a `\u` escape.
fn hex4(text: &[u8], i: usize) -> Option<u32> {
    let digits = std::str::from_utf8(text.get(i..i + 4)?).ok()?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

/// A `str` of UTF-8 bytes; `None` if they are not UTF-8 (never, for text the core checked), the error dropped: the
/// general builder then reports it.
fn new_str<'py>(py: Python<'py>, utf8: &[u8]) -> Option<Bound<'py, PyString>> {
    // SAFETY: the pointer and length describe `utf8`, alive for the call; the GIL is held. A null comes with a Python
    // error set, which is fetched (cleared) here.
    let made = unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            ffi::PyUnicode_FromStringAndSize(utf8.as_ptr().cast(), utf8.len() as ffi::Py_ssize_t),
        )
    };
    // SAFETY: PyUnicode_FromStringAndSize returns a str.
    made.ok().map(|any| unsafe { any.cast_into_unchecked() })
}

/// An integer past 64 bits: Python's int() keeps every digit, as json.loads does. One past the interpreter's limit on
/// digits (`sys.set_int_max_str_digits`, which an application may lower below the core's 4000) is the sender's
/// `invalid_json`, not a bare `ValueError` (which a receiver would answer 500, and the sender retry for ever).
fn big_int<'py>(py: Python<'py>, digits: &str) -> PyResult<Bound<'py, PyAny>> {
    match digits.parse::<i64>() {
        Ok(int) => Ok(int.into_pyobject(py).unwrap_or_else(|never| match never {}).into_any()),
        Err(_) => py.get_type::<PyInt>().call1((digits,)).map_err(|err| {
            if err.is_instance_of::<pyo3::exceptions::PyValueError>(py) {
                let message = format!(
                    "an integer of {} digits is past this interpreter's limit (sys.set_int_max_str_digits)",
                    digits.trim_start_matches('-').len()
                );
                verification(py, hookseal::ErrorCode::InvalidJson, &message)
            } else {
                err
            }
        }),
    }
}

// --- The general builder -----------------------------------------------------------------------------------------

struct Builder<'py, 'c> {
    py: Python<'py>,
    keys: Option<&'c mut Table>,
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
        match self.keys.as_deref_mut().and_then(|keys| keys.get(self.py, text.as_bytes())) {
            Some((cached, _)) => cached,
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
    big_int(py, text)
}

// --- The string tables ---------------------------------------------------------------------------------------------

/// Strings up to this many bytes are looked up (longer ones rarely repeat).
const CACHED_MAX_LEN: usize = 32;
/// Slots for keys: at most 4096 short keys, under 200 KiB with their texts (small enough to stay in cache).
const KEY_BITS: u32 = 12;
/// Slots for the values of one delivery.
const VALUE_BITS: u32 = 10;
/// Values are only looked up in a text at least this long: a small one has too few to repeat.
const VALUES_FROM_BYTES: usize = 4096;

static CACHE: Mutex<Strings> =
    Mutex::new(Strings { keys: Table::new(KEY_BITS), values: Table::new(VALUE_BITS), values_used: Vec::new() });

/// The strings shared between Python objects: keys across deliveries; short values within one delivery only.
struct Strings {
    keys: Table,
    /// Emptied at the end of every build ([`Values`]): values are patient data, which must not outlive the request in
    /// a process-wide table. Within one delivery a repeated value (a currency, a status, a product's name) is one
    /// `str`, as `str` objects are immutable.
    values: Table,
    /// The value slots filled during this build, to empty them (a slot filled twice is listed twice).
    values_used: Vec<usize>,
}

/// The value strings of one build, emptied when it ends (also on an error or a panic).
struct Values<'s>(&'s mut Strings);

impl Drop for Values<'_> {
    fn drop(&mut self) {
        let Strings { values, values_used, .. } = &mut *self.0;
        for index in values_used.drain(..) {
            if let Some(slot) = values.entries.get_mut(index) {
                *slot = None; // the table's reference is released here, with the GIL held
            }
        }
    }
}

struct Entry {
    len: usize,
    words: [u64; 4],
    string: Py<PyString>,
}

/// A fixed table of strings indexed by a hash of their text: a collision replaces the entry, so it never grows past
/// its size and never slows down.
struct Table {
    bits: u32,
    /// Empty until first used, then `1 << bits` slots.
    entries: Vec<Option<Entry>>,
}

impl Table {
    const fn new(bits: u32) -> Self {
        Self { bits, entries: Vec::new() }
    }

    /// The `str` of these UTF-8 bytes from the table, or made and stored in slot `Some(index)`; `None` for a text too
    /// long to be looked up (or not UTF-8).
    #[inline]
    fn get<'py>(&mut self, py: Python<'py>, text: &[u8]) -> Option<(Bound<'py, PyString>, Option<usize>)> {
        if text.len() > CACHED_MAX_LEN {
            return None;
        }
        self.get_with(py, text, words_of(text))
    }

    /// [`Table::get`] with the text's [`words_of`] already made.
    #[inline(always)]
    fn get_with<'py>(
        &mut self,
        py: Python<'py>,
        text: &[u8],
        words: [u64; 4],
    ) -> Option<(Bound<'py, PyString>, Option<usize>)> {
        if self.entries.is_empty() {
            self.entries.resize_with(1 << self.bits, || None);
        }
        let mixed = (words[0] ^ words[3].rotate_left(29) ^ (text.len() as u64)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let index = (mixed >> (64 - self.bits)) as usize;
        let slot = self.entries.get_mut(index)?;
        if let Some(entry) = slot {
            if entry.len == text.len() && same_words(&entry.words, &words) {
                return Some((entry.string.bind(py).clone(), None));
            }
        }
        let string = new_str(py, text)?;
        // The entry replaced, if any, is released here, with the GIL held.
        *slot = Some(Entry { len: text.len(), words, string: string.clone().unbind() });
        Some((string, Some(index)))
    }
}

/// Whether two [`words_of`] are equal, compared word by word in registers. `==` on the arrays compiled to 16-byte
/// vector loads of words just stored one by one, a store-forwarding stall that took a third of a key's time.
#[inline(always)]
fn same_words(a: &[u64; 4], b: &[u64; 4]) -> bool {
    let [a0, a1, a2, a3] = *a;
    let [b0, b1, b2, b3] = *b;
    (a0 ^ b0) | (a1 ^ b1) | (a2 ^ b2) | (a3 ^ b3) == 0
}

/// [`words_of`] the `len` bytes of `text` at `start` (at most [`CACHED_MAX_LEN`]), reading a short one as one word
/// of the text around it, masked: a key or value is followed by at least its closing quote and a delimiter.
#[inline(always)]
fn words_at(text: &[u8], start: usize, len: usize) -> [u64; 4] {
    if len < 8 {
        if let Some(bytes) = text.get(start..start + 8).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
            let mask = (1u64 << (8 * len)) - 1; // len < 8: no overflow
            return [u64::from_le_bytes(bytes) & mask, 0, 0, 0];
        }
    }
    words_of(text.get(start..start + len).unwrap_or_default())
}

/// Up to 32 bytes as four words that, with the length, tell every text apart: the words at 0, 8, 16 and the last
/// eight bytes (overlapping, for a text shorter than 32), or the bytes packed in the first word below 8.
#[inline(always)]
fn words_of(text: &[u8]) -> [u64; 4] {
    let len = text.len();
    let word = |at: usize| text.get(at..at + 8).and_then(|b| <[u8; 8]>::try_from(b).ok()).map_or(0, u64::from_le_bytes);
    if len < 8 {
        return [text.iter().rev().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)), 0, 0, 0];
    }
    let last = len - 8;
    [word(0), word(last.min(8)), word(last.min(16)), word(last)]
}
