//! `hookseal send`: one delivery built and signed as the provider builds and signs it, POSTed on the provider's retry
//! schedule; and the rehearsals of what breaks receivers in production (retries, copies at once, a tampered, stale or
//! wrongly signed delivery), each answer read for what it means.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use bytes::Bytes;
use clap::Args;
use hookseal::{sign, OptionValue, Options, Provider, Scheme, SignOptions, Verifier};
use serde_json::{json, Value};

use crate::http::{self, Answer, NoAnswer};
use crate::schedule::{self, Schedule};
use crate::{catalog, Failure, Signing};

#[derive(Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub signing: Signing,
    /// The event to send: the provider's documented sample of TYPE, with a fresh timestamp and id (--list-events).
    #[arg(long, short = 'e', value_name = "TYPE", conflicts_with = "body")]
    event: Option<String>,
    /// Send this file's bytes instead (`-`: standard input), exactly as they are unless --set, --stale or --tamper
    /// change them.
    #[arg(long, value_name = "FILE|-")]
    body: Option<PathBuf>,
    /// Change a field before signing: a dotted path into the JSON (`data.status`, `data.medication.0.quantity`) and
    /// a value, read as JSON when it parses (`42`, `true`, `null`, `{"a":1}`), else as a string; repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// Send it as a test delivery (`X-Webhook-Test: true`).
    #[arg(long)]
    test: bool,
    /// One more header, `Name: value`; repeatable.
    #[arg(short = 'H', long = "header-line", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Multiply every wait of the retry schedule by F (0.01: ELMED's +5 min becomes 3 s).
    #[arg(long, value_name = "F", default_value_t = 1.0)]
    time_scale: f64,
    /// Stop after N attempts (default: the provider's number).
    #[arg(long, value_name = "N")]
    attempts: Option<usize>,
    /// Wait this long for each answer (default: the provider's deadline: ELMED 10 s, NovaMed 5 s, ...).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// One JSON object per attempt on standard output, instead of a line.
    #[arg(long)]
    json: bool,
    /// Send the same delivery, byte for byte, N times one after another, as retries arrive.
    #[arg(long, value_name = "N", default_value_t = 1)]
    repeat: usize,
    /// Send N copies of the delivery at once: the race a dedupe store must win. Each copy follows the schedule.
    #[arg(long, value_name = "N", default_value_t = 1)]
    concurrent: usize,
    /// Change the body after signing it: the receiver must refuse it (a shared key cannot tell, and it is said).
    #[arg(long, group = "rehearsal")]
    tamper: bool,
    /// Date the delivery SECONDS in the past: the Standard Webhooks timestamp, else the envelope's `timestamp`.
    #[arg(long, value_name = "SECONDS", group = "rehearsal")]
    stale: Option<u64>,
    /// Sign with a random secret instead of --secret: the receiver must refuse it.
    #[arg(long, group = "rehearsal")]
    wrong_secret: bool,
    /// baremeds: sign with the provider's documented default key `xxx`.
    #[arg(long)]
    allow_insecure_default: bool,
    /// List the provider's events (documented and made-up samples) and exit.
    #[arg(long, conflicts_with_all = ["event", "body", "url"])]
    list_events: bool,
    /// The receiver's URL (`http://127.0.0.1:3000/webhooks/elmed`; `http://` may be left out).
    url: Option<String>,
}

