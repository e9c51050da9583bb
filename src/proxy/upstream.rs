//! Tunnels through the user's own HTTP proxy (`CONNECT`), for networks
//! whose only way out it is. The destination was allowed before; the
//! proxy's credential, if its variable carries one, is read here, when
//! the session's proxy starts, and never leaves this module but as the
//! `Proxy-Authorization` header.

use crate::credentials::Secret;
use crate::policy::UpstreamProxy;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The longest answer head read from the proxy.
const MAX_HEAD: usize = 16 * 1024;

/// The user's proxy, ready to tunnel through.
pub(super) struct Upstream {
    policy: UpstreamProxy,
    /// `Basic …`, when the proxy takes a credential.
    authorization: Option<Secret>,
}

impl Upstream {
    /// The proxy `policy` names, with its credential read from guard's own
    /// environment.
    pub(super) fn new(policy: &UpstreamProxy) -> Upstream {
        let authorization = policy
            .credential
            .then(|| std::env::var(&policy.variable).ok())
            .flatten()
            .and_then(|value| basic_authorization(&value));
        Upstream {
            policy: policy.clone(),
            authorization,
        }
    }

    /// Whether a connection to `host` goes through the proxy.
    pub(super) fn applies_to(&self, host: &str) -> bool {
        self.policy.applies_to(host)
    }

    /// The proxy, as the records name it.
    pub(super) fn name(&self) -> String {
        format!("{}:{}", self.policy.host, self.policy.port)
    }

    /// A connection to `host:port` through the proxy, and the proxy's
    /// address; or why there is none.
    pub(super) fn tunnel(
        &self,
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> Result<(TcpStream, SocketAddr), String> {
        let addresses = (self.policy.host.as_str(), self.policy.port)
            .to_socket_addrs()
            .map_err(|error| format!("the proxy {} cannot be resolved: {error}", self.name()))?;
        let mut stream = addresses
            .into_iter()
            .find_map(|address| TcpStream::connect_timeout(&address, timeout).ok())
            .ok_or_else(|| format!("the proxy {} is unreachable", self.name()))?;
        let address = stream
            .peer_addr()
            .map_err(|error| format!("the proxy {}: {error}", self.name()))?;
        let mut head = format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n");
        if let Some(authorization) = &self.authorization {
            head.push_str(&format!(
                "Proxy-Authorization: {}\r\n",
                authorization.expose()
            ));
        }
        head.push_str("\r\n");
        let _ = stream.set_read_timeout(Some(timeout));
        stream
            .write_all(head.as_bytes())
            .map_err(|error| format!("the proxy {}: {error}", self.name()))?;
        let status = read_status(&mut stream)
            .ok_or_else(|| format!("the proxy {} sent no HTTP answer", self.name()))?;
        let _ = stream.set_read_timeout(None);
        match status.split_whitespace().nth(1) {
            Some(code) if code.starts_with('2') => Ok((stream, address)),
            _ => Err(format!("the proxy {} answered `{status}`", self.name())),
        }
    }
}

/// The status line of the answer, the rest of its head read and dropped;
/// byte by byte, so that nothing of the tunnel's data is taken with it.
fn read_status(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_HEAD || stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let line = head.split(|&b| b == b'\r').next()?;
    Some(crate::text::for_terminal(&String::from_utf8_lossy(line)))
}

/// `Basic base64(user:password)` from a proxy URL's `user:password@`
/// (percent-escapes decoded).
fn basic_authorization(url: &str) -> Option<Secret> {
    use base64::Engine;
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    let decoded = percent_decode(userinfo)?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(decoded);
    Some(Secret::new(format!("Basic {encoded}")))
}

fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(byte) = bytes.next() {
        if byte == b'%' {
            let hex = [bytes.next()?, bytes.next()?];
            out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            out.push(byte);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_in_the_url_becomes_basic_authorization() {
        let header = basic_authorization("http://al%40ce:p%3Ass@proxy:3128/").unwrap();
        // base64("al@ce:p:ss")
        assert_eq!(header.expose(), "Basic YWxAY2U6cDpzcw==");
        assert!(basic_authorization("http://proxy:3128").is_none());
        assert!(basic_authorization("http://a:%zz@proxy:1").is_none());
    }
}
