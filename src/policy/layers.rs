//! Caches shared with the host, compiled: where each one's private layer
//! goes, and what the session may do with the real cache meanwhile.
//!
//! With a mount namespace the private layer is the upper directory of an
//! overlay laid over the cache at its own path, so tools see the cache as
//! always and write only into the layer. Without one, the real cache is
//! readable, not writable, and the tools' own variables point them at the
//! private directory (which starts empty).

use super::error::CompileError;
use super::vars::Variables;
use super::{Access, CacheLayer, HostView, StandIn, lexically_normal};
use crate::profile::LayerSection;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the layered caches add to a policy.
#[derive(Debug, Default)]
pub struct Layers {
    /// The layers.
    pub layers: Vec<CacheLayer>,
    /// Filesystem rights they need (path, rights, why).
    pub grants: Vec<(PathBuf, Access, String)>,
    /// Variables set for the session (without namespaces).
    pub env: BTreeMap<String, String>,
    /// Real caches to create (mode 0700) when missing, so there is
    /// something to lay a layer over.
    pub create: Vec<PathBuf>,
}

/// Compiles `[filesystem.layered]`.
pub fn compile(
    profile: &str,
    section: &BTreeMap<String, LayerSection>,
    variables: &Variables,
    host: &dyn HostView,
    session_dir: &Path,
    mount_namespace: bool,
) -> Result<Layers, CompileError> {
    let mut out = Layers::default();
    let mut stand_ins: Vec<StandIn> = Vec::new();
    for (index, (entry, layer)) in section.iter().enumerate() {
        let path = absolute(profile, variables, "filesystem.layered", entry)?;
        let real = match host.canonicalize(&path) {
            Ok(real) => real,
            Err(_) => {
                out.create.push(path.clone());
                path
            }
        };
        let because = format!("filesystem.layered `{entry}`");
        if mount_namespace {
            out.grants.push((real.clone(), Access::READ_WRITE, because));
            out.layers.push(CacheLayer {
                path: real,
                private: session_dir.join("layers").join(index.to_string()),
                within: None,
            });
            continue;
        }
        out.grants
            .push((real.clone(), Access::READ, because.clone()));
        let within = match &layer.within {
            None => None,
            Some(within) => {
                let within = absolute(profile, variables, "filesystem.layered", within)?;
                let within = host.canonicalize(&within).unwrap_or(within);
                if !real.starts_with(&within) {
                    return Err(CompileError::Conflict {
                        profile: profile.to_string(),
                        message: format!(
                            "filesystem.layered `{entry}`: {} is not inside `within` {}",
                            real.display(),
                            within.display()
                        ),
                    });
                }
                let stand_in = match stand_ins.iter().find(|s| s.real == within) {
                    Some(existing) => existing.clone(),
                    None => {
                        let made = StandIn {
                            real: within,
                            private: session_dir
                                .join("stand-ins")
                                .join(stand_ins.len().to_string()),
                        };
                        out.grants.push((
                            made.private.clone(),
                            Access::READ_WRITE,
                            because.clone(),
                        ));
                        stand_ins.push(made.clone());
                        made
                    }
                };
                Some(stand_in)
            }
        };
        let private = match &within {
            Some(stand_in) => stand_in
                .private
                .join(real.strip_prefix(&stand_in.real).unwrap_or(Path::new(""))),
            None => {
                let private = session_dir.join("layers").join(index.to_string());
                out.grants
                    .push((private.clone(), Access::READ_WRITE, because.clone()));
                private
            }
        };
        for (name, value) in &layer.env {
            let mut value = value.replace("{layer}", &private.to_string_lossy());
            if let Some(stand_in) = &within {
                value = value.replace("{within}", &stand_in.private.to_string_lossy());
            }
            out.env.insert(name.clone(), value);
        }
        out.layers.push(CacheLayer {
            path: real,
            private,
            within,
        });
    }
    Ok(out)
}

/// `entry` of `field`, expanded and made lexically normal; it must be absolute.
pub(super) fn absolute(
    profile: &str,
    variables: &Variables,
    field: &'static str,
    entry: &str,
) -> Result<PathBuf, CompileError> {
    let text = entry.trim_start_matches(['?', '+']);
    let expanded = variables
        .expand(text)
        .map_err(|source| CompileError::Variable {
            profile: profile.to_string(),
            field,
            entry: entry.to_string(),
            source,
        })?;
    let path = lexically_normal(Path::new(&expanded));
    if !path.is_absolute() {
        return Err(CompileError::NotAbsolute {
            profile: profile.to_string(),
            field,
            entry: entry.to_string(),
            expanded,
        });
    }
    Ok(path)
}
