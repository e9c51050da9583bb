//! guard's side of the channel: it keeps the session's trust state, judges
//! each request in arrival order (one connection at a time, so the log's
//! order is the order things happened) and records what it decided.

use super::{MAX_MESSAGE, TIMEOUT};
use crate::audit::{Event, EventKind, EventSender};
use crate::hooks::claude::{self, ToolCall};
use crate::hooks::trust::{sensitive_call, untrusted_source};
use crate::policy::trust::{Action, Source, TrustPlan};
use crate::profile::Gate;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

/// At most this many reports are recorded; later ones are refused and
/// counted.
const MAX_REPORTS: usize = 20_000;

/// What the server judges by.
#[derive(Debug, Clone)]
pub struct ServerContext {
    /// The policy's trust plan.
    pub plan: TrustPlan,
    /// The repository.
    pub repo: PathBuf,
    /// Where records go.
    pub events: EventSender,
    /// The credentials the session may ask for.
    pub credentials: Option<crate::session::leases::OnDemand>,
    /// The session's trust, shared with what else lowers it.
    pub trust: SharedTrust,
}

/// The session's trust state, shared between the channel and the reader of
/// the supervisor's records (a scan of a file the session read).
pub type SharedTrust = std::sync::Arc<std::sync::Mutex<TrustState>>;

/// The proxy's say over a destination: while the session is trusted, each
/// one it reaches is remembered; once it is untrusted, a destination not
/// reached before is refused when `[trust.actions] network = "deny"` (with
/// `ask` the hooks ask before the calls they see; the proxy cannot ask).
pub fn destination_gate(trust: SharedTrust, plan: TrustPlan) -> crate::proxy::DestinationGate {
    std::sync::Arc::new(move |host: &str, port: u16| {
        let host = host.to_ascii_lowercase();
        let with_port = format!("{host}:{port}");
        let mut state = trust.lock().unwrap_or_else(|e| e.into_inner());
        let Some(source) = &state.untrusted_by else {
            state.destinations.insert(host);
            state.destinations.insert(with_port);
            return Ok(());
        };
        let reached = state.destinations.contains(&host) || state.destinations.contains(&with_port);
        if reached || plan.gate(Action::Network) != Gate::Deny {
            return Ok(());
        }
        Err(format!(
            "the session read untrusted content ({}: {}) and has not reached {with_port} before ([trust.actions] network = \"deny\")",
            source.kind, source.what
        ))
    })
}

/// Lowers the session's trust for a supervisor record of a file the session
/// read whose scan has findings (see [`crate::supervisor::read_scan`]), and
/// records the change.
pub fn observe(trust: &SharedTrust, events: &EventSender, record: &Event) {
    let is_read_scan = record.kind == EventKind::Scan
        && record.fields.get("trigger").and_then(Value::as_str)
            == Some(crate::supervisor::read_scan::TRIGGER);
    if !is_read_scan {
        return;
    }
    let mut state = trust.lock().unwrap_or_else(|e| e.into_inner());
    if state.untrusted_by.is_some() {
        return;
    }
    let path = record
        .fields
        .get("path")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string();
    let source = Source {
        kind: "a file the session read that the scan flags",
        what: path.clone(),
    };
    let mut event = Event::new(EventKind::Trust, None)
        .with("state", "untrusted")
        .with("source_kind", source.kind)
        .with("source", path);
    if let Some(process) = &record.process {
        event = event.with("read_by", process.pid);
    }
    events.send(event);
    state.untrusted_by = Some(source);
}

/// The session's trust, as guard knows it.
#[derive(Debug, Default)]
pub struct TrustState {
    /// The source that made the session untrusted (none: trusted).
    untrusted_by: Option<Source>,
    /// Network destinations reached while the session was trusted.
    destinations: BTreeSet<String>,
    /// Reports recorded, and refused beyond the limit.
    reports: usize,
    refused_reports: usize,
    /// Credentials a call put to the user asked for (`ask`), and when: the
    /// next request for one within [`APPROVAL`] goes ahead.
    asked: std::collections::BTreeMap<String, std::time::Instant>,
}

