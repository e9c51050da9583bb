//! The network allowlist: an HTTP proxy guard runs on loopback for sessions
//! with `network.mode = "allow"`.
//!
//! It handles `CONNECT` (HTTPS and anything tunnelled) and plain HTTP
//! (absolute-form requests), asks for a per-session credential
//! (`Proxy-Authorization`), lets through only the policy's hosts, resolves
//! names itself (refusing private addresses unless allowed), and records every
//! connection. The session cannot go around it: the supervisor performs each
//! `connect` and only lets IP sockets reach the proxy's address (race-free),
//! Landlock allows TCP connect to the proxy's port only, and seccomp refuses
//! UDP and raw sockets, so there is no DNS of the session's own either.
//! Where the user has an HTTP proxy of their own (`HTTPS_PROXY`), allowed
//! connections go on through it (`upstream`), but for `NO_PROXY` names and
//! `network.resolve` entries.

mod request;
mod upstream;

use crate::audit::{Event, EventKind, EventSender};
use crate::credentials::Secret;
use crate::policy::{HostRule, NetworkPolicy, is_private};
use request::Request;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A Node.js preload that points `fetch` at the proxy variables: Node.js
/// before 22 ignores them, and its bundled npm carries the undici that has
/// `EnvHttpProxyAgent` (undici dispatchers are shared through a global
/// symbol, so setting it there reaches Node's own `fetch`). It does nothing
/// where that undici is missing.
pub const NODE_PRELOAD: &str = r#"// guard: make fetch() use HTTPS_PROXY/HTTP_PROXY (Node.js < 22 ignores them).
try {
  const path = require('path');
  const undici = require(path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'undici'));
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  try { undici.setGlobalDispatcher(new undici.EnvHttpProxyAgent()); } finally { process.emitWarning = emitWarning; }
} catch (error) {}
"#;

/// How long an upstream connect may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A bound, not yet serving, proxy.
#[derive(Debug)]
pub struct Proxy {
    listener: TcpListener,
    address: SocketAddr,
    token: Secret,
}

/// What the serving threads share.
struct Shared {
    rules: Vec<HostRule>,
    allow_private: bool,
    resolve: std::collections::BTreeMap<String, IpAddr>,
    expected_authorization: String,
    events: EventSender,
    gate: Option<DestinationGate>,
    upstream: Option<upstream::Upstream>,
}

/// A last say over a destination the rules allow: `Err` with the reason to
/// refuse it (the session's trust, see `docs/trust.md`).
pub type DestinationGate = Arc<dyn Fn(&str, u16) -> Result<(), String> + Send + Sync>;

impl Proxy {
    /// Binds a random port on 127.0.0.1 (before the session forks, so the
    /// session's environment can name it).
    pub fn bind() -> std::io::Result<Proxy> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let address = listener.local_addr()?;
        let token = Secret::new(crate::credentials::random_token()?);
        Ok(Proxy {
            listener,
            address,
            token,
        })
    }

    /// The proxy's address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The variables that make clients use the proxy. `node_preload` is a
    /// file holding [`NODE_PRELOAD`], for Node.js versions whose `fetch`
    /// ignores the proxy variables.
    pub fn environment(&self, node_preload: Option<&std::path::Path>) -> Vec<(String, Secret)> {
        let url = Secret::new(format!(
            "http://guard:{}@{}",
            self.token.expose(),
            self.address
        ));
        let mut env: Vec<(String, Secret)> = [
            "HTTPS_PROXY",
            "HTTP_PROXY",
            "ALL_PROXY",
            "https_proxy",
            "http_proxy",
            "all_proxy",
        ]
        .iter()
        .map(|name| (name.to_string(), url.clone()))
        .collect();
        for (name, value) in [
            ("NO_PROXY", ""),
            ("no_proxy", ""),
            ("NODE_USE_ENV_PROXY", "1"),
        ] {
            env.push((name.to_string(), Secret::new(value.to_string())));
        }
        if let Some(preload) = node_preload {
            env.push((
                "NODE_OPTIONS".to_string(),
                Secret::new(format!("--require {}", preload.display())),
            ));
        }
        env
    }

    /// Starts serving on a thread (after the fork). Connections are recorded
    /// through `events`; `gate` may refuse a destination the rules allow.
    pub fn serve(
        self,
        network: &NetworkPolicy,
        events: EventSender,
        gate: Option<DestinationGate>,
    ) -> std::io::Result<()> {
        let shared = Arc::new(Shared {
            rules: network.allow.clone(),
            allow_private: network.allow_private,
            resolve: network.resolve.clone(),
            expected_authorization: format!("guard:{}", self.token.expose()),
            events,
            gate,
            upstream: network.upstream.as_ref().map(upstream::Upstream::new),
        });
        std::thread::Builder::new()
            .name("guard-proxy".into())
            .spawn(move || {
                for client in self.listener.incoming().flatten() {
                    let shared = Arc::clone(&shared);
                    let _ = std::thread::Builder::new().spawn(move || handle(client, &shared));
                }
            })?;
        Ok(())
    }
}

