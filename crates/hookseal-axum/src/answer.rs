//! The answers every hookseal helper gives (docs/exactly-once.md, "What the framework helpers answer"), byte for byte
//! the bodies of the Python, Node and PHP helpers: compact JSON, `status` first.

use axum::http::header::CONTENT_TYPE;
#[cfg(feature = "store")]
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body::Body as _;

/// `Retry-After` for a store that cannot be reached: long enough not to hammer it, well inside every retry schedule.
#[cfg(feature = "store")]
pub(crate) const STORE_UNAVAILABLE_RETRY_AFTER: u64 = 5;

/// A JSON string (quoted, escaped).
fn string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

fn nullable(text: Option<&str>) -> String {
    text.map_or_else(|| "null".to_owned(), string)
}

pub(crate) fn json(status: StatusCode, body: String) -> Response {
    (status, [(CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

/// `{"error": "<code>"}` with `status`.
pub(crate) fn error(status: StatusCode, code: &str) -> Response {
    json(status, format!(r#"{{"error":{}}}"#, string(code)))
}

#[cfg(feature = "store")]
fn retry_after(mut response: Response, seconds: u64) -> Response {
    response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// 200 `{"status":"duplicate","idempotency_key":…}`: the key is done, the handler did not run.
#[cfg(feature = "store")]
pub(crate) fn duplicate(key: &str) -> Response {
    json(StatusCode::OK, format!(r#"{{"status":"duplicate","idempotency_key":{}}}"#, string(key)))
}

/// 503 `{"error":"in_progress"}` with the lease time left: another worker holds the key.
#[cfg(feature = "store")]
pub(crate) fn in_progress(seconds: u64) -> Response {
    retry_after(error(StatusCode::SERVICE_UNAVAILABLE, "in_progress"), seconds)
}

/// 503 `{"error":"store_unavailable"}`, `Retry-After: 5`: the handler does not run without the guarantee.
#[cfg(feature = "store")]
pub(crate) fn store_unavailable() -> Response {
    retry_after(error(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"), STORE_UNAVAILABLE_RETRY_AFTER)
}

/// 501 `{"error":"unhandled_event"}`: a router that rejects unhandled events had no handler (the claim is released).
pub(crate) fn unhandled_refused() -> Response {
    json(StatusCode::NOT_IMPLEMENTED, hookseal::UnhandledEvent::ERROR_JSON.to_owned())
}

/// 200 `{"status":"processed","event_type":…,"idempotency_key":…}`: what a handler that returned nothing answers.
pub(crate) fn processed(event_type: Option<&str>, key: &str) -> Response {
    json(
        StatusCode::OK,
        format!(r#"{{"status":"processed","event_type":{},"idempotency_key":{}}}"#, nullable(event_type), string(key)),
    )
}

/// A handler's answer, "nothing" made the processed answer: a 200 with an empty body and no `Content-Type` (what
/// `()`, `Ok(())` and `StatusCode::OK` give), as a Python handler returning None or a JavaScript one `undefined`.
pub(crate) fn handled(response: Response, event_type: Option<&str>, key: &str) -> Response {
    let nothing = response.status() == StatusCode::OK
        && response.body().size_hint().exact() == Some(0)
        && !response.headers().contains_key(CONTENT_TYPE);
    if nothing {
        let mut answer = processed(event_type, key);
        // Headers the handler set (a cookie, a trace id) still go out.
        let (parts, _) = response.into_parts();
        for (name, value) in &parts.headers {
            answer.headers_mut().append(name, value.clone());
        }
        return answer;
    }
    response
}