/// How long a credential asked for in a call put to the user may be
/// retrieved without asking again.
const APPROVAL: std::time::Duration = std::time::Duration::from_secs(120);

/// The running server.
#[derive(Debug)]
pub struct Server {
    thread: std::thread::JoinHandle<()>,
}

impl Server {
    /// Serves the connections the supervisor hands over `from_anchor` until
    /// the anchor closes it.
    pub fn start(from_anchor: UnixStream, context: ServerContext) -> std::io::Result<Server> {
        let thread = std::thread::Builder::new()
            .name("guard-channel".to_string())
            .spawn(move || {
                while let Ok(Some(connection)) = crate::sys::handoff::receive(&from_anchor) {
                    serve(UnixStream::from(connection), &context);
                }
                let state = context.trust.lock().unwrap_or_else(|e| e.into_inner());
                if state.refused_reports > 0 {
                    context.events.send(
                        Event::new(EventKind::ToolCall, None)
                            .with("reports_refused", state.refused_reports)
                            .with("reason", format!("more than {MAX_REPORTS} reports")),
                    );
                }
            })?;
        Ok(Server { thread })
    }

    /// Waits for the server to end (the anchor has exited).
    pub fn finish(self) {
        let _ = self.thread.join();
    }
}

fn serve(mut stream: UnixStream, context: &ServerContext) {
    let _ = stream.set_read_timeout(Some(TIMEOUT));
    let _ = stream.set_write_timeout(Some(TIMEOUT));
    let mut request = Vec::new();
    if (&mut stream)
        .take(MAX_MESSAGE)
        .read_to_end(&mut request)
        .is_err()
    {
        return;
    }
    let answer = match serde_json::from_slice::<Value>(&request) {
        Ok(request) => {
            let mut state = context.trust.lock().unwrap_or_else(|e| e.into_inner());
            answer(&request, context, &mut state)
        }
        Err(error) => json!({"error": format!("the request is not JSON: {error}")}),
    };
    let _ = stream.write_all(answer.to_string().as_bytes());
}

/// The answer to one request.
pub fn answer(request: &Value, context: &ServerContext, state: &mut TrustState) -> Value {
    let call = || ToolCall::from_value(&request["input"]);
    match request["op"].as_str() {
        Some("report") => {
            if state.reports >= MAX_REPORTS {
                state.refused_reports += 1;
                return json!({"error": "too many reports"});
            }
            state.reports += 1;
            let event = crate::launch::reports::event_of(&request["report"].to_string());
            context.events.send(event);
            json!({})
        }
        Some("pre-tool-use") => match call() {
            Ok(call) => {
                // A client that cannot put a call to the user (Codex) gets
                // `deny` where another would get `ask`; a request that
                // names no client is Claude Code's.
                let client = serde_json::from_value(request["client"].clone())
                    .unwrap_or(crate::policy::HookClient::Claude);
                let can_ask = crate::policy::HookClient::can_ask(client);
                pre_tool_use(&call, &request["sandbox_refusal"], can_ask, context, state)
            }
            Err(error) => json!({"error": error.to_string()}),
        },
        Some("post-tool-use") => match call() {
            Ok(call) => {
                let failed = request["input"]["hook_event_name"] == "PostToolUseFailure";
                post_tool_use(&call, failed, context, state)
            }
            Err(error) => json!({"error": error.to_string()}),
        },
        Some("credential") => credential(request["name"].as_str().unwrap_or(""), context, state),
        _ => json!({"error": "unknown request"}),
    }
}

