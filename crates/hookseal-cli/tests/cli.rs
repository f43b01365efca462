//! The `hookseal` command as API.md describes it: real processes, real exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const ELMED_BODY: &str = r#"{"event":"prescription.issued","timestamp":"2026-03-29T10:45:00","data":{"prescription_id":42,"amount":850.00}}"#;

fn hookseal(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hookseal"))
        .args(args)
        .env_remove("HOOKSEAL_SECRET")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hookseal runs");
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
