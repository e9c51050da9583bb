//! Trust levels (see `docs/trust.md`): which tool results make a session
//! untrusted, and which tool calls an untrusted session may not make
//! without the user. Pure: it reads tool calls as data, never the disk.

use crate::profile::{Gate, TrustSection};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Paths in the repository whose content is untrusted by default: what
/// someone else wrote and nobody here reviewed.
pub const DEFAULT_UNTRUSTED: [&str; 5] = [
    "vendor/**",
    "third_party/**",
    "third-party/**",
    "node_modules/**",
    ".git/**",
];

/// The trust part of a policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrustPlan {
    /// Patterns (relative to the repository, or absolute) of untrusted paths.
    pub untrusted: Vec<String>,
    /// MCP servers whose results are trusted.
    pub trusted_mcp: Vec<String>,
    /// The gate of each sensitive action, in the order `[trust]` lists them.
    pub gates: Vec<(Action, Gate)>,
}

impl TrustPlan {
    /// The plan a profile's `[trust]` asks for (defaults filled in).
    pub fn from_section(section: &TrustSection) -> TrustPlan {
        let mut untrusted: Vec<String> = DEFAULT_UNTRUSTED.iter().map(|p| p.to_string()).collect();
        for pattern in &section.untrusted {
            if !untrusted.contains(pattern) {
                untrusted.push(pattern.clone());
            }
        }
        let a = &section.actions;
        let gate = |setting: Option<Gate>| setting.unwrap_or(Gate::Ask);
        TrustPlan {
            untrusted,
            trusted_mcp: section.trusted_mcp.clone(),
            gates: vec![
                (Action::Ci, gate(a.ci)),
                (Action::Dependencies, gate(a.dependencies)),
                (Action::Hooks, gate(a.hooks)),
                (Action::Publish, gate(a.publish)),
                (Action::Network, gate(a.network)),
                (Action::Secrets, gate(a.secrets)),
                (Action::Credentials, gate(a.credentials)),
            ],
        }
    }

    /// The gate of `action`.
    pub fn gate(&self, action: Action) -> Gate {
        self.gates
            .iter()
            .find(|(a, _)| *a == action)
            .map_or(Gate::Ask, |(_, gate)| *gate)
    }

    /// Whether `path` (absolute) is one the profile marks untrusted.
    pub fn marks_untrusted(&self, path: &Path, repo: &Path) -> Option<&str> {
        self.untrusted
            .iter()
            .find(|pattern| {
                let pattern_path = Path::new(pattern.as_str());
                if pattern_path.is_absolute() {
                    let relative = pattern.trim_start_matches('/');
                    path.strip_prefix("/")
                        .is_ok_and(|inside| super::matches(relative, inside))
                } else {
                    path.strip_prefix(repo)
                        .is_ok_and(|inside| super::matches(pattern, inside))
                }
            })
            .map(String::as_str)
    }
}

/// An action an untrusted session may not take without the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Editing CI configuration.
    Ci,
    /// Changing dependencies.
    Dependencies,
    /// Editing hook managers' configuration.
    Hooks,
    /// Publishing (`git push`, `npm publish`, …).
    Publish,
    /// Reaching a new network destination.
    Network,
    /// Reading a secret-bearing file.
    Secrets,
    /// Retrieving a credential.
    Credentials,
}

impl Action {
    /// The name used in profiles and records.
    pub fn name(self) -> &'static str {
        match self {
            Action::Ci => "ci",
            Action::Dependencies => "dependencies",
            Action::Hooks => "hooks",
            Action::Publish => "publish",
            Action::Network => "network",
            Action::Secrets => "secrets",
            Action::Credentials => "credentials",
        }
    }

    /// What the action is, for a reason the model and the user read.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Ci => "edit CI configuration",
            Action::Dependencies => "change dependencies",
            Action::Hooks => "edit hook configuration",
            Action::Publish => "publish",
            Action::Network => "reach a new network destination",
            Action::Secrets => "read a secret-bearing file",
            Action::Credentials => "retrieve a credential",
        }
    }
}

