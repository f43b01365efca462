//! The store's one error type: `store_unavailable` when the store cannot be reached, `invalid_option` when it cannot
//! be configured (a malformed URL, an unknown scheme, a bad lease or namespace). Bindings map the code, never the
//! message; a message never holds a password.

use std::borrow::Cow;
use std::fmt;

use hookseal::ErrorCode;

/// A store operation that failed, or a store that cannot be opened from its URL and options.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreError {
    code: ErrorCode,
    message: Cow<'static, str>,
}

impl StoreError {
    /// The store cannot be reached: the handler must not run, the delivery is answered 503.
    #[cfg_attr(not(any(feature = "sqlite", feature = "redis")), allow(dead_code))]
    pub(crate) fn unavailable(message: impl Into<Cow<'static, str>>) -> Self {
        Self { code: ErrorCode::StoreUnavailable, message: message.into() }
    }

    /// The store cannot be configured this way.
    pub(crate) fn invalid_option(message: impl Into<Cow<'static, str>>) -> Self {
        Self { code: ErrorCode::InvalidOption, message: message.into() }
    }

    /// `StoreUnavailable` or `InvalidOption` (a configuration error: `code().is_config()`).
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// A human explanation, for logs. It never contains a password, a key or a token.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreError").field("code", &self.code.as_str()).field("message", &self.message).finish()
    }
}

impl std::error::Error for StoreError {}
