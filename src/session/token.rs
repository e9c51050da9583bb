//! What a session's token says about it: the claims guard signs when a
//! session starts ([`crate::identity::Signer`] adds `aud`, `iat`, `nbf` and
//! `exp` per token). docs/credentials.md lists every claim.

use crate::policy::{NetworkMode, Policy};
use serde_json::{Value, json};
use std::path::Path;

/// The claims of the session `session_id` that runs `policy`.
pub fn claims(policy: &Policy, session_id: &str) -> Value {
    let user = nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|user| user.name)
        .unwrap_or_else(|| nix::unistd::getuid().to_string());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .unwrap_or_default();
    let repo = repository(&policy.repo);
    json!({
        "iss": format!("guard://{host}/{user}"),
        "sub": format!("session:{session_id}"),
        "jti": session_id,
        "profile": policy.profile.name,
        "policy_digest": policy.digest(),
        "repo_path": policy.repo.to_string_lossy(),
        "repo_remote": repo.remote,
        "repo_head": repo.head,
        "repo_dirty": repo.dirty,
        "command": policy.command.argv,
        "user": user,
        "host": host,
        "network": match policy.network.mode {
            NetworkMode::None => "none",
            NetworkMode::Allow => "allow",
            NetworkMode::Host => "host",
        },
    })
}

/// What git says of the repository: where it came from (without any user
/// or password in the URL), the commit checked out, and whether the work
/// tree differs from it. `null` where git has no answer.
#[derive(Debug, Default)]
struct Repository {
    remote: Option<String>,
    head: Option<String>,
    dirty: Option<bool>,
}

fn repository(repo: &Path) -> Repository {
    // Read-only questions, with nothing of the repository's configuration
    // that runs a program (an fsmonitor hook) or writes (the index).
    let git = |arguments: &[&str]| -> Option<String> {
        let output = std::process::Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["-c", "core.fsmonitor=false", "--no-optional-locks"])
            .args(arguments)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
    };
    Repository {
        remote: git(&["config", "--get", "remote.origin.url"])
            .filter(|url| !url.is_empty())
            .map(|url| without_userinfo(&url)),
        head: git(&["rev-parse", "--verify", "-q", "HEAD"]).filter(|head| !head.is_empty()),
        dirty: git(&["status", "--porcelain", "--untracked-files=normal"])
            .map(|status| !status.is_empty()),
    }
}

/// A URL without `user:password@` (a token pasted into a remote URL is a
/// secret, and a token's claims are not).
fn without_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::without_userinfo;

    #[test]
    fn remote_urls_lose_their_credentials() {
        assert_eq!(
            without_userinfo("https://user:ghp_token@github.com/o/r.git"),
            "https://github.com/o/r.git"
        );
        assert_eq!(
            without_userinfo("https://github.com/o/r.git"),
            "https://github.com/o/r.git"
        );
        assert_eq!(
            without_userinfo("git@github.com:o/r.git"),
            "git@github.com:o/r.git"
        );
    }
}
