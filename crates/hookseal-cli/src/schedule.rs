//! Each provider's retry schedule, as its document gives it (docs/providers.md, "Retries"); `hookseal send` follows
//! it, and `hookseal listen --forward-to` gives the app the provider's answer deadline.

use std::time::Duration;

use hookseal::{Provider, Scheme};

/// When a provider sends each attempt of one delivery, and how long it waits for an answer.
pub struct Schedule {
    /// The wait before each attempt, in seconds, counted from the end of the attempt before it (the first is 0):
    /// Svix's reading ("each period is started following the failure of the preceding attempt"), which ELMED's and
    /// NovaMed's "Delay" columns leave open.
    pub delays: &'static [u64],
    /// How long one attempt waits for the answer before it counts as failed.
    pub timeout: Duration,
    /// Only `200` counts as delivered (NovaMed: "a non-200 status code ... will be retried"); else any 2xx does.
    pub only_200: bool,
    /// Where the numbers come from, printed before the first attempt.
    pub source: &'static str,
}

const SVIX: Schedule = Schedule {
    delays: &[0, 5, 300, 1800, 7200, 18000, 36000, 36000],
    timeout: Duration::from_secs(15),
    only_200: false,
    source: "the Svix schedule that Standard Webhooks senders use (docs.svix.com/retries)",
};

/// The schedule of `provider`; `custom` has no document of its own, so it takes the Standard Webhooks (Svix) one,
/// the most common among generic platforms.
pub fn of(provider: Provider) -> Schedule {
    match provider {
        Provider::Elmed => Schedule {
            delays: &[0, 30, 300],
            timeout: Duration::from_secs(10),
            only_200: false,
            source: "ELMED's webhook docs",
        },
        Provider::Novamed => Schedule {
            delays: &[0, 60, 300, 900, 3600],
            timeout: Duration::from_secs(5),
            only_200: true,
            source: "NovaMed's integration guide",
        },
        // The document says "exponential backoff" (Laravel's queue retries) and a 30 s answer deadline, no numbers.
        Provider::Baremeds => Schedule {
            delays: &[0, 60, 120, 240, 480],
            timeout: Duration::from_secs(30),
            only_200: false,
            source: "hookseal's choice: Baremeds documents exponential backoff and a 30 s deadline but no delays, \
                     so these double from 1 min",
        },
        Provider::StandardWebhooks => SVIX,
        Provider::Custom => Schedule {
            source: "no document: the Svix schedule of Standard Webhooks senders (docs.svix.com/retries)",
            ..SVIX
        },
    }
}

/// The scheme a delivery is signed with: the preset's, or for `custom` the `--scheme` given (validated by the core
/// when the options are built, so an unknown name never gets here).
pub fn scheme_of(provider: Provider, custom_scheme: Option<&str>) -> Scheme {
    match provider {
        Provider::Elmed => Scheme::HmacSha256,
        Provider::Baremeds | Provider::Novamed => Scheme::SharedKey,
        Provider::StandardWebhooks => Scheme::StandardWebhooks,
        Provider::Custom => custom_scheme.and_then(|s| s.parse().ok()).unwrap_or(Scheme::HmacSha256),
    }
}

/// `30 s`, `5 min`, `1 h`, `2 h 30 min`: a delay as the documents write them.
pub fn human(seconds: f64) -> String {
    if seconds < 1.0 && seconds > 0.0 {
        return format!("{:.0} ms", seconds * 1000.0);
    }
    if seconds < 60.0 {
        let whole = seconds.fract() == 0.0;
        return if whole { format!("{seconds:.0} s") } else { format!("{seconds:.2} s") };
    }
    // Whole seconds from here (a scaled delay of a minute or more needs no fraction).
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let s = seconds.round() as u64;
    let (h, m, rest) = (s / 3600, s % 3600 / 60, s % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if rest > 0 {
        parts.push(format!("{rest} s"));
    }
    parts.join(" ")
}

/// The schedule in one line: `immediately, +30 s, +5 min`.
pub fn describe(delays: &[u64]) -> String {
    let steps: Vec<String> = delays
        .iter()
        .map(|&d| if d == 0 { "immediately".to_owned() } else { format!("+{}", human(d as f64)) })
        .collect();
    steps.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_schedules() {
        assert_eq!(describe(of(Provider::Elmed).delays), "immediately, +30 s, +5 min");
        assert_eq!(describe(of(Provider::Novamed).delays), "immediately, +1 min, +5 min, +15 min, +1 h");
        assert_eq!(
            describe(of(Provider::StandardWebhooks).delays),
            "immediately, +5 s, +5 min, +30 min, +2 h, +5 h, +10 h, +10 h"
        );
        assert_eq!(of(Provider::Elmed).timeout, Duration::from_secs(10));
        assert_eq!(of(Provider::Novamed).timeout, Duration::from_secs(5));
        assert_eq!(of(Provider::Baremeds).timeout, Duration::from_secs(30));
        assert!(of(Provider::Novamed).only_200 && !of(Provider::Elmed).only_200);
    }

    #[test]
    fn delays_read_as_the_documents_write_them() {
        assert_eq!(human(0.3), "300 ms");
        assert_eq!(human(3.0), "3 s");
        assert_eq!(human(0.0), "0 s");
        assert_eq!(human(9000.0), "2 h 30 min");
        assert_eq!(human(65.0), "1 min 5 s");
    }
}
