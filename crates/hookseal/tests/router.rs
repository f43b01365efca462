//! The router: every case of tests/vectors/router/routes.json, the unhandled modes, errors, the typo check, the
//! dedupe store flow (docs/exactly-once.md) with SQLite, and every verified conformance vector dispatched.

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use hookseal::{
    sign, DispatchError, Dispatched, ErrorCode, Event, Options, Provider, Router, SignOptions, Unhandled,
    UnhandledEvent, Verifier,
};
use hookseal_store::{process_once, ClaimOutcome, OnceError, Processed, Store, StoreOptions};
use serde::Deserialize;
use serde_json::{json, Value};
use support::vectors::{load_all, option_value, Expect};

const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutesFile {
    #[allow(dead_code)]
    description: String,
    kinds: Vec<String>,
    cases: Vec<RouteCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteCase {
    id: String,
    kind: String,
    routes: Vec<Route>,
    dispatch: Option<Vec<(Option<String>, Option<usize>)>>,
    error_at: Option<usize>,
    error: Option<String>,
}

/// One on() call: a pattern, or a list of them (a JSON list of anything but strings fails to load).
#[derive(Deserialize)]
#[serde(untagged)]
enum Route {
    One(String),
    Many(Vec<String>),
}

impl Route {
    fn patterns(&self) -> Vec<String> {
        match self {
            Route::One(pattern) => vec![pattern.clone()],
            Route::Many(patterns) => patterns.clone(),
        }
    }
}

const KINDS: [&str; 2] = ["dispatch", "error"];

/// A Standard Webhooks event of this type (`None`: a body without `type`), verified for real.
fn sw_body(event_type: Option<&str>, id: usize) -> Vec<u8> {
    let mut body = json!({"data": {"n": id}});
    if let Some(event_type) = event_type {
        body["type"] = event_type.into();
    }
    serde_json::to_vec(&body).unwrap()
}

fn verified<'a>(verifier: &Verifier, provider: &str, body: &'a [u8], options: &Options) -> Event<'a> {
    let headers = sign(provider, body, &SignOptions::new(options.clone())).unwrap();
    verifier.verify(body, &headers).unwrap()
}

fn run_dispatch_case(case: &RouteCase) -> Result<(), String> {
    let (Some(dispatch), None, None) = (&case.dispatch, case.error_at, &case.error) else {
        return Err("a dispatch case has `dispatch` and neither `error_at` nor `error`".into());
    };
    let calls: Vec<AtomicUsize> = case.routes.iter().map(|_| AtomicUsize::new(0)).collect();
    let mut router = Router::new();
    for (index, route) in case.routes.iter().enumerate() {
        let calls = &calls;
        router
            .on(route.patterns(), move |_event| {
                calls[index].fetch_add(1, Ordering::SeqCst);
                Ok::<_, String>(index)
            })
            .map_err(|e| format!("on({:?}) failed: {e}", route.patterns()))?;
    }
    let expected_patterns: Vec<String> = case.routes.iter().flat_map(Route::patterns).collect();
    if router.patterns() != expected_patterns {
        return Err(format!("patterns() is {:?}", router.patterns()));
    }
    let options = Options::new().secret(SW_SECRET);
    let verifier = Verifier::new("standard-webhooks", &options).unwrap();
    for (n, (event_type, expected)) in dispatch.iter().enumerate() {
        let routed = router.route(event_type.as_deref());
        if routed != *expected {
            return Err(format!("route({event_type:?}) is {routed:?}, expected {expected:?}"));
        }
        // An empty type counts as absent when a delivery is verified (docs/providers.md): no event carries one, so
        // route() is all there is to check.
        if event_type.as_deref() == Some("") {
            continue;
        }
        let body = sw_body(event_type.as_deref(), n);
        let event = verified(&verifier, "standard-webhooks", &body, &options);
        let before: Vec<usize> = calls.iter().map(|c| c.load(Ordering::SeqCst)).collect();
        let outcome = router.dispatch(&event).map_err(|e| format!("dispatch({event_type:?}) failed: {e}"))?;
        let after: Vec<usize> = calls.iter().map(|c| c.load(Ordering::SeqCst)).collect();
        let ran: Vec<usize> = (0..calls.len()).filter(|&i| after[i] != before[i]).collect();
        match (expected, outcome) {
            (Some(handler), Dispatched::Handled(value)) => {
                if value != *handler || ran != [*handler] || after[*handler] != before[*handler] + 1 {
                    return Err(format!("dispatch({event_type:?}) ran {ran:?} (returned {value}), not {handler} once"));
                }
            }
            (None, Dispatched::Unhandled(unhandled)) => {
                if !ran.is_empty() {
                    return Err(format!("dispatch({event_type:?}) was unhandled but ran {ran:?}"));
                }
                let answer: Value = serde_json::from_str(&unhandled.to_json()).unwrap();
                let wanted = json!({"status": "unhandled", "event_type": event_type,
                                    "idempotency_key": event.idempotency_key()});
                if answer != wanted {
                    return Err(format!("the unhandled answer is {answer}, expected {wanted}"));
                }
            }
            (expected, outcome) => return Err(format!("dispatch({event_type:?}) gave {outcome:?}, not {expected:?}")),
        }
    }
    Ok(())
}

