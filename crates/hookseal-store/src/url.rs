//! Store URLs (docs/exactly-once.md, "Backends, named by URL"): `memory:`, `sqlite:///absolute.db`,
//! `sqlite://relative.db`, `redis://[user:password@]host:port/db`, `rediss://…`, each optionally with `?lease=S`
//! and `&retention=S` (seconds). Nothing here ever puts a password into a message.

use crate::error::StoreError;
use crate::options::seconds;

/// What a URL names. (A memory-only build, WebAssembly's, refuses the other two after parsing them.) No `Debug`: the
/// Redis URL holds the password.
#[cfg_attr(not(all(feature = "sqlite", feature = "redis")), allow(dead_code))]
pub(crate) enum Target {
    Memory,
    Sqlite {
        path: String,
    },
    /// The URL without its query, as redis-rs parses it (it holds the password: never print it).
    Redis {
        url: String,
    },
}

pub(crate) struct Parsed {
    pub(crate) target: Target,
    pub(crate) lease: Option<std::time::Duration>,
    pub(crate) retention: Option<std::time::Duration>,
}

/// Where a URL's credentials end: after its last `@`, if it has any. Everything before it is taken as credentials,
/// so a password with an unencoded `/`, `?`, `#` or `@` in it is still hidden (no store URL has an `@` after its
/// host: a Redis path is a database number, and SQLite URLs carry no credentials).
fn credentials_end(url: &str) -> Option<usize> {
    let (scheme, rest) = url.split_once("://")?;
    (scheme == "redis" || scheme == "rediss").then(|| rest.rfind('@').map(|at| scheme.len() + 3 + at))?
}

/// The URL with the password (and any user) replaced by `***`: what a store's `describe()` and log lines show.
pub fn redact_url(url: &str) -> String {
    match (credentials_end(url), url.split_once("://")) {
        (Some(at), Some((scheme, _))) => format!("{scheme}://***{}", &url[at..]),
        _ => url.to_owned(),
    }
}

pub(crate) fn parse(url: &str) -> Result<Parsed, StoreError> {
    // The query starts at the first '?' after the credentials (a password may hold one).
    let after = credentials_end(url).unwrap_or(0);
    let (base, query) = match url[after..].find('?') {
        Some(at) => (&url[..after + at], Some(&url[after + at + 1..])),
        None => (url, None),
    };
    let (mut lease, mut retention) = (None, None);
    for pair in query.into_iter().flat_map(|q| q.split('&')).filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match name {
            "lease" => &mut lease,
            "retention" => &mut retention,
            _ => {
                let shown: String = name.chars().take(40).collect();
                return Err(StoreError::invalid_option(format!(
                    "the store URL has the parameter '{shown}': only lease and retention are known"
                )));
            }
        };
        if slot.is_some() {
            return Err(StoreError::invalid_option(format!("the store URL gives {name} twice")));
        }
        let number = decimal(value).ok_or_else(|| {
            StoreError::invalid_option(format!("the store URL's {name} must be a number of seconds (like 30 or 0.5)"))
        })?;
        *slot = Some(seconds(name, number)?);
    }
    let target = if base == "memory:" {
        Target::Memory
    } else if let Some(path) = base.strip_prefix("sqlite://") {
        if path.is_empty() || path == "/" || path.contains('\0') {
            return Err(StoreError::invalid_option("a sqlite:// URL needs a file: sqlite:///absolute/path.db"));
        }
        if path.trim_start_matches('/') == ":memory:" {
            return Err(StoreError::invalid_option(
                "an in-memory SQLite database is not shared between processes: use memory: instead",
            ));
        }
        Target::Sqlite { path: path.to_owned() }
    } else if base.starts_with("redis://") || base.starts_with("rediss://") {
        let authority = base.split_once("://").map_or("", |(_, rest)| rest);
        let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
        if host.is_empty() || host.starts_with(['/', ':']) {
            return Err(StoreError::invalid_option(format!(
                "a Redis URL needs a host: {}",
                "redis://[user:password@]host:port/db"
            )));
        }
        Target::Redis { url: base.to_owned() }
    } else {
        let scheme = base.split_once(':').map_or("", |(scheme, _)| scheme);
        return Err(StoreError::invalid_option(if scheme.is_empty() || scheme.len() > 20 {
            "a store URL is memory:, sqlite:///path.db, redis://host:port/db or rediss://host:port/db".to_owned()
        } else {
            format!(
                "unknown store scheme '{scheme}': use memory:, sqlite:///path.db, redis://host:port/db or rediss://…"
            )
        }));
    };
    Ok(Parsed { target, lease, retention })
}

/// Seconds as a URL writes them: digits, optionally a point and more digits (`30`, `0.5`). Read by hand rather than by
/// `str::parse::<f64>`, whose tables would add 10 KB to the WebAssembly module for this one use.
fn decimal(text: &str) -> Option<f64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || text.ends_with('.')
        || whole.len() > 12
        || fraction.len() > 9
        || !digits(whole)
        || !digits(fraction)
    {
        return None;
    }
    let number = |part: &str| part.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
    Some(number(whole) as f64 + number(fraction) as f64 / 10f64.powi(fraction.len() as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_credentials_only() {
        assert_eq!(redact_url("redis://:hunter2@db:6379/0"), "redis://***@db:6379/0");
        assert_eq!(redact_url("rediss://me:p@ss@db:6380/1?lease=2"), "rediss://***@db:6380/1?lease=2");
        assert_eq!(redact_url("redis://db:6379/0"), "redis://db:6379/0");
        assert_eq!(redact_url("sqlite:///tmp/a@b.db"), "sqlite:///tmp/a@b.db");
        assert_eq!(redact_url("memory:"), "memory:");
        // Unencoded characters in a password do not end it early.
        for url in ["redis://:ab#cd@h:1/0", "redis://:ab/cd@h:1/0", "redis://:ab?cd@h:1/0", "rediss://u:a@b@h:1/0"] {
            assert_eq!(redact_url(url), format!("{}://***@h:1/0", url.split_once("://").unwrap().0), "{url}");
            let shown = match parse(url) {
                Ok(_) => String::new(),
                Err(e) => e.to_string(),
            };
            assert!(!shown.contains("cd") && !shown.contains("a@b"), "{url}: {shown}");
        }
        assert_eq!(redact_url("redis://:pw@h:1/0?lease=2"), "redis://***@h:1/0?lease=2");
    }

    #[test]
    fn reads_decimals() {
        assert_eq!(decimal("30"), Some(30.0));
        assert_eq!(decimal("0.5"), Some(0.5));
        assert_eq!(decimal("2.25"), Some(2.25));
        for bad in ["", ".5", "1.", "-1", "+1", "1e3", "abc", "1.2.3", " 1", "NaN", "inf", "1234567890123"] {
            assert_eq!(decimal(bad), None, "{bad}");
        }
    }

    #[test]
    fn reads_lease_and_retention() {
        let parsed = parse("sqlite:///tmp/x.db?lease=2&retention=0.5").unwrap();
        assert_eq!(parsed.lease, Some(std::time::Duration::from_secs(2)));
        assert_eq!(parsed.retention, Some(std::time::Duration::from_millis(500)));
        assert!(matches!(parsed.target, Target::Sqlite { ref path } if path == "/tmp/x.db"));
        assert!(matches!(parse("sqlite://rel.db").unwrap().target, Target::Sqlite { ref path } if path == "rel.db"));
    }
}
