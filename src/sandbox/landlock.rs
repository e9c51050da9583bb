//! Landlock: filesystem rights per path, TCP ports, and IPC scopes.
//!
//! Rights are named for a fixed ABI ([`TARGET_ABI`]) so that a crate upgrade
//! never silently changes what a rule means, and the ruleset is created as a
//! hard requirement: a kernel that cannot enforce every right refuses here.

use super::EnforceError;
use crate::policy::{Access, NetworkMode, PathKind, Policy};
use landlock::{
    ABI, Access as _, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, NetPort, PathBeneath,
    PathFd, RestrictionStatus, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope,
};

/// The ABI whose rights guard handles: 6 adds the signal and abstract unix
/// socket scopes to the filesystem (1–3, 5) and TCP (4) rights. ABI 7 only adds
/// audit-logging flags.
pub const TARGET_ABI: ABI = ABI::V6;

/// The Landlock rights that one [`Access`] letter stands for.
pub fn fs_rights(access: Access, kind: PathKind) -> BitFlags<AccessFs> {
    let mut rights = BitFlags::EMPTY;
    if access.read {
        rights |= AccessFs::ReadFile | AccessFs::ReadDir;
    }
    if access.write {
        // Everything that modifies, except creating device nodes.
        rights |= AccessFs::from_write(TARGET_ABI)
            & !(AccessFs::MakeChar | AccessFs::MakeBlock | AccessFs::Execute);
    }
    if access.exec {
        rights |= AccessFs::Execute;
    }
    match kind {
        PathKind::Dir => rights,
        PathKind::File => rights & AccessFs::from_file(TARGET_ABI),
    }
}

/// Applies the policy's Landlock ruleset to the calling thread (and so to
/// everything it executes). `no_new_privs` must already be set.
/// `proxy_port` is the port of guard's proxy, the only TCP port a session
/// with `network.mode = "allow"` may connect to.
pub fn restrict_self(
    policy: &Policy,
    proxy_port: Option<u16>,
) -> Result<RestrictionStatus, EnforceError> {
    let error = |e: &dyn std::fmt::Display| EnforceError::Landlock(e.to_string());
    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(AccessFs::from_all(TARGET_ABI))
        .map_err(|e| error(&e))?
        .scope(Scope::from_all(TARGET_ABI))
        .map_err(|e| error(&e))?;
    if policy.network.mode != NetworkMode::Host {
        // Handled: every TCP bind and connect is refused but the rule below.
        ruleset = ruleset
            .handle_access(AccessNet::from_all(TARGET_ABI))
            .map_err(|e| error(&e))?;
    }
    let mut created = ruleset.create().map_err(|e| error(&e))?;
    if policy.network.mode == NetworkMode::Allow {
        let port = proxy_port
            .ok_or_else(|| EnforceError::Landlock("network.mode = allow without a proxy".into()))?;
        // Landlock rules name ports, not addresses: the supervisor makes sure
        // the connect goes to the proxy's address.
        created = created
            .add_rule(NetPort::new(port, AccessNet::ConnectTcp))
            .map_err(|e| error(&e))?;
    }
    for (path, rule) in &policy.filesystem {
        let rights = fs_rights(rule.access, rule.kind);
        if rights.is_empty() {
            continue;
        }
        let fd = match PathFd::new(path) {
            Ok(fd) => fd,
            // A session directory or a `+dir` is created before this runs; a
            // path that vanished since compile time grants nothing.
            Err(_) => continue,
        };
        created = created
            .add_rule(PathBeneath::new(fd, rights))
            .map_err(|e| EnforceError::Landlock(format!("rule for {}: {e}", path.display())))?;
    }
    let status = created
        .no_new_privs(true)
        .restrict_self()
        .map_err(|e| error(&e))?;
    fully_enforced(&status)?;
    Ok(status)
}

/// Puts the calling thread in a nested domain that handles only the IPC
/// scopes: from then on it (and what it starts) can signal, and connect to
/// abstract unix sockets of, only processes inside that nested domain. The
/// session's command uses it so that it cannot signal its anchor, which
/// stays in the outer domain.
pub fn scope_self() -> Result<(), EnforceError> {
    let error = |e: &dyn std::fmt::Display| EnforceError::Landlock(e.to_string());
    let status = Ruleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .scope(Scope::from_all(TARGET_ABI))
        .map_err(|e| error(&e))?
        .create()
        .map_err(|e| error(&e))?
        .no_new_privs(true)
        .restrict_self()
        .map_err(|e| error(&e))?;
    fully_enforced(&status)
}

/// Fails closed when the kernel enforced less than was asked.
fn fully_enforced(status: &RestrictionStatus) -> Result<(), EnforceError> {
    match status.ruleset {
        RulesetStatus::FullyEnforced => Ok(()),
        _ => Err(EnforceError::LandlockPartial {
            abi: crate::sys::landlock_abi_version(),
        }),
    }
}