fn run_error_case(case: &RouteCase) -> Result<(), String> {
    let (None, Some(error_at), Some(error)) = (&case.dispatch, case.error_at, &case.error) else {
        return Err("an error case has `error_at` and `error` and no `dispatch`".into());
    };
    if error_at >= case.routes.len() {
        return Err(format!("error_at {error_at} is past the {} routes", case.routes.len()));
    }
    let mut router: Router<'_, (), String> = Router::new();
    for (index, route) in case.routes.iter().enumerate().take(error_at + 1) {
        let before = router.patterns().len();
        match (router.on(route.patterns(), |_| Ok(())), index == error_at) {
            (Ok(_), false) => {}
            (Err(e), false) => return Err(format!("on({:?}) (call {index}) failed: {e}", route.patterns())),
            (Ok(_), true) => return Err(format!("on({:?}) (call {index}) succeeded", route.patterns())),
            (Err(e), true) => {
                if e.code().as_str() != error {
                    return Err(format!("on() failed with {}, expected {error}", e.code()));
                }
                let patterns = route.patterns();
                let named = patterns.is_empty()
                    || patterns.iter().any(|p| e.message().contains(&serde_json::to_string(p).unwrap()));
                if !named {
                    return Err(format!("the message {:?} names none of {patterns:?}", e.message()));
                }
                if router.patterns().len() != before {
                    return Err("the failed on() registered some of its patterns".into());
                }
            }
        }
    }
    Ok(())
}

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

#[test]
fn every_router_vector_passes() {
    let text = std::fs::read_to_string(vectors_dir().join("router/routes.json")).unwrap();
    let file: RoutesFile = serde_json::from_str(&text).expect("routes.json matches the format this runner knows");
    assert_eq!(file.kinds, KINDS, "routes.json lists case kinds this runner does not know");
    let mut ran = 0;
    let mut failures = Vec::new();
    for case in &file.cases {
        let result = match case.kind.as_str() {
            "dispatch" => run_dispatch_case(case),
            "error" => run_error_case(case),
            other => panic!("{}: unknown case kind {other:?}", case.id),
        };
        ran += 1;
        if let Err(why) = result {
            failures.push(format!("{}: {why}", case.id));
        }
    }
    let raw: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(ran, raw["cases"].as_array().unwrap().len(), "ran another number of cases than the file holds");
    assert!(failures.is_empty(), "{} of {ran} router cases failed:\n{}", failures.len(), failures.join("\n"));
    assert!(ran >= 15, "only {ran} router cases");
}

fn elmed_verifier() -> (Verifier, Options) {
    let options = Options::new().secret("whsk_router_test");
    (Verifier::new("elmed", &options).unwrap(), options)
}

const ELMED_BODY: &[u8] = br#"{"event":"order.status_changed","data":{"order_id":88,"status":"IN_TRANSIT"}}"#;
const REFERRAL: &[u8] = br#"{"event":"referral.created","data":{}}"#;

