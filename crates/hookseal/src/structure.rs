//! Where `data` ends, for a host whose own JSON parser reads all of it anyway (Node's `JSON.parse`, which the napi
//! addon's glue runs over the event text, and the WebAssembly build's `verifyAsync` over the body): the grammar of
//! `data` is then that parser's to check, and this crate only finds the value's extent and checks what such a parser
//! would let through that the core refuses.
//!
//! It reads the text 64 bytes at a time, as simdjson's first stage does: bit masks of quotes, backslashes and
//! brackets, the escaped characters from the runs of backslashes, the inside of strings as the prefix XOR of the
//! unescaped quotes, and the depth from the counts of the brackets outside strings (bracket by bracket only in the
//! blocks where it could reach zero or the limit). The masks are SSE2 compares on x86-64 (through `safe_arch`: the
//! crate forbids `unsafe`, and std's intrinsics need it outside `#[target_feature]` functions; a plain loop over the
//! bytes stays scalar, 0.2 GB/s), WebAssembly's 128-bit SIMD in the WASM build (`simd128`, whose intrinsics are safe
//! functions), eight bytes a word elsewhere. A block wholly inside a string (an attachment's base64) costs only its
//! quote and backslash compares, and after such a block one test for either. About 4 GB/s on order records here,
//! 6-9 GB/s on base64 natively; in V8, about 2.5 and 5 GB/s.
//!
//! Soundness (`tests`, and `docs/decisions.md`, "Node: JSON.parse checks data's grammar"): for a text that is valid
//! JSON from `start`, the end found is the value's own end, since a valid value ends where its brackets outside
//! strings first balance, and strings are delimited exactly as the masks delimit them. For any other text the end is
//! somewhere, and the host's parser refuses the event text that embeds it. What a host's parser accepts but the
//! core's grammar (jiter's) refuses is answered "not sure" (`None`), and the caller then parses `data` as ever:
//! nesting deeper than [`validate::MAX_DEPTH`](crate::validate::MAX_DEPTH), a `\u` escape of a surrogate (JSON.parse
//! takes a lone one), and any stretch of over 3,900 bytes outside strings without a quote or bracket (where an
//! integer part longer than jiter's 4300 digits could be). The text is valid UTF-8 already.

use crate::validate::{bytes, MAX_DEPTH};

const EVEN_BITS: u64 = 0x5555_5555_5555_5555;

/// Consecutive blocks wholly outside strings with no quote or bracket after which the scan is not sure: 4000 bytes
/// of such text hold at least 61 whole blocks, so no integer part of 4000 digits or more gets past it.
const QUIET_BLOCKS: u32 = 61;

/// A block's bytes of interest, a bit each (bit `i` for byte `i`), from the block read once into the target's
/// vectors ([`Lanes`]).
struct Masks;

/// A block as SSE2 registers (every x86-64 has SSE2), through safe_arch's safe wrappers of the intrinsics.
#[cfg(target_arch = "x86_64")]
type Lanes = [safe_arch::m128i; 4];

/// A block as WebAssembly SIMD values (the module is built with `simd128`: the Makefile's `WASM_ENV`).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
type Lanes = [core::arch::wasm32::v128; 4];

/// Elsewhere (ARM; WebAssembly without SIMD), eight bytes a word.
#[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
type Lanes = [u64; 8];

#[cfg(target_arch = "x86_64")]
impl Masks {
    /// Four plain unaligned loads once compiled.
    #[inline(always)]
    fn load(block: &[u8; 64]) -> Lanes {
        [0, 1, 2, 3].map(|k| safe_arch::m128i::from(bytes::<16>(block, 16 * k)))
    }

