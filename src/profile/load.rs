//! Finding profiles (built-in, user, or a file) and following `extends`.

use super::{Profile, builtin, merge};
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// How many `extends` levels a profile may stack before it is called a mistake.
const MAX_EXTENDS_DEPTH: usize = 16;

/// Where profiles are looked up. Built-ins are always available.
#[derive(Debug, Clone)]
pub struct ProfileSources {
    /// `$XDG_CONFIG_HOME/guard/profiles`, when known.
    pub user_dir: Option<PathBuf>,
}

/// Where a profile came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "path", rename_all = "lowercase")]
pub enum ProfileOrigin {
    /// Shipped inside the binary.
    Builtin,
    /// From the user's profile directory.
    User(PathBuf),
    /// From a path given on the command line.
    File(PathBuf),
}

impl fmt::Display for ProfileOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfileOrigin::Builtin => write!(f, "built-in"),
            ProfileOrigin::User(path) => write!(f, "user ({})", path.display()),
            ProfileOrigin::File(path) => write!(f, "file ({})", path.display()),
        }
    }
}

/// A profile with its whole `extends` chain applied.
#[derive(Debug, Clone)]
pub struct ResolvedProfile {
    /// The name the profile was asked for by.
    pub name: String,
    /// Where the top profile came from.
    pub origin: ProfileOrigin,
    /// The merged content.
    pub profile: Profile,
    /// Every profile that contributed, base first, as `name (origin)`.
    pub chain: Vec<String>,
}

/// Why a profile could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The TOML is malformed or has a field guard does not know.
    #[error("{source_name}{location}: {message}")]
    Parse {
        /// File name or `builtin:NAME`.
        source_name: String,
        /// `:line:column`, when known.
        location: String,
        /// What the parser said.
        message: String,
    },
    /// No built-in or user profile has that name.
    #[error(
        "no profile named `{name}` (built-in names: {builtins}; user profiles live in {user_dir})"
    )]
    NotFound {
        /// The name asked for.
        name: String,
        /// The built-in names, comma separated.
        builtins: String,
        /// Where user profiles are looked up.
        user_dir: String,
    },
    /// A profile file could not be read.
    #[error("cannot read profile {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `extends` loops back to a profile already in the chain.
    #[error("profile `{name}` extends itself through: {chain}")]
    Cycle {
        /// The profile met twice.
        name: String,
        /// The chain that loops.
        chain: String,
    },
    /// `extends` is nested deeper than `MAX_EXTENDS_DEPTH`.
    #[error("profile `{name}`: `extends` is nested more than {MAX_EXTENDS_DEPTH} levels deep")]
    TooDeep {
        /// The profile where the limit was hit.
        name: String,
    },
}

impl ProfileSources {
    /// Loads `spec` (a built-in name, a user profile name, `builtin:NAME`, or a
    /// path to a `.toml` file) and applies its `extends` chain.
    pub fn resolve(&self, spec: &str) -> Result<ResolvedProfile, ProfileError> {
        let (origin, profile, display) = self.load_one(spec)?;
        let mut chain = Vec::new();
        let mut stack = vec![display.clone()];
        let merged = self.apply_extends(&display, profile, &mut stack, &mut chain)?;
        chain.push(format!("{display} ({origin})"));
        Ok(ResolvedProfile {
            name: display,
            origin,
            profile: merged,
            chain,
        })
    }

    fn apply_extends(
        &self,
        name: &str,
        profile: Profile,
        stack: &mut Vec<String>,
        chain: &mut Vec<String>,
    ) -> Result<Profile, ProfileError> {
        if stack.len() > MAX_EXTENDS_DEPTH {
            return Err(ProfileError::TooDeep {
                name: name.to_string(),
            });
        }
        let mut merged = Profile::default();
        for parent_spec in &profile.extends {
            // A user profile may extend the built-in it shadows by naming it
            // `builtin:NAME`; a bare name that is already on the stack is a cycle.
            let (origin, parent, display) = self.load_one(parent_spec)?;
            let key = format!("{display}@{origin}");
            if stack.contains(&key)
                || stack.contains(&display) && !parent_spec.starts_with("builtin:")
            {
                stack.push(display.clone());
                return Err(ProfileError::Cycle {
                    name: display,
                    chain: stack.join(" → "),
                });
            }
            stack.push(key);
            let parent = self.apply_extends(&display, parent, stack, chain)?;
            stack.pop();
            chain.push(format!("{display} ({origin})"));
            merged = merge::merge(merged, parent);
        }
        Ok(merge::merge(merged, profile))
    }