#[test]
fn unhandled_accept_answers_and_reject_refuses() {
    let (verifier, options) = elmed_verifier();
    let event = verified(&verifier, "elmed", REFERRAL, &options);
    let mut accept: Router<'_, &str, String> = Router::new();
    accept.on("order.*", |_| Ok("order")).unwrap();
    assert_eq!(accept.unhandled_mode(), Unhandled::Accept);
    let Ok(Dispatched::Unhandled(unhandled)) = accept.dispatch(&event) else { panic!("not accepted") };
    assert_eq!(unhandled.event_type(), Some("referral.created"));
    assert_eq!(unhandled.idempotency_key(), event.idempotency_key());
    assert_eq!(unhandled.provider(), Provider::Elmed);
    let answer: Value = serde_json::from_str(&unhandled.to_json()).unwrap();
    assert_eq!(
        answer,
        json!({"status": "unhandled", "event_type": "referral.created", "idempotency_key": event.idempotency_key()})
    );
    assert_eq!(
        unhandled.to_string(),
        format!("no handler for the delivery {} from elmed (referral.created)", event.idempotency_key())
    );

    let reject = {
        let mut router: Router<'_, &str, String> = Router::new().unhandled(Unhandled::Reject);
        router.on("order.*", |_| Ok("order")).unwrap();
        router
    };
    let Err(DispatchError::Unhandled(refused)) = reject.dispatch(&event) else { panic!("not refused") };
    assert_eq!(refused.code(), "unhandled_event");
    assert_eq!(refused, unhandled);
    let error = reject.dispatch(&event).unwrap_err();
    assert_eq!(error.http_status(), 501);
    assert_eq!(UnhandledEvent::ERROR_JSON, r#"{"error":"unhandled_event"}"#);
    assert!(error.to_string().starts_with("unhandled_event: no handler for the delivery sha256:"), "{error}");
    // The data never shows.
    assert!(!format!("{error:?} {error}").contains("order_id"));

    // A type-less event.
    let options = Options::new().secret(SW_SECRET);
    let sw = Verifier::new("standard-webhooks", &options).unwrap();
    let body = sw_body(None, 0);
    let typeless = verified(&sw, "standard-webhooks", &body, &options);
    let Ok(Dispatched::Unhandled(unhandled)) = accept.dispatch(&typeless) else { panic!("not accepted") };
    assert!(unhandled.to_json().contains(r#""event_type":null"#));
    assert!(unhandled.to_string().ends_with("from standard-webhooks (null)"), "{unhandled}");

    assert_eq!("reject".parse::<Unhandled>().unwrap(), Unhandled::Reject);
    assert_eq!("accept".parse::<Unhandled>().unwrap(), Unhandled::Accept);
    assert_eq!("ignore".parse::<Unhandled>().unwrap_err().code(), ErrorCode::InvalidOption);
}

#[test]
fn dispatch_returns_the_handlers_value_or_error() {
    let (verifier, options) = elmed_verifier();
    let event = verified(&verifier, "elmed", ELMED_BODY, &options);
    let mut router = Router::new().provider(Provider::Elmed);
    router
        .on("order.status_changed", |event| Err::<(), _>(std::io::Error::other(event.idempotency_key().to_owned())))
        .unwrap();
    let error = router.dispatch(&event).unwrap_err();
    let DispatchError::Handler(inner) = &error else { panic!("{error:?}") };
    assert_eq!(inner.to_string(), event.idempotency_key());
    assert_eq!(error.http_status(), 500);
    assert!(std::error::Error::source(&error).is_some());

    let mut router = Router::new();
    router.on("*", |event| Ok::<_, String>(event.event_type().map(str::to_owned))).unwrap();
    assert_eq!(router.dispatch(&event).unwrap().handled(), Some(Some("order.status_changed".to_owned())));
}

#[test]
fn a_router_refuses_another_providers_event() {
    let (verifier, options) = elmed_verifier();
    let event = verified(&verifier, "elmed", ELMED_BODY, &options);
    let calls = AtomicUsize::new(0);
    let mut router = Router::new().provider(Provider::Novamed);
    router
        .on("*", |_| {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok::<_, String>(())
        })
        .unwrap();
    let Err(DispatchError::Config(error)) = router.dispatch(&event) else { panic!("dispatched") };
    assert_eq!(error.code(), ErrorCode::InvalidOption);
    assert_eq!(error.message(), "a router for novamed was given a elmed event");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert_eq!(router.check_provider(Provider::Novamed), Ok(()));
    assert_eq!(router.check_provider(Provider::Elmed).unwrap_err().code(), ErrorCode::InvalidOption);
    // An unbound router takes every provider's events.
    let mut any = Router::new();
    any.on("*", |_| Ok::<_, String>(())).unwrap();
    assert!(any.check_provider(Provider::Elmed).is_ok() && any.dispatch(&event).is_ok());
}

#[test]
fn unknown_patterns_are_reported_with_suggestions() {
    let mut router: Router<'_, (), String> = Router::new().provider(Provider::Elmed);
    router
        .on("order.status_change", |_| Ok(()))
        .unwrap()
        .on(["prescription.issued", "referal.created", "lab.result_ready"], |_| Ok(()))
        .unwrap()
        .on(["order.*", "*"], |_| Ok(()))
        .unwrap();
    let unknown = router.unknown_patterns();
    let shown: Vec<String> = unknown.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "hookseal: elmed documents no event 'order.status_change'; did you mean 'order.status_changed'?",
            "hookseal: elmed documents no event 'referal.created'; did you mean 'referral.created'?",
            "hookseal: elmed documents no event 'lab.result_ready'",
        ]
    );
    assert_eq!(unknown[0].pattern(), "order.status_change");
    assert_eq!(unknown[0].suggestion(), Some("order.status_changed"));
    assert_eq!(unknown[2].suggestion(), None);
    assert_eq!(unknown[0].provider(), Provider::Elmed);

    // custom is the Management API's catalog; Standard Webhooks and an unbound router have none.
    let mut custom: Router<'_, (), String> = Router::new().provider(Provider::Custom);
    custom.on(["pharmacy_order_created", "pharmacy_order_create"], |_| Ok(())).unwrap();
    let shown: Vec<String> = custom.unknown_patterns().iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        ["hookseal: custom documents no event 'pharmacy_order_create'; did you mean 'pharmacy_order_created'?"]
    );
    for mut router in [Router::new().provider(Provider::StandardWebhooks), Router::new()] {
        router.on("order.status_change", |_| Ok::<(), String>(())).unwrap();
        assert!(router.unknown_patterns().is_empty());
    }
    // A suggestion is the closest type (edit distance at most 3), the first in catalog order on a tie.
    let mut novamed: Router<'_, (), String> = Router::new().provider(Provider::Novamed);
    novamed.on(["order:create", "refill:approve", "order:shiped", "order:xyzabc"], |_| Ok(())).unwrap();
    let suggestions: Vec<Option<&str>> = novamed.unknown_patterns().iter().map(|u| u.suggestion()).collect();
    assert_eq!(suggestions, [Some("order:created"), Some("refill:approved"), Some("order:shipped"), None]);
    assert_eq!(hookseal::events::event_types(Provider::Novamed).unwrap().len(), 12);
    assert_eq!(hookseal::events::event_types(Provider::StandardWebhooks), None);
}

