//! The contract's error codes (docs/providers.md, "Error codes") and the two error types built on them.

use std::borrow::Cow;
use std::fmt;

/// Every failure hookseal reports, with a stable string (`as_str`) that is identical in every binding and a stable
/// number (`as u32`) for the C ABI. Numbers are never reused: a new code takes a new number.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorCode {
    /// A header the scheme needs is absent.
    MissingHeader = 1,
    /// A header is present but cannot be decoded (wrong prefix, not hex/base64, wrong length, too many values).
    MalformedHeader = 2,
    /// A well-formed signature does not match the body under any configured secret.
    SignatureMismatch = 3,
    /// A shared key does not match any configured key.
    KeyMismatch = 4,
    /// The body is larger than `max_body_bytes`.
    PayloadTooLarge = 5,
    /// The body is not one JSON object of the expected shape, or repeats a key.
    InvalidJson = 6,
    /// The event type (or, with a replay window, the timestamp) is absent.
    MissingField = 7,
    /// `X-ELMED-Event` differs from the body's `event`.
    EventMismatch = 8,
    /// The NovaMed delivery is for another clinic.
    ClinicMismatch = 9,
    /// The delivery's timestamp is outside the replay window.
    TimestampOutOfTolerance = 10,
    /// The dedupe store cannot be reached (connection refused, a timeout, a locked or full SQLite file): the delivery
    /// is not processed and not acknowledged, so the provider retries (docs/exactly-once.md, "Failure is closed").
    StoreUnavailable = 11,
    /// A secret is missing, empty, or not decodable for its scheme.
    InvalidSecret = 101,
    /// Baremeds' documented default key `xxx` was configured without `allow_insecure_default`.
    InsecureDefaultKey = 102,
    /// The provider name is not a preset.
    UnknownProvider = 103,
    /// An option is unknown, of the wrong type, out of range, or not used by the preset.
    InvalidOption = 104,
}

impl ErrorCode {
    /// Every code, verification codes first.
    pub const ALL: [ErrorCode; 15] = [
        ErrorCode::MissingHeader,
        ErrorCode::MalformedHeader,
        ErrorCode::SignatureMismatch,
        ErrorCode::KeyMismatch,
        ErrorCode::PayloadTooLarge,
        ErrorCode::InvalidJson,
        ErrorCode::MissingField,
        ErrorCode::EventMismatch,
        ErrorCode::ClinicMismatch,
        ErrorCode::TimestampOutOfTolerance,
        ErrorCode::StoreUnavailable,
        ErrorCode::InvalidSecret,
        ErrorCode::InsecureDefaultKey,
        ErrorCode::UnknownProvider,
        ErrorCode::InvalidOption,
    ];

    /// The contract's string for this code.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MissingHeader => "missing_header",
            ErrorCode::MalformedHeader => "malformed_header",
            ErrorCode::SignatureMismatch => "signature_mismatch",
            ErrorCode::KeyMismatch => "key_mismatch",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::MissingField => "missing_field",
            ErrorCode::EventMismatch => "event_mismatch",
            ErrorCode::ClinicMismatch => "clinic_mismatch",
            ErrorCode::TimestampOutOfTolerance => "timestamp_out_of_tolerance",
            ErrorCode::StoreUnavailable => "store_unavailable",
            ErrorCode::InvalidSecret => "invalid_secret",
            ErrorCode::InsecureDefaultKey => "insecure_default_key",
            ErrorCode::UnknownProvider => "unknown_provider",
            ErrorCode::InvalidOption => "invalid_option",
        }
    }

    /// The code for a contract string, if it is one.
    pub fn from_code(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == code)
    }

    /// True for configuration errors (raised when a verifier is built), false for verification errors.
    pub const fn is_config(self) -> bool {
        (self as u32) > 100
    }

    /// True where the delivery failed to prove it is genuine (a web framework answers 401 for these).
    pub const fn is_authentication(self) -> bool {
        matches!(
            self,
            ErrorCode::MissingHeader
                | ErrorCode::MalformedHeader
                | ErrorCode::SignatureMismatch
                | ErrorCode::KeyMismatch
        )
    }

    /// The HTTP status a receiver answers with, shared by every framework helper: 401 where the delivery failed to
    /// prove it is genuine, 413 for `payload_too_large`, 400 for any other refused delivery, 503 for
    /// `store_unavailable` (every provider retries a 5xx), 500 for a configuration error (the receiver, not the sender,
    /// is at fault).
    pub const fn http_status(self) -> u16 {
        if self.is_config() {
            500
        } else if matches!(self, ErrorCode::StoreUnavailable) {
            503
        } else if self.is_authentication() {
            401
        } else if matches!(self, ErrorCode::PayloadTooLarge) {
            413
        } else {
            400
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! error_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name {
            code: ErrorCode,
            message: Cow<'static, str>,
        }

        impl $name {
            pub(crate) fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
                Self { code, message: message.into() }
            }

            /// The contract code.
            pub fn code(&self) -> ErrorCode {
                self.code
            }

            /// A human explanation. It never contains a secret or a signature.
            pub fn message(&self) -> &str {
                &self.message
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}: {}", self.code, self.message)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("code", &self.code.as_str())
                    .field("message", &self.message)
                    .finish()
            }
        }

        impl std::error::Error for $name {}
    };
}

error_type! {
    /// A delivery that failed verification. Its code is one of the ten verification codes.
    VerifyError
}

error_type! {
    /// A verifier (or a signing request) that cannot be built from its options. Its code is one of
    /// `invalid_secret`, `insecure_default_key`, `unknown_provider`, `invalid_option`.
    ConfigError
}

pub(crate) fn invalid_option(message: impl Into<Cow<'static, str>>) -> ConfigError {
    ConfigError::new(ErrorCode::InvalidOption, message)
}
