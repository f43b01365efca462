//! Constructor options (docs/api.md, "Options"), settable by name so that every binding shares one
//! validation: a binding turns its native values into [`OptionValue`]s and calls [`Options::set`].

use std::fmt;

use zeroize::Zeroize;

use crate::error::{invalid_option, ConfigError};
use crate::provider::{Encoding, Scheme};

/// The default body size limit: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// An option value as a binding received it, before validation.
#[derive(Clone, PartialEq, Eq)]
pub enum OptionValue {
    /// Null / None / undefined: the option is not set.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
    /// A list whose items are all strings.
    StrList(Vec<String>),
    /// Any other value; the string names its type for the error message.
    Other(&'static str),
}

impl OptionValue {
    fn type_name(&self) -> &'static str {
        match self {
            OptionValue::Null => "null",
            OptionValue::Bool(_) => "a boolean",
            OptionValue::Int(_) => "an integer",
            OptionValue::Str(_) => "a string",
            OptionValue::StrList(_) => "a list of strings",
            OptionValue::Other(name) => name,
        }
    }
}

// A value may be a secret: never print it.
impl fmt::Debug for OptionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.type_name())
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum SecretsFrom {
    #[default]
    Unset,
    One,
    Many,
}

/// What a verifier (or `sign`) is built from. Every field is optional here; which ones a preset needs or accepts is
/// checked when the verifier is built.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Options {
    pub(crate) secrets: Vec<String>,
    secrets_from: SecretsFrom,
    both_secret_forms: bool,
    pub(crate) clinic_id: Option<String>,
    pub(crate) allow_insecure_default: bool,
    pub(crate) scheme: Option<Scheme>,
    pub(crate) header: Option<String>,
    pub(crate) prefix: Option<String>,
    pub(crate) encoding: Option<Encoding>,
    pub(crate) tolerance: Option<u64>,
    pub(crate) max_body_bytes: Option<usize>,
}

impl Options {
    /// No options set.
    pub fn new() -> Self {
        Self::default()
    }

    /// One secret (`secret`).
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.set_secrets(SecretsFrom::One, vec![secret.into()]);
        self
    }

    /// Several secrets, any of which may sign a delivery (`secrets`, for rotation: newest first).
    pub fn secrets<S: Into<String>>(mut self, secrets: impl IntoIterator<Item = S>) -> Self {
        self.set_secrets(SecretsFrom::Many, secrets.into_iter().map(Into::into).collect());
        self
    }

    /// The NovaMed clinic every delivery must be for.
    pub fn clinic_id(mut self, clinic_id: impl Into<String>) -> Self {
        self.clinic_id = Some(clinic_id.into());
        self
    }

    /// Accept Baremeds' documented default key `xxx`.
    pub fn allow_insecure_default(mut self, allow: bool) -> Self {
        self.allow_insecure_default = allow;
        self
    }

    /// The scheme of a `custom` verifier.
    pub fn scheme(mut self, scheme: Scheme) -> Self {
        self.scheme = Some(scheme);
        self
    }

    /// The signature or key header of a `custom` verifier.
    pub fn header(mut self, header: impl Into<String>) -> Self {
        self.header = Some(header.into());
        self
    }

    /// The signature prefix of a `custom` `hmac-sha256` verifier (e.g. `sha256=`).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// The signature encoding of a `custom` `hmac-sha256` verifier.
    pub fn encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = Some(encoding);
        self
    }

    /// The replay window in seconds; 0 turns it off.
    pub fn tolerance(mut self, seconds: u64) -> Self {
        self.tolerance = Some(seconds);
        self
    }

    /// The body size limit in bytes (default 1 MiB).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = Some(bytes);
        self
    }

    fn set_secrets(&mut self, from: SecretsFrom, secrets: Vec<String>) {
        if self.secrets_from != SecretsFrom::Unset && self.secrets_from != from {
            self.both_secret_forms = true;
        }
        self.secrets_from = from;
        self.secrets.zeroize();
        self.secrets = secrets;
    }

    /// Sets an option by its snake_case name, as a binding received it. Unknown names and values of the wrong type
    /// are `invalid_option`; `Null` leaves the option unset.
    pub fn set(&mut self, name: &str, value: OptionValue) -> Result<(), ConfigError> {
        let expected = OPTIONS.iter().find(|(known, _)| *known == name).map(|(_, ty)| *ty);
        let Some(expected) = expected else {
            return Err(unknown_option(name));
        };
        match (name, value) {
            (_, OptionValue::Null) => {}
            ("secret", OptionValue::Str(s)) => self.set_secrets(SecretsFrom::One, vec![s]),
            ("secrets", OptionValue::StrList(list)) => self.set_secrets(SecretsFrom::Many, list),
            ("clinic_id", OptionValue::Str(s)) => self.clinic_id = Some(s),
            ("allow_insecure_default", OptionValue::Bool(b)) => self.allow_insecure_default = b,
            ("scheme", OptionValue::Str(s)) => self.scheme = Some(s.parse()?),
            ("header", OptionValue::Str(s)) => self.header = Some(s),
            ("prefix", OptionValue::Str(s)) => self.prefix = Some(s),
            ("encoding", OptionValue::Str(s)) => self.encoding = Some(s.parse()?),
            ("tolerance", OptionValue::Int(n)) => {
                self.tolerance = Some(
                    u64::try_from(n)
                        .map_err(|_| invalid_option("tolerance must be a non-negative number of seconds"))?,
                )
            }
            ("max_body_bytes", OptionValue::Int(n)) => {
                self.max_body_bytes = Some(
                    usize::try_from(n)
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| invalid_option("max_body_bytes must be a positive integer"))?,
                )
            }
            (_, value) => {
                return Err(invalid_option(format!("option {name} must be {expected}, not {}", value.type_name())))
            }
        }
        Ok(())
    }

    /// The name of every option [`Options::set`] knows (bindings check their typed signatures against it).
    pub fn names() -> impl Iterator<Item = &'static str> {
        OPTIONS.iter().map(|(name, _)| *name)
    }

    pub(crate) fn check_secret_forms(&self) -> Result<(), ConfigError> {
        if self.both_secret_forms {
            return Err(invalid_option("give either secret or secrets, not both"));
        }
        Ok(())
    }
}

