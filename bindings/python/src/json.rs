//! Verified JSON text (`data`, `metadata`) as plain Python values: the values `json.loads` gives (dict, list, str,
//! int of any size, float, bool, None; key order kept, the last of duplicate keys winning).
//!
//! Building Python objects is most of the cost of a delivery, so it has a fast path of its own. The core has already
//! validated the text, so the fast builder ([`Fast`]) reads it in one pass with no error reporting of its own: it
//! scans strings eight bytes at a time, makes integers and plain decimals without a general parser, and fills lists
//! and dicts through the C API directly. It is an accelerator, never a second judge (as the core's `validate.rs`):
//! whatever it is not sure of (a `\u` escape of a surrogate, nesting past [`MAX_DEPTH`], anything malformed) makes it
//! give up, and the text is built again by the general builder ([`Builder`], over jiter, the core's parser), which
//! gives the same values or names the error.
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
pub(crate) fn to_python<'py>(py: Python<'py>, json: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let mut guard = lock_cache();
    let fast = Fast::new(py, json, guard.as_deref_mut().map(Values)).build();
    match fast {
        Ok(value) => return Ok(value),
        Err(Stop::Python(err)) => return Err(err),
        Err(Stop::Unsure) => {}
    }
    let mut builder = Builder { py, keys: guard.as_deref_mut().map(|strings| &mut strings.keys) };
    let mut jiter = Jiter::new(json);
    let peek = jiter.peek().map_err(|e| invalid(py, e))?;
    let value = builder.walk(&mut jiter, peek)?;
    jiter.finish().map_err(|e| invalid(py, e))?;
    Ok(value)
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

/// Containers nested deeper than this are left to the general builder. The core lets about 200 through (jiter's
/// limit), so this only bounds the recursion, should the text ever be deeper.
const MAX_DEPTH: usize = 256;

/// Why the fast builder stopped: not sure of the text (build it again with the general builder), or a Python error
/// (out of memory), which is the answer.
enum Stop {
    Unsure,
    Python(PyErr),
}

impl From<PyErr> for Stop {
    fn from(err: PyErr) -> Self {
        Stop::Python(err)
    }
}

type Built<'py, T = PyAny> = Result<Bound<'py, T>, Stop>;

