//! The compiled policy: what a session may do, as plain data.
//!
//! A [`Policy`] is produced by [`compile`] from a resolved profile and a view of
//! the host, and consumed by the enforcement modules in [`crate::sandbox`]. It
//! holds absolute paths and typed rights only, is deterministic (`BTreeMap`s),
//! prints as text or JSON, and knows nothing about Landlock or seccomp, so that
//! another backend could enforce the same value.

mod boundary;
mod ci_files;
mod client_dirs;
pub mod client_hooks;
mod compare;
mod compile;
mod credentials;
mod error;
mod exec_deps;
mod git_dirs;
mod git_index;
mod gitconfig;
mod host;
mod layers;
mod loaders;
mod merge_back;
mod network;
mod path_index;
mod protection;
pub mod refusal;
mod render;
mod session_rules;
pub mod trust;
mod upstream;
mod vars;
mod verified;

pub use boundary::{BoundaryDenial, Change, ProtectedAtTops, Whose, matches};
pub use client_dirs::{ClientDir, CopyFormat, SessionCopy};
pub use client_hooks::{ClientHooks, HookClient};
pub use compare::{PolicyChange, compare};
pub use compile::CompileInput;
pub use compile::compile;
pub use credentials::{
    CredentialPlan, MAX_TTL_SECONDS, ProviderPlan, TtlError, is_reserved_variable, parse_ttl,
};
pub use error::CompileError;
pub use git_dirs::{common_dir, git_dir_of};
pub use git_index::{ObjectFormat, WorkTreeFile};
pub use host::{HostView, RealHost, path_entry_dir, work_tree_file};
pub use merge_back::{KeyPath, KeySegment, MergeBack, merge_back};
pub use network::{AuthorityError, HostRule, HostRuleError, is_private, split_host_port};
pub use render::mechanism_text;
pub use session_rules::SessionRules;
pub use upstream::{UpstreamError, UpstreamProxy};
pub use vars::Variables;
pub use verified::{
    ContentCheck, ObjectRole, ObjectStore, Replacing, STAGING_PREFIX, VerifiedFile,
};

use crate::profile::ProfileOrigin;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Everything `guard run` will enforce for one session.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Policy {
    /// Which profile this came from.
    pub profile: ProfileInfo,
    /// The repository the session works in.
    pub repo: PathBuf,
    /// The command as given, and the program it resolves to.
    pub command: CommandPlan,
    /// The session's private directories (created at launch, removed at exit).
    pub session: SessionPaths,
    /// Filesystem rights, by absolute path. A right on a directory covers
    /// everything beneath it.
    pub filesystem: BTreeMap<PathBuf, PathRule>,
    /// Directories created (mode 0700) before launch if missing, so that a
    /// client's own config directory exists.
    pub create_dirs: Vec<PathBuf>,
    /// Programs the session may execute: name → resolved file.
    pub tools: BTreeMap<String, PathBuf>,
    /// Paths inside writable trees that stay read-only, and how.
    pub protection: Protection,
    /// The private mount namespace, when the host allows one.
    pub namespace: Option<NamespacePlan>,
    /// The session's environment.
    pub env: EnvPlan,
    /// Network reach.
    pub network: NetworkPolicy,
    /// Which file accesses the audit log records.
    pub file_logging: FileLogging,
    /// How much of each user prompt the audit log keeps.
    pub prompt_logging: PromptLogging,
    /// Credentials minted for the session and revoked when it ends.
    pub credentials: Vec<CredentialPlan>,
    /// The repository scan before launch.
    pub scan: ScanPlan,
    /// Caches shared with the host, written through private layers.
    pub layers: Vec<CacheLayer>,
    /// Client directories the session sees through private stand-ins.
    pub client_dirs: Vec<ClientDir>,
    /// Shell start-up files the session reads as the session rc
    /// ([`SessionPaths::shell_rc`]) instead.
    pub session_rc: Vec<PathBuf>,
    /// guard's hooks registered for this session's client, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_hooks: Option<ClientHooks>,
    /// Which sources make the session untrusted, and what it may do then.
    pub trust: trust::TrustPlan,
}

/// A cache shared with the host that the session writes through a private
/// layer; what guard verifies is merged back when the session ends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CacheLayer {
    /// The real cache.
    pub path: PathBuf,
    /// Where the session's writes go: with a mount namespace the upper
    /// directory of an overlay on `path` (and its work directory beside it),
    /// else the directory the tools are pointed at.
    pub private: PathBuf,
    /// Without namespaces, the private stand-in for a directory the cache
    /// lies in (links to its other entries).
    pub within: Option<StandIn>,
}

/// A private stand-in for a directory of the user's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StandIn {
    /// The real directory.
    pub real: PathBuf,
    /// Its private stand-in.
    pub private: PathBuf,
}

impl CacheLayer {
    /// The overlay's upper and work directories (with a mount namespace).
    pub fn overlay_dirs(&self) -> (PathBuf, PathBuf) {
        (self.private.join("upper"), self.private.join("work"))
    }
}

pub use crate::profile::{FileLogging, PromptLogging, ScanOnStart};

