use super::*;
use crate::profile::ProfileSources;
use packages::{is_package_name, node_package_root};
use std::collections::BTreeMap;

mod client_hooks;

/// A host made of a list of paths: directories end with `/`, files map to their
/// first bytes, symlinks are `path -> target` pairs.
#[derive(Default)]
struct FakeHost {
    vars: BTreeMap<String, String>,
    files: BTreeMap<PathBuf, Vec<u8>>,
    dirs: BTreeSet<PathBuf>,
    links: BTreeMap<PathBuf, PathBuf>,
}

impl FakeHost {
    fn typical() -> FakeHost {
        let mut host = FakeHost::default();
        host.vars.insert("PATH".into(), "/usr/bin".into());
        for dir in [
            "/usr/lib",
            "/usr/share",
            "/proc",
            "/repo",
            "/repo/.git",
            "/repo/.git/hooks",
            "/home/u",
            "/usr/lib/git-core",
        ] {
            host.dirs.insert(dir.into());
        }
        for file in [
            "/dev/null",
            "/dev/zero",
            "/dev/full",
            "/dev/random",
            "/dev/urandom",
            "/dev/tty",
            "/repo/.git/config",
            "/lib64/ld.so",
        ] {
            host.files.insert(file.into(), Vec::new());
        }
        let elf = std::fs::read("/bin/sh").unwrap();
        let loader = match exec_deps::parse(&elf[..8192]) {
            ExecNeeds::DynamicElf { loader } => loader,
            other => panic!("{other:?}"),
        };
        host.files.insert(loader.into(), Vec::new());
        for tool in [
            "sh",
            "bash",
            "env",
            "ls",
            "cat",
            "cp",
            "mv",
            "rm",
            "mkdir",
            "rmdir",
            "touch",
            "chmod",
            "ln",
            "head",
            "tail",
            "wc",
            "sort",
            "uniq",
            "cut",
            "tr",
            "sed",
            "grep",
            "find",
            "xargs",
            "diff",
            "tee",
            "basename",
            "dirname",
            "realpath",
            "readlink",
            "pwd",
            "echo",
            "printf",
            "test",
            "[",
            "true",
            "false",
            "sleep",
            "date",
            "id",
            "uname",
            "stat",
            "du",
            "mktemp",
            "cmp",
            "expr",
            "seq",
            "nproc",
            "md5sum",
            "sha256sum",
            "tar",
            "gzip",
            "git",
        ] {
            host.files
                .insert(format!("/usr/bin/{tool}").into(), elf[..8192].to_vec());
        }
        host.links.insert(
            "/usr/bin/claude".into(),
            "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js".into(),
        );
        host.files.insert(
            "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js".into(),
            b"#!/usr/bin/env node\n".to_vec(),
        );
        host.files
            .insert("/usr/bin/node".into(), elf[..8192].to_vec());
        host
    }
}

impl HostView for FakeHost {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }
    fn canonicalize(&self, path: &Path) -> std::io::Result<PathBuf> {
        let path = self
            .links
            .get(path)
            .cloned()
            .unwrap_or_else(|| path.to_path_buf());
        if self.files.contains_key(&path)
            || self.dirs.contains(&path)
            || self
                .dirs
                .iter()
                .any(|d| path.starts_with(d) && d.as_os_str() == "/proc")
        {
            Ok(path)
        } else {
            Err(std::io::ErrorKind::NotFound.into())
        }
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.dirs.contains(path)
    }
    fn read_head(&self, path: &Path, _limit: usize) -> std::io::Result<Vec<u8>> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| std::io::ErrorKind::NotFound.into())
    }
    fn find_program(&self, name: &str, _path_var: &str) -> Option<PathBuf> {
        let path = PathBuf::from(format!("/usr/bin/{name}"));
        (self.files.contains_key(&path) || self.links.contains_key(&path)).then_some(path)
    }
    fn read_dir(&self, path: &Path) -> std::io::Result<Vec<String>> {
        if !self.dirs.contains(path) {
            return Err(std::io::ErrorKind::NotFound.into());
        }
        let children = self.files.keys().chain(self.dirs.iter());
        let mut names: Vec<String> = children
            .filter(|child| child.parent() == Some(path))
            .filter_map(|child| Some(child.file_name()?.to_str()?.to_string()))
            .collect();
        names.sort();
        Ok(names)
    }
}

