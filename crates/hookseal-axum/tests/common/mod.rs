//! What the tests share: a real axum server on a free loopback port, real HTTP requests (reqwest, or a raw TCP
//! stream for what reqwest will not send: a chunked body cut short, a Content-Length without its body), signed
//! deliveries, and the `hookseal` log lines captured from `tracing`.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use hookseal::{sign, Options, SignOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const ELMED_SECRET: &str = "whsk_elmed_endpoint_secret";
pub const NOVAMED_KEY: &str = "nm_live_k3y";

/// Serves `app` on 127.0.0.1:<free port> for the rest of the test; returns its address.
pub async fn serve(app: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// The headers a real delivery carries.
pub fn signed(provider: &str, secret: &str, body: &[u8]) -> Vec<(String, String)> {
    sign(provider, body, &SignOptions::new(Options::new().secret(secret))).unwrap()
}

pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

/// POSTs `body` with `headers` (values as bytes: sent exactly so).
pub async fn send(addr: SocketAddr, path: &str, body: &[u8], headers: &[(String, String)]) -> Answer {
    send_bytes(addr, path, body, &headers.iter().map(|(n, v)| (n.clone(), v.as_bytes().to_vec())).collect::<Vec<_>>())
        .await
}

pub async fn send_bytes(addr: SocketAddr, path: &str, body: &[u8], headers: &[(String, Vec<u8>)]) -> Answer {
    let mut request = client().post(format!("http://{addr}{path}")).body(body.to_vec());
    for (name, value) in headers {
        request = request.header(name.as_str(), reqwest::header::HeaderValue::from_bytes(value).unwrap());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    Answer { status, headers, body: response.text().await.unwrap() }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap()
}

/// Writes `head` (the request line and headers, without the blank line) and `body` as sent, then reads the answer
/// until the server closes: `(status, whole answer)`. A write the server cut short is not an error.
pub async fn raw(addr: SocketAddr, head: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let _ = stream.write_all(format!("{head}\r\nConnection: close\r\n\r\n").as_bytes()).await;
    let _ = stream.write_all(body).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer)).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, answer)
}

/// As [`raw`], then closes the sending half at once (a client that stopped mid-body): `(status, whole answer)`, status
/// 0 when the server closed without answering.
pub async fn raw_cut(addr: SocketAddr, head: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let _ = stream.write_all(format!("{head}\r\nConnection: close\r\n\r\n").as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer)).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, answer)
}

/// A chunked request: each chunk framed, then the last chunk (`finish`) or nothing (a body that keeps going).
pub fn chunked(chunks: &[&[u8]], finish: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in chunks {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    if finish {
        out.extend_from_slice(b"0\r\n\r\n");
    }
    out
}

/// `head` for a POST with `headers` and `Transfer-Encoding: chunked`.
pub fn chunked_head(path: &str, headers: &[(String, String)]) -> String {
    let mut head = format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked");
    for (name, value) in headers {
        head.push_str(&format!("\r\n{name}: {value}"));
    }
    head
}

/// An ELMED body of exactly `size` bytes (padded inside `data`).
pub fn elmed_body_of(size: usize, event: &str) -> Vec<u8> {
    let start = format!(r#"{{"event":"{event}","timestamp":"2026-03-29T10:45:00","data":{{"pad":""#);
    let end = r#""}}"#;
    let pad = size.checked_sub(start.len() + end.len()).expect("size too small");
    let body = format!("{start}{}{end}", "x".repeat(pad));
    assert_eq!(body.len(), size);
    body.into_bytes()
}

static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl std::io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts capturing every tracing event of this test binary (once).
pub fn capture_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        tracing_subscriber::fmt().with_max_level(tracing::Level::INFO).with_writer(|| Capture).init();
    });
}

/// The lines logged so far that contain `needle`.
pub fn logged(needle: &str) -> Vec<String> {
    String::from_utf8_lossy(&LOGS.lock().unwrap()).lines().filter(|l| l.contains(needle)).map(str::to_owned).collect()
}

/// Waits up to 5 s for a line containing `needle` (a log written by a task that answered first).
pub async fn wait_logged(needle: &str) -> Vec<String> {
    for _ in 0..100 {
        let lines = logged(needle);
        if !lines.is_empty() {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no log line containing {needle:?}");
}

pub fn redis_url() -> String {
    std::env::var("HOOKSEAL_TEST_REDIS_URL")
        .expect("HOOKSEAL_TEST_REDIS_URL is not set: run the tests under scripts/with-redis.sh (make test does)")
}

/// A unique suffix, so that tests sharing the Redis (and reruns) never see each other's keys.
pub fn unique() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{nanos:x}-{}", std::process::id())
}

/// A loopback port nothing listens on (bound, then closed).
pub fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
