//! Repository profiles (`.guard.toml`) and the trust store that pins them.
//!
//! A repository's own profile is untrusted input: guard ignores it until the
//! user runs `guard trust`, which shows what it changes and pins its SHA-256
//! (and its text, to show a diff later) in `$XDG_STATE_HOME/guard/trust.json`.
//! A changed file is refused until trusted again. A repository profile may
//! only narrow what the user's profile grants, unless it was trusted with
//! `--allow-widen`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The repository profile's file name.
pub const REPO_PROFILE: &str = ".guard.toml";

/// One pinned repository profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pin {
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// The text that was trusted (to show what changed).
    pub text: String,
    /// Whether it may widen the user's profile.
    pub allow_widen: bool,
    /// When (RFC 3339).
    pub trusted_at: String,
}

/// The trust store: repository path → pin.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrustStore {
    /// Pins by repository (absolute path).
    pub pins: BTreeMap<PathBuf, Pin>,
}

/// The state of a repository's profile.
#[derive(Debug, Clone, PartialEq)]
pub enum RepoProfile {
    /// The repository has none.
    Absent,
    /// It has one that was never trusted.
    Untrusted {
        /// Its text.
        text: String,
    },
    /// It has one, unchanged since it was trusted.
    Trusted {
        /// Its text.
        text: String,
        /// The pin.
        pin: Pin,
    },
    /// It changed since it was trusted.
    Changed {
        /// Its text now.
        text: String,
        /// The pin (with the trusted text).
        pin: Pin,
    },
}

/// SHA-256 of `text`, hex.
pub fn digest(text: &str) -> String {
    crate::digest::sha256_hex(text.as_bytes())
}

impl TrustStore {
    /// Loads the store (missing: empty).
    pub fn load(path: &Path) -> std::io::Result<TrustStore> {
        let context = |error: &dyn std::fmt::Display| {
            std::io::Error::other(format!("trust store {}: {error}", path.display()))
        };
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| context(&e)),
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                Ok(TrustStore::default())
            }
            Err(error) => Err(context(&error)),
        }
    }

    /// Saves the store (0600, replaced atomically).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        if let Some(dir) = path.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
        let temporary = path.with_extension("json.tmp");
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temporary)?;
        std::io::Write::write_all(
            &mut file,
            serde_json::to_string_pretty(self)
                .map_err(std::io::Error::other)?
                .as_bytes(),
        )?;
        file.sync_all()?;
        std::fs::rename(temporary, path)
    }

    /// The state of `repo`'s profile.
    pub fn check(&self, repo: &Path) -> std::io::Result<RepoProfile> {
        let text = match std::fs::read_to_string(repo.join(REPO_PROFILE)) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(RepoProfile::Absent);
            }
            Err(error) => return Err(error),
        };
        Ok(match self.pins.get(repo) {
            None => RepoProfile::Untrusted { text },
            Some(pin) if pin.sha256 == digest(&text) => RepoProfile::Trusted {
                text,
                pin: pin.clone(),
            },
            Some(pin) => RepoProfile::Changed {
                text,
                pin: pin.clone(),
            },
        })
    }
}

/// A line diff for review: `-` lines only in `old`, `+` lines only in `new`,
/// in order (longest common subsequence).
pub fn line_diff(old: &str, new: &str) -> Vec<String> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut table = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            table[i][j] = if a[i] == b[j] {
                table[i + 1][j + 1] + 1
            } else {
                table[i + 1][j].max(table[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || table[i][j + 1] >= table[i + 1][j]) {
            out.push(format!("+ {}", b[j]));
            j += 1;
        } else {
            out.push(format!("- {}", a[i]));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_follow_the_file() {
        let repo = tempfile::tempdir().unwrap();
        let mut store = TrustStore::default();
        assert_eq!(store.check(repo.path()).unwrap(), RepoProfile::Absent);
        std::fs::write(repo.path().join(REPO_PROFILE), "a\n").unwrap();
        assert!(matches!(
            store.check(repo.path()).unwrap(),
            RepoProfile::Untrusted { .. }
        ));
        store.pins.insert(
            repo.path().to_path_buf(),
            Pin {
                sha256: digest("a\n"),
                text: "a\n".into(),
                allow_widen: false,
                trusted_at: String::new(),
            },
        );
        assert!(matches!(
            store.check(repo.path()).unwrap(),
            RepoProfile::Trusted { .. }
        ));
        std::fs::write(repo.path().join(REPO_PROFILE), "b\n").unwrap();
        assert!(matches!(
            store.check(repo.path()).unwrap(),
            RepoProfile::Changed { .. }
        ));
    }

    #[test]
    fn diff_shows_removed_and_added_lines() {
        assert_eq!(
            line_diff("a\nb\nc\n", "a\nx\nc\n"),
            vec!["+ x".to_string(), "- b".to_string()]
        );
    }
}
