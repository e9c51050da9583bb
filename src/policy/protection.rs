//! The protection of a policy: the paths the profile protects, and those the
//! host's git configuration and CI files point at.
//!
//! A path is protected for a reason an unconfined program later acts on: git
//! runs what `core.hooksPath` names and reads every file its configuration
//! includes; a CI system runs the local actions and included files its
//! configuration names. Each is found when the policy is compiled, from
//! files the session has not touched yet.

use super::error::CompileError;
use super::gitconfig;
use super::loaders::zsh_dotenv_file;
use super::vars::Variables;
use super::{
    ContentCheck, EverywherePath, HostView, ObjectFormat, ObjectStore, PathRule,
    ProtectedEverywhere, ProtectedPath, Protection, ProtectionMechanism, VerifiedFile,
    lexically_normal,
};
use crate::profile::FilesystemSection;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod references;
mod work_trees;

use super::git_dirs::{GitFile, common_dir, git_dir_of, shared_by_work_trees};

/// How much of a configuration file is read.
const CONFIG_BYTES: usize = 1024 * 1024;
/// How deep git configuration includes are followed.
const MAX_INCLUDE_DEPTH: usize = 10;

/// What the protection is compiled from.
pub struct ProtectionInput<'a> {
    /// The profile's name, for errors.
    pub profile: &'a str,
    /// The profile's `[filesystem]` section.
    pub section: &'a FilesystemSection,
    /// The profile variables.
    pub variables: &'a Variables,
    /// The host.
    pub host: &'a dyn HostView,
    /// The repository.
    pub repo: &'a Path,
    /// The user's real home.
    pub home: &'a Path,
    /// The policy's filesystem rules so far.
    pub filesystem: &'a BTreeMap<PathBuf, PathRule>,
    /// Whether the session gets a private mount namespace.
    pub mount_namespace_available: bool,
    /// Where the repository's `.git` leads, when it is a file.
    pub git_file: Option<&'a GitFile>,
}