    /// Loads one profile without following `extends`.
    fn load_one(&self, spec: &str) -> Result<(ProfileOrigin, Profile, String), ProfileError> {
        if let Some(name) = spec.strip_prefix("builtin:") {
            return self.load_builtin(name);
        }
        if spec.contains('/') || spec.ends_with(".toml") {
            let path = PathBuf::from(spec);
            let profile = read_profile_file(&path)?;
            let name = path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_else(|| spec.to_string());
            return Ok((ProfileOrigin::File(path), profile, name));
        }
        if let Some(dir) = &self.user_dir {
            let path = dir.join(format!("{spec}.toml"));
            if path.is_file() {
                let profile = read_profile_file(&path)?;
                return Ok((ProfileOrigin::User(path), profile, spec.to_string()));
            }
        }
        self.load_builtin(spec)
    }

    fn load_builtin(&self, name: &str) -> Result<(ProfileOrigin, Profile, String), ProfileError> {
        match builtin::text_of(name) {
            Some(text) => {
                let profile = Profile::parse(text, &format!("builtin:{name}"))?;
                Ok((ProfileOrigin::Builtin, profile, name.to_string()))
            }
            None => Err(ProfileError::NotFound {
                name: name.to_string(),
                builtins: builtin::BUILTIN_PROFILES
                    .iter()
                    .map(|(name, _)| *name)
                    .collect::<Vec<_>>()
                    .join(", "),
                user_dir: self
                    .user_dir
                    .as_ref()
                    .map_or("(no config dir)".to_string(), |d| d.display().to_string()),
            }),
        }
    }

    /// Whether a profile of this name exists (built-in or user).
    pub fn has(&self, name: &str) -> bool {
        builtin::text_of(name).is_some()
            || self
                .user_dir
                .as_ref()
                .is_some_and(|dir| dir.join(format!("{name}.toml")).is_file())
    }
}

fn read_profile_file(path: &Path) -> Result<Profile, ProfileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Profile::parse(&text, &path.display().to_string())
}

/// Every profile name a user can pick, with its origin and description, user
/// profiles first (they shadow built-ins of the same name).
pub fn available_profiles(
    sources: &ProfileSources,
) -> Vec<(String, ProfileOrigin, Result<Option<String>, String>)> {
    let mut out = Vec::new();
    if let Some(dir) = &sources.user_dir
        && let Ok(entries) = std::fs::read_dir(dir)
    {
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let name = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let description = read_profile_file(&path)
                .map(|p| p.description)
                .map_err(|e| e.to_string());
            out.push((name, ProfileOrigin::User(path), description));
        }
    }
    for (name, text) in builtin::BUILTIN_PROFILES {
        let description = Profile::parse(text, name)
            .map(|p| p.description)
            .map_err(|e| e.to_string());
        out.push((name.to_string(), ProfileOrigin::Builtin, description));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources_with(files: &[(&str, &str)]) -> (tempfile::TempDir, ProfileSources) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(format!("{name}.toml")), text).unwrap();
        }
        let sources = ProfileSources {
            user_dir: Some(dir.path().to_path_buf()),
        };
        (dir, sources)
    }

    #[test]
    fn every_builtin_resolves() {
        let sources = ProfileSources { user_dir: None };
        for (name, _) in builtin::BUILTIN_PROFILES {
            sources
                .resolve(name)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn user_profile_extends_the_builtin_it_shadows() {
        let (_dir, sources) = sources_with(&[(
            "claude",
            "extends = [\"builtin:claude\"]\n[tools]\nallow = [\"jq\"]\n",
        )]);
        let resolved = sources.resolve("claude").unwrap();
        assert!(matches!(resolved.origin, ProfileOrigin::User(_)));
        assert!(resolved.profile.tools.allow.contains(&"jq".to_string()));
        assert!(resolved.profile.tools.allow.contains(&"git".to_string()));
    }

    #[test]
    fn cycles_are_reported() {
        let (_dir, sources) =
            sources_with(&[("a", "extends = [\"b\"]"), ("b", "extends = [\"a\"]")]);
        let error = sources.resolve("a").unwrap_err();
        assert!(matches!(error, ProfileError::Cycle { .. }), "{error}");
    }

    #[test]
    fn unknown_name_lists_builtins() {
        let sources = ProfileSources { user_dir: None };
        let error = sources.resolve("nope").unwrap_err().to_string();
        assert!(error.contains("no profile named `nope`"), "{error}");
        assert!(error.contains("claude"), "{error}");
    }

    #[test]
    fn missing_file_names_the_path() {
        let sources = ProfileSources { user_dir: None };
        let error = sources
            .resolve("/nonexistent/p.toml")
            .unwrap_err()
            .to_string();
        assert!(error.contains("/nonexistent/p.toml"), "{error}");
    }
}
