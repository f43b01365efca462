//! `hookseal demo`: every preset signs its provider's documented sample events, verifies them, and then meets a
//! tampered body, a wrong key, a stale Standard Webhooks timestamp and a duplicate delivery. Printed one section a
//! provider, each delivery on a line with its result and the detail indented below; no line reaches 100 characters.

use std::collections::HashSet;
use std::io::{self, Write};

use hookseal::{sign, Options, Scheme, SignOptions, Verifier};

use crate::samples;

/// Every printed line is shorter than this (a terminal's width, a pasted log).
const MAX_LINE: usize = 100;

struct Row {
    case: String,
    outcome: String,
    /// Lines of detail, printed indented under the row (wrapped to fit).
    detail: Vec<String>,
}

struct Section {
    title: String,
    rows: Vec<Row>,
}

struct Preset {
    name: &'static str,
    /// How the preset authenticates, for the section's title.
    how: &'static str,
    scheme: Scheme,
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
            how: "an HMAC-SHA256 signature of the body in X-ELMED-Signature",
            scheme: Scheme::HmacSha256,
            options: Options::new().secret("elmed_whsec_7f3a9c"),
            wrong: Options::new().secret("elmed_whsec_guessed"),
            bodies: samples::ELMED.iter().map(|s| s.to_string()).collect(),
            sign_now: None,
            sign_id: None,
            verify_now: now,
        },
        Preset {
            name: "baremeds",
            how: "a shared key in X-Webhook-Key",
            scheme: Scheme::SharedKey,
            options: Options::new().secret("bm_live_5d1e8f"),
            wrong: Options::new().secret("bm_live_000000"),
            bodies: samples::BAREMEDS.iter().map(|s| s.to_string()).collect(),
            sign_now: None,
            sign_id: None,
            verify_now: now,
        },
        Preset {
            name: "novamed",
            how: "a shared key in x-api-key, and the clinic_id checked",
            scheme: Scheme::SharedKey,
            options: Options::new().secret("nm_key_a81c").clinic_id(samples::NOVAMED_CLINIC),
            wrong: Options::new().secret("nm_key_a81d"),
            bodies: samples::NOVAMED.iter().map(|s| s.to_string()).collect(),
            sign_now: None,
            sign_id: None,
            verify_now: now,
        },
        Preset {
            name: samples::STANDARD_WEBHOOKS.provider,
            how: "HMAC-SHA256 of id, timestamp and body; a 5-minute window",
            scheme: Scheme::StandardWebhooks,
            options: Options::new().secret(samples::STANDARD_WEBHOOKS_SECRET),
            wrong: Options::new().secret("whsec_d3JvbmdrZXl3cm9uZ2tleQ=="),
            bodies: vec![samples::STANDARD_WEBHOOKS.body.to_string()],
            sign_now: Some(samples::STANDARD_WEBHOOKS_TIMESTAMP),
            sign_id: Some(samples::STANDARD_WEBHOOKS_ID),
            verify_now: samples::STANDARD_WEBHOOKS_TIMESTAMP + 12,
        },
        Preset {
            name: samples::MANAGEMENT_API.provider,
            how: "the pharmacy Management API's shared key in X-Partner-Key",
            scheme: Scheme::SharedKey,
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
) -> (String, Vec<String>) {
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
                ("accepted".into(), vec![shown])
            } else {
                ("duplicate: skip".into(), vec![shown])
            }
        }
        Err(e) => (format!("refused: {}", e.code()), vec![e.message().to_owned()]),
    }
}

fn shorten(key: &str) -> String {
    if key.chars().count() > 40 {
        format!("{}…", key.chars().take(39).collect::<String>())
    } else {
        key.to_owned()
    }
}

/// Why a shared-key preset accepts a tampered body, on that row.
const SHARED_KEY_NOTE: &str = "why: a shared key does not cover the body; an HMAC signature would refuse it";