/// What `guard run` scans before launch, and what a finding does.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct ScanPlan {
    /// Off, warn or block.
    pub on_start: ScanOnStart,
    /// The lowest severity that is reported or blocks.
    pub fail_on: crate::scan::Severity,
    /// The most files a repository may hold to be scanned before a session.
    pub max_files: usize,
}

/// The profile a policy was compiled from.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProfileInfo {
    /// Profile name.
    pub name: String,
    /// Where it came from.
    pub origin: ProfileOrigin,
    /// Every profile merged in, base first.
    pub chain: Vec<String>,
}

/// The command to run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CommandPlan {
    /// The arguments as given (`argv[0]` is the name as typed).
    pub argv: Vec<String>,
    /// What is executed: `argv[0]` as found on `PATH`, symlinks kept (a
    /// script's interpreter and a program that goes by its name, like
    /// Debian's `pg_wrapper` behind `psql`, see this path, as without guard).
    pub path: PathBuf,
    /// The executable `argv[0]` resolved to (symlinks followed), which is
    /// what the policy grants.
    pub program: PathBuf,
}

/// The per-session private directories.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SessionPaths {
    /// The session's own directory, parent of the two below.
    pub dir: PathBuf,
    /// A private home (`{session_home}`).
    pub home: PathBuf,
    /// A private temp dir (`{tmp}`).
    pub tmp: PathBuf,
}

impl SessionPaths {
    /// The session's rules for its hook adapters ([`SessionRules`]), readable
    /// but not writable by the session.
    pub fn rules_file(&self) -> PathBuf {
        self.dir.join("rules.json")
    }

    /// The settings file that registers guard's hooks with `client` for
    /// this session (readable, not writable, by the session).
    pub fn client_settings(&self, client: &str) -> PathBuf {
        self.dir.join(format!("{client}-settings.json"))
    }

    /// Where hook adapters in the session report tool calls; guard adds the
    /// reports to the audit log when the session ends.
    pub fn reports_dir(&self) -> PathBuf {
        self.dir.join("reports")
    }

    /// The path whose open gives a session process a connection to guard
    /// ([`crate::channel`]): the supervisor answers the open, so nothing
    /// exists there.
    pub fn channel(&self) -> PathBuf {
        self.dir.join("channel")
    }

    /// The session's shell rc, which the session reads in place of the
    /// user's start-up files (readable, not writable).
    pub fn shell_rc(&self) -> PathBuf {
        self.dir.join("shell-rc")
    }
}

/// Access rights on a path: the three a profile speaks of. Each enforcement
/// backend maps them to its own, finer rights.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
pub struct Access {
    /// Open files and list directories.
    pub read: bool,
    /// Create, modify, truncate, remove, rename and link.
    pub write: bool,
    /// Execute files.
    pub exec: bool,
}

impl Access {
    /// Read only.
    pub const READ: Access = Access {
        read: true,
        write: false,
        exec: false,
    };
    /// Read and write.
    pub const READ_WRITE: Access = Access {
        read: true,
        write: true,
        exec: false,
    };
    /// Read and execute.
    pub const READ_EXEC: Access = Access {
        read: true,
        write: false,
        exec: true,
    };

    /// The union of two sets of rights.
    pub fn union(self, other: Access) -> Access {
        Access {
            read: self.read || other.read,
            write: self.write || other.write,
            exec: self.exec || other.exec,
        }
    }

    /// `r`, `w`, `x` letters, `-` for a missing right.
    pub fn letters(self) -> String {
        [(self.read, 'r'), (self.write, 'w'), (self.exec, 'x')]
            .iter()
            .map(|&(on, letter)| if on { letter } else { '-' })
            .collect()
    }
}

/// Whether a rule names a directory (covering everything beneath) or one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PathKind {
    /// A directory: the rights hold beneath it.
    Dir,
    /// A single file (or device).
    File,
}

/// Rights on one path and why they were granted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathRule {
    /// The rights.
    pub access: Access,
    /// Directory or file.
    pub kind: PathKind,
    /// The profile entries or tools that asked for this path.
    pub because: BTreeSet<String>,
}

/// What stays unchanged inside the writable trees, and the mechanism that
/// keeps it so (see [`Protection::judge`]). The default protects nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Protection {
    /// The paths indexed for judgement.
    #[serde(skip)]
    pub(in crate::policy) index: path_index::PathIndex,
    /// How the protection is enforced in this session.
    pub mechanism: ProtectionMechanism,
    /// The protected paths that lie inside a writable tree.
    pub paths: Vec<ProtectedPath>,
    /// Relative paths protected at every depth of a tree (`**/.git`).
    pub everywhere: Vec<ProtectedEverywhere>,
    /// Relative paths protected at the top of every work tree nested in a
    /// tree (`.husky` in a clone inside the repository).
    pub at_tops: Vec<ProtectedAtTops>,
    /// Files changed only by a rename guard checks (`packed-refs`, the
    /// index).
    pub verified: Vec<VerifiedFile>,
    /// git's object store, whose files appear only as guard verifies them.
    pub objects: Option<ObjectStore>,
}

