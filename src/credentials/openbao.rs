//! The `openbao` provider (Vault-compatible): the session logs in with its
//! own signed token through the server's JWT auth method, reads a dynamic
//! secret (a database login, say) with that login, and when it ends the
//! lease and the login are revoked. guard's environment holds no secret for
//! it: the server trusts guard's signing key and the role's bound claims.
//!
//! The server is reached through its own CLI (`bao`, or Vault's `vault`),
//! as the `postgres` provider uses `psql`: guard links no HTTP or TLS stack,
//! and the CLI honours the user's `BAO_CACERT` and the like. A token never
//! appears in an argument: the JWT goes on stdin, a login token in the
//! CLI's environment only.

use super::{Issued, Secret};
use crate::identity::Signer;
use serde_json::Value;

/// What the openbao provider needs (the plan's fields).
#[derive(Debug, Clone, Copy)]
pub(super) struct Server<'a> {
    /// The CLI, resolved.
    pub cli: &'a str,
    /// The server's address (`BAO_ADDR`).
    pub address: &'a str,
    /// Where the JWT auth method is mounted (`jwt`).
    pub auth_mount: &'a str,
    /// The role to log in as.
    pub role: &'a str,
    /// Seconds a CLI call may take.
    pub timeout_seconds: u64,
}

/// Variables the CLI takes its token from: never guard's own, whatever the
/// user's shell has (the login this session makes is the only one used).
const TOKEN_VARIABLES: &[&str] = &["BAO_TOKEN", "VAULT_TOKEN"];

/// Logs in with a token `signer` makes for `audience`, reads `secret`, and
/// maps its data to the session's variables (`variables`: name → data key).
/// Returns the secret and the login that read it (revoked with the lease).
pub(super) fn mint(
    server: Server<'_>,
    secret: &str,
    variables: &std::collections::BTreeMap<String, String>,
    signer: &Signer,
    audience: &str,
    ttl_seconds: u64,
) -> Result<(Issued, Secret), String> {
    let login = log_in(server, signer, audience, ttl_seconds)?;
    let read = run(
        server,
        &["read", "-format=json", secret],
        None,
        Some(&login),
    );
    let answer = match read.and_then(|output| parse(&output, "the secret")) {
        Ok(answer) => answer,
        Err(error) => {
            let _ = revoke_login(server, &login);
            return Err(error);
        }
    };
    let lease_id = answer["lease_id"].as_str().unwrap_or_default().to_string();
    let lease_seconds = answer["lease_duration"].as_u64().unwrap_or(ttl_seconds);
    let mut env = Vec::new();
    for (name, key) in variables {
        match answer["data"][key].as_str() {
            Some(value) => env.push((name.clone(), Secret::new(value.to_string()))),
            None => {
                let _ = revoke_lease(server, &lease_id, &login);
                let _ = revoke_login(server, &login);
                return Err(format!("the secret has no text field `{key}` (for {name})"));
            }
        }
    }
    let now = crate::clock::now().as_secs();
    let issued = Issued {
        env,
        lease_id,
        expires_at: now + lease_seconds.min(ttl_seconds),
    };
    Ok((issued, login))
}

/// Revokes the lease, then the login. `held` is the session's login while
/// guard holds it; a reaped lease (its guard died) is revoked through a new
/// login with a token `signer` makes, which is revoked too.
pub(super) fn revoke(
    server: Server<'_>,
    lease_id: &str,
    held: Option<&Secret>,
    signer: Option<&Signer>,
    audience: &str,
) -> Result<(), String> {
    let fresh;
    let token = match (held, signer) {
        (Some(token), _) => token,
        (None, Some(signer)) => {
            fresh = log_in(server, signer, audience, 60)?;
            &fresh
        }
        (None, None) => {
            return Err("no login to revoke it with (is guard's signing identity gone?)".into());
        }
    };
    let lease = match lease_id.is_empty() {
        true => Ok(()),
        false => revoke_lease(server, lease_id, token),
    };
    // The login goes whatever happened to the lease: its leases go with it.
    let login = revoke_login(server, token);
    lease.and(login)
}

fn log_in(
    server: Server<'_>,
    signer: &Signer,
    audience: &str,
    ttl_seconds: u64,
) -> Result<Secret, String> {
    let jwt = signer.token(audience, ttl_seconds);
    let path = format!("auth/{}/login", server.auth_mount);
    let role = format!("role={}", server.role);
    let output = run(
        server,
        &["write", "-format=json", &path, &role, "jwt=-"],
        Some(&jwt),
        None,
    )
    .map_err(|error| format!("logging in as role `{}`: {error}", server.role))?;
    let answer = parse(&output, "the login")?;
    let token = answer["auth"]["client_token"]
        .as_str()
        .filter(|token| !token.is_empty())
        .ok_or("the login answer has no token")?;
    Ok(Secret::new(token.to_string()))
}

fn revoke_lease(server: Server<'_>, lease_id: &str, token: &Secret) -> Result<(), String> {
    run(server, &["lease", "revoke", lease_id], None, Some(token))
        .map(drop)
        .map_err(|error| format!("revoking the lease: {error}"))
}

fn revoke_login(server: Server<'_>, token: &Secret) -> Result<(), String> {
    run(server, &["token", "revoke", "-self"], None, Some(token))
        .map(drop)
        .map_err(|error| format!("revoking the login: {error}"))
}

/// Runs the CLI against the server, with `token` as its only token.
fn run(
    server: Server<'_>,
    arguments: &[&str],
    stdin: Option<&str>,
    token: Option<&Secret>,
) -> Result<Vec<u8>, String> {
    let mut argv = vec![server.cli.to_string()];
    argv.extend(arguments.iter().map(|argument| argument.to_string()));
    let mut env = vec![("BAO_ADDR", server.address), ("VAULT_ADDR", server.address)];
    if let Some(token) = token {
        env.push(("BAO_TOKEN", token.expose()));
    }
    super::command::run_helper(&argv, server.timeout_seconds, stdin, &env, TOKEN_VARIABLES)
}

/// The CLI's JSON answer. Errors name what was read, never its content.
fn parse(output: &[u8], what: &str) -> Result<Value, String> {
    serde_json::from_slice(output).map_err(|_| format!("{what} is not the JSON the CLI prints"))
}
