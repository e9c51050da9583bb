//! `[[credential]]` sections → credential plans: validated, with no secret in
//! them (a provider's own secret stays in guard's environment, named here).

use super::CompileError;
use super::host::HostView;
use crate::profile::CredentialSection;
use serde::{Deserialize, Serialize};

/// The TTL when a profile gives none.
pub const DEFAULT_TTL_SECONDS: u64 = 15 * 60;
/// The longest TTL accepted.
pub const MAX_TTL_SECONDS: u64 = 24 * 60 * 60;
/// How long a helper may run when the profile says nothing.
pub const DEFAULT_HELPER_TIMEOUT_SECONDS: u64 = 30;

/// One credential to mint for the session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CredentialPlan {
    /// Its name.
    pub name: String,
    /// How long it lives.
    pub ttl_seconds: u64,
    /// Who mints and revokes it.
    pub provider: ProviderPlan,
    /// Minted when the session asks for it, not at the start.
    pub on_demand: bool,
}

/// A provider and what it needs (never a secret value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "provider", rename_all = "lowercase")]
pub enum ProviderPlan {
    /// External helpers speaking guard's JSON protocol (or AWS
    /// `credential_process` output).
    Command {
        /// The minting helper, program resolved.
        mint: Vec<String>,
        /// The revoking helper (empty: the credential cannot be revoked and
        /// only its TTL ends it, as for AWS STS).
        revoke: Vec<String>,
        /// Variables the helper may set (empty: any but the reserved ones).
        env: Vec<String>,
        /// Seconds a helper may run.
        timeout_seconds: u64,
        /// The `aud` of the session token the helper gets.
        audience: String,
    },
    /// A dynamic secret from OpenBao (or Vault), read with a login the
    /// session's token makes through the JWT auth method.
    #[serde(rename = "openbao")]
    OpenBao {
        /// The server's CLI, resolved.
        cli: String,
        /// The server's address.
        address: String,
        /// Where the JWT auth method is mounted.
        auth_mount: String,
        /// The role to log in as.
        role: String,
        /// The secret to read.
        secret: String,
        /// The session's variables: name → field of the secret.
        variables: std::collections::BTreeMap<String, String>,
        /// The `aud` of the session token.
        audience: String,
        /// Seconds a CLI call may take.
        timeout_seconds: u64,
    },
    /// A per-session PostgreSQL login role.
    Postgres {
        /// guard's environment variable with the admin URL.
        admin_url_env: String,
        /// The role granted to the session role.
        role: String,
    },
}

/// Environment variables no credential may set.
pub fn is_reserved_variable(name: &str) -> bool {
    name.starts_with("LD_")
        || name.starts_with("GUARD_")
        || matches!(
            name,
            "PATH" | "HOME" | "TMPDIR" | "TMPPREFIX" | "SHELL" | "BASH_ENV" | "ENV"
        )
}

/// Validates the credential sections of a profile.
pub fn compile_credentials(
    profile: &str,
    sections: &[CredentialSection],
    host: &dyn HostView,
    path_var: &str,
) -> Result<Vec<CredentialPlan>, CompileError> {
    sections
        .iter()
        .map(|section| compile_one(profile, section, host, path_var))
        .collect()
}