fn sections() -> Vec<Section> {
    let mut sections = Vec::new();
    for preset in presets() {
        let Ok(verifier) = Verifier::new(preset.name, &preset.options) else {
            continue;
        };
        let mut rows = Vec::new();
        let mut seen = HashSet::new();
        let mut row = |case: &str, (outcome, detail): (String, Vec<String>)| {
            rows.push(Row { case: case.to_owned(), outcome, detail })
        };
        for body in &preset.bodies {
            let headers = signed(&preset, &preset.options, body, None);
            row("documented sample", attempt(&verifier, body, &headers, preset.verify_now, &mut seen));
        }
        let first = preset.bodies.first().cloned().unwrap_or_default();
        let headers = signed(&preset, &preset.options, &first, None);

        let tampered = first.replacen('1', "2", 1);
        let (outcome, mut detail) = attempt(&verifier, &tampered, &headers, preset.verify_now, &mut HashSet::new());
        if preset.scheme == Scheme::SharedKey && outcome == "accepted" {
            detail.insert(0, SHARED_KEY_NOTE.to_owned());
        }
        row("tampered body (one digit changed)", (outcome, detail));

        let wrong_headers = signed(&preset, &preset.wrong, &first, None);
        let case = "signed with the wrong secret";
        row(case, attempt(&verifier, &first, &wrong_headers, preset.verify_now, &mut HashSet::new()));

        if preset.name == "standard-webhooks" {
            let stale = signed(&preset, &preset.options, &first, Some(preset.verify_now - 3600));
            let case = "timestamp one hour old";
            row(case, attempt(&verifier, &first, &stale, preset.verify_now, &mut HashSet::new()));
        }
        if preset.name == "novamed" {
            let other = Options::new().secret("nm_key_a81c").clinic_id("another-clinic");
            if let Ok(other_clinic) = Verifier::new("novamed", &other) {
                let case = "delivered to another clinic's receiver";
                row(case, attempt(&other_clinic, &first, &headers, preset.verify_now, &mut HashSet::new()));
            }
        }
        row("the same delivery again (a retry)", attempt(&verifier, &first, &headers, preset.verify_now, &mut seen));
        if preset.name == "baremeds" {
            if let Err(e) = Verifier::new("baremeds", &Options::new().secret("xxx")) {
                let case = "configured with the default key xxx";
                row(case, (format!("refused: {}", e.code()), vec![crate::flag_words(e.message())]));
            }
        }
        sections.push(Section { title: format!("{}: {}", preset.name, preset.how), rows });
    }
    sections
}

/// `text` in lines of at most `width` characters, broken between words (a longer word is cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            lines.push(word.drain(..width).collect());
        }
        let word: String = word.into_iter().collect();
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

pub fn run(out: &mut impl Write) -> io::Result<()> {
    const INDENT: &str = "  ";
    const DETAIL: &str = "      ";
    let sections = sections();
    let width = MAX_LINE - 1;
    let case_width = sections.iter().flat_map(|s| &s.rows).map(|r| r.case.chars().count()).max().unwrap_or(0);
    writeln!(out, "hookseal demo: every provider's documented samples, signed and verified; then what is refused")?;
    for section in &sections {
        writeln!(out)?;
        for line in wrap(&section.title, width) {
            writeln!(out, "{line}")?;
        }
        for row in &section.rows {
            writeln!(out, "{INDENT}{:<case_width$}  {}", row.case, row.outcome)?;
            for line in row.detail.iter().flat_map(|d| wrap(d, width - DETAIL.len())) {
                writeln!(out, "{DETAIL}{line}")?;
            }
        }
    }
    writeln!(out)?;
    let note = "Note: a shared key (baremeds, novamed, custom shared-key) proves who sent a delivery, not what it \
                says: it does not cover the body, so a tampered body with the right key is accepted. The HMAC \
                schemes (elmed, standard-webhooks, custom hmac-sha256) refuse it.";
    for line in wrap(note, width) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_between_words_and_cuts_a_longer_word() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("abcdefg x", 3), ["abc", "def", "g x"]);
        assert_eq!(wrap("", 10), [""]);
    }
}