/// The answer a rehearsal looks for.
enum Expect {
    /// A genuine delivery: processed once.
    Process,
    /// Must be refused with this code (another 4xx code is a refusal too, and said so).
    Refuse(&'static str, String),
    /// Either answer is right; the note says what each means.
    Either { accepted: String, refused: String },
}

/// One request, as sent.
#[derive(Clone)]
struct Request {
    body: Bytes,
    headers: Vec<(String, String)>,
}

struct Plan {
    provider: Provider,
    url: reqwest::Url,
    first: Request,
    /// What a retry sends when it differs from the first attempt: Baremeds marks `metadata.retry`.
    retry: Option<Request>,
    /// Standard Webhooks senders sign each attempt at its own time, with the same message id.
    resign: Option<SignOptions>,
    schedule: Schedule,
    attempts: usize,
    time_scale: f64,
    timeout: Duration,
    expect: Expect,
    json: bool,
    copies: usize,
    started: Instant,
}

/// How one copy's chain of attempts ended.
enum Ended {
    Delivered {
        duplicate: bool,
    },
    Refused,
    /// After this many attempts.
    Failed(usize),
}

pub fn run(args: SendArgs, secret_from: crate::SecretFrom) -> Result<u8, Failure> {
    let context = crate::context(&args.signing, secret_from, "send");
    let provider: Provider = args.signing.provider.parse().map_err(|e| context.config(e))?;
    if args.list_events {
        return list_events(provider);
    }
    let url = match &args.url {
        Some(url) => http::parse_url(url).map_err(crate::usage)?,
        None => return Err(crate::usage("send needs the receiver's URL (the last argument)")),
    };
    check_numbers(&args)?;
    let options = {
        let mut options = crate::options_from(&args.signing).map_err(|e| context.config(e))?;
        if args.allow_insecure_default {
            options.set("allow_insecure_default", OptionValue::Bool(true)).map_err(|e| context.config(e))?;
        }
        options
    };
    let scheme = schedule::scheme_of(provider, args.signing.scheme.as_deref());
    let now_micros = http::unix_micros_now();
    let stale_micros = args.stale.map(|s| now_micros - i64::try_from(s).unwrap_or(i64::MAX).saturating_mul(1_000_000));

    // The body: a fresh sample, or the caller's bytes; then --set and --stale.
    let (mut value, mut raw, provenance) = match (&args.event, &args.body) {
        (Some(event), _) => {
            let fresh = catalog::Fresh { unix_micros: now_micros, random: random_bytes()? };
            let (value, documented) = catalog::build(provider, event, &fresh).map_err(crate::usage)?;
            (Some(value), None, Some(catalog::provenance(provider, documented)))
        }
        (None, Some(path)) => (None, Some(crate::read_body(&Some(path.clone()), u64::MAX - 1)?), None),
        (None, None) => {
            return Err(crate::usage(format!(
                "send needs --event TYPE or --body FILE ({}'s events: hookseal send --provider {} --list-events)",
                provider.as_str(),
                provider.as_str()
            )))
        }
    };
    let stale_envelope = stale_micros.filter(|_| scheme != Scheme::StandardWebhooks);
    if value.is_none() && (!args.sets.is_empty() || stale_envelope.is_some()) {
        let bytes = raw.take().unwrap_or_default();
        let parsed = serde_json::from_slice::<Value>(&bytes)
            .map_err(|e| crate::usage(format!("--set and --stale need a JSON body, and this one is not: {e}")))?;
        value = Some(parsed);
    }
    if let Some(value) = value.as_mut() {
        for assignment in &args.sets {
            catalog::apply_set(value, assignment).map_err(crate::usage)?;
        }
        if let Some(at) = stale_envelope {
            catalog::restamp(provider, value, at).map_err(|e| crate::usage(format!("--stale: {e}")))?;
        }
    }
    let body: Vec<u8> = match (&value, raw) {
        (Some(value), _) => {
            serde_json::to_vec(value).map_err(|e| crate::usage(format!("cannot write the body: {e}")))?
        }
        (None, Some(raw)) => raw,
        (None, None) => Vec::new(),
    };

    // Signing, as the provider signs: every header a real delivery carries.
    let mut sign_options = SignOptions::new(options.clone());
    if args.wrong_secret {
        let mut wrong = args.signing.clone();
        wrong.secret = vec![wrong_secret(scheme)?];
        sign_options = SignOptions::new(crate::options_from(&wrong).map_err(|e| context.config(e))?);
    }
    let sw_time = |at: Option<i64>| at.map(|micros| micros.div_euclid(1_000_000));
    if scheme == Scheme::StandardWebhooks {
        sign_options.now = Some(sw_time(stale_micros).unwrap_or(now_micros.div_euclid(1_000_000)));
        sign_options.webhook_id = Some(format!("msg_{}", hex(&random_bytes()?[..12])));
    }
    let mut extra = Vec::new();
    if args.test {
        extra.push(("X-Webhook-Test".to_owned(), "true".to_owned()));
    }
    for (i, line) in args.headers.iter().enumerate() {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| crate::usage(format!("-H number {} must be written \"Name: value\"", i + 1)))?;
        let (name, value) = (name.trim(), value.trim());
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err()
            || reqwest::header::HeaderValue::from_str(value).is_err()
        {
            return Err(crate::usage(format!(
                "-H number {} is not a valid HTTP header (a name is a token, e.g. X-Trace-Id)",
                i + 1
            )));
        }
        extra.push((name.to_owned(), value.to_owned()));
    }
    let signed_with = |options: &SignOptions| {
        sign(provider.as_str(), &body, options).map(|mut headers| {
            headers.extend(extra.iter().cloned());
            headers
        })
    };
    let headers = signed_with(&sign_options).map_err(|e| context.config(e))?;

