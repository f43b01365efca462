//! claim + complete per delivery on each backend (memory, SQLite on disk, Redis on loopback from
//! $HOOKSEAL_TEST_REDIS_URL: `scripts/with-redis.sh cargo bench -p hookseal-store`, or `make bench-store`).

use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{criterion_group, criterion_main, Criterion};
use hookseal_store::{ClaimOutcome, Store, StoreOptions};

fn claim_complete(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut backends = vec![
        ("memory", "memory:".to_owned()),
        ("sqlite (disk)", format!("sqlite://{}", dir.path().join("bench.db").display())),
    ];
    match std::env::var("HOOKSEAL_TEST_REDIS_URL") {
        Ok(url) => backends.push(("redis (loopback)", url)),
        Err(_) => eprintln!("HOOKSEAL_TEST_REDIS_URL is not set: Redis is left out (run under scripts/with-redis.sh)"),
    }
    let mut group = c.benchmark_group("claim + complete");
    for (name, url) in backends {
        let store = Store::open(&url, &StoreOptions::new()).unwrap();
        let next = AtomicU64::new(0);
        let namespace = format!("bench{}", std::process::id());
        group.bench_function(name, |b| {
            b.iter(|| {
                let key = format!("evt_{}", next.fetch_add(1, Ordering::Relaxed));
                let ClaimOutcome::Claimed(claim) = store.claim(&namespace, key).unwrap() else { panic!("a fresh key") };
                assert!(store.complete(&claim).unwrap());
            })
        });
    }
    group.finish();
}

criterion_group!(benches, claim_complete);
criterion_main!(benches);
