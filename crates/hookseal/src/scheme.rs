//! The three schemes of docs/providers.md: checking a delivery's headers against the raw body, and signing.
//! Keys are prepared once, when the verifier is built; every comparison is constant time.

use std::fmt;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{ConfigError, ErrorCode, VerifyError};
use crate::headers::{self, Found, MAX_SIGNATURES, SW_SIGNATURE};
use crate::provider::Encoding;

type HmacSha256 = Hmac<Sha256>;

/// Standard base64 that accepts a signature with or without its `=` padding.
const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A Standard Webhooks secret decodes as the reference libraries (Python, JavaScript) decode it: padding optional, and
/// stray bits in the last character ignored (`...LaS` and `...LaQ` are one key), so a secret they accept works here.
const BASE64_SECRET: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

const SW_SECRET_PREFIX: &str = "whsec_";

/// A prepared check: what a verifier holds for its scheme.
#[derive(Clone)]
pub(crate) enum Check {
    Hmac {
        header: Box<str>,
        prefix: Box<str>,
        encoding: Encoding,
        keys: Vec<HmacSha256>,
    },
    SharedKey {
        header: Box<str>,
        /// SHA-256 of each key: comparing digests reveals neither the key's length nor its content.
        digests: Vec<KeyDigest>,
    },
    StandardWebhooks {
        keys: Vec<HmacSha256>,
    },
}

// Wiped when the verifier goes. HMAC states (the key's inner and outer pads) wipe themselves (`hmac`'s `zeroize`
// feature); a shared key's digest is as good as the key for comparing, so it is wiped here.
impl Drop for Check {
    fn drop(&mut self) {
        if let Check::SharedKey { digests, .. } = self {
            digests.zeroize();
        }
    }
}

// Keys are counted, never shown.
impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Check::Hmac { header, prefix, encoding, keys } => f
                .debug_struct("HmacSha256")
                .field("header", header)
                .field("prefix", prefix)
                .field("encoding", encoding)
                .field("secrets", &format_args!("[{} redacted]", keys.len()))
                .finish(),
            Check::SharedKey { header, digests } => f
                .debug_struct("SharedKey")
                .field("header", header)
                .field("secrets", &format_args!("[{} redacted]", digests.len()))
                .finish(),
            Check::StandardWebhooks { keys } => {
                f.debug_struct("StandardWebhooks").field("secrets", &format_args!("[{} redacted]", keys.len())).finish()
            }
        }
    }
}

pub(crate) fn hmac_key(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; the error arm cannot happen, and an empty key is refused before this.
    HmacSha256::new_from_slice(key).unwrap_or_else(|_| HmacSha256::new(&Default::default()))
}

/// The key bytes of a Standard Webhooks secret: base64, with or without `whsec_` (wiped when dropped).
pub(crate) fn standard_webhooks_key(secret: &str) -> Result<Zeroizing<Vec<u8>>, ConfigError> {
    let encoded = secret.strip_prefix(SW_SECRET_PREFIX).unwrap_or(secret);
    match BASE64_SECRET.decode(encoded).map(Zeroizing::new) {
        Ok(key) if !key.is_empty() => Ok(key),
        _ => Err(ConfigError::new(
            ErrorCode::InvalidSecret,
            "a standard-webhooks secret must be base64, optionally prefixed with whsec_",
        )),
    }
}

/// Constant-time equality of two 32-byte values, compared as four 64-bit lanes (subtle's byte-wise comparison puts an
/// optimisation barrier on every byte; on lanes it costs a quarter of that and is just as branch-free).
fn ct_eq_32(a: &[u8; 32], b: &[u8; 32]) -> Choice {
    fn lanes(x: &[u8; 32]) -> [u64; 4] {
        let mut out = [0u64; 4];
        for (lane, bytes) in out.iter_mut().zip(x.chunks_exact(8)) {
            *lane = u64::from_le_bytes(bytes.try_into().unwrap_or_default());
        }
        out
    }
    lanes(a).ct_eq(&lanes(b))
}

/// A key's SHA-256, aligned so that it never straddles two cache lines: a comparison then costs the same wherever
/// the allocator put it (the timing check, crates/hookseal-timing, saw an unaligned one do otherwise).
#[derive(Clone, Zeroize)]
#[repr(align(32))]
pub(crate) struct KeyDigest([u8; 32]);

pub(crate) fn key_digest(key: &[u8]) -> KeyDigest {
    KeyDigest(Sha256::digest(key).into())
}

/// True when `presented` equals any configured key, in constant time.
pub(crate) fn shared_key_matches(digests: &[KeyDigest], presented: &[u8]) -> bool {
    let presented = key_digest(presented);
    let mut matched = Choice::from(0);
    for digest in digests {
        matched |= ct_eq_32(&digest.0, &presented.0);
    }
    matched.into()
}

