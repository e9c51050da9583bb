//! The `command` provider: external helpers, so any secret system can plug
//! in. The protocol is documented in `docs/credentials.md`.

use super::{Issued, Secret};
use crate::policy::{CredentialPlan, ProviderPlan, is_reserved_variable};
use serde_json::Value;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs the mint helper and reads its answer. With a signer, the helper
/// gets the session's token in `GUARD_SESSION_TOKEN` (to exchange it, as
/// for a cloud's STS); the session never does.
pub(super) fn mint(
    plan: &CredentialPlan,
    session: &str,
    signer: Option<&crate::identity::Signer>,
) -> Result<Issued, String> {
    let ProviderPlan::Command {
        mint,
        env,
        timeout_seconds,
        audience,
        ..
    } = &plan.provider
    else {
        unreachable!("only command plans come here")
    };
    let token = signer.map(|signer| signer.token(audience, plan.ttl_seconds));
    let ttl = plan.ttl_seconds.to_string();
    let mut variables = vec![
        ("GUARD_CREDENTIAL", plan.name.as_str()),
        ("GUARD_SESSION", session),
        ("GUARD_TTL_SECONDS", ttl.as_str()),
    ];
    if let Some(token) = &token {
        variables.push(("GUARD_SESSION_TOKEN", token));
    }
    let output = run_helper(mint, *timeout_seconds, None, &variables, &[])?;
    // The output holds the secret: errors describe it, never quote it.
    let answer: Value = serde_json::from_slice(&output)
        .map_err(|_| "the helper did not print a JSON object".to_string())?;
    let now = crate::clock::now().as_secs();
    let issued = if answer.get("AccessKeyId").is_some() {
        aws_credential_process(&answer, now)?
    } else {
        guard_protocol(&answer, now)?
    };
    for (name, _) in &issued.env {
        if is_reserved_variable(name) {
            return Err(format!(
                "the helper set {name}, which a credential may not set"
            ));
        }
        if !env.is_empty() && !env.contains(name) {
            return Err(format!(
                "the helper set {name}, which is not in the credential's `env` list"
            ));
        }
    }
    if issued.env.is_empty() {
        return Err("the helper set no environment variable".to_string());
    }
    Ok(issued)
}

/// `{"env": {...}, "lease": "…", "expires_at": "RFC 3339" | "expires_in": seconds}`.
fn guard_protocol(answer: &Value, now: u64) -> Result<Issued, String> {
    let Some(Value::Object(variables)) = answer.get("env") else {
        return Err("the helper's JSON has no `env` object".to_string());
    };
    let mut env = Vec::new();
    for (name, value) in variables {
        let Some(value) = value.as_str() else {
            return Err(format!("`env.{name}` is not a string"));
        };
        env.push((name.clone(), Secret::new(value.to_string())));
    }
    let expires_at = match (answer.get("expires_at"), answer.get("expires_in")) {
        (Some(Value::String(at)), _) => {
            crate::clock::parse_rfc3339(at).ok_or("`expires_at` is not an RFC 3339 time")?
        }
        (_, Some(Value::Number(seconds))) => {
            now + seconds
                .as_u64()
                .ok_or("`expires_in` is not a number of seconds")?
        }
        _ => u64::MAX,
    };
    let lease_id = match answer.get("lease") {
        Some(Value::String(lease)) => lease.clone(),
        None | Some(Value::Null) => String::new(),
        Some(_) => return Err("`lease` is not a string".to_string()),
    };
    Ok(Issued {
        env,
        lease_id,
        expires_at,
    })
}

/// AWS `credential_process` output: `Version`, `AccessKeyId`,
/// `SecretAccessKey`, `SessionToken`, `Expiration`. STS credentials cannot be
/// revoked: the lease is empty and the expiry is the only end.
fn aws_credential_process(answer: &Value, now: u64) -> Result<Issued, String> {
    if answer.get("Version").and_then(Value::as_u64) != Some(1) {
        return Err("AWS credential_process output must have \"Version\": 1".to_string());
    }
    let field = |key: &str| answer.get(key).and_then(Value::as_str);
    let mut env = vec![
        (
            "AWS_ACCESS_KEY_ID".to_string(),
            Secret::new(field("AccessKeyId").ok_or("no AccessKeyId")?.to_string()),
        ),
        (
            "AWS_SECRET_ACCESS_KEY".to_string(),
            Secret::new(
                field("SecretAccessKey")
                    .ok_or("no SecretAccessKey")?
                    .to_string(),
            ),
        ),
    ];
    if let Some(token) = field("SessionToken") {
        env.push((
            "AWS_SESSION_TOKEN".to_string(),
            Secret::new(token.to_string()),
        ));
    }
    let expires_at = match field("Expiration") {
        Some(at) => crate::clock::parse_rfc3339(at).ok_or("Expiration is not an RFC 3339 time")?,
        None => now + 3600,
    };
    Ok(Issued {
        env,
        lease_id: String::new(),
        expires_at,
    })
}

/// Runs the revoke helper with the lease on stdin.
pub(super) fn revoke(
    revoke: &[String],
    timeout_seconds: u64,
    lease: &str,
    name: &str,
) -> Result<(), String> {
    if revoke.is_empty() || lease.is_empty() {
        // Nothing to call, or nothing to name (AWS STS and the like): the TTL
        // ends it.
        return Ok(());
    }
    run_helper(
        revoke,
        timeout_seconds,
        Some(lease),
        &[("GUARD_CREDENTIAL", name)],
        &[],
    )
    .map(drop)
}

/// Runs a helper with guard's environment without `without`, plus `extra`,
/// `stdin` fed to it, and returns its stdout; fails on a non-zero exit or
/// after the timeout.
pub(super) fn run_helper(
    argv: &[String],
    timeout_seconds: u64,
    stdin: Option<&str>,
    extra: &[(&str, &str)],
    without: &[&str],
) -> Result<Vec<u8>, String> {
    let (program, arguments) = argv.split_first().ok_or("no helper command")?;
    let mut command = Command::new(program);
    for name in without {
        command.env_remove(name);
    }
    let mut child = command
        .args(arguments)
        .envs(extra.iter().copied())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|error| format!("cannot run {program}: {error}"))?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let _ = pipe.write_all(text.as_bytes());
    }
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let reader = std::thread::spawn(move || {
        let mut output = Vec::new();
        let _ = stdout.read_to_end(&mut output);
        output
    });
    let deadline = Instant::now() + Duration::from_secs(timeout_seconds);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{program} timed out after {timeout_seconds} s"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            // Reaped by guard's main thread while a session runs (a
            // credential minted on demand): the status was kept for us.
            Err(error) if error.raw_os_error() == Some(libc::ECHILD) => {
                match crate::sys::reaped::take(child.id(), Duration::from_secs(1)) {
                    Some(status) => break status,
                    None => return Err(format!("waiting for {program}: {error}")),
                }
            }
            Err(error) => return Err(format!("waiting for {program}: {error}")),
        }
    };
    let output = reader.join().unwrap_or_default();
    if !status.success() {
        return Err(format!("{program} failed ({status})"));
    }
    Ok(output)
}
