//! What `send`, `replay` and `listen --forward-to` share: one HTTP client (reqwest, on tokio: the field's client, with
//! rustls and per-request timeouts), a bounded read of the answer, and how an answer is shown on one line.

use std::error::Error as _;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use serde_json::Value;

/// The most of an answer that is read; the rest is dropped with the connection (a receiver answering 10 MiB gets
/// its first 64 KiB read, and the line says the answer was cut).
pub const ANSWER_LIMIT: usize = 64 * 1024;

/// A client that follows no redirect (every provider here treats a 3xx as a failed attempt, as Svix documents) and
/// sends no proxy's way: the deliveries stay on this machine unless the URL says otherwise.
pub fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("hookseal/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot start the HTTP client: {e}"))
}

/// A URL to deliver to: http or https with a host. A bare `localhost:3000/x` gets `http://` (as curl does).
pub fn parse_url(text: &str) -> Result<reqwest::Url, String> {
    let with_scheme = if text.contains("://") { text.to_owned() } else { format!("http://{text}") };
    let quoted = format!("{:?}", without_password(text));
    let url = reqwest::Url::parse(&with_scheme).map_err(|e| format!("{quoted} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{quoted} is not an http:// or https:// URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{quoted} has no host"));
    }
    Ok(url)
}

/// A URL as typed, with what may be a password (`user:password@`) masked, for a message about a URL that does not
/// parse (a parsed one prints through [`shown`]).
fn without_password(text: &str) -> String {
    let start = text.find("://").map_or(0, |at| at + 3);
    let authority_end = text[start..].find(['/', '?', '#']).map_or(text.len(), |at| start + at);
    match text[start..authority_end].rfind('@') {
        Some(at) => {
            let userinfo = &text[start..start + at];
            let user = userinfo.split(':').next().unwrap_or_default();
            let masked = if userinfo.contains(':') { format!("{user}:***") } else { user.to_owned() };
            format!("{}{masked}{}", &text[..start], &text[start + at..])
        }
        None => text.to_owned(),
    }
}

/// A URL as printed: without its password (`http://user:***@host/`).
pub fn shown(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    shown.to_string()
}

/// The receiver's answer to one request.
pub struct Answer {
    pub status: u16,
    pub reason: &'static str,
    /// The first [`ANSWER_LIMIT`] bytes of the body.
    pub body: Bytes,
    /// The body was longer than what was read.
    pub cut: bool,
    pub content_type: Option<String>,
    pub retry_after: Option<String>,
    /// Svix's `webhook-delivery: abort-message`: the receiver asks for no more retries.
    pub abort: bool,
}

impl Answer {
    /// The answer's JSON `error` (a hookseal receiver's refusal code) and `status` fields, when it has them.
    pub fn field(&self, name: &str) -> Option<String> {
        let value: Value = serde_json::from_slice(&self.body).ok()?;
        value.get(name)?.as_str().map(str::to_owned)
    }

    pub fn is_2xx(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The start of the body on one line: control characters escaped, at most `width` characters.
    pub fn head(&self, width: usize) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let mut out = String::new();
        for c in text.trim().chars() {
            if out.chars().count() >= width {
                out.push('…');
                break;
            }
            match c {
                '\n' | '\r' | '\t' => out.push(' '),
                c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
                c => out.push(c),
            }
        }
        if self.cut {
            out.push_str(&format!(" [answer cut after {} KiB]", self.body.len() / 1024));
        }
        out
    }
}

/// Why a request got no answer.
pub enum NoAnswer {
    Timeout(Duration),
    Failed(String),
}

impl NoAnswer {
    pub fn describe(&self) -> String {
        match self {
            NoAnswer::Timeout(after) => format!("no answer within {}", crate::schedule::human(after.as_secs_f64())),
            NoAnswer::Failed(why) => why.clone(),
        }
    }
}

/// One POST: the answer (its body read up to `limit` bytes) or why there was none, and how long it took. The
/// timeout covers the whole exchange, body included, as a provider's does.
pub async fn post(
    client: &reqwest::Client,
    url: &reqwest::Url,
    headers: &[(String, String)],
    body: Bytes,
    timeout: Duration,
    limit: usize,
) -> (Result<Answer, NoAnswer>, Duration) {
    let started = Instant::now();
    let exchange = async {
        let mut request = client.post(url.clone()).body(body);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let mut response = request.send().await.map_err(|e| NoAnswer::Failed(describe_error(&e, url)))?;
        let status = response.status();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let content_type = header("content-type");
        let retry_after = header("retry-after");
        let abort = header("webhook-delivery").is_some_and(|v| v.eq_ignore_ascii_case("abort-message"));
        let mut body = Vec::new();
        let mut cut = false;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = limit - body.len();
                    if chunk.len() > room {
                        body.extend_from_slice(&chunk[..room]);
                        cut = true;
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                // The status came; a body cut short by the receiver is still an answer.
                Err(_) => {
                    cut = true;
                    break;
                }
            }
        }
        Ok(Answer {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or(""),
            body: Bytes::from(body),
            cut,
            content_type,
            retry_after,
            abort,
        })
    };
    let result = match tokio::time::timeout(timeout, exchange).await {
        Ok(result) => result,
        Err(_) => Err(NoAnswer::Timeout(timeout)),
    };
    (result, started.elapsed())
}

/// reqwest's error in the words a developer looks for: "connection refused", "no such host".
fn describe_error(e: &reqwest::Error, url: &reqwest::Url) -> String {
    let mut source = e.source();
    let mut deepest = None;
    while let Some(s) = source {
        deepest = Some(s.to_string());
        source = s.source();
    }
    let place = match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        _ => url.to_string(),
    };
    let why = deepest.unwrap_or_else(|| e.to_string());
    let why = match why.find(" (os error ") {
        Some(at) => why[..at].to_owned(),
        None => why,
    };
    if e.is_connect() {
        format!("cannot connect to {place}: {why}")
    } else {
        format!("the request to {place} failed: {why}")
    }
}

/// `2026-12-01T14:03:22.120Z`: a wall-clock time in UTC, to the millisecond.
pub fn timestamp(at: SystemTime) -> String {
    let since = at.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let nanos = i128::try_from(since.as_nanos()).unwrap_or(0);
    let moment = time::OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    moment.format(&format).unwrap_or_default()
}

/// `14:03:22.120`: the time part of [`timestamp`], for a line a person reads.
pub fn clock(at: SystemTime) -> String {
    let full = timestamp(at);
    full.get(11..23).unwrap_or(&full).to_owned()
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    let since = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
}

/// Unix microseconds now.
pub fn unix_micros_now() -> i64 {
    let since = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
}

/// Milliseconds with one decimal, for JSON output.
pub fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}
