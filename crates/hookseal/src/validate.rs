//! A fast check of the JSON values the envelope parser only steps over (`data`, above all, and any other key a preset
//! does not read): where the value ends, when it is certainly valid.
//!
//! jiter, which parses the envelope, also skips these values, and does so exactly (serde_json's grammar, its error
//! messages and positions); but its skip goes byte by byte and number by number, and on a body of many small records
//! it was the slowest thing a verification did (about 1.5 ms of a 1 MiB delivery's 2.2 ms, against 0.74 ms for the
//! HMAC). This scan is iterative and branch-light. On x86-64 it reads string contents 16 bytes at a time, and a long
//! string's 64 at a time, with SSE2 compares through `safe_arch`. Elsewhere, the WebAssembly build among them, and on
//! x86-64 built with AVX2 (which LLVM vectorises it for), it reads them eight bytes at a time and a long string's 32 at
//! a time (SWAR: portable, safe code).
//!
//! It is an accelerator, never a second judge: it answers either "valid, and it ends here" or "not sure" (`None`),
//! and on `None` the parser runs jiter over the same value as before, which accepts it or names the error. So it only
//! has to be *sound*: whatever it accepts, jiter accepts, with the same end. It is deliberately narrower than JSON:
//! it leaves to jiter any value nested deeper than [`MAX_DEPTH`], a `\u` escape of a surrogate, an integer part longer
//! than jiter's bound, and everything malformed (control characters, bad escapes, bad numbers, stray bytes). The
//! body is valid UTF-8 already (checked before parsing), so string bytes at or above 0x80 need no look.
//! `tests::agrees_with_jiter` and the fuzz target `envelope` check it against jiter on arbitrary input.

/// Containers nested deeper than this (inside the skipped value) are left to jiter, whose limit is 200.
pub(crate) const MAX_DEPTH: usize = 128;

/// jiter refuses an integer part longer than 4300 digits; longer than this is left to it.
const MAX_INT_DIGITS: usize = 4000;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// A byte of the input, or 0 past its end (0 is never valid where a byte is looked at, so it ends in `None`).
#[inline(always)]
fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

/// Past JSON whitespace (space, tab, line feed, carriage return; jiter's set).
#[inline(always)]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(at(b, i), b' ' | b'\n' | b'\r' | b'\t') {
        i += 1;
    }
    i
}

/// Bytes of `word` that are `"`, `\` or below 0x20, as the high bit of each such byte (the lowest flagged byte is
/// always a true one: false positives only come from a borrow out of a lower match).
#[inline(always)]
fn specials(word: u64) -> u64 {
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let zero = |x: u64| x.wrapping_sub(ONES) & !x;
    (zero(quote) | zero(backslash) | word.wrapping_sub(ONES * 0x20) & !word) & HIGHS
}

/// The eight bytes at `i` as a little-endian word, if there are eight. Through a `&[u8; 8]`, a plain load: a
/// `copy_from_slice` into an array stays a function call in the size-optimised WebAssembly build.
#[inline(always)]
fn word_at(b: &[u8], i: usize) -> Option<u64> {
    let chunk: &[u8; 8] = b.get(i..i + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(*chunk))
}

/// [`specials`] of the word at `i`, or none past the end.
#[inline(always)]
fn specials_at(b: &[u8], i: usize) -> u64 {
    match word_at(b, i) {
        Some(word) => specials(word),
        None => 0,
    }
}