/// Relative paths protected at every depth of one tree (entries of
/// `protected` written `**/PATH`): nothing at or beneath such a path may
/// change or be created anywhere in the tree, and no directory may be
/// renamed, removed or made a link where that would make, unmake or redirect
/// one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProtectedEverywhere {
    /// The tree (the repository).
    pub within: PathBuf,
    /// The paths.
    pub paths: Vec<EverywherePath>,
}

/// One path protected at every depth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EverywherePath {
    /// Its components (`.codex`, `config.toml`).
    pub components: Vec<String>,
    /// Why it is protected.
    pub because: String,
}

impl EverywherePath {
    /// The path as a profile writes it (`**/.codex/config.toml`).
    pub fn pattern(&self) -> String {
        format!("**/{}", self.components.join("/"))
    }
}

/// How what is protected stays unchanged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProtectionMechanism {
    /// No protected path lies inside a writable tree: nothing to do.
    #[default]
    NotNeeded,
    /// guard's supervisor makes every change itself and refuses what the
    /// protection forbids (race-free: it acts on what it judged), and the
    /// existing protected entries are read-only bind mounts in a private
    /// mount namespace as well. Checked again when the session ends.
    SupervisorAndMounts,
    /// No namespaces: the supervisor alone, checked again when the session
    /// ends.
    Supervisor,
}

/// What the session's private mount namespace changes. Landlock still
/// decides every access; the mounts add what Landlock cannot express.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamespacePlan {
    /// Bound read-only: the existing protected paths.
    pub read_only: Vec<PathBuf>,
    /// Bound `noexec`: writable paths without the exec right, so that the
    /// dynamic loader (`ld.so FILE`) cannot map a file written there as code.
    pub no_exec: Vec<PathBuf>,
    /// Paths with the exec right beneath a `no_exec` path, bound executable again.
    pub exec_again: Vec<PathBuf>,
    /// Caches overlaid with the session's private layer (before the binds).
    pub overlays: Vec<CacheLayer>,
    /// Directories covered by an empty, read-only file system inside the
    /// session, whatever else grants them: guard's signing key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden: Vec<PathBuf>,
}

/// One protected path: read-only, and if missing it cannot be created; the
/// directories above it cannot be renamed or removed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProtectedPath {
    /// Absolute path.
    pub path: PathBuf,
    /// Whether it existed when the policy was compiled.
    pub exists: bool,
    /// Entries beneath it that may still change, relative to it (`index`,
    /// `*.lock`, `objects/**`); empty for a path wholly read-only.
    pub allow: Vec<String>,
    /// Why it is protected.
    pub because: String,
}

/// The session's environment: names passed from the parent, and values set.
/// Values of passed variables are never part of the policy (they may be secrets).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvPlan {
    /// Patterns of parent variables that pass (`NAME` or `PREFIX*`).
    pub pass: Vec<String>,
    /// Variables set by the profile (after variable expansion).
    pub set: BTreeMap<String, String>,
}

/// What the session may reach over the network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetworkPolicy {
    /// IP networking.
    pub mode: NetworkMode,
    /// Unix domain sockets.
    pub unix_sockets: UnixSockets,
    /// With `allow`: the hosts the proxy lets through.
    pub allow: Vec<HostRule>,
    /// With `allow`: whether allowed names may resolve to private addresses.
    pub allow_private: bool,
    /// Name-to-address overrides for the proxy (`host:port` → address).
    pub resolve: BTreeMap<String, std::net::IpAddr>,
    /// With `allow`: the user's own HTTP proxy (`HTTPS_PROXY`), which
    /// guard's proxy tunnels the allowed connections through.
    pub upstream: Option<UpstreamProxy>,
}

/// IP networking of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkMode {
    /// No TCP and no UDP.
    None,
    /// TCP to guard's proxy only, which lets allowed hosts through.
    Allow,
    /// The host's network, unrestricted.
    Host,
}

/// Unix domain sockets of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UnixSockets {
    /// No unix socket can be created (socket pairs still can).
    None,
    /// Stream sockets only; every `connect` is trapped and performed by the
    /// supervisor, which allows socket files beneath `within` or equal to one
    /// of `files` (symlinks resolved), and refuses abstract addresses.
    Listed {
        /// Directories whose socket files may be reached (the writable ones).
        within: Vec<PathBuf>,
        /// Socket files outside them that the profile names.
        files: Vec<PathBuf>,
    },
    /// Unix sockets can be created and connected anywhere.
    Any,
}

impl EnvPlan {
    /// Whether a parent variable of this name passes into the session.
    pub fn passes(&self, name: &str) -> bool {
        self.pass
            .iter()
            .any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => name == pattern,
            })
    }
}

/// Removes `.` and resolves `..` without touching the filesystem.
pub fn lexically_normal(path: &std::path::Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

impl Policy {
    /// SHA-256 of the policy's JSON form, as lowercase hex: what the audit log
    /// records to say which policy a session ran under.
    pub fn digest(&self) -> String {
        let json = serde_json::to_vec(self).expect("a policy always serialises");
        crate::digest::sha256_hex(&json)
    }
}
