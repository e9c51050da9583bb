//! `[[credential]]` sections, in a profile or in the user's credentials
//! file (`guard run --cred NAME`).

use super::ProfileError;
use serde::{Deserialize, Serialize};

/// `[[credential]]`: one ephemeral credential. Which fields apply depends on
/// the provider; a field that does not apply is an error.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CredentialSection {
    /// The credential's name (letters, digits, `-`, `_`).
    pub name: String,
    /// `"command"`, `"postgres"` or `"openbao"`.
    pub provider: String,
    /// How long the credential lives: seconds, or `90s`, `15m`, `2h`.
    #[serde(default)]
    pub ttl: Option<toml::Value>,
    /// `command`: the environment variables the helper may set.
    #[serde(default)]
    pub env: Vec<String>,
    /// `command`: the helper that mints (program and arguments).
    #[serde(default)]
    pub mint: Vec<String>,
    /// `command`: the helper that revokes; it reads the lease on stdin.
    #[serde(default)]
    pub revoke: Vec<String>,
    /// `command`: seconds a helper may take (default 30).
    #[serde(default)]
    pub timeout: Option<u64>,
    /// `postgres`: the name of guard's environment variable holding the admin
    /// connection URL (`postgresql://user:password@host:port/database`).
    #[serde(default)]
    pub admin_url_env: Option<String>,
    /// `postgres`: the role the session role is made a member of;
    /// `openbao`: the JWT auth role to log in as.
    #[serde(default)]
    pub role: Option<String>,
    /// `openbao`: the server's address (`https://bao.example:8200`).
    #[serde(default)]
    pub address: Option<String>,
    /// `openbao`: where the JWT auth method is mounted (default `jwt`).
    #[serde(default)]
    pub auth_mount: Option<String>,
    /// `openbao`: the secret to read (`database/creds/ROLE`).
    #[serde(default)]
    pub secret: Option<String>,
    /// `openbao`: the session's variables, each from a field of the secret
    /// (`{ PGUSER = "username", PGPASSWORD = "password" }`).
    #[serde(default)]
    pub variables: std::collections::BTreeMap<String, String>,
    /// `openbao`: the server's CLI (default `bao`, else `vault`).
    #[serde(default)]
    pub cli: Option<String>,
    /// `openbao` and `command`: the `aud` of the session token the provider
    /// gets (default `openbao`, and `guard:NAME` for a helper).
    #[serde(default)]
    pub audience: Option<String>,
    /// Minted only when the session asks for it (`guard credential get
    /// NAME`), as the session's trust allows, instead of at the start.
    #[serde(default)]
    pub on_demand: Option<bool>,
}

/// any session with `guard run --cred NAME`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CredentialsFile {
    /// The `[[credential]]` entries.
    #[serde(default, rename = "credential")]
    pub credentials: Vec<CredentialSection>,
}

impl CredentialsFile {
    /// Reads and parses the file (missing: no credentials).
    pub fn load(path: &std::path::Path) -> Result<CredentialsFile, ProfileError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(CredentialsFile::default());
            }
            Err(source) => {
                return Err(ProfileError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        toml::from_str(&text).map_err(|error| ProfileError::Parse {
            source_name: path.display().to_string(),
            location: error
                .span()
                .map(|span| crate::text::line_and_column(&text, span.start))
                .map(|(line, column)| format!(":{line}:{column}"))
                .unwrap_or_default(),
            message: error.message().to_string(),
        })
    }
}
