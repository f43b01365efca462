//! `hookseal replay`: deliveries saved by `listen --save`, sent again byte for byte (the body, and every header but
//! the connection's own), or with `--resign` signed afresh, as the provider would sign them now.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use clap::Args;
use hookseal::{sign, Provider, SignOptions};
use serde_json::{json, Value};

use crate::http::{self, Answer, NoAnswer};
use crate::{schedule, Failure, Signing};

#[derive(Args)]
pub struct ReplayArgs {
    /// The saved deliveries (files written by `hookseal listen --save`), then the receiver's URL.
    #[arg(value_name = "FILE... URL", num_args = 2.., required = true)]
    items: Vec<String>,
    /// Sign each delivery afresh before sending it (Standard Webhooks: a new timestamp and signature, the same
    /// message id; the original would be outside the receiver's window). Needs --secret.
    #[arg(long)]
    resign: bool,
    /// The secret to sign with, for --resign. Also read from HOOKSEAL_SECRET.
    #[arg(long, short = 's', env = "HOOKSEAL_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// Wait this long for each answer (default: the provider's deadline).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// One JSON object per delivery on standard output, instead of a line.
    #[arg(long)]
    json: bool,
}

/// A delivery as `listen --save` wrote it.
struct Saved {
    provider: Provider,
    config: Value,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    verdict: String,
}

pub fn run(args: ReplayArgs, _secret_from: crate::SecretFrom) -> Result<u8, Failure> {
    let Some((url, files)) = args.items.split_last() else {
        return Err(crate::usage("replay needs one or more saved files and the receiver's URL"));
    };
    let url =
        http::parse_url(url).map_err(|e| crate::usage(format!("{e} (the last argument is the receiver's URL)")))?;
    if args.resign && args.secret.as_deref().is_none_or(str::is_empty) {
        return Err(Failure {
            code: "invalid_secret",
            message: "--resign needs the secret to sign with: pass --secret, or set HOOKSEAL_SECRET".to_owned(),
            exit: 2,
        });
    }
    if args.timeout.is_some_and(|t| !(t.is_finite() && t > 0.0 && t < 86_400.0)) {
        return Err(crate::usage("--timeout must be a number of seconds above 0"));
    }
    // Every file is read, and every re-signature made, before anything is sent: a bad file sends nothing.
    let mut requests = Vec::new();
    for file in files {
        let path = PathBuf::from(file);
        let saved = read(&path)?;
        let headers = if args.resign {
            resign(&saved, args.secret.as_deref().unwrap_or_default(), &path)?
        } else {
            saved.headers.clone()
        };
        let headers = crate::listen::relayed_headers(&headers);
        requests.push((path, saved, headers));
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| Failure {
        code: "io",
        message: format!("cannot start: {e}"),
        exit: 2,
    })?;
    let client = http::client().map_err(|message| Failure { code: "io", message, exit: 2 })?;
    let mut all_2xx = true;
    runtime.block_on(async {
        for (path, saved, headers) in requests {
            let timeout = args.timeout.map_or(schedule::of(saved.provider).timeout, Duration::from_secs_f64);
            let (result, latency) =
                http::post(&client, &url, &headers, Bytes::from(saved.body.clone()), timeout, http::ANSWER_LIMIT).await;
            all_2xx &= matches!(&result, Ok(a) if a.is_2xx());
            report(&args, &path, &saved, &result, latency);
        }
    });
    Ok(u8::from(!all_2xx))
}

fn bad_file(path: &Path, why: impl std::fmt::Display) -> Failure {
    Failure {
        code: "invalid_option",
        message: format!("{} is not a delivery saved by hookseal listen --save: {why}", path.display()),
        exit: 2,
    }
}

fn read(path: &Path) -> Result<Saved, Failure> {
    let text = std::fs::read(path).map_err(|e| crate::unreadable(path.display(), &e))?;
    let value: Value = serde_json::from_slice(&text).map_err(|e| bad_file(path, e))?;
    if value.get("hookseal_delivery") != Some(&json!(1)) {
        return Err(bad_file(path, "no \"hookseal_delivery\": 1"));
    }
    let provider: Provider = value
        .get("provider")
        .and_then(Value::as_str)
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| bad_file(path, "no known \"provider\""))?;
    let headers = value
        .get("headers")
        .and_then(Value::as_array)
        .ok_or_else(|| bad_file(path, "no \"headers\" list"))?
        .iter()
        .map(|pair| match pair.as_array().map(Vec::as_slice) {
            Some([Value::String(name), Value::String(value)]) => Ok((name.clone(), value.clone())),
            _ => Err(bad_file(path, "a header is not a [name, value] pair")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let body = value
        .get("body_base64")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_file(path, "no \"body_base64\""))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).map_err(|e| bad_file(path, e)))?;
    Ok(Saved {
        provider,
        config: value.get("config").cloned().unwrap_or(Value::Null),
        headers,
        body,
        verdict: value.get("verdict").and_then(Value::as_str).unwrap_or("unknown").to_owned(),
    })
}