/// The outcome of one proxied connection, for its record.
struct Outcome {
    host: String,
    port: u16,
    allowed: bool,
    reason: String,
    upstream: Option<SocketAddr>,
    /// The user's proxy the connection went through.
    through: Option<String>,
    sent: u64,
    received: u64,
}

fn handle(mut client: TcpStream, shared: &Shared) {
    let started = Instant::now();
    let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
    let request = match Request::read(&mut client) {
        Ok(request) => request,
        Err(refused) => {
            let body = format!("guard refused the request: {refused}\n");
            let _ = write!(
                client,
                "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            close_after_answer(&mut client);
            // A client that went away sent nothing to refuse.
            if !matches!(refused, request::RequestError::Closed) {
                let event = Event::new(EventKind::Connect, None)
                    .with("via", "proxy")
                    .with("allowed", false)
                    .with("rule", refused.to_string());
                shared.events.send(event);
            }
            return;
        }
    };
    let _ = client.set_read_timeout(None);
    let outcome = serve_request(&mut client, &request, shared);
    let mut event = Event::new(EventKind::Connect, None)
        .with("via", "proxy")
        .with("method", request.method.clone())
        .with("host", outcome.host)
        .with("port", outcome.port)
        .with("allowed", outcome.allowed)
        .with("rule", outcome.reason)
        .with("bytes_sent", outcome.sent)
        .with("bytes_received", outcome.received)
        .with("duration_ms", started.elapsed().as_millis() as u64);
    if let Some(upstream) = outcome.upstream {
        event = event.with("address", upstream.to_string());
    }
    if let Some(proxy) = outcome.through {
        event = event.with("through", proxy);
    }
    shared.events.send(event);
}

/// Answers the client with an error; `allowed` says whether the policy had
/// allowed the destination (and the failure is the upstream's).
fn answer_error(
    client: &mut TcpStream,
    status: &str,
    host: &str,
    port: u16,
    reason: String,
    allowed: bool,
) -> Outcome {
    // A refusal says so first, then the rule and what would allow it; a
    // failure of an allowed connection says what failed.
    let body = match allowed {
        false => format!("guard refused {host}:{port}: {reason}\n"),
        true => format!("guard: {host}:{port}: {reason}\n"),
    };
    let _ = write!(
        client,
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n{body}",
        body.len(),
        if status.starts_with("407") {
            "Proxy-Authenticate: Basic realm=\"guard\"\r\n"
        } else {
            ""
        }
    );
    close_after_answer(client);
    Outcome {
        host: host.to_string(),
        port,
        allowed,
        reason,
        upstream: None,
        through: None,
        sent: 0,
        received: 0,
    }
}

/// Closes a connection the proxy answered without serving, so the client
/// reads the answer. A client may already have sent more than the request (a
/// TLS hello right behind its `CONNECT`); closing with that unread makes the
/// kernel reset the connection, and the reset can destroy the answer before
/// the client reads it. So: end our side, then drain briefly until the client
/// closes too (a "lingering close").
fn close_after_answer(client: &mut TcpStream) {
    let _ = client.shutdown(Shutdown::Write);
    let _ = client.set_read_timeout(Some(Duration::from_secs(1)));
    let mut discard = [0u8; 4096];
    let mut left: usize = 256 * 1024;
    while left > 0 {
        match client.read(&mut discard) {
            Ok(0) | Err(_) => break,
            Ok(read) => left = left.saturating_sub(read),
        }
    }
}

fn refuse(client: &mut TcpStream, status: &str, host: &str, port: u16, reason: String) -> Outcome {
    answer_error(client, status, host, port, reason, false)
}

fn serve_request(client: &mut TcpStream, request: &Request, shared: &Shared) -> Outcome {
    let (host, port) = (request.host.as_str(), request.port);
    if request.proxy_credentials().as_deref() != Some(shared.expected_authorization.as_str()) {
        return refuse(
            client,
            "407 Proxy Authentication Required",
            host,
            port,
            "missing or wrong proxy credential".into(),
        );
    }
    if host.parse::<IpAddr>().is_ok() {
        return refuse(
            client,
            "403 Forbidden",
            host,
            port,
            format!(
                "an address, not a host name; name it and say where it is: \
                 --allow-domain NAME:{port} --resolve NAME:{port}:{host} (profile: \
                 network.allow and network.resolve)"
            ),
        );
    }
    let Some(rule) = shared.rules.iter().find(|rule| rule.matches(host, port)) else {
        return refuse(
            client,
            "403 Forbidden",
            host,
            port,
            format!(
                "no network.allow rule matches; to allow it: --allow-domain {host}:{port} \
                 (profile: network.allow = [\"{host}\"])"
            ),
        );
    };
    if let Some(gate) = &shared.gate
        && let Err(reason) = gate(host, port)
    {
        return refuse(client, "403 Forbidden", host, port, reason);
    }
    let rule = format!("network.allow {rule}");
    let Connected {
        stream: mut upstream,
        peer,
        through,
    } = match connect(client, host, port, &rule, shared) {
        Ok(connected) => connected,
        Err(outcome) => return *outcome,
    };
    if request.method == "CONNECT"
        && client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .is_err()
    {
        return refuse(
            client,
            "500 Internal Server Error",
            host,
            port,
            "client went away".into(),
        );
    }
    let head = if request.method == "CONNECT" {
        Vec::new()
    } else {
        request.forwarded_head()
    };
    if upstream.write_all(&head).is_err() {
        return answer_error(
            client,
            "502 Bad Gateway",
            host,
            port,
            format!("{rule}; upstream closed"),
            true,
        );
    }
    let _ = upstream.write_all(&request.buffered_body);
    let (sent, received) = relay(client, &mut upstream);
    Outcome {
        host: host.to_string(),
        port,
        allowed: true,
        reason: rule,
        upstream: peer,
        through,
        sent: sent + (head.len() + request.buffered_body.len()) as u64,
        received,
    }
}

/// A connection made for an allowed destination.
struct Connected {
    stream: TcpStream,
    /// The address connected to.
    peer: Option<SocketAddr>,
    /// The user's proxy it goes through.
    through: Option<String>,
}

/// A connection to an allowed `host:port`: through the user's proxy where
/// one applies, else to an address the name resolves to (refusing private
/// ones unless allowed). `Err`: the client was answered.
fn connect(
    client: &mut TcpStream,
    host: &str,
    port: u16,
    rule: &str,
    shared: &Shared,
) -> Result<Connected, Box<Outcome>> {
    let key = format!("{}:{port}", host.to_ascii_lowercase());
    if let Some(proxy) = &shared.upstream
        && proxy.applies_to(host)
        && !shared.resolve.contains_key(&key)
    {
        return match proxy.tunnel(host, port, CONNECT_TIMEOUT) {
            Ok((stream, address)) => Ok(Connected {
                stream,
                peer: Some(address),
                through: Some(proxy.name()),
            }),
            Err(why) => Err(Box::new(answer_error(
                client,
                "502 Bad Gateway",
                host,
                port,
                format!("{rule}; {why}"),
                true,
            ))),
        };
    }
    let addresses: Vec<SocketAddr> = match shared.resolve.get(&key) {
        Some(address) => vec![SocketAddr::new(*address, port)],
        None => match (host, port).to_socket_addrs() {
            Ok(addresses) => addresses
                .filter(|a| shared.allow_private || !is_private(a.ip()))
                .collect(),
            Err(error) => {
                return Err(Box::new(answer_error(
                    client,
                    "502 Bad Gateway",
                    host,
                    port,
                    format!("{rule}; cannot resolve: {error}"),
                    true,
                )));
            }
        },
    };
    if addresses.is_empty() {
        return Err(Box::new(refuse(
            client,
            "403 Forbidden",
            host,
            port,
            format!("{rule}, but it resolves only to private addresses (network.allow_private)"),
        )));
    }
    let upstream = addresses
        .iter()
        .find_map(|address| TcpStream::connect_timeout(address, CONNECT_TIMEOUT).ok());
    let Some(stream) = upstream else {
        return Err(Box::new(answer_error(
            client,
            "502 Bad Gateway",
            host,
            port,
            format!("{rule}; upstream unreachable"),
            true,
        )));
    };
    Ok(Connected {
        peer: stream.peer_addr().ok(),
        stream,
        through: None,
    })
}

/// Copies both ways until both sides are done; returns bytes client→upstream
/// and upstream→client.
fn relay(client: &mut TcpStream, upstream: &mut TcpStream) -> (u64, u64) {
    let (Ok(mut client_reader), Ok(mut upstream_writer)) =
        (client.try_clone(), upstream.try_clone())
    else {
        return (0, 0);
    };
    let up = std::thread::spawn(move || {
        let sent = copy(&mut client_reader, &mut upstream_writer);
        let _ = upstream_writer.shutdown(Shutdown::Write);
        sent
    });
    let received = copy(upstream, client);
    let _ = client.shutdown(Shutdown::Write);
    (up.join().unwrap_or(0), received)
}

fn copy(from: &mut TcpStream, to: &mut TcpStream) -> u64 {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut total = 0;
    loop {
        match from.read(&mut buffer) {
            Ok(0) | Err(_) => return total,
            Ok(n) => {
                if to.write_all(&buffer[..n]).is_err() {
                    return total;
                }
                total += n as u64;
            }
        }
    }
}
