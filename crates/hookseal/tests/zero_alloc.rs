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

const ELMED: &str = r#"{
  "event": "order.status_changed",
  "timestamp": "2026-03-29T12:00:00",
  "data": {
    "order_id": 88,
    "order_number": "ORD-2026-00088",
    "patient_id": 7,
    "status": "IN_TRANSIT",
    "pharmacy_id": 1,
    "tracking_number": "CPT123456",
    "courier": "The Courier Guy"
  }
}"#;

const BAREMEDS: &str = r#"{
  "event": "prescription_submitted",
  "timestamp": "2026-01-30T12:00:00Z",
  "data": {
    "patient_id": "patient_unique_id",
    "encounter_id": "encounter_id",
    "order_number": null,
    "medication": [
      {
        "quantity": 1,
        "directions": "Take 1 tablet daily",
        "prescribed_item_id": "prx_rx_id",
        "rx_order_id": null,
        "medication": "Medication Name"
      }
    ],
    "created_at": "2026-01-30T12:00:00Z",
    "special_necessities": "optional notes"
  },
  "metadata": {
    "source": "Baremeds",
    "environment": "production",
    "webhook_version": "v1.0",
    "request_id": "2f1c7a52-6a0e-4c1f-9d9b-7d1a9b3f0e11",
    "dispatched_by": "SYSTEM",
    "retry": false,
    "webhook_key": "bm-key-2026"
  }
}"#;

const NOVAMED: &str = r#"{
  "event_type": "order:shipped",
  "event_id": "evt_abc123xyz",
  "timestamp": "2025-01-15T10:30:00.000Z",
  "clinic_id": "550e8400-e29b-41d4-a716-446655440000",
  "data": {
    "order_id": "ord_12345",
    "patient_id": "pat_67890",
    "medication_request_id": "med_req_11111",
    "tracking_number": "1Z999AA10123456784",
    "carrier": "UPS",
    "estimated_delivery": "2025-01-18",
    "shipping_address": {
      "line1": "123 Main Street",
      "city": "San Francisco",
      "state": "CA",
      "zip": "94102"
    }
  }
}"#;

fn check(provider: &str, options: Options, body: &str, extra_headers: &[(&str, &str)]) {
    let mut headers = sign(provider, body.as_bytes(), &SignOptions::new(options.clone())).unwrap();
    headers.extend(extra_headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let verifier = Verifier::new(provider, &options).unwrap();
    // Warm up once: the first use of a thread's hash keys or CPU-feature detection is not per delivery.
    verifier.verify_at(body.as_bytes(), &headers, 0).unwrap();

    let mut total_len = 0;
    let count = allocations_during(|| {
        let event = verifier.verify_at(body.as_bytes(), &headers, 0).unwrap();
        total_len += event.event_type().unwrap().len();
        total_len += event.idempotency_key().len();
        total_len += event.idempotency_key_source().as_str().len();
        total_len += event.timestamp().unwrap().len();
        total_len += event.data().get().len();
        total_len += event.metadata().map_or(0, |m| m.get().len());
        total_len += event.clinic_id().map_or(0, str::len);
        total_len += usize::from(event.is_test()) + usize::from(event.is_retry());
    });
    assert!(total_len > 0);
    assert_eq!(count, 0, "{provider}: verifying allocated {count} times");
}

#[test]
fn valid_deliveries_do_not_allocate() {
    check("elmed", Options::new().secret("elmed-endpoint-secret"), ELMED, &[("X-Webhook-Test", "true")]);
    check("elmed", Options::new().secrets(["new-secret", "elmed-endpoint-secret"]), ELMED, &[]);
    check("baremeds", Options::new().secret("bm-key-2026"), BAREMEDS, &[]);
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
