//! What the protected configuration names in the repository, found when
//! the policy is compiled: the files a CI system or a hook manager runs,
//! and what tools that run at every `cd` (direnv, mise) load.

use super::{Found, ProtectionInput, lexically_normal};
use crate::policy::loaders::Loaded;
use crate::policy::path_entry_dir;
use std::ffi::OsStr;
use std::path::Path;

/// Where CI systems keep workflows that may use local actions.
const WORKFLOW_DIRS: [&str; 3] = [
    ".github/workflows",
    ".gitea/workflows",
    ".forgejo/workflows",
];

/// Hook managers' YAML configuration at the top of the repository, whose
/// commands run at the user's next commit (each protected by the base
/// profile).
const HOOK_MANAGER_CONFIGS: [&str; 9] = [
    ".pre-commit-config.yaml",
    "lefthook.yml",
    "lefthook.yaml",
    ".lefthook.yml",
    ".lefthook.yaml",
    "lefthook-local.yml",
    "lefthook-local.yaml",
    ".lefthook-local.yml",
    ".lefthook-local.yaml",
];

/// mise's configuration files at the top of a project (mise's docs,
/// "Configuration"), each protected at every depth by the base profile.
const MISE_CONFIGS: [&str; 8] = [
    "mise.toml",
    ".mise.toml",
    "mise.local.toml",
    ".mise.local.toml",
    ".config/mise.toml",
    ".config/mise/config.toml",
    ".mise/config.toml",
    "mise/config.toml",
];

/// What tools that run at the user's every `cd` load from the repository
/// (see [`crate::policy::loaders`]): direnv by the repository's `.envrc`, mise by
/// its configuration (both protected themselves by the base profile). The
/// files they read or run are protected; a directory they put on `PATH`,
/// or that is on the user's own `PATH`, keeps its existing entries
/// writable but takes no new name (a `git` there would shadow the user's).
pub(super) fn loader_references(input: &ProtectionInput<'_>, found: &mut Found) {
    let mut loaded = Vec::new();
    if let Some(text) = input.read(&input.repo.join(".envrc")) {
        loaded.extend(crate::policy::loaders::direnv::loaded(&text));
    }
    for config in MISE_CONFIGS {
        if let Some(text) = input.read(&input.repo.join(config)) {
            loaded.extend(crate::policy::loaders::mise::loaded(&text));
        }
    }
    // The user's own PATH: a directory of the repository on it is one too
    // (made absolute in a shell's profile, or by a tool's activation; or a
    // relative entry, `bin` or `./bin`, which the user's shell looks up
    // from the repository's top). Installed dependencies' programs are
    // left, as above, to their own rule: the session's install must add
    // them there.
    let path_var = input.host.var("PATH").unwrap_or_default();
    for entry in path_var.split(':') {
        let Some(dir) = path_entry_dir(input.host, input.repo, Path::new(entry)) else {
            continue;
        };
        if let Ok(inside) = dir.strip_prefix(input.repo)
            && !holds_installed_programs(inside)
        {
            let inside = inside.to_string_lossy().into_owned();
            loaded.push((Loaded::OnPath(inside), "on the user's PATH"));
        }
    }
    for (loaded, why) in loaded {
        match loaded {
            Loaded::File(path) => found.add_named(input, &path, why.into()),
            // The repository itself on PATH would leave no new file at its
            // top: not followed (docs/security.md).
            Loaded::OnPath(dir) if lexically_normal(&input.repo.join(&dir)) == input.repo => {}
            Loaded::OnPath(dir) => {
                let dir = lexically_normal(&input.repo.join(dir));
                let existing = input.host.read_dir(&dir).unwrap_or_default();
                let allow = existing
                    .into_iter()
                    .filter(|name| !name.contains(['*', '?', '/']))
                    .flat_map(|name| [format!("{name}/**"), name])
                    .collect();
                found.add(input, dir, allow, why.into());
            }
        }
    }
}

/// Whether `dir` (in the repository) is where installed dependencies'
/// programs go, by the names the user's `PATH` gives: anything in
/// `node_modules` (`node_modules/.bin`, which husky's hooks also run with),
/// Composer's `vendor/bin`, and the `bin` of a virtual environment named as
/// Python's and uv's docs name one (`.venv`, `venv`): an activated
/// environment is first on the user's `PATH`, and `pip install` adds its
/// programs there. Names, not markers: a `pyvenv.cfg` a session wrote would
/// free the next session to add programs to that directory.
fn holds_installed_programs(dir: &Path) -> bool {
    let names: Vec<_> = dir.iter().collect();
    let environment = match names.split_last() {
        Some((last, parent)) if *last == "bin" => parent.last(),
        _ => None,
    };
    names.iter().any(|name| *name == "node_modules")
        || environment
            .is_some_and(|name| ["vendor", ".venv", "venv"].map(OsStr::new).contains(name))
}

/// Files a CI system or a hook manager runs because its (protected)
/// configuration names them: local actions of GitHub-style workflows
/// (`uses: ./path`), files a GitLab pipeline includes (`include: local:
/// path`, or a plain path), the scripts of pre-commit's and lefthook's
/// commands, and those git's and husky's hook scripts run.
pub(super) fn ci_references(input: &ProtectionInput<'_>, found: &mut Found) {
    for dir in WORKFLOW_DIRS {
        let dir = input.repo.join(dir);
        for name in input.host.read_dir(&dir).unwrap_or_default() {
            let file = dir.join(&name);
            if !(name.ends_with(".yml") || name.ends_with(".yaml")) {
                continue;
            }
            let Some(text) = input.read(&file) else {
                continue;
            };
            for script in crate::policy::ci_files::step_scripts(&text) {
                found.add_named(input, &script, format!("run by {}", file.display()));
            }
            for action in crate::policy::ci_files::local_actions(&text) {
                found.add_named(
                    input,
                    &action,
                    format!("a local action of {}", file.display()),
                );
            }
        }
    }
    for config in HOOK_MANAGER_CONFIGS {
        let file = input.repo.join(config);
        let Some(text) = input.read(&file) else {
            continue;
        };
        for script in crate::policy::ci_files::hook_scripts(&text) {
            found.add_named(
                input,
                &script,
                format!("run by a hook of {}", file.display()),
            );
        }
    }
    // The hook scripts themselves (git's, husky's) and what they run.
    let git_hooks = super::git_dir(input).map(|dir| dir.join("hooks"));
    for dir in git_hooks.into_iter().chain([input.repo.join(".husky")]) {
        for name in input.host.read_dir(&dir).unwrap_or_default() {
            let file = dir.join(&name);
            if name.ends_with(".sample") {
                continue;
            }
            let Some(text) = input.read(&file) else {
                continue;
            };
            for script in crate::policy::ci_files::shell_scripts(&text) {
                found.add_named(input, &script, format!("run by hook {}", file.display()));
            }
        }
    }
    let gitlab = input.repo.join(".gitlab-ci.yml");
    if let Some(text) = input.read(&gitlab) {
        for script in crate::policy::ci_files::step_scripts(&text) {
            found.add_named(input, &script, format!("run by {}", gitlab.display()));
        }
        for include in crate::policy::ci_files::gitlab_local_includes(&text) {
            found.add_named(
                input,
                include.trim_start_matches('/'),
                format!("included by {}", gitlab.display()),
            );
        }
    }
}
