//! Finding the headers a verifier needs in one pass over any `(name, value)` iterator, without allocating.
//! Names match ASCII case-insensitively; values are trimmed of surrounding whitespace.

use crate::error::{ErrorCode, VerifyError};

/// The most occurrences of a signature header, and the most signatures across them, that one delivery may carry.
/// Each candidate costs a comparison per secret, so the cap bounds the work an anonymous sender can cause.
pub const MAX_SIGNATURES: usize = 16;

/// The longest value of a header a verifier reads (the signature or key header, Standard Webhooks' id and
/// timestamp, ELMED's event), trimmed. Longer is `malformed_header` before any work on it: HTTP servers cap a header
/// at 8-16 KiB anyway, and a Standard Webhooks header with 16 signatures is under 1 KiB.
pub const MAX_HEADER_BYTES: usize = 8192;

/// The header marking a provider's test delivery.
pub(crate) const TEST_HEADER: &str = "X-Webhook-Test";
pub(crate) const SW_ID: &str = "webhook-id";
pub(crate) const SW_TIMESTAMP: &str = "webhook-timestamp";
pub(crate) const SW_SIGNATURE: &str = "webhook-signature";
/// Svix sends the same scheme under its own names; like the `svix` crate, hookseal reads them where the
/// `webhook-*` ones are absent.
pub(crate) const SVIX_ID: &str = "svix-id";
pub(crate) const SVIX_TIMESTAMP: &str = "svix-timestamp";
pub(crate) const SVIX_SIGNATURE: &str = "svix-signature";

/// One header as a `(name, value)` pair borrowed for `'a`: `(&K, &V)` (what `HashMap::iter` and `http::HeaderMap::iter`
/// yield) or `&(K, V)` (what iterating `&Vec<(String, String)>` or `&[(&str, &str)]` yields), for any `K`, `V` that are
/// `AsRef<[u8]>` (`str`, `String`, `[u8]`, `Vec<u8>`, `http::HeaderValue`, …).
pub trait HeaderPair<'a> {
    /// The header's name.
    fn name(&self) -> &'a [u8];
    /// The header's value, as sent.
    fn value(&self) -> &'a [u8];
}

impl<'a, K, V> HeaderPair<'a> for (&'a K, &'a V)
where
    K: AsRef<[u8]> + ?Sized,
    V: AsRef<[u8]> + ?Sized,
{
    fn name(&self) -> &'a [u8] {
        self.0.as_ref()
    }
    fn value(&self) -> &'a [u8] {
        self.1.as_ref()
    }
}

impl<'a, K, V> HeaderPair<'a> for &'a (K, V)
where
    K: AsRef<[u8]>,
    V: AsRef<[u8]>,
{
    fn name(&self) -> &'a [u8] {
        self.0.as_ref()
    }
    fn value(&self) -> &'a [u8] {
        self.1.as_ref()
    }
}

/// Which headers to collect.
pub(crate) struct Wanted<'n> {
    /// The signature or key header.
    pub auth: &'n str,
    /// A second name the signature header may come under (Svix's).
    pub auth_alt: Option<&'n str>,
    /// Whether the auth header may repeat (signatures) or counts once (a shared key).
    pub auth_repeats: bool,
    /// A header cross-checked against the body's event type (ELMED).
    pub event: Option<&'n str>,
    /// Whether the Standard Webhooks id and timestamp headers are needed.
    pub standard_webhooks: bool,
}

impl<'n> Wanted<'n> {
    /// Every name `collect` matches.
    pub(crate) fn names(&self) -> Vec<&'n str> {
        let mut names = vec![self.auth];
        names.extend(self.auth_alt);
        names.push(TEST_HEADER);
        names.extend(self.event);
        if self.standard_webhooks {
            names.extend([SW_ID, SW_TIMESTAMP, SVIX_ID, SVIX_TIMESTAMP]);
        }
        names
    }
}