    // What hookseal itself makes of the genuine delivery (before any rehearsal spoils it): the key the receiver
    // should see, or the refusal it should give.
    let genuine = if args.wrong_secret {
        let mut genuine = SignOptions::new(options.clone());
        genuine.now = sign_options.now;
        genuine.webhook_id = sign_options.webhook_id.clone();
        signed_with(&genuine).map_err(|e| context.config(e))?
    } else {
        headers.clone()
    };
    let verdict = self_check(provider, &options, &body, &genuine);
    let (key, event_type) = match &verdict {
        Ok((key, event_type)) => (Some(key.clone()), event_type.clone()),
        Err(_) => (None, None),
    };

    let (body, tampered) = if args.tamper { tamper(&body) } else { (body, String::new()) };
    let expect = expectation(provider, scheme, &args, &verdict);
    let schedule = schedule::of(provider);
    let rehearsing_refusal = args.tamper || args.wrong_secret || args.stale.is_some();
    let attempts = if rehearsing_refusal { 1 } else { args.attempts.unwrap_or(schedule.delays.len()) };
    let attempts = attempts.min(schedule.delays.len().max(1));
    let first = Request { body: Bytes::from(body), headers };
    let retry = (provider == Provider::Baremeds && !rehearsing_refusal).then(|| baremeds_retry(&first)).flatten();
    let resign = (scheme == Scheme::StandardWebhooks && !rehearsing_refusal)
        .then(|| SignOptions { now: None, ..sign_options.clone() });
    let timeout = args.timeout.map_or(schedule.timeout, Duration::from_secs_f64);
    let copies = args.repeat * args.concurrent;