struct Fast<'py, 'j, 'c> {
    py: Python<'py>,
    text: &'j [u8],
    at: usize,
    strings: Option<Values<'c>>,
    /// Whether short values are looked up in `strings` too.
    share_values: bool,
    /// Whether the next value, if a string, is looked up: not where the template's key has had new values.
    share_next: bool,
    /// Whether the last value looked up was there already.
    shared: Option<bool>,
    /// The items of every open array, innermost last: one vector for the whole value, so no array allocates its own.
    items: Vec<Bound<'py, PyAny>>,
    /// A string with escapes, decoded.
    scratch: Vec<u8>,
    /// Per depth, the last object with enough keys, all from the cache: the shape the next one likely has.
    templates: Vec<Option<Template<'py>>>,
    /// A vector for an object's keys, kept between objects.
    spare_keys: Vec<Known>,
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
#[inline(always)]
fn set_item<'py>(
    py: Python<'py>,
    dict: &Bound<'py, PyAny>,
    key: &Bound<'py, PyString>,
    value: &Bound<'py, PyAny>,
) -> PyResult<()> {
    // SAFETY: all three are alive and the GIL is held; PyDict_SetItem takes its own references.
    if unsafe { ffi::PyDict_SetItem(dict.as_ptr(), key.as_ptr(), value.as_ptr()) } != 0 {
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

impl<'py, 'j, 'c> Fast<'py, 'j, 'c> {
    fn new(py: Python<'py>, text: &'j [u8], strings: Option<Values<'c>>) -> Self {
        let share_values = text.len() >= VALUES_FROM_BYTES;
        Self {
            py,
            text,
            at: 0,
            strings,
            share_values,
            share_next: true,
            shared: None,
            items: Vec::new(),
            scratch: Vec::new(),
            templates: Vec::new(),
            spare_keys: Vec::new(),
        }
    }

    fn build(mut self) -> Built<'py> {
        let value = self.value(0)?;
        self.skip_ws();
        if self.at != self.text.len() {
            return Err(Stop::Unsure);
        }
        Ok(value)
    }

    /// The byte at the cursor, or 0 past the end (never valid where a byte is looked at).
    #[inline(always)]
    fn peek(&self) -> u8 {
        at(self.text, self.at)
    }

    #[inline(always)]
    fn skip_ws(&mut self) {
        while matches!(self.peek(), b' ' | b'\n' | b'\r' | b'\t') {
            self.at += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Built<'py> {
        self.skip_ws();
        let py = self.py;
        let share = std::mem::replace(&mut self.share_next, true);
        match self.peek() {
            b'"' => {
                self.at += 1;
                Ok(self.string(false, share)?.into_any())
            }
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b't' => self.literal(b"true", || PyBool::new(py, true).to_owned().into_any()),
            b'f' => self.literal(b"false", || PyBool::new(py, false).to_owned().into_any()),
            b'n' => self.literal(b"null", || py.None().into_bound(py)),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(Stop::Unsure),
        }
    }

    fn literal(&mut self, word: &[u8], make: impl FnOnce() -> Bound<'py, PyAny>) -> Built<'py> {
        if self.text.get(self.at..self.at + word.len()) != Some(word) {
            return Err(Stop::Unsure);
        }
        self.at += word.len();
        Ok(make())
    }

    /// An object. Records in a list usually have the keys of the one before, in the same order: then the dict is a
    /// copy of that one ([`Template`]) with each value replaced, which costs CPython less than growing a new dict key
    /// by key (no resize, no rehash). The keys are compared as objects, so only keys from the cache can match.
    fn object(&mut self, depth: usize) -> Built<'py> {
        if depth >= MAX_DEPTH {
            return Err(Stop::Unsure);
        }
        self.at += 1; // {
        self.skip_ws();
        if self.peek() == b'}' {
            self.at += 1;
            // SAFETY: the GIL is held; a null (out of memory) becomes the Python error.
            return Ok(unsafe { Bound::from_owned_ptr_or_err(self.py, ffi::PyDict_New()) }?);
        }
        let mut template = self.templates.get_mut(depth).and_then(Option::take);
        let (mut dict, mut following) = match &template {
            // SAFETY: the template is a dict, alive; the GIL is held; a null becomes the Python error.
            Some(template) => {
                (unsafe { Bound::from_owned_ptr_or_err(self.py, ffi::PyDict_Copy(template.dict.as_ptr())) }?, true)
            }
            None => (unsafe { Bound::from_owned_ptr_or_err(self.py, ffi::PyDict_New()) }?, false),
        };
        // This object's keys, for the next one, unless it follows the template to the end.
        let mut keys = std::mem::take(&mut self.spare_keys);
        keys.clear();
        let mut all_cached = true;
        let mut count = 0;
        loop {
            if self.peek() != b'"' {
                return Err(Stop::Unsure);
            }
            self.at += 1;
            let predicted = if following { template.as_ref().and_then(|t| t.keys.get(count)).copied() } else { None };
            let (key, words) = self.key(predicted.as_ref())?;
            self.skip_ws();
            if self.peek() != b':' {
                return Err(Stop::Unsure);
            }
            self.at += 1;
            self.share_next = predicted.map_or(true, |known| known.misses < NEW_VALUES_TO_STOP);
            let value = self.value(depth + 1)?;
            let shared = self.shared.take();
            if following {
                let seen = template.as_ref().map_or(&[][..], |t| &t.keys[..]);
                if seen.get(count).map(|known| known.key) != Some(key.as_ptr()) {
                    // Another shape: the keys so far into a new dict, in order, and on without the template.
                    dict = rebuilt(self.py, &dict, seen.get(..count).unwrap_or_default())?;
                    keys.extend_from_slice(seen.get(..count).unwrap_or_default());
                    following = false;
                } else if let (Some(shared), Some(known)) =
                    (shared, template.as_mut().and_then(|t| t.keys.get_mut(count)))
                {
                    known.misses = if shared { 0 } else { known.misses.saturating_add(1) };
                }
            }
            set_item(self.py, &dict, &key, &value)?;
            if !following {
                match words {
                    Some((len, words)) => keys.push(Known { key: key.as_ptr(), len, words, misses: 0 }),
                    None => all_cached = false,
                }
            }
            count += 1;
            self.skip_ws();
            match self.peek() {
                b',' => {
                    self.at += 1;
                    self.skip_ws();
                }
                b'}' => {
                    self.at += 1;
                    break;
                }
                _ => return Err(Stop::Unsure),
            }
        }
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

    fn set_template(&mut self, depth: usize, template: Template<'py>) {
        if self.templates.len() <= depth {
            self.templates.resize_with(depth + 1, || None);
        }
        if let Some(slot) = self.templates.get_mut(depth) {
            *slot = Some(template);
        }
    }

    /// A key, and its [`words_of`] if it came from the cache (or from `predicted`, the template's key at this place,
    /// when the text is the same): then the same text is the same object in the next record.
    fn key(&mut self, predicted: Option<&Known>) -> Result<(Bound<'py, PyString>, Option<KeyText>), Stop> {
        let start = self.at;
        let end = scan(self.text, start);
        if at(self.text, end) != b'"' {
            return Ok((self.string(true, false)?, None)); // escaped: made afresh
        }
        self.at = end + 1;
        let len = end - start;
        if len > CACHED_MAX_LEN || self.strings.is_none() {
            return Ok((self.slice_str(start, end, true, false)?, None));
        }
        let words = words_at(self.text, start, len);
        if let Some(known) = predicted.filter(|known| known.len == len && known.words == words) {
            // SAFETY: the template's dict holds this str, so it is alive; the GIL is held; a reference is taken.
            let key = unsafe { Bound::from_borrowed_ptr(self.py, known.key).cast_into_unchecked() };
            return Ok((key, Some((len, words))));
        }
        let raw = self.text.get(start..end).ok_or(Stop::Unsure)?;
        Ok((self.make_str(raw, words, true, false)?, Some((len, words))))
    }

    fn array(&mut self, depth: usize) -> Built<'py> {
        if depth >= MAX_DEPTH {
            return Err(Stop::Unsure);
        }
        self.at += 1; // [
        let first = self.items.len();
        self.skip_ws();
        if self.peek() != b']' {
            loop {
                let item = self.value(depth + 1)?;
                self.items.push(item);
                self.skip_ws();
                match self.peek() {
                    b',' => self.at += 1,
                    b']' => break,
                    _ => return Err(Stop::Unsure),
                }
            }
        }
        self.at += 1; // ]
        let len = self.items.len() - first;
        // The list is made at its final size and takes the items over, without touching their reference counts.
        // SAFETY: the GIL is held; a null (out of memory) becomes the Python error.
        let list = unsafe { Bound::from_owned_ptr_or_err(self.py, ffi::PyList_New(len as ffi::Py_ssize_t)) }?;
        for (index, item) in self.items.drain(first..).enumerate() {
            // SAFETY: a new list of `len` empty slots, `index < len`: PyList_SetItem steals the item and cannot fail.
            unsafe { ffi::PyList_SetItem(list.as_ptr(), index as ffi::Py_ssize_t, item.into_ptr()) };
        }
        Ok(list)
    }

    /// The string whose opening quote is just behind the cursor. A key comes from the cache; a value from this
    /// build's values if `share`.
    fn string(&mut self, key: bool, share: bool) -> Built<'py, PyString> {
        let start = self.at;
        let end = scan(self.text, start);
        let text = self.text;
        match at(text, end) {
            b'"' => {
                self.at = end + 1;
                self.slice_str(start, end, key, share)
            }
            b'\\' => {
                self.unescape(start, end)?;
                let scratch = std::mem::take(&mut self.scratch);
                let words = words_of(scratch.get(..CACHED_MAX_LEN).unwrap_or(&scratch));
                let made = self.make_str(&scratch, words, key, share);
                self.scratch = scratch;
                made
            }
            _ => Err(Stop::Unsure), // a control character, or the end of the text
        }
    }

    /// The string of the text between `start` and `end` (no escapes).
    #[inline(always)]
    fn slice_str(&mut self, start: usize, end: usize, key: bool, share: bool) -> Built<'py, PyString> {
        let raw = self.text.get(start..end).ok_or(Stop::Unsure)?;
        let words = if raw.len() <= CACHED_MAX_LEN { words_at(self.text, start, raw.len()) } else { [0; 4] };
        self.make_str(raw, words, key, share)
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

    /// Decodes the string from `start` (after its quote), whose first escape is at `escape`, into `scratch`, and moves
    /// the cursor past its closing quote. A `\u` escape of a surrogate is left to the general builder.
    fn unescape(&mut self, start: usize, mut i: usize) -> Result<(), Stop> {
        let text = self.text;
        self.scratch.clear();
        self.scratch.extend_from_slice(text.get(start..i).ok_or(Stop::Unsure)?);
        loop {
            match at(text, i) {
                b'"' => {
                    self.at = i + 1;
                    return Ok(());
                }
                b'\\' => {
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
                            let code = hex4(text, i + 2).ok_or(Stop::Unsure)?;
                            // Surrogates (pairs and lone ones) are rare: the general builder has their rules.
                            let ch = char::from_u32(code).ok_or(Stop::Unsure)?;
                            let mut utf8 = [0u8; 4];
                            self.scratch.extend_from_slice(ch.encode_utf8(&mut utf8).as_bytes());
                            i += 6;
                            continue;
                        }
                        _ => return Err(Stop::Unsure),
                    };
                    self.scratch.push(byte);
                    i += 2;
                }
                _ => {
                    let next = scan(text, i);
                    if next == i {
                        return Err(Stop::Unsure); // a control character, or the end of the text
                    }
                    self.scratch.extend_from_slice(text.get(i..next).ok_or(Stop::Unsure)?);
                    i = next;
                }
            }
        }
    }

    /// A JSON number as `json.loads` reads it: an int (any size) without fraction or exponent, else a float.
    fn number(&mut self) -> Built<'py> {
        let text = self.text;
        let start = self.at;
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
        if int_digits == 0 || (int_digits > 1 && at(text, int_start) == b'0') {
            return Err(Stop::Unsure);
        }
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
            if frac_digits == 0 {
                return Err(Stop::Unsure);
            }
        }
        if matches!(at(text, i), b'e' | b'E') {
            is_float = true;
            i += 1;
            let exp_negative = at(text, i) == b'-';
            if matches!(at(text, i), b'-' | b'+') {
                i += 1;
            }
            let exp_start = i;
            while let digit @ b'0'..=b'9' = at(text, i) {
                exponent = (exponent * 10 + i64::from(digit - b'0')).min(1 << 20); // far past any f64, no overflow
                i += 1;
            }
            if i == exp_start {
                return Err(Stop::Unsure);
            }
            if exp_negative {
                exponent = -exponent;
            }
        }
        self.at = i;
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

