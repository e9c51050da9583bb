//! What a hook adapter inside the session knows of its policy: enough to tell
//! the assistant, before a tool call, that the sandbox would refuse it.

use super::{Access, HostRule, NetworkMode, PathKind, Policy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The filesystem rules, protected paths and tools of a session, as guard
/// writes them to [`super::SessionPaths::rules_file`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRules {
    /// The repository.
    pub repo: PathBuf,
    /// Every filesystem rule: path, rights, and whether it covers a tree.
    pub filesystem: Vec<(PathBuf, Access, PathKind)>,
    /// Paths that stay read-only inside writable trees.
    pub protected: Vec<PathBuf>,
    /// The tools: name → file.
    pub tools: BTreeMap<String, PathBuf>,
    /// IP networking.
    pub network: NetworkMode,
    /// With `allow`: the hosts the proxy lets through.
    pub allowed_hosts: Vec<HostRule>,
    /// How much of each user prompt the hook reports for the log.
    #[serde(default)]
    pub prompts: super::PromptLogging,
}

impl Policy {
    /// The rules a hook adapter in this session judges tool calls by.
    pub fn session_rules(&self) -> SessionRules {
        SessionRules {
            repo: self.repo.clone(),
            filesystem: self
                .filesystem
                .iter()
                .map(|(path, rule)| (path.clone(), rule.access, rule.kind))
                .collect(),
            protected: self
                .protection
                .paths
                .iter()
                .map(|protected| protected.path.clone())
                .collect(),
            tools: self.tools.clone(),
            network: self.network.mode,
            allowed_hosts: self.network.allow.clone(),
            prompts: self.prompt_logging,
        }
    }
}