/// Compiles the protection of a policy.
pub fn compile(input: &ProtectionInput<'_>) -> Result<Protection, CompileError> {
    let mut found = Found::default();
    let git_file = input.git_file;
    let mut everywhere = Vec::new();
    for entry in &input.section.protected {
        if let Some(relative) = entry.strip_prefix("**/") {
            everywhere.push(everywhere_path(input, entry, relative)?);
            continue;
        }
        let path = input.path_of("filesystem.protected", entry)?;
        for path in through_git_file(git_file, path) {
            found.add(
                input,
                path,
                Vec::new(),
                format!("filesystem.protected `{entry}`"),
            );
        }
    }
    for (entry, allow) in &input.section.guarded {
        let path = input.path_of("filesystem.guarded", entry)?;
        let because = format!("filesystem.guarded `{entry}`");
        match git_file.filter(|file| path == file.dot_git) {
            Some(file) => guard_git_dirs(input, &mut found, file, allow, &because),
            None => found.add(input, path, allow.clone(), because),
        }
    }
    // oh-my-zsh's dotenv plugin sources a file of that name as shell code in
    // every directory the user's zsh enters.
    let zdotdir = input
        .host
        .var("ZDOTDIR")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| input.home.to_path_buf());
    let zshrc = zdotdir.join(".zshrc");
    let dotenv = input.read(&zshrc).and_then(|text| zsh_dotenv_file(&text));
    if let Some(name) =
        dotenv.filter(|name| !everywhere.iter().any(|p| p.components == [name.clone()]))
    {
        everywhere.push(EverywherePath {
            components: vec![name],
            because: format!(
                "sourced at every cd by oh-my-zsh's dotenv plugin ({})",
                zshrc.display()
            ),
        });
    }
    // The repository's own instance of each path protected everywhere is a
    // protected path too (bound read-only, checked at the end), unless a
    // guarded tree already says what in it may change (`.git`).
    for protected in &everywhere {
        let path = input.repo.join(protected.components.join("/"));
        let real = input.host.canonicalize(&path).unwrap_or(path);
        if !found.index.contains_key(&real) {
            found.add(input, real, Vec::new(), protected.because.clone());
        }
    }
    git_configuration(input, &mut found, input.repo, git_dir(input));
    let relative_entries = work_trees::relative_entries(input)?;
    for tree in work_trees::other_work_trees(input) {
        work_trees::protect_work_tree(input, &mut found, &tree, &relative_entries);
    }
    references::ci_references(input, &mut found);
    references::loader_references(input, &mut found);

    let writable = |path: &Path| {
        input
            .filesystem
            .iter()
            .any(|(dir, rule)| rule.access.write && path.starts_with(dir))
    };
    let everywhere = match everywhere.is_empty() || !writable(input.repo) {
        true => Vec::new(),
        false => vec![ProtectedEverywhere {
            within: input.repo.to_path_buf(),
            paths: everywhere,
        }],
    };
    let at_tops = Some(work_trees::at_work_tree_tops(input, &relative_entries))
        .filter(|tops| !tops.paths.is_empty() && writable(input.repo))
        .into_iter()
        .collect::<Vec<_>>();
    let mechanism = if found.paths.is_empty() && everywhere.is_empty() && at_tops.is_empty() {
        ProtectionMechanism::NotNeeded
    } else if input.mount_namespace_available {
        ProtectionMechanism::SupervisorAndMounts
    } else {
        ProtectionMechanism::Supervisor
    };
    // git's packed refs and object store, in the common git directory:
    // replaced only by renames guard checks (see `verified`).
    let common = git_dir(input).map(|dir| common_dir(&dir, input.host));
    let objects = common
        .as_ref()
        .map(|dir| (dir.join("objects"), dir.join("lfs/objects")))
        .filter(|(dir, _)| writable(dir))
        .map(|(dir, lfs)| ObjectStore {
            dir: input.host.canonicalize(&dir).unwrap_or(dir),
            lfs: input.host.canonicalize(&lfs).unwrap_or(lfs),
            // Run unconfined (`index-pack`, the end's comparison of
            // commits): never one the session could have changed.
            git: input
                .host
                .find_program("git", &input.host.var("PATH").unwrap_or_default())
                .filter(|git| {
                    let real = input.host.canonicalize(git).unwrap_or_else(|_| git.clone());
                    !writable(git) && !writable(&real)
                }),
        });
    let mut verified = Vec::new();
    let packed_refs = common.as_ref().map(|dir| dir.join("packed-refs"));
    if let Some(path) = packed_refs.filter(|path| writable(path)) {
        verified.push(VerifiedFile {
            path: input.host.canonicalize(&path).unwrap_or(path),
            check: ContentCheck::NoReplaceRefs,
            because: "git's packed refs may not hold replace refs".into(),
        });
    }
    let todo = git_dir(input).map(|dir| {
        let real = input.host.canonicalize(&dir).unwrap_or(dir);
        real.join("rebase-merge/git-rebase-todo")
    });
    if let Some(path) = todo.filter(|path| writable(path)) {
        verified.push(VerifiedFile {
            path,
            check: ContentCheck::RebaseTodo,
            because: "the rest of an interactive rebase runs its `exec` lines where the user \
                      continues it"
                .into(),
        });
    }
    let index = git_dir(input).map(|dir| dir.join("index"));
    if let (Some(path), Some(common)) = (index.filter(|path| writable(path)), &common) {
        let config = input.read(&common.join("config")).unwrap_or_default();
        let format = match gitconfig::parse(&config).object_format.as_deref() {
            Some("sha256") => ObjectFormat::Sha256,
            _ => ObjectFormat::Sha1,
        };
        let work_tree = input.host.canonicalize(input.repo);
        verified.push(VerifiedFile {
            path: input.host.canonicalize(&path).unwrap_or(path),
            check: ContentCheck::GitIndex {
                work_tree: work_tree.unwrap_or_else(|_| input.repo.to_path_buf()),
                format,
            },
            because: "git's index stages for a protected path only what the work tree \
                      has, and caches no tree name the index it replaces did not"
                .into(),
        });
    }
    Ok(Protection {
        index: Default::default(),
        mechanism,
        paths: found.paths,
        everywhere,
        at_tops,
        verified,
        objects,
    })
}

/// `path`, or where it lies beneath the repository's `.git` file, the
/// paths it names in the git directories the file leads to.
fn through_git_file(git_file: Option<&GitFile>, path: PathBuf) -> Vec<PathBuf> {
    match git_file.and_then(|file| file.through(&path)) {
        Some(paths) => paths,
        None => vec![path],
    }
}