    // The plan, before the first attempt (on standard error with --json, so that standard output is JSON only).
    let mut intro = vec![];
    let what = event_type.as_deref().or(args.event.as_deref()).unwrap_or("a delivery");
    let from = match (&args.event, &args.body) {
        (_, Some(path)) => format!("the body of {}", path.display()),
        _ => provenance.unwrap_or_default().to_owned(),
    };
    intro.push(format!("sending {} {what} to {}", provider.as_str(), http::shown(&url)));
    intro.push(format!("payload: {from}"));
    match (&key, &verdict) {
        (Some(key), _) => intro.push(format!("idempotency key {key}")),
        (None, Err((code, message))) => {
            intro.push(format!("hookseal itself refuses this delivery with defaults: {code}: {message}"))
        }
        _ => {}
    }
    if !tampered.is_empty() {
        intro.push(format!("tampered: {tampered} after signing"));
    }
    if args.wrong_secret {
        intro.push("signed with a random secret, not --secret".to_owned());
    }
    if let Some(stale) = args.stale {
        let dated = if scheme == Scheme::StandardWebhooks { "webhook-timestamp" } else { "the envelope's timestamp" };
        intro.push(format!("{dated} is {} in the past", schedule::human(stale as f64)));
    }
    if rehearsing_refusal {
        intro.push("one attempt: the provider's retries would send the same bytes and get the same answer".to_owned());
    } else {
        let count = if attempts == schedule.delays.len() {
            format!("up to {attempts} attempts")
        } else {
            format!("{attempts} attempt{} (of {})", if attempts == 1 { "" } else { "s" }, schedule.delays.len())
        };
        intro.push(format!(
            "schedule: {count}: {} ({}); {} timeout{}",
            schedule::describe(&schedule.delays[..attempts]),
            schedule.source,
            schedule::human(timeout.as_secs_f64()),
            if schedule.only_200 { "; only 200 counts as delivered" } else { "" },
        ));
        let total: u64 = schedule.delays[..attempts].iter().sum();
        if args.time_scale == 1.0 && total >= 60 {
            intro.push(format!(
                "every attempt failing takes {}: --time-scale 0.01 or --attempts 1 shortens it, Ctrl-C stops",
                schedule::human(total as f64)
            ));
        }
        if args.time_scale != 1.0 {
            let waits: Vec<String> =
                schedule.delays[..attempts].iter().map(|&d| schedule::human(d as f64 * args.time_scale)).collect();
            intro.push(format!("time scale {}: waits of {}", args.time_scale, waits.join(", ")));
        }
    }
    if copies > 1 {
        intro.push(match (args.repeat, args.concurrent) {
            (r, 1) => format!("{r} copies, one after another"),
            (1, c) => format!("{c} copies at once"),
            (r, c) => format!("{r} rounds of {c} copies at once"),
        });
    }
    for line in intro {
        if args.json {
            note!("{line}");
        } else {
            out!("{line}");
        }
    }

    let plan = Arc::new(Plan {
        provider,
        url,
        first,
        retry,
        resign,
        schedule,
        attempts,
        time_scale: args.time_scale,
        timeout,
        expect,
        json: args.json,
        copies,
        started: Instant::now(),
    });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| Failure {
        code: "io",
        message: format!("cannot start: {e}"),
        exit: 2,
    })?;
    let client = http::client().map_err(|message| Failure { code: "io", message, exit: 2 })?;
    let ended = runtime.block_on(async {
        let mut ended = Vec::with_capacity(copies);
        for round in 0..args.repeat {
            let mut set = tokio::task::JoinSet::new();
            for i in 0..args.concurrent {
                let copy = round * args.concurrent + i + 1;
                set.spawn(deliver(plan.clone(), client.clone(), copy));
            }
            while let Some(result) = set.join_next().await {
                ended.push(result.unwrap_or(Ended::Failed(0)));
            }
        }
        ended
    });
    Ok(summary(&plan, &ended, key.as_deref()))
}

fn check_numbers(args: &SendArgs) -> Result<(), Failure> {
    if !(args.time_scale.is_finite() && (0.0..=1000.0).contains(&args.time_scale)) {
        return Err(crate::usage("--time-scale must be a number from 0 to 1000 (0.01 makes +5 min 3 s)"));
    }
    if args.stale.is_some_and(|s| s > 100 * 365 * 86_400) {
        return Err(crate::usage("--stale must be at most a hundred years of seconds"));
    }
    if args.attempts == Some(0) {
        return Err(crate::usage("--attempts must be 1 or more"));
    }
    if args.timeout.is_some_and(|t| !(t.is_finite() && t > 0.0 && t < 86_400.0)) {
        return Err(crate::usage("--timeout must be a number of seconds above 0"));
    }
    if args.repeat == 0 || args.concurrent == 0 {
        return Err(crate::usage("--repeat and --concurrent must be 1 or more"));
    }
    if args.repeat.saturating_mul(args.concurrent) > 10_000 || args.concurrent > 1000 {
        return Err(crate::usage("at most 1000 copies at once and 10000 in all"));
    }
    let rehearsing = args.tamper || args.wrong_secret || args.stale.is_some();
    if rehearsing && (args.repeat > 1 || args.concurrent > 1) {
        return Err(crate::usage(
            "--tamper, --stale and --wrong-secret send one delivery: leave out --repeat and --concurrent",
        ));
    }
    Ok(())
}

