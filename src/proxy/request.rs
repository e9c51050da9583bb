//! Reading a proxy request's head: `CONNECT host:port` or an absolute-form
//! `METHOD http://host[:port]/path`.

use std::io::Read;

/// The most a request head may take.
const MAX_HEAD: usize = 64 * 1024;

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
    headers: Vec<(String, String)>,
    /// Bytes read after the head (the start of a body, or of a tunnel).
    pub buffered_body: Vec<u8>,
}

impl Request {
    /// Reads and parses the head from `stream`.
    pub fn read(stream: &mut impl Read) -> Result<Request, String> {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 4096];
        let end = loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            if buffer.len() > MAX_HEAD {
                return Err("request head too large".into());
            }
            let n = stream.read(&mut chunk).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("connection closed".into());
            }
            buffer.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
        let buffered_body = buffer[end + 4..].to_vec();
        let mut lines = head.split("\r\n");
        let mut first = lines.next().unwrap_or_default().split(' ');
        let (method, target, version) = (
            first.next().unwrap_or_default(),
            first.next().unwrap_or_default(),
            first.next().unwrap_or("HTTP/1.1"),
        );
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
            .collect();
        let (host, port, path) = if method == "CONNECT" {
            let (host, port) = crate::policy::split_host_port(target, 443)?;
            (host, port, String::new())
        } else {
            let rest = target
                .strip_prefix("http://")
                .ok_or("only CONNECT and absolute http:// requests are proxied")?;
            let (authority, path) = match rest.find('/') {
                Some(at) => (&rest[..at], &rest[at..]),
                None => (rest, "/"),
            };
            let (host, port) = crate::policy::split_host_port(authority, 80)?;
            (host, port, path.to_string())
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
            .find(|(name, _)| name.eq_ignore_ascii_case("proxy-authorization"))?
            .1
            .as_str();
        let encoded = value
            .strip_prefix("Basic ")
            .or_else(|| value.strip_prefix("basic "))?;
        String::from_utf8(base64_decode(encoded.trim())?).ok()
    }

    /// The head to send upstream for plain HTTP: origin form, without the
    /// proxy's headers, with `Connection: close` (one request per
    /// connection, so every request is checked).
    pub fn forwarded_head(&self) -> Vec<u8> {
        let mut head = format!("{} {} {}\r\n", self.method, self.path, self.version);
        for (name, value) in &self.headers {
            let lower = name.to_ascii_lowercase();
            if matches!(
                lower.as_str(),
                "proxy-authorization" | "proxy-connection" | "connection" | "keep-alive"
            ) {
                continue;
            }
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("Connection: close\r\n\r\n");
        head.into_bytes()
    }
}

/// Standard base64 (with or without padding).
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let bytes: Vec<u8> = text.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= value(c)? << (18 - 6 * i);
        }
        let produced = chunk.len().saturating_sub(1);
        out.extend_from_slice(&acc.to_be_bytes()[1..1 + produced]);
    }
    Some(out)
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
        let raw = b"GET http://h.test:8080/a?b HTTP/1.1\r\nHost: h.test\r\nProxy-Connection: keep-alive\r\n\r\n";
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
    fn base64() {
        assert_eq!(base64_decode("Z3VhcmQ6c2VjcmV0").unwrap(), b"guard:secret");
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert!(base64_decode("!!").is_none());
    }
}
