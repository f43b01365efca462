//! A fixed loop of verifications for profilers (`valgrind --tool=callgrind`, `perf`): not a benchmark.
use hookseal::{sign, Options, SignOptions, Verifier};

fn main() {
    let provider = std::env::args().nth(1).unwrap_or_else(|| "elmed".into());
    let iterations: usize = std::env::args().nth(2).and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let filler = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODkrLw".repeat(10);
    let body = format!(
        r#"{{"event":"order.status_changed","event_type":"order:shipped","event_id":"evt_abc123xyz","timestamp":"2026-03-29T12:00:00","data":{{"order_id":88,"order_number":"ORD-2026-00088","status":"IN_TRANSIT","courier":"The Courier Guy","document":"{filler}"}}}}"#
    );
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
