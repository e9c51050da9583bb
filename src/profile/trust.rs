//! `[trust]`: which sources make a session untrusted, and what an untrusted
//! session may still do without the user (see `docs/trust.md`).

use serde::{Deserialize, Serialize};

/// `[trust]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TrustSection {
    /// Paths whose content makes the session untrusted once a tool returns
    /// it: patterns relative to the repository (`vendor/**`, `*.patch`) or
    /// absolute. Added to the defaults.
    #[serde(default)]
    pub untrusted: Vec<String>,
    /// MCP servers whose tools' results keep the session trusted (any other
    /// MCP tool's result makes it untrusted).
    #[serde(default)]
    pub trusted_mcp: Vec<String>,
    /// What an untrusted session gets for each sensitive action.
    #[serde(default)]
    pub actions: TrustActions,
}

/// `[trust.actions]`: `"ask"` (the client asks the user), `"deny"`, or
/// `"allow"` (not gated), per sensitive action. Unset: `"ask"`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TrustActions {
    /// Edits of CI configuration.
    #[serde(default)]
    pub ci: Option<Gate>,
    /// Edits of dependency manifests and lockfiles, and commands that add
    /// or change dependencies.
    #[serde(default)]
    pub dependencies: Option<Gate>,
    /// Edits of hook managers' configuration.
    #[serde(default)]
    pub hooks: Option<Gate>,
    /// `git push` and other commands that publish.
    #[serde(default)]
    pub publish: Option<Gate>,
    /// A network destination the session has not reached before.
    #[serde(default)]
    pub network: Option<Gate>,
    /// Reading secret-bearing files (`.env`, keys).
    #[serde(default)]
    pub secrets: Option<Gate>,
    /// Retrieving a credential from guard during the session.
    #[serde(default)]
    pub credentials: Option<Gate>,
}

/// What a sensitive action gets in an untrusted session.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Gate {
    /// The client asks the user (its own permission prompt).
    Ask,
    /// Refused.
    Deny,
    /// Not gated.
    Allow,
}

impl TrustSection {
    /// `self` on top of `base`: lists add up, each action's gate overrides.
    pub fn merged_over(self, base: TrustSection) -> TrustSection {
        let append = |mut base: Vec<String>, top: Vec<String>| {
            for item in top {
                if !base.contains(&item) {
                    base.push(item);
                }
            }
            base
        };
        let (a, b) = (self.actions, base.actions);
        TrustSection {
            untrusted: append(base.untrusted, self.untrusted),
            trusted_mcp: append(base.trusted_mcp, self.trusted_mcp),
            actions: TrustActions {
                ci: a.ci.or(b.ci),
                dependencies: a.dependencies.or(b.dependencies),
                hooks: a.hooks.or(b.hooks),
                publish: a.publish.or(b.publish),
                network: a.network.or(b.network),
                secrets: a.secrets.or(b.secrets),
                credentials: a.credentials.or(b.credentials),
            },
        }
    }
}
