//! Client directories stood in for, compiled (`[filesystem.stand_in]`).
//!
//! A client that keeps state and configuration in one file it rewrites
//! (Claude Code's `~/.claude.json`: workspace trust and API-key answers
//! beside user-scope MCP servers) cannot be given that file: what a session
//! wrote there would start in the user's next unconfined run. Nor can it
//! be denied it: the client then asks the same questions at every start and
//! drops the answers. Instead the session gets a private stand-in for the
//! client's directory, the client pointed at it by its own variable:
//!
//! - links to the real directory's entries, so that transcripts, history
//!   and the rest land where the real directory's `[filesystem.guarded]`
//!   list lets them, judged there as always;
//! - a copy of each configuration file, the session's own; when the
//!   session ends only the keys the profile lists go back
//!   ([`super::merge_back`]);
//! - files the client replaces (write a temporary file, rename it over the
//!   link), which go back only if the guarded list lets them change;
//! - entries of its own (backups the client would offer to restore).

use super::boundary::OWN_ONLY;
use super::error::CompileError;
use super::layers::absolute;
use super::merge_back::KeyPath;
use super::vars::Variables;
use super::{Access, HostView, Protection, StandIn};
use crate::profile::StandInSection;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A client's directory as the session sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientDir {
    /// The real directory and its private stand-in.
    pub dir: StandIn,
    /// The variable that points the client at the stand-in.
    pub env: String,
    /// Directories the guarded list lets change as a whole (`projects/**`),
    /// made in the real directory when missing, so that what the client
    /// writes beneath them goes through the link to the real one.
    pub make: Vec<String>,
    /// Entries of the stand-in's own, dropped at the end.
    pub private: Vec<String>,
    /// Files (names, or `*` patterns) that go back to the real directory
    /// when the client replaced or made them in the stand-in.
    pub keep: Vec<String>,
    /// The per-session copies.
    pub copies: Vec<SessionCopy>,
    /// Where the copies as the session got them are kept for the merge
    /// (outside the session's reach).
    pub originals: PathBuf,
}

impl ClientDir {
    /// Whether `name` in the stand-in is its own (a private entry or a
    /// copy) rather than a link to the real directory's entry.
    pub fn owns(&self, name: &str) -> bool {
        self.private.iter().any(|own| own == name) || self.copies.iter().any(|c| c.name == name)
    }
}

/// A per-session copy of a configuration file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionCopy {
    /// Its name in the stand-in.
    pub name: String,
    /// How it is written, by its name's extension.
    pub format: CopyFormat,
    /// The real file.
    pub real: PathBuf,
    /// The keys whose changes go back.
    pub merge: Vec<KeyPath>,
    /// The only values a merged key may go back with (empty: any).
    pub values: Vec<String>,
    /// What the session's copy gets on top of the real file's content,
    /// which never goes back (guard's hooks for the client): objects are
    /// merged key by key, arrays appended to, anything else replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_only: Option<serde_json::Value>,
}

/// The formats a copy can be merged back in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CopyFormat {
    /// `.json`: the real file is written anew.
    Json,
    /// `.toml`: new tables are appended, the rest of the file (comments,
    /// order) stays as the user wrote it.
    Toml,
}

/// What the stand-ins add to a policy.
#[derive(Debug, Default)]
pub struct ClientDirs {
    /// The stand-ins.
    pub dirs: Vec<ClientDir>,
    /// Filesystem rights they need (path, rights, why).
    pub grants: Vec<(PathBuf, Access, String)>,
    /// Variables set for the session.
    pub env: BTreeMap<String, String>,
}

/// What [`compile`] needs.
pub struct ClientDirsInput<'a> {
    /// Profile name, for errors.
    pub profile: &'a str,
    /// `[filesystem.stand_in]`.
    pub section: &'a BTreeMap<String, StandInSection>,
    /// Path variables.
    pub variables: &'a Variables,
    /// The host.
    pub host: &'a dyn HostView,
    /// The session's private directory.
    pub session_dir: &'a Path,
    /// The repository (`{repo}` in merged keys).
    pub repo: &'a Path,
    /// The compiled protection, for each directory's guarded list.
    pub protection: &'a Protection,
}

