//! The toolchain managers `guard doctor` finds in the home, and whether a
//! program of each runs in a `default` session (its home private, the
//! managers' directories read-only: profiles/toolchains.toml).

use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long one check may take.
const CHECK_TIME: Duration = Duration::from_secs(20);

/// One manager found, and how its program ran.
#[derive(Debug, Serialize)]
pub struct Toolchain {
    /// The manager.
    pub manager: &'static str,
    /// The program run with `--version`.
    pub program: PathBuf,
    /// Whether it ran in a `default` session.
    pub runs: bool,
    /// Its first line of output, or why it did not run.
    pub detail: String,
}

/// Each manager found under `home` (and its XDG data directory), checked.
pub fn check(home: &Path, data: &Path) -> Vec<Toolchain> {
    let newest = |dir: PathBuf, tail: &str| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path().join(tail))
            .filter(|program| program.exists())
            .collect();
        versions.sort();
        versions.pop()
    };
    let candidates: [(&'static str, Option<PathBuf>); 7] = [
        ("rustup", Some(home.join(".cargo/bin/cargo"))),
        ("pyenv", Some(home.join(".pyenv/shims/python3"))),
        ("nvm", newest(home.join(".nvm/versions/node"), "bin/node")),
        ("volta", Some(home.join(".volta/bin/node"))),
        ("asdf", first_entry(&home.join(".asdf/shims"))),
        ("mise", first_entry(&data.join("mise/shims"))),
        ("uv", newest(data.join("uv/python"), "bin/python3")),
    ];
    candidates
        .into_iter()
        .filter_map(|(manager, program)| Some((manager, program.filter(|p| p.exists())?)))
        .map(|(manager, program)| {
            let (runs, detail) = run_confined(&program);
            Toolchain {
                manager,
                program,
                runs,
                detail,
            }
        })
        .collect()
}

fn first_entry(dir: &Path) -> Option<PathBuf> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|entry| entry.path())
        .collect();
    names.sort();
    names.into_iter().next()
}

/// `guard run -p default -- PROGRAM --version`, with the program's
/// directory first on PATH (as the manager puts it there).
fn run_confined(program: &Path) -> (bool, String) {
    let Ok(guard) = std::env::current_exe() else {
        return (false, "cannot find guard's own executable".to_string());
    };
    let path = std::env::var("PATH").unwrap_or_default();
    let dir = program.parent().unwrap_or(Path::new("/"));
    let child = std::process::Command::new(guard)
        .args(["run", "-p", "default", "--"])
        .arg(program)
        .arg("--version")
        .env("PATH", format!("{}:{path}", dir.display()))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => return (false, error.to_string()),
    };
    let started = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() < CHECK_TIME => {
                std::thread::sleep(Duration::from_millis(20))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return (false, "did not finish in time".to_string());
            }
        }
    }
    match child.wait_with_output() {
        Ok(output) => {
            let text = String::from_utf8_lossy(match output.stdout.is_empty() {
                true => &output.stderr,
                false => &output.stdout,
            })
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
            (output.status.success(), text)
        }
        Err(error) => (false, error.to_string()),
    }
}
