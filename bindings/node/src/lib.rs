//! The native addon behind `require('hookseal')`: converts JavaScript values, calls the core (`crates/hookseal`),
//! maps the result (bindings/README.md, "Conventions"). The JavaScript glue (`bindings/node/index.js`) turns bodies
//! and headers into what these functions take, builds the error classes, and parses the event's JSON.
//!
//! Every export is marked `catch_unwind`: nothing panics across into JavaScript (the core denies panics anyway).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// napi-derive registers exports only outside `cfg(test)`; clippy --all-targets still checks that configuration.
#![cfg_attr(test, allow(dead_code))]

mod error;
mod options;
mod sign;
mod store;
mod verifier;
