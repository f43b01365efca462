//! `hookseal`: verify and sign webhook deliveries from the command line, and a demo of every preset.
//! The surface is docs/api.md's "CLI" section: exit 0 on success, 1 for a refused delivery, 2 for a configuration or
//! usage error (a bad option, a missing argument, an unreadable input), with `error: <code>: <message>` on stderr.

/// `println!` that never panics: a closed standard output (`hookseal listen | head -3`) is the reader's choice, and
/// a receiver goes on answering deliveries without it.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `eprintln!` that never panics.
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

mod catalog;
mod demo;
mod http;
mod listen;
mod replay;
mod samples;
mod schedule;
mod send;

use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use hookseal::{
    sign, ConfigError, ErrorCode, Event, OptionValue, Options, Provider, SignOptions, Verifier, DEFAULT_MAX_BODY_BYTES,
};
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
    #[command(arg_required_else_help = true)]
    Verify(VerifyArgs),
    /// Sign a body: prints the headers a real delivery carries, one `Name: value` a line.
    #[command(arg_required_else_help = true)]
    Sign(SignArgs),
    /// Sign and verify every provider's documented sample events, then show what is refused and why.
    Demo,
    /// Send a delivery signed as the provider signs it, on the provider's retry schedule; rehearse retries, copies at
    /// once, tampered, stale and wrongly signed deliveries.
    #[command(arg_required_else_help = true)]
    Send(send::SendArgs),
    /// Receive deliveries on this machine: verify each, print one line per delivery, forward them to an app, save them.
    #[command(arg_required_else_help = true)]
    Listen(listen::ListenArgs),
    /// Send saved deliveries (`listen --save`) again, byte for byte, or re-signed with --resign.
    #[command(arg_required_else_help = true)]
    Replay(replay::ReplayArgs),
}

/// Who signs and how: the preset, its secrets, and for `custom` the scheme. `verify`, `sign`, `send` and `listen`
/// share these flags.
#[derive(Args, Clone)]
pub(crate) struct Signing {
    /// The provider preset: elmed, baremeds, novamed, standard-webhooks, custom.
    #[arg(long, short = 'p')]
    pub(crate) provider: String,
    /// A secret or key; repeat for rotation (newest first). Also read from HOOKSEAL_SECRET.
    #[arg(long, short = 's', env = "HOOKSEAL_SECRET", hide_env_values = true)]
    pub(crate) secret: Vec<String>,
    /// custom: the scheme (hmac-sha256, shared-key, standard-webhooks).
    #[arg(long)]
    pub(crate) scheme: Option<String>,
    /// custom: the name of the signature or key header (a delivery's headers go in -H).
    #[arg(long, value_name = "NAME")]
    pub(crate) header: Option<String>,
    /// custom: the signature prefix (e.g. sha256=).
    #[arg(long)]
    pub(crate) prefix: Option<String>,
    /// custom: the signature encoding (hex, base64).
    #[arg(long)]
    pub(crate) encoding: Option<String>,
}

#[derive(Args)]
struct Common {
    #[command(flatten)]
    signing: Signing,
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
    #[arg(long, allow_negative_numbers = true)]
    tolerance: Option<i64>,
    /// The body size limit in bytes (default 1 MiB).
    #[arg(long, allow_negative_numbers = true)]
    max_body_bytes: Option<i64>,
    /// Verify as if the time were this many seconds since the Unix epoch.
    #[arg(long, allow_negative_numbers = true)]
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
    #[arg(long, allow_negative_numbers = true)]
    now: Option<i64>,
    /// standard-webhooks: the message id (default: derived from the timestamp and body).
    #[arg(long)]
    webhook_id: Option<String>,
}

/// A failure and its exit code.
pub(crate) struct Failure {
    code: &'static str,
    message: String,
    exit: u8,
}

/// Writing the result failed. A closed pipe (`hookseal demo | head`) is the reader's choice, not an error.
impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        let exit = if e.kind() == io::ErrorKind::BrokenPipe { 0 } else { 2 };
        Failure { code: "io", message: format!("cannot write the output: {}", os_text(&e)), exit }
    }
}

pub(crate) fn usage(message: impl Into<String>) -> Failure {
    Failure { code: "invalid_option", message: message.into(), exit: 2 }
}

/// An input that cannot be read (the body file, an `-H @FILE`) is its own error, not a bad option; exit 2.
pub(crate) fn unreadable(what: impl std::fmt::Display, e: &io::Error) -> Failure {
    Failure { code: "io", message: format!("cannot read {what}: {}", os_text(e)), exit: 2 }
}

/// The system's words for an I/O error (`No such file or directory`), without Rust's ` (os error 2)`.
pub(crate) fn os_text(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// Where the secrets came from, for the message of `invalid_secret`.
#[derive(Clone, Copy)]
pub(crate) enum SecretFrom {
    Nowhere,
    Flag,
    Env,
}

/// What the command line knows that the core's configuration messages cannot: the flags' names, the provider name
/// given, where the secret came from, what `--header` held.
pub(crate) struct Context<'a> {
    provider: &'a str,
    header: Option<&'a str>,
    secret_from: SecretFrom,
    /// Which command: `verify` and `send` take headers with `-H`; `sign` prints them; `listen` reads them.
    command: &'static str,
}

