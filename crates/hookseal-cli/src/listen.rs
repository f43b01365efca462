//! `hookseal listen`: a receiver on this machine (hyper, on tokio: the field's HTTP server) that verifies each
//! delivery with hookseal and prints one line for it; with `--forward-to` it relays the exact bytes to the app and
//! answers the sender with the app's answer (the `stripe listen --forward-to` of every provider here); with `--save`
//! it keeps each delivery for `hookseal replay`.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use bytes::Bytes;
use clap::Args;
use hookseal::{ErrorCode, OptionValue, Provider, Verifier};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{json, Value};

use crate::http::{self, Answer, NoAnswer};
use crate::{schedule, Failure, Signing};

#[derive(Args)]
pub struct ListenArgs {
    #[command(flatten)]
    pub signing: Signing,
    /// novamed: the clinic every delivery must be for.
    #[arg(long)]
    clinic_id: Option<String>,
    /// baremeds: accept the provider's documented default key `xxx`.
    #[arg(long)]
    allow_insecure_default: bool,
    /// The replay window in seconds (0 = off; standard-webhooks defaults to 300).
    #[arg(long)]
    tolerance: Option<i64>,
    /// The body size limit in bytes (default 1 MiB): a larger delivery is refused, unread.
    #[arg(long)]
    max_body_bytes: Option<i64>,
    /// The address to listen on; another than 127.0.0.1 makes the receiver reachable from other machines.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The port (0: any free port, printed when listening).
    #[arg(long, default_value_t = 4242)]
    port: u16,
    /// Receive on this path only (others get 404); by default every path.
    #[arg(long, value_name = "/PATH")]
    path: Option<String>,
    /// Relay each delivery, the exact bytes and headers, to the app at URL, and answer the sender with the app's
    /// status and body.
    #[arg(long, value_name = "URL")]
    forward_to: Option<String>,
    /// Write each delivery (raw body, headers, arrival time) into DIR as a file `hookseal replay` reads.
    #[arg(long, value_name = "DIR")]
    save: Option<PathBuf>,
    /// One JSON object per delivery on standard output, instead of a line.
    #[arg(long)]
    json: bool,
    /// At most this many deliveries are handled at once; more wait for a turn.
    #[arg(long, value_name = "N", default_value_t = 64)]
    max_connections: usize,
}

/// The idempotency keys remembered, to mark duplicates (the oldest are forgotten past this).
const REMEMBERED: usize = 100_000;
/// The most of the app's answer relayed to the sender.
const APP_ANSWER_LIMIT: usize = 1024 * 1024;

struct State {
    verifier: Verifier,
    provider: Provider,
    /// The non-secret part of the configuration, kept in saved deliveries so that `replay --resign` can sign alike.
    config: Value,
    path: Option<String>,
    forward: Option<(reqwest::Url, reqwest::Client)>,
    /// How long the app may take: the provider's answer deadline.
    deadline: Duration,
    save: Option<PathBuf>,
    json: bool,
    output: Output,
    seen: Mutex<Seen>,
    counts: Mutex<Counts>,
    sequence: AtomicU64,
}

/// Standard output, written by a thread of its own: a reader that stops reading (`listen | less`, paused) must not
/// stop the deliveries being answered. Lines queue up to a bound; past it they are counted, not printed.
struct Output {
    sender: Mutex<Option<std::sync::mpsc::SyncSender<String>>>,
    /// Lines taken into the queue, and lines the writer wrote.
    queued: AtomicU64,
    written: Arc<AtomicU64>,
    dropped: AtomicU64,
    finished: Mutex<Option<std::sync::mpsc::Receiver<()>>>,
}

impl Output {
    const QUEUE: usize = 10_000;

    fn start() -> Self {
        let (sender, lines) = std::sync::mpsc::sync_channel::<String>(Self::QUEUE);
        let (done, finished) = std::sync::mpsc::channel();
        let written = Arc::new(AtomicU64::new(0));
        let count = written.clone();
        std::thread::spawn(move || {
            for line in lines {
                out!("{line}");
                count.fetch_add(1, Ordering::Relaxed);
            }
            let _ = done.send(());
        });
        Output {
            sender: Mutex::new(Some(sender)),
            queued: AtomicU64::new(0),
            written,
            dropped: AtomicU64::new(0),
            finished: Mutex::new(Some(finished)),
        }
    }

