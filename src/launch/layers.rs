//! The private layers of shared caches: made before the session, merged
//! back after it, when none of its processes is left.
//!
//! Only what [`super::artifacts`] vouches for reaches the real cache, copied
//! in without replacing anything there; the rest stays in the layer, which
//! goes with the session's directory. Each layer gets one record saying
//! what was merged and what was dropped.

use super::artifacts;
use crate::audit::{Event, EventKind};
use crate::policy::Policy;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// How many paths a merge record names, of each sort.
const EXAMPLES: usize = 20;

/// Creates the private layers (and stand-ins) of `policy`.
pub fn prepare(policy: &Policy) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true).mode(0o700);
    for layer in &policy.layers {
        match policy.namespace.is_some() {
            true => {
                let (upper, work) = layer.overlay_dirs();
                builder.create(upper)?;
                builder.create(work)?;
            }
            false => builder.create(&layer.private)?,
        }
    }
    // A stand-in links the entries of the real directory the session may
    // read (installed binaries, say), read-only through the real one; the
    // rest (a tool's lock files, databases, credentials) it does not see,
    // as with a mount namespace, and the tool makes its own in the stand-in.
    let rules = crate::policy::refusal::Rules::from_policy(policy);
    let mut stood_in: Vec<&Path> = Vec::new();
    for stand_in in policy.layers.iter().filter_map(|l| l.within.as_ref()) {
        if stood_in.contains(&stand_in.real.as_path()) {
            continue;
        }
        stood_in.push(&stand_in.real);
        builder.create(&stand_in.private)?;
        for entry in std::fs::read_dir(&stand_in.real)? {
            let name = entry?.file_name();
            let link = stand_in.private.join(&name);
            let readable = rules.access_at(&stand_in.real.join(&name)).read;
            if readable && std::fs::symlink_metadata(&link).is_err() {
                std::os::unix::fs::symlink(stand_in.real.join(&name), link)?;
            }
        }
    }
    Ok(())
}

/// Merges what the session wrote into each layer back into the real cache,
/// as far as it is vouched for; returns one record per layer that was
/// written to.
pub fn merge(policy: &Policy) -> Vec<Event> {
    let mut events = Vec::new();
    for layer in &policy.layers {
        let written = match policy.namespace.is_some() {
            true => layer.overlay_dirs().0,
            false => layer.private.clone(),
        };
        let mut report = Report::default();
        walk(&written, &written, &layer.path, &mut report);
        if report.merged + report.dropped + report.present == 0 {
            continue;
        }
        events.push(
            Event::new(EventKind::CacheMerge, None)
                .with("path", layer.path.to_string_lossy().into_owned())
                .with("merged", report.merged)
                .with("merged_bytes", report.merged_bytes)
                .with("already_present", report.present)
                .with("dropped", report.dropped)
                .with("dropped_bytes", report.dropped_bytes)
                .with("merged_examples", report.merged_examples)
                .with("dropped_examples", report.dropped_examples),
        );
    }
    events
}

#[derive(Debug, Default)]
struct Report {
    merged: u64,
    merged_bytes: u64,
    present: u64,
    dropped: u64,
    dropped_bytes: u64,
    merged_examples: Vec<String>,
    dropped_examples: Vec<String>,
}

impl Report {
    fn drop_file(&mut self, relative: &Path, bytes: u64, why: &str) {
        self.dropped += 1;
        self.dropped_bytes += bytes;
        if self.dropped_examples.len() < EXAMPLES {
            self.dropped_examples
                .push(format!("{}: {why}", relative.display()));
        }
    }
}

/// Walks the layer without following links.
fn walk(root: &Path, dir: &Path, cache: &Path, report: &mut Report) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        let Ok(metadata) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if metadata.is_dir() {
            walk(root, &path, cache, report);
            continue;
        }
        if !metadata.is_file() {
            // Whiteouts (an overlay's record of a deletion), links, nodes:
            // nothing of the real cache is removed or replaced.
            report.drop_file(&relative, 0, "not a regular file");
            continue;
        }
        match artifacts::verify(cache, &relative, &path) {
            Err(why) => report.drop_file(&relative, metadata.len(), &why.to_string()),
            Ok(()) => match copy_in(&path, &cache.join(&relative), metadata.mode()) {
                Ok(true) => {
                    report.merged += 1;
                    report.merged_bytes += metadata.len();
                    if report.merged_examples.len() < EXAMPLES {
                        report.merged_examples.push(relative.display().to_string());
                    }
                }
                Ok(false) => report.present += 1,
                Err(error) => {
                    report.drop_file(&relative, metadata.len(), &format!("not copied: {error}"))
                }
            },
        }
    }
}

/// Copies `from` to `to` unless something is there already (`Ok(false)`):
/// into a temporary file beside it, then renamed into place.
fn copy_in(from: &Path, to: &Path, mode: u32) -> std::io::Result<bool> {
    if std::fs::symlink_metadata(to).is_ok() {
        return Ok(false);
    }
    let dir = to.parent().unwrap_or(Path::new("/"));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)?;
    let temporary: PathBuf = dir.join(format!(
        ".guard-merge-{}",
        to.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    let mut source = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(from)?;
    let mut target = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)?;
    let copied = std::io::copy(&mut source, &mut target)
        .and_then(|_| target.sync_all())
        .and_then(|()| {
            std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(mode & 0o755))
        })
        .and_then(|()| {
            // Never replace what is there (it may have come meanwhile).
            nix::fcntl::renameat2(
                nix::fcntl::AT_FDCWD,
                &temporary,
                nix::fcntl::AT_FDCWD,
                to,
                nix::fcntl::RenameFlags::RENAME_NOREPLACE,
            )
            .map_err(std::io::Error::from)
        });
    match copied {
        Ok(()) => Ok(true),
        Err(error) => {
            let _ = std::fs::remove_file(&temporary);
            match error.raw_os_error() == Some(libc::EEXIST) {
                true => Ok(false),
                false => Err(error),
            }
        }
    }
}
