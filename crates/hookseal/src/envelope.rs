//! Parsing the envelope (docs/providers.md, "Every delivery") with `jiter`, borrowing from the body.
//!
//! Why `jiter` rather than serde_json's `RawValue`: serde_json skips a nested value with a heap-allocated stack, so
//! capturing `data` as a `RawValue` allocates for any delivery whose `data` nests (NovaMed's `shipping_address`,
//! Baremeds' `medication` list). jiter skips with a fixed bit-stack (at most 200 levels) and hands out positions, so
//! a delivery whose envelope strings have no escapes is parsed without touching the heap.

use std::borrow::Cow;
use std::collections::HashSet;

use jiter::{Jiter, JiterError, Peek};

use crate::error::{ErrorCode, VerifyError};
#[cfg(feature = "host-json")]
use crate::structure;
use crate::validate::{self, Skip, Visit};

/// Fields a preset reads; every other key is skipped (but still checked for duplicates).
pub(crate) mod reads {
    pub const EVENT: u16 = 1 << 0;
    pub const EVENT_TYPE: u16 = 1 << 1;
    pub const TYPE: u16 = 1 << 2;
    pub const NOTIFICATION_TYPE: u16 = 1 << 3;
    pub const EVENT_ID: u16 = 1 << 4;
    pub const ID: u16 = 1 << 5;
    pub const TIMESTAMP: u16 = 1 << 6;
    pub const CLINIC_ID: u16 = 1 << 7;
    pub const DATA: u16 = 1 << 8;
    /// `metadata` as Baremeds sends it: `request_id`, `retry`, `webhook_key`, and the object itself.
    pub const METADATA: u16 = 1 << 9;
    /// Only `metadata.request_id` (the `custom` preset's fallback idempotency key).
    pub const METADATA_REQUEST_ID: u16 = 1 << 10;
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A string.
    Str,
    /// A string or a number (kept as its JSON text).
    StrOrNum,
}

/// The top-level string-like fields, in the order of their `reads` bits.
const SCALARS: [(&str, Kind); 8] = [
    ("event", Kind::Str),
    ("event_type", Kind::Str),
    ("type", Kind::Str),
    ("notification_type", Kind::Str),
    ("event_id", Kind::StrOrNum),
    ("id", Kind::StrOrNum),
    ("timestamp", Kind::StrOrNum),
    ("clinic_id", Kind::Str),
];

/// Indexes into [`Envelope::scalars`].
pub(crate) mod field {
    pub const EVENT: usize = 0;
    pub const EVENT_TYPE: usize = 1;
    pub const TYPE: usize = 2;
    pub const NOTIFICATION_TYPE: usize = 3;
    pub const EVENT_ID: usize = 4;
    pub const ID: usize = 5;
    pub const TIMESTAMP: usize = 6;
    pub const CLINIC_ID: usize = 7;
}

#[derive(Default)]
pub(crate) struct Metadata<'a> {
    pub raw: &'a str,
    /// Where `raw` starts in the body.
    pub start: usize,
    pub request_id: Option<Cow<'a, str>>,
    pub retry: Option<bool>,
    pub webhook_key: Option<Cow<'a, str>>,
    /// Where the `webhook_key` value (quotes included) lies in the body, to redact it from what the event shows.
    pub webhook_key_span: Option<(usize, usize)>,
}

#[derive(Default)]
pub(crate) struct Envelope<'a> {
    /// The whole body, validated as UTF-8.
    pub text: &'a str,
    /// Present, non-null values of [`SCALARS`].
    pub scalars: [Option<Cow<'a, str>>; 8],
    /// The raw JSON text of `data`, when the key is present (`null` included).
    pub data: Option<&'a str>,
    /// Whether the visitor given to [`parse`] was told the whole of `data` (an object or array the fast scan was
    /// sure of).
    pub data_visited: bool,
    /// Whether the structural scan found where `data` ends, leaving its grammar to the host ([`parse_for_host`]).
    pub data_scanned: bool,
    pub metadata: Option<Metadata<'a>>,
}

