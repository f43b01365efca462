//! `Verifier`: built once from an options object; `verify` returns the event as one JSON text (`Event::to_json`),
//! which `index.js` parses with `JSON.parse` (far faster than building the objects through N-API one by one); for a
//! body of 8 KiB or more on the path where JSON.parse checks `data`'s grammar, the event's other fields as JSON and
//! the body as text, which the glue parses for `data`.

use hookseal::FieldCase;
use napi::bindgen_prelude::*;
use napi::{sys, JsString, JsValue};
use napi_derive::napi;

use crate::error::{config_error, verification_error, CodedError};
use crate::options;

#[napi(js_name = "NativeVerifier")]
pub struct Verifier {
    inner: hookseal::Verifier,
}

#[napi]
impl Verifier {
    #[napi(constructor, catch_unwind)]
    pub fn new(provider: String, options: Option<Object<'_>>) -> std::result::Result<Self, CodedError> {
        let options = options::verifier_options(options)?;
        let inner = hookseal::Verifier::new(&provider, &options).map_err(|e| config_error(&e))?;
        Ok(Self { inner })
    }

    /// Verifies `body` (read in place) against `headers` (`[name, value, name, value, …]`); `now` in Unix seconds,
    /// fractions rounded down, or the system clock. With `hostParses`, the glue's `JSON.parse` of the event is the
    /// judge of `data`'s grammar (`Authenticated::parse_for_host_json`): when it refuses the text, the glue calls
    /// again without it, and the core's own parse names the error.
    #[napi(catch_unwind)]
    pub fn verify<'env>(
        &self,
        env: &'env Env,
        body: &[u8],
        #[napi(ts_arg_type = "Array<string>")] headers: Array<'_>,
        now: Option<f64>,
        host_parses: Option<bool>,
    ) -> std::result::Result<Either<JsString<'env>, Array<'env>>, CodedError> {
        let headers = FlatHeaders::read(env, &headers)?;
        let pairs = headers.pairs();
        let now = match now {
            // index.js checks the range first; a contract code here would read as a refused delivery.
            Some(now) => Some(hookseal::seconds_from_float(now).ok_or_else(|| {
                napi::Error::new("InvalidArg", "now must be a finite number of Unix seconds in range")
            })?),
            None => None,
        };
        let verified = self.inner.authenticate(body, pairs, now).and_then(|genuine| {
            if host_parses == Some(true) {
                genuine.parse_for_host_json()
            } else {
                genuine.parse()
            }
        });
        let event = verified.map_err(|e| verification_error(&e))?;
        // A large body's digest key (ELMED's, and that of a delivery without an id) is left for the glue to hash
        // when the key is first read (`digestKey`): a handler that never reads it, or a rejected delivery, does not
        // pay a second pass over the body. A small body's is hashed here: deferring would cost about what it saves.
        let large = body.len() >= DEFER_DIGEST_FROM_BYTES;
        if large && host_parses == Some(true) {
            // The glue parses the body itself (its JSON.parse checks `data`'s grammar) and hashes that immutable
            // text for a deferred key, so neither `data` nor the body is copied into the event's JSON: `[event JSON
            // with data null, the body as text, "data" | "body"]` (where in the body's parse the data is).
            if let Some(json) = event.to_json_without_data_deferring_digest(FieldCase::Camel) {
                let text = match std::str::from_utf8(body) {
                    _ if body.is_ascii() => env.create_string_latin1(body),
                    Ok(text) => env.create_string(text),
                    // The core refuses a body that is not UTF-8 before it parses it.
                    Err(_) => return Err(napi::Error::new("GenericFailure", "internal: a verified body is not UTF-8")),
                };
                let place = if event.data_is_body() { "body" } else { "data" };
                let mut out = env.create_array(3).map_err(handover)?;
                out.set(0, to_js_string(env, &json)?).map_err(handover)?;
                out.set(1, text.map_err(handover)?).map_err(handover)?;
                out.set(2, place).map_err(handover)?;
                return Ok(Either::B(out));
            }
        }
        let json =
            if large { event.to_json_deferring_digest(FieldCase::Camel) } else { event.to_json(FieldCase::Camel) };
        Ok(Either::A(to_js_string(env, &json)?))
    }

    /// The names of the headers `verify` reads, lowercased: the JavaScript side passes only these.
    #[napi(getter, catch_unwind)]
    pub fn header_names(&self) -> Vec<String> {
        self.inner.header_names().into_iter().map(str::to_ascii_lowercase).collect()
    }

    #[napi(getter, catch_unwind)]
    pub fn provider(&self) -> &'static str {
        self.inner.provider().as_str()
    }

    #[napi(getter, catch_unwind)]
    pub fn max_body_bytes(&self) -> f64 {
        self.inner.max_body_bytes() as f64
    }
}

