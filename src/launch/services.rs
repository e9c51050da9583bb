//! What guard runs beside a session, outside it: the log's writer, the
//! reader of the supervisor's records, the network proxy, the session's
//! channel, the tool-call report watcher. They start once the session's
//! processes are cloned (guard is single-threaded until then) and end after
//! its last process.

use super::{LaunchError, SessionEnvironment, injected_failure, reports, system};
use crate::audit::relay::Inbound;
use crate::audit::{AuditHandle, Event};
use crate::channel::server::{self, Server, ServerContext, SharedTrust};
use crate::policy::Policy;
use crate::proxy::Proxy;
use std::os::unix::net::UnixStream;

/// guard's ends of what connects it to the session.
pub struct Ends {
    /// The supervisor's records (supervised sessions).
    pub records: Option<std::os::fd::OwnedFd>,
    /// Where the supervisor hands over connections to the channel.
    pub channel: Option<UnixStream>,
    /// The bound proxy, when the session has a network allowlist.
    pub proxy: Option<Proxy>,
}

/// The running services.
pub struct Services {
    inbound: Option<Inbound>,
    channel: Option<Server>,
    watcher: Option<reports::Watcher>,
}

/// Starts every service; the error names the first that could not start
/// (those after it are not started).
pub fn start(
    policy: &Policy,
    writer: &mut AuditHandle,
    ends: Ends,
    environment: &SessionEnvironment<'_>,
) -> (Services, Option<LaunchError>) {
    let events = writer.sender();
    let mut failure = None;
    if let Err(error) = injected_failure("writer").and_then(|()| writer.start()) {
        failure = Some(system("start the audit writer")(error));
    }
    // The session's trust: lowered by the channel's requests, and by the
    // supervisor's scans of what the session reads.
    let trust = SharedTrust::default();
    let observe: Box<dyn Fn(&Event) + Send> = {
        let (trust, events) = (trust.clone(), events.clone());
        Box::new(move |record| server::observe(&trust, &events, record))
    };
    let inbound = ends.records.filter(|_| failure.is_none()).and_then(|read| {
        injected_failure("records")
            .and_then(|()| Inbound::start(std::fs::File::from(read), events.clone(), observe))
            .map_err(|error| failure = Some(system("read the supervisor's records")(error)))
            .ok()
    });
    let gate = server::destination_gate(trust.clone(), policy.trust.clone());
    if let Some(proxy) = ends.proxy
        && failure.is_none()
        && let Err(error) = injected_failure("proxy")
            .and_then(|()| proxy.serve(&policy.network, events.clone(), Some(gate)))
    {
        failure = Some(system("start the network proxy")(error));
    }
    let channel = match (ends.channel, &failure) {
        (Some(from_anchor), None) => {
            let context = ServerContext {
                plan: policy.trust.clone(),
                repo: policy.repo.clone(),
                events: events.clone(),
                credentials: environment.on_demand.cloned(),
                trust,
            };
            injected_failure("channel")
                .and_then(|()| Server::start(from_anchor, context))
                .map_err(|error| failure = Some(system("serve the session's channel")(error)))
                .ok()
        }
        _ => None,
    };
    let watcher = match (environment.supervised, &failure) {
        (true, None) => injected_failure("watcher")
            .and_then(|()| reports::Watcher::start(&policy.session.reports_dir(), events.clone()))
            .map_err(|error| failure = Some(system("start the tool-call report watcher")(error)))
            .ok(),
        _ => None,
    };
    let services = Services {
        inbound,
        channel,
        watcher,
    };
    (services, failure)
}

impl Services {
    /// Takes the last records once the session's processes are gone:
    /// returns how many processes the anchor reported it had to end.
    pub fn finish(self) -> Result<usize, LaunchError> {
        let mut leftover = 0;
        let mut failure = None;
        if let Some(inbound) = self.inbound {
            match inbound.join() {
                Ok(Some(end)) => leftover = end.leftover_processes,
                Ok(None) => {}
                Err(error) => failure = Some(system("read the supervisor's records")(error)),
            }
        }
        if let Some(watcher) = self.watcher {
            watcher.finish();
        }
        if let Some(channel) = self.channel {
            channel.finish();
        }
        match failure {
            Some(error) => Err(error),
            None => Ok(leftover),
        }
    }
}