#[test]
fn debug_names_provider_mode_and_patterns() {
    let secret_state = String::from("do-not-show-me");
    let mut router: Router<'_, (), String> = Router::new().provider(Provider::Baremeds).unhandled(Unhandled::Reject);
    router
        .on(["order_changed", "prescription_*"], move |_| {
            let _ = &secret_state;
            Ok(())
        })
        .unwrap();
    assert_eq!(
        format!("{router:?}"),
        r#"Router { provider: Some("baremeds"), unhandled: "reject", patterns: ["order_changed", "prescription_*"] }"#
    );
    assert_eq!(router.bound_provider(), Some(Provider::Baremeds));
    assert_eq!(router.patterns(), ["order_changed", "prescription_*"]);
    assert_eq!(Router::<(), ()>::default().bound_provider(), None);
}

#[test]
fn on_names_the_pattern_it_refuses() {
    let mut router: Router<'_, (), String> = Router::new();
    let message = |router: &mut Router<'_, (), String>, patterns: &[&str]| {
        router.on(patterns, |_| Ok(())).map(|_| ()).unwrap_err().message().to_owned()
    };
    assert!(message(&mut router, &["ord*er"]).contains(r#""ord*er""#));
    assert!(message(&mut router, &[""]).contains(r#""""#));
    assert!(message(&mut router, &[]).contains("empty"));
    router.on(String::from("a"), |_| Ok(())).unwrap();
    assert!(message(&mut router, &["b", "a"]).contains(r#"the pattern "a" already has a handler"#));
    assert_eq!(router.patterns(), ["a"]);
    let more = vec!["b".to_owned()];
    let star = ["c*"];
    router.on(&more, |_| Ok(())).unwrap().on(star.as_slice(), |_| Ok(())).unwrap();
    assert_eq!(more.len() + star.len(), 2); // borrowed, not moved
    assert_eq!(router.patterns(), ["a", "b", "c*"]);
}

fn sqlite_store(name: &str) -> (Store, PathBuf) {
    let path = std::env::temp_dir().join(format!("hookseal-router-{name}-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    (Store::open(&format!("sqlite://{}", path.display()), &StoreOptions::new()).unwrap(), path)
}

/// What a receiver does (docs/exactly-once.md): claim, dispatch, then complete or release; (status, body).
fn receive(store: &Store, router: &Router<'_, String, String>, event: &Event<'_>) -> (u16, String) {
    let claim = match store.claim("elmed", event.idempotency_key()).unwrap() {
        ClaimOutcome::Claimed(claim) => claim,
        ClaimOutcome::Duplicate => return (200, "duplicate".into()),
        ClaimOutcome::InProgress { .. } => return (503, "in_progress".into()),
    };
    match router.dispatch(event) {
        Ok(outcome) => {
            assert!(store.complete(&claim).unwrap());
            match outcome {
                Dispatched::Handled(body) => (200, body),
                Dispatched::Unhandled(unhandled) => (200, unhandled.to_json()),
            }
        }
        Err(error) => {
            assert!(store.release(&claim).unwrap());
            (error.http_status(), error.to_string())
        }
    }
}

#[test]
fn exactly_once_with_sqlite_claim_dispatch_complete_or_release() {
    let (store, path) = sqlite_store("flow");
    let (verifier, options) = elmed_verifier();
    let orders = AtomicUsize::new(0);
    let claims = AtomicUsize::new(0);
    let fail_claims = Mutex::new(true);
    let mut router = Router::new().provider(Provider::Elmed);
    router
        .on("order.status_changed", |_| {
            orders.fetch_add(1, Ordering::SeqCst);
            Ok("processed".to_owned())
        })
        .unwrap()
        .on("claim.*", |_| {
            claims.fetch_add(1, Ordering::SeqCst);
            if *fail_claims.lock().unwrap() {
                Err("the claims service is down".to_owned())
            } else {
                Ok("claim processed".to_owned())
            }
        })
        .unwrap();

    // A delivery and its retry: the retry dispatches nothing.
    let event = verified(&verifier, "elmed", ELMED_BODY, &options);
    assert_eq!(receive(&store, &router, &event), (200, "processed".into()));
    assert_eq!(receive(&store, &router, &event), (200, "duplicate".into()));
    assert_eq!(orders.load(Ordering::SeqCst), 1);

    // A failing handler releases: the retry runs it again, and once it succeeds the next retry is a duplicate.
    let body = br#"{"event":"claim.decision","data":{"claim_id":31}}"#;
    let decision = verified(&verifier, "elmed", body, &options);
    assert_eq!(receive(&store, &router, &decision).0, 500);
    assert_eq!(receive(&store, &router, &decision).0, 500);
    *fail_claims.lock().unwrap() = false;
    assert_eq!(receive(&store, &router, &decision), (200, "claim processed".into()));
    assert_eq!(receive(&store, &router, &decision), (200, "duplicate".into()));
    assert_eq!(claims.load(Ordering::SeqCst), 3);

    // Unhandled, accepted: 200 and completed.
    let referral = verified(&verifier, "elmed", REFERRAL, &options);
    let (status, answer) = receive(&store, &router, &referral);
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Value>(&answer).unwrap()["status"], "unhandled");
    assert_eq!(receive(&store, &router, &referral), (200, "duplicate".into()));
    drop(store);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn process_once_dispatches_through_the_router() {
    let (store, path) = sqlite_store("once");
    let (verifier, options) = elmed_verifier();
    let referral = verified(&verifier, "elmed", REFERRAL, &options);
    let mut router: Router<'_, &'static str, String> =
        Router::new().provider(Provider::Elmed).unhandled(Unhandled::Reject);
    router.on("order.*", |_| Ok("order")).unwrap();
    let once = |router: &Router<'_, &'static str, String>| {
        process_once(&store, "elmed", referral.idempotency_key(), || router.dispatch(&referral))
    };
    // Rejected: released, so the retry is offered again (and refused again until a handler exists).
    assert!(matches!(once(&router), Err(OnceError::Handler(DispatchError::Unhandled(_)))));
    assert!(matches!(once(&router), Err(OnceError::Handler(DispatchError::Unhandled(_)))));
    router.on("referral.created", |_| Ok("referral")).unwrap();
    assert!(matches!(once(&router), Ok(Processed::Done(Dispatched::Handled("referral")))));
    assert!(matches!(once(&router), Ok(Processed::Duplicate)));
    drop(store);
    let _ = std::fs::remove_file(&path);
}

/// Every vector that verifies, dispatched through a router bound to its provider with one exact handler per
/// catalog event type and a `*`: exactly the handler its type names runs, once (`*` outside the catalog).
#[test]
fn every_verified_vector_dispatches_to_its_handler() {
    let mut exact_hits: BTreeMap<&str, usize> = BTreeMap::new();
    let mut dispatched = 0;
    for (file, case) in load_all() {
        if !matches!(case.expect, Expect::Event(_)) {
            continue;
        }
        let mut options = Options::new();
        for (name, value) in &case.options {
            options.set(name, option_value(value)).unwrap();
        }
        let verifier = Verifier::new(&case.provider, &options).unwrap();
        let body = case.body();
        let event = match case.now {
            Some(now) => verifier.verify_at(&body, &case.headers, now),
            None => verifier.verify(&body, &case.headers),
        }
        .unwrap_or_else(|e| panic!("{file} :: {}: {e}", case.name));
        let provider = event.provider();
        let catalog = hookseal::events::event_types(provider).unwrap_or_default();
        let ran = Mutex::new(Vec::<String>::new());
        let mut router = Router::new().provider(provider);
        for &event_type in catalog {
            let ran = &ran;
            router
                .on(event_type, move |_| {
                    ran.lock().unwrap().push(event_type.to_owned());
                    Ok::<_, String>(event_type)
                })
                .unwrap();
        }
        router
            .on("*", |_| {
                ran.lock().unwrap().push("*".to_owned());
                Ok::<_, String>("*")
            })
            .unwrap();
        assert!(router.unknown_patterns().is_empty());
        let expected = match event.event_type() {
            Some(t) if catalog.contains(&t) => t,
            _ => "*",
        };
        let outcome = router.dispatch(&event).unwrap_or_else(|e| panic!("{file} :: {}: {e}", case.name));
        assert_eq!(outcome, Dispatched::Handled(expected), "{file} :: {}", case.name);
        assert_eq!(*ran.lock().unwrap(), [expected], "{file} :: {}", case.name);
        if expected != "*" {
            *exact_hits.entry(provider.as_str()).or_default() += 1;
        }
        dispatched += 1;
    }
    for provider in [Provider::Elmed, Provider::Baremeds, Provider::Novamed, Provider::Custom] {
        assert!(
            exact_hits.get(provider.as_str()).copied().unwrap_or(0) > 0,
            "no {provider} vector dispatched to an exact handler: {exact_hits:?}"
        );
    }
    assert!(dispatched >= 100, "only {dispatched} vectors dispatched");
    println!("{dispatched} verified vectors dispatched; exact handlers per provider: {exact_hits:?}");
}
