//! The `Verified` extractor behind a real axum server: every refusal's status, body and log line, the size limit
//! (declared, chunked, exactly at it), header bytes as sent, and the raw-body trap.

mod common;

use axum::body::Body;
use axum::extract::{FromRef, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::post;
use hookseal::{Options, Verifier};
use hookseal_axum::{Verified, WebhookVerifier};

use common::*;

const ORDER: &[u8] = br#"{"event":"order.status_changed","timestamp":"2026-03-29T10:45:00","data":{"order_number":"ORD-88","status":"IN_TRANSIT"}}"#;

fn elmed(max_body_bytes: Option<usize>) -> Verifier {
    let mut options = Options::new().secret(ELMED_SECRET);
    if let Some(limit) = max_body_bytes {
        options = options.max_body_bytes(limit);
    }
    Verifier::new("elmed", &options).unwrap()
}

/// The handler answers what it was given, so the test sees the event's fields.
async fn echo(Verified { event, .. }: Verified) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        event.provider(),
        event.event_type().unwrap_or("null"),
        event.idempotency_key(),
        event.data(),
        event.body().len()
    )
}

fn app(verifier: Verifier) -> axum::Router {
    axum::Router::new().route("/webhooks/elmed", post(echo)).with_state(WebhookVerifier::new(verifier))
}