/// Where untrusted content came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    /// What kind of source: `scan finding`, `fetched URL`, …
    pub kind: &'static str,
    /// Which one: a path, a URL, a tool.
    pub what: String,
}

/// Files CI systems read (paths relative to the repository; a directory
/// covers what is beneath it).
const CI_PATHS: [&str; 22] = [
    ".github/workflows",
    ".github/actions",
    ".gitlab-ci.yml",
    ".gitlab",
    ".gitea/workflows",
    ".forgejo/workflows",
    ".circleci",
    ".travis.yml",
    ".buildkite",
    "azure-pipelines.yml",
    "azure-pipelines.yaml",
    "Jenkinsfile",
    "bitbucket-pipelines.yml",
    ".drone.yml",
    ".woodpecker.yml",
    ".woodpecker",
    "appveyor.yml",
    ".cirrus.yml",
    "cloudbuild.yaml",
    "buildspec.yml",
    ".tekton",
    "netlify.toml",
];

/// Hook managers' configuration (and git's own hooks).
const HOOK_PATHS: [&str; 12] = [
    ".pre-commit-config.yaml",
    ".husky",
    "lefthook.yml",
    "lefthook.yaml",
    ".lefthook.yml",
    ".lefthook.yaml",
    "lefthook-local.yml",
    ".overcommit.yml",
    ".git/hooks",
    ".githooks",
    ".simple-git-hooks.json",
    ".lintstagedrc",
];

/// Dependency manifests and lockfiles, by file name.
const MANIFESTS: [&str; 42] = [
    "Cargo.toml",
    "Cargo.lock",
    "package.json",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "pnpm-workspace.yaml",
    "bun.lock",
    "bun.lockb",
    "deno.json",
    "deno.lock",
    "requirements.txt",
    "requirements-dev.txt",
    "constraints.txt",
    "Pipfile",
    "Pipfile.lock",
    "pyproject.toml",
    "poetry.lock",
    "uv.lock",
    "pdm.lock",
    "setup.py",
    "setup.cfg",
    "go.mod",
    "go.sum",
    "go.work",
    "Gemfile",
    "Gemfile.lock",
    "composer.json",
    "composer.lock",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "gradle.lockfile",
    "mix.exs",
    "mix.lock",
    "Package.swift",
    "Package.resolved",
    "Podfile",
    "Podfile.lock",
    "pubspec.yaml",
    "pubspec.lock",
];

/// Whether a file name is one that holds secrets.
fn secret_bearing(name: &str) -> bool {
    name == ".env"
        || (name.starts_with(".env.")
            && !matches!(name, ".env.example" | ".env.sample" | ".env.template"))
        || name.ends_with(".pem")
        || name.ends_with(".key")
        || name.ends_with(".p12")
        || name.ends_with(".pfx")
        || name.starts_with("id_rsa")
        || name.starts_with("id_ed25519")
        || name.starts_with("id_ecdsa")
        || matches!(
            name,
            ".netrc"
                | ".npmrc"
                | ".pypirc"
                | ".git-credentials"
                | "credentials.json"
                | "credentials"
                | ".pgpass"
        )
}

fn under(relative: &Path, entries: &[&str]) -> bool {
    entries.iter().any(|entry| relative.starts_with(entry))
}

/// The sensitive action an edit of `path` (absolute) is, if any.
pub fn edit_action(path: &Path, repo: &Path) -> Option<Action> {
    let name = path.file_name()?.to_string_lossy();
    if let Ok(relative) = path.strip_prefix(repo) {
        if under(relative, &CI_PATHS) {
            return Some(Action::Ci);
        }
        if under(relative, &HOOK_PATHS) {
            return Some(Action::Hooks);
        }
    }
    if MANIFESTS.contains(&name.as_ref())
        || (name.starts_with("requirements") && name.ends_with(".txt"))
        || name.ends_with(".gemspec")
    {
        return Some(Action::Dependencies);
    }
    None
}

/// Whether reading `path` reads a secret-bearing file.
pub fn read_action(path: &Path) -> Option<Action> {
    let name = path.file_name()?.to_string_lossy();
    let in_ssh = path.components().any(|c| c.as_os_str() == ".ssh");
    (secret_bearing(&name) || in_ssh).then_some(Action::Secrets)
}

