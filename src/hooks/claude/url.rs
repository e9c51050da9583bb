//! The host an `http` or `https` URL names, as a WHATWG URL parser (Node's,
//! which Claude Code's fetch uses) reads it: only what decides the host is
//! followed, and anything this reader would read differently is `None`
//! (left to the proxy, which decides on the connection itself).
//!
//! The differences that matter from a naive split: leading and trailing
//! spaces and controls are stripped and tabs and newlines removed anywhere;
//! any number of `/` or `\` may follow `http:`; a `\` ends the authority as
//! `/` does (`http://evil\@allowed/` is host `evil`); the host ends at its
//! first `:`; the host is percent-decoded; a host whose last label is a
//! number is an IPv4 address in any of its spellings (`2130706433`,
//! `0x7f.1`).

/// What an `http`/`https` URL's host is, judged as the policy judges hosts.
#[derive(Debug, PartialEq, Eq)]
pub enum UrlHost {
    /// A host name (lowercase, ASCII) and port.
    Name(String, u16),
    /// An address, in whatever spelling.
    Address,
}

/// The host of `url`; `None` when it is not an `http`/`https` URL, or not one
/// this reader is sure to read as a WHATWG parser does (non-ASCII names,
/// which need IDNA; forbidden characters; a bad port).
pub fn http_host(url: &str) -> Option<UrlHost> {
    let trimmed = url.trim_matches(|c: char| c <= ' ');
    let url: String = trimmed
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let (scheme, rest) = url.split_once(':')?;
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let rest = rest.trim_start_matches(['/', '\\']);
    let end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host_port = match authority.rfind('@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    if let Some(bracketed) = host_port.strip_prefix('[') {
        let (literal, after) = bracketed.split_once(']')?;
        literal.parse::<std::net::Ipv6Addr>().ok()?;
        if !after.is_empty() {
            port_of(after.strip_prefix(':')?, default_port)?;
        }
        return Some(UrlHost::Address);
    }
    let (host, port) = match host_port.split_once(':') {
        Some((host, port)) => (host, port_of(port, default_port)?),
        None => (host_port, default_port),
    };
    let host = percent_decode(host)?.to_ascii_lowercase();
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if host.is_empty() || !host.chars().all(allowed) {
        return None;
    }
    if ends_in_a_number(&host) {
        return Some(UrlHost::Address);
    }
    Some(UrlHost::Name(host, port))
}

/// The port after the host's `:` (empty: the scheme's default).
fn port_of(text: &str, default: u16) -> Option<u16> {
    match text {
        "" => Some(default),
        digits if digits.bytes().all(|b| b.is_ascii_digit()) => digits.parse().ok(),
        _ => None,
    }
}

/// `%XX` decoded; `None` for a bad escape or bytes that are not ASCII.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = std::str::from_utf8(bytes.get(at + 1..at + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(out).ok().filter(|text| text.is_ascii())
}

/// WHATWG's "ends in a number": the last label (after a trailing dot is
/// dropped) is decimal digits or `0x` hex, so the host is an IPv4 address.
fn ends_in_a_number(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    let last = host.rsplit('.').next().unwrap_or(host);
    let hex = last
        .strip_prefix("0x")
        .is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_hexdigit()));
    hex || (!last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(host: &str, port: u16) -> Option<UrlHost> {
        Some(UrlHost::Name(host.into(), port))
    }

    #[test]
    fn hosts_as_a_whatwg_parser_reads_them() {
        let cases = [
            ("https://docs.rs/regex", name("docs.rs", 443)),
            (
                "http://API.example.com:8080/x",
                name("api.example.com", 8080),
            ),
            ("https://u:p@allowed.test/", name("allowed.test", 443)),
            // A backslash ends the authority: the host is `evil`.
            ("http://evil.test\\@allowed.test/", name("evil.test", 80)),
            ("http://evil.test#@allowed.test/", name("evil.test", 80)),
            ("http://evil.test?@allowed.test/", name("evil.test", 80)),
            ("http://allowed.test@evil.test/", name("evil.test", 80)),
            // Slashes and backslashes after the scheme, spaces and controls.
            ("http:evil.test/", name("evil.test", 80)),
            ("https:\\\\evil.test", name("evil.test", 443)),
            ("  https://evil.test/ ", name("evil.test", 443)),
            ("https://ev\til.test/", name("evil.test", 443)),
            ("HTTPS://EVIL.test:/", name("evil.test", 443)),
            ("http://ev%69l.test/", name("evil.test", 80)),
            // Addresses in every spelling.
            ("http://169.254.169.254/latest", Some(UrlHost::Address)),
            ("http://2130706433/", Some(UrlHost::Address)),
            ("http://0x7f.1/", Some(UrlHost::Address)),
            ("http://127.1./", Some(UrlHost::Address)),
            ("http://[::1]:8080/a", Some(UrlHost::Address)),
            // Not for this reader.
            ("ftp://docs.rs/x", None),
            ("/relative", None),
            ("http://a:b:c/", None),
            ("http://ex%ZZ.test/", None),
            ("http://bücher.test/", None),
            ("http://a b.test/", None),
            ("http://a.test:99999/", None),
        ];
        for (url, expected) in cases {
            assert_eq!(http_host(url), expected, "{url}");
        }
    }
}
