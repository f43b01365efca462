//! Store URLs (../shared/DEDUPE.md, "Backends, named by URL"): `memory:`, `sqlite:///absolute.db`,
//! `sqlite://relative.db`, `redis://[user:password@]host:port/db`, `rediss://…`, each optionally with `?lease=S`
//! and `&retention=S` (seconds). Nothing here ever puts a password into a message.

use crate::error::StoreError;
use crate::options::seconds;

/// What a URL names.
#[derive(Debug)]
pub(crate) enum Target {
    Memory,
    Sqlite {
        path: String,
    },
    /// The URL without its query, as redis-rs parses it (it holds the password: never print it).
    Redis {
        url: String,
        tls: bool,
    },
}

pub(crate) struct Parsed {
    pub(crate) target: Target,
    pub(crate) lease: Option<std::time::Duration>,
    pub(crate) retention: Option<std::time::Duration>,
}

/// The URL with the password (and any user) replaced by `***`: what a store's `describe()` and log lines show.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    // The authority ends at the first '/', '?' or '#'; credentials end at its last '@'.
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

pub(crate) fn parse(url: &str) -> Result<Parsed, StoreError> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let (mut lease, mut retention) = (None, None);
    for pair in query.into_iter().flat_map(|q| q.split('&')).filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let number: f64 = value
            .parse()
            .map_err(|_| StoreError::invalid_option(format!("the store URL's {name:?} must be a number of seconds")))?;
        match name {
            "lease" if lease.is_none() => lease = Some(seconds("lease", number)?),
            "retention" if retention.is_none() => retention = Some(seconds("retention", number)?),
            "lease" | "retention" => {
                return Err(StoreError::invalid_option(format!("the store URL gives {name} twice")));
            }
            _ => {
                return Err(StoreError::invalid_option(format!(
                    "the store URL has the parameter {:?}: only lease and retention are known",
                    name.chars().take(40).collect::<String>()
                )));
            }
        }
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
        let tls = base.starts_with("rediss://");
        let authority = &base[if tls { 9 } else { 8 }..];
        let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
        if host.is_empty() || host.starts_with(['/', ':']) {
            return Err(StoreError::invalid_option(format!(
                "a Redis URL needs a host: {}",
                "redis://[user:password@]host:port/db"
            )));
        }
        Target::Redis { url: base.to_owned(), tls }
    } else {
        let scheme = base.split_once(':').map_or("", |(scheme, _)| scheme);
        return Err(StoreError::invalid_option(if scheme.is_empty() || scheme.len() > 20 {
            "a store URL is memory:, sqlite:///path.db, redis://host:port/db or rediss://host:port/db".to_owned()
        } else {
            format!(
                "unknown store scheme {scheme:?}: use memory:, sqlite:///path.db, redis://host:port/db or rediss://…"
            )
        }));
    };
    Ok(Parsed { target, lease, retention })
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