fn compile_one(
    profile: &str,
    section: &CredentialSection,
    host: &dyn HostView,
    path_var: &str,
) -> Result<CredentialPlan, CompileError> {
    let fail = |message: String| CompileError::Credential {
        profile: profile.to_string(),
        name: section.name.clone(),
        message,
    };
    if section.name.is_empty()
        || !section
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(fail("`name` must be letters, digits, `-` or `_`".into()));
    }
    let ttl_seconds = match &section.ttl {
        None => DEFAULT_TTL_SECONDS,
        Some(value) => parse_ttl(value).map_err(|refused| fail(refused.to_string()))?,
    };
    let not_for = |field: &str, set: bool| {
        if set {
            Err(fail(format!(
                "`{field}` does not apply to provider `{}`",
                section.provider
            )))
        } else {
            Ok(())
        }
    };
    let provider = match section.provider.as_str() {
        "command" => {
            not_for("admin_url_env", section.admin_url_env.is_some())?;
            not_for("role", section.role.is_some())?;
            for (field, set) in openbao_fields(section) {
                not_for(field, set)?;
            }
            let mint = resolve_helper(&section.mint, host, path_var)
                .map_err(|m| fail(format!("`mint`: {m}")))?;
            let revoke = if section.revoke.is_empty() {
                Vec::new()
            } else {
                resolve_helper(&section.revoke, host, path_var)
                    .map_err(|m| fail(format!("`revoke`: {m}")))?
            };
            if let Some(reserved) = section.env.iter().find(|name| is_reserved_variable(name)) {
                return Err(fail(format!(
                    "`env` names {reserved}, which a credential may not set"
                )));
            }
            ProviderPlan::Command {
                mint,
                revoke,
                env: section.env.clone(),
                timeout_seconds: section
                    .timeout
                    .unwrap_or(DEFAULT_HELPER_TIMEOUT_SECONDS)
                    .max(1),
                audience: section
                    .audience
                    .clone()
                    .unwrap_or_else(|| format!("guard:{}", section.name)),
            }
        }
        "openbao" => compile_openbao(section, host, path_var).map_err(fail)?,
        "postgres" => {
            for (field, set) in [
                ("mint", !section.mint.is_empty()),
                ("revoke", !section.revoke.is_empty()),
                ("env", !section.env.is_empty()),
                ("timeout", section.timeout.is_some()),
                ("audience", section.audience.is_some()),
            ]
            .into_iter()
            .chain(openbao_fields(section))
            {
                not_for(field, set)?;
            }
            let admin_url_env = section.admin_url_env.clone().ok_or_else(|| {
                fail("`admin_url_env` is required (the variable holding the admin URL)".into())
            })?;
            let role = section
                .role
                .clone()
                .ok_or_else(|| fail("`role` is required".into()))?;
            if !role.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(fail("`role` must be letters, digits or `_`".into()));
            }
            ProviderPlan::Postgres {
                admin_url_env,
                role,
            }
        }
        other => {
            return Err(fail(format!(
                "unknown provider `{other}` (known: command, postgres, openbao)"
            )));
        }
    };
    Ok(CredentialPlan {
        name: section.name.clone(),
        ttl_seconds,
        provider,
        on_demand: section.on_demand.unwrap_or(false),
    })
}

