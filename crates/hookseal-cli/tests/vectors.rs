//! Every conformance vector of `tests/vectors/` through the `hookseal` command: same verdict, same error code, same
//! event fields as the library. Cases whose options a command line cannot express (a value of the wrong type, an
//! unknown option name, `secret` together with `secrets`) are counted and must be configuration-error cases.

#[path = "../../hookseal/tests/support/vectors.rs"]
mod vectors;

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;
use vectors::{load_all, parse_deep, Case, Expect};

/// The command-line flags for a case's options, or None when flags cannot express them.
fn flags(case: &Case) -> Option<Vec<String>> {
    let mut out = Vec::new();
    if case.options.contains_key("secret") && case.options.contains_key("secrets") {
        return None;
    }
    for (name, value) in &case.options {
        let flag = format!("--{}", name.replace('_', "-"));
        match (name.as_str(), value) {
            (_, Value::Null) => {}
            ("secret", Value::String(s)) => out.extend(["--secret".to_owned(), s.clone()]),
            ("secrets", Value::Array(items)) => {
                for item in items {
                    out.extend(["--secret".to_owned(), item.as_str()?.to_owned()]);
                }
            }
            ("allow_insecure_default", Value::Bool(true)) => out.push(flag),
            ("allow_insecure_default", Value::Bool(false)) => {}
            ("clinic_id" | "scheme" | "header" | "prefix" | "encoding", Value::String(s)) => {
                out.extend([flag, s.clone()])
            }
            ("tolerance" | "max_body_bytes", Value::Number(n)) if n.is_i64() => out.push(format!("{flag}={n}")),
            _ => return None,
        }
    }
    Some(out)
}

/// A file removed when dropped.
struct Removed(std::path::PathBuf);

impl Drop for Removed {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn run(case: &Case, flags: Vec<String>) -> Result<(), String> {
    let mut args = vec!["verify".to_owned(), "--provider".to_owned(), case.provider.clone()];
    args.extend(flags);
    // Linux caps one argument at 128 KiB: a case with longer headers passes them all as a file (`-H @file`).
    let lines: Vec<String> = case.headers.iter().map(|(name, value)| format!("{name}: {value}")).collect();
    let _file;
    if lines.iter().any(|line| line.len() > 64 * 1024) {
        let path = std::env::temp_dir().join(format!("hookseal-cli-headers-{}-{}", std::process::id(), case.name));
        std::fs::write(&path, lines.join("\n")).map_err(|e| e.to_string())?;
        args.extend(["-H".to_owned(), format!("@{}", path.display())]);
        _file = Removed(path);
    } else {
        for line in lines {
            args.extend(["-H".to_owned(), line]);
        }
    }
    if let Some(now) = case.now {
        args.extend(["--now".to_owned(), now.to_string()]);
    }
    args.push("-".to_owned());
    let mut child = Command::new(env!("CARGO_BIN_EXE_hookseal"))
        .args(&args)
        .env_remove("HOOKSEAL_SECRET")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let body = case.body();
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    // A refused oversize body may close stdin early: a broken pipe is not a failure of the case.
    let _ = stdin.write_all(&body);
    drop(stdin);
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    match (&case.expect, out.status.code()) {
        (Expect::Event(_), Some(0)) => {
            let got: Value = parse_deep(&String::from_utf8_lossy(&out.stdout)).map_err(|e| e.to_string())?;
            case.check_event(&got)
        }
        (Expect::Error(code), Some(1)) | (Expect::ConfigError(code), Some(2))
            if stderr.starts_with(&format!("error: {code}: ")) =>
        {
            Ok(())
        }
        (_, status) => Err(format!("exit {status:?}, stderr {stderr:?}")),
    }
}

#[test]
fn every_vector_passes_through_the_cli() {
    let cases = load_all();
    let mut inexpressible = 0;
    let mut failures = Vec::new();
    for (file, case) in &cases {
        match flags(case) {
            Some(flags) => {
                if let Err(why) = run(case, flags) {
                    failures.push(format!("{file} :: {}: {why}", case.name));
                }
            }
            None => {
                assert!(
                    matches!(case.expect, Expect::ConfigError(_)),
                    "{}: only configuration-error cases may be inexpressible as flags",
                    case.name
                );
                inexpressible += 1;
            }
        }
    }
    assert!(failures.is_empty(), "{} vectors failed through the CLI:\n{}", failures.len(), failures.join("\n"));
    assert!(inexpressible * 10 < cases.len(), "too many cases ({inexpressible}) cannot be run through the CLI");
    println!(
        "{} vectors passed through the CLI ({inexpressible} typed-option cases are library-only)",
        cases.len() - inexpressible
    );
}