/// Compiles `[filesystem.stand_in]`.
pub fn compile(input: &ClientDirsInput<'_>) -> Result<ClientDirs, CompileError> {
    const FIELD: &str = "filesystem.stand_in";
    let conflict = |entry: &str, message: String| CompileError::Conflict {
        profile: input.profile.to_string(),
        message: format!("{FIELD} `{entry}`: {message}"),
    };
    let mut out = ClientDirs::default();
    for (index, (entry, section)) in input.section.iter().enumerate() {
        let path = absolute(input.profile, input.variables, FIELD, entry)?;
        let real = input.host.canonicalize(&path).unwrap_or(path);
        let guarded = input
            .protection
            .paths
            .iter()
            .find(|protected| protected.path == real && !protected.allow.is_empty())
            .ok_or_else(|| {
                conflict(
                    entry,
                    "it must also be a [filesystem.guarded] tree, which says what may change in it"
                        .to_string(),
                )
            })?;
        if section.env_home && section.env_names.is_some() {
            return Err(conflict(
                entry,
                "env_home and env_names cannot both be set".to_string(),
            ));
        }
        let (Some(parent), Some(dir_name)) = (real.parent(), real.file_name()) else {
            return Err(conflict(entry, "it has no parent directory".to_string()));
        };
        // The user's own setting of the variable is not silently replaced.
        let expected = match &section.env_names {
            Some(name) => real.join(name),
            None if section.env_home => parent.to_path_buf(),
            None => real.clone(),
        };
        if let Some(set) = input.host.var(&section.env) {
            let named = input.host.canonicalize(Path::new(&set)).ok();
            if named.as_deref() != Some(expected.as_path()) {
                return Err(conflict(
                    entry,
                    format!(
                        "{} is set to {set}, not {}; unset it, or write a profile for \
                         that path",
                        section.env,
                        expected.display()
                    ),
                ));
            }
        }
        for name in section.private.iter().chain(&section.keep) {
            if !is_plain_name(name) {
                return Err(conflict(entry, format!("`{name}` is not a plain name")));
            }
        }
        // A kept name is one the guarded list lets change, or one of its
        // patterns itself (`state_*.sqlite*`).
        if let Some(name) = section
            .keep
            .iter()
            .find(|name| !guarded.allows(Path::new(name)) && !guarded.allow.contains(name))
        {
            return Err(conflict(
                entry,
                format!("keep `{name}`: the guarded list does not let it change"),
            ));
        }
        // `own:sessions/**` lets the session add to `sessions`: the
        // directory to make is `sessions`, never a name with the prefix.
        let make = guarded
            .allow
            .iter()
            .map(|pattern| pattern.strip_prefix(OWN_ONLY).unwrap_or(pattern))
            .filter_map(|pattern| pattern.strip_suffix("/**"))
            .filter(|name| is_plain_name(name) && !name.contains(['*', '?']))
            .map(str::to_string)
            .collect();
        let mut copies = Vec::new();
        for (name, copy) in &section.copies {
            if !is_plain_name(name) {
                return Err(conflict(
                    entry,
                    format!("copy `{name}` is not a plain name"),
                ));
            }
            let from = absolute(input.profile, input.variables, FIELD, &copy.from)?;
            let format = match Path::new(name).extension().and_then(|e| e.to_str()) {
                Some("json") => CopyFormat::Json,
                Some("toml") => CopyFormat::Toml,
                _ => {
                    return Err(conflict(
                        entry,
                        format!("copy `{name}`: only .json and .toml files can be merged back"),
                    ));
                }
            };
            let merge = copy
                .merge
                .iter()
                .map(|key| KeyPath::parse(key, input.repo))
                .collect::<Result<_, _>>()
                .map_err(|message| conflict(entry, format!("merge {message}")))?;
            copies.push(SessionCopy {
                name: name.clone(),
                format,
                real: from,
                merge,
                values: copy.values.clone(),
                session_only: None,
            });
        }
        let base = input.session_dir.join("client-dirs");
        let own = base.join(index.to_string());
        out.grants.push((
            own.clone(),
            Access::READ_WRITE,
            format!("{FIELD} `{entry}`"),
        ));
        let private = match section.env_home {
            true => own.join(dir_name),
            false => own.clone(),
        };
        let pointed_at = match &section.env_names {
            None if section.env_home => own.clone(),
            None => private.clone(),
            Some(name) if section.copies.contains_key(name) => private.join(name),
            Some(name) => {
                return Err(conflict(
                    entry,
                    format!("env_names `{name}` is not one of its copies"),
                ));
            }
        };
        out.env.insert(
            section.env.clone(),
            pointed_at.to_string_lossy().into_owned(),
        );
        out.dirs.push(ClientDir {
            dir: StandIn { real, private },
            env: section.env.clone(),
            make,
            private: section.private.clone(),
            keep: section.keep.clone(),
            copies,
            originals: base.join(format!("{index}.originals")),
        });
    }
    Ok(out)
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/')
}
