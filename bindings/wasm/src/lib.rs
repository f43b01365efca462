//! The WebAssembly module behind hookseal's browser, edge-worker and Node builds (`pkg-web`, `pkg-node`): converts
//! JavaScript values, calls the core (`crates/hookseal`), maps the result (bindings/README.md, "Conventions"). Its
//! exports have the napi addon's names and shapes (`bindings/node/native.d.ts`), so the same JavaScript glue
//! (`bindings/node/index.js`, `fetch.js`) runs over either.
//!
//! `wasm32-unknown-unknown` has no clock: `std::time::SystemTime::now()` panics there, so the current time is
//! always taken from JavaScript's `Date.now()`. The module is built with `panic = "abort"`; the core denies panics.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// verifyAsync's structural scan (crates/hookseal/src/structure.rs) is WebAssembly SIMD here; without `simd128` it
// would be eight bytes a word, slower than the module's full check it replaces (docs/decisions.md, "WASM: simd128").
#[cfg(all(target_arch = "wasm32", not(target_feature = "simd128")))]
compile_error!("build hookseal-wasm with -Ctarget-feature=+simd128 (the Makefile's WASM_ENV)");

mod error;
mod options;
mod sign;
mod store;
mod verifier;

/// Unix seconds by the host's clock (`Date.now()`), the only clock this target has.
fn now() -> f64 {
    js_sys::Date::now() / 1000.0
}
