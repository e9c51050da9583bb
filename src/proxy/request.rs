//! Reading a proxy request's head: `CONNECT host:port` or an absolute-form
//! `METHOD http://host[:port]/path`.

use std::io::Read;

/// The most a request head may take.
const MAX_HEAD: usize = 64 * 1024;

/// Most header lines a request head may have.
const MAX_HEADERS: usize = 128;

/// Why a request head was refused (answered `400 Bad Request`).
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The client went away before sending a whole head.
    #[error("connection closed")]
    Closed,
    /// Reading from the client failed.
    #[error("reading the request: {0}")]
    Read(#[source] std::io::Error),
    /// Not HTTP/1 request syntax.
    #[error("malformed request head: {0}")]
    Malformed(#[source] httparse::Error),
    /// More than [`MAX_HEAD`] bytes without the head's end.
    #[error("request head too large")]
    TooLarge,
    /// Neither `CONNECT` nor an absolute `http://` target.
    #[error("only CONNECT and absolute http:// requests are proxied")]
    NotProxied,
    /// The target's authority is not a host and port.
    #[error(transparent)]
    Authority(#[from] crate::policy::AuthorityError),
    /// A plain HTTP request without exactly one `Host` header.
    #[error("{0} Host headers; a request has one")]
    HostHeaders(usize),
    /// The `Host` header is not UTF-8.
    #[error("the Host header is not text")]
    HostNotText,
    /// The `Host` header names another site than the target (domain
    /// fronting).
    #[error("the Host header names {claimed}, not {target}, the host the request is for")]
    HostMismatch {
        /// `host:port` the header names.
        claimed: String,
        /// `host:port` of the request target.
        target: String,
    },
}

/// A parsed proxy request.
#[derive(Debug)]
pub struct Request {
    /// `CONNECT`, `GET`, …
    pub method: String,
    /// The target host (lowercase, without brackets).
    pub host: String,
    /// The target port.
    pub port: u16,
    /// For plain HTTP: the path and query (origin form).
    path: String,
    /// The HTTP version.
    version: String,
    /// Header lines, as sent.
    headers: Vec<(String, Vec<u8>)>,
    /// Bytes read after the head (the start of a body, or of a tunnel).
    pub buffered_body: Vec<u8>,
}

impl Request {
    /// Reads and parses the head from `stream` (`httparse`: the request line
    /// and header syntax of RFC 9112). A plain HTTP request must name its
    /// target in absolute form, and its one `Host` header must name the
    /// same host and port: a front end shared by many sites routes by
    /// `Host`, so a different one would reach a site the policy never
    /// allowed (domain fronting).
    pub fn read(stream: &mut impl Read) -> Result<Request, RequestError> {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut parsed = httparse::Request::new(&mut headers);
            match parsed.parse(&buffer) {
                Ok(httparse::Status::Complete(length)) => {
                    return Request::from_parsed(&parsed, buffer[length..].to_vec());
                }
                Ok(httparse::Status::Partial) => {}
                Err(error) => return Err(RequestError::Malformed(error)),
            }
            if buffer.len() > MAX_HEAD {
                return Err(RequestError::TooLarge);
            }
            let n = stream.read(&mut chunk).map_err(RequestError::Read)?;
            if n == 0 {
                return Err(RequestError::Closed);
            }
            buffer.extend_from_slice(&chunk[..n]);
        }
    }

    fn from_parsed(
        parsed: &httparse::Request<'_, '_>,
        buffered_body: Vec<u8>,
    ) -> Result<Request, RequestError> {
        // A complete parse has both (httparse fills them before the headers).
        let (Some(method), Some(target)) = (parsed.method, parsed.path) else {
            return Err(RequestError::NotProxied);
        };
        let version = match parsed.version {
            Some(0) => "HTTP/1.0",
            _ => "HTTP/1.1",
        };
        let headers: Vec<(String, Vec<u8>)> = parsed
            .headers
            .iter()
            .map(|header| (header.name.to_string(), header.value.to_vec()))
            .collect();
        let (host, port, path) = if method == "CONNECT" {
            let (host, port) = crate::policy::split_host_port(target, 443)?;
            (host, port, String::new())
        } else {
            let rest = target
                .strip_prefix("http://")
                .ok_or(RequestError::NotProxied)?;
            let (authority, path) = match rest.find(['/', '?']) {
                Some(at) if rest.as_bytes()[at] == b'?' => {
                    (&rest[..at], format!("/{}", &rest[at..]))
                }
                Some(at) => (&rest[..at], rest[at..].to_string()),
                None => (rest, "/".to_string()),
            };
            let (host, port) = crate::policy::split_host_port(authority, 80)?;
            let named = host_headers(&headers);
            let [named] = named.as_slice() else {
                return Err(RequestError::HostHeaders(named.len()));
            };
            let value = std::str::from_utf8(named).map_err(|_| RequestError::HostNotText)?;
            let claimed = crate::policy::split_host_port(value.trim(), 80)?;
            if claimed != (host.clone(), port) {
                return Err(RequestError::HostMismatch {
                    claimed: format!("{}:{}", claimed.0, claimed.1),
                    target: format!("{host}:{port}"),
                });
            }
            (host, port, path)
        };
        Ok(Request {
            method: method.to_string(),
            host,
            port,
            path,
            version: version.to_string(),
            headers,
            buffered_body,
        })
    }

    /// `user:password` from a `Proxy-Authorization: Basic …` header.
    pub fn proxy_credentials(&self) -> Option<String> {
        let value = self
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("proxy-authorization"))?;
        let value = std::str::from_utf8(&value.1).ok()?;
        let encoded = value
            .strip_prefix("Basic ")
            .or_else(|| value.strip_prefix("basic "))?;
        String::from_utf8(base64_decode(encoded.trim())?).ok()
    }

    /// The head to send upstream for plain HTTP: origin form, without the
    /// proxy's headers, with `Connection: close` (one request per
    /// connection, so every request is checked).
    pub fn forwarded_head(&self) -> Vec<u8> {
        let mut head = format!("{} {} {}\r\n", self.method, self.path, self.version).into_bytes();
        for (name, value) in &self.headers {
            let lower = name.to_ascii_lowercase();
            if matches!(
                lower.as_str(),
                "proxy-authorization" | "proxy-connection" | "connection" | "keep-alive"
            ) {
                continue;
            }
            head.extend_from_slice(name.as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(value);
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"Connection: close\r\n\r\n");
        head
    }
}

/// The values of every `Host` header.
fn host_headers(headers: &[(String, Vec<u8>)]) -> Vec<&[u8]> {
    headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("host"))
        .map(|(_, value)| value.as_slice())
        .collect()
}

