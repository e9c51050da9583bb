//! The stand-ins for client directories ([`crate::policy::ClientDir`]):
//! made before the session, and what of them goes back taken after it,
//! when none of its processes is left.
//!
//! Everything read back from a stand-in is read without following links
//! (the session made them): a copy is parsed and only its listed keys go
//! back; a kept file must be a regular file of its own (one link).

use crate::audit::{Event, EventKind};
use crate::policy::{ClientDir, CopyFormat, Policy, SessionCopy, merge_back};
use serde_json::Value;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How many names a record lists, of each sort.
const EXAMPLES: usize = 20;
/// The largest configuration file read back.
const LARGEST_COPY: u64 = 64 << 20;
/// A lock directory older than this was left by a client that died
/// (the age Claude Code's lock library takes as stale).
const STALE_LOCK: Duration = Duration::from_secs(10);
/// How long the merge waits for a client holding the lock.
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// Makes the stand-ins of `policy`.
pub fn prepare(policy: &Policy) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true).mode(0o700);
    for client in &policy.client_dirs {
        let (real, private) = (&client.dir.real, &client.dir.private);
        builder.create(private)?;
        builder.create(&client.originals)?;
        builder.create(real)?;
        for name in &client.make {
            builder.create(real.join(name))?;
        }
        for entry in std::fs::read_dir(real)? {
            let name = entry?.file_name();
            if !client.owns(&name.to_string_lossy()) {
                std::os::unix::fs::symlink(real.join(&name), private.join(&name))?;
            }
        }
        for name in &client.private {
            builder.create(private.join(name))?;
        }
        for copy in &client.copies {
            let content = match std::fs::read(&copy.real) {
                Ok(content) => Some(content),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
                Err(error) => return Err(error),
            };
            // The copy as the session gets it, which is also what its
            // changes are found against.
            let content = match (&copy.session_only, content) {
                (None, None) => continue,
                (None, Some(content)) => content,
                (Some(top), content) => {
                    with_session_only(copy, content.as_deref(), top).map_err(|why| {
                        std::io::Error::other(format!("{}: {why}", copy.real.display()))
                    })?
                }
            };
            for path in [private.join(&copy.name), client.originals.join(&copy.name)] {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)?
                    .write_all(&content)?;
            }
        }
    }
    Ok(())
}

/// The real file's content (none: an empty object) with `top` laid over
/// it, as JSON.
fn with_session_only(
    copy: &SessionCopy,
    content: Option<&[u8]>,
    top: &Value,
) -> Result<Vec<u8>, String> {
    // A client's settings may have comments (Gemini CLI's do); the
    // session's copy is written without them.
    let mut value = match (copy.format, content) {
        (CopyFormat::Json, Some(bytes)) => {
            let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
            crate::jsonc::parse(text).map_err(|e| format!("not JSON: {e}"))?
        }
        (_, Some(bytes)) => super::config_text::parse(copy.format, bytes)?,
        (_, None) => Value::Object(Default::default()),
    };
    if !value.is_object() {
        return Err("not a JSON object".to_string());
    }
    crate::policy::client_hooks::overlay(&mut value, top);
    serde_json::to_vec_pretty(&value).map_err(|e| e.to_string())
}

/// Takes back what may go back from each stand-in; one record per copy the
/// session changed and one per stand-in that held anything else.
pub fn finish(policy: &Policy) -> Vec<Event> {
    let mut events = Vec::new();
    for client in &policy.client_dirs {
        for copy in &client.copies {
            events.extend(merge_copy(client, copy));
        }
        events.extend(take_back_files(client));
    }
    events
}

/// Merges the listed keys of one copy into the real file.
fn merge_copy(client: &ClientDir, copy: &SessionCopy) -> Option<Event> {
    let event = || {
        Event::new(EventKind::ConfigMerge, None)
            .with("path", copy.real.to_string_lossy().into_owned())
    };
    let original = read_own(&client.originals.join(&copy.name));
    let session = read_own(&client.dir.private.join(&copy.name));
    let (original, session) = match (original, session) {
        (_, Ok(None)) => return None,
        (Ok(original), Ok(Some(session))) if original.as_ref() == Some(&session) => return None,
        (Ok(original), Ok(Some(session))) => (original, session),
        (Err(why), _) | (_, Err(why)) => {
            return Some(event().with("written", false).with("error", why));
        }
    };
    let parse = |bytes: &[u8]| super::config_text::parse(copy.format, bytes);
    let original = match original {
        Some(bytes) => parse(&bytes),
        None => Ok(Value::Object(Default::default())),
    };
    let (original, session) = match (original, parse(&session)) {
        (Ok(original), Ok(session)) => (original, session),
        (Err(why), _) | (_, Err(why)) => {
            return Some(event().with("written", false).with("error", why));
        }
    };
    let _lock = match Lock::take(&copy.real) {
        Ok(lock) => lock,
        Err(why) => return Some(event().with("written", false).with("error", why)),
    };
    let current = match std::fs::read(&copy.real) {
        Ok(bytes) => Ok(bytes),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(error) => Err(error.to_string()),
    };
    let parsed = current.and_then(|bytes| match bytes.is_empty() {
        true => Ok((bytes, Value::Object(Default::default()))),
        false => parse(&bytes).map(|value| (bytes, value)),
    });
    let (current, current_value) = match parsed {
        Ok(parsed) => parsed,
        Err(why) => {
            return Some(
                event()
                    .with("written", false)
                    .with("error", format!("the real file: {why}")),
            );
        }
    };
    let outcome = merge_back(
        &original,
        &session,
        &current_value,
        &copy.merge,
        &copy.values,
    );
    let mut event = event()
        .with("merged", examples(&outcome.merged_names()))
        .with("dropped", examples(&outcome.dropped))
        .with("dropped_count", outcome.dropped.len());
    if !outcome.merged.is_empty() {
        let text = super::config_text::render(copy.format, &current, &current_value, &outcome);
        event = match text.and_then(|text| replace(&copy.real, &text).map_err(|e| e.to_string())) {
            Ok(()) => event.with("written", true),
            Err(error) => event.with("written", false).with("error", error),
        };
    }
    Some(event)
}