impl<'a> Envelope<'a> {
    pub fn take(&mut self, index: usize) -> Option<Cow<'a, str>> {
        self.scalars.get_mut(index).and_then(Option::take)
    }

    /// An event type or an id, empty counting as absent (an empty idempotency key would make every such delivery a
    /// duplicate of the first).
    pub fn take_named(&mut self, index: usize) -> Option<Cow<'a, str>> {
        named(self.take(index))
    }
}

/// An event type or an id names nothing when it is empty: it counts as absent.
pub(crate) fn named(value: Option<Cow<'_, str>>) -> Option<Cow<'_, str>> {
    value.filter(|value| !value.is_empty())
}

fn invalid(message: impl Into<Cow<'static, str>>) -> VerifyError {
    VerifyError::new(ErrorCode::InvalidJson, message)
}

fn json_error(err: JiterError, base: usize) -> VerifyError {
    use jiter::{JiterErrorType, JsonErrorType as E};
    // jiter's own messages (serde_json's), named here rather than through its `Display`, which quotes a duplicate key
    // with `{:?}` and so would put Debug's Unicode escaping tables into the WASM module for a case that never occurs
    // (duplicates are found by `SeenKeys`).
    let what = match &err.error_type {
        JiterErrorType::JsonError(kind) => match kind {
            E::EofWhileParsingList => "EOF while parsing a list",
            E::EofWhileParsingObject => "EOF while parsing an object",
            E::EofWhileParsingString => "EOF while parsing a string",
            E::EofWhileParsingValue => "EOF while parsing a value",
            E::ExpectedColon => "expected `:`",
            E::ExpectedListCommaOrEnd => "expected `,` or `]`",
            E::ExpectedObjectCommaOrEnd => "expected `,` or `}`",
            E::ExpectedSomeIdent => "expected ident",
            E::ExpectedSomeValue => "expected value",
            E::InvalidEscape => "invalid escape",
            E::InvalidNumber => "invalid number",
            E::NumberOutOfRange => "number out of range",
            E::InvalidUnicodeCodePoint => "invalid unicode code point",
            E::ControlCharacterWhileParsingString => "control character (\\u0000-\\u001F) found while parsing a string",
            E::KeyMustBeAString => "key must be a string",
            E::LoneLeadingSurrogateInHexEscape => "lone leading surrogate in hex escape",
            E::TrailingComma => "trailing comma",
            E::TrailingCharacters => "trailing characters",
            E::UnexpectedEndOfHexEscape => "unexpected end of hex escape",
            E::RecursionLimitExceeded => "recursion limit exceeded",
            _ => "malformed JSON",
        },
        JiterErrorType::WrongType { .. } => "a value of an unexpected type",
    };
    invalid(format!("the body is not valid JSON: {what} at index {}", base + err.index))
}

fn wrong_type(name: &str, expected: &str) -> VerifyError {
    invalid(format!("the envelope field \"{name}\" must be {expected}"))
}

fn duplicate(key: &[u8]) -> VerifyError {
    let shown: String = String::from_utf8_lossy(key).chars().take(64).collect();
    // Quoted as JSON (not `{:?}`: Debug's escaping would add ~5 KB of Unicode tables to the WASM module).
    let mut message = String::from("the key ");
    crate::event::json_string(&mut message, &shown);
    message.push_str(" appears more than once");
    invalid(message)
}

/// The same bytes with the lifetime of the body, when they lie inside it (jiter ties the slices it hands out to its
/// own borrow; those cut from the input are the body's own bytes).
fn rebase<'a>(body: &'a str, part: &[u8]) -> Option<&'a str> {
    let start = (part.as_ptr() as usize).wrapping_sub(body.as_ptr() as usize);
    let inside = start.checked_add(part.len()).and_then(|end| body.get(start..end))?;
    (inside.as_ptr() == part.as_ptr()).then_some(inside)
}

/// A decoded string: borrowed when jiter handed out the body's own bytes (no escapes), owned when it decoded escapes
/// into its scratch tape.
fn borrow_or_own<'a>(body: &'a str, decoded: &str) -> Cow<'a, str> {
    match rebase(body, decoded.as_bytes()) {
        Some(borrowed) => Cow::Borrowed(borrowed),
        None => Cow::Owned(decoded.to_owned()),
    }
}