fn list_events(provider: Provider) -> Result<u8, Failure> {
    let events = catalog::events(provider);
    if events.is_empty() {
        out!(
            "{}: the spec names no events; any --event TYPE is sent as {{\"type\", \"timestamp\", \"data\"}}",
            provider.as_str()
        );
        return Ok(0);
    }
    for sample in events {
        out!("{:<34} {}", sample.event_type, catalog::provenance(provider, sample.documented));
    }
    Ok(0)
}

fn random_bytes() -> Result<[u8; 16], Failure> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Failure {
        code: "io",
        message: format!("no random numbers from the system: {e}"),
        exit: 2,
    })?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A secret the receiver cannot have: random, in the scheme's shape (Standard Webhooks secrets are base64).
fn wrong_secret(scheme: Scheme) -> Result<String, Failure> {
    let random = random_bytes()?;
    Ok(match scheme {
        Scheme::StandardWebhooks => format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(random)),
        _ => format!("wrong-{}", hex(&random)),
    })
}

/// The key and event type hookseal finds in the delivery (no replay window: the sender's own clock is not the
/// question), or the refusal it gives.
fn self_check(
    provider: Provider,
    options: &Options,
    body: &[u8],
    headers: &[(String, String)],
) -> Result<(String, Option<String>), (String, String)> {
    let verifier = Verifier::for_provider(provider, &options.clone().tolerance(0))
        .map_err(|e| (e.code().as_str().to_owned(), e.message().to_owned()))?;
    let event = verifier.verify(body, headers).map_err(|e| (e.code().as_str().to_owned(), e.message().to_owned()))?;
    Ok((event.idempotency_key().to_owned(), event.event_type().map(str::to_owned)))
}

fn expectation(
    provider: Provider,
    scheme: Scheme,
    args: &SendArgs,
    verdict: &Result<(String, Option<String>), (String, String)>,
) -> Expect {
    let name = provider.as_str();
    if args.tamper {
        return match scheme {
            Scheme::SharedKey => Expect::Either {
                accepted: format!(
                    "accepted, as any {name} receiver must: a shared key does not cover the body, so a changed body \
                     cannot be detected (docs/security.md)"
                ),
                refused: "refused".to_owned(),
            },
            _ => Expect::Refuse("signature_mismatch", "the body changed after signing".to_owned()),
        };
    }
    if args.wrong_secret {
        let code = if scheme == Scheme::SharedKey { "key_mismatch" } else { "signature_mismatch" };
        return Expect::Refuse(code, "signed with a wrong secret".to_owned());
    }
    if let Some(stale) = args.stale {
        if scheme == Scheme::StandardWebhooks && stale > 300 {
            return Expect::Refuse("timestamp_out_of_tolerance", "outside the default 300 s window".to_owned());
        }
        let accepted = if scheme == Scheme::StandardWebhooks {
            "accepted: inside the default 300 s window".to_owned()
        } else {
            format!(
                "accepted: this receiver has no replay window, or one wider than {} ({name} has none by default: its \
                 retries come up to an hour late)",
                schedule::human(stale as f64)
            )
        };
        return Expect::Either { accepted, refused: "refused: the receiver has a replay window".to_owned() };
    }
    match verdict {
        Ok(_) => Expect::Process,
        // A larger limit is the receiver's right; anything else hookseal refuses, a receiver must refuse too.
        Err((code, _)) if code == "payload_too_large" => Expect::Either {
            accepted: "accepted: the receiver allows bodies over hookseal's default 1 MiB".to_owned(),
            refused: "refused".to_owned(),
        },
        Err((code, _)) => {
            let code = hookseal::ErrorCode::from_code(code).map_or("signature_mismatch", |c| c.as_str());
            Expect::Refuse(code, "hookseal refuses it".to_owned())
        }
    }
}