    fn line(&self, line: String) {
        let sender = self.sender.lock().unwrap_or_else(PoisonError::into_inner);
        match sender.as_ref().map(|s| s.try_send(line)) {
            Some(Ok(())) => self.queued.fetch_add(1, Ordering::Relaxed),
            _ => self.dropped.fetch_add(1, Ordering::Relaxed),
        };
    }

    /// Stops taking lines, waits (at most a second) for the queued ones to be written, and says how many lines were
    /// never written: dropped, or still queued behind a reader that stopped reading.
    fn close(&self) -> u64 {
        drop(self.sender.lock().unwrap_or_else(PoisonError::into_inner).take());
        if let Some(finished) = self.finished.lock().unwrap_or_else(PoisonError::into_inner).take() {
            let _ = finished.recv_timeout(Duration::from_secs(1));
        }
        let queued = self.queued.load(Ordering::Relaxed);
        let written = self.written.load(Ordering::Relaxed);
        self.dropped.load(Ordering::Relaxed) + queued.saturating_sub(written)
    }
}

#[derive(Default)]
struct Seen {
    first: HashMap<String, SystemTime>,
    order: VecDeque<String>,
}

#[derive(Default)]
struct Counts {
    deliveries: u64,
    verified: u64,
    duplicates: u64,
    refused: u64,
}

/// What hookseal made of one delivery.
enum Verdict {
    Verified {
        event_type: Option<String>,
        key: String,
        source: &'static str,
        is_test: bool,
        is_retry: bool,
        first_seen: Option<SystemTime>,
    },
    Refused {
        code: ErrorCode,
        message: String,
    },
}

pub fn run(args: ListenArgs, secret_from: crate::SecretFrom) -> Result<u8, Failure> {
    let context = crate::context(&args.signing, secret_from, "listen");
    let verifier = verifier_for(&args).map_err(|e| context.config(e))?;
    let provider = verifier.provider();
    if args.max_connections == 0 {
        return Err(crate::usage("--max-connections must be 1 or more"));
    }
    if let Some(path) = &args.path {
        if !path.starts_with('/') {
            return Err(crate::usage(format!("--path must start with /, as {path:?} does not")));
        }
    }
    let forward = match &args.forward_to {
        Some(url) => {
            let url = http::parse_url(url).map_err(|e| crate::usage(format!("--forward-to: {e}")))?;
            let client = http::client().map_err(|message| Failure { code: "io", message, exit: 2 })?;
            Some((url, client))
        }
        None => None,
    };
    if let Some(dir) = &args.save {
        // Owner-only, as the files in it: their names say when deliveries came, and from whom.
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|e| crate::unreadable(format_args!("--save {}", dir.display()), &e))?;
    }
    let config = json!({
        "scheme": args.signing.scheme,
        "header": args.signing.header,
        "prefix": args.signing.prefix,
        "encoding": args.signing.encoding,
    });
    let state = Arc::new(State {
        verifier,
        provider,
        config,
        path: args.path.clone(),
        forward,
        deadline: schedule::of(provider).timeout,
        save: args.save.clone(),
        json: args.json,
        output: Output::start(),
        seen: Mutex::default(),
        counts: Mutex::default(),
        sequence: AtomicU64::new(0),
    });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| Failure {
        code: "io",
        message: format!("cannot start: {e}"),
        exit: 2,
    })?;
    runtime.block_on(serve(state, &args))
}

fn verifier_for(args: &ListenArgs) -> Result<Verifier, hookseal::ConfigError> {
    let mut options = crate::options_from(&args.signing)?;
    let mut set = |name: &str, value: Option<OptionValue>| match value {
        Some(value) => options.set(name, value),
        None => Ok(()),
    };
    set("clinic_id", args.clinic_id.clone().map(OptionValue::Str))?;
    set("allow_insecure_default", args.allow_insecure_default.then_some(OptionValue::Bool(true)))?;
    set("tolerance", args.tolerance.map(OptionValue::Int))?;
    set("max_body_bytes", args.max_body_bytes.map(OptionValue::Int))?;
    Verifier::new(&args.signing.provider, &options)
}