/// The headers found, borrowed from the caller's values.
pub(crate) struct Found<'a> {
    auth: [&'a [u8]; MAX_SIGNATURES],
    auth_count: usize,
    pub event: Option<&'a [u8]>,
    pub test: Option<&'a [u8]>,
    id: Option<&'a [u8]>,
    timestamp: Option<&'a [u8]>,
    svix_id: Option<&'a [u8]>,
    svix_timestamp: Option<&'a [u8]>,
}

impl<'a> Found<'a> {
    /// Every occurrence of the auth header, in order.
    pub fn auth(&self) -> &[&'a [u8]] {
        self.auth.get(..self.auth_count).unwrap_or(&[])
    }

    /// The Standard Webhooks message id (`webhook-id`, else `svix-id`).
    pub fn id(&self) -> Option<&'a [u8]> {
        self.id.or(self.svix_id)
    }

    /// The Standard Webhooks timestamp (`webhook-timestamp`, else `svix-timestamp`).
    pub fn timestamp(&self) -> Option<&'a [u8]> {
        self.timestamp.or(self.svix_timestamp)
    }

    /// `X-Webhook-Test: true`, any case.
    pub fn is_test(&self) -> bool {
        self.test.is_some_and(|v| v.eq_ignore_ascii_case(b"true"))
    }
}

fn first<'a>(slot: &mut Option<&'a [u8]>, value: &'a [u8]) {
    if slot.is_none() {
        *slot = Some(value);
    }
}

pub(crate) fn collect<'a, I>(headers: I, wanted: &Wanted<'_>) -> Result<Found<'a>, VerifyError>
where
    I: IntoIterator,
    I::Item: HeaderPair<'a>,
{
    let mut found = Found {
        auth: [&[]; MAX_SIGNATURES],
        auth_count: 0,
        event: None,
        test: None,
        id: None,
        timestamp: None,
        svix_id: None,
        svix_timestamp: None,
    };
    let bounded = |name: &str, value: &'a [u8]| {
        if value.len() > MAX_HEADER_BYTES {
            return Err(VerifyError::new(
                ErrorCode::MalformedHeader,
                format!("the {name} header is over {MAX_HEADER_BYTES} bytes"),
            ));
        }
        Ok(value)
    };
    for header in headers {
        let name = header.name();
        let value = header.value().trim_ascii();
        let is_auth = name.eq_ignore_ascii_case(wanted.auth.as_bytes())
            || wanted.auth_alt.is_some_and(|alt| name.eq_ignore_ascii_case(alt.as_bytes()));
        if is_auth {
            let value = bounded(wanted.auth, value)?;
            if found.auth_count == MAX_SIGNATURES {
                return Err(VerifyError::new(
                    ErrorCode::MalformedHeader,
                    format!("the {} header occurs more than {MAX_SIGNATURES} times", wanted.auth),
                ));
            }
            if wanted.auth_repeats || found.auth_count == 0 {
                if let Some(slot) = found.auth.get_mut(found.auth_count) {
                    *slot = value;
                    found.auth_count += 1;
                }
            }
        } else if name.eq_ignore_ascii_case(TEST_HEADER.as_bytes()) {
            first(&mut found.test, value);
        } else if let Some(event) = wanted.event.filter(|e| name.eq_ignore_ascii_case(e.as_bytes())) {
            first(&mut found.event, bounded(event, value)?);
        } else if wanted.standard_webhooks {
            if name.eq_ignore_ascii_case(SW_ID.as_bytes()) {
                first(&mut found.id, bounded(SW_ID, value)?);
            } else if name.eq_ignore_ascii_case(SW_TIMESTAMP.as_bytes()) {
                first(&mut found.timestamp, bounded(SW_TIMESTAMP, value)?);
            } else if name.eq_ignore_ascii_case(SVIX_ID.as_bytes()) {
                first(&mut found.svix_id, bounded(SVIX_ID, value)?);
            } else if name.eq_ignore_ascii_case(SVIX_TIMESTAMP.as_bytes()) {
                first(&mut found.svix_timestamp, bounded(SVIX_TIMESTAMP, value)?);
            }
        }
    }
    Ok(found)
}

pub(crate) fn missing(name: &str) -> VerifyError {
    VerifyError::new(ErrorCode::MissingHeader, format!("the {name} header is missing"))
}