fn compile_profile(
    spec: &str,
    command: &[&str],
    host: &FakeHost,
    mount_ns: bool,
) -> Result<Policy, CompileError> {
    let sources = ProfileSources { user_dir: None };
    let profile = sources.resolve(spec).unwrap();
    let command: Vec<String> = command.iter().map(|s| s.to_string()).collect();
    let input = CompileInput {
        profile: &profile,
        repo: Path::new("/repo"),
        command: &command,
        session: SessionPaths {
            dir: "/tmp/guard-s".into(),
            home: "/tmp/guard-s/home".into(),
            tmp: "/tmp/guard-s/tmp".into(),
        },
        home: Path::new("/home/u"),
        terminal: Some(Path::new("/dev/pts/3")),
        mount_namespace_available: mount_ns,
        guard_exe: Some(Path::new("/usr/local/bin/guard")),
    };
    compile(&input, host)
}

#[test]
fn default_profile_grants_repo_write_without_exec() {
    let policy = compile_profile("default", &["bash"], &FakeHost::typical(), true).unwrap();
    let repo = &policy.filesystem[Path::new("/repo")];
    assert_eq!(repo.access, Access::READ_WRITE);
    assert_eq!(
        policy.filesystem[Path::new("/usr/bin/git")].access,
        Access::READ_EXEC
    );
    assert_eq!(
        policy.filesystem[Path::new("/dev/pts/3")].access,
        Access::READ_WRITE
    );
    assert!(!policy.filesystem.contains_key(Path::new("/home/u")));
    assert_eq!(policy.env.set["HOME"], "/tmp/guard-s/home");
    assert_eq!(policy.network.mode, NetworkMode::None);
}

#[test]
fn protected_paths_pick_the_mechanism_the_host_allows() {
    let host = FakeHost::typical();
    let with_ns = compile_profile("default", &["bash"], &host, true).unwrap();
    assert_eq!(
        with_ns.protection.mechanism,
        ProtectionMechanism::SupervisorAndMounts
    );
    let git = with_ns
        .protection
        .paths
        .iter()
        .find(|p| p.path.ends_with(".git"))
        .unwrap();
    assert!(git.exists);
    assert!(git.allow.contains(&"objects/**".to_string()));
    assert!(!git.allow.iter().any(|pattern| pattern.starts_with("hooks")));
    let plan = with_ns.namespace.as_ref().unwrap();
    assert!(
        plan.read_only.contains(&PathBuf::from("/repo/.git/hooks")),
        "existing entries no pattern allows are bound read-only: {:?}",
        plan.read_only
    );
    let mut bound = plan.read_only.clone();
    bound.sort();
    bound.dedup();
    assert_eq!(
        bound.len(),
        plan.read_only.len(),
        "each path is bound once: {:?}",
        plan.read_only
    );
    assert_eq!(
        with_ns.protection.everywhere[0].within,
        PathBuf::from("/repo")
    );
    let workflows = with_ns
        .protection
        .paths
        .iter()
        .find(|p| p.path.ends_with(".github/workflows"))
        .unwrap();
    assert!(!workflows.exists);
    let without = compile_profile("default", &["bash"], &host, false).unwrap();
    assert_eq!(
        without.protection.mechanism,
        ProtectionMechanism::Supervisor
    );
    let review = compile_profile("review", &["bash"], &host, true).unwrap();
    assert_eq!(review.protection.mechanism, ProtectionMechanism::NotNeeded);
}

#[test]
fn env_shebang_pulls_in_interpreter_and_package() {
    let policy = compile_profile(
        "default",
        &["claude", "--version"],
        &FakeHost::typical(),
        true,
    )
    .unwrap();
    let package = Path::new("/usr/lib/node_modules/@anthropic-ai/claude-code");
    assert_eq!(policy.filesystem[package].access, Access::READ_EXEC);
    assert_eq!(
        policy.filesystem[Path::new("/usr/bin/node")].access,
        Access::READ_EXEC
    );
    assert_eq!(policy.command.program, package.join("cli.js"));
}

#[test]
fn missing_command_and_tool_are_errors() {
    let host = FakeHost::typical();
    let error = compile_profile("default", &["nope"], &host, true).unwrap_err();
    assert!(
        matches!(error, CompileError::CommandNotFound { .. }),
        "{error}"
    );
    let mut host = FakeHost::typical();
    host.files.remove(Path::new("/usr/bin/git"));
    let error = compile_profile("default", &["bash"], &host, true)
        .unwrap_err()
        .to_string();
    assert!(error.contains("tools.allow entry `git`"), "{error}");
}