async fn serve(state: Arc<State>, args: &ListenArgs) -> Result<u8, Failure> {
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await.map_err(|e| Failure {
        code: "io",
        message: format!("cannot listen on {}:{}: {}", args.host, args.port, crate::os_text(&e)),
        exit: 2,
    })?;
    let address = listener.local_addr().map_err(|e| Failure { code: "io", message: e.to_string(), exit: 2 })?;
    let host = if address.is_ipv6() { format!("[{}]", address.ip()) } else { address.ip().to_string() };
    // Listening for Ctrl-C before the banner says "Ctrl-C stops": the handlers are installed now, not when the
    // accept loop first waits (a Ctrl-C in between would kill the process without its summary).
    let stop = stop_signal()?;
    tokio::pin!(stop);
    let shown_path = state.path.as_deref().unwrap_or("/");
    // The banner goes to standard error: standard output holds the deliveries only, one per line.
    note!(
        "hookseal listen: {} deliveries on http://{host}:{}{shown_path}{}",
        state.provider.as_str(),
        address.port(),
        if state.path.is_none() { " (any path)" } else { "" }
    );
    if let Some((url, _)) = &state.forward {
        note!(
            "forwarding each delivery to {}, the app's answer going back to the sender ({} deadline, {}'s)",
            http::shown(url),
            schedule::human(state.deadline.as_secs_f64()),
            state.provider.as_str()
        );
    }
    if let Some(dir) = &state.save {
        note!("saving each delivery into {} (for hookseal replay)", dir.display());
    }
    if !address.ip().is_loopback() {
        note!("note: {} is reachable from other machines", address.ip());
    }
    note!("Ctrl-C stops");

    let permits = Arc::new(tokio::sync::Semaphore::new(args.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit { Ok(p) => p, Err(_) => break },
            () = &mut stop => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, a connection reset before accept: wait a moment, go on.
                    note!("warning: cannot accept a connection: {}", crate::os_text(&e));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let state = state.clone();
        let service = hyper::service::service_fn(move |request| handle(state.clone(), request));
        // One delivery per connection (no keep-alive): a sender's idle connections never hold a turn.
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(10))
            .keep_alive(false)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    // Stop: no new connection; the deliveries in flight get their answers (for at most 5 s).
    let finished = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await.is_ok();
    let unprinted = state.output.close();
    if unprinted > 0 {
        note!("{unprinted} delivery lines were not printed: standard output was not being read");
    }
    let counts = state.counts.lock().unwrap_or_else(PoisonError::into_inner);
    note!(
        "stopped{}: {} deliver{} ({} verified, {} duplicate{}, {} refused)",
        if finished { "" } else { " with deliveries still in flight" },
        counts.deliveries,
        if counts.deliveries == 1 { "y" } else { "ies" },
        counts.verified,
        counts.duplicates,
        if counts.duplicates == 1 { "" } else { "s" },
        counts.refused,
    );
    Ok(0)
}

/// Ctrl-C or SIGTERM (an orchestrator's stop): both handlers installed when this is called, the future resolving on
/// the first of them.
fn stop_signal() -> Result<impl std::future::Future<Output = ()>, Failure> {
    let failed = |e: std::io::Error| Failure { code: "io", message: format!("cannot handle Ctrl-C: {e}"), exit: 2 };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt = signal(SignalKind::interrupt()).map_err(failed)?;
        let mut terminate = signal(SignalKind::terminate()).map_err(failed)?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        let _ = failed;
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

fn answer(status: u16, body: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(format!("{body}\n"))));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert("content-type", hyper::header::HeaderValue::from_static("application/json"));
    response
}

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let at = SystemTime::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    if let Some(wanted) = &state.path {
        if *wanted != path {
            print_other(&state, at, &method, &path, 404, &format!("not found: listening on {wanted} only"));
            return Ok(answer(404, &json!({"error": "not_found"})));
        }
    }
    if method != Method::POST {
        print_other(&state, at, &method, &path, 405, "method not allowed: deliveries are POSTs");
        let mut response = answer(405, &json!({"error": "method_not_allowed"}));
        response.headers_mut().insert("allow", hyper::header::HeaderValue::from_static("POST"));
        return Ok(response);
    }
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    let limit = state.verifier.max_body_bytes();
    let declared = request.headers().get("content-length").and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    // Over the limit: refused unread, as every framework helper does, and neither saved nor forwarded (there is no
    // body to relay: the app would see an empty one). A body that trickles in is given the provider's deadline.
    let read = if declared.is_some_and(|n| n > limit as u64) {
        Err(None)
    } else {
        match tokio::time::timeout(state.deadline, Limited::new(request.into_body(), limit).collect()).await {
            Ok(Ok(collected)) => Ok(collected.to_bytes()),
            Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(None),
            Ok(Err(e)) => Err(Some((400, "bad_request", format!("the body could not be read: {e}")))),
            Err(_) => Err(Some((
                408,
                "request_timeout",
                format!("the body did not arrive within {}", schedule::human(state.deadline.as_secs_f64())),
            ))),
        }
    };
    let body = match read {
        Ok(body) => body,
        Err(None) => {
            let verdict = too_large(limit);
            count(&state, &verdict);
            let response = answer(413, &json!({"error": "payload_too_large"}));
            print_delivery(&state, at, &method, &path, 0, &verdict, None, None, response.status());
            return Ok(response);
        }
        Err(Some((status, code, why))) => {
            count(&state, &Verdict::Refused { code: ErrorCode::InvalidJson, message: String::new() });
            print_other(&state, at, &method, &path, status, &why);
            return Ok(answer(status, &json!({"error": code})));
        }
    };
    let verdict = verify(&state, &body, &headers, at);
    count(&state, &verdict);
    let saved = state
        .save
        .as_deref()
        .map(|dir| save(&state, dir, at, &method, &path, query.as_deref(), &headers, &body, &verdict));
    let relayed = match &state.forward {
        Some((url, client)) => Some(relay(&state, url, client, query.as_deref(), &headers, body.clone()).await),
        None => None,
    };
    let response = match &relayed {
        Some(Ok(app)) if !app.cut => {
            let mut response = Response::new(Full::new(app.body.clone()));
            *response.status_mut() = StatusCode::from_u16(app.status).unwrap_or(StatusCode::BAD_GATEWAY);
            if let Some(kind) = app.content_type.as_deref().and_then(|t| hyper::header::HeaderValue::from_str(t).ok()) {
                response.headers_mut().insert("content-type", kind);
            }
            if let Some(after) = app.retry_after.as_deref().and_then(|t| hyper::header::HeaderValue::from_str(t).ok()) {
                response.headers_mut().insert("retry-after", after);
            }
            if app.abort {
                let abort = hyper::header::HeaderValue::from_static("abort-message");
                response.headers_mut().insert("webhook-delivery", abort);
            }
            response
        }
        Some(_) => answer(502, &json!({"error": "forward_failed"})),
        None => match &verdict {
            Verdict::Verified { event_type, key, first_seen, .. } => {
                let status = if first_seen.is_some() { "duplicate" } else { "processed" };
                answer(200, &json!({"status": status, "event_type": event_type, "idempotency_key": key}))
            }
            Verdict::Refused { code, .. } => answer(code.http_status(), &json!({"error": code.as_str()})),
        },
    };
    print_delivery(
        &state,
        at,
        &method,
        &path,
        body.len(),
        &verdict,
        relayed.as_ref(),
        saved.as_ref(),
        response.status(),
    );
    Ok(response)
}