/// The guarded tree `.git` where the repository's `.git` is a file: in the
/// work tree's own git directory what `allow` lets change there but for
/// the object store and what else work trees share; in a common directory
/// of a linked worktree only what work trees share, never the main work
/// tree's own `HEAD`, index or rebase (not the session's).
fn guard_git_dirs(
    input: &ProtectionInput<'_>,
    found: &mut Found,
    file: &GitFile,
    allow: &[String],
    because: &str,
) {
    let own_state = |pattern: &&String| {
        // Per-worktree refs and the reflog of HEAD live beneath these.
        matches!(pattern.as_str(), "refs/**" | "logs/**")
            || shared_by_work_trees(pattern) != Some(true)
    };
    let own: Vec<String> = match file.is_linked() {
        true => allow.iter().filter(own_state).cloned().collect(),
        // A submodule's git directory is a whole one.
        false => allow.to_vec(),
    };
    found.add(input, file.own.clone(), own, because.to_string());
    if file.is_linked() {
        // Of the names either may have, only the shared files' locks: an
        // `index.lock` there would stop the main work tree's git.
        let mut shared: Vec<String> = allow
            .iter()
            .flat_map(
                |pattern| match (shared_by_work_trees(pattern), pattern.as_str()) {
                    // `logs/HEAD` there is the main work tree's own reflog.
                    (Some(true), "logs/**") => vec!["logs/refs/**".into()],
                    (Some(true), _) => vec![pattern.clone()],
                    (None, "*.lock") => vec!["packed-refs.lock".into(), "shallow.lock".into()],
                    (None, "*.new") => vec!["packed-refs.new".into()],
                    _ => Vec::new(),
                },
            )
            .collect();
        // The own directory (`worktrees/<id>`, a name git makes without
        // wildcards) is the own tree's to judge.
        let own = file.own.strip_prefix(&file.common).ok();
        if let Some(own) = own
            .and_then(Path::to_str)
            .filter(|own| !own.contains(['*', '?', '[']))
        {
            shared.push(format!("{own}/**"));
        }
        found.add(input, file.common.clone(), shared, because.to_string());
    }
}

/// A `**/PATH` entry of `protected`: a relative path of plain names.
fn everywhere_path(
    input: &ProtectionInput<'_>,
    entry: &str,
    relative: &str,
) -> Result<EverywherePath, CompileError> {
    let components: Vec<String> = relative.split('/').map(str::to_string).collect();
    let plain = |name: &String| {
        !matches!(name.as_str(), "" | "." | "..") && !name.contains(['*', '?', '[', '{'])
    };
    if !components.iter().all(plain) {
        return Err(CompileError::Entry {
            profile: input.profile.to_string(),
            field: "filesystem.protected",
            entry: entry.to_string(),
            message: "after `**/` comes a relative path of plain names (`**/.codex`, \
                      `**/.claude/settings.json`), without `.`, `..`, patterns or variables"
                .to_string(),
        });
    }
    Ok(EverywherePath {
        components,
        because: format!("filesystem.protected `{entry}`"),
    })
}

/// The protected paths found so far, one entry per path.
#[derive(Default)]
struct Found {
    paths: Vec<ProtectedPath>,
    /// Where each path is in `paths`.
    index: std::collections::HashMap<PathBuf, usize>,
}

impl Found {
    /// Adds `path` (made real where it exists) if it lies in a writable tree.
    /// A path named twice keeps only what both allow.
    fn add(
        &mut self,
        input: &ProtectionInput<'_>,
        path: PathBuf,
        allow: Vec<String>,
        because: String,
    ) {
        let (real, exists) = match input.host.canonicalize(&path) {
            Ok(real) => (real, true),
            Err(_) => (path, false),
        };
        // A writable directory rule at or above it (looked up, not scanned:
        // a profile protects ~170 paths among ~250 rules).
        let writable = real.ancestors().any(|dir| {
            input
                .filesystem
                .get(dir)
                .is_some_and(|rule| rule.access.write && rule.kind == super::PathKind::Dir)
        });
        if !writable {
            return;
        }
        match self.index.get(&real) {
            Some(&at) => self.paths[at]
                .allow
                .retain(|pattern| allow.contains(pattern)),
            None => {
                self.index.insert(real.clone(), self.paths.len());
                self.paths.push(ProtectedPath {
                    path: real,
                    exists,
                    allow,
                    because,
                });
            }
        }
    }
}

