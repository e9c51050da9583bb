//! `TestEnv`: a fixture home and repository owned by the identity under test,
//! and helpers to run the real binary in it.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

mod clients;
mod hooks;
pub use clients::{MockApi, Pane, claude_against, confined, confined_claude};
pub use hooks::{hook_answers, hook_input};

/// A value planted in the parent's environment that must never reach a session.
pub const PARENT_SECRET: &str = "parent-secret-7f3a9c";
/// The contents of the fixture's private key.
pub const SSH_SECRET: &str = "ssh-secret-0b1d";

/// Who runs guard.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Identity {
    /// uid 0, as in CI and git hooks.
    Root,
    /// An ordinary user.
    User { uid: u32, gid: u32 },
}

/// The identities the escape suite runs as: root (when the suite is root) and
/// an unprivileged user (`GUARD_TEST_UID`, default `nobody`).
pub fn identities() -> Vec<Identity> {
    let me = nix::unistd::getuid().as_raw();
    if me != 0 {
        let gid = nix::unistd::getgid().as_raw();
        return vec![Identity::User { uid: me, gid }];
    }
    let uid = std::env::var("GUARD_TEST_UID")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(65534);
    vec![Identity::Root, Identity::User { uid, gid: uid }]
}

/// Runs `test` once per identity, naming the identity if it panics.
pub fn for_each_identity(test: impl Fn(&TestEnv)) {
    for identity in identities() {
        let env = TestEnv::new(identity);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test(&env)));
        if let Err(panic) = result {
            eprintln!("failed as {identity:?}");
            std::panic::resume_unwind(panic);
        }
    }
}

/// A fixture: home with secrets, a repository, a second repository.
pub struct TestEnv {
    _root: tempfile::TempDir,
    /// Who runs guard.
    pub identity: Identity,
    /// The fixture home.
    pub home: PathBuf,
    /// The repository the session works in.
    pub repo: PathBuf,
    /// Another repository the session must not see.
    pub other_repo: PathBuf,
    /// XDG_STATE_HOME.
    pub state: PathBuf,
}

impl TestEnv {
    /// Builds the fixture, owned by `identity`.
    pub fn new(identity: Identity) -> TestEnv {
        let root = tempfile::Builder::new()
            .prefix("guard-test-")
            .tempdir()
            .unwrap();
        let base = root.path().to_path_buf();
        let home = base.join("home");
        let repo = base.join("work/repo");
        let other_repo = base.join("work/other");
        let state = home.join(".local/state");
        for dir in [
            &home,
            &repo,
            &other_repo,
            &state,
            &home.join(".ssh"),
            &home.join(".aws"),
            &home.join(".config"),
        ] {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(home.join(".ssh/id_ed25519"), SSH_SECRET).unwrap();
        std::fs::write(
            home.join(".aws/credentials"),
            "[default]\naws_secret_access_key = aws-secret\n",
        )
        .unwrap();
        std::fs::write(home.join(".bashrc"), "# rc\n").unwrap();
        std::fs::write(other_repo.join("secret.txt"), "other-repo-secret").unwrap();
        std::fs::write(repo.join("README.md"), "hello\n").unwrap();
        std::fs::create_dir_all(repo.join(".github/workflows")).unwrap();
        std::fs::write(repo.join(".github/workflows/ci.yml"), "on: push\n").unwrap();
        git(&repo, &["init", "-q", "-b", "main"]);
        git(&repo, &["config", "user.email", "t@example.com"]);
        git(&repo, &["config", "user.name", "T"]);
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-qm", "init"]);
        std::fs::write(repo.join(".git/hooks/pre-commit"), "#!/bin/sh\nexit 0\n").unwrap();
        std::fs::set_permissions(
            repo.join(".git/hooks/pre-commit"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        if let Identity::User { uid, gid } = identity {
            chown_tree(&base, uid, gid);
        }
        TestEnv {
            _root: root,
            identity,
            home,
            repo,
            other_repo,
            state,
        }
    }

    /// `program` with only the fixture's environment (its home, state and
    /// config directories, a plain PATH), as the identity, in the repository.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command
            .current_dir(&self.repo)
            .env_clear()
            .env("HOME", &self.home)
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("LANG", "C.UTF-8")
            .env("XDG_STATE_HOME", &self.state)
            .env("XDG_CONFIG_HOME", self.home.join(".config"));
        self.as_identity(&mut command);
        command
    }

    /// A command running the real binary with the fixture's environment (plus
    /// a secret in the parent environment), as the identity, in the repository.
    pub fn guard(&self, args: &[&str]) -> Command {
        let mut command = self.command(guard_binary());
        command
            .args(args)
            .env("SECRET_TOKEN", PARENT_SECRET)
            .stdin(std::process::Stdio::null());
        command
    }

    /// Makes `command` run as this fixture's identity.
    pub fn as_identity(&self, command: &mut Command) {
        if let Identity::User { uid, gid } = self.identity {
            command.uid(uid).gid(gid);
        }
    }

    /// `guard run [extra] -- bash -c SCRIPT`, with the probe allowed.
    pub fn run_script(&self, extra: &[&str], script: &str) -> Output {
        let probe = probe();
        let mut args = vec!["run", "--allow-exec", probe.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--", "bash", "-c", script]);
        let output = self.guard(&args).output().unwrap();
        eprintln!(
            "as {:?}: guard {:?}\n--- stdout\n{}--- stderr\n{}",
            self.identity,
            args,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Runs the probe in a session and returns (succeeded, output).
    pub fn probe(&self, extra: &[&str], operation: &str, arg: &str) -> (bool, String) {
        let script = format!("{} {} '{}'", probe().display(), operation, arg);
        let output = self.run_script(extra, &script);
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        (output.status.success() && text.starts_with("ok"), text)
    }

    /// Writes a profile file in the fixture and returns its path.
    pub fn profile_file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.home.join(format!("{name}.toml"));
        std::fs::write(&path, text).unwrap();
        if let Identity::User { uid, gid } = self.identity {
            chown_tree(&path, uid, gid);
        }
        path
    }

    /// The newest session log of the fixture and its records.
    pub fn last_log(&self) -> (PathBuf, Vec<serde_json::Value>) {
        let output = self.guard(&["log", "path", "last"]).output().unwrap();
        assert!(output.status.success(), "{}", all_output(&output));
        let path = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        let records = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        (path, records)
    }

    /// Gives a file created by the test to the identity.
    pub fn give(&self, path: &Path) {
        if let Identity::User { uid, gid } = self.identity {
            chown_tree(path, uid, gid);
        }
    }
}

/// Runs git in `dir`, panicking on failure.
pub fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?} failed");
}

fn chown_tree(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid)).unwrap();
    if path.is_dir() && !path.is_symlink() {
        for entry in std::fs::read_dir(path).unwrap() {
            chown_tree(&entry.unwrap().path(), uid, gid);
        }
    }
}