/// The body with one value of `data` changed (a string gains a character, a number grows by one, a boolean flips),
/// else one space added: the bytes differ from what was signed. Says which path changed, never the value.
fn tamper(body: &[u8]) -> (Vec<u8>, String) {
    if let Ok(mut value) = serde_json::from_slice::<Value>(body) {
        if let Some(data) = value.get_mut("data").and_then(Value::as_object_mut) {
            let mut changed = None;
            for (name, field) in data.iter_mut() {
                let new = match field {
                    Value::String(s) => Some(Value::String(format!("{s}0"))),
                    Value::Number(n) => n.as_i64().map(|i| json!(i.wrapping_add(1))),
                    Value::Bool(b) => Some(Value::Bool(!*b)),
                    _ => None,
                };
                if let Some(new) = new {
                    *field = new;
                    changed = Some(name.clone());
                    break;
                }
            }
            if let (Some(name), Ok(bytes)) = (changed, serde_json::to_vec(&value)) {
                if bytes != body {
                    return (bytes, format!("data.{name} changed"));
                }
            }
        }
    }
    let mut bytes = body.to_vec();
    bytes.push(b' ');
    (bytes, "a space added to the body".to_owned())
}

/// Baremeds marks a retry in the body (`metadata.retry: true`); its key (`metadata.request_id`) stays.
fn baremeds_retry(first: &Request) -> Option<Request> {
    let mut value: Value = serde_json::from_slice(&first.body).ok()?;
    let retry = value.get_mut("metadata")?.get_mut("retry")?;
    if retry != &Value::Bool(false) {
        return None;
    }
    *retry = Value::Bool(true);
    let body = serde_json::to_vec(&value).ok()?;
    Some(Request { body: Bytes::from(body), headers: first.headers.clone() })
}

/// One copy's chain of attempts, on the schedule.
async fn deliver(plan: Arc<Plan>, client: reqwest::Client, copy: usize) -> Ended {
    for attempt in 1..=plan.attempts {
        let request = if attempt == 1 {
            plan.first.clone()
        } else {
            let mut request = plan.retry.clone().unwrap_or_else(|| plan.first.clone());
            if let Some(options) = &plan.resign {
                if let Ok(headers) = sign(plan.provider.as_str(), &request.body, options) {
                    // Same message id, this attempt's time and signature; the other headers stay.
                    for (name, value) in headers {
                        if let Some(slot) = request.headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(&name)) {
                            slot.1 = value;
                        }
                    }
                }
            }
            request
        };
        let at = SystemTime::now();
        let elapsed = plan.started.elapsed();
        let (result, latency) =
            http::post(&client, &plan.url, &request.headers, request.body, plan.timeout, http::ANSWER_LIMIT).await;
        let delivered = match &result {
            Ok(answer) => delivered(&plan, answer),
            Err(_) => false,
        };
        let abort = matches!(&result, Ok(a) if a.abort)
            && matches!(plan.provider, Provider::StandardWebhooks | Provider::Custom);
        let last = attempt == plan.attempts || delivered || abort;
        let wait = (!last).then(|| {
            Duration::try_from_secs_f64(plan.schedule.delays[attempt] as f64 * plan.time_scale).unwrap_or(Duration::MAX)
        });
        let (verdict, ended) = judge(&plan, &result, delivered);
        let note = match (&result, wait) {
            (_, Some(wait)) => format!("; retry in {}", schedule::human(wait.as_secs_f64())),
            (_, None) if abort && !delivered => {
                "; the receiver asked for no more retries (webhook-delivery: abort-message)".to_owned()
            }
            (_, None) if !delivered && matches!(plan.expect, Expect::Process) => {
                format!("; gave up after {attempt} attempt{}", if attempt == 1 { "" } else { "s" })
            }
            _ => String::new(),
        };
        report(&plan, copy, attempt, at, elapsed, latency, &result, &verdict, &note, wait);
        if last {
            return match ended {
                Ended::Failed(_) => Ended::Failed(attempt),
                ended => ended,
            };
        }
        if let Some(wait) = wait {
            tokio::time::sleep(wait).await;
        }
    }
    Ended::Failed(plan.attempts)
}