/// The decision on a call: the trust gate first (its reason names the
/// untrusted source), then what the sandbox refuses anyway (`sandbox`: the
/// hook's refusal, `reason` and the `path` or `program` refused, or null).
fn pre_tool_use(
    call: &ToolCall,
    sandbox: &Value,
    can_ask: bool,
    context: &ServerContext,
    state: &mut TrustState,
) -> Value {
    let sensitive = sensitive_call(call, &context.repo);
    let gated = match (&state.untrusted_by, &sensitive) {
        (Some(source), Some((action, what))) => {
            let reached = *action == Action::Network && state.destinations.contains(what);
            match context.plan.gate(*action) {
                Gate::Allow => None,
                _ if reached => None,
                Gate::Ask if !can_ask => {
                    Some((Gate::Deny, gate_reason(*action, what, source, CANNOT_ASK)))
                }
                Gate::Ask => Some((Gate::Ask, gate_reason(*action, what, source, ASKS))),
                gate => Some((gate, gate_reason(*action, what, source, REFUSED))),
            }
        }
        (None, Some((Action::Network, destination))) => {
            state.destinations.insert(destination.clone());
            None
        }
        _ => None,
    };
    let sandbox_refusal = sandbox["reason"].as_str();
    if let (Some((Gate::Ask, _)), Some((Action::Credentials, name))) = (&gated, &sensitive) {
        state.asked.insert(name.clone(), std::time::Instant::now());
    }
    let (decision, reason) = match (gated, sandbox_refusal) {
        (Some((Gate::Ask, reason)), None) => ("ask", Some(reason)),
        (Some((_, reason)), _) => ("deny", Some(reason)),
        (None, Some(refusal)) => ("deny", Some(refusal.to_string())),
        (None, None) => ("allow", None),
    };
    let mut event = call_record("pre-tool-use", call, decision).with(
        "input_sha256",
        crate::digest::sha256_hex(call.input.to_string().as_bytes()),
    );
    let path = sandbox["path"].as_str();
    if let Some(path) = path
        .or(call.input["file_path"].as_str())
        .or(call.input["url"].as_str())
    {
        event = event.with("path", path);
    }
    if let Some(program) = sandbox["program"].as_str() {
        event = event.with("program", program);
    }
    // A shell call's command, by which the tree finds its processes (the
    // exec record holds it too, as the shell was given it).
    if call.tool == "Bash"
        && let Some(command) = call.input["command"].as_str()
        && command.len() <= MAX_COMMAND
    {
        event = event.with("command", command);
    }
    if let Some(reason) = &reason {
        event = event.with("reason", reason.clone());
    }
    if let Some((action, what)) = &sensitive {
        event = event
            .with("action", action.name())
            .with("target", what.clone());
    }
    if let (Some(source), Some(_)) = (&state.untrusted_by, &sensitive) {
        event = event.with("untrusted_by", json!(source));
    }
    context.events.send(event);
    json!({"decision": decision, "reason": reason})
}

/// The record of guard's decision on a call (`hook` says which side of it):
/// the call is the session's word, the decision guard's.
fn call_record(hook: &str, call: &ToolCall, decision: &str) -> Event {
    Event::new(EventKind::ToolCall, None)
        .with("hook", hook)
        .with("reported_by", "session")
        .with("decided_by", "guard")
        .with("tool", call.tool.clone())
        .with("decision", decision)
        .with("tool_use_id", call.id.clone())
}

/// The record of a request for a credential on demand.
fn credential_record(name: &str, decision: &str, state: &TrustState) -> Event {
    let mut event = Event::new(EventKind::ToolCall, None)
        .with("hook", "credential")
        .with("credential", name)
        .with("decided_by", "guard")
        .with("decision", decision);
    if let Some(source) = &state.untrusted_by {
        event = event.with("untrusted_by", json!(source));
    }
    event
}

/// The longest shell command a call's record holds.
const MAX_COMMAND: usize = 16 * 1024;

/// What a reason says of a call put to the user.
const ASKS: &str = "it needs the user's approval";
/// What it says of a call that would be put to the user through a client
/// that cannot ask.
const CANNOT_ASK: &str =
    "it needs the user's approval, which this client's hooks cannot ask for, so it is refused";
/// What it says of a refused call.
const REFUSED: &str = "it is refused";

/// Why a gated call is asked about or refused (`then` says which).
fn gate_reason(action: Action, what: &str, source: &Source, then: &str) -> String {
    format!(
        "guard: this session read untrusted content ({}: {}), so it cannot {} ({what}) on its own: {then}. Do not work around this; tell the user what you wanted to do and why.",
        source.kind,
        source.what,
        action.describe()
    )
}

