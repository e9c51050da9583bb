//! The session's environment: an allowlist of the parent's variables plus what
//! the profile sets. Everything else (tokens, agent sockets, …) is left out.

use crate::credentials::Secret;
use crate::policy::Policy;

/// Names (never values) of the variables credentials set, comma-separated.
pub const CREDENTIAL_VARS: &str = "GUARD_CREDENTIAL_VARS";

/// The environment variable naming the session, set for every session.
pub const SESSION_VAR: &str = "GUARD_SESSION";

/// A `GUARD_SESSION` the kernel does not confirm: the variable alone is
/// anyone's to set (a repository's `.envrc`, a script).
#[derive(Debug)]
pub struct Unconfirmed {
    /// The session the variable names.
    pub named: String,
    /// Why the kernel could not be asked; `None` when it said no.
    pub unknown: Option<std::io::Error>,
}

/// The session this process runs inside: the one `GUARD_SESSION` names,
/// once the kernel confirms this process is in a guard session
/// ([`crate::sys::in_a_guard_session`]). `Ok(None)` when the variable is
/// not set.
pub fn enclosing_session() -> Result<Option<String>, Unconfirmed> {
    let Ok(named) = std::env::var(SESSION_VAR) else {
        return Ok(None);
    };
    match crate::sys::in_a_guard_session() {
        Ok(true) => Ok(Some(named)),
        Ok(false) => Err(Unconfirmed {
            named,
            unknown: None,
        }),
        Err(error) => Err(Unconfirmed {
            named,
            unknown: Some(error),
        }),
    }
}

/// The session's rules file for hook adapters ([`crate::policy::SessionRules`]).
pub const RULES_VAR: &str = "GUARD_SESSION_RULES";

/// The directory hook adapters report tool calls to.
pub const REPORTS_VAR: &str = "GUARD_SESSION_REPORTS";

/// The session's channel to guard ([`crate::channel`]), set for supervised
/// sessions.
pub const CHANNEL_VAR: &str = "GUARD_SESSION_CHANNEL";

/// Builds the command's environment, sorted by name: the parent's variables
/// the policy passes, the profile's, the minted credentials', the session id
/// (and, in a `supervised` session, its channel to guard).
pub fn session_env(
    policy: &Policy,
    session_id: &str,
    supervised: bool,
    parent: &[(String, String)],
    credentials: &[(String, Secret)],
    proxy: &[(String, Secret)],
) -> Vec<(String, String)> {
    let mut env: std::collections::BTreeMap<String, String> = parent
        .iter()
        .filter(|(name, _)| policy.env.passes(name))
        .cloned()
        .collect();
    env.extend(policy.env.set.clone());
    env.extend(
        credentials
            .iter()
            .map(|(name, value)| (name.clone(), value.expose().to_string())),
    );
    if !credentials.is_empty() {
        // Names only: the pre-commit hook looks for these values in commits.
        let names: Vec<&str> = credentials.iter().map(|(name, _)| name.as_str()).collect();
        env.insert(CREDENTIAL_VARS.to_string(), names.join(","));
    }
    for (name, value) in proxy {
        let mut value = value.expose().to_string();
        // The proxy's Node preload goes first; the session's own Node
        // options (from the parent or the profile) are kept after it.
        if name == "NODE_OPTIONS"
            && let Some(own) = env.get(name).filter(|own| !own.trim().is_empty())
        {
            value = format!("{value} {own}");
        }
        env.insert(name.clone(), value);
    }
    env.insert(SESSION_VAR.to_string(), session_id.to_string());
    let path = |path: std::path::PathBuf| path.to_string_lossy().into_owned();
    env.insert(RULES_VAR.to_string(), path(policy.session.rules_file()));
    env.insert(REPORTS_VAR.to_string(), path(policy.session.reports_dir()));
    if supervised {
        env.insert(CHANNEL_VAR.to_string(), path(policy.session.channel()));
    }
    env.into_iter().collect()
}
