//! Time: the system clock (only read when a replay window needs it) and reading a delivery's timestamp.

use time::format_description::well_known::Iso8601;
use time::{OffsetDateTime, PrimitiveDateTime};

/// Seconds since the Unix epoch by the system clock.
pub(crate) fn system_now() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(elapsed) => i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// Whole Unix seconds from a fractional number of seconds, the clock of a host language (Python's `time.time()`,
/// JavaScript's `Date.now() / 1000`), rounded down; `None` when it is not finite or out of range. Bindings read
/// `verify`'s `now` with it, so every runtime treats a fractional clock alike.
pub fn seconds_from_float(seconds: f64) -> Option<i64> {
    let floor = seconds.floor();
    // `i64::MAX as f64` rounds up to 2^63, so the upper bound is exclusive.
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    (floor.is_finite() && floor >= i64::MIN as f64 && floor < i64::MAX as f64).then_some(floor as i64)
}

/// Whole Unix seconds from a decimal number (`1614265330`, `1614265330.25`, `-5`); None for anything else.
pub(crate) fn parse_unix_seconds(text: &str) -> Option<i64> {
    let (int, frac) = match text.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (text, None),
    };
    let digits = int.strip_prefix('-').unwrap_or(int);
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if frac.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let whole: i64 = int.parse().ok()?;
    // Floor, not truncation: -0.5 s is before the epoch's second 0.
    let below_zero = int.starts_with('-') && frac.is_some_and(|f| f.bytes().any(|b| b != b'0'));
    Some(if below_zero { whole - 1 } else { whole })
}

/// Unix seconds from an envelope timestamp: a number of seconds, or an ISO 8601 date-time (without an offset it is
/// read as UTC, as ELMED sends it).
pub(crate) fn parse_timestamp(text: &str) -> Option<i64> {
    if let Some(seconds) = parse_unix_seconds(text) {
        return Some(seconds);
    }
    if let Ok(at) = OffsetDateTime::parse(text, &Iso8601::DEFAULT) {
        return Some(at.unix_timestamp());
    }
    PrimitiveDateTime::parse(text, &Iso8601::DEFAULT).ok().map(|at| at.assume_utc().unix_timestamp())
}

/// True when `at` lies within `tolerance` seconds of `now`, either side, inclusive.
pub(crate) fn within(now: i64, at: i64, tolerance: u64) -> bool {
    now.abs_diff(at) <= tolerance
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_providers_send() {
        assert_eq!(parse_timestamp("2026-03-29T10:45:00"), Some(1_774_781_100));
        assert_eq!(parse_timestamp("2026-03-29T10:45:00.123456"), Some(1_774_781_100));
        assert_eq!(parse_timestamp("2026-03-29T10:45:00Z"), Some(1_774_781_100));
        assert_eq!(parse_timestamp("2026-03-29T12:45:00+02:00"), Some(1_774_781_100));
        assert_eq!(parse_timestamp("2025-01-15T10:30:00.000Z"), Some(1_736_937_000));
        assert_eq!(parse_timestamp("1614265330"), Some(1_614_265_330));
        assert_eq!(parse_timestamp("1614265330.9"), Some(1_614_265_330));
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp(""), None);
        assert_eq!(parse_timestamp("1e9"), None);
        assert_eq!(parse_timestamp("-0.5"), Some(-1));
        assert_eq!(parse_timestamp("-2.0"), Some(-2));
    }

    #[test]
    fn float_clocks_round_down() {
        assert_eq!(seconds_from_float(1_774_781_160.99), Some(1_774_781_160));
        assert_eq!(seconds_from_float(-0.5), Some(-1));
        assert_eq!(seconds_from_float(0.0), Some(0));
        assert_eq!(seconds_from_float(f64::NAN), None);
        assert_eq!(seconds_from_float(f64::INFINITY), None);
        assert_eq!(seconds_from_float(9.3e18), None);
        assert_eq!(seconds_from_float(-9.3e18), None);
    }

    #[test]
    fn window_is_symmetric_and_inclusive() {
        assert!(within(1000, 700, 300));
        assert!(within(1000, 1300, 300));
        assert!(!within(1000, 699, 300));
        assert!(!within(1000, 1301, 300));
        assert!(!within(i64::MAX, i64::MIN, u64::MAX - 1));
    }
}
