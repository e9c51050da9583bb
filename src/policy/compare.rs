//! Comparing two policies: what a repository profile adds or takes away.

use super::*;

/// How one policy differs from another, in lines a person can review.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyChange {
    /// Grants the second policy has that the first does not.
    pub widens: Vec<String>,
    /// Grants the first policy has that the second does not.
    pub narrows: Vec<String>,
}

fn access_at(policy: &Policy, path: &Path) -> Access {
    policy
        .filesystem
        .iter()
        .filter(|(rule, r)| match r.kind {
            PathKind::Dir => path.starts_with(rule),
            PathKind::File => path == rule.as_path(),
        })
        .fold(Access::default(), |all, (_, r)| all.union(r.access))
}

fn exceeds(access: Access, limit: Access) -> bool {
    (access.read && !limit.read) || (access.write && !limit.write) || (access.exec && !limit.exec)
}

fn unix_rank(unix: &UnixSockets) -> u8 {
    match unix {
        UnixSockets::None => 0,
        UnixSockets::Listed { .. } => 1,
        UnixSockets::Any => 2,
    }
}

fn logging_rank(files: FileLogging) -> u8 {
    match files {
        FileLogging::All => 0,
        FileLogging::Writes => 1,
        FileLogging::None => 2,
    }
}

/// What `after` grants beyond `before`, and what it no longer grants.
pub fn compare(before: &Policy, after: &Policy) -> PolicyChange {
    let mut change = PolicyChange::default();
    let one_way = |from: &Policy, to: &Policy, out: &mut Vec<String>| {
        for (path, rule) in &to.filesystem {
            if exceeds(rule.access, access_at(from, path)) {
                out.push(format!(
                    "filesystem {} {}",
                    rule.access.letters(),
                    path.display()
                ));
            }
        }
        for (name, path) in &to.tools {
            if !from.tools.values().any(|p| p == path) {
                out.push(format!("tool {name} ({})", path.display()));
            }
        }
        for pattern in &to.env.pass {
            if !from.env.pass.contains(pattern) {
                out.push(format!("environment passes {pattern}"));
            }
        }
        for (name, value) in &to.env.set {
            if from.env.set.get(name) != Some(value) {
                out.push(format!("environment sets {name}={value}"));
            }
        }
        for credential in &to.credentials {
            if !from.credentials.iter().any(|c| c == credential) {
                out.push(format!("credential {}", credential.name));
            }
        }
        for protected in &from.protection.paths {
            if !to.protection.paths.iter().any(|p| p.path == protected.path) {
                out.push(format!("{} no longer protected", protected.path.display()));
            }
        }
    };
    one_way(before, after, &mut change.widens);
    one_way(after, before, &mut change.narrows);
    // Settings: the line says what the new policy has.
    let mut setting = |wider: bool, narrower: bool, text: String| {
        if wider {
            change.widens.push(text);
        } else if narrower {
            change.narrows.push(text);
        }
    };
    let rank = |mode: NetworkMode| match mode {
        NetworkMode::None => 0,
        NetworkMode::Allow => 1,
        NetworkMode::Host => 2,
    };
    let (old, new) = (rank(before.network.mode), rank(after.network.mode));
    setting(
        new > old,
        new < old,
        format!("network.mode {:?}", after.network.mode).to_lowercase(),
    );
    let (old, new) = (
        unix_rank(&before.network.unix_sockets),
        unix_rank(&after.network.unix_sockets),
    );
    setting(
        new > old,
        new < old,
        format!("network.unix_sockets {:?}", after.network.unix_sockets).to_lowercase(),
    );
    let (old, new) = (
        logging_rank(before.file_logging),
        logging_rank(after.file_logging),
    );
    setting(
        new > old,
        new < old,
        format!("log.files {:?} (audit logging)", after.file_logging).to_lowercase(),
    );
    if after.network.mode == NetworkMode::Allow {
        for rule in &after.network.allow {
            if !before.network.allow.contains(rule) {
                change.widens.push(format!("network.allow {rule}"));
            }
        }
    }
    if after.network.allow_private && !before.network.allow_private {
        change.widens.push("network.allow_private".to_string());
    }
    change
}
