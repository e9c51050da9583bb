//! `guard scan`: hidden instructions and agent configuration in what an
//! assistant reads; and the commit checks' secret rules (`secrets`) over
//! the added lines of a staged diff (`diff`).

pub mod agent_files;
mod cache;
pub mod diff;
pub mod rules;
mod sarif;
pub mod secrets;
mod severity;

pub use rules::{Finding, scan_text};
pub use sarif::sarif;
pub use severity::Severity;

/// What a commit check found on a line of a staged file: a secret, a
/// planted instruction, a change to a protected path.
#[derive(Debug, Clone, PartialEq)]
pub struct StagedFinding {
    /// The file, relative to the repository.
    pub file: String,
    /// The line in the staged version (1-based; 0 for the whole file).
    pub line: usize,
    /// The rule that matched (`session-credential` for a minted value).
    pub rule: String,
    /// The line with any secret masked, or what was found.
    pub excerpt: String,
}

use cache::{Cache, Entry, StatKey};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Files larger than this are not read.
const MAX_FILE: u64 = 4 * 1024 * 1024;
/// The in-repository allowlist.
pub const ALLOWLIST: &str = ".guard-scan-allow.toml";

/// One reviewed exception: a file and a rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allowed {
    /// The file, relative to the scanned root.
    pub file: String,
    /// The rule id.
    pub rule: String,
    /// Why it is fine (required: it is a review record).
    pub reason: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowFile {
    #[serde(default)]
    allow: Vec<Allowed>,
}

/// Why a scan could not be done.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// More files than [`ScanOptions::max_files`].
    #[error(
        "{} holds more than {limit} files, more than `scan.max_files` allows before a session (raise it, or run `guard scan` on the parts that matter)",
        root.display()
    )]
    TooManyFiles {
        /// The directory.
        root: PathBuf,
        /// The limit.
        limit: usize,
    },
    /// The allowlist is unreadable or malformed.
    #[error("{path}{location}: {message}")]
    Allowlist {
        /// The file.
        path: PathBuf,
        /// `:line:column`, when known.
        location: String,
        /// What is wrong.
        message: String,
    },
}

/// Reads `ROOT/.guard-scan-allow.toml` (missing: nothing allowed).
pub fn load_allowlist(root: &Path) -> Result<Vec<Allowed>, ScanError> {
    let path = root.join(ALLOWLIST);
    let error = |location: String, message: String| ScanError::Allowlist {
        path: path.clone(),
        location,
        message,
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str::<AllowFile>(&text)
            .map(|f| f.allow)
            .map_err(|e| {
                let location = e
                    .span()
                    .map(|span| crate::text::line_and_column(&text, span.start))
                    .map(|(line, column)| format!(":{line}:{column}"))
                    .unwrap_or_default();
                error(location, e.message().to_string())
            }),
        Err(io) if io.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(io) => Err(error(String::new(), io.to_string())),
    }
}

/// How to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Worker threads; 1 scans on the calling thread.
    pub jobs: usize,
    /// Where each root's per-file results are kept between scans; `None`
    /// reads every file.
    pub cache_dir: Option<PathBuf>,
    /// Refuse a root with more files than this.
    pub max_files: Option<usize>,
}

impl ScanOptions {
    /// Every core, no cache.
    pub fn full() -> ScanOptions {
        ScanOptions {
            jobs: std::thread::available_parallelism().map_or(1, usize::from),
            cache_dir: None,
            max_files: None,
        }
    }
}

/// What a scan found, and how much it had to read.
#[derive(Debug, Default)]
pub struct ScanReport {
    /// The findings the allowlists do not excuse, file by file.
    pub findings: Vec<Finding>,
    /// Regular files looked at.
    pub files: usize,
    /// Files read and scanned; the others were unchanged since a cached scan.
    pub read: usize,
}

/// The files to scan under `root`: git's view (tracked and untracked, not
/// ignored) inside a repository, else every file below, minus `.git`,
/// `node_modules` and `target`. The walk stops once it has more than `limit`
/// files.
pub fn files_under(root: &Path, limit: usize) -> Vec<PathBuf> {
    if root.is_file() {
        return vec![root.to_path_buf()];
    }
    let listed = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        // The repository's own configuration must not run anything here.
        .args(["-c", "core.fsmonitor=false"])
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .output();
    if let Ok(output) = listed
        && output.status.success()
    {
        return output
            .stdout
            .split(|&b| b == 0)
            .filter(|name| !name.is_empty())
            .map(|name| root.join(String::from_utf8_lossy(name).as_ref()))
            .collect();
    }
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        if files.len() > limit {
            break;
        }
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            match entry.file_type() {
                Ok(kind)
                    if kind.is_dir()
                        && !matches!(name.to_str(), Some(".git" | "node_modules" | "target")) =>
                {
                    stack.push(path)
                }
                Ok(kind) if kind.is_file() => files.push(path),
                _ => {}
            }
        }
    }
    files.sort();
    files
}