#[test]
fn node_package_root_handles_scopes() {
    assert_eq!(
        node_package_root(Path::new("/a/node_modules/@s/p/bin/x.js")),
        Some("/a/node_modules/@s/p".into())
    );
    assert_eq!(
        node_package_root(Path::new("/a/node_modules/p/x.js")),
        Some("/a/node_modules/p".into())
    );
    assert_eq!(node_package_root(Path::new("/usr/bin/x")), None);
}

/// The compiled policy of every built-in profile against the fake host, as
/// JSON, compared with `src/policy/compile/snapshots/NAME.json`. After a
/// deliberate change, regenerate with `GUARD_UPDATE_SNAPSHOTS=1 cargo test`
/// and review the diff: it is exactly what the change does to enforcement.
#[test]
fn builtin_profiles_compile_to_their_snapshots() {
    let host = FakeHost::typical();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/policy/compile/snapshots");
    let update = std::env::var_os("GUARD_UPDATE_SNAPSHOTS").is_some();
    let mut stale = Vec::new();
    for (name, _) in crate::profile::BUILTIN_PROFILES {
        let policy =
            compile_profile(name, &["bash"], &host, true).unwrap_or_else(|e| panic!("{name}: {e}"));
        let json = serde_json::to_string_pretty(&policy).unwrap() + "\n";
        let path = dir.join(format!("{name}.json"));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &json).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(json.as_str()) {
            stale.push(name.to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "compiled policy changed for {stale:?}; review and run GUARD_UPDATE_SNAPSHOTS=1 cargo test"
    );
}

#[test]
fn a_stand_in_needs_a_guarded_tree_and_its_variable_free() {
    let dir = tempfile::tempdir().unwrap();
    let profile = |name: &str, text: &str| {
        let path = dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    };
    let mut host = FakeHost::typical();
    host.dirs.insert("/home/u/.tool".into());
    let unguarded = profile(
        "unguarded",
        "extends = [\"default\"]\n[filesystem]\nwrite = [\"{home}/.tool\"]\n\
         [filesystem.stand_in.\"{home}/.tool\"]\nenv = \"TOOL_HOME\"\n",
    );
    let error = compile_profile(&unguarded, &["bash"], &host, true).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("must also be a [filesystem.guarded] tree"),
        "{error}"
    );
    let guarded = profile(
        "guarded",
        "extends = [\"default\"]\n[filesystem]\nwrite = [\"{home}/.tool\"]\n\
         [filesystem.guarded]\n\"{home}/.tool\" = [\"state/**\", \"log\"]\n\
         [filesystem.stand_in.\"{home}/.tool\"]\nenv = \"TOOL_HOME\"\nkeep = [\"config\"]\n",
    );
    let error = compile_profile(&guarded, &["bash"], &host, true).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("keep `config`: the guarded list does not let it change"),
        "{error}"
    );
    let fine = profile(
        "fine",
        "extends = [\"default\"]\n[filesystem]\nwrite = [\"{home}/.tool\"]\n\
         [filesystem.guarded]\n\"{home}/.tool\" = [\"state/**\", \"own:runs/**\", \"log\"]\n\
         [filesystem.stand_in.\"{home}/.tool\"]\nenv = \"TOOL_HOME\"\nkeep = [\"log\"]\n\
         copies.\"t.json\" = { from = \"{home}/.tool.json\", merge = [\"projects.{repo}.ok\"] }\n",
    );
    let policy = compile_profile(&fine, &["bash"], &host, true).unwrap();
    let client = &policy.client_dirs[0];
    // An `own:` directory is made under its name, not the pattern's.
    assert_eq!(client.make, ["state", "runs"]);
    assert_eq!(policy.env.set["TOOL_HOME"], "/tmp/guard-s/client-dirs/0");
    assert_eq!(client.copies[0].merge[0].to_string(), "projects.{repo}.ok");
    // The user's own variable naming another directory is not silently replaced.
    host.vars.insert("TOOL_HOME".into(), "/repo".into());
    let error = compile_profile(&fine, &["bash"], &host, true).unwrap_err();
    assert!(
        error.to_string().contains("TOOL_HOME is set to /repo"),
        "{error}"
    );
}

#[test]
fn package_names_are_names_not_paths() {
    for name in ["codex", "@openai/codex-linux-x64"] {
        assert!(is_package_name(name), "{name}");
    }
    for name in ["..", "../evil", "@scope/..", "@scope", "a/b", "@a/b/c", ""] {
        assert!(!is_package_name(name), "{name}");
    }
}