impl Found {
    /// Adds the path a configuration names (relative to the repository,
    /// absolute, or `~/`), read-only as a whole.
    fn add_named(&mut self, input: &ProtectionInput<'_>, named: &str, because: String) {
        let path = lexically_normal(&input.repo.join(input.expand_home(named)));
        self.add(input, path, Vec::new(), because);
    }
}

impl ProtectionInput<'_> {
    /// An entry of `field` as an absolute path (relative entries are
    /// relative to the repository).
    fn path_of(&self, field: &'static str, entry: &str) -> Result<PathBuf, CompileError> {
        let text = entry.strip_prefix('?').unwrap_or(entry);
        let expanded = self
            .variables
            .expand(text)
            .map_err(|source| CompileError::Variable {
                profile: self.profile.to_string(),
                field,
                entry: entry.to_string(),
                source,
            })?;
        Ok(lexically_normal(&self.repo.join(expanded)))
    }

    fn read(&self, path: &Path) -> Option<String> {
        let bytes = self.host.read_head(path, CONFIG_BYTES).ok()?;
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// `~/x` made absolute with the user's home.
    fn expand_home(&self, value: &str) -> PathBuf {
        match value.strip_prefix("~/") {
            Some(rest) => self.home.join(rest),
            None => PathBuf::from(value),
        }
    }
}

/// The repository's git directory: `.git`, or what a `.git` file names.
fn git_dir(input: &ProtectionInput<'_>) -> Option<PathBuf> {
    git_dir_of(input.repo, input.host)
}

/// Every configuration file git reads for the work tree at `work_tree`
/// whose git directory is `git_dir` (system, global, the repository's, and
/// everything they include), and what it names: `core.hooksPath`
/// directories and included files are protected, and so is a configuration
/// file that lies in a writable tree.
fn git_configuration(
    input: &ProtectionInput<'_>,
    found: &mut Found,
    work_tree: &Path,
    git_dir: Option<PathBuf>,
) {
    let var = |name: &str| input.host.var(name).filter(|v| !v.is_empty());
    let mut queue: Vec<(PathBuf, usize)> = Vec::new();
    if var("GIT_CONFIG_NOSYSTEM").is_none() {
        let system = var("GIT_CONFIG_SYSTEM").unwrap_or_else(|| "/etc/gitconfig".into());
        queue.push((system.into(), 0));
    }
    match var("GIT_CONFIG_GLOBAL") {
        Some(global) => queue.push((input.expand_home(&global), 0)),
        None => {
            let config_home = var("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| input.home.join(".config"));
            queue.push((config_home.join("git/config"), 0));
            queue.push((input.home.join(".gitconfig"), 0));
        }
    }
    if let Some(dir) = git_dir {
        queue.push((common_dir(&dir, input.host).join("config"), 0));
        queue.push((dir.join("config.worktree"), 0));
    }
    let mut seen: Vec<PathBuf> = Vec::new();
    while let Some((file, depth)) = queue.pop() {
        if seen.contains(&file) {
            continue;
        }
        seen.push(file.clone());
        let Some(text) = input.read(&file) else {
            continue;
        };
        found.add(input, file.clone(), Vec::new(), "git configuration".into());
        let refs = gitconfig::parse(&text);
        for hooks in refs.hooks_paths {
            // Relative to the top of the work tree, where hooks run.
            let path = lexically_normal(&work_tree.join(input.expand_home(&hooks)));
            found.add(
                input,
                path,
                Vec::new(),
                format!("core.hooksPath in {}", file.display()),
            );
        }
        // The programs and scripts a command names by path (`./tools/x`,
        // `!scripts/up.sh`): relative to the top of the work tree, where git
        // runs aliases, filters and drivers.
        for (key, command) in &refs.commands {
            for word in super::ci_files::command_scripts(command.trim_start_matches('!')) {
                let path = lexically_normal(&work_tree.join(input.expand_home(&word)));
                let because = format!("run by {key} in {}", file.display());
                found.add(input, path, Vec::new(), because);
            }
        }
        for include in refs.includes {
            let base = file.parent().unwrap_or(Path::new("/"));
            let path = lexically_normal(&base.join(input.expand_home(&include)));
            found.add(
                input,
                path.clone(),
                Vec::new(),
                format!("included by {}", file.display()),
            );
            if depth < MAX_INCLUDE_DEPTH {
                queue.push((path, depth + 1));
            }
        }
    }
}
