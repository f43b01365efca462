//! `hookseal`: verify and sign webhook deliveries from the command line, and a demo of every preset.
//! The surface is ../shared/API.md's "CLI" section: exit 0 on success, 1 for a refused delivery, 2 for a
//! configuration or usage error, with `error: <code>: <message>` on stderr.

mod demo;
mod samples;

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Args, Parser, Subcommand};
use hookseal::{sign, ConfigError, Event, OptionValue, Options, SignOptions, Verifier, DEFAULT_MAX_BODY_BYTES};
use serde_json::{Map, Value};

#[derive(Parser)]
#[command(name = "hookseal", version, about = "Verify and sign healthcare webhook deliveries")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Verify a delivery: prints the verified event as one JSON object.
    Verify(VerifyArgs),
    /// Sign a body: prints the headers a real delivery carries, one `Name: value` a line.
    Sign(SignArgs),
    /// Sign and verify every provider's documented sample events, then show what is refused and why.
    Demo,
}

#[derive(Args)]
struct Common {
    /// The provider preset: elmed, baremeds, novamed, standard-webhooks, custom.
    #[arg(long, short = 'p')]
    provider: String,
    /// A secret or key; repeat for rotation (newest first). Also read from HOOKSEAL_SECRET.
    #[arg(long, short = 's', env = "HOOKSEAL_SECRET", hide_env_values = true)]
    secret: Vec<String>,
    /// custom: the scheme (hmac-sha256, shared-key, standard-webhooks).
    #[arg(long)]
    scheme: Option<String>,
    /// custom: the signature or key header.
    #[arg(long)]
    header: Option<String>,
    /// custom: the signature prefix (e.g. sha256=).
    #[arg(long)]
    prefix: Option<String>,
    /// custom: the signature encoding (hex, base64).
    #[arg(long)]
    encoding: Option<String>,
    /// The body file; `-` or nothing for standard input.
    body: Option<PathBuf>,
}

#[derive(Args)]
struct VerifyArgs {
    #[command(flatten)]
    common: Common,
    /// A header of the delivery, `Name: value`; repeatable. `@FILE` reads one header per line of FILE, as curl's
    /// `-H @file` does (for headers too long for a command line).
    #[arg(short = 'H', long = "header-line", value_name = "NAME: VALUE | @FILE")]
    headers: Vec<String>,
    /// novamed: the clinic every delivery must be for.
    #[arg(long)]
    clinic_id: Option<String>,
    /// baremeds: accept the provider's documented default key `xxx`.
    #[arg(long)]
    allow_insecure_default: bool,
    /// The replay window in seconds (0 = off; standard-webhooks defaults to 300).
    #[arg(long)]
    tolerance: Option<i64>,
    /// The body size limit in bytes (default 1 MiB).
    #[arg(long)]
    max_body_bytes: Option<i64>,
    /// Verify as if the time were this many seconds since the Unix epoch.
    #[arg(long)]
    now: Option<i64>,
    /// Print the event indented over several lines.
    #[arg(long)]
    pretty: bool,
}

#[derive(Args)]
struct SignArgs {
    #[command(flatten)]
    common: Common,
    /// standard-webhooks: the timestamp to sign with (default: now).
    #[arg(long)]
    now: Option<i64>,
    /// standard-webhooks: the message id (default: derived from the timestamp and body).
    #[arg(long)]
    webhook_id: Option<String>,
}

/// A failure and its exit code.
struct Failure {
    code: &'static str,
    message: String,
    exit: u8,
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure { code: e.code().as_str(), message: e.message().to_owned(), exit: 2 }
    }
}

/// Writing the result failed. A closed pipe (`hookseal demo | head`) is the reader's choice, not an error.
impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        let exit = if e.kind() == io::ErrorKind::BrokenPipe { 0 } else { 2 };
        Failure { code: "io", message: format!("cannot write the output: {e}"), exit }
    }
}

fn usage(message: impl Into<String>) -> Failure {
    Failure { code: "invalid_option", message: message.into(), exit: 2 }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => e.exit(),
        Err(e) => {
            // Usage errors are configuration errors: same `error: <code>: <message>` line, exit 2.
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or_default();
            eprintln!("error: invalid_option: {} (see hookseal --help)", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Verify(args) => verify(args),
        Command::Sign(args) => sign_command(args),
        Command::Demo => demo::run(&mut io::stdout().lock()).map_err(Failure::from),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) if f.exit == 0 => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}: {}", f.code, f.message);
            ExitCode::from(f.exit)
        }
    }
}

/// Reads the body, at most `limit + 1` bytes: enough for the core to refuse an oversize body with
/// `payload_too_large` without the command holding an unbounded input in memory.
fn read_body(path: &Option<PathBuf>, limit: u64) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    let read = match path {
        Some(p) if p.as_os_str() != "-" => std::fs::File::open(p)
            .and_then(|f| f.take(limit.saturating_add(1)).read_to_end(&mut body))
            .map_err(|e| usage(format!("cannot read {}: {e}", p.display()))),
        _ => io::stdin()
            .lock()
            .take(limit.saturating_add(1))
            .read_to_end(&mut body)
            .map_err(|e| usage(format!("cannot read standard input: {e}"))),
    };
    read.map(|_| body)
}

