//! The providers' documented sample deliveries, byte for byte (tests/samples/, copied from the providers' docs).

pub struct Sample {
    pub provider: &'static str,
    pub body: &'static str,
}

macro_rules! sample {
    ($provider:literal, $file:literal) => {
        include_str!(concat!("../../../tests/samples/", $provider, "/", $file, ".json"))
    };
}

pub const ELMED: &[&str] = &[
    sample!("elmed", "prescription.issued"),
    sample!("elmed", "prescription.dispensed"),
    sample!("elmed", "consultation.completed"),
    sample!("elmed", "order.status_changed"),
    sample!("elmed", "claim.decision"),
];

/// Each shipped Baremeds sample has its own `metadata.request_id` (the docs print the placeholder `"uuid"` in all six).
pub const BAREMEDS: &[&str] = &[
    sample!("baremeds", "prescription_submitted"),
    sample!("baremeds", "prescription_dosage_changed"),
    sample!("baremeds", "encounter_cancelled"),
    sample!("baremeds", "message_created"),
    sample!("baremeds", "order_changed"),
    sample!("baremeds", "case_assigned_to_clinician"),
];

pub const NOVAMED: &[&str] = &[sample!("novamed", "order.shipped"), sample!("novamed", "medication_request.approved")];

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