/// The signatures a header carried, decoded, up to [`MAX_SIGNATURES`].
struct Candidates {
    items: [[u8; 32]; MAX_SIGNATURES],
    len: usize,
    /// Every token seen, decodable or not: the cap counts them all.
    tokens: usize,
}

impl Candidates {
    fn new() -> Self {
        Self { items: [[0; 32]; MAX_SIGNATURES], len: 0, tokens: 0 }
    }

    fn push(&mut self, header: &str, decoded: Option<[u8; 32]>) -> Result<(), VerifyError> {
        self.tokens += 1;
        if self.tokens > MAX_SIGNATURES {
            return Err(too_many(header));
        }
        if let Some(sig) = decoded {
            if let Some(slot) = self.items.get_mut(self.len) {
                *slot = sig;
                self.len += 1;
            } else {
                return Err(too_many(header));
            }
        }
        Ok(())
    }

    fn as_slice(&self) -> &[[u8; 32]] {
        self.items.get(..self.len).unwrap_or(&[])
    }

    /// `malformed_header` unless the header held a decodable signature: checked before any hashing.
    fn any(self, header: &str) -> Result<Self, VerifyError> {
        if self.len == 0 {
            return Err(VerifyError::new(
                ErrorCode::MalformedHeader,
                format!("the {header} header holds no decodable signature"),
            ));
        }
        Ok(self)
    }

    /// Every candidate against every key's tag; `signature_mismatch` unless one matches.
    fn check(&self, header: &str, tags: impl Iterator<Item = [u8; 32]>) -> Result<(), VerifyError> {
        let mut matched = Choice::from(0);
        for tag in tags {
            for candidate in self.as_slice() {
                matched |= ct_eq_32(&tag, candidate);
            }
        }
        if bool::from(matched) {
            Ok(())
        } else {
            Err(VerifyError::new(
                ErrorCode::SignatureMismatch,
                format!("no signature in the {header} header matches the body"),
            ))
        }
    }
}

fn too_many(header: &str) -> VerifyError {
    VerifyError::new(
        ErrorCode::MalformedHeader,
        format!("the {header} header carries more than {MAX_SIGNATURES} signatures"),
    )
}

fn decode_signature(text: &[u8], encoding: Encoding) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    match encoding {
        // faster-hex: SIMD, either case, ~10x the hex crate (a decode is on every delivery's path).
        Encoding::Hex if text.len() == 64 => faster_hex::hex_decode(text, &mut out).is_ok().then_some(out),
        Encoding::Hex => None,
        Encoding::Base64 => {
            // 32 bytes are 43 or 44 base64 characters; anything longer cannot be a signature.
            if text.len() > 44 {
                return None;
            }
            let mut buf = [0u8; 48];
            match BASE64_LENIENT.decode_slice(text, &mut buf) {
                Ok(32) => {
                    out.copy_from_slice(buf.get(..32)?);
                    Some(out)
                }
                _ => None,
            }
        }
    }
}

fn strip_prefix_ignore_case<'t>(token: &'t [u8], prefix: &[u8]) -> Option<&'t [u8]> {
    let (head, rest) = token.split_at_checked(prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then_some(rest)
}

fn tag(key: &HmacSha256, parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = key.clone();
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Where the MACs a delivery is checked against come from.
#[derive(Clone, Copy)]
pub(crate) enum Tags<'t> {
    /// Computed here, one per configured key.
    Computed,
    /// Computed by the host (WebCrypto), one per configured key in order; any other count matches nothing.
    Given(&'t [[u8; 32]]),
}

/// The headers' part of a MAC'd delivery, checked before the body is hashed.
struct Presented<'h> {
    candidates: Candidates,
    /// Standard Webhooks: the id and timestamp signed in front of the body (`id.timestamp.body`).
    signed_prefix: Option<(&'h [u8], &'h [u8])>,
}

impl Check {
    /// Checks authenticity on the raw bytes. Runs before the body is parsed.
    pub(crate) fn verify(&self, body: &[u8], found: &Found<'_>, tags: Tags<'_>) -> Result<(), VerifyError> {
        let Some(presented) = self.presented(found)? else {
            return Ok(()); // a shared key, compared in `presented`
        };
        let (header, keys) = match self {
            Check::Hmac { header, keys, .. } => (&**header, keys),
            Check::StandardWebhooks { keys } => (SW_SIGNATURE, keys),
            Check::SharedKey { .. } => return Ok(()),
        };
        match tags {
            Tags::Computed => match presented.signed_prefix {
                None => presented.candidates.check(header, keys.iter().map(|key| tag(key, &[body]))),
                Some((id, timestamp)) => presented
                    .candidates
                    .check(header, keys.iter().map(|key| tag(key, &[id, b".", timestamp, b".", body]))),
            },
            Tags::Given(given) => {
                // The count is configuration, not a secret; a missing tag must never stand in as zeros.
                let usable = if given.len() == keys.len() { given } else { &[] };
                presented.candidates.check(header, usable.iter().copied())
            }
        }
    }