/// The event's JSON as a JavaScript string. Mostly ASCII: handed over as Latin-1, V8 copies it as it is instead of
/// decoding UTF-8 (1 MiB: ~0.1 ms against ~0.9 ms).
fn to_js_string<'env>(env: &'env Env, json: &str) -> std::result::Result<JsString<'env>, CodedError> {
    let string = if json.is_ascii() { env.create_string_latin1(json.as_bytes()) } else { env.create_string(json) };
    string.map_err(handover)
}

/// Not a contract code: V8 refusing a string (past its length limit) is not the sender's fault.
fn handover(e: napi::Error) -> CodedError {
    napi::Error::new("GenericFailure", format!("cannot hand the event over: {}", e.reason))
}

/// From this body size on, `verify` leaves a body-digest key for `digestKey` (index.js, when the key is first read).
const DEFER_DIGEST_FROM_BYTES: usize = 8 * 1024;

/// The contract's body-digest idempotency key of `body` (`sha256:` and its hex SHA-256), as the core makes it: the key
/// `verify` left `null` for a large body, computed by the glue from its copy of that body when first read.
#[napi(catch_unwind)]
pub fn digest_key(#[napi(ts_arg_type = "Uint8Array | string")] body: Either<&[u8], String>) -> String {
    match body {
        Either::A(bytes) => hookseal::body_digest_key(bytes),
        // The body's text, as `verify` handed it over: its UTF-8 is the body's bytes (a verified body is UTF-8).
        Either::B(text) => hookseal::body_digest_key(text.as_bytes()),
    }
}

/// The headers `[name, value, name, value, …]` (strings, as index.js passes them) read as UTF-8 into one buffer: one
/// N-API call per string and two allocations in all, where a `Vec<String>` costs two calls and an allocation per
/// string (about 0.2 µs of a 1 KiB delivery's 8 µs: bindings/node/bench). The bytes are those of the `String`s
/// napi-rs would make (the same `napi_get_value_string_utf8`: lone surrogates read as U+FFFD).
struct FlatHeaders {
    text: Vec<u8>,
    /// Where each string ends in `text`.
    ends: Vec<usize>,
}

impl FlatHeaders {
    fn read(env: &Env, headers: &Array<'_>) -> std::result::Result<Self, CodedError> {
        let count = headers.len();
        // Room for a typical request's values (a signature is 71 bytes, a Standard Webhooks set about 150).
        let mut out = Self { text: Vec::with_capacity(256), ends: Vec::with_capacity(count as usize) };
        for index in 0..count {
            let mut value = std::ptr::null_mut();
            // SAFETY: `headers` is a live array handle of this call's `env`; `value` is written on success.
            status(unsafe { sys::napi_get_element(env.raw(), headers.raw(), index, &mut value) })?;
            out.push_utf8(env, value)?;
        }
        Ok(out)
    }

    /// Appends the string `value` as UTF-8: written into the room left, then, if it may not have fitted, again after
    /// asking for its length. N-API writes whole characters (at most 4 bytes each) and a NUL within the room given.
    fn push_utf8(&mut self, env: &Env, value: sys::napi_value) -> std::result::Result<(), CodedError> {
        let start = self.text.len();
        let mut written = self.write_utf8(env, value)?;
        if written + 5 > self.text.capacity() - start {
            let mut length = 0;
            // SAFETY: a null buffer asks only for the length, written to `length`.
            status(unsafe { sys::napi_get_value_string_utf8(env.raw(), value, std::ptr::null_mut(), 0, &mut length) })?;
            self.text.reserve(length + 1);
            written = self.write_utf8(env, value)?;
        }
        // SAFETY: `write_utf8` initialised the `written` bytes after `start`, within the capacity.
        unsafe { self.text.set_len(start + written) };
        self.ends.push(start + written);
        Ok(())
    }

    /// Writes `value`'s UTF-8 into `text`'s spare capacity (not its length); returns the bytes written.
    fn write_utf8(&mut self, env: &Env, value: sys::napi_value) -> std::result::Result<usize, CodedError> {
        let room = self.text.spare_capacity_mut();
        let mut written = 0;
        // SAFETY: N-API writes at most `room.len()` bytes (the NUL included) into the spare capacity; a value that
        // is not a string is refused with a status.
        status(unsafe {
            sys::napi_get_value_string_utf8(env.raw(), value, room.as_mut_ptr().cast(), room.len(), &mut written)
        })?;
        Ok(written)
    }

    /// The `(name, value)` pairs, as the core takes them (an odd last string is ignored, as before).
    fn pairs(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        let mut strings = starts.zip(&self.ends).map(|(start, &end)| &self.text[start..end]);
        std::iter::from_fn(move || Some((strings.next()?, strings.next()?)))
    }
}

/// An N-API status as an error: not a contract code (index.js only ever passes strings).
fn status(status: sys::napi_status) -> std::result::Result<(), CodedError> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new("InvalidArg", format!("cannot read the headers (N-API status {status})")))
    }
}