fn too_large(limit: usize) -> Verdict {
    Verdict::Refused {
        code: ErrorCode::PayloadTooLarge,
        message: format!("the body is larger than the {limit} byte limit"),
    }
}

fn verify(state: &State, body: &[u8], headers: &[(String, String)], at: SystemTime) -> Verdict {
    let verdict = match state.verifier.verify(body, headers) {
        Ok(event) => {
            let key = event.idempotency_key().to_owned();
            let mut seen = state.seen.lock().unwrap_or_else(PoisonError::into_inner);
            let first_seen = seen.first.get(&key).copied();
            if first_seen.is_none() {
                if seen.order.len() >= REMEMBERED {
                    if let Some(oldest) = seen.order.pop_front() {
                        seen.first.remove(&oldest);
                    }
                }
                seen.first.insert(key.clone(), at);
                seen.order.push_back(key.clone());
            }
            Verdict::Verified {
                event_type: event.event_type().map(str::to_owned),
                key,
                source: event.idempotency_key_source().as_str(),
                is_test: event.is_test(),
                is_retry: event.is_retry(),
                first_seen,
            }
        }
        Err(e) => Verdict::Refused { code: e.code(), message: e.message().to_owned() },
    };
    verdict
}

fn count(state: &State, verdict: &Verdict) {
    let mut counts = state.counts.lock().unwrap_or_else(PoisonError::into_inner);
    counts.deliveries += 1;
    match verdict {
        Verdict::Verified { first_seen: Some(_), .. } => counts.duplicates += 1,
        Verdict::Verified { .. } => counts.verified += 1,
        Verdict::Refused { .. } => counts.refused += 1,
    }
}