/// Formats that are binary though their first bytes may all be text (a
/// PDF's streams, a font's tables): no model reads them as text.
const BINARY_FORMATS: &[&str] = &[".pdf", ".ttf", ".otf", ".woff", ".woff2", ".eot"];

/// Scans a file's contents; binary files have no findings.
pub fn scan_bytes(display: &str, bytes: &[u8]) -> Vec<Finding> {
    let binary_format = BINARY_FORMATS
        .iter()
        .any(|ext| display.to_ascii_lowercase().ends_with(ext));
    if binary_format || bytes.iter().take(8192).any(|&b| b == 0) {
        return Vec::new();
    }
    scan_text(display, &String::from_utf8_lossy(bytes))
}

/// Scans `roots` and drops what the allowlist of each root excuses.
pub fn scan(roots: &[PathBuf], options: &ScanOptions) -> Result<ScanReport, ScanError> {
    let mut report = ScanReport::default();
    for root in roots {
        // A file named on the command line is scanned even through a link.
        let root = &match root.is_file() {
            true => std::fs::canonicalize(root).unwrap_or_else(|_| root.clone()),
            false => root.clone(),
        };
        let allowed = if root.is_dir() {
            load_allowlist(root)?
        } else {
            Vec::new()
        };
        let started = std::time::SystemTime::now();
        // The cache loads while git lists the files.
        let (cache, files) = std::thread::scope(|scope| {
            let cache = scope.spawn(|| {
                options
                    .cache_dir
                    .as_deref()
                    .filter(|_| root.is_dir())
                    .map(|dir| Cache::load(dir, root))
            });
            let files = files_under(root, options.max_files.unwrap_or(usize::MAX));
            let cache = cache
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (cache, files)
        });
        let examined = parallel_map(&files, options.jobs, |file| {
            examine(file, &display_name(root, file), cache.as_ref())
        });
        if let Some(limit) = options.max_files
            && files.len() > limit
        {
            return Err(ScanError::TooManyFiles {
                root: root.clone(),
                limit,
            });
        }
        let examined: Vec<Examined> = examined.into_iter().flatten().collect();
        report.files += examined.len();
        report.read += examined.iter().filter(|e| e.read).count();
        if let Some(cache) = cache {
            let entries = examined.iter().filter_map(|e| e.entry.clone());
            if let Err(error) = cache.save(entries, started) {
                tracing::warn!(%error, "could not save the scan cache; the next scan reads every file");
            }
        }
        report.findings.extend(
            examined
                .into_iter()
                .flat_map(|e| e.findings)
                .filter(|f| !allowed.iter().any(|a| a.file == f.file && a.rule == f.rule)),
        );
    }
    Ok(report)
}

/// `file`'s name relative to `root` (the file itself when it is the root).
fn display_name(root: &Path, file: &Path) -> String {
    match file.strip_prefix(root) {
        Ok(relative) if !relative.as_os_str().is_empty() => relative.display().to_string(),
        _ => file.display().to_string(),
    }
}

/// One file's findings, and what the cache keeps of it.
struct Examined {
    findings: Vec<Finding>,
    /// Whether the file was read (not answered from the cache by its status).
    read: bool,
    /// The cache entry for the next scan (none for unreadable or huge files).
    entry: Option<(String, Entry)>,
}

/// Scans one file, answering from `cache` when the file's status or content
/// is the one cached; `None` for what is not a regular file (a link, a
/// directory, a name git lists that is gone).
fn examine(file: &Path, display: &str, cache: Option<&Cache>) -> Option<Examined> {
    let nothing = |read| {
        Some(Examined {
            findings: Vec::new(),
            read,
            entry: None,
        })
    };
    // A symbolic link is not followed: it could lead out of the repository
    // (its target, if inside, is scanned on its own).
    let metadata = std::fs::symlink_metadata(file).ok()?;
    if !metadata.is_file() {
        return None;
    }
    if metadata.len() > MAX_FILE {
        return nothing(false);
    }
    let stat = StatKey::of(&metadata);
    let cached = cache.and_then(|c| c.get(display));
    if let Some(entry) = cached.filter(|e| e.stat == Some(stat)) {
        return Some(Examined {
            findings: entry.findings.clone(),
            read: false,
            entry: Some((display.to_string(), entry.clone())),
        });
    }
    let Ok(bytes) = std::fs::read(file) else {
        return nothing(true);
    };
    let sha256 = crate::digest::sha256_hex(&bytes);
    let findings = match cached.filter(|e| e.sha256 == sha256) {
        Some(entry) => entry.findings.clone(),
        None => scan_bytes(display, &bytes),
    };
    Some(Examined {
        entry: Some((
            display.to_string(),
            Entry {
                stat: Some(stat),
                sha256,
                findings: findings.clone(),
            },
        )),
        findings,
        read: true,
    })
}

/// `work` applied to every item on `jobs` threads, results in item order.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    work: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let jobs = jobs.clamp(1, items.len().max(1));
    if jobs == 1 {
        return items.iter().map(work).collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(index) else {
                            return mine;
                        };
                        mine.push((index, work(item)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    done.sort_unstable_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
}