/// Object keys seen so far, to refuse duplicates without allocating for ordinary envelopes.
struct SeenKeys<'a> {
    inline: [&'a str; 16],
    len: usize,
    /// Keys past the sixteenth, or with escapes; a hash set, so that a body of many keys costs linear time.
    spill: Option<HashSet<Cow<'a, str>>>,
}

impl<'a> SeenKeys<'a> {
    fn new() -> Self {
        Self { inline: [""; 16], len: 0, spill: None }
    }

    /// False when the key was already seen.
    fn insert(&mut self, key: Cow<'a, str>) -> bool {
        let inline = self.inline.get(..self.len).unwrap_or(&[]);
        if inline.contains(&key.as_ref()) || self.spill.as_ref().is_some_and(|s| s.contains(&key)) {
            return false;
        }
        match key {
            Cow::Borrowed(k) if self.len < self.inline.len() => {
                if let Some(slot) = self.inline.get_mut(self.len) {
                    *slot = k;
                    self.len += 1;
                }
            }
            key => {
                self.spill.get_or_insert_with(HashSet::new).insert(key);
            }
        }
        true
    }
}

struct Parser<'a> {
    body: &'a str,
    /// Where `jiter`'s input starts in the body: it is restarted past each value `validate` steps over.
    base: usize,
    jiter: Jiter<'a>,
}

impl<'a> Parser<'a> {
    // Jiter's `next_*` / `known_bool` / `known_number_bytes` are avoided: their type-error paths classify a stray
    // number with a full float parser, which would put jiter's float parsing (and its tables, ~25 KB) into the WASM
    // module. Every caller has peeked the type already, so the `known_*` forms below cover the same ground.

