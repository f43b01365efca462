//! The verified event as fields (`hookseal_event_fields`): what `hookseal_verify_fields` writes instead of one JSON
//! text, so that a host reads a few integers and one short string and parses `data` straight from the body it holds.

use std::borrow::Cow;
use std::cell::RefCell;

use hookseal::KeySource;

use crate::error::{fail, hookseal_status};

/// Where the idempotency key came from (`hookseal_event_fields.idempotency_key_source`). The numbers are stable.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum hookseal_key_source {
    /// `event_id`: the envelope's event id (or `id`, for `custom`).
    EventId = 0,
    /// `request_id`: Baremeds' `metadata.request_id`.
    RequestId = 1,
    /// `webhook_id`: the Standard Webhooks `webhook-id` header.
    WebhookId = 2,
    /// `body_sha256`: `sha256:` and the hex SHA-256 of the body.
    BodySha256 = 3,
}

/// A verified event, field by field (docs/providers.md, "The verified event"; `provider` is the one the caller named).
///
/// The text fields lie one after another in `text` (`text_len` bytes, UTF-8, not NUL-terminated), in this order:
/// `event_type`, `idempotency_key`, `timestamp`, `clinic_id`, `metadata` (its JSON text, `webhook_key` redacted), then
/// `data`'s JSON text when it is not in the body. Each `*_len` is that field's length in `text`, or -1 for null.
/// `text` belongs to hookseal, one buffer per thread: it stays valid until the thread's next `hookseal_verify_fields`
/// or `hookseal_verify_once_fields` that succeeds, and must not be freed.
///
/// `data` (the envelope's `data`, or the whole body when it has none) is JSON text, validated: `data_len` bytes at
/// `data_offset` in the caller's body when `data_in_body` (the usual case: nothing is copied), else at `data_offset`
/// in `text` (a body whose copy needs a secret redacted).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct hookseal_event_fields {
    pub text: *const u8,
    pub text_len: usize,
    pub event_type_len: i64,
    pub idempotency_key_len: i64,
    pub timestamp_len: i64,
    pub clinic_id_len: i64,
    pub metadata_len: i64,
    pub data_offset: usize,
    pub data_len: usize,
    pub data_in_body: bool,
    pub is_test: bool,
    pub is_retry: bool,
    pub idempotency_key_source: hookseal_key_source,
}

thread_local! {
    /// The buffer behind `hookseal_event_fields.text`, reused from one delivery to the next on a thread.
    static TEXT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A buffer grown past this by one delivery (a large redacted `data`) is released by the thread's next one.
const KEPT_CAPACITY: usize = 64 * 1024;

/// `event`'s fields, its text written into this thread's buffer. `body` is the body the event borrows from.
pub(crate) fn fields(body: &[u8], event: &hookseal::Event<'_>) -> Result<hookseal_event_fields, hookseal_status> {
    let data = event.data().get();
    let in_body = match &data {
        Cow::Borrowed(text) => offset_in(body, text.as_bytes()),
        Cow::Owned(_) => None,
    };
    let metadata = event.metadata().map(|m| m.get());
    let written = TEXT.try_with(|cell| {
        let mut text = cell.try_borrow_mut().ok()?;
        if text.capacity() > KEPT_CAPACITY {
            *text = Vec::new();
        }
        text.clear();
        let mut put = |field: Option<&str>| match field {
            Some(field) => {
                text.extend_from_slice(field.as_bytes());
                i64::try_from(field.len()).unwrap_or(i64::MAX)
            }
            None => -1,
        };
        let event_type_len = put(event.event_type());
        let idempotency_key_len = put(Some(event.idempotency_key()));
        let timestamp_len = put(event.timestamp());
        let clinic_id_len = put(event.clinic_id());
        let metadata_len = put(metadata.as_deref());
        let data_offset = match in_body {
            Some(offset) => offset,
            None => {
                let offset = text.len();
                text.extend_from_slice(data.as_bytes());
                offset
            }
        };
        Some(hookseal_event_fields {
            text: text.as_ptr(),
            text_len: text.len(),
            event_type_len,
            idempotency_key_len,
            timestamp_len,
            clinic_id_len,
            metadata_len,
            data_offset,
            data_len: data.len(),
            data_in_body: in_body.is_some(),
            is_test: event.is_test(),
            is_retry: event.is_retry(),
            idempotency_key_source: match event.idempotency_key_source() {
                KeySource::EventId => hookseal_key_source::EventId,
                KeySource::RequestId => hookseal_key_source::RequestId,
                KeySource::WebhookId => hookseal_key_source::WebhookId,
                KeySource::BodySha256 => hookseal_key_source::BodySha256,
            },
        })
    });
    written
        .ok()
        .flatten()
        .ok_or_else(|| fail(hookseal_status::Panic, "the thread's event buffer is gone (the thread is ending)"))
}

/// Where `part` starts in `whole`, when it is a slice of it.
fn offset_in(whole: &[u8], part: &[u8]) -> Option<usize> {
    let offset = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (offset.checked_add(part.len())? <= whole.len()).then_some(offset)
}