/// Scans a result (or a `failed` call's error), records it, and lowers the
/// session's trust if the result came from an untrusted source.
fn post_tool_use(
    call: &ToolCall,
    failed: bool,
    context: &ServerContext,
    state: &mut TrustState,
) -> Value {
    let findings = claude::post_tool_use(call);
    let result = call
        .response
        .as_ref()
        .map(Value::to_string)
        .unwrap_or_default();
    let decision = match (findings.is_empty(), failed) {
        (false, _) => "untrusted",
        (true, true) => "failed",
        (true, false) => "clean",
    };
    let mut event = Event::new(EventKind::ToolCall, None)
        .with("hook", "post-tool-use")
        .with("reported_by", "session")
        .with("decided_by", "guard")
        .with("tool", call.tool.clone())
        .with("decision", decision)
        .with(
            "result_sha256",
            crate::digest::sha256_hex(result.as_bytes()),
        )
        .with("result_bytes", result.len());
    if let Some(path) = call.input["file_path"]
        .as_str()
        .or(call.input["url"].as_str())
    {
        event = event.with("path", path);
    }
    if !findings.is_empty() {
        let listed: Vec<Value> = findings
            .iter()
            .take(20)
            .map(|f| json!({"line": f.line, "rule": f.rule, "severity": f.severity, "message": f.message}))
            .collect();
        event = event.with("findings", listed);
    }
    context.events.send(event);
    if state.untrusted_by.is_none()
        && let Some(source) = untrusted_source(&context.plan, &context.repo, call, &findings)
    {
        context.events.send(
            Event::new(EventKind::Trust, None)
                .with("state", "untrusted")
                .with("source_kind", source.kind)
                .with("source", source.what.clone())
                .with("tool", call.tool.clone()),
        );
        state.untrusted_by = Some(source);
    }
    let message = (!findings.is_empty()).then(|| claude::untrusted_message(call, &findings));
    json!({"message": message, "untrusted_by": state.untrusted_by})
}

/// A credential the session asks for: offered by the profile, allowed by
/// the session's trust (an untrusted session gets it only if the profile
/// allows it, or the user approved the call that asked), minted once and
/// revoked with the session's others. Its values go only to the process
/// that asked, and out of every later record.
fn credential(name: &str, context: &ServerContext, state: &mut TrustState) -> Value {
    let refuse = |reason: String, state: &TrustState| {
        context
            .events
            .send(credential_record(name, "deny", state).with("reason", reason.clone()));
        json!({"error": reason})
    };
    let Some(on_demand) = context.credentials.as_ref().filter(|o| o.offers(name)) else {
        let offered = context
            .credentials
            .as_ref()
            .map(|o| o.names().join(", "))
            .filter(|names| !names.is_empty())
            .unwrap_or_else(|| "none".into());
        return refuse(
            format!(
                "guard: this session's profile offers no credential `{name}` on demand (it offers: {offered})"
            ),
            state,
        );
    };
    if let Some(source) = &state.untrusted_by {
        let approved = state
            .asked
            .remove(name)
            .is_some_and(|asked| asked.elapsed() < APPROVAL);
        match context.plan.gate(Action::Credentials) {
            Gate::Allow => {}
            Gate::Ask if approved => {}
            gate => {
                let then = if gate == Gate::Ask { ASKS } else { REFUSED };
                let reason = gate_reason(Action::Credentials, name, source, then);
                return refuse(reason, state);
            }
        }
    }
    match on_demand.get(name, &context.events) {
        Some(Ok(variables)) => {
            context.events.redact(
                variables
                    .iter()
                    .map(|(_, value)| value.expose().to_string())
                    .collect(),
            );
            context.events.send(credential_record(name, "allow", state));
            let variables: serde_json::Map<String, Value> = variables
                .iter()
                .map(|(variable, value)| (variable.clone(), Value::from(value.expose())))
                .collect();
            json!({"variables": variables})
        }
        Some(Err(error)) => refuse(format!("guard: {error}"), state),
        None => refuse(format!("guard: no credential `{name}`"), state),
    }
}