#[tokio::test]
async fn a_genuine_delivery_reaches_the_handler_with_its_event() {
    let addr = serve(app(elmed(None))).await;
    let answer = send(addr, "/webhooks/elmed", ORDER, &signed("elmed", ELMED_SECRET, ORDER)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let fields: Vec<&str> = answer.body.split('|').collect();
    assert_eq!(fields[0], "elmed");
    assert_eq!(fields[1], "order.status_changed");
    assert!(fields[2].starts_with("sha256:") && fields[2].len() == 71, "{}", fields[2]);
    assert_eq!(fields[3], r#"{"order_number":"ORD-88","status":"IN_TRANSIT"}"#);
    assert_eq!(fields[4], ORDER.len().to_string());
}

/// A name, a body, its headers, the status and the code expected.
type Case = (&'static str, Vec<u8>, Vec<(String, String)>, u16, &'static str);

#[tokio::test]
async fn every_refusal_is_the_contracts_status_and_json_and_one_log_line() {
    capture_logs();
    let addr = serve(app(elmed(None))).await;
    let genuine = signed("elmed", ELMED_SECRET, ORDER);
    let mut tampered = ORDER.to_vec();
    tampered[30] ^= 1;
    let not_json = b"order shipped";
    let cases: Vec<Case> = vec![
        ("tampered", tampered, genuine.clone(), 401, "signature_mismatch"),
        ("wrong key", ORDER.to_vec(), signed("elmed", "whsk_another_secret", ORDER), 401, "signature_mismatch"),
        ("missing header", ORDER.to_vec(), vec![], 401, "missing_header"),
        (
            "malformed header",
            ORDER.to_vec(),
            vec![("X-ELMED-Signature".into(), "sha256=zz".into())],
            401,
            "malformed_header",
        ),
        ("not JSON", not_json.to_vec(), signed("elmed", ELMED_SECRET, not_json), 400, "invalid_json"),
    ];
    for (name, body, headers, status, code) in cases {
        let answer = send(addr, "/webhooks/elmed", &body, &headers).await;
        assert_eq!(answer.status, status, "{name}: {}", answer.body);
        assert_eq!(answer.body, format!(r#"{{"error":"{code}"}}"#), "{name}");
        assert_eq!(answer.header("content-type"), Some("application/json"), "{name}");
    }
    let lines = logged("refused a delivery from elmed (POST /webhooks/elmed): signature_mismatch: ");
    assert!(lines.len() >= 2, "{lines:?}");
    assert!(lines.iter().all(|l| l.contains("WARN") && l.contains(" hookseal:")), "{lines:?}");
    assert!(!logged("refused a delivery from elmed (POST /webhooks/elmed): missing_header: ").is_empty());
    assert!(!logged("refused a delivery from elmed (POST /webhooks/elmed): invalid_json: ").is_empty());
    // Never a secret, never the body.
    assert!(logged(ELMED_SECRET).is_empty());
    assert!(logged("ORD-88").is_empty());
}

#[tokio::test]
async fn novamed_key_mismatch_clinic_mismatch_and_header_bytes_as_sent() {
    // A key with non-ASCII bytes: hookseal compares the header's bytes, which must arrive unchanged.
    let key = "nm-clé-ü";
    let verifier = Verifier::new("novamed", &Options::new().secret(key).clinic_id("clinic-1")).unwrap();
    let addr =
        serve(axum::Router::new().route("/webhooks/novamed", post(echo)).with_state(WebhookVerifier::new(verifier)))
            .await;
    let body = br#"{"event_type":"order:shipped","event_id":"evt_1","clinic_id":"clinic-1","data":{}}"#;
    let send = |value: Vec<u8>, body: &'static [u8]| async move {
        send_bytes(addr, "/webhooks/novamed", body, &[("x-api-key".to_owned(), value)]).await
    };
    let answer = send(key.as_bytes().to_vec(), body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.starts_with("novamed|order:shipped|evt_1|"), "{}", answer.body);
    let answer = send(b"nm-cle-u".to_vec(), body).await;
    assert_eq!((answer.status, answer.body.as_str()), (401, r#"{"error":"key_mismatch"}"#));
    let other_clinic = br#"{"event_type":"order:shipped","event_id":"evt_2","clinic_id":"clinic-2","data":{}}"#;
    let answer = send(key.as_bytes().to_vec(), other_clinic).await;
    assert_eq!((answer.status, answer.body.as_str()), (400, r#"{"error":"clinic_mismatch"}"#));
}

#[tokio::test]
async fn the_size_limit_declared_chunked_and_exactly_at_it() {
    capture_logs();
    let limit = 1000;
    let addr = serve(app(elmed(Some(limit)))).await;
    let too_large = r#"{"error":"payload_too_large"}"#;

    // Exactly the limit passes, one byte more is refused (Content-Length).
    let at = elmed_body_of(limit, "order.status_changed");
    let answer = send(addr, "/webhooks/elmed", &at, &signed("elmed", ELMED_SECRET, &at)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let over = elmed_body_of(limit + 1, "order.status_changed");
    let answer = send(addr, "/webhooks/elmed", &over, &signed("elmed", ELMED_SECRET, &over)).await;
    assert_eq!((answer.status, answer.body.as_str()), (413, too_large));
    assert!(!logged(&format!("payload_too_large: the body is over the limit of {limit} bytes")).is_empty());

    // A Content-Length over the limit is refused before the body is sent at all.
    let (status, whole) = raw(
        addr,
        "POST /webhooks/elmed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 50000000",
        b"",
    )
    .await;
    assert_eq!(status, 413, "{whole}");
    assert!(whole.ends_with(too_large), "{whole}");

    // Chunked, no Content-Length: refused as soon as it passes the limit (the body never ends here)...
    let headers = signed("elmed", ELMED_SECRET, &over);
    let piece = [b'x'; 400];
    let (status, whole) =
        raw(addr, &chunked_head("/webhooks/elmed", &headers), &chunked(&[&piece, &piece, &piece], false)).await;
    assert_eq!(status, 413, "{whole}");
    assert!(whole.ends_with(too_large), "{whole}");
    // ...and a chunked body of exactly the limit, in several chunks, passes.
    let headers = signed("elmed", ELMED_SECRET, &at);
    let (first, rest) = at.split_at(300);
    let (second, third) = rest.split_at(400);
    let (status, whole) =
        raw(addr, &chunked_head("/webhooks/elmed", &headers), &chunked(&[first, second, third], true)).await;
    assert_eq!(status, 200, "{whole}");
    assert!(whole.contains("elmed|order.status_changed|sha256:"), "{whole}");
    let (status, whole) = raw(
        addr,
        &chunked_head("/webhooks/elmed", &signed("elmed", ELMED_SECRET, &over)),
        &chunked(&[&over[..500], &over[500..]], true),
    )
    .await;
    assert_eq!(status, 413, "{whole}");
}

#[tokio::test]
async fn a_body_cut_short_is_400_never_the_500_of_a_changed_body() {
    capture_logs();
    let addr =
        serve(axum::Router::new().route("/webhooks/cut", post(echo)).with_state(WebhookVerifier::new(elmed(None))))
            .await;
    // Content-Length promises the whole delivery; the client sends half of it and stops.
    let mut head = format!("POST /webhooks/cut HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}", ORDER.len());
    for (name, value) in signed("elmed", ELMED_SECRET, ORDER) {
        head.push_str(&format!("\r\n{name}: {value}"));
    }
    let (status, whole) = raw_cut(addr, &head, &ORDER[..ORDER.len() / 2]).await;
    assert_eq!(status, 400, "{whole}");
    let lines =
        wait_logged("refused a delivery from elmed (POST /webhooks/cut): the request body could not be read").await;
    assert!(lines.iter().all(|l| l.contains("WARN")), "{lines:?}");
    assert!(logged("(POST /webhooks/cut): hookseal-axum: the request declares Content-Length").is_empty());
    assert!(logged("(POST /webhooks/cut): signature_mismatch").is_empty());
}

#[tokio::test]
async fn a_chunked_body_that_also_declares_a_content_length_verifies() {
    // Transfer-Encoding wins (RFC 9112 6.3): hyper reads the chunks and drops the Content-Length, so the extractor
    // does not take the body for one a layer changed.
    let addr = serve(app(elmed(None))).await;
    let head =
        format!("{}\r\nContent-Length: 7", chunked_head("/webhooks/elmed", &signed("elmed", ELMED_SECRET, ORDER)));
    let (first, rest) = ORDER.split_at(40);
    let (status, whole) = raw(addr, &head, &chunked(&[first, rest], true)).await;
    assert_eq!(status, 200, "{whole}");
    assert!(whole.contains("elmed|order.status_changed|sha256:"), "{whole}");
    assert!(whole.ends_with(&format!("|{}", ORDER.len())), "{whole}");
}

#[tokio::test]
async fn the_verifiers_limit_is_the_routes_not_axums_default_body_limit() {
    // axum's DefaultBodyLimit is 2 MB; a verifier allowing 3 MiB takes a 2.5 MB delivery.
    let limit = 3 * 1024 * 1024;
    let addr = serve(app(elmed(Some(limit)))).await;
    let body = elmed_body_of(2_500_000, "claim.decision");
    let answer = send(addr, "/webhooks/elmed", &body, &signed("elmed", ELMED_SECRET, &body)).await;
    assert_eq!(answer.status, 200, "{}", &answer.body[..answer.body.len().min(200)]);
    assert!(answer.body.ends_with("|2500000"));
}

/// A middleware that reads the body and hands on another one: what the extractor must catch.
async fn replace_body(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    // Re-encoded, as a layer that parses and re-serialises JSON would: the same data, other bytes.
    let text = String::from_utf8(bytes.to_vec()).unwrap().replace(',', ", ");
    next.run(Request::from_parts(parts, Body::from(text))).await
}

async fn take_body(request: Request, next: Next) -> Response {
    let (parts, _) = request.into_parts();
    next.run(Request::from_parts(parts, Body::empty())).await
}

#[tokio::test]
async fn a_layer_that_changed_the_body_is_a_500_that_says_why_never_a_signature_mismatch() {
    capture_logs();
    let re_encoded = app(elmed(None)).layer(middleware::from_fn(replace_body));
    let taken = axum::Router::new()
        .route("/webhooks/taken", post(echo))
        .layer(middleware::from_fn(take_body))
        .with_state(WebhookVerifier::new(elmed(None)));
    let addr = serve(re_encoded.merge(taken)).await;
    for path in ["/webhooks/elmed", "/webhooks/taken"] {
        let answer = send(addr, path, ORDER, &signed("elmed", ELMED_SECRET, ORDER)).await;
        assert_eq!(answer.status, 500, "{path}: {}", answer.body);
        assert_eq!(answer.body, "", "{path}");
    }
    let lines = logged("hookseal-axum: the request declares Content-Length: ");
    assert_eq!(lines.iter().filter(|l| l.contains("(POST /webhooks/elmed)")).count(), 1, "{lines:?}");
    assert_eq!(lines.iter().filter(|l| l.contains("(POST /webhooks/taken)")).count(), 1, "{lines:?}");
    let line = lines.iter().find(|l| l.contains("/webhooks/taken")).unwrap();
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains(&format!("Content-Length: {} but its body is 0 bytes", ORDER.len())), "{line}");
    assert!(line.contains("a layer or middleware before this handler read or replaced the body"), "{line}");
    assert!(line.contains("Route the webhook outside that layer"), "{line}");
    assert!(logged("refused a delivery from elmed (POST /webhooks/taken): signature_mismatch").is_empty());
}

#[tokio::test]
async fn a_nested_route_logs_the_path_the_sender_used() {
    capture_logs();
    let addr = serve(axum::Router::new().nest("/hooks", app(elmed(None)))).await;
    let answer = send(addr, "/hooks/webhooks/elmed?attempt=2", ORDER, &[]).await;
    assert_eq!(answer.status, 401);
    assert!(!logged("refused a delivery from elmed (POST /hooks/webhooks/elmed): missing_header").is_empty());
}

// Two verifiers in one state: a marker type each.
struct Elmed;
struct Novamed;

#[derive(Clone)]
struct AppState {
    elmed: WebhookVerifier<Elmed>,
    novamed: WebhookVerifier<Novamed>,
}

impl FromRef<AppState> for WebhookVerifier<Elmed> {
    fn from_ref(state: &AppState) -> Self {
        state.elmed.clone()
    }
}

impl FromRef<AppState> for WebhookVerifier<Novamed> {
    fn from_ref(state: &AppState) -> Self {
        state.novamed.clone()
    }
}

#[tokio::test]
async fn markers_pick_the_verifier_from_a_shared_state() {
    async fn on_elmed(delivery: Verified<Elmed>) -> String {
        format!("elmed {}", delivery.event_type().unwrap_or("null"))
    }
    async fn on_novamed(delivery: Verified<Novamed>) -> String {
        format!("novamed {}", delivery.into_inner().idempotency_key())
    }
    let state = AppState {
        elmed: WebhookVerifier::new(elmed(None)),
        novamed: WebhookVerifier::new(Verifier::new("novamed", &Options::new().secret(NOVAMED_KEY)).unwrap()),
    };
    let addr = serve(
        axum::Router::new()
            .route("/webhooks/elmed", post(on_elmed))
            .route("/webhooks/novamed", post(on_novamed))
            .with_state(state),
    )
    .await;
    let answer = send(addr, "/webhooks/elmed", ORDER, &signed("elmed", ELMED_SECRET, ORDER)).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "elmed order.status_changed"));
    let body = br#"{"event_type":"order:shipped","event_id":"evt_9","data":{}}"#;
    let answer = send(addr, "/webhooks/novamed", body, &signed("novamed", NOVAMED_KEY, body)).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "novamed evt_9"));
    // The ELMED signature on the NovaMed route: the NovaMed verifier refuses it.
    let answer = send(addr, "/webhooks/novamed", ORDER, &signed("elmed", ELMED_SECRET, ORDER)).await;
    assert_eq!((answer.status, answer.body.as_str()), (401, r#"{"error":"missing_header"}"#));
}

#[tokio::test]
async fn debug_never_shows_a_secret_or_the_payload() {
    capture_logs();
    let key = "bm_live_shared_key_1234";
    let verifier = Verifier::new("baremeds", &Options::new().secret(key)).unwrap();
    let shown = format!("{:?}", WebhookVerifier::<()>::new(verifier.clone()));
    assert!(!shown.contains(key), "{shown}");
    let webhook = hookseal_axum::Webhook::new(verifier.clone());
    assert!(!format!("{webhook:?}").contains(key));

    async fn debug(delivery: Verified) -> String {
        format!("{delivery:?}")
    }
    let addr =
        serve(axum::Router::new().route("/webhooks/baremeds", post(debug)).with_state(WebhookVerifier::new(verifier)))
            .await;
    let body = format!(
        r#"{{"event":"message_created","data":{{"patient_name":"Jane Roe"}},"metadata":{{"request_id":"req_1","webhook_key":"{key}"}}}}"#
    );
    let answer = send(addr, "/webhooks/baremeds", body.as_bytes(), &signed("baremeds", key, body.as_bytes())).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.starts_with("Verified(VerifiedEvent {"), "{}", answer.body);
    assert!(answer.body.contains("req_1"), "{}", answer.body);
    assert!(!answer.body.contains(key) && !answer.body.contains("Jane Roe"), "{}", answer.body);
    // A refusal's Debug and Display: the code and message only.
    let wrong =
        send(addr, "/webhooks/baremeds", body.as_bytes(), &signed("baremeds", "bm_other", body.as_bytes())).await;
    assert_eq!(wrong.status, 401);
    assert!(logged(key).is_empty());
    assert!(logged("Jane Roe").is_empty());
    let rejection = hookseal_axum::Rejection::from(
        Verifier::new("baremeds", &Options::new().secret(key))
            .unwrap()
            .verify(body.as_bytes(), &[("X-Webhook-Key", "bm_other")])
            .unwrap_err(),
    );
    assert_eq!(rejection.code(), Some(hookseal::ErrorCode::KeyMismatch));
    assert_eq!(rejection.status(), 401);
    for shown in [format!("{rejection:?}"), rejection.to_string()] {
        assert!(shown.contains("key_mismatch") && !shown.contains(key) && !shown.contains("bm_other"), "{shown}");
    }
}
