//! The example receiver (examples/receiver.rs, documented in examples/axum/README.md): its settings from the
//! environment, and its app on a real server receiving real signed ELMED and NovaMed deliveries, with an SQLite
//! file and the test Redis as its store.

mod common;

use std::collections::HashMap;

use common::*;

#[allow(dead_code)] // its main() is the binary's
#[path = "../examples/receiver.rs"]
mod receiver;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |name| map.get(name).cloned()
}

const SECRETS: [(&str, &str); 2] = [("ELMED_WEBHOOK_SECRET", ELMED_SECRET), ("NOVAMED_WEBHOOK_SECRET", NOVAMED_KEY)];

fn sample(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../../tests/samples/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn the_settings_refuse_to_start_without_secrets_or_with_bad_values() {
    let error = receiver::Settings::from_env(env(&[("NOVAMED_WEBHOOK_SECRET", "k")])).err().unwrap();
    assert!(error.to_string().contains("set ELMED_WEBHOOK_SECRET"), "{error}");
    let error = receiver::Settings::from_env(env(&[("ELMED_WEBHOOK_SECRET", "s")])).err().unwrap();
    assert!(error.to_string().contains("set NOVAMED_WEBHOOK_SECRET"), "{error}");
    let bad = [SECRETS[0], SECRETS[1], ("HOOKSEAL_MAX_BODY_BYTES", "1MB")];
    let error = receiver::Settings::from_env(env(&bad)).err().unwrap();
    assert!(error.to_string().contains("HOOKSEAL_MAX_BODY_BYTES must be an integer"), "{error}");
    let bad = [SECRETS[0], SECRETS[1], ("HOOKSEAL_STORE", "postgres://db/hooks")];
    let error = receiver::Settings::from_env(env(&bad)).err().unwrap();
    assert!(error.to_string().starts_with("invalid_option"), "{error}");

    // The default store: an SQLite file in the temp dir; a URL's password is never shown.
    let settings = receiver::Settings::from_env(env(&SECRETS)).unwrap();
    assert_eq!(settings.store.backend(), "sqlite");
    assert!(settings.store.describe().ends_with("hookseal-axum.db"), "{}", settings.store.describe());
    let with_password = [SECRETS[0], SECRETS[1], ("HOOKSEAL_STORE", "redis://:hunter2@127.0.0.1:6379/0")];
    let settings = receiver::Settings::from_env(env(&with_password)).unwrap();
    assert!(!settings.store.describe().contains("hunter2"), "{}", settings.store.describe());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receiver_answers_real_deliveries() {
    capture_logs();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("receiver.db").display());
    for store in [sqlite, redis_url()] {
        let settings = receiver::Settings::from_env(env(&[
            SECRETS[0],
            SECRETS[1],
            ("NOVAMED_CLINIC_ID", "550e8400-e29b-41d4-a716-446655440000"),
            ("HOOKSEAL_MAX_BODY_BYTES", "4096"),
            ("HOOKSEAL_STORE", &store),
        ]))
        .unwrap();
        let addr = serve(receiver::app(settings).unwrap()).await;
        let health = client().get(format!("http://{addr}/healthz")).send().await.unwrap();
        assert_eq!((health.status().as_u16(), health.text().await.unwrap().as_str()), (200, "ok"));

        // A genuine ELMED delivery (made unique per run: the Redis outlives it), then its retry.
        let order = String::from_utf8(sample("elmed/order.status_changed.json")).unwrap();
        let order = order.replacen('{', &format!(r#"{{"run":"{}","#, unique()), 1).into_bytes();
        let headers = signed("elmed", ELMED_SECRET, &order);
        let first = send(addr, "/webhooks/elmed", &order, &headers).await;
        assert_eq!(first.status, 200, "{store}: {}", first.body);
        assert!(
            first.body.starts_with(r#"{"status":"processed","event_type":"order.status_changed","#),
            "{}",
            first.body
        );
        let retry = send(addr, "/webhooks/elmed", &order, &headers).await;
        assert!(retry.body.starts_with(r#"{"status":"duplicate","idempotency_key":"sha256:"#), "{}", retry.body);

        // Tampered, wrong key, not JSON, oversize (declared and chunked).
        let mut tampered = order.clone();
        tampered[5] ^= 1;
        let answer = send(addr, "/webhooks/elmed", &tampered, &headers).await;
        assert_eq!((answer.status, answer.body.as_str()), (401, r#"{"error":"signature_mismatch"}"#));
        let answer = send(addr, "/webhooks/elmed", &order, &signed("elmed", "whsk_wrong", &order)).await;
        assert_eq!(answer.status, 401);
        let answer = send(addr, "/webhooks/elmed", b"not json", &signed("elmed", ELMED_SECRET, b"not json")).await;
        assert_eq!((answer.status, answer.body.as_str()), (400, r#"{"error":"invalid_json"}"#));
        let big = elmed_body_of(4097, "order.status_changed");
        let answer = send(addr, "/webhooks/elmed", &big, &signed("elmed", ELMED_SECRET, &big)).await;
        assert_eq!((answer.status, answer.body.as_str()), (413, r#"{"error":"payload_too_large"}"#));
        let piece = [b'x'; 2048];
        let head = chunked_head("/webhooks/elmed", &signed("elmed", ELMED_SECRET, &big));
        let (status, whole) = raw(addr, &head, &chunked(&[&piece, &piece, &piece], false)).await;
        assert_eq!(status, 413, "{whole}");

        // NovaMed: the documented sample (its event_id made unique), a typed handler; another clinic; a wrong key.
        let shipped = String::from_utf8(sample("novamed/order.shipped.json")).unwrap();
        let shipped = shipped.replace("evt_abc123xyz", &format!("evt_{}", unique())).into_bytes();
        let headers = vec![("x-api-key".to_owned(), NOVAMED_KEY.to_owned())];
        let answer = send(addr, "/webhooks/novamed", &shipped, &headers).await;
        assert!(answer.body.starts_with(r#"{"status":"processed","event_type":"order:shipped","#), "{}", answer.body);
        assert!(send(addr, "/webhooks/novamed", &shipped, &headers).await.body.contains("duplicate"));
        let elsewhere = String::from_utf8(shipped.clone()).unwrap().replace("550e8400", "00000000").into_bytes();
        let answer = send(addr, "/webhooks/novamed", &elsewhere, &headers).await;
        assert_eq!((answer.status, answer.body.as_str()), (400, r#"{"error":"clinic_mismatch"}"#));
        let answer = send(addr, "/webhooks/novamed", &shipped, &[("x-api-key".into(), "nm_wrong".into())]).await;
        assert_eq!((answer.status, answer.body.as_str()), (401, r#"{"error":"key_mismatch"}"#));
    }
    // The handlers' log lines: keys and event types, never the order's or the patient's data.
    assert!(!logged("processing sha256:").is_empty());
    assert!(!logged("processing evt_").is_empty());
    assert!(!logged("elmed event order.status_changed handled").is_empty());
    assert!(!logged("novamed event order:shipped handled").is_empty());
    for data in ["ORD-2026-00088", "IN_TRANSIT", "ord_12345", "pat_67890", "1Z999AA10123456784", "Main Street"] {
        assert!(logged(data).is_empty(), "{data}: {:?}", logged(data));
    }
}
