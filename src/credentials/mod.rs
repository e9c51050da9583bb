//! Ephemeral credentials: minted when a session starts, handed to it as
//! environment variables, revoked when it ends — however it ends.
//!
//! Before a credential reaches the session, a lease record (never the secret)
//! is written to the journal (`$XDG_STATE_HOME/guard/leases/`). If guard dies
//! without revoking, the next `guard run` or `guard reap` finds the record of
//! a session whose guard is gone and revokes it; a revocation that fails stays
//! in the journal and is retried with back-off. The provider's TTL is the last
//! backstop.

mod command;
pub mod journal;
mod openbao;
mod postgres;
mod secret;

pub use journal::{LeaseRecord, Owner};
pub use secret::Secret;

use crate::identity::Signer;
use crate::policy::{CredentialPlan, ProviderPlan};
use std::path::Path;

/// A credential minted for a session.
#[derive(Debug)]
pub struct Minted {
    /// The journal record (what revocation needs; no secret).
    pub lease: LeaseRecord,
    /// The variables for the session, with their secret values.
    pub env: Vec<(String, Secret)>,
    /// The login the credential was read with (`openbao`), held in memory
    /// until it is revoked with the lease.
    pub login: Option<Secret>,
}

/// Why minting or revoking failed. Messages name the credential and the
/// cause, never a value.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The provider could not mint.
    #[error("credential `{name}` ({provider}): could not mint: {cause}")]
    Mint {
        /// The credential.
        name: String,
        /// The provider.
        provider: &'static str,
        /// What went wrong.
        cause: String,
    },
    /// The provider could not revoke.
    #[error("credential `{name}` ({provider}): could not revoke lease {lease}: {cause}")]
    Revoke {
        /// The credential.
        name: String,
        /// The provider.
        provider: &'static str,
        /// The lease.
        lease: String,
        /// What went wrong.
        cause: String,
    },
    /// The journal could not be written.
    #[error("lease journal {path}: {source}")]
    Journal {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// The provider's name, as records show it.
pub fn provider_name(plan: &ProviderPlan) -> &'static str {
    match plan {
        ProviderPlan::Command { .. } => "command",
        ProviderPlan::Postgres { .. } => "postgres",
        ProviderPlan::OpenBao { .. } => "openbao",
    }
}

/// What a provider hands back when it mints.
struct Issued {
    env: Vec<(String, Secret)>,
    lease_id: String,
    expires_at: u64,
}

/// Mints one credential and journals its lease before returning it. On
/// failure nothing is left behind (a minted-but-unjournaled credential is
/// revoked at once). `signer` makes the session's tokens: `openbao` needs
/// it, a `command` helper gets one when it is there.
pub fn mint(
    plan: &CredentialPlan,
    session: &str,
    journal_dir: &Path,
    owner: &Owner,
    signer: Option<&Signer>,
) -> Result<Minted, CredentialError> {
    let provider = provider_name(&plan.provider);
    let failed = |cause: String| CredentialError::Mint {
        name: plan.name.clone(),
        provider,
        cause,
    };
    let now = crate::clock::now().as_secs();
    let mut login = None;
    let issued = match &plan.provider {
        ProviderPlan::Command { .. } => command::mint(plan, session, signer).map_err(failed)?,
        ProviderPlan::Postgres {
            admin_url_env,
            role,
        } => postgres::mint(admin_url_env, role, &plan.name, session, plan.ttl_seconds)
            .map_err(failed)?,
        ProviderPlan::OpenBao {
            secret,
            variables,
            audience,
            ..
        } => {
            let signer = signer.ok_or_else(|| {
                failed("it needs guard's signing identity (run `guard identity init`)".into())
            })?;
            let server = server_of(&plan.provider).expect("an openbao plan");
            let (issued, held) = openbao::mint(
                server,
                secret,
                variables,
                signer,
                audience,
                plan.ttl_seconds,
            )
            .map_err(failed)?;
            login = Some(held);
            issued
        }
    };
    let lease = LeaseRecord {
        session: session.to_string(),
        name: plan.name.clone(),
        provider: plan.provider.clone(),
        lease_id: issued.lease_id,
        minted_at: now,
        expires_at: issued.expires_at.min(now + plan.ttl_seconds),
        owner: owner.clone(),
        attempts: 0,
        next_attempt: 0,
        last_error: None,
        // What a new login must say to revoke this lease if guard dies.
        claims: login
            .as_ref()
            .and(signer)
            .map(|signer| signer.claims().clone()),
    };
    if let Err(error) = journal::write(journal_dir, &lease) {
        let _ = revoke(&lease, login.as_ref(), signer);
        return Err(error);
    }
    Ok(Minted {
        lease,
        env: issued.env,
        login,
    })
}

/// The server an openbao plan names.
fn server_of(plan: &ProviderPlan) -> Option<openbao::Server<'_>> {
    match plan {
        ProviderPlan::OpenBao {
            cli,
            address,
            auth_mount,
            role,
            timeout_seconds,
            ..
        } => Some(openbao::Server {
            cli,
            address,
            auth_mount,
            role,
            timeout_seconds: *timeout_seconds,
        }),
        _ => None,
    }
}

/// Revokes a lease at its provider. `login` is the session's login while
/// guard holds it; without it an `openbao` lease is revoked through a new
/// login that `signer` makes.
pub fn revoke(
    lease: &LeaseRecord,
    login: Option<&Secret>,
    signer: Option<&Signer>,
) -> Result<(), CredentialError> {
    let result = match &lease.provider {
        ProviderPlan::Command {
            revoke,
            timeout_seconds,
            ..
        } => command::revoke(revoke, *timeout_seconds, &lease.lease_id, &lease.name),
        ProviderPlan::Postgres { admin_url_env, .. } => {
            postgres::revoke(admin_url_env, &lease.lease_id)
        }
        ProviderPlan::OpenBao { audience, .. } => {
            let server = server_of(&lease.provider).expect("an openbao plan");
            openbao::revoke(server, &lease.lease_id, login, signer, audience)
        }
    };
    result.map_err(|cause| CredentialError::Revoke {
        name: lease.name.clone(),
        provider: provider_name(&lease.provider),
        lease: lease.lease_id.clone(),
        cause,
    })
}

/// Revokes a lease and settles its journal record: removed when revoked, kept
/// with the next retry time when not.
pub fn revoke_and_settle(
    journal_dir: &Path,
    lease: &mut LeaseRecord,
    login: Option<&Secret>,
    signer: Option<&Signer>,
) -> Result<(), CredentialError> {
    match revoke(lease, login, signer) {
        Ok(()) => journal::remove(journal_dir, lease),
        Err(error) => {
            lease.attempts += 1;
            lease.next_attempt =
                crate::clock::now().as_secs() + journal::backoff_seconds(lease.attempts);
            lease.last_error = Some(error.to_string());
            journal::write(journal_dir, lease)?;
            Err(error)
        }
    }
}

/// A random 128-bit token, as hex (for the proxy's per-session credential).
pub fn random_token() -> std::io::Result<String> {
    random_hex(16)
}

/// Random bytes from the kernel, as lowercase hex.
fn random_hex(bytes: usize) -> std::io::Result<String> {
    use std::io::Read;
    let mut buffer = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buffer)?;
    Ok(buffer.iter().map(|b| format!("{b:02x}")).collect())
}
