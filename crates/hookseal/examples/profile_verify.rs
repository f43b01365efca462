//! A fixed loop of verifications for profilers (`valgrind --tool=callgrind`, `perf`): not a benchmark.
use hookseal::{sign, Options, SignOptions, Verifier};

fn main() {
    let provider = std::env::args().nth(1).unwrap_or_else(|| "elmed".into());
    let iterations: usize = std::env::args().nth(2).and_then(|n| n.parse().ok()).unwrap_or(100_000);
    // ELMED's documented claim.decision sample (provider-docs/000), byte for byte.
    let body = include_str!("../../../tests/samples/elmed/claim.decision.json");
    let options = Options::new().secret("whsec_bench_secret_0123456789");
    let verifier = Verifier::new(&provider, &options).unwrap();
    let headers = sign(&provider, body.as_bytes(), &SignOptions::new(options)).unwrap();
    let mut total = 0;
    for _ in 0..iterations {
        let event = verifier.verify(body.as_bytes(), &headers).unwrap();
        total += event.data().get().len();
    }
    println!("{} bytes body, {total}", body.len());
}
