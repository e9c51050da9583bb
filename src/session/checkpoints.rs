//! Claude Code's file checkpoints, which its rewind puts back unconfined.
//!
//! Claude Code's transcripts (`~/.claude/projects/*/*.jsonl`) record, for
//! each message, the files a rewind (`/rewind`, "restore code") puts back
//! and the backup each comes from (`file-history-snapshot` lines); a resumed
//! conversation takes them along. Its rewind writes each file (or removes
//! it) wherever the line says, with no check of its own. A session that may
//! write transcripts (the `claude` profile) can write such a line naming any
//! file, and any backup, in its own conversation or in one of the user's;
//! the user's rewind of that conversation in an unconfined Claude Code then
//! makes the change the session could not. guard reads every transcript
//! changed during the session at its end, and tells the user of each file a
//! rewind would change that the session itself could not have changed.

use crate::audit::{Event, EventKind};
use crate::policy::refusal::{Right, Rules};
use crate::policy::{Change, Policy, lexically_normal};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{BufRead, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// At most this many transcripts are read; the rest are reported unread.
const MAX_TRANSCRIPTS: usize = 1000;
/// A longer transcript is not read (and reported as not read).
const MAX_TRANSCRIPT_BYTES: u64 = 64 * 1024 * 1024;
/// Backups are compared up to this size; a larger one counts as different.
const MAX_COMPARED: u64 = 16 * 1024 * 1024;
/// At most this many files are told one by one; the rest are counted.
const TOLD: usize = 20;
/// How much earlier than the session's start a transcript's status change
/// still counts as the session's.
const STAMP_MARGIN: std::time::Duration = std::time::Duration::from_secs(2);
/// How deep transcripts lie below `projects/` (a subagent's, beneath its
/// conversation's directory).
const MAX_DEPTH: usize = 4;

/// Claude Code's directory, if the session may write its transcripts, and
/// when the session started (by the kernel's clock for status changes,
/// which no process can set).
#[derive(Debug)]
pub struct Checkpoints {
    claude_dir: PathBuf,
    since: (i64, i64),
}

/// What a rewind would do to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Restore {
    Write,
    Create,
    Remove,
}

impl Restore {
    fn name(self) -> &'static str {
        match self {
            Restore::Write => "write",
            Restore::Create => "create",
            Restore::Remove => "remove",
        }
    }
}

impl Checkpoints {
    /// Starts watching `{home}/.claude/projects` if `policy` lets the
    /// session write there.
    pub fn watch(policy: &Policy, home: &Path) -> Option<Checkpoints> {
        let claude_dir = home.join(".claude");
        let rules = Rules::from_policy(policy);
        let transcript = claude_dir.join("projects").join("x").join("x.jsonl");
        if rules.denial(&transcript, Right::Write).is_some() {
            return None;
        }
        // The kernel stamps status changes with a clock that lags this one
        // by up to a tick: a margin, so a change just after the start counts.
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
        let since = now.saturating_sub(STAMP_MARGIN);
        Some(Checkpoints {
            claude_dir,
            since: (since.as_secs() as i64, i64::from(since.subsec_nanos())),
        })
    }

    /// A record and a notice for each file that a checkpoint in a
    /// transcript changed since [`Checkpoints::watch`] would change on
    /// rewind, and that the session could not have changed.
    pub fn left(&self, policy: &Policy) -> Vec<(Event, String)> {
        let rules = Rules::from_policy(policy);
        let mut transcripts = Vec::new();
        changed_transcripts(
            &self.claude_dir.join("projects"),
            self.since,
            MAX_DEPTH,
            &mut transcripts,
        );
        let mut unread = transcripts.len().saturating_sub(MAX_TRANSCRIPTS);
        let mut found = Vec::new();
        for transcript in transcripts.iter().take(MAX_TRANSCRIPTS) {
            let Some(checkpoint) = read_checkpoints(transcript, &policy.repo) else {
                unread += 1;
                continue;
            };
            for (path, backup) in checkpoint.files {
                let Some(restore) = self.restore(&path, backup.as_deref(), &checkpoint.session)
                else {
                    continue;
                };
                if let Some(rule) = refusal(policy, &rules, &path, restore) {
                    found.push((transcript.clone(), path, restore, rule));
                }
            }
        }
        let mut told: Vec<(Event, String)> = found
            .iter()
            .take(TOLD)
            .map(|(transcript, path, restore, rule)| {
                let event = Event::new(EventKind::CheckpointLeft, None)
                    .with("transcript", transcript.to_string_lossy().into_owned())
                    .with("path", path.to_string_lossy().into_owned())
                    .with("restore", restore.name())
                    .with("rule", rule.clone());
                let notice = format!(
                    "a checkpoint in Claude Code's transcript {} would {} {} on rewind, which this session could not ({rule}): do not rewind that conversation outside guard",
                    transcript.display(),
                    restore.name(),
                    path.display()
                );
                (event, notice)
            })
            .collect();
        if found.len() > TOLD || unread > 0 {
            let more = found.len().saturating_sub(TOLD);
            let event = Event::new(EventKind::CheckpointLeft, None)
                .with("more", more as u64)
                .with("unread", unread as u64);
            told.push((
                event,
                format!(
                    "… and {more} more files a rewind would change, and {unread} changed transcripts not read"
                ),
            ));
        }
        told
    }