/// The saved headers with the provider's signing headers made afresh: Standard Webhooks keeps the message id (and
/// the `svix-` names when those were sent), so a receiver still sees a retry of one message.
fn resign(saved: &Saved, secret: &str, path: &Path) -> Result<Vec<(String, String)>, Failure> {
    let text = |name: &str| saved.config.get(name).and_then(Value::as_str).map(str::to_owned);
    let signing = Signing {
        provider: saved.provider.as_str().to_owned(),
        secret: vec![secret.to_owned()],
        scheme: text("scheme"),
        header: text("header"),
        prefix: text("prefix"),
        encoding: text("encoding"),
    };
    let context = crate::context(&signing, crate::SecretFrom::Flag, "replay");
    let mut options = SignOptions::new(crate::options_from(&signing).map_err(|e| context.config(e))?);
    let find = |name: &str| saved.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
    let svix = find("webhook-signature").is_none() && find("svix-signature").is_some();
    let id = find("webhook-id").or_else(|| find("svix-id"));
    let scheme = schedule::scheme_of(saved.provider, text("scheme").as_deref());
    if scheme == hookseal::Scheme::StandardWebhooks {
        options.now = Some(http::unix_now());
        options.webhook_id = id;
    }
    let signed = sign(saved.provider.as_str(), &saved.body, &options).map_err(|e| context.config(e))?;
    let mut headers = saved.headers.clone();
    for (name, value) in signed {
        let name = match name.strip_prefix("webhook-") {
            Some(rest) if svix => format!("svix-{rest}"),
            _ => name,
        };
        match headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            Some(slot) => slot.1 = value,
            None => headers.push((name, value)),
        }
    }
    if headers.is_empty() {
        return Err(bad_file(path, "no headers to sign"));
    }
    Ok(headers)
}

/// What an answer says, in the words `listen --save` records: `verified` for a 2xx, else the refusal's code.
fn answer_verdict(answer: &Answer) -> String {
    if answer.is_2xx() {
        match answer.field("status").as_deref() {
            Some("duplicate") => "duplicate".to_owned(),
            _ => "verified".to_owned(),
        }
    } else {
        answer.field("error").unwrap_or_else(|| format!("HTTP {}", answer.status))
    }
}

fn report(args: &ReplayArgs, path: &Path, saved: &Saved, result: &Result<Answer, NoAnswer>, latency: Duration) {
    let verdict = match result {
        Ok(answer) => answer_verdict(answer),
        Err(why) => why.describe(),
    };
    // Verified and duplicate are one verdict (genuine, accepted): a replay to the receiver that saw the original is
    // a duplicate there, which is what it should be.
    let accepted = |v: &str| v == "verified" || v == "duplicate";
    let same = verdict == saved.verdict || (accepted(&verdict) && accepted(&saved.verdict));
    if args.json {
        let (status, head) = match result {
            Ok(a) => (json!(a.status), json!(a.head(200))),
            Err(_) => (Value::Null, Value::Null),
        };
        let line = json!({
            "file": path.display().to_string(),
            "resigned": args.resign,
            "status": status,
            "latency_ms": http::millis(latency),
            "answer": head,
            "verdict": verdict,
            "saved_verdict": saved.verdict,
            "same_verdict": same,
        });
        out!("{line}");
        return;
    }
    let status = match result {
        Ok(a) => format!("{} {}  {}", a.status, a.reason, a.head(60)),
        Err(why) => why.describe(),
    };
    let comparison = match (same, verdict == saved.verdict) {
        (true, true) => format!("same verdict as when saved: {verdict}"),
        (true, false) => format!("same verdict as when saved: {} (answered {verdict} now)", saved.verdict),
        (false, _) => format!("saved as {}, now {verdict}", saved.verdict),
    };
    out!(
        "{}{}: {status}  {:.0} ms  → {comparison}",
        path.display(),
        if args.resign { " (re-signed)" } else { "" },
        latency.as_secs_f64() * 1000.0
    );
}
