//! `hookseal demo`: every preset signs its provider's documented sample events, verifies them, and then meets a
//! tampered body, a wrong key, a stale Standard Webhooks timestamp and a duplicate delivery. Printed as a table.

use std::collections::HashSet;
use std::io::{self, Write};

use hookseal::{sign, Options, Scheme, SignOptions, Verifier};

use crate::samples;

struct Row {
    provider: &'static str,
    case: String,
    outcome: String,
    detail: String,
}

struct Preset {
    name: &'static str,
    options: Options,
    wrong: Options,
    bodies: Vec<String>,
    sign_now: Option<i64>,
    sign_id: Option<&'static str>,
    verify_now: i64,
}

fn presets() -> Vec<Preset> {
    let now = 1_774_781_100; // 2026-03-29T10:45:00Z, ELMED's first sample
    vec![
        Preset {
            name: "elmed",
            options: Options::new().secret("elmed_whsec_7f3a9c"),
            wrong: Options::new().secret("elmed_whsec_guessed"),
            bodies: samples::ELMED.iter().map(|s| s.to_string()).collect(),
            sign_now: None,
            sign_id: None,
            verify_now: now,
        },
        Preset {
            name: "baremeds",
            options: Options::new().secret("bm_live_5d1e8f"),
            wrong: Options::new().secret("bm_live_000000"),
            bodies: samples::baremeds(),
            sign_now: None,
            sign_id: None,
            verify_now: now,
        },
        Preset {
            name: "novamed",
            options: Options::new().secret("nm_key_a81c").clinic_id(samples::NOVAMED_CLINIC),
            wrong: Options::new().secret("nm_key_a81d"),
            bodies: samples::NOVAMED.iter().map(|s| s.to_string()).collect(),
            sign_now: None,
            sign_id: None,
            verify_now: now,
        },
        Preset {
            name: samples::STANDARD_WEBHOOKS.provider,
            options: Options::new().secret(samples::STANDARD_WEBHOOKS_SECRET),
            wrong: Options::new().secret("whsec_d3JvbmdrZXl3cm9uZ2tleQ=="),
            bodies: vec![samples::STANDARD_WEBHOOKS.body.to_string()],
            sign_now: Some(samples::STANDARD_WEBHOOKS_TIMESTAMP),
            sign_id: Some(samples::STANDARD_WEBHOOKS_ID),
            verify_now: samples::STANDARD_WEBHOOKS_TIMESTAMP + 12,
        },
        Preset {
            name: samples::MANAGEMENT_API.provider,
            options: Options::new().scheme(Scheme::SharedKey).header("X-Partner-Key").secret("mgmt_partner_key_41"),
            wrong: Options::new().scheme(Scheme::SharedKey).header("X-Partner-Key").secret("mgmt_partner_key_14"),
            bodies: vec![samples::MANAGEMENT_API.body.to_string()],
            sign_now: None,
            sign_id: None,
            verify_now: now,
        },
    ]
}

fn signed(preset: &Preset, options: &Options, body: &str, now: Option<i64>) -> Vec<(String, String)> {
    let mut sign_options = SignOptions::new(options.clone());
    sign_options.now = now.or(preset.sign_now);
    sign_options.webhook_id = preset.sign_id.map(str::to_owned);
    sign(preset.name, body.as_bytes(), &sign_options).unwrap_or_default()
}

fn attempt(
    verifier: &Verifier,
    body: &str,
    headers: &[(String, String)],
    now: i64,
    seen: &mut HashSet<String>,
) -> (String, String) {
    match verifier.verify_at(body.as_bytes(), headers, now) {
        Ok(event) => {
            let key = event.idempotency_key().to_owned();
            let shown = format!(
                "{} · key {} ({})",
                event.event_type().unwrap_or("(no type)"),
                shorten(&key),
                event.idempotency_key_source().as_str()
            );
            if seen.insert(key) {
                ("accepted".into(), shown)
            } else {
                ("duplicate: skip".into(), shown)
            }
        }
        Err(e) => (format!("refused: {}", e.code()), e.message().to_owned()),
    }
}