fn delivered(plan: &Plan, answer: &Answer) -> bool {
    if plan.schedule.only_200 {
        answer.status == 200
    } else {
        answer.is_2xx()
    }
}

/// What an answer means, in words, and how the copy ends if it is the last.
fn judge(plan: &Plan, result: &Result<Answer, NoAnswer>, delivered: bool) -> (String, Ended) {
    let answer = match result {
        Ok(answer) => answer,
        Err(why) => return (format!("failed: {}", why.describe()), Ended::Failed(0)),
    };
    let code = answer.field("error");
    let refused = (400..500).contains(&answer.status);
    match &plan.expect {
        Expect::Refuse(expected, why) => {
            if answer.is_2xx() {
                (
                    format!("ACCEPTED, but it should have been refused with {expected} ({why})!"),
                    Ended::Delivered { duplicate: false },
                )
            } else if refused {
                match code.as_deref() {
                    Some(c) if c == *expected => (format!("refused as expected: {c}"), Ended::Refused),
                    Some(c) => (format!("refused with {c} (expected {expected}: {why})"), Ended::Refused),
                    None => (format!("refused (expected {expected}: {why})"), Ended::Refused),
                }
            } else {
                (format!("failed: neither processed nor refused (expected {expected})"), Ended::Failed(0))
            }
        }
        Expect::Either { accepted, refused: refusal } => {
            if answer.is_2xx() {
                (accepted.clone(), Ended::Refused)
            } else if refused {
                let code = code.map(|c| format!(": {c}")).unwrap_or_default();
                (format!("{refusal}{code}"), Ended::Refused)
            } else {
                ("failed: neither processed nor refused".to_owned(), Ended::Failed(0))
            }
        }
        Expect::Process => {
            let status = answer.field("status");
            if delivered {
                let duplicate = status.as_deref() == Some("duplicate");
                let words = if duplicate { "duplicate: already processed" } else { "processed" };
                (words.to_owned(), Ended::Delivered { duplicate })
            } else if answer.is_2xx() {
                (format!("{} retries anything but 200", provider_title(plan.provider)), Ended::Failed(0))
            } else if code.as_deref() == Some("in_progress") {
                let after = answer.retry_after.as_deref().map(|s| format!(", Retry-After {s}")).unwrap_or_default();
                (format!("in progress in another worker{after}"), Ended::Failed(0))
            } else if code.as_deref() == Some("store_unavailable") {
                ("the receiver's dedupe store is unavailable".to_owned(), Ended::Failed(0))
            } else if let Some(code) = code.as_deref().filter(|_| refused) {
                let lost = if plan.provider == Provider::Baremeds {
                    " (Baremeds may not retry a 4xx: the event could be lost)"
                } else {
                    ""
                };
                (format!("refused: {code}{lost}"), Ended::Failed(0))
            } else if let Some(code) = code {
                (format!("failed: {code}"), Ended::Failed(0))
            } else {
                ("failed".to_owned(), Ended::Failed(0))
            }
        }
    }
}

fn provider_title(provider: Provider) -> &'static str {
    match provider {
        Provider::Elmed => "ELMED",
        Provider::Baremeds => "Baremeds",
        Provider::Novamed => "NovaMed",
        Provider::StandardWebhooks => "the sender",
        Provider::Custom => "the provider",
    }
}