/// From `i`, the first quote, backslash or control byte, 16 bytes at a time with SSE2 (part of every x86-64); past a
/// string's second chunk without one (a long string: an attachment's base64), 64 at a time to the block that holds
/// one. In the last 15 bytes of the input, [`to_special_words`] goes on.
///
/// Not where AVX2 is enabled at compile time (`-C target-cpu=native` on most x86-64 hosts): there LLVM turns the word
/// loop itself into 256-bit compares, which measured 1.9–2.0× faster than this on an attachment and about 10% on order
/// records (docs/performance.md). The builds this project ships target baseline x86-64, where this is about 1.5×
/// faster than the word loop on an attachment and up to 10% on records.
#[cfg(all(target_arch = "x86_64", not(target_feature = "avx2")))]
#[inline(always)]
fn to_special(b: &[u8], mut i: usize) -> usize {
    use safe_arch::{bitor_m128i, cmp_eq_mask_i8_m128i, m128i, min_u8_m128i, move_mask_i8_m128i, set_splat_i8_m128i};
    let quote = set_splat_i8_m128i(b'"' as i8);
    let backslash = set_splat_i8_m128i(b'\\' as i8);
    let below_space = set_splat_i8_m128i(0x1f);
    // The lanes that hold a special byte: a quote, a backslash, or one at most 0x1f (unsigned).
    let hits = |lane: m128i| {
        let control = cmp_eq_mask_i8_m128i(min_u8_m128i(lane, below_space), lane);
        bitor_m128i(bitor_m128i(cmp_eq_mask_i8_m128i(lane, quote), cmp_eq_mask_i8_m128i(lane, backslash)), control)
    };
    let mut chunks = 0;
    while let Some(chunk) = b.get(i..i + 16).and_then(|c| <&[u8; 16]>::try_from(c).ok()) {
        let mask = move_mask_i8_m128i(hits(m128i::from(*chunk))) as u32;
        if mask != 0 {
            return i + mask.trailing_zeros() as usize;
        }
        i += 16;
        chunks += 1;
        if chunks == 2 {
            while let Some(block) = b.get(i..i + 64).and_then(|c| <&[u8; 64]>::try_from(c).ok()) {
                let lane = |k: usize| hits(m128i::from(bytes::<16>(block, 16 * k)));
                if move_mask_i8_m128i(bitor_m128i(bitor_m128i(lane(0), lane(1)), bitor_m128i(lane(2), lane(3)))) != 0 {
                    break;
                }
                i += 64;
            }
        }
    }
    to_special_words(b, i)
}

/// `N` bytes of the block from `at` (within it at every call: the fallback is never taken). A plain load once
/// compiled (`copy_from_slice` into an array stays a call in the size-optimised WebAssembly build). Also the
/// structural scan's (`structure.rs`).
#[cfg_attr(
    not(any(all(target_arch = "x86_64", not(target_feature = "avx2")), feature = "host-json")),
    allow(dead_code)
)]
#[inline(always)]
pub(crate) fn bytes<const N: usize>(block: &[u8; 64], at: usize) -> [u8; N] {
    block.get(at..at + N).and_then(|bytes| <[u8; N]>::try_from(bytes).ok()).unwrap_or([0; N])
}

/// [`to_special_words`], which elsewhere (WebAssembly, Arm, and x86-64 built with AVX2) is the whole scan.
#[cfg(not(all(target_arch = "x86_64", not(target_feature = "avx2"))))]
#[inline(always)]
fn to_special(b: &[u8], i: usize) -> usize {
    to_special_words(b, i)
}

/// From `i`, the first quote, backslash or control byte, eight bytes at a time (SWAR: portable, safe code); past a
/// string's third word without one, 32 at a time to the block that holds one. In the last seven bytes of the input
/// it stops at `i` itself, where the caller looks at one byte and comes back past it.
#[inline(always)]
fn to_special_words(b: &[u8], mut i: usize) -> usize {
    let mut words = 0;
    while let Some(word) = word_at(b, i) {
        let flagged = specials(word);
        if flagged != 0 {
            return i + (flagged.trailing_zeros() / 8) as usize;
        }
        i += 8;
        words += 1;
        if words == 3 {
            while let Some(block) = b.get(i..i + 32) {
                if specials_at(block, 0) | specials_at(block, 8) | specials_at(block, 16) | specials_at(block, 24) != 0
                {
                    break;
                }
                i += 32;
            }
        }
    }
    i
}

