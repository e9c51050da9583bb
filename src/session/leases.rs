//! The session's credentials: minted before it runs, revoked after (on
//! every path, by [`Leases`]' `Drop`), and the leases of sessions whose guard
//! died, revoked by [`reap`].

use super::SessionError;
use crate::audit::{AuditLog, Event, EventKind, EventSender};
use crate::credentials::{self, CredentialError, LeaseRecord, Minted, Owner, Secret};
use crate::identity::Signer;
use crate::policy::{CredentialPlan, Policy, ProviderPlan};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The record of a lease event: names and ids, never values.
fn lease_event(kind: EventKind, lease: &LeaseRecord) -> Event {
    Event::new(kind, None)
        .with("credential", lease.name.clone())
        .with("provider", credentials::provider_name(&lease.provider))
        .with("lease", lease.lease_id.clone())
        .with(
            "expires_at",
            crate::clock::rfc3339(std::time::Duration::from_secs(
                lease.expires_at.min(i64::MAX as u64),
            )),
        )
}

/// The signer of the session's tokens: an `openbao` credential needs it
/// (an error without guard's identity), a `command` helper gets one when the
/// identity exists, and none is made otherwise.
pub fn signer(
    policy: &Policy,
    session: &str,
    identity: &Path,
) -> Result<Option<Signer>, SessionError> {
    let needed = policy
        .credentials
        .iter()
        .any(|plan| matches!(plan.provider, ProviderPlan::OpenBao { .. }));
    let wanted = needed
        || policy
            .credentials
            .iter()
            .any(|plan| matches!(plan.provider, ProviderPlan::Command { .. }));
    if !wanted {
        return Ok(None);
    }
    match crate::identity::current(identity) {
        Ok(key) => Ok(Some(Signer::new(
            key,
            super::token::claims(policy, session),
        ))),
        Err(crate::identity::IdentityError::Missing(_)) if !needed => Ok(None),
        Err(error) => Err(SessionError::Identity(error)),
    }
}

/// The credentials minted for one session. Dropped, it revokes whatever
/// [`Leases::revoke`] has not, so that no path out of a session, an early
/// error or a panic included, leaves a credential live; what cannot be
/// revoked stays in the journal for `guard reap`.
#[derive(Debug)]
pub struct Leases {
    minted: Vec<Minted>,
    journal: PathBuf,
}

impl Leases {
    /// Mints every credential of the policy, journaling and recording each.
    /// If one fails, those already minted are revoked and the error names the
    /// one that failed.
    pub fn mint(
        policy: &Policy,
        session: &str,
        journal: &Path,
        signer: Option<&Signer>,
        log: &mut AuditLog,
    ) -> Result<Leases, SessionError> {
        let owner = Owner::current();
        let mut leases = Leases {
            minted: Vec::new(),
            journal: journal.to_path_buf(),
        };
        for plan in policy.credentials.iter().filter(|plan| !plan.on_demand) {
            match credentials::mint(plan, session, journal, &owner, signer) {
                Ok(credential) => {
                    let recorded =
                        log.append(lease_event(EventKind::CredentialMinted, &credential.lease));
                    leases.minted.push(credential);
                    recorded?;
                }
                Err(error) => {
                    leases.revoke(Some(log));
                    return Err(SessionError::Credential(error));
                }
            }
        }
        Ok(leases)
    }

    /// The variables the minted credentials give the session.
    pub fn variables(&self) -> Vec<(String, Secret)> {
        self.minted
            .iter()
            .flat_map(|credential| credential.env.iter().cloned())
            .collect()
    }

    /// Revokes every credential not yet revoked (the session's processes
    /// are gone by now), recording each outcome in `log`; failures stay in
    /// the journal for retry.
    pub fn revoke(&mut self, mut log: Option<&mut AuditLog>) -> Vec<CredentialError> {
        let mut failures = Vec::new();
        for mut credential in std::mem::take(&mut self.minted) {
            let result = credentials::revoke_and_settle(
                &self.journal,
                &mut credential.lease,
                credential.login.as_ref(),
                None,
            );
            let event = match &result {
                Ok(()) => lease_event(EventKind::CredentialRevoked, &credential.lease),
                Err(error) => lease_event(EventKind::CredentialRevokeFailed, &credential.lease)
                    .with("error", error.to_string()),
            };
            if let Some(log) = log.as_deref_mut() {
                let _ = log.append(event);
            }
            if let Err(error) = result {
                failures.push(error);
            }
        }
        failures
    }
}

/// The credentials a session may ask for while it runs (`on_demand`): minted
/// on its request, once each, into the session's [`Leases`], so that they
/// are revoked with the others when it ends.
#[derive(Debug, Clone)]
pub struct OnDemand {
    plans: Vec<CredentialPlan>,
    session: String,
    leases: Arc<Mutex<Leases>>,
    signer: Option<Arc<Signer>>,
}

