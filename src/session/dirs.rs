//! Where guard finds the user's files and keeps its own: the one place the
//! XDG rules are written down.

use crate::policy::HostView;
use crate::profile::ProfileSources;
use std::path::{Path, PathBuf};

/// `$HOME`, else the password database's entry for the user.
pub fn home_dir(host: &dyn HostView) -> Option<PathBuf> {
    host.var("HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::getuid())
                .ok()
                .flatten()
                .map(|user| user.dir)
        })
}

/// The user's configuration directory: `$XDG_CONFIG_HOME` when absolute,
/// else `~/.config`.
pub fn config_dir(host: &dyn HostView) -> Option<PathBuf> {
    host.var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| home_dir(host).map(|home| home.join(".config")))
}

/// Where user profiles live (`guard/profiles` in the configuration
/// directory).
pub fn profile_sources(host: &dyn HostView) -> ProfileSources {
    ProfileSources {
        user_dir: config_dir(host).map(|dir| dir.join("guard/profiles")),
    }
}

/// The user's credentials file (`guard/credentials.toml` in the
/// configuration directory).
pub fn credentials_file(host: &dyn HostView) -> PathBuf {
    config_dir(host)
        .unwrap_or_default()
        .join("guard/credentials.toml")
}

/// guard's own state directory: `$XDG_STATE_HOME/guard` when absolute,
/// else `~/.local/state/guard`. Sessions never write in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    /// The state directory for `host`.
    pub fn of(host: &dyn HostView) -> StateDir {
        let state_home = host
            .var("XDG_STATE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| home_dir(host).map(|home| home.join(".local/state")))
            .unwrap_or_else(|| PathBuf::from("/.local/state"));
        StateDir {
            root: state_home.join("guard"),
        }
    }

    /// The state directory of this process's environment.
    pub fn from_process() -> StateDir {
        StateDir::of(&crate::policy::RealHost::from_process())
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The sessions' audit logs.
    pub fn sessions(&self) -> PathBuf {
        self.root.join("sessions")
    }

    /// The lease journal: every credential not yet revoked.
    pub fn leases(&self) -> PathBuf {
        self.root.join("leases")
    }

    /// Where `guard scan --incremental` and `scan.on_start` keep results.
    pub fn scan_cache(&self) -> PathBuf {
        self.root.join("scan-cache")
    }

    /// Where a session's versions of the protected paths it changed go.
    pub fn quarantine(&self, session_id: &str) -> PathBuf {
        self.root.join("quarantine").join(session_id)
    }

    /// guard's signing identity ([`crate::identity`]): no session may read it.
    pub fn identity(&self) -> PathBuf {
        self.root.join("identity")
    }

    /// The trust store of repository profiles.
    pub fn trust_store(&self) -> PathBuf {
        self.root.join("trust.json")
    }
}