/// A directory every identity can read, for the binaries under test (the
/// build directory may sit below one the unprivileged uid cannot enter).
fn shared_bin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("guard-test-bin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        dir
    })
}

/// A copy of the `guard` binary under test that every identity can run.
pub fn guard_binary() -> &'static Path {
    static GUARD: OnceLock<PathBuf> = OnceLock::new();
    GUARD.get_or_init(|| {
        let copy = shared_bin_dir().join("guard");
        std::fs::copy(env!("CARGO_BIN_EXE_guard"), &copy).unwrap();
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
        copy
    })
}

/// The probe binary (tests/probe.c), compiled once per test run.
pub fn probe() -> &'static Path {
    static PROBE: OnceLock<PathBuf> = OnceLock::new();
    PROBE.get_or_init(|| {
        let binary = shared_bin_dir().join("probe");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/probe.c");
        let status = Command::new("cc")
            .arg("-O1")
            .arg("-o")
            .arg(&binary)
            .arg(source)
            .status()
            .unwrap();
        assert!(status.success(), "compiling tests/probe.c failed");
        binary
    })
}

/// Text of a command's stdout and stderr together.
pub fn all_output(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `command` with `stdin` as its standard input; its output.
pub fn output_with_stdin(command: &mut Command, stdin: &str) -> Output {
    use std::io::Write;
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Starts a process outside any session, as `env`'s identity.
pub fn outside_process(env: &TestEnv, program: &str, args: &[&str]) -> std::process::Child {
    let mut command = Command::new(program);
    command.args(args);
    env.as_identity(&mut command);
    command.spawn().unwrap()
}

/// Whether a process whose command line contains `pattern` is running.
pub fn process_running(pattern: &str) -> bool {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| std::fs::read(entry.path().join("cmdline")).ok())
        .any(|cmdline| {
            String::from_utf8_lossy(&cmdline)
                .replace('\0', " ")
                .contains(pattern)
        })
}

/// Polls `condition` every 20 ms until it holds or `limit` passes; returns
/// whether it held.
pub fn wait_until(condition: impl Fn() -> bool, limit: std::time::Duration) -> bool {
    let started = std::time::Instant::now();
    while !condition() {
        if started.elapsed() >= limit {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    true
}

/// Attacks that must each fail and ordinary work that must each succeed,
/// run as one session script (see [`Battery::script`]).
pub struct Battery<'a> {
    /// Shell commands a hijacked session would try.
    pub attacks: &'a [String],
    /// Shell commands ordinary work runs next to them.
    pub work: &'a [&'a str],
}

impl Battery<'_> {
    /// Runs the battery in one session of `env` with guard's `args`, and
    /// fails the test unless every attack was refused and all the work done.
    pub fn run(&self, env: &TestEnv, args: &[&str]) {
        let output = env.run_script(args, &self.script());
        self.check(args, &all_output(&output));
    }

    /// Each attack in a subshell that says when it worked, each piece of
    /// work in one that says when it failed, then a last line.
    pub fn script(&self) -> String {
        let mut script = String::new();
        for (n, attack) in self.attacks.iter().enumerate() {
            script += &format!("( {attack} ) 2>/dev/null && echo ATTACK-{n}-WORKED; ");
        }
        for (n, work) in self.work.iter().enumerate() {
            script += &format!("( {work} ) || echo WORK-{n}-FAILED; ");
        }
        script + "echo BATTERY-DONE"
    }

    /// Fails the test, naming `mode`, unless the script ran to its end with
    /// every attack refused and all the work done.
    pub fn check(&self, mode: &[&str], text: &str) {
        assert!(text.contains("BATTERY-DONE"), "{mode:?}: {text}");
        for (n, attack) in self.attacks.iter().enumerate() {
            assert!(
                !text.contains(&format!("ATTACK-{n}-WORKED")),
                "{mode:?}: `{attack}` worked: {text}"
            );
        }
        for (n, work) in self.work.iter().enumerate() {
            assert!(
                !text.contains(&format!("WORK-{n}-FAILED")),
                "{mode:?}: `{work}` failed: {text}"
            );
        }
    }
}

/// Whether the session has written `minted.txt` whole (a user and a
/// password, then a newline): the shell creates the file before it writes
/// it, so its mere existence says too little.
pub fn minted_written(env: &TestEnv) -> bool {
    std::fs::read_to_string(env.repo.join("minted.txt"))
        .is_ok_and(|text| text.ends_with('\n') && text.split_whitespace().count() == 2)
}
