//! Producing the headers a real delivery carries, for tests, demos and the CLI.

use sha2::{Digest, Sha256};

use crate::clock;
use crate::config::{self, Resolved};
use crate::envelope::{self, field, reads};
use crate::error::{invalid_option, ConfigError};
use crate::headers::{SW_ID, SW_SIGNATURE, SW_TIMESTAMP};
use crate::options::{OptionValue, Options};
use crate::provider::{Encoding, Provider, Scheme};
use crate::scheme::{self, Check};

/// The options of [`sign`]: a verifier's options plus, for Standard Webhooks, the time and message id to sign with.
#[derive(Clone, Debug, Default)]
pub struct SignOptions {
    /// The verifier options (secrets, and for `custom` the scheme, header, prefix, encoding).
    pub options: Options,
    /// Unix seconds for `webhook-timestamp` (default: the system clock).
    pub now: Option<i64>,
    /// The `webhook-id` (default: derived from the timestamp and the body, so signing is deterministic).
    pub webhook_id: Option<String>,
}

impl SignOptions {
    /// Signing options from verifier options.
    pub fn new(options: Options) -> Self {
        Self { options, now: None, webhook_id: None }
    }

    /// Sets an option by name: `now` and `webhook_id`, or any verifier option (see [`Options::set`]).
    pub fn set(&mut self, name: &str, value: OptionValue) -> Result<(), ConfigError> {
        match (name, value) {
            ("now", OptionValue::Null) => self.now = None,
            ("now", OptionValue::Int(now)) => self.now = Some(now),
            ("now", _) => return Err(invalid_option("option now must be an integer (Unix seconds)")),
            ("webhook_id", OptionValue::Null) => self.webhook_id = None,
            ("webhook_id", OptionValue::Str(id)) => self.webhook_id = Some(id),
            ("webhook_id", _) => return Err(invalid_option("option webhook_id must be a string")),
            (name, value) => self.options.set(name, value)?,
        }
        Ok(())
    }
}

/// The headers (name, value) of a delivery of `body` by `provider`, signed with the first secret. A Standard Webhooks
/// timestamp without [`SignOptions::now`] reads the system clock.
pub fn sign(provider: &str, body: &[u8], options: &SignOptions) -> Result<Vec<(String, String)>, ConfigError> {
    sign_with_clock(provider, body, options, clock::system_now)
}

/// [`sign`] with `now` (Unix seconds) as the clock a Standard Webhooks timestamp falls back to when
/// [`SignOptions::now`] is unset: for hosts without a system clock (`wasm32-unknown-unknown`).
pub fn sign_at(
    provider: &str,
    body: &[u8],
    options: &SignOptions,
    now: i64,
) -> Result<Vec<(String, String)>, ConfigError> {
    sign_with_clock(provider, body, options, || now)
}

fn sign_with_clock(
    provider: &str,
    body: &[u8],
    options: &SignOptions,
    clock: impl FnOnce() -> i64,
) -> Result<Vec<(String, String)>, ConfigError> {
    let provider: Provider = provider.parse()?;
    let Resolved { scheme, header, prefix, encoding, secrets, .. } = config::resolve(provider, &options.options)?;
    if scheme != Scheme::StandardWebhooks && (options.now.is_some() || options.webhook_id.is_some()) {
        return Err(invalid_option("now and webhook_id apply only to the standard-webhooks scheme"));
    }
    if options.now.is_some_and(|now| now < 0) {
        return Err(invalid_option("now must be a non-negative number of seconds"));
    }
    if options.webhook_id.as_deref().is_some_and(|id| id.is_empty() || id.trim_ascii() != id) {
        return Err(invalid_option("webhook_id must be non-empty, without surrounding whitespace"));
    }
    // `resolve` refuses an empty list, so there is a first secret.
    let secret = secrets.first().map(String::as_str).unwrap_or_default();
    let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    match scheme {
        Scheme::HmacSha256 => {
            headers.push((header.to_owned(), Check::sign_hmac(secret.as_bytes(), prefix, encoding, &[body])));
        }
        Scheme::SharedKey => headers.push((header.to_owned(), secret.trim_ascii().to_owned())),
        Scheme::StandardWebhooks => {
            let key = scheme::standard_webhooks_key(secret)?;
            let now = options.now.unwrap_or_else(clock).to_string();
            let id = match &options.webhook_id {
                Some(id) => id.clone(),
                None => {
                    let digest = Sha256::new().chain_update(now.as_bytes()).chain_update(b".").chain_update(body);
                    let digest = faster_hex::hex_string(&digest.finalize());
                    format!("msg_{}", digest.get(..24).unwrap_or_default())
                }
            };
            let signature =
                Check::sign_hmac(&key, "v1,", Encoding::Base64, &[id.as_bytes(), b".", now.as_bytes(), b".", body]);
            headers.push((SW_ID.to_owned(), id));
            headers.push((SW_TIMESTAMP.to_owned(), now));
            headers.push((SW_SIGNATURE.to_owned(), signature));
        }
    }
    if provider == Provider::Elmed {
        if let Ok(mut envelope) = envelope::parse(body, reads::EVENT) {
            if let Some(event) = envelope.take(field::EVENT) {
                headers.push(("X-ELMED-Event".to_owned(), event.into_owned()));
            }
        }
    }
    Ok(headers)
}

/// Headers (as [`sign`] returns them) as one JSON object `{"Name": "value", …}`, in order: for a binding whose host
/// reads JSON (the C ABI hands them over this way).
pub fn headers_json(headers: &[(String, String)]) -> String {
    let mut out = String::from("{");
    for (name, value) in headers {
        if out.len() > 1 {
            out.push(',');
        }
        crate::event::json_string(&mut out, name);
        out.push(':');
        crate::event::json_string(&mut out, value);
    }
    out.push('}');
    out
}