fn shorten(key: &str) -> String {
    if key.chars().count() > 40 {
        format!("{}…", key.chars().take(39).collect::<String>())
    } else {
        key.to_owned()
    }
}

fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for preset in presets() {
        let Ok(verifier) = Verifier::new(preset.name, &preset.options) else {
            continue;
        };
        let mut seen = HashSet::new();
        let mut row = |case: String, (outcome, detail): (String, String)| {
            rows.push(Row { provider: preset.name, case, outcome, detail })
        };
        for body in &preset.bodies {
            let headers = signed(&preset, &preset.options, body, None);
            row("documented sample".into(), attempt(&verifier, body, &headers, preset.verify_now, &mut seen));
        }
        let first = preset.bodies.first().cloned().unwrap_or_default();
        let headers = signed(&preset, &preset.options, &first, None);

        let tampered = first.replacen('1', "2", 1);
        let case = "tampered body (one digit changed)".to_owned();
        row(case, attempt(&verifier, &tampered, &headers, preset.verify_now, &mut HashSet::new()));

        let wrong_headers = signed(&preset, &preset.wrong, &first, None);
        let case = "signed with the wrong secret".to_owned();
        row(case, attempt(&verifier, &first, &wrong_headers, preset.verify_now, &mut HashSet::new()));

        if preset.name == "standard-webhooks" {
            let stale = signed(&preset, &preset.options, &first, Some(preset.verify_now - 3600));
            let case = "timestamp one hour old".to_owned();
            row(case, attempt(&verifier, &first, &stale, preset.verify_now, &mut HashSet::new()));
        }
        if preset.name == "novamed" {
            let other = Options::new().secret("nm_key_a81c").clinic_id("another-clinic");
            if let Ok(other_clinic) = Verifier::new("novamed", &other) {
                let case = "delivered to another clinic's receiver".to_owned();
                row(case, attempt(&other_clinic, &first, &headers, preset.verify_now, &mut HashSet::new()));
            }
        }
        row(
            "the same delivery again (a retry)".into(),
            attempt(&verifier, &first, &headers, preset.verify_now, &mut seen),
        );
    }
    if let Err(e) = Verifier::new("baremeds", &Options::new().secret("xxx")) {
        rows.push(Row {
            provider: "baremeds",
            case: "configured with the default key xxx".into(),
            outcome: format!("refused: {}", e.code()),
            detail: e.message().to_owned(),
        });
    }
    rows
}

pub fn run(out: &mut impl Write) -> io::Result<()> {
    let rows = rows();
    let headings = ("PROVIDER", "DELIVERY", "RESULT", "DETAIL");
    let width = |f: &dyn Fn(&Row) -> usize, min: usize| rows.iter().map(f).max().unwrap_or(0).max(min);
    let w0 = width(&|r| r.provider.chars().count(), headings.0.len());
    let w1 = width(&|r| r.case.chars().count(), headings.1.len());
    let w2 = width(&|r| r.outcome.chars().count(), headings.2.len());
    writeln!(
        out,
        "hookseal demo: each provider's documented sample events, signed and verified; then what is refused\n"
    )?;
    writeln!(out, "{:<w0$}  {:<w1$}  {:<w2$}  {}", headings.0, headings.1, headings.2, headings.3)?;
    writeln!(out, "{}  {}  {}  {}", "-".repeat(w0), "-".repeat(w1), "-".repeat(w2), "-".repeat(40))?;
    let mut last = "";
    for row in &rows {
        if !last.is_empty() && last != row.provider {
            writeln!(out)?;
        }
        last = row.provider;
        writeln!(out, "{:<w0$}  {:<w1$}  {:<w2$}  {}", row.provider, row.case, row.outcome, row.detail)?;
    }
    writeln!(
        out,
        "\nNote: a shared key (baremeds, novamed, custom shared-key) proves who sent a delivery, not what it says:\n\
         it does not cover the body, so a tampered body with the right key is accepted. HMAC schemes catch it."
    )?;
    Ok(())
}
