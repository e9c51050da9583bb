//! The user's own HTTP proxy (`HTTPS_PROXY`), through which guard's proxy
//! goes on where a network has no other way out (a company's), and the
//! names it leaves alone (`NO_PROXY`). Only where the proxy lets a session
//! through: what may be reached is still guard's allowlist.

use super::HostView;
use serde::Serialize;

/// The variables read, in order: the first set names the proxy (as curl,
/// lowercase first; an HTTPS destination's proxy first).
const VARIABLES: [&str; 4] = ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"];

/// An HTTP proxy that guard's proxy tunnels its allowed connections
/// through (`CONNECT`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpstreamProxy {
    /// The variable that named it.
    pub variable: String,
    /// Its host name or address.
    pub host: String,
    /// Its port (80 when the variable names none).
    pub port: u16,
    /// Whether the variable carries a credential (`user:password@`), which
    /// the proxy reads when it starts: never part of the policy or the log.
    pub credential: bool,
    /// Names reached without it (`NO_PROXY`): a name, and what lies
    /// beneath it (`example.com` and `.example.com` both cover
    /// `api.example.com`); `*` for every name.
    pub no_proxy: Vec<String>,
}

/// Why a proxy variable cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct UpstreamError {
    /// The variable.
    pub variable: String,
    /// What is wrong (never its value: it may hold a password).
    pub message: String,
}

/// The user's proxy from `host`'s environment, if one is set.
pub fn from_environment(host: &dyn HostView) -> Result<Option<UpstreamProxy>, UpstreamError> {
    let Some((variable, value)) = VARIABLES.iter().find_map(|name| {
        let value = host.var(name)?;
        (!value.trim().is_empty()).then(|| (name.to_string(), value))
    }) else {
        return Ok(None);
    };
    let error = |message: &str| UpstreamError {
        variable: variable.clone(),
        message: message.to_string(),
    };
    let value = value.trim();
    let rest = match value.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
        Some(_) => {
            return Err(error(
                "guard goes on only through an http:// proxy (not https://, socks)",
            ));
        }
        None => value,
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let (credential, address) = match authority.rsplit_once('@') {
        Some((userinfo, address)) => (!userinfo.is_empty(), address),
        None => (false, authority),
    };
    // `[v6]:port`, `name:port`, or either without a port.
    let (host_name, port) = match address.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((v6, "")) => (v6, None),
            Some((v6, port)) => (v6, port.strip_prefix(':')),
            None => return Err(error("names no proxy host")),
        },
        None => match address.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (address, None),
        },
    };
    let port = match port {
        Some(port) => port
            .parse::<u16>()
            .map_err(|_| error("its port is not a number"))?,
        None => 80,
    };
    let name_like = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':');
    if host_name.is_empty() || !host_name.chars().all(name_like) {
        return Err(error("names no proxy host"));
    }
    let no_proxy = ["no_proxy", "NO_PROXY"]
        .iter()
        .find_map(|name| host.var(name))
        .unwrap_or_default();
    Ok(Some(UpstreamProxy {
        variable,
        host: host_name.to_ascii_lowercase(),
        port,
        credential,
        no_proxy: no_proxy
            .split(',')
            .map(|entry| {
                entry
                    .trim()
                    .trim_start_matches("*.")
                    .trim_start_matches('.')
            })
            .filter(|entry| !entry.is_empty())
            .map(str::to_ascii_lowercase)
            .collect(),
    }))
}

impl UpstreamProxy {
    /// Whether a connection to `host` goes through this proxy.
    pub fn applies_to(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        !self.no_proxy.iter().any(|entry| {
            entry == "*"
                || host == *entry
                || host
                    .strip_suffix(entry.as_str())
                    .is_some_and(|before| before.ends_with('.'))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    /// A host with these variables and nothing on its filesystem.
    struct Vars(Vec<(String, String)>);

    impl HostView for Vars {
        fn var(&self, name: &str) -> Option<String> {
            let found = self.0.iter().find(|(key, _)| key == name);
            found.map(|(_, value)| value.clone())
        }
        fn canonicalize(&self, _: &Path) -> std::io::Result<PathBuf> {
            Err(std::io::ErrorKind::NotFound.into())
        }
        fn is_dir(&self, _: &Path) -> bool {
            false
        }
        fn read_head(&self, _: &Path, _: usize) -> std::io::Result<Vec<u8>> {
            Err(std::io::ErrorKind::NotFound.into())
        }
        fn find_program(&self, _: &str, _: &str) -> Option<PathBuf> {
            None
        }
        fn read_dir(&self, _: &Path) -> std::io::Result<Vec<String>> {
            Err(std::io::ErrorKind::NotFound.into())
        }
    }

    fn with(vars: &[(&str, &str)]) -> Result<Option<UpstreamProxy>, UpstreamError> {
        let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        from_environment(&Vars(vars.collect()))
    }

    #[test]
    fn the_users_proxy_is_read_without_its_credential() {
        assert_eq!(with(&[]).unwrap(), None);
        let proxy = with(&[("HTTPS_PROXY", "http://alice:s3cret@proxy.corp:3128/")])
            .unwrap()
            .unwrap();
        assert_eq!((proxy.host.as_str(), proxy.port), ("proxy.corp", 3128));
        assert!(proxy.credential);
        assert!(!format!("{proxy:?}").contains("s3cret"));
        let proxy = with(&[("http_proxy", "10.0.0.1"), ("HTTP_PROXY", "other:1")])
            .unwrap()
            .unwrap();
        assert_eq!(
            (proxy.variable.as_str(), proxy.host.as_str(), proxy.port),
            ("http_proxy", "10.0.0.1", 80)
        );
        let error = with(&[("HTTPS_PROXY", "socks5://u:p4ss@h:1080")]).unwrap_err();
        assert!(error.to_string().starts_with("HTTPS_PROXY: "), "{error}");
        assert!(!error.to_string().contains("p4ss"), "{error}");
        assert!(with(&[("HTTPS_PROXY", "http://proxy:port")]).is_err());
        assert!(with(&[("HTTPS_PROXY", "http://a b:1")]).is_err());
        let v6 = with(&[("HTTPS_PROXY", "http://[fd00::1]:8080")])
            .unwrap()
            .unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("fd00::1", 8080));
    }

    #[test]
    fn no_proxy_covers_a_name_and_what_lies_beneath_it() {
        let proxy = with(&[
            ("HTTPS_PROXY", "proxy:3128"),
            (
                "NO_PROXY",
                "localhost, .corp.example,*.internal,example.org",
            ),
        ])
        .unwrap()
        .unwrap();
        for direct in [
            "localhost",
            "git.corp.example",
            "a.internal",
            "example.org",
            "API.Example.Org.",
        ] {
            assert!(!proxy.applies_to(direct), "{direct}");
        }
        for through in ["api.anthropic.com", "notexample.org", "corp.example.com"] {
            assert!(proxy.applies_to(through), "{through}");
        }
        let everything = with(&[("HTTPS_PROXY", "proxy:3128"), ("no_proxy", "*")])
            .unwrap()
            .unwrap();
        assert!(!everything.applies_to("api.anthropic.com"));
    }
}