fn set(options: &mut Options, name: &str, value: Option<OptionValue>) -> Result<(), Failure> {
    match value {
        Some(value) => options.set(name, value).map_err(Failure::from),
        None => Ok(()),
    }
}

fn options_from(common: &Common) -> Result<Options, Failure> {
    let mut options = Options::new();
    let secrets = match common.secret.as_slice() {
        [] => None,
        [one] => Some(("secret", OptionValue::Str(one.clone()))),
        many => Some(("secrets", OptionValue::StrList(many.to_vec()))),
    };
    if let Some((name, value)) = secrets {
        set(&mut options, name, Some(value))?;
    }
    set(&mut options, "scheme", common.scheme.clone().map(OptionValue::Str))?;
    set(&mut options, "header", common.header.clone().map(OptionValue::Str))?;
    set(&mut options, "prefix", common.prefix.clone().map(OptionValue::Str))?;
    set(&mut options, "encoding", common.encoding.clone().map(OptionValue::Str))?;
    Ok(options)
}

fn verify(args: VerifyArgs) -> Result<(), Failure> {
    let mut options = options_from(&args.common)?;
    set(&mut options, "clinic_id", args.clinic_id.map(OptionValue::Str))?;
    set(&mut options, "allow_insecure_default", args.allow_insecure_default.then_some(OptionValue::Bool(true)))?;
    set(&mut options, "tolerance", args.tolerance.map(OptionValue::Int))?;
    set(&mut options, "max_body_bytes", args.max_body_bytes.map(OptionValue::Int))?;
    let verifier = Verifier::new(&args.common.provider, &options)?;

    // The line may hold a key: an error names its position, never its text.
    let mut headers = Vec::new();
    for (i, arg) in args.headers.iter().enumerate() {
        let pair = |line: &str, at: &dyn Fn() -> String| {
            line.split_once(':')
                .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
                .ok_or_else(|| usage(format!("{} must be written \"Name: value\"", at())))
        };
        match arg.strip_prefix('@') {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| usage(format!("-H number {}: cannot read {path}: {e}", i + 1)))?;
                for (n, line) in text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty()) {
                    headers.push(pair(line, &|| format!("line {} of {path}", n + 1))?);
                }
            }
            None => headers.push(pair(arg, &|| format!("-H number {}", i + 1))?),
        }
    }
    let limit = args.max_body_bytes.and_then(|n| u64::try_from(n).ok()).unwrap_or(DEFAULT_MAX_BODY_BYTES as u64);
    let body = read_body(&args.common.body, limit)?;
    let pairs = &headers;
    let result = match args.now {
        Some(now) => verifier.verify_at(&body, pairs, now),
        None => verifier.verify(&body, pairs),
    };
    let event = result.map_err(|e| Failure { code: e.code().as_str(), message: e.message().to_owned(), exit: 1 })?;
    let json = event_json(&event).map_err(|e| Failure { code: "invalid_json", message: e, exit: 1 })?;
    let text = if args.pretty { serde_json::to_string_pretty(&json) } else { serde_json::to_string(&json) };
    writeln!(io::stdout().lock(), "{}", text.unwrap_or_default())?;
    Ok(())
}

/// The event as JSON, keys in the contract's order and snake_case (as in Python); `data` and `metadata` keep the
/// provider's keys, key order and number spelling.
pub(crate) fn event_json(event: &Event<'_>) -> Result<Value, String> {
    // The core accepts ~200 levels of nesting; serde_json stops at 128 unless told otherwise.
    let raw = |text: &str| {
        let mut de = serde_json::Deserializer::from_str(text);
        de.disable_recursion_limit();
        serde::Deserialize::deserialize(&mut de).map_err(|e| format!("cannot re-read the payload: {e}"))
    };
    let mut out = Map::new();
    let opt = |s: Option<&str>| s.map_or(Value::Null, |s| Value::String(s.to_owned()));
    out.insert("provider".into(), event.provider().as_str().into());
    out.insert("event_type".into(), opt(event.event_type()));
    out.insert("idempotency_key".into(), event.idempotency_key().into());
    out.insert("idempotency_key_source".into(), event.idempotency_key_source().as_str().into());
    out.insert("timestamp".into(), opt(event.timestamp()));
    out.insert("data".into(), raw(&event.data().get())?);
    out.insert("is_test".into(), event.is_test().into());
    out.insert("is_retry".into(), event.is_retry().into());
    let metadata: Option<Value> = event.metadata().map(|m| raw(&m.get())).transpose()?;
    out.insert("metadata".into(), metadata.unwrap_or(Value::Null));
    out.insert("clinic_id".into(), opt(event.clinic_id()));
    Ok(Value::Object(out))
}

fn sign_command(args: SignArgs) -> Result<(), Failure> {
    let mut options = SignOptions::new(options_from(&args.common)?);
    if let Some(now) = args.now {
        options.set("now", OptionValue::Int(now))?;
    }
    if let Some(id) = args.webhook_id {
        options.set("webhook_id", OptionValue::Str(id))?;
    }
    let body = read_body(&args.common.body, u64::MAX - 1)?;
    let mut stdout = io::stdout().lock();
    for (name, value) in sign(&args.common.provider, &body, &options)? {
        writeln!(stdout, "{name}: {value}")?;
    }
    Ok(())
}
