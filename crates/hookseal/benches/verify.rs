//! Verifying ELMED and NovaMed deliveries of 1 KiB, 64 KiB and 1 MiB, against a bare HMAC-SHA256 of the same bytes
//! in the same run. Two body shapes: `records` (data is an array of small order records: the parser's worst case
//! per byte) and `attachment` (data carries one large base64 document: how large webhook bodies usually get large).
//! Run: `cargo bench -p hookseal` (figures in the README).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hmac::{Hmac, KeyInit, Mac};
use hookseal::{sign, Options, Provider, Router, SignOptions, Verifier};
use sha2::Sha256;

// The bodies, shared with bench/validators (the core's scan beside the SIMD JSON crates and simdjson).
#[path = "support/bodies.rs"]
mod bodies;
use bodies::body;

const SIZES: [(usize, &str); 3] = [(1024, "1KiB"), (64 * 1024, "64KiB"), (1024 * 1024, "1MiB")];

/// ELMED's documented `claim.decision` sample, byte for byte (provider-docs/000): a real delivery's size.
const ELMED_SAMPLE: &str = include_str!("../../../tests/samples/elmed/claim.decision.json");

fn benches(c: &mut Criterion) {
    let secret = "whsec_bench_secret_0123456789";
    let mut group = c.benchmark_group("hookseal");
    group.warm_up_time(Duration::from_millis(700)).measurement_time(Duration::from_secs(4)).sample_size(50);
    {
        let options = Options::new().secret(secret);
        let verifier = Verifier::new("elmed", &options).unwrap();
        let bytes = ELMED_SAMPLE.as_bytes();
        let headers = sign("elmed", bytes, &SignOptions::new(options)).unwrap();
        let key = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("bare-hmac-sha256/elmed-sample", |b| {
            b.iter(|| {
                let mut mac = key.clone();
                mac.update(black_box(bytes));
                black_box(mac.finalize().into_bytes())
            })
        });
        group.bench_function("verify/elmed/documented-sample", |b| {
            b.iter(|| {
                let event = verifier.verify(black_box(bytes), &headers).unwrap();
                black_box((event.event_type().map(str::len), event.data().get().len()))
            })
        });
    }
    {
        // The router's own cost per delivery: a router as a receiver has one (every ELMED type, two prefixes, `*`),
        // dispatching an event already verified to a handler that does nothing; exact, prefix and catch-all.
        let options = Options::new().secret(secret);
        let verifier = Verifier::new("elmed", &options).unwrap();
        let mut router = Router::<'_, usize, ()>::new().provider(Provider::Elmed);
        for (i, pattern) in hookseal::events::ELMED_EVENT_TYPES.iter().enumerate() {
            router.on(*pattern, move |_| Ok(i)).unwrap();
        }
        router.on(["claim.*", "order.*"], |_| Ok(10)).unwrap().on("*", |_| Ok(11)).unwrap();
        for (label, event_type) in [("exact", "claim.decision"), ("prefix", "claim.appealed"), ("any", "x.y")] {
            let bytes = ELMED_SAMPLE.replace("claim.decision", event_type).into_bytes();
            let headers = sign("elmed", &bytes, &SignOptions::new(options.clone())).unwrap();
            let event = verifier.verify(&bytes, &headers).unwrap();
            group.throughput(Throughput::Elements(1));
            group.bench_function(format!("router-dispatch/{label}"), |b| {
                b.iter(|| black_box(router.dispatch(black_box(&event)).unwrap().handled()))
            });
        }
    }
    for (size, label) in SIZES {
        group.throughput(Throughput::Bytes(size as u64));
        let bytes = body("elmed", "records", size);
        let key = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        group.bench_with_input(BenchmarkId::new("bare-hmac-sha256", label), &bytes, |b, bytes| {
            b.iter(|| {
                let mut mac = key.clone();
                mac.update(black_box(bytes));
                black_box(mac.finalize().into_bytes())
            })
        });
        for provider in ["elmed", "novamed"] {
            let options = Options::new().secret(secret);
            let verifier = Verifier::new(provider, &options).unwrap();
            for shape in ["records", "attachment"] {
                let bytes = body(provider, shape, size);
                let headers = sign(provider, &bytes, &SignOptions::new(options.clone())).unwrap();
                verifier.verify(&bytes, &headers).unwrap();
                let id = BenchmarkId::new(format!("verify/{provider}/{shape}"), label);
                group.bench_with_input(id, &bytes, |b, bytes| {
                    b.iter(|| {
                        let event = verifier.verify(black_box(bytes), &headers).unwrap();
                        black_box((event.event_type().map(str::len), event.data().get().len()))
                    })
                });
            }
            if provider == "elmed" {
                // Node's path: `data`'s extent found by the structural scan, its grammar left to JSON.parse.
                #[cfg(feature = "host-json")]
                for shape in ["records", "attachment"] {
                    let bytes = body(provider, shape, size);
                    let headers = sign(provider, &bytes, &SignOptions::new(options.clone())).unwrap();
                    let id = BenchmarkId::new(format!("verify-for-host-json/{provider}/{shape}"), label);
                    group.bench_with_input(id, &bytes, |b, bytes| {
                        b.iter(|| {
                            let genuine = verifier.authenticate(black_box(bytes), &headers, None).unwrap();
                            let event = genuine.parse_for_host_json().unwrap();
                            black_box((event.event_type().map(str::len), event.data().get().len()))
                        })
                    });
                }
                // ELMED's idempotency key is a SHA-256 of the body, computed only when asked for: a second pass.
                let bytes = body(provider, "attachment", size);
                let headers = sign(provider, &bytes, &SignOptions::new(options.clone())).unwrap();
                let id = BenchmarkId::new("verify+idempotency_key/elmed/attachment", label);
                group.bench_with_input(id, &bytes, |b, bytes| {
                    b.iter(|| {
                        let event = verifier.verify(black_box(bytes), &headers).unwrap();
                        black_box(event.idempotency_key().len())
                    })
                });
            }
        }
    }
    group.finish();
}

criterion_group!(hookseal_benches, benches);
criterion_main!(hookseal_benches);