/// From `i`, the first position of `text` that holds a quote, a backslash or a control byte, or its length if none
/// does: [`to_special`], then byte by byte through the input's last bytes. For a binding that decodes a string's
/// escapes (Python's builder), which then needs no scan of its own.
pub fn next_special(text: &[u8], i: usize) -> usize {
    let mut i = to_special(text, i);
    while let Some(&byte) = text.get(i) {
        if byte == b'"' || byte == b'\\' || byte < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

/// Where the string whose opening quote is at `i - 1` ends (past its closing quote), when it is certainly valid, and
/// whether it has escapes.
#[inline(always)]
fn string_end(b: &[u8], mut i: usize) -> Option<(usize, bool)> {
    let mut escaped = false;
    loop {
        i = to_special(b, i);
        match at(b, i) {
            b'"' => return Some((i + 1, escaped)),
            b'\\' => {
                escaped = true;
                match at(b, i + 1) {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                    b'u' => {
                        let mut code = 0u32;
                        for k in 2..6 {
                            code = code << 4 | char::from(at(b, i + k)).to_digit(16)?;
                        }
                        if (0xD800..=0xDFFF).contains(&code) {
                            return None; // a surrogate: pairing rules are jiter's to apply
                        }
                        i += 6;
                    }
                    _ => return None,
                }
            }
            // A control byte, or the end of the input.
            byte if byte < 0x20 => return None,
            // A byte the word scan did not reach (the last seven of the input).
            _ => i += 1,
        }
    }
}

/// Past the digits starting at `i`.
#[inline(always)]
fn digits_end(b: &[u8], mut i: usize) -> usize {
    while at(b, i).is_ascii_digit() {
        i += 1;
    }
    i
}

/// Where the number starting at `i` ends, when it is one: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
#[inline(always)]
fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    if at(b, i) == b'-' {
        i += 1;
    }
    match at(b, i) {
        b'0' => i += 1,
        b'1'..=b'9' => {
            let start = i;
            i = digits_end(b, i + 1);
            if i - start > MAX_INT_DIGITS {
                return None;
            }
        }
        _ => return None,
    }
    if at(b, i) == b'.' {
        if !at(b, i + 1).is_ascii_digit() {
            return None;
        }
        i = digits_end(b, i + 2);
    }
    if matches!(at(b, i), b'e' | b'E') {
        i += 1;
        if matches!(at(b, i), b'+' | b'-') {
            i += 1;
        }
        if !at(b, i).is_ascii_digit() {
            return None;
        }
        i = digits_end(b, i + 1);
    }
    // What follows a number is a delimiter: the caller checks it (a digit cannot follow here).
    Some(i)
}

/// What a builder of native values is told while the scan reads a value it is sure of, in the text's order: a
/// binding that makes its own language's objects builds them in the same pass as the core validates (one walk over
/// `data` instead of two), and the core stays the only judge of the text.
///
/// A builder trusts what it is told: every event comes after the scan has checked that part (a string's escapes are
/// valid and none is a surrogate; a number has JSON's grammar and an integer part of at most 4000 digits; a key is a
/// string followed by its colon). But the value as a whole is valid only if the walk returns its end: on "not sure"
/// (malformed text, or past this scan's subset) the events stop where the scan stopped, and whatever was built is
/// discarded. Positions are into the walked text; a string's are those of its contents, between its quotes. Each
/// method answers whether to go on: `false` (a builder out of memory, say) stops the walk, as "not sure" does.
pub trait Visit {
    /// An object (`true`) or array with at least one member opens.
    fn open(&mut self, object: bool) -> bool {
        let _ = object;
        true
    }
    /// The innermost open object (`true`) or array closes.
    fn close(&mut self, object: bool) -> bool {
        let _ = object;
        true
    }
    /// An empty object (`true`) or array, `{}` or `[]` (with any whitespace inside).
    fn empty(&mut self, object: bool) -> bool {
        let _ = object;
        true
    }
    /// An object's key (its colon read), with whether its text has escapes.
    fn key(&mut self, start: usize, end: usize, escaped: bool) -> bool {
        let _ = (start, end, escaped);
        true
    }
    /// A string value, with whether its text has escapes.
    fn string(&mut self, start: usize, end: usize, escaped: bool) -> bool {
        let _ = (start, end, escaped);
        true
    }
    /// A number.
    fn number(&mut self, start: usize, end: usize) -> bool {
        let _ = (start, end);
        true
    }
    /// `true`, `false` or `null`, by its first byte.
    fn literal(&mut self, first: u8) -> bool {
        let _ = first;
        true
    }
}

/// The visitor that builds nothing: validation alone.
pub(crate) struct Skip;

impl Visit for Skip {}

/// Where the object or array starting at `start` ends (past its closing bracket), when it is certainly valid JSON.
/// `None`: not sure (malformed, or outside this scan's subset); ask jiter.
#[cfg(test)]
pub(crate) fn container_end(b: &[u8], start: usize) -> Option<usize> {
    walk(b, start, &mut Skip)
}

/// Where the object or array starting at `start` ends (past its closing bracket), when it is certainly valid JSON,
/// telling `visitor` what it reads; `None`: not sure, ask jiter. The text must be valid UTF-8 (string bytes from
/// 0x80 up are not looked at).
pub(crate) fn walk<V: Visit>(b: &[u8], start: usize, visitor: &mut V) -> Option<usize> {
    // One bit per open container, set for an object; `depth` of them are open.
    let mut stack = [0u64; MAX_DEPTH / 64];
    let mut depth = 0usize;
    // Whether the innermost open container (if any) is an object: the top bit of `stack`, kept at hand.
    let mut in_object = false;
    let mut i = start;
    'value: loop {
        // A value starts at `i` (whitespace skipped).
        let told = match at(b, i) {
            open @ (b'{' | b'[') => {
                if depth == MAX_DEPTH {
                    return None;
                }
                let object = open == b'{';
                i = skip_ws(b, i + 1);
                if at(b, i) == if object { b'}' } else { b']' } {
                    i += 1; // empty: the value ends here
                    visitor.empty(object)
                } else {
                    let word = stack.get_mut(depth / 64)?;
                    *word = (*word & !(1 << (depth % 64))) | (u64::from(object) << (depth % 64));
                    depth += 1;
                    in_object = object;
                    if !visitor.open(object) {
                        return None;
                    }
                    if object {
                        i = key(b, i, visitor)?;
                    }
                    continue 'value;
                }
            }
            b'"' => {
                let start = i + 1;
                let escaped;
                (i, escaped) = string_end(b, start)?;
                visitor.string(start, i - 1, escaped)
            }
            b't' => {
                i = literal(b, i, b"true")?;
                visitor.literal(b't')
            }
            b'f' => {
                i = literal(b, i, b"false")?;
                visitor.literal(b'f')
            }
            b'n' => {
                i = literal(b, i, b"null")?;
                visitor.literal(b'n')
            }
            _ => {
                let start = i;
                i = number_end(b, i)?;
                visitor.number(start, i)
            }
        };
        if !told {
            return None;
        }
        // After a value: the next one in the enclosing container, or the container's end.
        loop {
            if depth == 0 {
                return Some(i);
            }
            let object = in_object;
            i = skip_ws(b, i);
            match at(b, i) {
                b',' => {
                    i = skip_ws(b, i + 1);
                    if object {
                        i = key(b, i, visitor)?;
                    }
                    continue 'value;
                }
                b'}' if object => {}
                b']' if !object => {}
                _ => return None,
            }
            i += 1;
            depth -= 1;
            // The enclosing container's kind, if any (read only here: a value's own kind is kept in `in_object`).
            if let Some(top) = depth.checked_sub(1) {
                in_object = stack.get(top / 64)? >> (top % 64) & 1 == 1;
            }
            if !visitor.close(object) {
                return None;
            }
        }
    }
}