/// The fields only the openbao provider takes, and whether each is set.
fn openbao_fields(section: &CredentialSection) -> [(&'static str, bool); 5] {
    [
        ("address", section.address.is_some()),
        ("auth_mount", section.auth_mount.is_some()),
        ("secret", section.secret.is_some()),
        ("variables", !section.variables.is_empty()),
        ("cli", section.cli.is_some()),
    ]
}

fn compile_openbao(
    section: &CredentialSection,
    host: &dyn HostView,
    path_var: &str,
) -> Result<ProviderPlan, String> {
    for (field, set) in [
        ("mint", !section.mint.is_empty()),
        ("revoke", !section.revoke.is_empty()),
        ("env", !section.env.is_empty()),
        ("admin_url_env", section.admin_url_env.is_some()),
    ] {
        if set {
            return Err(format!("`{field}` does not apply to provider `openbao`"));
        }
    }
    let required = |field: &str, value: &Option<String>| {
        value
            .clone()
            .filter(|value| !value.is_empty())
            .ok_or_else(|| format!("`{field}` is required"))
    };
    let address = required("address", &section.address)?;
    if !(address.starts_with("http://") || address.starts_with("https://")) {
        return Err(format!("`address` {address:?} is not an http(s):// URL"));
    }
    let role = required("role", &section.role)?;
    let secret = required("secret", &section.secret)?;
    let auth_mount = section.auth_mount.clone().unwrap_or_else(|| "jwt".into());
    // Path segments the CLI puts in a URL: no way to reach another path.
    let plain = |text: &str| {
        !text.is_empty()
            && text.split('/').all(|segment| {
                !segment.is_empty()
                    && segment != ".."
                    && segment != "."
                    && segment
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            })
    };
    for (field, value) in [
        ("role", &role),
        ("secret", &secret),
        ("auth_mount", &auth_mount),
    ] {
        if !plain(value) || (field == "role" && value.contains('/')) {
            return Err(format!("`{field}` {value:?} is not a plain name or path"));
        }
    }
    if section.variables.is_empty() {
        return Err("`variables` is required: which field of the secret each variable gets".into());
    }
    if let Some(reserved) = section
        .variables
        .keys()
        .find(|name| is_reserved_variable(name))
    {
        return Err(format!(
            "`variables` names {reserved}, which a credential may not set"
        ));
    }
    let cli = match &section.cli {
        Some(cli) => resolve_helper(std::slice::from_ref(cli), host, path_var)?,
        None => resolve_helper(&["bao".to_string()], host, path_var)
            .or_else(|_| resolve_helper(&["vault".to_string()], host, path_var))
            .map_err(|_| "neither `bao` nor `vault` is on PATH (set `cli`)".to_string())?,
    };
    Ok(ProviderPlan::OpenBao {
        cli: cli[0].clone(),
        address,
        auth_mount,
        role,
        secret,
        variables: section.variables.clone(),
        audience: section.audience.clone().unwrap_or_else(|| "openbao".into()),
        timeout_seconds: section
            .timeout
            .unwrap_or(DEFAULT_HELPER_TIMEOUT_SECONDS)
            .max(1),
    })
}

fn resolve_helper(
    argv: &[String],
    host: &dyn HostView,
    path_var: &str,
) -> Result<Vec<String>, String> {
    let program = argv.first().ok_or("the helper command is missing")?;
    let found = if program.contains('/') {
        host.canonicalize(std::path::Path::new(program)).ok()
    } else {
        host.find_program(program, path_var)
    };
    let found = found.ok_or_else(|| format!("helper `{program}` not found"))?;
    let mut resolved = vec![found.to_string_lossy().into_owned()];
    resolved.extend_from_slice(&argv[1..]);
    Ok(resolved)
}

/// Why a `ttl` is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TtlError {
    /// Neither a number nor a string.
    #[error("`ttl` must be a positive number of seconds or a string like \"15m\"")]
    NotADuration,
    /// A string that does not start with a number.
    #[error("`ttl` {0:?} is not a duration (90s, 15m, 2h)")]
    NoNumber(String),
    /// A unit other than s, m, h.
    #[error("`ttl` {0:?} has an unknown unit (s, m, h)")]
    UnknownUnit(String),
    /// Zero, or longer than guard allows.
    #[error("`ttl` must be between 1 second and {} hours", MAX_TTL_SECONDS / 3600)]
    OutOfRange,
}

/// `900`, `"90s"`, `"15m"`, `"2h"` → seconds.
pub fn parse_ttl(value: &toml::Value) -> Result<u64, TtlError> {
    let seconds = match value {
        toml::Value::Integer(n) if *n > 0 => *n as u64,
        toml::Value::String(text) => {
            let (number, unit) = text.split_at(
                text.find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(text.len()),
            );
            let number: u64 = number
                .parse()
                .map_err(|_| TtlError::NoNumber(text.clone()))?;
            let unit = match unit {
                "" | "s" => 1,
                "m" => 60,
                "h" => 3600,
                _ => return Err(TtlError::UnknownUnit(text.clone())),
            };
            // Too many hours to count is out of range, not a smaller number.
            number.checked_mul(unit).ok_or(TtlError::OutOfRange)?
        }
        _ => return Err(TtlError::NotADuration),
    };
    if seconds == 0 || seconds > MAX_TTL_SECONDS {
        return Err(TtlError::OutOfRange);
    }
    Ok(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_forms() {
        assert_eq!(parse_ttl(&toml::Value::Integer(60)), Ok(60));
        assert_eq!(parse_ttl(&toml::Value::String("15m".into())), Ok(900));
        assert_eq!(parse_ttl(&toml::Value::String("2h".into())), Ok(7200));
        assert!(parse_ttl(&toml::Value::String("2d".into())).is_err());
        assert!(parse_ttl(&toml::Value::String("25h".into())).is_err());
        assert!(parse_ttl(&toml::Value::Integer(0)).is_err());
        // 2^64 / 3600 + 1 hours would wrap to a small number.
        let huge = toml::Value::String(format!("{}h", u64::MAX / 3600 + 1));
        assert_eq!(parse_ttl(&huge), Err(TtlError::OutOfRange));
    }

    #[test]
    fn reserved_variables() {
        assert!(is_reserved_variable("LD_PRELOAD"));
        assert!(is_reserved_variable("PATH"));
        assert!(!is_reserved_variable("PGPASSWORD"));
    }
}
