//! How fast the core validates the JSON it steps over, beside the well-kept SIMD JSON crates (simd-json, sonic-rs),
//! serde_json, jiter (the core's exact parser) and a bare HMAC-SHA256 of the same bytes, in one run, on the Rust
//! benchmark's bodies (`crates/hookseal/benches/verify.rs`: ELMED envelopes of small order records, or of one base64
//! attachment). Every side must accept every body in full, or the run stops. The bodies are also written to the
//! directory given as the first argument, for `simdjson.cpp` (simdjson itself, from Debian's libsimdjson-dev), which
//! `make bench-validators` runs next on the same bytes.
//!
//! Built with `-C target-cpu=native` (sonic-rs only uses SIMD so; simd-json picks its kernel at run time). With AVX2
//! enabled so, the core's scan finds a string's end with its word loop, which LLVM vectorises to 256-bit compares;
//! the builds the project ships (baseline x86-64) use its SSE2 compares instead (`crates/hookseal/src/validate.rs`).
//! Each cell is the best of 31 interleaved rounds, with the range of the rounds in brackets: lower is faster.

use std::hint::black_box;
use std::time::Instant;

use hmac::{Hmac, KeyInit, Mac};

const ROUNDS: usize = 31;

#[path = "../../../crates/hookseal/benches/support/bodies.rs"]
mod bodies;

struct Skip;
impl hookseal::Visit for Skip {}

type Side<'a> = (&'static str, Box<dyn FnMut() + 'a>);

fn main() {
    let dir = std::env::args().nth(1).expect("usage: hookseal-bench-validators DIR (the bodies are written there)");
    println!("{:<44} {:>10} {:>8} {:>22}", "side", "best", "GB/s", "× HMAC (range)");
    for shape in ["records", "attachment"] {
        for (size, label) in [(64 * 1024, "64KiB"), (1024 * 1024, "1MiB")] {
            let bytes = bodies::body("elmed", shape, size);
            std::fs::write(format!("{dir}/{shape}-{label}.json"), &bytes).expect("writing the body");
            let text = std::str::from_utf8(&bytes).expect("UTF-8");
            let mut copy = bytes.clone();
            let mut copy2 = bytes.clone();
            let mut buffers = simd_json::Buffers::new(size);
            let mut sides: Vec<Side<'_>> = vec![
                (
                    "bare HMAC-SHA256 (hmac + sha2, as the core)",
                    Box::new(|| {
                        let mut mac =
                            Hmac::<sha2::Sha256>::new_from_slice(b"whsec_elmed_bench_0123456789abcdef").unwrap();
                        mac.update(black_box(&bytes));
                        black_box(mac.finalize().into_bytes());
                    }),
                ),
                (
                    "hookseal's scan (visit_json, validates)",
                    Box::new(|| {
                        assert_eq!(hookseal::visit_json(black_box(text), &mut Skip), Some(size));
                    }),
                ),
                (
                    "jiter skip (the core's exact parser)",
                    Box::new(|| {
                        let mut jiter = jiter::Jiter::new(black_box(&bytes));
                        jiter.next_skip().unwrap();
                        jiter.finish().unwrap();
                    }),
                ),
                (
                    "serde_json IgnoredAny",
                    Box::new(|| {
                        black_box(serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&bytes)).unwrap());
                    }),
                ),
                (
                    "simd-json tape (copy, reused buffers)",
                    Box::new(|| {
                        copy.copy_from_slice(&bytes);
                        let parsed = simd_json::Deserializer::from_slice_with_buffers(&mut copy, &mut buffers).unwrap();
                        black_box(parsed.into_tape().0.len());
                    }),
                ),
                (
                    "simd-json tape (copy, fresh buffers)",
                    Box::new(|| {
                        copy2.copy_from_slice(&bytes);
                        black_box(simd_json::to_tape(&mut copy2).unwrap().0.len());
                    }),
                ),
                (
                    "sonic-rs Value",
                    Box::new(|| {
                        let value: sonic_rs::Value = sonic_rs::from_slice(black_box(&bytes)).unwrap();
                        black_box(value);
                    }),
                ),
                (
                    "sonic-rs IgnoredAny",
                    Box::new(|| {
                        black_box(sonic_rs::from_slice::<serde::de::IgnoredAny>(black_box(&bytes)).unwrap());
                    }),
                ),
            ];
            let reps = if size > 100_000 { 5 } else { 50 };
            let mut times = vec![Vec::with_capacity(ROUNDS); sides.len()];
            for _ in 0..ROUNDS {
                for (k, (_, run)) in sides.iter_mut().enumerate() {
                    let start = Instant::now();
                    for _ in 0..reps {
                        run();
                    }
                    times[k].push(start.elapsed().as_secs_f64() / reps as f64);
                }
            }
            println!("{shape} {label}");
            let hmac = &times[0];
            for (k, (name, _)) in sides.iter().enumerate() {
                let best = times[k].iter().copied().fold(f64::MAX, f64::min);
                let ratios: Vec<f64> = times[k].iter().zip(hmac).map(|(t, h)| t / h).collect();
                let (low, high) = ratios.iter().fold((f64::MAX, 0f64), |(l, h), r| (l.min(*r), h.max(*r)));
                let best_ratio = best / hmac.iter().copied().fold(f64::MAX, f64::min);
                println!(
                    "  {name:<42} {:>8.1} µs {:>8.2} {:>9.2}× ({low:.2}–{high:.2})",
                    best * 1e6,
                    size as f64 / best / 1e9,
                    best_ratio
                );
            }
        }
    }
}