    /// What a rewind would do to `path` from `backup` (a file of the
    /// conversation's `file-history`; none: remove it), if anything.
    fn restore(&self, path: &Path, backup: Option<&str>, session: &str) -> Option<Restore> {
        let now = std::fs::symlink_metadata(path).ok();
        let Some(backup) = backup else {
            return now.map(|_| Restore::Remove);
        };
        let backup = lexically_normal(
            &self
                .claude_dir
                .join("file-history")
                .join(session)
                .join(backup),
        );
        match now {
            None => Some(Restore::Create),
            Some(_) if same_file_content(path, &backup) => None,
            Some(_) => Some(Restore::Write),
        }
    }
}

/// Why the session could not make `restore` to `path` itself: outside its
/// grants, or a protected path.
fn refusal(policy: &Policy, rules: &Rules, path: &Path, restore: Restore) -> Option<String> {
    if let Some(denial) = rules.denial(path, Right::Write) {
        return Some(denial.rule);
    }
    let change = match restore {
        Restore::Write => Change::Write(path),
        Restore::Create => Change::Create(path),
        Restore::Remove => Change::Remove(path),
    };
    policy
        .protection
        .judge(change)
        .err()
        .map(|denial| denial.rule)
}

/// Transcripts under `dir` whose status changed at or after `since`,
/// through symbolic links as Claude Code follows them (a session cannot
/// make one there; one of the user's to a file the session changed counts).
fn changed_transcripts(dir: &Path, since: (i64, i64), depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let (Ok(link), Ok(target)) = (entry.metadata(), std::fs::metadata(&path)) else {
            continue;
        };
        let changed =
            |metadata: &std::fs::Metadata| (metadata.ctime(), metadata.ctime_nsec()) >= since;
        if target.is_dir() && depth > 0 {
            changed_transcripts(&path, since, depth - 1, out);
        } else if target.is_file()
            && path.extension().is_some_and(|ext| ext == "jsonl")
            && (changed(&link) || changed(&target))
        {
            out.push(path);
        }
    }
}

/// The files a transcript's checkpoints name, with their backups (none:
/// the rewind removes the file), and the conversation whose `file-history`
/// holds the backups.
#[derive(Debug, Default)]
struct TranscriptCheckpoints {
    session: String,
    files: BTreeSet<(PathBuf, Option<String>)>,
}

/// Reads the checkpoints of `transcript`, whose relative paths are taken
/// from the conversation's working directory (`cwd`, else `repo`); none if
/// it cannot be read whole.
fn read_checkpoints(transcript: &Path, repo: &Path) -> Option<TranscriptCheckpoints> {
    let mut found = TranscriptCheckpoints {
        session: transcript
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default(),
        ..Default::default()
    };
    let file = std::fs::File::open(transcript).ok()?;
    if file.metadata().ok()?.len() > MAX_TRANSCRIPT_BYTES {
        return None;
    }
    let mut cwd: Option<PathBuf> = None;
    let mut named = Vec::new();
    for line in std::io::BufReader::new(file.take(MAX_TRANSCRIPT_BYTES))
        .split(b'\n')
        .map_while(Result::ok)
    {
        // Only the lines that can say something are parsed: the first
        // with the conversation's directory, and the checkpoints.
        let wanted = (cwd.is_none() && contains(&line, b"\"cwd\""))
            || contains(&line, b"\"trackedFileBackups\"");
        let Some(value) = wanted
            .then(|| serde_json::from_slice::<Value>(&line).ok())
            .flatten()
        else {
            continue;
        };
        if let Some(dir) = value.get("cwd").and_then(Value::as_str) {
            cwd.get_or_insert_with(|| PathBuf::from(dir));
            // The conversation whose backups a resume copies.
            if let Some(session) = value.get("sessionId").and_then(Value::as_str) {
                found.session = session.to_string();
            }
        }
        let backups = value
            .get("snapshot")
            .and_then(|snapshot| snapshot.get("trackedFileBackups"))
            .and_then(Value::as_object);
        for (path, backup) in backups.into_iter().flatten() {
            let name = backup
                .get("backupFileName")
                .and_then(Value::as_str)
                .map(str::to_string);
            named.push((PathBuf::from(path), name));
        }
    }
    let base = cwd.unwrap_or_else(|| repo.to_path_buf());
    found.files = named
        .into_iter()
        .map(|(path, backup)| (lexically_normal(&base.join(path)), backup))
        .collect();
    Some(found)
}

/// Whether `haystack` holds `needle`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Whether `path` holds what `backup` does, bytes and mode (what Claude
/// Code compares before it restores); a file too large to compare, or
/// unreadable, counts as different.
fn same_file_content(path: &Path, backup: &Path) -> bool {
    let (Ok(now), Ok(then)) = (std::fs::metadata(path), std::fs::metadata(backup)) else {
        return false;
    };
    // Regular files only: reading a FIFO would wait for a writer.
    if !now.is_file() || !then.is_file() {
        return false;
    }
    if now.mode() != then.mode() || now.len() != then.len() || now.len() > MAX_COMPARED {
        return false;
    }
    matches!((std::fs::read(path), std::fs::read(backup)), (Ok(a), Ok(b)) if a == b)
}