/// Headers that describe one connection, not the delivery, and are never relayed (RFC 9110 section 7.6.1), with any
/// the `Connection` header names; `host` and `content-length`, which the relay's own request sets; and what would
/// change the answer's form (`accept-encoding`: the app's compressed answer would reach the sender undecoded) or the
/// exchange (`expect`: the body is already here).
pub(crate) fn relayed_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    const NAMES: [&str; 11] = [
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "accept-encoding",
        "expect",
    ];
    let named: Vec<String> = headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, value)| value.split(',').map(|n| n.trim().to_ascii_lowercase()).collect::<Vec<_>>())
        .collect();
    headers
        .iter()
        .filter(|(name, _)| {
            !NAMES.iter().any(|n| n.eq_ignore_ascii_case(name)) && !named.iter().any(|n| n.eq_ignore_ascii_case(name))
        })
        .cloned()
        .collect()
}

/// The delivery to the app: at the `--forward-to` URL, with the delivery's query string when that URL has none.
async fn relay(
    state: &State,
    url: &reqwest::Url,
    client: &reqwest::Client,
    query: Option<&str>,
    headers: &[(String, String)],
    body: Bytes,
) -> Result<Answer, NoAnswer> {
    let mut url = url.clone();
    if url.query().is_none() && query.is_some() {
        url.set_query(query);
    }
    // A little under the provider's deadline, so that a slow app is answered 502 (and said so) before the sender
    // gives up on its own.
    let deadline = state.deadline.mul_f64(0.9);
    let (result, _) = http::post(client, &url, &relayed_headers(headers), body, deadline, APP_ANSWER_LIMIT).await;
    result
}

#[allow(clippy::too_many_arguments)]
fn save(
    state: &State,
    dir: &Path,
    at: SystemTime,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &[(String, String)],
    body: &[u8],
    verdict: &Verdict,
) -> Result<PathBuf, String> {
    let n = state.sequence.fetch_add(1, Ordering::Relaxed) + 1;
    let stamp: String = http::timestamp(at).chars().filter(|c| c.is_ascii_alphanumeric() || *c == '.').collect();
    let file = dir.join(format!("{stamp}-{n:04}-{}.json", state.provider.as_str()));
    let (verdict_name, key) = match verdict {
        Verdict::Verified { key, first_seen: Some(_), .. } => ("duplicate", Some(key.clone())),
        Verdict::Verified { key, .. } => ("verified", Some(key.clone())),
        Verdict::Refused { code, .. } => (code.as_str(), None),
    };
    let record = json!({
        "hookseal_delivery": 1,
        "received_at": http::timestamp(at),
        "provider": state.provider.as_str(),
        "config": state.config,
        "method": method.as_str(),
        "path": path,
        "query": query,
        "headers": headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
        "body_base64": base64::engine::general_purpose::STANDARD.encode(body),
        "verdict": verdict_name,
        "idempotency_key": key,
    });
    let text = serde_json::to_string_pretty(&record).map_err(|e| e.to_string())?;
    // Written whole, then renamed: replay never reads half a file. Owner-only: it holds the delivery and its key.
    let partial = file.with_extension("json.partial");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options
        .open(&partial)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.write_all(b"\n")))
        .and_then(|()| std::fs::rename(&partial, &file));
    written.map(|()| file).map_err(|e| format!("cannot save into {}: {}", dir.display(), crate::os_text(&e)))
}

fn print_other(state: &State, at: SystemTime, method: &Method, path: &str, status: u16, what: &str) {
    if state.json {
        state.output.line(
            json!({"at": http::timestamp(at), "method": method.as_str(), "path": path, "answered": status, "verdict": null, "note": what})
            .to_string(),
        );
    } else {
        state.output.line(format!("{}  {method} {path}  {status}: {what}", http::clock(at)));
    }
}