impl Context<'_> {
    /// A configuration error with the core's code (the contract) and a message in the command line's terms.
    pub(crate) fn config(&self, e: ConfigError) -> Failure {
        Failure { code: e.code().as_str(), message: self.message(e.code(), e.message()), exit: 2 }
    }

    fn message(&self, code: ErrorCode, message: &str) -> String {
        let worded = flag_words(message);
        match code {
            ErrorCode::UnknownProvider => unknown_provider(self.provider),
            ErrorCode::InvalidSecret => match self.secret_from {
                SecretFrom::Nowhere => format!("{message}: pass --secret, or set HOOKSEAL_SECRET"),
                SecretFrom::Flag => format!("{message} (given with --secret)"),
                SecretFrom::Env => format!("{message} (read from HOOKSEAL_SECRET, as no --secret was given)"),
            },
            // curl's habit: `--header 'X-ELMED-Signature: …'`. The value may hold a signature or a key: only a
            // header name is echoed.
            ErrorCode::InvalidOption
                if worded.starts_with("--header ") && self.header.is_some_and(|h| h.contains(':')) =>
            {
                let name = self.header.and_then(|h| h.split_once(':')).map(|(name, _)| name.trim()).unwrap_or_default();
                let shown = if is_token(name) { name } else { "Name" };
                let base = "--header is the custom preset's header name";
                match self.command {
                    "verify" => format!("{base}; a delivery's headers go in -H: -H '{shown}: ...'"),
                    "send" => format!("{base}, not a header line; send adds a header with -H: -H '{shown}: ...'"),
                    "listen" => format!("{base} (the one listen reads the signature or key from), not a header line"),
                    _ => format!("{base}, not a header line ({} prints the headers)", self.command),
                }
            }
            _ => worded,
        }
    }
}

/// An HTTP field name (RFC 9110 `token`).
fn is_token(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The core names options as the libraries spell them (`allow_insecure_default`, `option header ...`); the command
/// line's words are its flags (`--allow-insecure-default`, `--header ...`). Only option names are rewritten: a name
/// that is also an English word (header, scheme, now, ...) only where the message starts with it.
pub(crate) fn flag_words(message: &str) -> String {
    const LEADING: [&str; 6] = ["header", "scheme", "prefix", "encoding", "tolerance", "now"];
    const ANYWHERE: [&str; 4] = ["allow_insecure_default", "max_body_bytes", "clinic_id", "webhook_id"];
    let mut out = message.strip_prefix("option ").unwrap_or(message).replace("or set allow_", "or pass allow_");
    if LEADING.iter().any(|name| out.strip_prefix(name).is_some_and(|rest| rest.starts_with(' '))) {
        out.insert_str(0, "--");
    }
    for name in ANYWHERE {
        out = out.replace(name, &format!("--{}", name.replace('_', "-")));
    }
    out.replace("needs a scheme", "needs --scheme").replace("needs a header for", "needs --header for")
}

/// `unknown_provider`, naming what was given (the caller's text, bounded and escaped) and what exists.
fn unknown_provider(given: &str) -> String {
    let known: Vec<&str> = Provider::ALL.iter().map(|p| p.as_str()).collect();
    let shown: String = given.chars().take(64).collect();
    let guess = closest_provider(given).map(|name| format!("; did you mean {name}?")).unwrap_or_default();
    format!("no provider named {shown:?}{guess} (known: {})", known.join(", "))
}

/// The preset a mistyped name most likely meant: another spelling (`Standard_Webhooks`), a start (`nova`), one or
/// two letters off (`elmd`), or Svix, which sends Standard Webhooks.
fn closest_provider(given: &str) -> Option<&'static str> {
    let typed: String =
        given.trim().to_lowercase().chars().map(|c| if c == '_' || c == ' ' { '-' } else { c }).collect();
    if typed.is_empty() {
        return None;
    }
    if typed == "svix" || typed == "standardwebhooks" {
        return Some(Provider::StandardWebhooks.as_str());
    }
    let names = Provider::ALL.map(Provider::as_str);
    if let Some(name) = names.iter().find(|name| **name == typed || (typed.len() >= 3 && name.starts_with(&typed))) {
        return Some(name);
    }
    names.into_iter().filter(|name| edit_distance(name, &typed) <= 2).min_by_key(|name| edit_distance(name, &typed))
}

pub(crate) use hookseal::edit_distance;

