//! The presets of docs/providers.md and the names of schemes and encodings.

use std::fmt;
use std::str::FromStr;

use crate::error::{invalid_option, ConfigError, ErrorCode};

/// A provider preset: a scheme, an envelope and an idempotency rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    /// ELMED: `X-ELMED-Signature: sha256=<hex>`, idempotency by body digest.
    Elmed,
    /// Baremeds-EHR: shared key in `X-Webhook-Key`, idempotency by `metadata.request_id`.
    Baremeds,
    /// NovaMed: shared key in `x-api-key`, idempotency by `event_id`.
    Novamed,
    /// Standard Webhooks (Svix and others): `webhook-id`/`webhook-timestamp`/`webhook-signature`.
    StandardWebhooks,
    /// Any other provider: scheme and header chosen by options.
    Custom,
}

impl Provider {
    /// Every preset.
    pub const ALL: [Provider; 5] =
        [Provider::Elmed, Provider::Baremeds, Provider::Novamed, Provider::StandardWebhooks, Provider::Custom];

    /// The preset's name, as every binding spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Provider::Elmed => "elmed",
            Provider::Baremeds => "baremeds",
            Provider::Novamed => "novamed",
            Provider::StandardWebhooks => "standard-webhooks",
            Provider::Custom => "custom",
        }
    }

    /// The scheme a preset always uses (`None` for `custom`, where it is an option).
    pub(crate) const fn fixed_scheme(self) -> Option<Scheme> {
        match self {
            Provider::Elmed => Some(Scheme::HmacSha256),
            Provider::Baremeds | Provider::Novamed => Some(Scheme::SharedKey),
            Provider::StandardWebhooks => Some(Scheme::StandardWebhooks),
            Provider::Custom => None,
        }
    }

    /// The header a preset reads its signature or key from.
    pub(crate) const fn fixed_header(self) -> Option<&'static str> {
        match self {
            Provider::Elmed => Some("X-ELMED-Signature"),
            Provider::Baremeds => Some("X-Webhook-Key"),
            Provider::Novamed => Some("x-api-key"),
            Provider::StandardWebhooks | Provider::Custom => None,
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Provider {
    type Err = ConfigError;

    fn from_str(name: &str) -> Result<Self, ConfigError> {
        Provider::ALL.into_iter().find(|p| p.as_str() == name).ok_or_else(|| {
            ConfigError::new(
                ErrorCode::UnknownProvider,
                "unknown provider; expected one of elmed, baremeds, novamed, standard-webhooks, custom",
            )
        })
    }
}

/// How authenticity is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// HMAC-SHA256 over the raw body, in a configurable header.
    HmacSha256,
    /// A key sent verbatim in a header.
    SharedKey,
    /// The Standard Webhooks specification.
    StandardWebhooks,
}

impl Scheme {
    /// The scheme's name, as every binding spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scheme::HmacSha256 => "hmac-sha256",
            Scheme::SharedKey => "shared-key",
            Scheme::StandardWebhooks => "standard-webhooks",
        }
    }
}

impl FromStr for Scheme {
    type Err = ConfigError;

    fn from_str(name: &str) -> Result<Self, ConfigError> {
        [Scheme::HmacSha256, Scheme::SharedKey, Scheme::StandardWebhooks]
            .into_iter()
            .find(|s| s.as_str() == name)
            .ok_or_else(|| invalid_option("scheme must be one of hmac-sha256, shared-key, standard-webhooks"))
    }
}

/// How an `hmac-sha256` signature is written in its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Encoding {
    /// Hexadecimal, accepted in either case.
    #[default]
    Hex,
    /// Standard base64, padding optional.
    Base64,
}

impl Encoding {
    /// The encoding's name, as every binding spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Encoding::Hex => "hex",
            Encoding::Base64 => "base64",
        }
    }
}

impl FromStr for Encoding {
    type Err = ConfigError;

    fn from_str(name: &str) -> Result<Self, ConfigError> {
        match name {
            "hex" => Ok(Encoding::Hex),
            "base64" => Ok(Encoding::Base64),
            _ => Err(invalid_option("encoding must be hex or base64")),
        }
    }
}