/// Moves the kept files the client replaced back to the real directory,
/// and names what else the session left in the stand-in.
fn take_back_files(client: &ClientDir) -> Option<Event> {
    let (real, private) = (&client.dir.real, &client.dir.private);
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    let entries = std::fs::read_dir(private).ok()?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(metadata) = std::fs::symlink_metadata(entry.path()) else {
            continue;
        };
        if client.owns(&name) {
            continue;
        }
        if metadata.file_type().is_symlink() {
            // The links made at the start stay; one the session made goes.
            if std::fs::read_link(entry.path()).ok() != Some(real.join(&name)) {
                dropped.push(name);
            }
            continue;
        }
        let to_keep = client
            .keep
            .iter()
            .any(|pattern| crate::policy::matches(pattern, Path::new(&name)));
        match to_keep && metadata.is_file() && metadata.nlink() == 1 {
            true => match move_in(&entry.path(), &real.join(&name), metadata.mode()) {
                Ok(()) => kept.push(name),
                Err(error) => dropped.push(format!("{name}: not moved back: {error}")),
            },
            false => dropped.push(name),
        }
    }
    if kept.is_empty() && dropped.is_empty() {
        return None;
    }
    dropped.sort();
    Some(
        Event::new(EventKind::ConfigMerge, None)
            .with("path", real.to_string_lossy().into_owned())
            .with("kept", kept)
            .with("dropped", examples(&dropped))
            .with("dropped_count", dropped.len()),
    )
}

fn examples(names: &[String]) -> Vec<String> {
    names.iter().take(EXAMPLES).cloned().collect()
}

/// A file of the stand-in (or of the originals), read without following a
/// link; `None` when missing.
fn read_own(path: &Path) -> Result<Option<Vec<u8>>, String> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let file = match file {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(format!("{}: {error}", path.display())),
    };
    let metadata = file.metadata().map_err(|e| e.to_string())?;
    if !metadata.is_file() || metadata.len() > LARGEST_COPY {
        return Err(format!(
            "{}: not a regular file of at most {LARGEST_COPY} bytes",
            path.display()
        ));
    }
    let mut content = Vec::new();
    file.take(LARGEST_COPY)
        .read_to_end(&mut content)
        .map_err(|e| e.to_string())?;
    Ok(Some(content))
}

/// Writes `text` as the new content of `path` (of the file a link there
/// names): a temporary file beside it, renamed over it, mode kept.
fn replace(path: &Path, text: &[u8]) -> std::io::Result<()> {
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mode = std::fs::metadata(&target).map_or(0o600, |m| m.mode() & 0o777);
    let temporary = sibling(&target, &format!("tmp.guard-{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&temporary)
        .and_then(|mut file| {
            file.write_all(text)?;
            file.set_permissions(std::fs::Permissions::from_mode(mode))?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temporary, &target));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// Moves a file the session replaced back into the real directory; across
/// filesystems through a temporary copy beside the target.
fn move_in(from: &Path, to: &Path, mode: u32) -> std::io::Result<()> {
    match std::fs::rename(from, to) {
        Err(error) if error.raw_os_error() == Some(libc::EXDEV) => {}
        other => return other,
    }
    let temporary = sibling(to, &format!("tmp.guard-{}", std::process::id()));
    let mut source = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(from)?;
    let copied = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode & 0o777)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&temporary)
        .and_then(|mut target| {
            std::io::copy(&mut source, &mut target)?;
            target.sync_all()
        })
        .and_then(|()| std::fs::rename(&temporary, to));
    if copied.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    copied
}

/// `dir/name.suffix` for `dir/name`.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(suffix);
    path.with_file_name(name)
}

/// The lock a client takes on its configuration file: a directory
/// `FILE.lock`, as Claude Code's lock library makes it.
struct Lock {
    path: PathBuf,
}

impl Lock {
    fn take(file: &Path) -> Result<Lock, String> {
        let path = sibling(file, "lock");
        let started = std::time::Instant::now();
        loop {
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(Lock { path }),
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(format!("lock {}: {error}", path.display())),
            }
            let age = std::fs::symlink_metadata(&path)
                .and_then(|m| m.modified())
                .map(|modified| {
                    SystemTime::now()
                        .duration_since(modified)
                        .unwrap_or_default()
                });
            if age.is_ok_and(|age| age > STALE_LOCK) {
                let _ = std::fs::remove_dir(&path);
                continue;
            }
            if started.elapsed() > LOCK_WAIT {
                return Err(format!("{} is held by a running client", path.display()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.path);
    }
}