#[allow(clippy::too_many_arguments)]
fn print_delivery(
    state: &State,
    at: SystemTime,
    method: &Method,
    path: &str,
    bytes: usize,
    verdict: &Verdict,
    relayed: Option<&Result<Answer, NoAnswer>>,
    saved: Option<&Result<PathBuf, String>>,
    answered: StatusCode,
) {
    let app_line = relayed.map(|app| match app {
        Ok(a) if a.cut => (
            json!({"status": a.status, "error": "the answer is over 1 MiB: not relayed"}),
            format!("app: {} with an answer over 1 MiB (not relayed: 502)", a.status),
        ),
        Ok(a) => {
            // The app's verdict in its own words when it gives one (hookseal's helpers all do), else its answer.
            let words = a.field("status").or_else(|| a.field("error")).unwrap_or_else(|| a.head(60));
            (json!({"status": a.status, "answer": a.head(200)}), format!("app: {} {words}", a.status))
        }
        Err(why) => {
            (json!({"status": null, "error": why.describe()}), format!("app: {} (502 to the sender)", why.describe()))
        }
    });
    let hookseal_ok = matches!(verdict, Verdict::Verified { .. });
    let disagreement = match relayed {
        Some(Ok(app)) if app.is_2xx() && !hookseal_ok => Some("the app accepted a delivery hookseal refused!"),
        // "Later, please" is a right answer to a verified delivery: the provider retries it.
        Some(Ok(app))
            if app.status == 503
                && matches!(app.field("error").as_deref(), Some("in_progress" | "store_unavailable")) =>
        {
            None
        }
        Some(Ok(app)) if hookseal_ok && (400..500).contains(&app.status) => {
            Some("the app refused a delivery hookseal verified")
        }
        Some(Ok(app)) if hookseal_ok && !app.is_2xx() => {
            Some("the app failed on a delivery hookseal verified (the provider will retry it)")
        }
        _ => None,
    };
    let saved_path = saved.and_then(|s| s.as_ref().ok()).map(|p| p.display().to_string());
    if let Some(Err(why)) = saved {
        note!("warning: {why}");
    }
    if state.json {
        let mut line = json!({
            "at": http::timestamp(at),
            "method": method.as_str(),
            "path": path,
            "bytes": bytes,
            "answered": answered.as_u16(),
            "app": app_line.as_ref().map(|(j, _)| j.clone()),
            "saved": saved_path,
            "warning": disagreement,
        });
        if let Some(fields) = line.as_object_mut() {
            match verdict {
                Verdict::Verified { event_type, key, source, is_test, is_retry, first_seen } => {
                    fields.insert("verdict".into(), json!(if first_seen.is_some() { "duplicate" } else { "verified" }));
                    fields.insert("event_type".into(), json!(event_type));
                    fields.insert("idempotency_key".into(), json!(key));
                    fields.insert("idempotency_key_source".into(), json!(source));
                    fields.insert("is_test".into(), json!(is_test));
                    fields.insert("is_retry".into(), json!(is_retry));
                    fields.insert("first_seen".into(), json!(first_seen.map(http::timestamp)));
                }
                Verdict::Refused { code, message } => {
                    fields.insert("verdict".into(), json!(code.as_str()));
                    fields.insert("message".into(), json!(message));
                }
            }
        }
        state.output.line(line.to_string());
        return;
    }
    let mut line = format!("{}  {method} {path}  ", http::clock(at));
    match verdict {
        Verdict::Verified { event_type, key, is_test, is_retry, first_seen, .. } => {
            line.push_str(event_type.as_deref().unwrap_or("(no type)"));
            line.push_str("  ");
            line.push_str(key);
            if *is_test {
                line.push_str("  test");
            }
            if *is_retry {
                line.push_str("  retry");
            }
            match first_seen {
                Some(first) => line.push_str(&format!("  duplicate (first seen {})", http::clock(*first))),
                None => line.push_str("  verified"),
            }
        }
        Verdict::Refused { code, message } => line.push_str(&format!("refused: {code}: {message}")),
    }
    if let Some((_, app)) = &app_line {
        line.push_str("  ·  ");
        line.push_str(app);
    }
    if let Some(warning) = disagreement {
        line.push_str("  ·  ");
        line.push_str(warning);
    }
    if let Some(saved) = saved_path {
        line.push_str(&format!("  ·  saved {saved}"));
    }
    state.output.line(line);
}
