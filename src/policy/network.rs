//! Host allowlists for `network.mode = "allow"`: parsing and matching, and
//! which addresses count as private.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Why a `network.allow` entry is not a host rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostRuleError {
    /// The part after the last `:` is not a port.
    #[error("`{0}`: bad port")]
    BadPort(String),
    /// An address where a name belongs; the message says how to allow one.
    #[error(
        "`{entry}` is an address; allow a name and resolve it there: \
         `--allow-domain local.test:{port} --resolve local.test:{port}:{address}` \
         (in a profile: network.allow = [\"local.test:{port}\"], \
         network.resolve = [\"local.test:{port}:{address}\"]), then use \
         http://local.test:{port}"
    )]
    Address {
        /// The entry as written.
        entry: String,
        /// Its port, or `PORT`.
        port: String,
        /// The address without brackets.
        address: String,
    },
    /// Neither a name nor `*.domain`.
    #[error("`{0}` is not a host name (or *.domain)")]
    NotAHost(String),
}

/// Why an authority (`host[:port]`) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorityError {
    /// `[` without its `]`.
    #[error("bad IPv6 literal")]
    BadIpv6Literal,
    /// The part after the last `:` is not a port.
    #[error("bad port in {0}")]
    BadPort(String),
    /// Nothing before the port.
    #[error("no host")]
    NoHost,
    /// A URL or header trick (`@`, `\`, `%`, spaces), not a host.
    #[error("`{0}` is not a host name or address")]
    NotAHost(String),
}

/// One allowed host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostRule {
    /// `api.example.com`, or `*.example.com` for its subdomains.
    pub host: String,
    /// The one port allowed, or `None` for 80 and 443.
    pub port: Option<u16>,
}

impl HostRule {
    /// Parses `host`, `*.domain`, optionally with `:port`.
    pub fn parse(entry: &str) -> Result<HostRule, HostRuleError> {
        let (host, port) = match entry.rsplit_once(':') {
            Some((host, port)) => (
                host,
                Some(
                    port.parse::<u16>()
                        .map_err(|_| HostRuleError::BadPort(entry.to_string()))?,
                ),
            ),
            None => (entry, None),
        };
        let host = host.to_ascii_lowercase();
        // The proxy names hosts, never addresses (an address says nothing of
        // who answers there): say how to reach one instead of failing later.
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if bare.parse::<std::net::IpAddr>().is_ok() || entry.starts_with('[') {
            return Err(HostRuleError::Address {
                entry: entry.to_string(),
                port: port.map_or_else(|| "PORT".to_string(), |p| p.to_string()),
                address: bare.to_string(),
            });
        }
        let name = host.strip_prefix("*.").unwrap_or(&host);
        let valid = !name.is_empty()
            && name.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !valid {
            return Err(HostRuleError::NotAHost(entry.to_string()));
        }
        Ok(HostRule { host, port })
    }

    /// Whether `host:port` is allowed by this rule.
    pub fn matches(&self, host: &str, port: u16) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let name_matches = match self.host.strip_prefix("*.") {
            Some(domain) => {
                host.len() > domain.len()
                    && host.ends_with(domain)
                    && host[..host.len() - domain.len()].ends_with('.')
            }
            None => host == self.host,
        };
        let port_matches = match self.port {
            Some(allowed) => port == allowed,
            None => port == 443 || port == 80,
        };
        name_matches && port_matches
    }
}

impl std::fmt::Display for HostRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.host),
            None => write!(f, "{}", self.host),
        }
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port` → lowercase host and port
/// (`default_port` when none is given).
pub fn split_host_port(
    authority: &str,
    default_port: u16,
) -> Result<(String, u16), AuthorityError> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or(AuthorityError::BadIpv6Literal)?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(port) => port
            .parse()
            .map_err(|_| AuthorityError::BadPort(authority.to_string()))?,
        None => default_port,
    };
    if host.is_empty() {
        return Err(AuthorityError::NoHost);
    }
    // A name is letters, digits, `-`, `_` and dots; an IPv6 literal came in
    // brackets. Anything else (`@`, `\`, `%`, spaces) is a URL or header
    // trick, not a host.
    let name_like = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if !host.chars().all(name_like) && host.parse::<std::net::Ipv6Addr>().is_err() {
        return Err(AuthorityError::NotAHost(host.to_string()));
    }
    Ok((host.to_ascii_lowercase(), port))
}

/// Loopback, private (RFC 1918, unique local), link-local, CGNAT, unspecified
/// or multicast: addresses an allowed *name* must not lead to.
pub fn is_private(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b))
                || a == 0
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback() || v6.is_unspecified() || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || v6.to_ipv4_mapped().is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_names_wildcards_and_ports() {
        let exact = HostRule::parse("api.example.com").unwrap();
        assert!(exact.matches("API.example.com", 443) && exact.matches("api.example.com", 80));
        assert!(
            !exact.matches("api.example.com", 8443) && !exact.matches("x.api.example.com", 443)
        );
        let wild = HostRule::parse("*.example.com:8443").unwrap();
        assert!(wild.matches("a.b.example.com", 8443) && !wild.matches("example.com", 8443));
        assert!(!wild.matches("evilexample.com", 8443) && !wild.matches("a.example.com", 443));
        assert!(HostRule::parse("bad host").is_err() && HostRule::parse("h:99999").is_err());
    }

    #[test]
    fn an_address_is_refused_with_the_way_to_name_it() {
        for entry in ["127.0.0.1:8765", "10.0.0.2", "[::1]:8765"] {
            let error = HostRule::parse(entry).unwrap_err().to_string();
            assert!(error.contains("--resolve local.test:"), "{error}");
        }
        let error = HostRule::parse("127.0.0.1:8765").unwrap_err().to_string();
        assert!(
            error.contains("--resolve local.test:8765:127.0.0.1"),
            "{error}"
        );
    }

    #[test]
    fn private_addresses() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.1.1",
            "172.16.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "2606:2800:220:1::1"] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }
}
