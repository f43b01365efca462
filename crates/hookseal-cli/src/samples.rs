//! The providers' documented sample deliveries (../shared/provider-docs/), byte for byte as the docs print them.

pub struct Sample {
    pub provider: &'static str,
    pub body: &'static str,
}

pub const ELMED: &[&str] = &[
    r#"{
  "event": "prescription.issued",
  "timestamp": "2026-03-29T10:45:00",
  "data": {
    "prescription_id": 42,
    "prescription_number": "RX-2026-00042",
    "patient_id": 7,
    "doctor_user_id": 3,
    "routed_pharmacy_id": 1,
    "medication_count": 2,
    "issued_at": "2026-03-29"
  }
}"#,
    r#"{
  "event": "prescription.dispensed",
  "timestamp": "2026-03-29T11:00:00",
  "data": {
    "prescription_id": 42,
    "patient_id": 7,
    "pharmacy_id": 1,
    "pharmacist_user_id": 5,
    "collection_method": "collect"
  }
}"#,
    r#"{
  "event": "consultation.completed",
  "timestamp": "2026-03-29T10:30:00",
  "data": {
    "consultation_id": 15,
    "patient_id": 7,
    "doctor_user_id": 3,
    "type": "video",
    "completed_at": "2026-03-29T10:29:55"
  }
}"#,
    r#"{
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
}"#,
    r#"{
  "event": "claim.decision",
  "timestamp": "2026-03-29T14:00:00",
  "data": {
    "claim_id": 31,
    "patient_id": 7,
    "claim_type": "consultation",
    "status": "approved",
    "amount_claimed": 850.00,
    "amount_approved": 850.00,
    "rejection_reason": null,
    "scheme_id": 2
  }
}"#,
];

const BAREMEDS_METADATA: &str = r#"  "metadata": {
    "source": "Baremeds",
    "environment": "production",
    "webhook_version": "v1.0",
    "request_id": "uuid",
    "dispatched_by": "SYSTEM",
    "retry": false
  }
}"#;

/// Baremeds' samples share one metadata block; the docs' `request_id` is the literal placeholder "uuid", which the
/// demo replaces with a distinct id per event (six deliveries with one request id would all be duplicates).
pub const BAREMEDS_EVENTS: &[&str] = &[
    r#"{
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
"#,
    r#"{
  "event": "prescription_dosage_changed",
  "timestamp": "2026-01-30T12:00:00Z",
  "data": {
    "patient_id": "patient_unique_id",
    "encounter_id": "encounter_id",
    "order_number": null,
    "medication": [
      {
        "quantity": 1,
        "directions": "Updated directions",
        "prescribed_item_id": "prx_rx_id",
        "rx_order_id": null,
        "medication": "Medication Name"
      }
    ],
    "dosage_change": true,
    "created_at": "2026-01-30T12:00:00Z"
  },
"#,
    r#"{
  "event": "encounter_cancelled",
  "timestamp": "2026-01-30T12:00:00Z",
  "data": {
    "patient_id": "patient_unique_id",
    "encounter_id": "encounter_id",
    "reason": "Cancellation reason",
    "cancel_by_name": "Provider Name",
    "cancel_by_id": "provider_id",
    "created_at": "2026-01-30T12:00:00Z"
  },
"#,
    r#"{
  "event": "message_created",
  "timestamp": "2026-01-30T12:00:00Z",
  "data": {
    "patient_id": "patient_unique_id",
    "encounter_id": "encounter_id",
    "author_id": "author_id",
    "is_doctor": true,
    "reply_message_id": null,
    "channel": "patient",
    "message": "Hello from clinician",
    "attachment": [],
    "created_at": "2026-01-30T12:00:00Z"
  },
"#,
    r#"{
  "event": "order_changed",
  "timestamp": "2026-01-30T12:00:00Z",
  "data": {
    "order_number": "ORDER123",
    "status": "updated",
    "created_at": "2026-01-30T12:00:00Z"
  },
"#,
    r#"{
  "event": "case_assigned_to_clinician",
  "timestamp": "2026-01-30T12:00:00Z",
  "data": {
    "encounter_id": "encounter_id",
    "patient_id": "patient_unique_id",
    "clinician_id": "provider_id",
    "assigned_at": "2026-01-30T12:00:00Z"
  },
"#,
];

pub fn baremeds(i: usize) -> String {
    let head = BAREMEDS_EVENTS.get(i).copied().unwrap_or_default();
    let request_id = format!("9b1d3c2e-0000-4000-8000-00000000000{}", i + 1);
    format!("{head}{}", BAREMEDS_METADATA.replace("\"uuid\"", &format!("\"{request_id}\"")))
}

pub const NOVAMED: &[&str] = &[
    r#"{
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
}"#,
    r#"{
  "event_type": "medication_request:approved",
  "event_id": "evt_def456xyz",
  "timestamp": "2025-01-15T09:00:00.000Z",
  "clinic_id": "550e8400-e29b-41d4-a716-446655440000",
  "data": {
    "medication_request_id": "med_req_11111",
    "patient_id": "pat_67890",
    "practitioner_id": "prac_22222",
    "medication_name": "Testosterone Cypionate",
    "quantity": 1,
    "refills": 3,
    "approved_at": "2025-01-15T09:00:00.000Z"
  }
}"#,
];

pub const NOVAMED_CLINIC: &str = "550e8400-e29b-41d4-a716-446655440000";

/// The public Standard Webhooks test vector.
pub const STANDARD_WEBHOOKS: Sample = Sample { provider: "standard-webhooks", body: r#"{"test": 2432232314}"# };
pub const STANDARD_WEBHOOKS_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const STANDARD_WEBHOOKS_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
pub const STANDARD_WEBHOOKS_TIMESTAMP: i64 = 1_614_265_330;

/// The Management API documents its event names but no payload; this one is illustrative.
pub const MANAGEMENT_API: Sample = Sample {
    provider: "custom",
    body: r#"{"notification_type": "pharmacy_order_created", "id": "ntf_000123", "data": {"order_id": "po_981", "status": "created"}}"#,
};