impl OnDemand {
    /// The on-demand credentials of `policy`, if it has any.
    pub fn of(
        policy: &Policy,
        session: &str,
        leases: &Arc<Mutex<Leases>>,
        signer: Option<Arc<Signer>>,
    ) -> Option<OnDemand> {
        let plans: Vec<CredentialPlan> = policy
            .credentials
            .iter()
            .filter(|plan| plan.on_demand)
            .cloned()
            .collect();
        (!plans.is_empty()).then(|| OnDemand {
            plans,
            session: session.to_string(),
            leases: Arc::clone(leases),
            signer,
        })
    }

    /// The names the session may ask for.
    pub fn names(&self) -> Vec<&str> {
        self.plans.iter().map(|plan| plan.name.as_str()).collect()
    }

    /// Whether `name` is one of them.
    pub fn offers(&self, name: &str) -> bool {
        self.plans.iter().any(|plan| plan.name == name)
    }

    /// The variables of credential `name`, minted now (journaled, and
    /// recorded through `events`) or, if it was minted before, as then.
    /// `None` if the profile offers no such credential.
    pub fn get(
        &self,
        name: &str,
        events: &EventSender,
    ) -> Option<Result<Vec<(String, Secret)>, CredentialError>> {
        let plan = self.plans.iter().find(|plan| plan.name == name)?;
        let mut leases = self.leases.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(minted) = leases.minted.iter().find(|m| m.lease.name == name) {
            return Some(Ok(minted.env.clone()));
        }
        let minted = credentials::mint(
            plan,
            &self.session,
            &leases.journal,
            &Owner::current(),
            self.signer.as_deref(),
        );
        Some(minted.map(|credential| {
            events.send(
                lease_event(EventKind::CredentialMinted, &credential.lease).with("on_demand", true),
            );
            let env = credential.env.clone();
            leases.minted.push(credential);
            env
        }))
    }
}

impl Drop for Leases {
    fn drop(&mut self) {
        if !self.minted.is_empty() {
            tracing::debug!(count = self.minted.len(), "revoking credentials left live");
            self.revoke(None);
        }
    }
}

/// Revokes the leases of sessions whose guard is gone. `force` ignores the
/// back-off of earlier failures. Each outcome is added to the session's log
/// in `log_dir` when that log is still open (its guard died before sealing
/// it), and a log whose leases are all settled is then sealed. Returns lines
/// to show the user.
pub fn reap(journal: &Path, log_dir: &Path, identity: &Path, force: bool) -> Vec<String> {
    let (leases, problems) = credentials::journal::list(journal);
    let now = crate::clock::now().as_secs();
    let mut lines: Vec<String> = problems
        .into_iter()
        .map(|p| format!("unreadable lease record {p}"))
        .collect();
    let mut logs: std::collections::BTreeMap<String, Option<AuditLog>> = Default::default();
    for mut lease in leases {
        if lease.owner.is_alive() || (!force && lease.next_attempt > now) {
            continue;
        }
        // An openbao lease is revoked through a new login, with a token
        // that says what the session's said.
        let signer = lease.claims.clone().and_then(|claims| {
            crate::identity::current(identity)
                .ok()
                .map(|key| Signer::new(key, claims))
        });
        let result = credentials::revoke_and_settle(journal, &mut lease, None, signer.as_ref());
        let log = logs
            .entry(lease.session.clone())
            .or_insert_with(|| AuditLog::resume(log_dir, &lease.session).ok().flatten());
        if let Some(log) = log {
            let event = match &result {
                Ok(()) => lease_event(EventKind::CredentialRevoked, &lease),
                Err(error) => lease_event(EventKind::CredentialRevokeFailed, &lease)
                    .with("error", error.to_string()),
            };
            if let Err(error) = log.append(event.with("by", "guard reap")) {
                lines.push(error.to_string());
            }
        }
        match result {
            Ok(()) => lines.push(format!(
                "revoked credential `{}` ({}) of session {} (its guard is gone)",
                lease.name,
                credentials::provider_name(&lease.provider),
                lease.session
            )),
            Err(error) => lines.push(format!(
                "{error} (attempt {}; retried later)",
                lease.attempts
            )),
        }
    }
    let pending = credentials::journal::list(journal).0;
    for (session, log) in logs {
        if let Some(mut log) = log
            && !pending.iter().any(|lease| lease.session == session)
        {
            let end = Event::new(EventKind::SessionEnd, None)
                .with(
                    "error",
                    "guard ended without closing the session (killed, or the machine stopped); `guard reap` revoked its credentials",
                )
                .with("by", "guard reap");
            if let Err(error) = super::seal(&mut log, end, identity) {
                lines.push(error.to_string());
            }
        }
    }
    lines
}
