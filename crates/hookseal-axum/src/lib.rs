#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![warn(missing_docs)]

mod answer;
#[cfg(feature = "store")]
mod once;
mod verified;
mod webhook;

pub use verified::{Rejection, Verified, VerifiedEvent, WebhookVerifier};
pub use webhook::Webhook;
