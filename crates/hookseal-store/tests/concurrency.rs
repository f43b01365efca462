//! Two workers never both win: threads with a store each (their own SQLite connection, their own Redis connections),
//! racing for the same keys; and `process_once` runs, completes and releases as the contract says.

use std::sync::{Arc, Barrier};

use hookseal_store::{process_once, ClaimOutcome, OnceError, Processed, Store, StoreOptions};

fn race(url: &str) {
    const WORKERS: usize = 8;
    const KEYS: usize = 20;
    let namespace = format!("race{}", std::process::id());
    let barrier = Arc::new(Barrier::new(WORKERS));
    let handles: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (url, namespace, barrier) = (url.to_owned(), namespace.clone(), barrier.clone());
            std::thread::spawn(move || {
                let store = Store::open(&url, &StoreOptions::new()).unwrap();
                barrier.wait();
                let mut won = Vec::new();
                for key in 0..KEYS {
                    match store.claim(&namespace, format!("evt_{key}")).unwrap() {
                        ClaimOutcome::Claimed(claim) => {
                            assert!(store.complete(&claim).unwrap());
                            won.push(key);
                        }
                        ClaimOutcome::Duplicate | ClaimOutcome::InProgress { .. } => {}
                    }
                }
                won
            })
        })
        .collect();
    let mut won: Vec<usize> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    won.sort_unstable();
    assert_eq!(won, (0..KEYS).collect::<Vec<_>>(), "{url}: every key won exactly once");
}

#[test]
fn sqlite_claims_are_atomic_across_connections() {
    let dir = tempfile::tempdir().unwrap();
    race(&format!("sqlite://{}", dir.path().join("race.db").display()));
}

#[test]
fn redis_claims_are_atomic_across_connections() {
    race(&std::env::var("HOOKSEAL_TEST_REDIS_URL").expect("run under scripts/with-redis.sh"));
}

#[test]
fn memory_claims_are_atomic_across_threads() {
    let store = Arc::new(Store::open("memory:", &StoreOptions::new()).unwrap());
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            std::thread::spawn(move || matches!(store.claim("m", "evt").unwrap(), ClaimOutcome::Claimed(_)))
        })
        .collect();
    assert_eq!(handles.into_iter().filter(|_| true).map(|h| h.join().unwrap() as usize).sum::<usize>(), 1);
}

#[test]
fn process_once_completes_releases_and_survives_a_panic() {
    let store = Store::open("memory:", &StoreOptions::new()).unwrap();
    // A failing handler releases: the retry runs it again.
    let failed = process_once(&store, "p", "evt_a", || Err::<(), _>("boom"));
    assert!(matches!(failed, Err(OnceError::Handler("boom"))));
    assert_eq!(process_once(&store, "p", "evt_a", || Ok::<_, ()>(1)).unwrap(), Processed::Done(1));
    assert_eq!(process_once(&store, "p", "evt_a", || Ok::<_, ()>(2)).unwrap(), Processed::Duplicate);
    // A panicking handler releases too.
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        process_once(&store, "p", "evt_b", || -> Result<(), ()> { panic!("handler bug") })
    }));
    assert!(panicked.is_err());
    assert_eq!(process_once(&store, "p", "evt_b", || Ok::<_, ()>(3)).unwrap(), Processed::Done(3));
    // While one worker holds a key, another gets in_progress and does not run.
    let ClaimOutcome::Claimed(_held) = store.claim("p", "evt_c").unwrap() else { panic!("claimable") };
    let busy = process_once(&store, "p", "evt_c", || -> Result<(), ()> { panic!("must not run") }).unwrap();
    assert_eq!(busy.retry_after_seconds(), Some(60));
    // An unreachable store: the handler does not run.
    let down = Store::open("redis://127.0.0.1:1/0", &StoreOptions::new()).unwrap();
    let result = process_once(&down, "p", "evt_d", || -> Result<(), ()> { panic!("must not run") });
    assert!(matches!(result, Err(OnceError::Store(e)) if e.code().as_str() == "store_unavailable"));
}

#[test]
fn claims_fail_fast_for_a_second_after_the_store_was_unreachable() {
    use std::time::{Duration, Instant};
    // A "server" that accepts connections and never answers: every command waits out its timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}/0", silent.local_addr().unwrap());
    let _keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().take(8) {
            held.push(stream); // keep them open, say nothing
        }
    });
    let store = Store::open(&url, &StoreOptions::new()).unwrap();
    let started = Instant::now();
    let first = store.claim("ff", "evt").unwrap_err();
    let waited = started.elapsed();
    assert_eq!(first.code().as_str(), "store_unavailable");
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(3), "{waited:?}: {first}");
    // Queued deliveries do not each wait out the timeout again.
    for _ in 0..4 {
        let quick = Instant::now();
        let error = store.claim("ff", "evt").unwrap_err();
        assert!(quick.elapsed() < Duration::from_millis(100), "{:?}", quick.elapsed());
        assert!(error.message().contains("unreachable"), "{error}");
    }
    // After the window, the store is tried again.
    std::thread::sleep(Duration::from_millis(1100));
    let again = Instant::now();
    assert!(store.claim("ff", "evt").is_err());
    assert!(again.elapsed() >= Duration::from_millis(900), "{:?}", again.elapsed());
}

#[test]
fn sqlite_prunes_expired_records_by_itself() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("prune.db");
    let url = format!("sqlite://{}", path.display());
    let short = Store::open(&url, &StoreOptions::new().retention(Duration::from_millis(100))).unwrap();
    for key in 0..50 {
        let ClaimOutcome::Claimed(claim) = short.claim("p", format!("evt_{key}")).unwrap() else { panic!("fresh") };
        assert!(short.complete(&claim).unwrap());
    }
    let rows = |path: &std::path::Path| -> i64 {
        let db = rusqlite::Connection::open(path).unwrap();
        db.query_row("SELECT count(*) FROM hookseal_dedupe", [], |row| row.get(0)).unwrap()
    };
    assert_eq!(rows(&path), 50);
    std::thread::sleep(Duration::from_millis(200));
    // A process's first claim prunes (then every few seconds): the 50 expired records go, the new one stays.
    let other = Store::open(&url, &StoreOptions::new()).unwrap();
    assert!(matches!(other.claim("p", "evt_new").unwrap(), ClaimOutcome::Claimed(_)));
    assert_eq!(rows(&path), 1);
}

/// Several workers' first deliveries open one new SQLite file at the same moment: each gets its claim answered (the
/// file's switch to WAL waits for the others, as every statement does), never `store_unavailable`.
#[test]
fn sqlite_first_claims_on_a_new_file_all_succeed() {
    const WORKERS: usize = 12;
    for round in 0..15 {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join(format!("new-{round}.db")).display());
        let barrier = Arc::new(Barrier::new(WORKERS));
        let handles: Vec<_> = (0..WORKERS)
            .map(|worker| {
                let (url, barrier) = (url.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let store = Store::open(&url, &StoreOptions::new()).unwrap();
                    barrier.wait();
                    store
                        .claim("first", format!("evt_{worker}"))
                        .map(|outcome| matches!(outcome, ClaimOutcome::Claimed(_)))
                })
            })
            .collect();
        for handle in handles {
            let claimed = handle.join().unwrap();
            assert!(matches!(claimed, Ok(true)), "round {round}: a first claim on a new file failed: {claimed:?}");
        }
    }
}