/// An option name as a camelCase host (JavaScript) spells it, in the core's snake_case: `clinicId` → `clinic_id`.
/// A name with an underscore is not camelCase, so it becomes a name [`Options::set`] refuses as unknown, with a hint;
/// the napi and WASM builds share this, so both refuse exactly the same names.
pub fn option_name_from_camel_case(name: &str) -> String {
    if name.contains('_') {
        return format!("{name} (JavaScript spells options in camelCase)");
    }
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Every option [`Options::set`] knows, with the type it takes.
const OPTIONS: [(&str, &str); 10] = [
    ("secret", "a string"),
    ("secrets", "a list of strings"),
    ("clinic_id", "a string"),
    ("allow_insecure_default", "a boolean"),
    ("scheme", "a string"),
    ("header", "a string"),
    ("prefix", "a string"),
    ("encoding", "a string"),
    ("tolerance", "an integer"),
    ("max_body_bytes", "an integer"),
];

fn unknown_option(name: &str) -> ConfigError {
    // The name is the caller's text; keep the message bounded.
    let shown: String = name.chars().take(64).collect();
    let mut message = String::from("unknown option ");
    crate::event::json_string(&mut message, &shown);
    invalid_option(message)
}

// Secrets are wiped from memory when the options go (a verifier keeps only what it derived from them, wiped in turn).
impl Drop for Options {
    fn drop(&mut self) {
        self.secrets.zeroize();
    }
}

// Secrets are counted, never shown.
impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("secrets", &format_args!("[{} redacted]", self.secrets.len()))
            .field("clinic_id", &self.clinic_id)
            .field("allow_insecure_default", &self.allow_insecure_default)
            .field("scheme", &self.scheme)
            .field("header", &self.header)
            .field("prefix", &self.prefix)
            .field("encoding", &self.encoding)
            .field("tolerance", &self.tolerance)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_names_map_to_the_core_names() {
        assert_eq!(option_name_from_camel_case("clinicId"), "clinic_id");
        assert_eq!(option_name_from_camel_case("maxBodyBytes"), "max_body_bytes");
        assert_eq!(option_name_from_camel_case("secret"), "secret");
        for name in Options::names() {
            let camel: String = name
                .split('_')
                .enumerate()
                .map(|(i, part)| if i == 0 { part.to_owned() } else { part[..1].to_uppercase() + &part[1..] })
                .collect();
            assert_eq!(option_name_from_camel_case(&camel), name);
        }
        // snake_case is not JavaScript's spelling: unknown, with a hint.
        let err = Options::new().set(&option_name_from_camel_case("clinic_id"), OptionValue::Null).unwrap_err();
        assert!(err.message().contains("camelCase"), "{}", err.message());
    }
}