/// The sensitive action a shell command line takes, with what it names
/// (read word by word, as a reviewer would: `git push`, `npm install x`,
/// `curl URL`, a secret file's name, a manifest written with `>`/`sed -i`).
pub fn command_action(command: &str) -> Option<(Action, String)> {
    for segment in command.split(['\n', ';', '|', '&']) {
        let words: Vec<&str> = segment.split_whitespace().collect();
        // Skip leading assignments and wrappers.
        let start = words
            .iter()
            .position(|w| {
                !w.contains('=')
                    && !matches!(*w, "sudo" | "env" | "command" | "exec" | "time" | "nohup")
            })
            .unwrap_or(words.len());
        let words = &words[start..];
        let program = words
            .first()
            .map(|w| w.rsplit('/').next().unwrap_or(w))
            .unwrap_or("");
        let sub = words.get(1).copied().unwrap_or("");
        let publish = matches!(
            (program, sub),
            ("git", "push")
                | (
                    "npm" | "yarn" | "pnpm" | "cargo" | "poetry" | "uv" | "gem",
                    "publish" | "push"
                )
                | ("twine", "upload")
                | ("docker" | "podman", "push")
                | ("gh", "release" | "pr" | "repo" | "gist")
        );
        if publish {
            return Some((Action::Publish, segment.trim().to_string()));
        }
        if program == "guard" && sub == "credential" && words.get(2) == Some(&"get") {
            let name = words.get(3).copied().unwrap_or("").to_string();
            return Some((Action::Credentials, name));
        }
        let adds = matches!(
            (program, sub),
            (
                "npm" | "pnpm" | "bun",
                "install" | "i" | "add" | "update" | "uninstall"
            ) | (
                "yarn" | "cargo" | "poetry" | "uv" | "bundle",
                "add" | "remove" | "upgrade"
            ) | ("pip" | "pip3" | "gem", "install")
                | ("go", "get")
                | ("composer", "require")
        );
        if adds {
            return Some((Action::Dependencies, segment.trim().to_string()));
        }
        if matches!(
            program,
            "curl" | "wget" | "ssh" | "scp" | "sftp" | "rsync" | "nc" | "ncat" | "telnet"
        ) || (program == "git" && matches!(sub, "clone" | "fetch" | "pull" | "ls-remote"))
        {
            let target = words
                .iter()
                .skip(1)
                .find(|w| w.contains("://") || w.contains('@'))
                .map(|w| destination(w))
                .unwrap_or_else(|| segment.trim().to_string());
            return Some((Action::Network, target));
        }
        let writes = segment.contains('>')
            || matches!(program, "tee" | "mv" | "cp" | "dd" | "truncate")
            || (matches!(program, "sed" | "perl") && words.iter().any(|w| w.starts_with("-i")));
        for word in words {
            let word = word.trim_matches(|c| matches!(c, '"' | '\'' | '>' | '<'));
            let path = Path::new(word);
            if read_action(path).is_some() {
                return Some((Action::Secrets, word.to_string()));
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if writes && (MANIFESTS.contains(&name.as_str()) || word.contains(".github/workflows"))
            {
                let action = if word.contains(".github/") {
                    Action::Ci
                } else {
                    Action::Dependencies
                };
                return Some((action, word.to_string()));
            }
        }
    }
    None
}

/// The host (and port, if given) of a URL or `user@host:path`.
pub fn destination(target: &str) -> String {
    let rest = target.split_once("://").map_or(target, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    // scp-style `host:path`: the part before the colon, unless it is a port.
    match host.split_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) && !port.is_empty() => {
            format!("{name}:{port}")
        }
        Some((name, _)) => name.to_string(),
        None => host.to_string(),
    }
    .to_ascii_lowercase()
}

/// Whether `path` lies outside `repo`.
pub fn outside(path: &Path, repo: &Path) -> bool {
    !path.starts_with(repo)
}

/// The absolute form of a path a tool call names.
pub fn absolute(path: &str, cwd: &Path) -> PathBuf {
    super::lexically_normal(&cwd.join(path))
}

#[cfg(test)]
mod tests;
