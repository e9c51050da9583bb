//! The `postgres` provider: a login role per session, with a random password,
//! `VALID UNTIL` the TTL, member of a configured role; revoked by refusing new
//! logins, ending the role's connections and dropping it.
//!
//! It talks to the server through `psql` (postgresql-client), with the admin
//! URL read from guard's environment and passed to psql as `PG*` variables,
//! and the SQL (which holds the new password) on psql's stdin: neither ever
//! appears on a command line.

use super::{Issued, Secret, random_hex};
use std::io::Write;
use std::process::{Command, Stdio};

/// The parts of a `postgresql://user:password@host:port/database` URL.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ServerUrl {
    user: String,
    password: Secret,
    host: String,
    port: u16,
    database: String,
    sslmode: Option<String>,
}

impl ServerUrl {
    pub(super) fn parse(url: &str) -> Result<ServerUrl, String> {
        let rest = url
            .strip_prefix("postgresql://")
            .or_else(|| url.strip_prefix("postgres://"))
            .ok_or("the admin URL must start with postgresql://")?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (credentials, host_port) = authority
            .rsplit_once('@')
            .ok_or("the admin URL has no user@")?;
        let (user, password) = credentials.split_once(':').unwrap_or((credentials, ""));
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse()
                    .map_err(|_| "the admin URL's port is not a number")?,
            ),
            None => (host_port, 5432),
        };
        let (database, query) = path.split_once('?').unwrap_or((path, ""));
        let sslmode = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("sslmode="))
            .map(str::to_string);
        Ok(ServerUrl {
            user: percent_decode(user)?,
            password: Secret::new(percent_decode(password)?),
            host: if host.is_empty() {
                "localhost".into()
            } else {
                host.to_string()
            },
            port,
            database: if database.is_empty() {
                "postgres".into()
            } else {
                percent_decode(database)?
            },
            sslmode,
        })
    }
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .ok_or("a bad %-escape in the admin URL")?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| "a bad %-escape in the admin URL")?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the admin URL is not UTF-8".to_string())
}

fn admin_url(variable: &str) -> Result<ServerUrl, String> {
    let url = std::env::var(variable)
        .map_err(|_| format!("guard's environment has no {variable} (the admin URL)"))?;
    ServerUrl::parse(&url)
}

/// The session role's name: `guard_<session>_<credential>`, lowercase.
fn role_name(session: &str, credential: &str) -> String {
    let cleaned: String = credential
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let mut name = format!("guard_{session}_{cleaned}");
    name.truncate(63);
    name
}

pub(super) fn mint(
    admin_url_env: &str,
    member_of: &str,
    credential: &str,
    session: &str,
    ttl_seconds: u64,
) -> Result<Issued, String> {
    let server = admin_url(admin_url_env)?;
    let role = role_name(session, credential);
    let password = Secret::new(random_hex(16).map_err(|e| format!("no randomness: {e}"))?);
    let now = crate::clock::now().as_secs();
    let expires_at = now + ttl_seconds;
    let valid_until = crate::clock::rfc3339(std::time::Duration::from_secs(expires_at));
    // Every name and value here is guard's own (hex, a checked role name), so
    // plain quoting is safe.
    let sql = format!(
        "CREATE ROLE \"{role}\" LOGIN PASSWORD '{}' VALID UNTIL '{valid_until}' IN ROLE \"{member_of}\";\n",
        password.expose()
    );
    psql(&server, &sql).map_err(|error| error.replace(password.expose(), "[redacted]"))?;
    let url = format!(
        "postgresql://{role}:{}@{}:{}/{}",
        password.expose(),
        server.host,
        server.port,
        server.database
    );
    let mut env = vec![
        ("PGHOST".to_string(), Secret::new(server.host.clone())),
        ("PGPORT".to_string(), Secret::new(server.port.to_string())),
        ("PGUSER".to_string(), Secret::new(role.clone())),
        ("PGPASSWORD".to_string(), password),
        (
            "PGDATABASE".to_string(),
            Secret::new(server.database.clone()),
        ),
        ("DATABASE_URL".to_string(), Secret::new(url)),
    ];
    if let Some(mode) = &server.sslmode {
        env.push(("PGSSLMODE".to_string(), Secret::new(mode.clone())));
    }
    Ok(Issued {
        env,
        lease_id: role,
        expires_at,
    })
}

pub(super) fn revoke(admin_url_env: &str, role: &str) -> Result<(), String> {
    if !role.starts_with("guard_") || !role.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "refusing to drop role {role:?}: not one guard made"
        ));
    }
    let server = admin_url(admin_url_env)?;
    let sql = format!(
        "DO $$ BEGIN\n\
         IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN\n\
           EXECUTE 'ALTER ROLE \"{role}\" NOLOGIN';\n\
           PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}';\n\
           EXECUTE 'GRANT \"{role}\" TO ' || quote_ident(current_user);\n\
           EXECUTE 'DROP OWNED BY \"{role}\"';\n\
           EXECUTE 'DROP ROLE \"{role}\"';\n\
         END IF;\n\
         END $$;\n"
    );
    psql(&server, &sql)
}

/// Runs `sql` through psql against `server`.
fn psql(server: &ServerUrl, sql: &str) -> Result<(), String> {
    let mut command = Command::new("psql");
    command
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"])
        .env("PGHOST", &server.host)
        .env("PGPORT", server.port.to_string())
        .env("PGUSER", &server.user)
        .env("PGPASSWORD", server.password.expose())
        .env("PGDATABASE", &server.database)
        .env("PGCONNECT_TIMEOUT", "5")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(mode) = &server.sslmode {
        command.env("PGSSLMODE", mode);
    }
    let mut child = command
        .spawn()
        .map_err(|error| format!("cannot run psql (install postgresql-client): {error}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(sql.as_bytes())
            .map_err(|e| format!("writing to psql: {e}"))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("waiting for psql: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let message = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| {
            !line.trim_start().starts_with("LINE") && !line.trim_start().starts_with('^')
        })
        .collect::<Vec<_>>()
        .join(" ")
        .replace(server.password.expose(), "[redacted]");
    Err(format!(
        "psql at {}:{}: {}",
        server.host,
        server.port,
        message.trim()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_admin_urls() {
        let url = ServerUrl::parse("postgresql://admin:p%40ss@127.0.0.1:55432/app?sslmode=disable")
            .unwrap();
        assert_eq!(url.user, "admin");
        assert_eq!(url.password.expose(), "p@ss");
        assert_eq!(
            (url.host.as_str(), url.port, url.database.as_str()),
            ("127.0.0.1", 55432, "app")
        );
        assert_eq!(url.sslmode.as_deref(), Some("disable"));
        assert!(ServerUrl::parse("mysql://x@y/z").is_err());
        assert_eq!(format!("{:?}", url.password), "[redacted]");
    }

    #[test]
    fn role_names_are_safe_identifiers() {
        assert_eq!(role_name("ab12", "My-DB"), "guard_ab12_my_db");
        assert!(role_name("x", &"y".repeat(100)).len() <= 63);
    }
}