    /// The first key of an object the caller has peeked.
    fn first_key(&mut self) -> Result<Option<Cow<'a, str>>, VerifyError> {
        let key = self.jiter.known_object().map_err(|e| json_error(e, self.base))?;
        Ok(key.map(|k| borrow_or_own(self.body, k)))
    }

    fn next_key(&mut self) -> Result<Option<Cow<'a, str>>, VerifyError> {
        let key = self.jiter.next_key().map_err(|e| json_error(e, self.base))?;
        Ok(key.map(|k| borrow_or_own(self.body, k)))
    }

    fn peek(&mut self) -> Result<Peek, VerifyError> {
        self.jiter.peek().map_err(|e| json_error(e, self.base))
    }

    /// Where jiter stands, in the body.
    fn pos(&self) -> usize {
        self.base + self.jiter.current_index()
    }

    /// Steps over the value starting at the current position (its type peeked): by the fast scan when it is sure of
    /// an object or array (the parser then restarts past it), otherwise by jiter, which names any error.
    /// Whether the fast scan was sure of it (and so told `visitor` all of it).
    fn known_skip<V: Visit>(&mut self, peek: Peek, visitor: &mut V) -> Result<bool, VerifyError> {
        if matches!(peek, Peek::Object | Peek::Array) {
            if let Some(end) = validate::walk(self.body.as_bytes(), self.pos(), visitor) {
                if let Some(rest) = self.body.as_bytes().get(end..) {
                    self.base = end;
                    self.jiter = Jiter::new(rest);
                    return Ok(true);
                }
            }
        }
        self.jiter.known_skip(peek).map_err(|e| json_error(e, self.base))?;
        Ok(false)
    }

    fn skip(&mut self) -> Result<(), VerifyError> {
        let peek = self.peek()?;
        self.known_skip(peek, &mut Skip).map(drop)
    }

    /// The value's text, whether `visitor` was told all of it, and whether the structural scan found its end. With
    /// `HOST_CHECKS`, an object or array whose extent the structural scan finds is not validated here: the host's
    /// JSON parser checks it (`structure`).
    fn raw_value<V: Visit, const HOST_CHECKS: bool>(
        &mut self,
        visitor: &mut V,
    ) -> Result<(&'a str, bool, bool), VerifyError> {
        let peek = self.peek()?;
        let start = self.pos();
        #[cfg(feature = "host-json")]
        if HOST_CHECKS && matches!(peek, Peek::Object | Peek::Array) {
            if let Some(end) = structure::container_end(self.body.as_bytes(), start) {
                if let (Some(text), Some(rest)) = (self.body.get(start..end), self.body.as_bytes().get(end..)) {
                    self.base = end;
                    self.jiter = Jiter::new(rest);
                    return Ok((text, false, true));
                }
            }
        }
        let visited = self.known_skip(peek, visitor)?;
        let end = self.pos();
        let text = self.body.get(start..end).ok_or_else(|| invalid("internal: a value is outside the body"))?;
        Ok((text, visited, false))
    }

    fn scalar(&mut self, name: &str, kind: Kind) -> Result<Option<Cow<'a, str>>, VerifyError> {
        let peek = self.peek()?;
        if peek == Peek::Null {
            self.jiter.known_null().map_err(|e| json_error(e, self.base))?;
            return Ok(None);
        }
        if peek == Peek::String {
            let decoded = self.jiter.known_str().map_err(|e| json_error(e, self.base))?;
            return Ok(Some(borrow_or_own(self.body, decoded)));
        }
        if kind == Kind::StrOrNum && peek.is_num() {
            let start = self.pos();
            self.jiter.known_skip(peek).map_err(|e| json_error(e, self.base))?;
            let number = self.body.get(start..self.pos());
            return Ok(Some(Cow::Borrowed(number.ok_or_else(|| invalid("internal: a number is outside the body"))?)));
        }
        Err(wrong_type(name, if kind == Kind::Str { "a string" } else { "a string or a number" }))
    }

    fn metadata(&mut self, full: bool) -> Result<Option<Metadata<'a>>, VerifyError> {
        let peek = self.peek()?;
        if peek == Peek::Null {
            self.jiter.known_null().map_err(|e| json_error(e, self.base))?;
            return Ok(None);
        }
        if peek != Peek::Object {
            return Err(wrong_type("metadata", "an object"));
        }
        let start = self.pos();
        let mut meta = Metadata::default();
        let mut seen = SeenKeys::new();
        let mut key = self.first_key()?;
        while let Some(name) = key {
            let fresh = seen.insert(name.clone());
            if !fresh {
                return Err(duplicate(name.as_bytes()));
            }
            match name.as_ref() {
                "request_id" => meta.request_id = self.scalar("metadata.request_id", Kind::StrOrNum)?,
                "retry" if full => {
                    meta.retry = match self.peek()? {
                        Peek::Null => {
                            self.jiter.known_null().map_err(|e| json_error(e, self.base))?;
                            None
                        }
                        peek @ (Peek::True | Peek::False) => {
                            self.jiter.known_skip(peek).map_err(|e| json_error(e, self.base))?;
                            Some(peek == Peek::True)
                        }
                        _ => return Err(wrong_type("metadata.retry", "a boolean")),
                    }
                }
                "webhook_key" if full => {
                    self.peek()?;
                    let start = self.pos();
                    meta.webhook_key = self.scalar("metadata.webhook_key", Kind::Str)?;
                    let end = self.pos();
                    meta.webhook_key_span = meta.webhook_key.as_ref().map(|_| (start, end));
                }
                _ => self.skip()?,
            }
            key = self.next_key()?;
        }
        let end = self.pos();
        meta.raw = self.body.get(start..end).ok_or_else(|| invalid("internal: metadata is outside the body"))?;
        meta.start = start;
        Ok(Some(meta))
    }
}

/// Parses the body as an envelope, reading the fields in `wanted` (a set of [`reads`] bits).
pub(crate) fn parse(body: &[u8], wanted: u16) -> Result<Envelope<'_>, VerifyError> {
    parse_visiting(body, wanted, &mut Skip)
}