/// Standard base64, with or without padding.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    LENIENT.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_and_absolute_requests() {
        let raw = b"CONNECT API.example.com:443 HTTP/1.1\r\nProxy-Authorization: Basic Z3VhcmQ6c2VjcmV0\r\n\r\nTLS";
        let request = Request::read(&mut &raw[..]).unwrap();
        assert_eq!(
            (request.method.as_str(), request.host.as_str(), request.port),
            ("CONNECT", "api.example.com", 443)
        );
        assert_eq!(request.proxy_credentials().as_deref(), Some("guard:secret"));
        assert_eq!(request.buffered_body, b"TLS");
        let raw = b"GET http://h.test:8080/a?b HTTP/1.1\r\nHost: h.test:8080\r\nProxy-Connection: keep-alive\r\n\r\n";
        let request = Request::read(&mut &raw[..]).unwrap();
        assert_eq!((request.host.as_str(), request.port), ("h.test", 8080));
        let head = String::from_utf8(request.forwarded_head()).unwrap();
        assert!(
            head.starts_with("GET /a?b HTTP/1.1\r\n")
                && !head.contains("Proxy-")
                && head.contains("Connection: close")
        );
        assert!(Request::read(&mut &b"GET /relative HTTP/1.1\r\n\r\n"[..]).is_err());
    }

    #[test]
    fn the_host_header_must_name_the_target() {
        let read = |raw: &str| Request::read(&mut raw.as_bytes());
        assert!(read("GET http://a.test/ HTTP/1.1\r\nHost: A.test\r\n\r\n").is_ok());
        assert!(read("GET http://a.test:80/ HTTP/1.1\r\nHost: a.test\r\n\r\n").is_ok());
        for (raw, why) in [
            (
                "GET http://a.test/ HTTP/1.1\r\nHost: b.test\r\n\r\n",
                "names b.test:80",
            ),
            (
                "GET http://a.test/ HTTP/1.1\r\nHost: a.test:8080\r\n\r\n",
                "names a.test:8080",
            ),
            ("GET http://a.test/ HTTP/1.1\r\n\r\n", "0 Host headers"),
            (
                "GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n",
                "2 Host headers",
            ),
            (
                "GET http://a.test/ HTTP/1.1\r\nHost: b.test@a.test\r\n\r\n",
                "not a host",
            ),
            (
                "GET http://b.test@a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n",
                "not a host",
            ),
            (
                "GET http://a.test\\@b.test/ HTTP/1.1\r\nHost: b.test\r\n\r\n",
                "not a host",
            ),
            (
                "GET http://a.test/ HTTP/1.1\r\nHost : a.test\r\n\r\n",
                "malformed",
            ),
        ] {
            let error = read(raw).unwrap_err().to_string();
            assert!(error.contains(why), "{raw:?}: {error}");
        }
    }

    #[test]
    fn base64() {
        assert_eq!(base64_decode("Z3VhcmQ6c2VjcmV0").unwrap(), b"guard:secret");
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert!(base64_decode("!!").is_none());
    }

    /// Whatever a client sends: read or refused, without a panic, and a
    /// head that never ends is refused rather than waited for.
    mod hostile_input {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            #[test]
            fn any_bytes_are_read_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
                let _ = Request::read(&mut bytes.as_slice());
            }

            #[test]
            fn any_request_head_is_read_or_refused(
                method in "(GET|POST|CONNECT|[A-Z]{1,8})",
                target in "(http://)?[ -~]{0,60}",
                hosts in proptest::collection::vec("[ -~]{0,40}", 0..3),
                extra in "([!-~]{1,12}: [ -~]{0,30}\r\n){0,4}",
            ) {
                let mut head = format!("{method} {target} HTTP/1.1\r\n");
                for host in &hosts {
                    head += &format!("Host: {host}\r\n");
                }
                head += &extra;
                head += "\r\n";
                if let Ok(request) = Request::read(&mut head.as_bytes()) {
                    let _ = request.forwarded_head();
                    let _ = request.proxy_credentials();
                }
            }
        }

        #[test]
        fn an_endless_head_is_refused() {
            for byte in [b'a', b' ', b'\n'] {
                let error = Request::read(&mut std::io::repeat(byte)).unwrap_err();
                assert!(
                    matches!(error, RequestError::TooLarge | RequestError::Malformed(_)),
                    "{error}"
                );
            }
        }
    }
}
