//! `Webhook` behind a real axum server, with real stores (an SQLite file in a temp dir, the test Redis from
//! scripts/with-redis.sh): every answer of docs/exactly-once.md's table, the router's, and the claims released.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hookseal::{ErrorCode, Options, Provider, Router, Unhandled, Verifier};
use hookseal_axum::Webhook;
use hookseal_store::{Store, StoreOptions};

use common::*;

fn elmed() -> Verifier {
    Verifier::new("elmed", &Options::new().secret(ELMED_SECRET)).unwrap()
}

fn novamed() -> Verifier {
    Verifier::new("novamed", &Options::new().secret(NOVAMED_KEY)).unwrap()
}

fn body(event: &str, tag: &str) -> Vec<u8> {
    format!(r#"{{"event":"{event}","timestamp":"2026-03-29T10:45:00","data":{{"tag":"{tag}"}}}}"#).into_bytes()
}

/// The stores every exactly-once test runs against: a fresh SQLite file, and the test Redis.
fn stores() -> Vec<(Store, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(&format!("sqlite://{}", dir.path().join("dedupe.db").display()), &StoreOptions::new());
    vec![(sqlite.unwrap(), Some(dir)), (Store::open(&redis_url(), &StoreOptions::new()).unwrap(), None)]
}

/// A namespace no other test (or earlier run on the same Redis) has used.
fn namespace() -> String {
    format!("axum-{}", unique())
}

fn count(counter: &AtomicUsize) -> usize {
    counter.load(Ordering::SeqCst)
}

async fn elmed_delivery(addr: std::net::SocketAddr, body: &[u8]) -> Answer {
    send(addr, "/webhooks/elmed", body, &signed("elmed", ELMED_SECRET, body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_router_runs_once_per_event_and_releases_what_failed() {
    capture_logs();
    for (store, _dir) in stores() {
        let backend = store.backend();
        let calls = Arc::new([(); 5].map(|_| AtomicUsize::new(0)));
        let c = Arc::clone(&calls);
        let mut router = Router::<'static, Response, String>::new().provider(Provider::Elmed);
        router
            .on("order.status_changed", {
                let c = Arc::clone(&c);
                move |_| {
                    c[0].fetch_add(1, Ordering::SeqCst);
                    Ok(().into_response()) // nothing to say: the processed answer
                }
            })
            .unwrap()
            .on("prescription.issued", {
                let c = Arc::clone(&c);
                move |event| {
                    c[1].fetch_add(1, Ordering::SeqCst);
                    Ok(format!("prescription {}", event.idempotency_key()).into_response())
                }
            })
            .unwrap()
            .on("claim.*", {
                let c = Arc::clone(&c);
                move |_| match c[2].fetch_add(1, Ordering::SeqCst) {
                    0 => Err("the claims service is down".to_owned()),
                    _ => Ok(StatusCode::ACCEPTED.into_response()),
                }
            })
            .unwrap()
            .on("consultation.completed", {
                let c = Arc::clone(&c);
                move |_| match c[3].fetch_add(1, Ordering::SeqCst) {
                    0 => Ok(StatusCode::SERVICE_UNAVAILABLE.into_response()),
                    _ => Ok(().into_response()),
                }
            })
            .unwrap();
        let endpoint = Webhook::new(elmed()).store(store).namespace(namespace()).unwrap().router(router).unwrap();
        let addr = serve(axum::Router::new().route("/webhooks/elmed", endpoint)).await;

        // Nothing to say: 200 processed; the retry: 200 duplicate, not run.
        let order = body("order.status_changed", backend);
        let key = elmed().verify(&order, &signed("elmed", ELMED_SECRET, &order)).unwrap().idempotency_key().to_owned();
        let first = elmed_delivery(addr, &order).await;
        assert_eq!(first.status, 200, "{backend}: {}", first.body);
        assert_eq!(
            first.body,
            format!(r#"{{"status":"processed","event_type":"order.status_changed","idempotency_key":"{key}"}}"#)
        );
        assert_eq!(first.header("content-type"), Some("application/json"));
        let retry = elmed_delivery(addr, &order).await;
        assert_eq!(retry.status, 200, "{backend}");
        assert_eq!(retry.body, format!(r#"{{"status":"duplicate","idempotency_key":"{key}"}}"#));
        assert_eq!(count(&calls[0]), 1, "{backend}");

        // The handler's own answer goes out as it is.
        let prescription = body("prescription.issued", backend);
        let answer = elmed_delivery(addr, &prescription).await;
        assert_eq!(answer.status, 200);
        assert!(answer.body.starts_with("prescription sha256:"), "{}", answer.body);
        assert!(elmed_delivery(addr, &prescription).await.body.contains("duplicate"));
        assert_eq!(count(&calls[1]), 1);

        // A handler's error: 500, logged, released: the retry runs it again (and is then done).
        let decision = body("claim.decision", backend);
        let failed = elmed_delivery(addr, &decision).await;
        assert_eq!((failed.status, failed.body.as_str()), (500, ""), "{backend}");
        let lines = wait_logged("the handler for the delivery").await;
        assert!(lines.iter().any(|l| l.contains("(claim.decision) failed: the claims service is down")), "{lines:?}");
        assert_eq!(elmed_delivery(addr, &decision).await.status, 202, "{backend}: released, so the retry runs");
        assert_eq!(elmed_delivery(addr, &decision).await.status, 200, "{backend}: then done");
        assert_eq!(count(&calls[2]), 2);

        // An answer of 500 or more releases too.
        let consultation = body("consultation.completed", backend);
        assert_eq!(elmed_delivery(addr, &consultation).await.status, 503);
        assert!(elmed_delivery(addr, &consultation).await.body.contains(r#""status":"processed""#));
        assert!(elmed_delivery(addr, &consultation).await.body.contains(r#""status":"duplicate""#));
        assert_eq!(count(&calls[3]), 2);

        // No handler, accepted: 200 unhandled, completed.
        let referral = body("referral.created", backend);
        let key = elmed().verify(&referral, &signed("elmed", ELMED_SECRET, &referral)).unwrap();
        let key = key.idempotency_key().to_owned();
        let answer = elmed_delivery(addr, &referral).await;
        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.body,
            format!(r#"{{"status":"unhandled","event_type":"referral.created","idempotency_key":"{key}"}}"#)
        );
        assert!(elmed_delivery(addr, &referral).await.body.contains(r#""status":"duplicate""#));
        assert!(
            !logged(&format!("no handler for the delivery {key} from elmed (referral.created): accepted")).is_empty()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unhandled_event_of_a_rejecting_router_is_501_and_released() {
    capture_logs();
    for (store, _dir) in stores() {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = Arc::clone(&calls);
        let mut router = Router::<'static, (), String>::new().unhandled(Unhandled::Reject);
        router
            .on("order.*", move |_| {
                c.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
            .unwrap();
        let endpoint = Webhook::new(elmed()).store(store).namespace(namespace()).unwrap().router(router).unwrap();
        let addr = serve(axum::Router::new().route("/webhooks/elmed", endpoint)).await;
        let referral = body("referral.created", &unique());
        for _ in 0..2 {
            let answer = elmed_delivery(addr, &referral).await;
            assert_eq!((answer.status, answer.body.as_str()), (501, r#"{"error":"unhandled_event"}"#));
        }
        assert!(!logged("(referral.created): refused 501 unhandled_event").is_empty());
        let order = body("order.status_changed", &unique());
        assert!(elmed_delivery(addr, &order).await.body.contains(r#""status":"processed""#));
        assert_eq!(count(&calls), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_copy_that_arrives_while_another_is_processed_is_in_progress() {
    for (store, _dir) in stores() {
        let mut router = Router::<'static, (), String>::new();
        router
            .on("*", |_| {
                std::thread::sleep(Duration::from_millis(1500));
                Ok(())
            })
            .unwrap();
        let endpoint = Webhook::new(elmed()).store(store).namespace(namespace()).unwrap().router(router).unwrap();
        let addr = serve(axum::Router::new().route("/webhooks/elmed", endpoint)).await;
        let delivery = body("order.status_changed", &unique());
        let later = async {
            tokio::time::sleep(Duration::from_millis(400)).await;
            elmed_delivery(addr, &delivery).await
        };
        let (first, copy) = tokio::join!(elmed_delivery(addr, &delivery), later);
        assert_eq!(first.status, 200, "{}", first.body);
        assert_eq!((copy.status, copy.body.as_str()), (503, r#"{"error":"in_progress"}"#));
        let seconds: u64 = copy.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&seconds), "{seconds}");
        assert!(elmed_delivery(addr, &delivery).await.body.contains(r#""status":"duplicate""#));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_cannot_be_reached_is_503_and_nothing_runs() {
    capture_logs();
    let dead = format!("redis://127.0.0.1:{}/0", dead_port());
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let mut router = Router::<'static, (), String>::new();
    router
        .on("*", move |_| {
            c.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
        .unwrap();
    let c = Arc::clone(&calls);
    let app = axum::Router::new()
        .route(
            "/webhooks/elmed",
            Webhook::new(elmed()).store(Store::open(&dead, &StoreOptions::new()).unwrap()).router(router).unwrap(),
        )
        .route(
            "/webhooks/async",
            Webhook::new(elmed()).store(Store::open(&dead, &StoreOptions::new()).unwrap()).handler(move |_| {
                let c = Arc::clone(&c);
                async move {
                    c.fetch_add(1, Ordering::SeqCst);
                }
            }),
        );
    let addr = serve(app).await;
    for path in ["/webhooks/elmed", "/webhooks/async"] {
        let delivery = body("order.status_changed", path);
        let answer = send(addr, path, &delivery, &signed("elmed", ELMED_SECRET, &delivery)).await;
        assert_eq!((answer.status, answer.body.as_str()), (503, r#"{"error":"store_unavailable"}"#), "{path}");
        assert_eq!(answer.header("retry-after"), Some("5"), "{path}");
        let line = format!("refused a delivery from elmed (POST {path}): store_unavailable: ");
        let lines = logged(&line);
        assert!(lines.iter().any(|l| l.contains("ERROR")), "{path}: {lines:?}");
    }
    assert_eq!(count(&calls), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_releases_its_claim() {
    for (store, _dir) in stores() {
        let store = Arc::new(store);
        let calls = Arc::new(AtomicUsize::new(0));
        let c = Arc::clone(&calls);
        let mut router = Router::<'static, (), String>::new();
        router
            .on("*", move |_| {
                if c.fetch_add(1, Ordering::SeqCst) == 0 {
                    panic!("a bug in the handler");
                }
                Ok(())
            })
            .unwrap();
        let a = Arc::new(AtomicUsize::new(0));
        let a2 = Arc::clone(&a);
        let app = axum::Router::new()
            .route(
                "/webhooks/elmed",
                Webhook::new(elmed()).store(Arc::clone(&store)).namespace(namespace()).unwrap().router(router).unwrap(),
            )
            .route(
                "/webhooks/async",
                Webhook::new(elmed()).store(store).namespace(namespace()).unwrap().handler(move |_| {
                    let a = Arc::clone(&a2);
                    async move {
                        if a.fetch_add(1, Ordering::SeqCst) == 0 {
                            panic!("a bug in the async handler");
                        }
                    }
                }),
            );
        let addr = serve(app).await;
        for path in ["/webhooks/elmed", "/webhooks/async"] {
            let delivery = body("order.status_changed", &unique());
            let headers = signed("elmed", ELMED_SECRET, &delivery);
            // The panic ends the connection without an answer (as any panicking axum handler does)...
            let request = client().post(format!("http://{addr}{path}")).body(delivery.clone());
            let request = headers.iter().fold(request, |r, (n, v)| r.header(n, v));
            assert!(request.send().await.is_err(), "{path}");
            // ...and the key is released (the release may still be on its way: give it a moment).
            let mut answer = send(addr, path, &delivery, &headers).await;
            for _ in 0..20 {
                if answer.status != 503 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                answer = send(addr, path, &delivery, &headers).await;
            }
            assert_eq!(answer.status, 200, "{path}: {}", answer.body);
            assert!(answer.body.contains(r#""status":"processed""#), "{path}: {}", answer.body);
        }
        assert_eq!((count(&calls), count(&a)), (2, 2));
    }
}

/// Sends `delivery` until it is not answered 503 in_progress (a release on its way), at most 3 s.
async fn once_released(addr: std::net::SocketAddr, path: &str, delivery: &[u8]) -> Answer {
    let headers = signed("elmed", ELMED_SECRET, delivery);
    let mut answer = send(addr, path, delivery, &headers).await;
    for _ in 0..30 {
        if answer.body != r#"{"error":"in_progress"}"# {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        answer = send(addr, path, delivery, &headers).await;
    }
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_dropped_mid_claim_or_mid_handler_releases_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dedupe.db");
    let store = Store::open(&format!("sqlite://{}", path.display()), &StoreOptions::new()).unwrap();
    let (started, finished) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (s, f) = (Arc::clone(&started), Arc::clone(&finished));
    let endpoint = Webhook::new(elmed()).store(store).namespace(namespace()).unwrap().handler(move |event| {
        let (s, f) = (Arc::clone(&s), Arc::clone(&f));
        async move {
            // The first run of the "slow" delivery outlasts its client; every other run is quick.
            if event.data().contains("slow") && s.fetch_add(1, Ordering::SeqCst) == 0 {
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
            f.fetch_add(1, Ordering::SeqCst);
        }
    });
    let addr = serve(axum::Router::new().route("/webhooks/async", endpoint)).await;
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(500)).build().unwrap();
    let post = |delivery: &[u8]| {
        let request = impatient.post(format!("http://{addr}/webhooks/async")).body(delivery.to_vec());
        signed("elmed", ELMED_SECRET, delivery).iter().fold(request, |r, (n, v)| r.header(n, v)).send()
    };

    // Mid-claim: another connection holds the SQLite file's write lock, so the claim waits (the store's busy
    // timeout is 2 s); the client gives up first, and the claim won after it left is given back.
    let quick = body("order.status_changed", &unique());
    let lock = rusqlite::Connection::open(&path).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    assert!(post(&quick).await.is_err(), "the client gave up while the claim waited");
    lock.execute_batch("ROLLBACK").unwrap();
    let answer = once_released(addr, "/webhooks/async", &quick).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains(r#""status":"processed""#), "{}", answer.body);
    assert_eq!(count(&finished), 1, "the handler ran once: for the copy after the release");

    // Mid-handler: the client goes away while the handler sleeps; hyper drops the request's future.
    let slow = body("order.status_changed", &format!("slow-{}", unique()));
    assert!(post(&slow).await.is_err(), "the client gave up while the handler slept");
    let answer = once_released(addr, "/webhooks/async", &slow).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains(r#""status":"processed""#), "{}", answer.body);
    assert_eq!((count(&started), count(&finished)), (2, 2), "the first run was dropped, the copy ran to its end");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(count(&finished), 2, "the dropped run never finished");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complete_that_fails_after_the_router_ran_is_logged_as_every_helper_logs_it() {
    capture_logs();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dedupe.db");
    let store = Store::open(&format!("sqlite://{}", path.display()), &StoreOptions::new()).unwrap();
    let mut router = Router::<'static, (), String>::new();
    let lock_path = path.clone();
    router
        .on("*", move |_| {
            // The handler's work is done; then another connection holds the file's write lock for longer than the
            // store's busy timeout (2 s), so marking the key done fails.
            let lock = rusqlite::Connection::open(&lock_path).unwrap();
            lock.execute_batch("BEGIN IMMEDIATE").unwrap();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(2600));
                lock.execute_batch("ROLLBACK").unwrap();
            });
            Ok(())
        })
        .unwrap();
    let ns = namespace();
    let endpoint = Webhook::new(elmed()).store(store).namespace(ns.as_str()).unwrap().router(router).unwrap();
    let addr = serve(axum::Router::new().route("/webhooks/elmed", endpoint)).await;
    let delivery = body("order.status_changed", &unique());
    let key =
        elmed().verify(&delivery, &signed("elmed", ELMED_SECRET, &delivery)).unwrap().idempotency_key().to_owned();
    let answer = elmed_delivery(addr, &delivery).await;
    // The work was done: its answer goes out (a 5xx would have the provider send it again).
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains(r#""status":"processed""#), "{}", answer.body);
    let lines = wait_logged(&format!("the delivery {key} from {ns} was processed but not marked done (")).await;
    assert!(lines.iter().all(|l| l.contains("ERROR") && l.ends_with("): a retry may be processed again")), "{lines:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_handler_runs_once_and_an_answer_of_500_releases() {
    for (store, _dir) in stores() {
        let calls = Arc::new(AtomicUsize::new(0));
        let cancellations = Arc::new(AtomicUsize::new(0));
        let (c, k) = (Arc::clone(&calls), Arc::clone(&cancellations));
        let endpoint = Webhook::new(novamed()).store(store).namespace(namespace()).unwrap().handler(move |event| {
            let (c, k) = (Arc::clone(&c), Arc::clone(&k));
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                match event.event_type() {
                    Some("order:cancelled") if k.fetch_add(1, Ordering::SeqCst) == 0 => {
                        StatusCode::INTERNAL_SERVER_ERROR.into_response()
                    }
                    Some("order:cancelled") => "cancelled".into_response(),
                    _ => ().into_response(),
                }
            }
        });
        let addr = serve(axum::Router::new().route("/webhooks/novamed", endpoint)).await;
        let id = format!("evt_{}", unique());
        let shipped = format!(r#"{{"event_type":"order:shipped","event_id":"{id}","data":{{}}}}"#).into_bytes();
        // A wrong key with the same event_id claims nothing: the genuine delivery is then processed.
        let wrong = send(addr, "/webhooks/novamed", &shipped, &signed("novamed", "nm_wrong", &shipped)).await;
        assert_eq!((wrong.status, wrong.body.as_str()), (401, r#"{"error":"key_mismatch"}"#));
        let headers = signed("novamed", NOVAMED_KEY, &shipped);
        let first = send(addr, "/webhooks/novamed", &shipped, &headers).await;
        assert_eq!(
            first.body,
            format!(r#"{{"status":"processed","event_type":"order:shipped","idempotency_key":"{id}"}}"#)
        );
        let retry = send(addr, "/webhooks/novamed", &shipped, &headers).await;
        assert_eq!(retry.body, format!(r#"{{"status":"duplicate","idempotency_key":"{id}"}}"#));

        let cancelled = format!(r#"{{"event_type":"order:cancelled","event_id":"{id}-c","data":{{}}}}"#).into_bytes();
        let headers = signed("novamed", NOVAMED_KEY, &cancelled);
        assert_eq!(send(addr, "/webhooks/novamed", &cancelled, &headers).await.status, 500);
        let again = send(addr, "/webhooks/novamed", &cancelled, &headers).await;
        assert_eq!((again.status, again.body.as_str()), (200, "cancelled"));
        assert!(send(addr, "/webhooks/novamed", &cancelled, &headers).await.body.contains("duplicate"));
        assert_eq!(count(&calls), 3);
    }
}

#[tokio::test]
async fn without_a_store_every_delivery_runs() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let mut router = Router::<'static, (), String>::new().provider(Provider::Elmed);
    router
        .on("*", move |_| {
            c.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
        .unwrap();
    let addr = serve(axum::Router::new().route("/webhooks/elmed", Webhook::new(elmed()).router(router).unwrap())).await;
    let delivery = body("order.status_changed", "no store");
    for _ in 0..2 {
        assert!(elmed_delivery(addr, &delivery).await.body.contains(r#""status":"processed""#));
    }
    assert_eq!(count(&calls), 2);
    let mut tampered = delivery.clone();
    tampered[12] ^= 1;
    let answer = send(addr, "/webhooks/elmed", &tampered, &signed("elmed", ELMED_SECRET, &delivery)).await;
    assert_eq!((answer.status, answer.body.as_str()), (401, r#"{"error":"signature_mismatch"}"#));
    assert_eq!(count(&calls), 2);
}

#[test]
fn a_mis_wired_endpoint_fails_at_set_up() {
    let router = Router::<'static, (), String>::new().provider(Provider::Novamed);
    let error = Webhook::new(elmed()).router::<(), _, _>(router).unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidOption);
    assert!(error.message().contains("a router for novamed was given a elmed event"), "{}", error.message());
    for bad in ["", "has space", &"n".repeat(65)] {
        let error = Webhook::new(elmed()).namespace(bad).unwrap_err();
        assert_eq!(error.code(), ErrorCode::InvalidOption, "{bad:?}");
    }
    assert!(Webhook::new(elmed()).namespace("elmed-clinic-2").is_ok());
}
