//! Turning a preset and its options into a checked configuration, shared by `Verifier` and `sign`.

use crate::error::{invalid_option, ConfigError, ErrorCode};
use crate::options::{Options, DEFAULT_MAX_BODY_BYTES};
use crate::provider::{Encoding, Provider, Scheme};

/// Baremeds' documented default key (provider-docs/002): refused unless explicitly allowed.
pub(crate) const BAREMEDS_DEFAULT_KEY: &str = "xxx";

/// The Standard Webhooks specification's default replay window.
pub(crate) const STANDARD_WEBHOOKS_TOLERANCE: u64 = 300;

pub(crate) struct Resolved<'o> {
    pub scheme: Scheme,
    /// The signature or key header (not used by `standard-webhooks`).
    pub header: &'o str,
    pub prefix: &'o str,
    pub encoding: Encoding,
    pub secrets: &'o [String],
    /// 0 = off.
    pub tolerance: u64,
    pub max_body_bytes: usize,
}

fn only_for(name: &str, preset: &str) -> ConfigError {
    invalid_option(format!("option {name} applies only to the {preset} preset"))
}

/// An HTTP field name (RFC 9110 `token`).
fn is_token(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

pub(crate) fn resolve(provider: Provider, options: &Options) -> Result<Resolved<'_>, ConfigError> {
    options.check_secret_forms()?;
    if options.clinic_id.is_some() && provider != Provider::Novamed {
        return Err(only_for("clinic_id", "novamed"));
    }
    if options.allow_insecure_default && provider != Provider::Baremeds {
        return Err(only_for("allow_insecure_default", "baremeds"));
    }
    let custom_only = [
        ("scheme", options.scheme.is_some()),
        ("header", options.header.is_some()),
        ("prefix", options.prefix.is_some()),
        ("encoding", options.encoding.is_some()),
    ];
    let scheme = match provider.fixed_scheme() {
        Some(scheme) => {
            if let Some((name, _)) = custom_only.iter().find(|(_, set)| *set) {
                return Err(only_for(name, "custom"));
            }
            scheme
        }
        None => options.scheme.ok_or_else(|| invalid_option("the custom preset needs a scheme"))?,
    };
    let unused: &[(&str, bool)] = match scheme {
        Scheme::HmacSha256 => &[],
        Scheme::SharedKey => &custom_only[2..],
        Scheme::StandardWebhooks => &custom_only[1..],
    };
    if let Some((name, _)) = unused.iter().find(|(_, set)| *set) {
        return Err(invalid_option(format!("option {name} does not apply to the {} scheme", scheme.as_str())));
    }
    let header = match (provider.fixed_header(), &options.header) {
        (Some(fixed), _) => fixed,
        (None, Some(header)) if is_token(header) => header,
        (None, Some(_)) => {
            return Err(invalid_option("header must be a header name (letters, digits, -, _ …), without a value"))
        }
        (None, None) if scheme == Scheme::StandardWebhooks => "",
        (None, None) => return Err(invalid_option("the custom preset needs a header for this scheme")),
    };
    let prefix = match provider {
        Provider::Elmed => "sha256=",
        _ => options.prefix.as_deref().unwrap_or(""),
    };
    // Signatures are separated by `,` and whitespace: a prefix holding either could never match.
    if prefix.bytes().any(|b| b == b',' || b.is_ascii_whitespace()) {
        return Err(invalid_option("prefix must not contain a comma or whitespace"));
    }
    if options.clinic_id.as_deref().is_some_and(|c| c.trim_ascii().is_empty()) {
        return Err(invalid_option("clinic_id must not be empty"));
    }
    if options.max_body_bytes == Some(0) {
        return Err(invalid_option("max_body_bytes must be a positive integer"));
    }

    if options.secrets.is_empty() {
        return Err(ConfigError::new(ErrorCode::InvalidSecret, "no secret given"));
    }
    // HTTP trims header values, so a shared key is compared trimmed and cannot be blank.
    let blank = |s: &String| {
        if scheme == Scheme::SharedKey {
            s.trim_ascii().is_empty()
        } else {
            s.is_empty()
        }
    };
    if options.secrets.iter().any(blank) {
        return Err(ConfigError::new(ErrorCode::InvalidSecret, "a secret is empty"));
    }
    if provider == Provider::Baremeds
        && !options.allow_insecure_default
        && options.secrets.iter().any(|s| s.trim_ascii() == BAREMEDS_DEFAULT_KEY)
    {
        return Err(ConfigError::new(
            ErrorCode::InsecureDefaultKey,
            "the key is Baremeds' documented default; configure a unique key (or set allow_insecure_default)",
        ));
    }
    let tolerance =
        options.tolerance.unwrap_or(if scheme == Scheme::StandardWebhooks { STANDARD_WEBHOOKS_TOLERANCE } else { 0 });
    Ok(Resolved {
        scheme,
        header,
        prefix,
        encoding: options.encoding.unwrap_or_default(),
        secrets: &options.secrets,
        tolerance,
        max_body_bytes: options.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES),
    })
}