    /// What a host that computes the MACs itself signs in front of the body (empty for hmac-sha256,
    /// `id.timestamp.` for Standard Webhooks), after every check `verify` makes before hashing; `None` for a shared
    /// key, which needs no MAC.
    pub(crate) fn signed_prefix(&self, found: &Found<'_>) -> Result<Option<Vec<u8>>, VerifyError> {
        Ok(self.presented(found)?.map(|presented| match presented.signed_prefix {
            None => Vec::new(),
            Some((id, timestamp)) => [id, b".", timestamp, b"."].concat(),
        }))
    }

    /// Everything `verify` checks before it hashes the body: the signature header's presence and its decodable
    /// signatures (`None`: a shared key, compared here, with no MAC to compute).
    fn presented<'h>(&self, found: &Found<'h>) -> Result<Option<Presented<'h>>, VerifyError> {
        match self {
            Check::Hmac { header, prefix, encoding, .. } => {
                let values = found.auth();
                if values.is_empty() {
                    return Err(headers::missing(header));
                }
                let mut candidates = Candidates::new();
                for value in values {
                    let tokens = value.split(|b| *b == b',' || b.is_ascii_whitespace()).filter(|t| !t.is_empty());
                    for token in tokens {
                        let decoded = strip_prefix_ignore_case(token, prefix.as_bytes())
                            .and_then(|sig| decode_signature(sig, *encoding));
                        candidates.push(header, decoded)?;
                    }
                }
                Ok(Some(Presented { candidates: candidates.any(header)?, signed_prefix: None }))
            }
            Check::SharedKey { header, digests } => {
                let presented = found.auth().first().ok_or_else(|| headers::missing(header))?;
                if shared_key_matches(digests, presented) {
                    Ok(None)
                } else {
                    Err(VerifyError::new(
                        ErrorCode::KeyMismatch,
                        format!("the {header} header does not match the configured key"),
                    ))
                }
            }
            Check::StandardWebhooks { .. } => {
                let id = found.id().ok_or_else(|| headers::missing(headers::SW_ID))?;
                let timestamp = found.timestamp().ok_or_else(|| headers::missing(headers::SW_TIMESTAMP))?;
                let values = found.auth();
                if values.is_empty() {
                    return Err(headers::missing(SW_SIGNATURE));
                }
                let mut candidates = Candidates::new();
                for value in values {
                    for token in value.split(|b| b.is_ascii_whitespace()).filter(|t| !t.is_empty()) {
                        let token = token.strip_suffix(b",").unwrap_or(token);
                        let mut parts = token.splitn(2, |b| *b == b',');
                        let (version, sig) = (parts.next(), parts.next());
                        if version != Some(b"v1".as_slice()) && sig.is_some() {
                            continue; // another version (e.g. v1a, asymmetric): not ours to check
                        }
                        let decoded = sig.and_then(|sig| decode_signature(sig, Encoding::Base64));
                        candidates.push(SW_SIGNATURE, decoded)?;
                    }
                }
                Ok(Some(Presented { candidates: candidates.any(SW_SIGNATURE)?, signed_prefix: Some((id, timestamp)) }))
            }
        }
    }

    /// The signature header value for `body` under `key` (hmac-sha256 and standard-webhooks).
    pub(crate) fn sign_hmac(key: &[u8], prefix: &str, encoding: Encoding, parts: &[&[u8]]) -> String {
        let mac = tag(&hmac_key(key), parts);
        let encoded = match encoding {
            Encoding::Hex => faster_hex::hex_string(&mac),
            Encoding::Base64 => STANDARD.encode(mac),
        };
        format!("{prefix}{encoded}")
    }
}

#[cfg(test)]
mod wiping {
    use super::*;

    fn wipes_itself_on_drop<T: zeroize::ZeroizeOnDrop>() {}

    #[test]
    fn key_material_is_wiped_when_dropped() {
        // The HMAC state a verifier keeps per secret is two SHA-256 states (the key's inner and outer pads: `hmac`'s
        // HmacCore), each of which wipes itself; so does a decoded Standard Webhooks key. `Check`'s and `Options`'
        // Drop wipe the digests and secrets they hold.
        wipes_itself_on_drop::<<Sha256 as sha2::digest::block_api::CoreProxy>::Core>();
        wipes_itself_on_drop::<Zeroizing<Vec<u8>>>();
        let key = standard_webhooks_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let _: &Zeroizing<Vec<u8>> = &key;
    }
}