/// An object key and its colon at `i`; the index of the value after them (whitespace skipped).
#[inline(always)]
fn key<V: Visit>(b: &[u8], i: usize, visitor: &mut V) -> Option<usize> {
    if at(b, i) != b'"' {
        return None;
    }
    let (end, escaped) = string_end(b, i + 1)?;
    let after = skip_ws(b, end);
    // Not `bool::then` with a closure: the size-optimised WebAssembly build keeps that a call.
    if at(b, after) == b':' && visitor.key(i + 1, end - 1, escaped) {
        Some(skip_ws(b, after + 1))
    } else {
        None
    }
}

#[inline(always)]
fn literal(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    (b.get(i..i + word.len())? == word).then_some(i + word.len())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// jiter's verdict on the value at the start of `text`: its end, or an error (also the structural scan's
    /// reference, `structure.rs`).
    pub(crate) fn jiter_end(text: &[u8]) -> Option<usize> {
        let mut jiter = jiter::Jiter::new(text);
        jiter.next_skip().ok()?;
        Some(jiter.current_index())
    }

    /// Sound: whenever the scan is sure, jiter agrees, with the same end.
    fn agrees(text: &[u8]) {
        if !matches!(text.first(), Some(b'{' | b'[')) || std::str::from_utf8(text).is_err() {
            return;
        }
        if let Some(end) = container_end(text, 0) {
            assert_eq!(jiter_end(text), Some(end), "{:?}", String::from_utf8_lossy(text));
        }
    }

    /// Rebuilds a `serde_json::Value` from what the walk tells a visitor, as a binding's builder does.
    struct Rebuild<'t> {
        text: &'t [u8],
        open: Vec<(serde_json::Value, Option<String>)>,
        value: Option<serde_json::Value>,
        /// Stop (answer `false`) at this event, counting from 0.
        stop_at: Option<usize>,
        events: usize,
    }

    impl<'t> Rebuild<'t> {
        fn new(text: &'t [u8]) -> Self {
            Self { text, open: Vec::new(), value: None, stop_at: None, events: 0 }
        }

        fn go(&mut self) -> bool {
            self.events += 1;
            self.stop_at != Some(self.events - 1)
        }

        fn text_of(&self, start: usize, end: usize, escaped: bool) -> String {
            let quoted = format!("\"{}\"", std::str::from_utf8(&self.text[start..end]).unwrap());
            let decoded: String = serde_json::from_str(&quoted).unwrap();
            assert_eq!(escaped, self.text[start..end].contains(&b'\\'), "{quoted}");
            decoded
        }

        fn put(&mut self, value: serde_json::Value) -> bool {
            match self.open.last_mut() {
                None => self.value = Some(value),
                Some((serde_json::Value::Array(items), _)) => items.push(value),
                Some((serde_json::Value::Object(members), key)) => {
                    members.insert(key.take().expect("a key before each member's value"), value);
                }
                Some(_) => unreachable!(),
            }
            self.go()
        }
    }

    impl Visit for Rebuild<'_> {
        fn open(&mut self, object: bool) -> bool {
            let empty = if object { serde_json::json!({}) } else { serde_json::json!([]) };
            self.open.push((empty, None));
            self.go()
        }
        fn close(&mut self, object: bool) -> bool {
            let (value, key) = self.open.pop().expect("a close after an open");
            assert_eq!(value.is_object(), object);
            assert!(key.is_none(), "a key without a value");
            self.put(value)
        }
        fn empty(&mut self, object: bool) -> bool {
            self.put(if object { serde_json::json!({}) } else { serde_json::json!([]) })
        }
        fn key(&mut self, start: usize, end: usize, escaped: bool) -> bool {
            let key = self.text_of(start, end, escaped);
            let (value, slot) = self.open.last_mut().expect("a key inside an object");
            assert!(value.is_object() && slot.is_none());
            *slot = Some(key);
            self.go()
        }
        fn string(&mut self, start: usize, end: usize, escaped: bool) -> bool {
            let text = self.text_of(start, end, escaped);
            self.put(serde_json::Value::String(text))
        }
        fn number(&mut self, start: usize, end: usize) -> bool {
            let number = serde_json::from_slice(&self.text[start..end]).expect("a number");
            self.put(number)
        }
        fn literal(&mut self, first: u8) -> bool {
            self.put(match first {
                b't' => serde_json::Value::Bool(true),
                b'f' => serde_json::Value::Bool(false),
                _ => serde_json::Value::Null,
            })
        }
    }

    /// What the walk tells a visitor is the value: rebuilt from the events, it is what serde_json parses; a visitor
    /// that stops makes the walk not sure.
    fn told_in_full(text: &[u8]) {
        let Some(end) = container_end(text, 0) else { return };
        let mut rebuild = Rebuild::new(text);
        assert_eq!(walk(text, 0, &mut rebuild), Some(end));
        assert!(rebuild.open.is_empty());
        let expected: serde_json::Value = serde_json::from_slice(&text[..end]).unwrap();
        assert_eq!(rebuild.value, Some(expected), "{:?}", String::from_utf8_lossy(text));
        for stop_at in [0, rebuild.events / 2, rebuild.events - 1] {
            let mut stopped = Rebuild::new(text);
            stopped.stop_at = Some(stop_at);
            assert_eq!(walk(text, 0, &mut stopped), None, "stopped at event {stop_at}");
            assert_eq!(stopped.events, stop_at + 1, "no event after a visitor stops");
        }
    }

    #[test]
    fn a_visitor_is_told_the_value_it_walks() {
        for case in [
            r#"{}"#,
            r#"[ ]"#,
            r#"{"a":1}"#,
            r#"{ "a" : [ 1 , -2.5e+3 , 0 , -0 , 0.0 , 1E9 , true , false , null , "x\"y\\z\/\b\f\n\r\t\u00e9" ] } "#,
            r#"[{"sku":"RX-000001","name":"Amoxicillin 500mg","quantity":2,"price":12.50,"dispensed":true},{}]"#,
            r#"{"k\u00e9y":{"b":{},"c":[[],{},[[]]]},"dup":1,"dup":2}"#,
            "{\"na\u{ef}ve\":\"\u{1F600} caf\u{e9}\"}",
        ] {
            assert!(container_end(case.as_bytes(), 0).is_some(), "{case}");
            told_in_full(case.as_bytes());
        }
        // Not sure: the walk tells what it read before it stopped, and answers None.
        let mut rebuild = Rebuild::new(br#"[1,"\ud800"]"#);
        assert_eq!(walk(br#"[1,"\ud800"]"#, 0, &mut rebuild), None);
        assert_eq!(rebuild.value, None);
    }

    #[test]
    fn accepts_ordinary_json_and_ends_where_jiter_does() {
        let cases: &[&str] = &[
            r#"{}"#,
            r#"[]"#,
            r#"{"a":1}"#,
            r#"{ "a" : [ 1 , -2.5e+3 , 0 , -0 , 0.0 , 1E9 , true , false , null , "x\"y\\z\/\b\f\n\r\t\u00e9" ] } "#,
            r#"[{"sku":"SKU-100000","name":"Amoxicillin 500 mg capsules, 21","qty":1,"unit_price":84.5}]"#,
            r#"[[[[[[[[[["deep"]]]]]]]]]]"#,
            "{\"na\u{ef}ve\":\"\u{1F600} caf\u{e9}\"}",
            r#"{"a":{"b":{}},"c":[[],{}]}"#,
            r#"["\ud83d\ude00"]"#,
        ];
        for case in cases {
            agrees(case.as_bytes());
        }
        for case in &cases[..8] {
            let end = container_end(case.as_bytes(), 0);
            assert_eq!(end, Some(case.trim_end().len()), "{case}");
        }
    }

    #[test]
    fn leaves_to_jiter_what_it_is_not_sure_of() {
        let unsure: &[&str] = &[
            r#"{"a":1,}"#,
            r#"[1,]"#,
            r#"{"a" 1}"#,
            r#"{"a":01}"#,
            r#"[1.]"#,
            r#"[.5]"#,
            r#"[1e]"#,
            r#"[-]"#,
            r#"[tru]"#,
            r#"[nul]"#,
            r#"["a\x"]"#,
            "[\"a\u{1}\"]",
            "[\"tab\there\"]",
            r#"["\ud800"]"#,
            r#"["\udc00"]"#,
            r#"["\u12g4"]"#,
            r#"[1 2]"#,
            r#"{"a":1]"#,
            r#"[1}"#,
            r#"{1:2}"#,
            r#"[NaN]"#,
            r#"[Infinity]"#,
            r#"["unterminated"#,
            r#"[1"#,
            r#"{"a":"#,
            r#"[1x]"#,
            r#"[truex]"#,
        ];
        for case in unsure {
            assert_eq!(container_end(case.as_bytes(), 0), None, "{case}");
        }
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(container_end(deep.as_bytes(), 0), None);
        let fits = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(container_end(fits.as_bytes(), 0), Some(fits.len()));
        let long = format!("[{}]", "1".repeat(MAX_INT_DIGITS + 1));
        assert_eq!(container_end(long.as_bytes(), 0), None);
    }

    #[test]
    fn next_special_finds_the_first_special_byte_or_the_end() {
        // At every length to past the 64-byte blocks, from every start: none (the length), then each special byte at
        // every position, with a second one after it.
        for len in 0..150 {
            let plain = vec![b'x'; len];
            for from in 0..=len {
                assert_eq!(next_special(&plain, from), len, "{len} {from}");
            }
            for at in 0..len {
                for special in [b'"', b'\\', 0x00, 0x1f] {
                    let mut text = plain.clone();
                    text[at] = special;
                    if let Some(next) = text.get_mut(at + 1) {
                        *next = b'"';
                    }
                    assert_eq!(next_special(&text, 0), at, "{len} {at} {special}");
                    assert_eq!(next_special(&text, at), at, "{len} {at} {special}");
                }
            }
        }
        assert_eq!(next_special(b"x", 5), 5, "a start past the end is returned as it is");
    }

    #[test]
    fn long_strings_end_at_their_first_special_byte() {
        // Every length to past a few 64-byte blocks (the SSE2 scan's; the word scan's are 32), with the quote, a
        // backslash escape, a control byte (0x01, and 0x1f beside 0x20, the bound) or a non-ASCII character at every
        // position: the chunk, word and block scans must agree with jiter everywhere.
        for len in 0..210 {
            let plain = "x".repeat(len);
            let text = format!("[\"{plain}\"]");
            assert_eq!(container_end(text.as_bytes(), 0), Some(text.len()), "{len}");
            agrees(text.as_bytes());
            for at in 0..=len {
                // Valid inside a string (the scan is sure, to the end), then malformed there (it leaves it to jiter).
                for (special, valid) in [
                    ("\\n", true),
                    ("\\u00e9", true),
                    ("\u{e9}", true),
                    ("\\q", false),
                    ("\u{1}", false),
                    ("\u{1f}", false),
                    (" ", true),
                    ("\"", false),
                ] {
                    let text = format!("[\"{}{special}{}\"]", &plain[..at], &plain[at..]);
                    assert_eq!(container_end(text.as_bytes(), 0), valid.then_some(text.len()), "{text:?}");
                    agrees(text.as_bytes());
                }
            }
        }
    }

    #[test]
    fn finds_the_first_special_byte_of_a_word() {
        for (text, first) in [(&b"abcdefgh"[..], None), (b"ab\"defgh", Some(2)), (b"\\\"cdefgh", Some(0))] {
            let mut word = [0u8; 8];
            word.copy_from_slice(text);
            let flagged = specials(u64::from_le_bytes(word));
            assert_eq!((flagged != 0).then(|| flagged.trailing_zeros() / 8), first);
        }
        for byte in 0u8..=255 {
            let mut word = *b"xxxxxxxx";
            word[5] = byte;
            let flagged = specials(u64::from_le_bytes(word));
            let expected = byte == b'"' || byte == b'\\' || byte < 0x20;
            assert_eq!(flagged != 0, expected, "byte {byte}");
            if expected {
                assert_eq!(flagged.trailing_zeros() / 8, 5);
            }
        }
    }

    fn json_like() -> impl Strategy<Value = Vec<u8>> {
        let atoms = prop::sample::select(vec![
            "{", "}", "[", "]", ",", ":", " ", "\n", "\"", "\\", "\\u", "\\ud83d", "\\ude00", "\\n", "a", "é", "0",
            "1", "-", ".", "e", "+", "true", "false", "null", "\"k\":", "\u{1}", "\t", "12.5", "\"s\"",
        ]);
        (prop::sample::select(vec!["{", "["]), prop::collection::vec(atoms, 0..40))
            .prop_map(|(first, rest)| format!("{first}{}", rest.concat()).into_bytes())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        #[test]
        fn agrees_with_jiter(text in json_like()) {
            agrees(&text);
            if std::str::from_utf8(&text).is_ok() {
                told_in_full(&text);
            }
        }

        #[test]
        fn agrees_with_jiter_on_serialised_values(value in arbitrary_json(), pretty in any::<bool>()) {
            let text = if pretty { serde_json::to_string_pretty(&value) } else { serde_json::to_string(&value) };
            let text = format!("[{}]", text.unwrap());
            agrees(text.as_bytes());
            told_in_full(text.as_bytes());
            // Ordinary values (no surrogate escapes here: serde_json writes those as UTF-8) are always sure.
            prop_assert_eq!(container_end(text.as_bytes(), 0), Some(text.len()));
        }
    }

    fn arbitrary_json() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-1e12f64..1e12).prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(".{0,6}", inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