    /// The bytes that equal `byte` once OR-ed with `fold`.
    #[inline(always)]
    fn equal(lanes: &Lanes, byte: u8, fold: u8) -> u64 {
        use safe_arch::{bitor_m128i, cmp_eq_mask_i8_m128i, move_mask_i8_m128i, set_splat_i8_m128i};
        let (byte, fold) = (set_splat_i8_m128i(byte as i8), set_splat_i8_m128i(fold as i8));
        let mut mask = 0u64;
        for (k, lane) in lanes.iter().enumerate() {
            let equal = cmp_eq_mask_i8_m128i(bitor_m128i(*lane, fold), byte);
            mask |= u64::from(move_mask_i8_m128i(equal) as u16) << (16 * k);
        }
        mask
    }

    /// Whether the block has a quote or a backslash: one mask for the four lanes.
    #[inline(always)]
    fn has_string_bytes(lanes: &Lanes) -> bool {
        use safe_arch::{bitor_m128i, cmp_eq_mask_i8_m128i, move_mask_i8_m128i, set_splat_i8_m128i};
        let (quote, backslash) = (set_splat_i8_m128i(b'"' as i8), set_splat_i8_m128i(b'\\' as i8));
        let any = lanes.iter().fold(set_splat_i8_m128i(0), |any, lane| {
            bitor_m128i(any, bitor_m128i(cmp_eq_mask_i8_m128i(*lane, quote), cmp_eq_mask_i8_m128i(*lane, backslash)))
        });
        move_mask_i8_m128i(any) != 0
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl Masks {
    /// Two 64-bit loads a lane (built from sixteen bytes, a lane stays sixteen byte loads; `v128_load` is `unsafe`).
    #[inline(always)]
    fn load(block: &[u8; 64]) -> Lanes {
        use core::arch::wasm32::u64x2;
        let w = |k: usize| u64::from_le_bytes(bytes::<8>(block, 8 * k));
        [u64x2(w(0), w(1)), u64x2(w(2), w(3)), u64x2(w(4), w(5)), u64x2(w(6), w(7))]
    }

    /// The bytes that equal `byte` once OR-ed with `fold`.
    #[inline(always)]
    fn equal(lanes: &Lanes, byte: u8, fold: u8) -> u64 {
        use core::arch::wasm32::{u8x16_bitmask, u8x16_eq, u8x16_splat, v128_or};
        let (byte, fold) = (u8x16_splat(byte), u8x16_splat(fold));
        let mask = |lane: core::arch::wasm32::v128| u64::from(u8x16_bitmask(u8x16_eq(v128_or(lane, fold), byte)));
        mask(lanes[0]) | mask(lanes[1]) << 16 | mask(lanes[2]) << 32 | mask(lanes[3]) << 48
    }

    /// Whether the block has a quote or a backslash: one test for the four lanes.
    #[inline(always)]
    fn has_string_bytes(lanes: &Lanes) -> bool {
        use core::arch::wasm32::{u8x16_eq, u8x16_splat, v128_any_true, v128_or};
        let (quote, backslash) = (u8x16_splat(b'"'), u8x16_splat(b'\\'));
        let hit = |lane: core::arch::wasm32::v128| v128_or(u8x16_eq(lane, quote), u8x16_eq(lane, backslash));
        v128_any_true(v128_or(v128_or(hit(lanes[0]), hit(lanes[1])), v128_or(hit(lanes[2]), hit(lanes[3]))))
    }
}

#[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
impl Masks {
    #[inline(always)]
    fn load(block: &[u8; 64]) -> Lanes {
        words(block)
    }

    #[inline(always)]
    fn equal(lanes: &Lanes, byte: u8, fold: u8) -> u64 {
        equal_words(lanes, byte, fold)
    }

    #[inline(always)]
    fn has_string_bytes(lanes: &Lanes) -> bool {
        equal_words(lanes, b'"', 0) | equal_words(lanes, b'\\', 0) != 0
    }
}

impl Masks {
    /// The block's quotes and backslashes.
    #[inline(always)]
    fn strings(lanes: &Lanes) -> (u64, u64) {
        (Self::equal(lanes, b'"', 0), Self::equal(lanes, b'\\', 0))
    }

    /// The block's opening and closing brackets (`{` and `[` differ only in bit 5, as do `}` and `]`).
    #[inline(always)]
    fn brackets(lanes: &Lanes) -> (u64, u64) {
        (Self::equal(lanes, b'{', 0x20), Self::equal(lanes, b'}', 0x20))
    }

    /// Quotes, backslashes, opening and closing brackets (the tests compare this target's way with the words').
    #[cfg(test)]
    fn of(block: &[u8; 64]) -> [u64; 4] {
        let lanes = Self::load(block);
        let ((quote, backslash), (open, close)) = (Self::strings(&lanes), Self::brackets(&lanes));
        assert_eq!(Self::has_string_bytes(&lanes), quote | backslash != 0);
        [quote, backslash, open, close]
    }

    #[cfg(test)]
    fn of_words(block: &[u8; 64]) -> [u64; 4] {
        let w = words(block);
        [equal_words(&w, b'"', 0), equal_words(&w, b'\\', 0), equal_words(&w, b'{', 0x20), equal_words(&w, b'}', 0x20)]
    }
}

/// The block as eight little-endian words.
#[cfg_attr(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128")), allow(dead_code))]
#[inline(always)]
fn words(block: &[u8; 64]) -> [u64; 8] {
    [0, 1, 2, 3, 4, 5, 6, 7].map(|k| u64::from_le_bytes(bytes::<8>(block, 8 * k)))
}

/// The bytes that equal `byte` once OR-ed with `fold`, eight a word (SWAR): each flagged in its top bit exactly (no
/// borrow between bytes), then gathered into eight bits by one multiply.
#[cfg_attr(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128")), allow(dead_code))]
#[inline(always)]
fn equal_words(words: &[u64; 8], byte: u8, fold: u8) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let mut mask = 0u64;
    for (k, word) in words.iter().enumerate() {
        let x = (word | (ONES * u64::from(fold))) ^ (ONES * u64::from(byte));
        // The high bit of each byte of `x` that is zero, then those eight bits as bits 0 to 7.
        let zero = !((x & LOW7).wrapping_add(LOW7) | x | LOW7);
        mask |= ((zero >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * k);
    }
    mask
}

/// Each bit the XOR of itself and every lower bit: 1 from an opening quote up to (not including) its closing quote.
#[inline(always)]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// The characters a backslash escapes (simdjson's `find_escaped_branchless`): the second of each pair in a run of
/// backslashes, and the character after a run of odd length. `carry` says whether the previous block's last
/// backslash escapes this block's first character, and is set for the next block.
#[inline(always)]
fn escaped(backslash: u64, carry: &mut u64) -> u64 {
    let backslash = backslash & !*carry;
    let follows_escape = backslash << 1 | *carry;
    let odd_sequence_starts = backslash & !EVEN_BITS & !follows_escape;
    let (sequences_starting_on_even_bits, overflow) = odd_sequence_starts.overflowing_add(backslash);
    *carry = u64::from(overflow);
    let invert_mask = sequences_starting_on_even_bits << 1;
    (EVEN_BITS ^ invert_mask) & follows_escape
}

/// Bits below `n` (all of them for 64).
#[inline(always)]
fn below(n: u32) -> u64 {
    u64::MAX.checked_shr(64 - n).unwrap_or(0)
}

/// Whether one of the escaped characters `at` (bits of the block at `base`) is the `u` of a `\u` escape of a
/// surrogate (`\uD800` to `\uDFFF`, any case).
fn escapes_surrogate(b: &[u8], base: usize, mut at: u64) -> bool {
    let byte = |i: usize| b.get(i).copied().unwrap_or(0);
    while at != 0 {
        let i = base + at.trailing_zeros() as usize;
        if byte(i) == b'u' && byte(i + 1) | 0x20 == b'd' && matches!(byte(i + 2) | 0x20, b'8'..=b'9' | b'a'..=b'f') {
            return true;
        }
        at &= at - 1;
    }
    false
}

/// What the scan has read so far.
#[derive(Default)]
struct Scan {
    /// Brackets open outside strings.
    depth: usize,
    /// All ones when the previous block ended inside a string.
    inside: u64,
    /// Whether the previous block's last backslash escapes this block's first character.
    carry: u64,
    /// Consecutive blocks wholly outside strings with no quote or bracket.
    quiet: u32,
    /// Whether the previous block was wholly inside a string.
    long_string: bool,
}

/// After one block: go on, the value ended (at this offset in the block), or not sure.
enum Step {
    On,
    End(u32),
    NotSure,
}

impl Scan {
    /// Reads the 64 bytes at `base` of `b` (`block`; padded with spaces past the end of `b`).
    #[inline(always)]
    fn block(&mut self, b: &[u8], base: usize, block: &[u8; 64]) -> Step {
        let lanes = Masks::load(block);
        // After a block wholly inside a string (so no escape carried), one test says whether this one is too.
        if self.long_string && !Masks::has_string_bytes(&lanes) {
            return Step::On;
        }
        let (quote, backslash) = Masks::strings(&lanes);
        self.long_string = self.inside != 0 && quote | backslash | self.carry == 0;
        if self.long_string {
            // Wholly inside a string (an attachment's base64): nothing in it counts.
            self.quiet = 0;
            return Step::On;
        }
        let escaped = if backslash | self.carry == 0 { 0 } else { escaped(backslash, &mut self.carry) };
        let quotes = quote & !escaped;
        let strings = prefix_xor(quotes) ^ self.inside;
        self.inside = 0u64.wrapping_sub(strings >> 63);
        let (open, close) = Masks::brackets(&lanes);
        let opens = open & !strings;
        let closes = close & !strings;

        // Where the value ends in this block, if it does: the first bracket at which the depth comes back to zero.
        let mut end = None;
        let (open_count, close_count) = (opens.count_ones() as usize, closes.count_ones() as usize);
        if close_count < self.depth && self.depth + open_count <= MAX_DEPTH {
            self.depth = self.depth + open_count - close_count;
        } else {
            let mut brackets = opens | closes;
            while brackets != 0 {
                let bit = brackets & brackets.wrapping_neg();
                if opens & bit != 0 {
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return Step::NotSure;
                    }
                } else {
                    let Some(depth) = self.depth.checked_sub(1) else { return Step::NotSure };
                    self.depth = depth;
                    if depth == 0 {
                        end = Some(bit.trailing_zeros() + 1);
                        break;
                    }
                }
                brackets &= brackets - 1;
            }
        }
        let within = end.map_or(u64::MAX, below);
        if escaped & within != 0 && escapes_surrogate(b, base, escaped & within) {
            return Step::NotSure;
        }
        if let Some(end) = end {
            return Step::End(end);
        }
        if strings == 0 && quotes == 0 && opens | closes == 0 {
            self.quiet += 1;
            if self.quiet >= QUIET_BLOCKS {
                return Step::NotSure;
            }
        } else {
            self.quiet = 0;
        }
        Step::On
    }
}

/// Where the object or array starting at `start` ends (past its closing bracket), if the text from `start` is valid
/// JSON; `None` when not sure (see the module's notes), and also for some malformed texts. Only the host's parser,
/// reading the text up to that end, says whether it is valid.
pub(crate) fn container_end(b: &[u8], start: usize) -> Option<usize> {
    let text = b.get(start..)?;
    if !matches!(text.first(), Some(b'{' | b'[')) {
        return None;
    }
    let mut scan = Scan::default();
    let mut base = start;
    let mut blocks = text.chunks_exact(64);
    // Whole blocks read in place; the last, short one padded with spaces (nothing to any of the masks).
    for chunk in blocks.by_ref() {
        let block: &[u8; 64] = chunk.try_into().ok()?;
        match scan.block(b, base, block) {
            Step::On => base += 64,
            Step::End(end) => return Some(base + end as usize),
            Step::NotSure => return None,
        }
    }
    let rest = blocks.remainder();
    let mut last = [b' '; 64];
    last.get_mut(..rest.len())?.copy_from_slice(rest);
    match scan.block(b, base, &last) {
        Step::End(end) => Some(base + end as usize),
        Step::On | Step::NotSure => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::tests::jiter_end;
    use proptest::prelude::*;

    /// The value's end by a byte-by-byte reading of strings and brackets (the reference the masks must match).
    fn reference_end(text: &[u8]) -> Option<usize> {
        let (mut depth, mut in_string, mut escape) = (0usize, false, false);
        for (i, &byte) in text.iter().enumerate() {
            if in_string {
                match (escape, byte) {
                    (true, _) => escape = false,
                    (false, b'\\') => escape = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match byte {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Whether a strict JSON parser without a depth limit (serde_json's; JSON.parse's grammar) takes `text` whole.
    fn strict_parser_takes(text: &[u8]) -> bool {
        let mut de = serde_json::Deserializer::from_slice(text);
        de.disable_recursion_limit();
        let parsed: Result<serde_json::Value, _> = serde::Deserialize::deserialize(&mut de);
        parsed.is_ok() && de.end().is_ok()
    }

    /// The contract the Node path relies on:
    /// - whenever jiter accepts the value, the scan finds its end, or is not sure;
    /// - whenever the scan finds an end and a strict parser takes the text up to it, jiter takes it too, with that
    ///   end (so the host's parser taking the event text means the core would have taken `data`);
    /// - the answer is the same wherever the value starts.
    fn check(text: &[u8]) {
        if std::str::from_utf8(text).is_err() || !matches!(text.first(), Some(b'{' | b'[')) {
            return;
        }
        let found = container_end(text, 0);
        if let (Some(end), Some(found)) = (jiter_end(text), found) {
            assert_eq!(found, end, "{:?}", String::from_utf8_lossy(text));
        }
        if let Some(end) = found {
            if strict_parser_takes(&text[..end]) {
                assert_eq!(jiter_end(&text[..end]), Some(end), "{:?}", String::from_utf8_lossy(text));
                assert_eq!(reference_end(text), Some(end), "{:?}", String::from_utf8_lossy(text));
            }
        }
        let mut padded = b"{\"x\":".to_vec();
        let offset = padded.len();
        padded.extend_from_slice(text);
        assert_eq!(container_end(&padded, offset), found.map(|end| end + offset));
    }

    #[test]
    fn ends() {
        for (text, end) in [
            (&br#"{}"#[..], Some(2)),
            (br#"[] "#, Some(2)),
            (br#"{"a":[1,2,{"b":"}"}]} ,"x":1}"#, Some(21)),
            (br#"{"a":"\"}"} x"#, Some(11)),
            (br#"{"a":"\\"} x"#, Some(10)),
            (br#"{"a":"\\\"}"} x"#, Some(13)),
            (br#"{"a":"x"#, None),
            (br#"{"a":1"#, None),
            // What JSON.parse would take and jiter would not: not sure.
            (br#"{"a":"\ud800"}"#, None),
            (br#"{"a":"\uDFFF"}"#, None),
            (br#"{"a":"\\ud800"}"#, Some(15)),
            (br#"{"a":"\u00e9\ud7ff\ue000"}"#, Some(26)),
        ] {
            assert_eq!(container_end(text, 0), end, "{:?}", String::from_utf8_lossy(text));
            check(text);
        }
    }

    #[test]
    fn jiter_and_json_parse_agree_on_numbers() {
        // JSON.parse takes any number of JSON's grammar; so must jiter, for every number the scan lets through.
        for number in [
            "1e400",
            "-1e-400",
            "1E+999999999999",
            "0.0000000000000000000000000000001",
            "123456789012345678901234567890",
        ] {
            let text = format!("[{number}]");
            assert_eq!(jiter_end(text.as_bytes()), Some(text.len()), "{number}");
            assert_eq!(container_end(text.as_bytes(), 0), Some(text.len()));
        }
    }

    /// Byte by byte, the masks both ways of computing them must give.
    fn masks_by_bytes(block: &[u8; 64]) -> [u64; 4] {
        let mut masks = [0u64; 4];
        for (i, &byte) in block.iter().enumerate() {
            for (mask, class) in masks.iter_mut().zip([b"\"".as_slice(), b"\\", b"{[", b"}]"]) {
                *mask |= u64::from(class.contains(&byte)) << i;
            }
        }
        masks
    }

    #[test]
    fn masks_both_ways() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        for round in 0..20_000 {
            let mut block = [0u8; 64];
            for byte in block.iter_mut() {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                // Half the rounds from the bytes of interest and their neighbours, half any byte.
                let pick = b"\"\\{}[]!#z|~ \x7f\xff\x00";
                *byte = if round % 2 == 0 { pick[(rng % pick.len() as u64) as usize] } else { rng as u8 };
            }
            let expected = masks_by_bytes(&block);
            assert_eq!(Masks::of(&block), expected, "{block:?}");
            assert_eq!(Masks::of_words(&block), expected, "{block:?}");
        }
    }

    #[test]
    fn deep_nesting_is_not_sure() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes();
        assert_eq!(container_end(&nested(MAX_DEPTH), 0), Some(2 * MAX_DEPTH));
        assert_eq!(container_end(&nested(MAX_DEPTH + 1), 0), None);
        // Deep in a later block, past the counts' shortcut.
        let mut text = format!("[{}", "1,".repeat(100)).into_bytes();
        text.extend(nested(MAX_DEPTH));
        text.push(b']');
        assert_eq!(container_end(&text, 0), None);
    }

    #[test]
    fn long_digit_runs_are_not_sure() {
        for digits in [3800, 4000, 4301, 6000] {
            let text = format!("[{}]", "7".repeat(digits));
            let found = container_end(text.as_bytes(), 0);
            assert!(digits < 3900 || found.is_none(), "{digits}");
        }
        // Long strings are not a number's digits: a 1 MiB base64 string is found whole.
        let text = format!("{{\"b64\":\"{}\"}}", "QUJD".repeat(1 << 18));
        assert_eq!(container_end(text.as_bytes(), 0), Some(text.len()));
    }

    #[test]
    fn escapes_across_blocks() {
        // A run of backslashes ending at every position around a block boundary, of every length up to 5.
        for run in 0..6 {
            for at in 50..80 {
                let mut text = b"{\"k\":\"".to_vec();
                text.resize(at, b'a');
                text.extend(std::iter::repeat_n(b'\\', run));
                text.extend_from_slice(b"\"}\"}");
                check(&text);
                let expected = reference_end(&text);
                assert_eq!(container_end(&text, 0), expected, "run {run} at {at}");
            }
        }
    }

    fn json_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| f.to_string()),
            "[ -~]{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            "(\\\\[\"\\\\/bfnrt]|\\\\u[0-9a-fA-F]{4}|[a-z{}\\[\\]\"])*".prop_map(|s| format!("\"{s}\"")),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(|items| format!("[{}]", items.join(","))),
                prop::collection::vec(("[a-z\"\\\\]{0,6}", inner), 0..8).prop_map(|members| {
                    let members: Vec<String> = members
                        .into_iter()
                        .map(|(k, v)| format!("{}:{v}", serde_json::to_string(&k).unwrap()))
                        .collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn agrees_on_json(text in json_text(), tail in "[ ,}\\]\"a-z]{0,4}") {
            check(format!("{text}{tail}").as_bytes());
            check(format!("[{text}]{tail}").as_bytes());
        }

        #[test]
        fn agrees_on_mangled_json(text in json_text(), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let mut bytes = format!("[{text}]").into_bytes();
            let at = cut.index(bytes.len());
            bytes[at] = byte;
            check(&bytes);
            bytes.truncate(at);
            check(&bytes);
        }

        #[test]
        fn agrees_on_bytes(bytes in prop::collection::vec(prop::sample::select(b"{}[]\"\\u:,d8 a1".to_vec()), 0..200)) {
            let mut text = b"[".to_vec();
            text.extend(bytes);
            check(&text);
        }
    }
}
