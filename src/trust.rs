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

/// How long the review diff may search for the smallest difference; past
/// it the diff is still complete and correct, only coarser. The repository
/// chooses both texts, so neither time nor memory may grow with their
/// product.
const DIFF_TIME_LIMIT: std::time::Duration = std::time::Duration::from_millis(500);

/// A line diff for review: `-` lines only in `old`, `+` lines only in `new`,
/// in order (Myers' algorithm: memory linear in the input).
pub fn line_diff(old: &str, new: &str) -> Vec<String> {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    let deadline = std::time::Instant::now() + DIFF_TIME_LIMIT;
    let operations = similar::capture_diff_slices_deadline(
        similar::Algorithm::Myers,
        &old,
        &new,
        Some(deadline),
    );
    operations
        .iter()
        .flat_map(|operation| operation.iter_changes(&old, &new))
        .filter_map(|change| match change.tag() {
            similar::ChangeTag::Delete => Some(format!("- {}", change.value())),
            similar::ChangeTag::Insert => Some(format!("+ {}", change.value())),
            similar::ChangeTag::Equal => None,
        })
        .collect()
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
        assert_eq!(line_diff("a\nb\nc\n", "a\nx\nc\n"), ["- b", "+ x"]);
        assert_eq!(line_diff("a\r\nb", "a\r\nb\r\nc"), ["+ c"]);
    }

    #[test]
    fn diff_of_two_large_unrelated_files_is_bounded() {
        let old: String = (0..20_000).map(|i| format!("old line {i}\n")).collect();
        let new: String = (0..20_000).map(|i| format!("new line {i}\n")).collect();
        let diff = line_diff(&old, &new);
        assert_eq!(diff.len(), 40_000);
        assert_eq!(
            diff.iter().filter(|line| line.starts_with("- ")).count(),
            20_000
        );
    }
}