/// The first position from `i` on that holds a quote, a backslash or a control character (or the text's length).
#[inline(always)]
fn scan(text: &[u8], i: usize) -> usize {
    match scan_vectors(text, i) {
        Ok(found) => found,
        Err(tail) => scan_words(text, tail),
    }
}

/// [`scan`] 16 bytes at a time with SSE2 (part of every x86-64): a long string (an attachment in base64) goes at
/// memory speed, a short one is found in the first step. `Err`: where the last, shorter, stretch starts.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn scan_vectors(text: &[u8], mut i: usize) -> Result<usize, usize> {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is in the x86-64 baseline; every load reads 16 bytes at `i`, with `i + 16 <= text.len()`, unaligned.
    unsafe {
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        let below_space = _mm_set1_epi8(0x1f);
        while i + 16 <= text.len() {
            let chunk = _mm_loadu_si128(text.as_ptr().add(i).cast());
            let control = _mm_cmpeq_epi8(_mm_min_epu8(chunk, below_space), chunk); // chunk <= 0x1f, unsigned
            let hits =
                _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(chunk, quote), _mm_cmpeq_epi8(chunk, backslash)), control);
            let mask = _mm_movemask_epi8(hits) as u32;
            if mask != 0 {
                return Ok(i + mask.trailing_zeros() as usize);
            }
            i += 16;
        }
    }
    Err(i)
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn scan_vectors(_text: &[u8], i: usize) -> Result<usize, usize> {
    Err(i)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// [`scan`] eight bytes at a time (SWAR, portable). In each mask a false hit can only sit above a true one, so the
/// lowest hit is always true.
#[inline(always)]
fn scan_words(text: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = text.get(i..i + 8) {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else { break };
        let word = u64::from_le_bytes(bytes);
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        let hits = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (word.wrapping_sub(ONES * 0x20) & !word))
            & HIGHS;
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&byte) = text.get(i) {
        if byte == b'"' || byte == b'\\' || byte < 0x20 {
            return i;
        }
        i += 1;
    }
    i
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
            if entry.len == text.len() && entry.words == words {
                return Some((entry.string.bind(py).clone(), None));
            }
        }
        let string = new_str(py, text)?;
        // The entry replaced, if any, is released here, with the GIL held.
        *slot = Some(Entry { len: text.len(), words, string: string.clone().unbind() });
        Some((string, Some(index)))
    }
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