#[allow(clippy::too_many_arguments)]
fn report(
    plan: &Plan,
    copy: usize,
    attempt: usize,
    at: SystemTime,
    elapsed: Duration,
    latency: Duration,
    result: &Result<Answer, NoAnswer>,
    verdict: &str,
    note: &str,
    wait: Option<Duration>,
) {
    if plan.json {
        let (status, answer, error) = match result {
            Ok(a) => (json!(a.status), json!(a.head(200)), Value::Null),
            Err(why) => (Value::Null, Value::Null, json!(why.describe())),
        };
        let line = json!({
            "copy": copy,
            "attempt": attempt,
            "of": plan.attempts,
            "at": http::timestamp(at),
            "elapsed_ms": http::millis(elapsed),
            "status": status,
            "latency_ms": http::millis(latency),
            "answer": answer,
            "error": error,
            "verdict": verdict,
            "retry_in_ms": wait.map(http::millis),
        });
        out!("{line}");
        return;
    }
    let who = if plan.copies > 1 { format!("copy {copy:>2} ") } else { String::new() };
    let status = match result {
        Ok(a) => format!("{} {}", a.status, a.reason),
        Err(NoAnswer::Timeout(_)) => "timeout".to_owned(),
        Err(NoAnswer::Failed(_)) => "no answer".to_owned(),
    };
    let head = match result {
        Ok(a) => format!("  {}", a.head(60)),
        Err(_) => String::new(),
    };
    out!(
        "{who}attempt {attempt}/{}  {} (+{:.2} s)  {status}  {:.0} ms{head}  → {verdict}{note}",
        plan.attempts,
        http::clock(at),
        elapsed.as_secs_f64(),
        latency.as_secs_f64() * 1000.0,
    );
}

/// The last line, and the exit code: 0 when the receiver did what it should (a genuine delivery delivered, and
/// processed at most once over every copy; a rehearsed refusal refused), 1 otherwise.
fn summary(plan: &Plan, ended: &[Ended], key: Option<&str>) -> u8 {
    let delivered = ended.iter().filter(|e| matches!(e, Ended::Delivered { .. })).count();
    let duplicates = ended.iter().filter(|e| matches!(e, Ended::Delivered { duplicate: true })).count();
    let processed = delivered - duplicates;
    let failed = ended.iter().filter(|e| matches!(e, Ended::Failed(_))).count();
    let say = |line: String| {
        if plan.json {
            note!("{line}");
        } else {
            out!("{line}");
        }
    };
    match &plan.expect {
        Expect::Refuse(..) => {
            let accepted = delivered > 0;
            say(if accepted {
                "FAILED: the receiver accepted a delivery it must refuse".to_owned()
            } else if failed > 0 {
                "FAILED: the receiver neither processed nor refused it".to_owned()
            } else {
                "ok: refused".to_owned()
            });
            u8::from(accepted || failed > 0)
        }
        Expect::Either { .. } => u8::from(failed > 0),
        Expect::Process if plan.copies == 1 => {
            if delivered == 1 {
                0
            } else {
                let made = ended.iter().map(|e| if let Ended::Failed(n) = e { *n } else { 0 }).max().unwrap_or(0);
                say(format!(
                    "not delivered: {} failed ({} marks the delivery failed)",
                    if made == 1 { "the attempt".to_owned() } else { format!("all {made} attempts") },
                    provider_title(plan.provider)
                ));
                1
            }
        }
        Expect::Process => {
            let key = key.unwrap_or("-");
            let mut line = format!(
                "{} copies of one delivery (key {key}): {processed} processed, {duplicates} duplicate{}",
                plan.copies,
                if duplicates == 1 { "" } else { "s" }
            );
            if failed > 0 {
                line.push_str(&format!(", {failed} not delivered"));
            }
            line.push_str(match processed {
                0 if failed == 0 => ": every copy a duplicate (processed before this run)",
                1 if failed == 0 => ": processed exactly once",
                0 | 1 => "",
                2 => ": processed twice!",
                _ => ": processed more than once!",
            });
            if processed > 2 {
                line.push_str(&format!(" ({processed} times)"));
            }
            say(line);
            u8::from(processed > 1 || failed > 0)
        }
    }
}
