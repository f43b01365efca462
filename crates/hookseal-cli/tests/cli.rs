//! The `hookseal` command as docs/api.md ("CLI") describes it: real processes, real exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const ELMED_BODY: &str = r#"{"event":"prescription.issued","timestamp":"2026-03-29T10:45:00","data":{"prescription_id":42,"amount":850.00}}"#;

fn hookseal(args: &[&str], stdin: &[u8]) -> Output {
    hookseal_with(args, stdin, None)
}

/// `hookseal` with HOOKSEAL_SECRET set to `secret` (None: unset), colours off.
fn hookseal_with(args: &[&str], stdin: &[u8], secret: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hookseal"));
    command.args(args).env_remove("HOOKSEAL_SECRET").env("NO_COLOR", "1");
    if let Some(secret) = secret {
        command.env("HOOKSEAL_SECRET", secret);
    }
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("hookseal runs");
    // A command that fails before reading its input closes the pipe: that is not a failure of the write.
    let _ = child.stdin.take().expect("stdin").write_all(stdin);
    child.wait_with_output().expect("hookseal exits")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn signed_headers(provider: &str, secret: &str, body: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["sign", "--provider", provider, "--secret", secret];
    args.extend_from_slice(extra);
    let out = hookseal(&args, body.as_bytes());
    assert!(out.status.success(), "sign failed: {}", text(&out.stderr));
    text(&out.stdout).lines().map(str::to_owned).collect()
}

fn verify(provider: &str, secrets: &[&str], headers: &[String], body: &str, extra: &[&str]) -> Output {
    let mut args = vec!["verify".to_owned(), "--provider".into(), provider.into()];
    for s in secrets {
        args.extend(["--secret".to_owned(), (*s).to_owned()]);
    }
    for h in headers {
        args.extend(["-H".to_owned(), h.clone()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    hookseal(&refs, body.as_bytes())
}

#[test]
fn sign_then_verify_prints_the_event_as_one_json_object() {
    let headers = signed_headers("elmed", "s3cret", ELMED_BODY, &[]);
    assert!(headers.iter().any(|h| h.starts_with("X-ELMED-Signature: sha256=")), "{headers:?}");
    assert!(headers.contains(&"X-ELMED-Event: prescription.issued".to_owned()));
    let out = verify("elmed", &["s3cret"], &headers, ELMED_BODY, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1);
    let expected_start = r#"{"provider":"elmed","event_type":"prescription.issued","idempotency_key":"sha256:"#;
    assert!(stdout.starts_with(expected_start), "{stdout}");
    // data keeps the provider's keys and number spelling
    assert!(stdout.contains(r#""data":{"prescription_id":42,"amount":850.00}"#), "{stdout}");
    assert!(stdout.contains(r#""idempotency_key_source":"body_sha256","timestamp":"2026-03-29T10:45:00""#));
    assert!(stdout.trim_end().ends_with(r#""is_test":false,"is_retry":false,"metadata":null,"clinic_id":null}"#));
}

#[test]
fn a_refused_delivery_exits_1_with_the_code_on_stderr() {
    let headers = signed_headers("elmed", "s3cret", ELMED_BODY, &[]);
    let tampered = ELMED_BODY.replace("42", "43");
    let out = verify("elmed", &["s3cret"], &headers, &tampered, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("error: signature_mismatch: "), "{stderr}");
    assert!(!stderr.contains("s3cret"));

    let out = verify("elmed", &["s3cret"], &[], ELMED_BODY, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("error: missing_header: "));
}

#[test]
fn configuration_errors_exit_2() {
    let out = verify("stripe", &["x"], &[], "{}", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error: unknown_provider: "));

    let out = verify("baremeds", &["xxx"], &[], "{}", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error: insecure_default_key: "));

    let out = verify("elmed", &[], &[], "{}", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error: invalid_secret: "));

    let out = verify("elmed", &["x"], &["X-Webhook-Key bm_live_S3cr3t".to_owned()], "{}", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error: invalid_option: -H number 1 "), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("S3cr3t"), "the malformed line (which may hold a key) was echoed");

    let out = verify("elmed", &["x"], &[], "{}", &["--clinic-id", "c1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error: invalid_option: "));
}

#[test]
fn rotation_novamed_options_and_body_file() {
    let body = r#"{"event_type":"order:shipped","event_id":"evt_1","clinic_id":"c-1","data":{}}"#;
    let old = signed_headers("novamed", "old-key", body, &[]);
    let out = verify("novamed", &["new-key", "old-key"], &old, body, &["--clinic-id", "c-1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(r#""idempotency_key":"evt_1","idempotency_key_source":"event_id""#));

    let out = verify("novamed", &["new-key"], &old, body, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("error: key_mismatch: "));

    let path = std::env::temp_dir().join(format!("hookseal-cli-test-{}.json", std::process::id()));
    std::fs::write(&path, body).unwrap();
    let out = verify("novamed", &["old-key"], &old, "", &[path.to_str().unwrap(), "--clinic-id", "c-2"]);
    std::fs::remove_file(&path).ok();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("error: clinic_mismatch: "));
}

#[test]
fn standard_webhooks_with_now_and_tolerance() {
    let body = r#"{"test": 2432232314}"#;
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let headers = signed_headers(
        "standard-webhooks",
        secret,
        body,
        &["--now", "1614265330", "--webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"],
    );
    assert!(headers.contains(&"webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".to_owned()));
    let out = verify("standard-webhooks", &[secret], &headers, body, &["--now", "1614265330"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = verify("standard-webhooks", &[secret], &headers, body, &["--now", "1614269999"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("error: timestamp_out_of_tolerance: "));
    let out = verify("standard-webhooks", &[secret], &headers, body, &["--now", "1614269999", "--tolerance", "0"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn custom_scheme_from_the_command_line() {
    let body = r#"{"type":"pharmacy_order_created","id":"n1"}"#;
    let flags = ["--scheme", "hmac-sha256", "--header", "X-Sig", "--prefix", "v1=", "--encoding", "base64"];
    let headers = signed_headers("custom", "k", body, &flags);
    assert!(headers.iter().any(|h| h.starts_with("X-Sig: v1=")), "{headers:?}");
    let out = verify("custom", &["k"], &headers, body, &flags);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn demo_shows_every_preset_and_every_refusal() {
    let out = hookseal(&["demo"], b"");
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    for needle in [
        "elmed",
        "baremeds",
        "novamed",
        "standard-webhooks",
        "custom",
        "signature_mismatch",
        "key_mismatch",
        "timestamp_out_of_tolerance",
        "clinic_mismatch",
        "duplicate: skip",
        "insecure_default_key",
    ] {
        assert!(stdout.contains(needle), "demo output lacks {needle}");
    }
    assert!(!stdout.contains("elmed_whsec_7f3a9c"), "the demo printed a secret");
}

#[test]
fn a_closed_output_pipe_is_not_a_crash() {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_hookseal"))
        .arg("demo")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hookseal runs");
    let mut first = [0u8; 16];
    child.stdout.take().expect("stdout").read_exact(&mut first).expect("some output");
    // stdout is closed here, like `hookseal demo | head -c 16`
    let out = child.wait_with_output().expect("hookseal exits");
    assert_eq!(out.status.code(), Some(0));
    assert!(!text(&out.stderr).contains("panicked"), "{}", text(&out.stderr));
}

/// A usage error's stderr, and checks that it is one: exit 2, nothing on stdout, the contract's first line.
fn usage_error(out: &Output) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert!(stderr.starts_with("error: invalid_option: "), "{stderr}");
    stderr
}

/// The one line a configuration error prints (exit 2, nothing on stdout).
fn config_error(out: &Output) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr.trim_end().to_owned()
}

#[test]
fn a_usage_error_prints_all_of_clap_s_message() {
    // The missing argument used to be cut off: only clap's first line was kept.
    let stderr = usage_error(&hookseal(&["verify", "-s", "s3cret", "good.json"], b""));
    assert!(stderr.starts_with("error: invalid_option: the following required arguments were not provided:\n"));
    assert!(stderr.contains("\n  --provider <PROVIDER>\n"), "{stderr}");
    assert!(stderr.contains("\nUsage: hookseal verify "), "{stderr}");
    assert!(stderr.trim_end().ends_with("For more information, try '--help'."), "{stderr}");
    assert!(!stderr.contains("\x1b["), "colour codes with NO_COLOR: {stderr:?}");

    let stderr = usage_error(&hookseal(&["verify", "-p", "elmed", "-s", "k", "--bogus"], b""));
    assert!(stderr.starts_with("error: invalid_option: unexpected argument '--bogus' found\n"), "{stderr}");
    assert!(stderr.contains("\nUsage: hookseal verify "), "{stderr}");

    let stderr = usage_error(&hookseal(&["verify", "-p", "elmed", "-s", "k", "--tolerance", "soon"], b""));
    assert!(stderr.starts_with("error: invalid_option: invalid value 'soon' for '--tolerance <TOLERANCE>'"));

    let stderr = usage_error(&hookseal(&["frobnicate"], b""));
    assert!(stderr.starts_with("error: invalid_option: unrecognized subcommand 'frobnicate'\n"), "{stderr}");
}

#[test]
fn a_bare_command_prints_its_help_and_exits_2() {
    let out = hookseal(&[], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Usage: hookseal <COMMAND>"), "{stdout}");
    for command in ["verify", "sign", "demo"] {
        assert!(stdout.contains(&format!("\n  {command} ")), "help lacks {command}: {stdout}");
    }

    for command in ["verify", "sign"] {
        let out = hookseal(&[command], b"");
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(stdout.contains(&format!("Usage: hookseal {command} ")), "{stdout}");
        assert!(stdout.contains("--provider <PROVIDER>"), "{stdout}");
    }

    // Asked for, help is a success.
    let out = hookseal(&["--help"], b"");
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("Usage: hookseal <COMMAND>"));
}

#[test]
fn a_header_line_given_to_header_points_to_dash_h() {
    // curl's habit: --header 'Name: value'. --header is the custom preset's header NAME; -H is a delivery header.
    let line = "X-ELMED-Signature: sha256=0123deadbeef";
    let expected = "error: invalid_option: --header is the custom preset's header name; a delivery's headers go in \
                    -H: -H 'X-ELMED-Signature: ...'";
    let out = verify("elmed", &["s3cret"], &[], ELMED_BODY, &["--header", line]);
    assert_eq!(config_error(&out), expected);
    assert!(!text(&out.stderr).contains("deadbeef"), "the header's value (a signature or key) was echoed");

    // custom, whose --header must be a name, says the same.
    let out = verify("custom", &["k"], &[], "{}", &["--scheme", "shared-key", "--header", "X-Partner-Key: k"]);
    assert_eq!(
        config_error(&out),
        "error: invalid_option: --header is the custom preset's header name; a delivery's headers go in -H: \
         -H 'X-Partner-Key: ...'"
    );

    // sign has no -H: it prints the headers.
    let out = hookseal(&["sign", "-p", "elmed", "-s", "s3cret", "--header", line, "-"], ELMED_BODY.as_bytes());
    assert_eq!(
        config_error(&out),
        "error: invalid_option: --header is the custom preset's header name, not a header line (sign prints the \
         headers)"
    );

    // A header name outside custom: the flag, as the command line spells it.
    let out = verify("elmed", &["s3cret"], &[], ELMED_BODY, &["--header", "X-ELMED-Signature"]);
    assert_eq!(config_error(&out), "error: invalid_option: --header applies only to the custom preset");
}

#[test]
fn configuration_messages_name_the_command_line_s_flags() {
    let out = verify("baremeds", &["xxx"], &[], "{}", &[]);
    assert_eq!(
        config_error(&out),
        "error: insecure_default_key: the key is Baremeds' documented default; configure a unique key (or pass \
         --allow-insecure-default)"
    );
    let out = verify("baremeds", &["xxx"], &["X-Webhook-Key: xxx".to_owned()], "{}", &["--allow-insecure-default"]);
    assert_ne!(out.status.code(), Some(2), "{}", text(&out.stderr));

    let cases: [(&str, &[&str], &str); 6] = [
        ("elmed", &["--allow-insecure-default"], "--allow-insecure-default applies only to the baremeds preset"),
        ("elmed", &["--clinic-id", "c1"], "--clinic-id applies only to the novamed preset"),
        ("novamed", &["--clinic-id", " "], "--clinic-id must not be empty"),
        ("elmed", &["--tolerance", "-1"], "--tolerance must be a non-negative number of seconds"),
        ("custom", &[], "the custom preset needs --scheme"),
        ("custom", &["--scheme", "shared-key"], "the custom preset needs --header for this scheme"),
    ];
    for (provider, flags, message) in cases {
        let out = verify(provider, &["k"], &[], "{}", flags);
        assert_eq!(config_error(&out), format!("error: invalid_option: {message}"), "{provider} {flags:?}");
    }
    let out = hookseal(&["sign", "-p", "elmed", "-s", "k", "--now", "5", "-"], b"{}");
    assert_eq!(
        config_error(&out),
        "error: invalid_option: --now and --webhook-id apply only to the standard-webhooks scheme"
    );
}

#[test]
fn unknown_provider_repeats_the_name_given() {
    let known = "(known: elmed, baremeds, novamed, standard-webhooks, custom)";
    let out = verify("elmd", &["k"], &[], "{}", &[]);
    assert_eq!(
        config_error(&out),
        format!("error: unknown_provider: no provider named \"elmd\"; did you mean elmed? {known}")
    );
    let out = verify("svix", &["k"], &[], "{}", &[]);
    assert!(config_error(&out).contains("\"svix\"; did you mean standard-webhooks?"));
    let out = verify("Standard_Webhooks", &["k"], &[], "{}", &[]);
    assert!(config_error(&out).contains("did you mean standard-webhooks?"));
    let out = verify("stripe", &["k"], &[], "{}", &[]);
    assert_eq!(config_error(&out), format!("error: unknown_provider: no provider named \"stripe\" {known}"));
    // The caller's text is escaped: one line, whatever was typed.
    let out = verify("el\nmed\"", &["k"], &[], "{}", &[]);
    assert!(config_error(&out).starts_with(r#"error: unknown_provider: no provider named "el\nmed\"""#));
    // sign says the same.
    let out = hookseal(&["sign", "-p", "elmd", "-s", "k", "-"], b"{}");
    assert!(config_error(&out).starts_with("error: unknown_provider: no provider named \"elmd\"; did you mean elmed?"));
}

#[test]
fn invalid_secret_says_where_the_secret_comes_from() {
    let out = verify("elmed", &[], &[], "{}", &[]);
    assert_eq!(config_error(&out), "error: invalid_secret: no secret given: pass --secret, or set HOOKSEAL_SECRET");
    let out = verify("elmed", &[""], &[], "{}", &[]);
    assert_eq!(config_error(&out), "error: invalid_secret: a secret is empty (given with --secret)");
    let out = hookseal_with(&["verify", "-p", "elmed", "-"], b"{}", Some(""));
    assert_eq!(
        config_error(&out),
        "error: invalid_secret: a secret is empty (read from HOOKSEAL_SECRET, as no --secret was given)"
    );
    let out = hookseal_with(&["verify", "-p", "standard-webhooks", "-"], b"{}", Some("not base64!"));
    let stderr = config_error(&out);
    assert!(stderr.starts_with("error: invalid_secret: "), "{stderr}");
    assert!(stderr.ends_with(" (read from HOOKSEAL_SECRET, as no --secret was given)"), "{stderr}");
    assert!(!stderr.contains("not base64!"), "the secret was echoed");
    let out = hookseal(&["sign", "-p", "elmed", "-"], b"{}");
    assert!(config_error(&out).contains("pass --secret, or set HOOKSEAL_SECRET"));

    // HOOKSEAL_SECRET is read when no --secret is given.
    let headers = signed_headers("elmed", "s3cret", ELMED_BODY, &[]);
    let mut args = vec!["verify", "-p", "elmed", "-"];
    for h in &headers {
        args.extend(["-H", h]);
    }
    let out = hookseal_with(&args, ELMED_BODY.as_bytes(), Some("s3cret"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn an_unreadable_input_is_its_own_error() {
    let missing = std::env::temp_dir().join(format!("hookseal-cli-missing-{}.json", std::process::id()));
    let missing = missing.to_str().unwrap();
    let out = verify("elmed", &["s3cret"], &[], "", &[missing]);
    assert_eq!(config_error(&out), format!("error: io: cannot read {missing}: No such file or directory"));
    let out = hookseal(&["sign", "-p", "elmed", "-s", "s3cret", missing], b"");
    assert_eq!(config_error(&out), format!("error: io: cannot read {missing}: No such file or directory"));
    let at = format!("@{missing}");
    let out = verify("elmed", &["s3cret"], &[at], "{}", &[]);
    assert_eq!(
        config_error(&out),
        format!("error: io: cannot read {missing} (-H number 1): No such file or directory")
    );
}

#[test]
fn the_replay_window_says_old_or_ahead() {
    let body = r#"{"test": 2432232314}"#;
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let headers = signed_headers("standard-webhooks", secret, body, &["--now", "1614265330"]);
    let refused = |now: &str| {
        let out = verify("standard-webhooks", &[secret], &headers, body, &["--now", now]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        text(&out.stderr).trim_end().to_owned()
    };
    assert_eq!(
        refused("1614268930"),
        "error: timestamp_out_of_tolerance: the delivery is 3600 s old, outside the 300 s tolerance"
    );
    assert_eq!(
        refused("1614261730"),
        "error: timestamp_out_of_tolerance: the delivery is 3600 s ahead of this clock, outside the 300 s tolerance"
    );
}

/// A row of the demo: its first line, and the detail lines below it.
type DemoRow = (String, Vec<String>);

/// The demo's sections: (title line, rows).
fn demo_sections(stdout: &str) -> Vec<(String, Vec<DemoRow>)> {
    let mut sections: Vec<(String, Vec<DemoRow>)> = Vec::new();
    for line in stdout.lines().skip(1).take_while(|line| !line.starts_with("Note: ")) {
        if line.is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            sections.push((line.to_owned(), Vec::new()));
        } else if let Some((_, rows)) = sections.last_mut() {
            if line.starts_with("      ") {
                if let Some((_, detail)) = rows.last_mut() {
                    detail.push(line.trim().to_owned());
                }
            } else {
                rows.push((line.trim().to_owned(), Vec::new()));
            }
        }
    }
    sections
}

#[test]
fn demo_lines_are_short_and_shared_key_tampered_rows_say_why() {
    let out = hookseal(&["demo"], b"");
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    for line in stdout.lines() {
        assert!(line.chars().count() < 100, "{} characters: {line}", line.chars().count());
    }
    let sections = demo_sections(&stdout);
    let providers: Vec<&str> = sections.iter().map(|(title, _)| title.split(':').next().unwrap_or("")).collect();
    assert_eq!(providers, ["elmed", "baremeds", "novamed", "standard-webhooks", "custom"]);
    for (title, rows) in &sections {
        let shared_key = title.contains("shared key");
        let tampered: Vec<_> = rows.iter().filter(|(row, _)| row.starts_with("tampered body")).collect();
        assert_eq!(tampered.len(), 1, "{title}");
        let (row, detail) = tampered[0];
        let detail = detail.join(" ");
        if shared_key {
            assert!(row.ends_with("  accepted"), "{title}: {row}");
            assert!(detail.contains("a shared key does not cover the body"), "{title}: {detail}");
        } else {
            assert!(row.ends_with("  refused: signature_mismatch"), "{title}: {row}");
            assert!(!detail.contains("shared key"), "{title}: {detail}");
        }
        for (row, detail) in rows {
            assert!(!detail.is_empty(), "{title}: {row} has no detail");
        }
    }
    let shared: Vec<&str> =
        providers.iter().zip(&sections).filter(|(_, s)| s.0.contains("shared key")).map(|(p, _)| *p).collect();
    assert_eq!(shared, ["baremeds", "novamed", "custom"]);
    // The CLI's words in the demo too.
    assert!(stdout.contains("--allow-insecure-default"), "{stdout}");
}
