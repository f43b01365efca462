//! Verifying a valid ELMED, Baremeds or NovaMed delivery whose envelope strings have no escapes performs zero heap
//! allocations, nested `data` included (the providers' own sample payloads). A counting global allocator proves it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use hookseal::{sign, Options, SignOptions, Verifier};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

// The providers' documented samples (tests/samples/), nested `data` included. Baremeds' docs omit the optional
// `metadata.webhook_key`; one is added so that its check runs too.
const ELMED: &str = include_str!("../../../tests/samples/elmed/order.status_changed.json");
const BAREMEDS: &str = include_str!("../../../tests/samples/baremeds/prescription_submitted.json");
const NOVAMED: &str = include_str!("../../../tests/samples/novamed/order.shipped.json");

fn check(provider: &str, options: Options, body: &str, extra_headers: &[(&str, &str)]) {
    let mut headers = sign(provider, body.as_bytes(), &SignOptions::new(options.clone())).unwrap();
    headers.extend(extra_headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let verifier = Verifier::new(provider, &options).unwrap();
    // Warm up once: the first use of CPU-feature detection is not per delivery.
    verifier.verify_at(body.as_bytes(), &headers, 0).unwrap();

    let mut total_len = 0;
    let mut verified = None;
    let count = allocations_during(|| {
        let event = verifier.verify_at(body.as_bytes(), &headers, 0).unwrap();
        total_len += event.event_type().unwrap().len();
        total_len += event.idempotency_key().len();
        total_len += event.idempotency_key_source().as_str().len();
        total_len += event.timestamp().unwrap().len();
        total_len += event.data().get().len();
        total_len += event.clinic_id().map_or(0, str::len);
        total_len += usize::from(event.is_test()) + usize::from(event.is_retry());
        verified = Some(event);
    });
    assert!(total_len > 0);
    assert_eq!(count, 0, "{provider}: verifying allocated {count} times");
    // Node's path (`data`'s grammar left to JSON.parse) does not allocate either.
    #[cfg(feature = "host-json")]
    let count = allocations_during(|| {
        let genuine = verifier.authenticate(body.as_bytes(), &headers, Some(0)).unwrap();
        total_len += genuine.parse_for_host_json().unwrap().data().get().len();
    });
    #[cfg(feature = "host-json")]
    assert_eq!(count, 0, "{provider}: verifying for a host's JSON parser allocated {count} times");

    // metadata is borrowed too, unless it holds Baremeds' webhook_key: then reading it builds the redacted copy.
    let event = verified.unwrap();
    let mut text = None;
    let count = allocations_during(|| text = event.metadata().map(|m| m.get()));
    let redacts = body.contains("webhook_key");
    assert_eq!(count, usize::from(redacts), "{provider}: reading metadata allocated {count} times");
    if redacts {
        let text = text.unwrap();
        assert!(text.contains(r#""webhook_key": "[redacted]""#) && !text.contains("bm-key-2026"), "{text}");
    }
}

#[test]
fn valid_deliveries_do_not_allocate() {
    check("elmed", Options::new().secret("elmed-endpoint-secret"), ELMED, &[("X-Webhook-Test", "true")]);
    check("elmed", Options::new().secrets(["new-secret", "elmed-endpoint-secret"]), ELMED, &[]);
    let with_key = BAREMEDS.replacen(r#""retry": false"#, r#""retry": false, "webhook_key": "bm-key-2026""#, 1);
    assert_ne!(with_key, BAREMEDS);
    check("baremeds", Options::new().secret("bm-key-2026"), BAREMEDS, &[]);
    check("baremeds", Options::new().secret("bm-key-2026"), &with_key, &[]);
    check(
        "novamed",
        Options::new().secret("nm-api-key").clinic_id("550e8400-e29b-41d4-a716-446655440000"),
        NOVAMED,
        &[],
    );
}

#[test]
fn the_counter_counts() {
    let count = allocations_during(|| drop(std::hint::black_box(vec![1u8; 10])));
    assert_eq!(count, 1);
}