fn main() -> ExitCode {
    let parsed = Cli::command().try_get_matches().and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, m)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return clap_outcome(e),
    };
    let secret_from = match matches.subcommand() {
        Some(("verify" | "sign" | "send" | "listen" | "replay", sub)) => secret_source(sub),
        _ => SecretFrom::Nowhere,
    };
    let done = |result: Result<(), Failure>| result.map(|()| 0);
    let result = match cli.command {
        Command::Verify(args) => done(verify(args, secret_from)),
        Command::Sign(args) => done(sign_command(args, secret_from)),
        Command::Demo => done(demo::run(&mut io::stdout().lock()).map_err(Failure::from)),
        Command::Send(args) => send::run(args, secret_from),
        Command::Listen(args) => listen::run(args, secret_from),
        Command::Replay(args) => replay::run(args, secret_from),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) if f.exit == 0 => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}: {}", f.code, f.message);
            ExitCode::from(f.exit)
        }
    }
}

fn secret_source(matches: &ArgMatches) -> SecretFrom {
    match matches.value_source("secret") {
        Some(ValueSource::EnvVariable) => SecretFrom::Env,
        Some(_) => SecretFrom::Flag,
        None => SecretFrom::Nowhere,
    }
}

/// What clap decided before the command ran:
/// - `--help`, `--version`: printed, exit 0;
/// - a bare `hookseal` (or `hookseal verify`, `hookseal sign`): its help on stdout, as git, cargo and npm print
///   theirs, and exit 2, the contract's usage-error status: nothing was done, so a script must not read success;
/// - any other usage error: clap's whole message (what is missing or wrong, the usage line, the pointer to
///   `--help`), its first line in the contract's `error: invalid_option: <message>` form, exit 2.
fn clap_outcome(e: clap::Error) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => e.exit(),
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let help = e.render();
            let colour = io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let text = if colour { help.ansi().to_string() } else { help.to_string() };
            let _ = write!(io::stdout().lock(), "{text}");
            ExitCode::from(2)
        }
        _ => {
            let rendered = e.render().to_string();
            let text = rendered.trim_end();
            eprintln!("error: invalid_option: {}", text.strip_prefix("error: ").unwrap_or(text));
            ExitCode::from(2)
        }
    }
}

/// Reads the body, at most `limit + 1` bytes: enough for the core to refuse an oversize body with
/// `payload_too_large` without the command holding an unbounded input in memory.
pub(crate) fn read_body(path: &Option<PathBuf>, limit: u64) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    let read = match path {
        Some(p) if p.as_os_str() != "-" => std::fs::File::open(p)
            .and_then(|f| f.take(limit.saturating_add(1)).read_to_end(&mut body))
            .map_err(|e| unreadable(p.display(), &e)),
        _ => io::stdin()
            .lock()
            .take(limit.saturating_add(1))
            .read_to_end(&mut body)
            .map_err(|e| unreadable("standard input", &e)),
    };
    read.map(|_| body)
}

fn set(options: &mut Options, name: &str, value: Option<OptionValue>) -> Result<(), ConfigError> {
    match value {
        Some(value) => options.set(name, value),
        None => Ok(()),
    }
}

pub(crate) fn options_from(common: &Signing) -> Result<Options, ConfigError> {
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

pub(crate) fn context<'a>(common: &'a Signing, secret_from: SecretFrom, command: &'static str) -> Context<'a> {
    Context { provider: &common.provider, header: common.header.as_deref(), secret_from, command }
}

fn verifier_for(args: &VerifyArgs) -> Result<Verifier, ConfigError> {
    let mut options = options_from(&args.common.signing)?;
    set(&mut options, "clinic_id", args.clinic_id.clone().map(OptionValue::Str))?;
    set(&mut options, "allow_insecure_default", args.allow_insecure_default.then_some(OptionValue::Bool(true)))?;
    set(&mut options, "tolerance", args.tolerance.map(OptionValue::Int))?;
    set(&mut options, "max_body_bytes", args.max_body_bytes.map(OptionValue::Int))?;
    Verifier::new(&args.common.signing.provider, &options)
}

fn verify(args: VerifyArgs, secret_from: SecretFrom) -> Result<(), Failure> {
    let verifier = verifier_for(&args).map_err(|e| context(&args.common.signing, secret_from, "verify").config(e))?;

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
                    .map_err(|e| unreadable(format_args!("{path} (-H number {})", i + 1), &e))?;
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

fn sign_options(args: &SignArgs) -> Result<SignOptions, ConfigError> {
    let mut options = SignOptions::new(options_from(&args.common.signing)?);
    if let Some(now) = args.now {
        options.set("now", OptionValue::Int(now))?;
    }
    if let Some(id) = &args.webhook_id {
        options.set("webhook_id", OptionValue::Str(id.clone()))?;
    }
    Ok(options)
}

fn sign_command(args: SignArgs, secret_from: SecretFrom) -> Result<(), Failure> {
    let context = context(&args.common.signing, secret_from, "sign");
    let options = sign_options(&args).map_err(|e| context.config(e))?;
    let body = read_body(&args.common.body, u64::MAX - 1)?;
    let headers = sign(&args.common.signing.provider, &body, &options).map_err(|e| context.config(e))?;
    let mut stdout = io::stdout().lock();
    for (name, value) in headers {
        writeln!(stdout, "{name}: {value}")?;
    }
    Ok(())
}