/// [`parse`], telling `visitor` what the fast scan reads of `data` ([`Envelope::data_visited`]).
#[inline(always)]
pub(crate) fn parse_visiting<'a, V: Visit>(
    body: &'a [u8],
    wanted: u16,
    visitor: &mut V,
) -> Result<Envelope<'a>, VerifyError> {
    parse_inner::<V, false>(body, wanted, visitor)
}

/// [`parse`], leaving the grammar of an object or array `data` to the host's JSON parser, which reads all of it
/// (`structure`): everything else is checked as by [`parse`]. A body `parse` accepts gives the same envelope; one it
/// refuses may be accepted here (its `data` malformed) or refused with another error, so a host falls back to
/// [`parse`] whenever this errs or its own parser refuses the event text.
#[cfg(feature = "host-json")]
pub(crate) fn parse_for_host(body: &[u8], wanted: u16) -> Result<Envelope<'_>, VerifyError> {
    parse_inner::<Skip, true>(body, wanted, &mut Skip)
}

/// The parser; `HOST_CHECKS_DATA` a constant, so that a build that never calls [`parse_for_host`] (Python, PHP, the
/// C ABI) carries no structural scan.
fn parse_inner<'a, V: Visit, const HOST_CHECKS_DATA: bool>(
    body: &'a [u8],
    wanted: u16,
    visitor: &mut V,
) -> Result<Envelope<'a>, VerifyError> {
    // simdutf8 validates several times faster than std on large bodies; std only runs to locate an error.
    let body = simdutf8::basic::from_utf8(body).map_err(|_| {
        let at = std::str::from_utf8(body).err().map_or(0, |e| e.valid_up_to());
        invalid(format!("the body is not valid UTF-8 (at byte {at})"))
    })?;
    let mut p = Parser { body, base: 0, jiter: Jiter::new(body.as_bytes()) };
    if p.peek()? != Peek::Object {
        return Err(invalid("the body must be a JSON object"));
    }
    let mut env = Envelope { text: body, ..Envelope::default() };
    let mut seen = SeenKeys::new();
    let mut key = p.first_key()?;
    while let Some(name) = key {
        if !seen.insert(name.clone()) {
            return Err(duplicate(name.as_bytes()));
        }
        let scalar =
            SCALARS.iter().enumerate().find(|(i, (field, _))| *field == name.as_ref() && wanted & (1 << i) != 0);
        if let Some((index, (field, kind))) = scalar {
            let value = p.scalar(field, *kind)?;
            if let Some(slot) = env.scalars.get_mut(index) {
                *slot = value;
            }
        } else if name == "data" && wanted & reads::DATA != 0 {
            let (data, visited, scanned) = p.raw_value::<V, HOST_CHECKS_DATA>(visitor)?;
            env.data = Some(data);
            env.data_visited = visited;
            env.data_scanned = scanned;
        } else if name == "metadata" && wanted & (reads::METADATA | reads::METADATA_REQUEST_ID) != 0 {
            env.metadata = p.metadata(wanted & reads::METADATA != 0)?;
        } else {
            p.skip()?;
        }
        key = p.next_key()?;
    }
    p.jiter.finish().map_err(|e| json_error(e, p.base))?;
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(body: &[u8]) -> String {
        parse(body, reads::EVENT).err().map(|e| e.message().to_owned()).unwrap_or_default()
    }

    #[test]
    fn json_errors_say_what_and_where() {
        assert_eq!(message(br#"{"event":"a""#), "the body is not valid JSON: EOF while parsing an object at index 12");
        assert_eq!(message(br#"{"event":"a",}"#), "the body is not valid JSON: trailing comma at index 13");
        assert_eq!(message(br#"{"event":"a"} x"#), "the body is not valid JSON: trailing characters at index 14");
        assert_eq!(message(br#"{"a":1,"a":2}"#), r#"the key "a" appears more than once"#);
        assert_eq!(message(b"{\"a\\\"\\n\":1,\"a\\\"\\n\":2}"), r#"the key "a\"\n" appears more than once"#);
        assert_eq!(message(br#"[1]"#), "the body must be a JSON object");
        assert_eq!(message(br#"{"event":7}"#), r#"the envelope field "event" must be a string"#);
    }
}
