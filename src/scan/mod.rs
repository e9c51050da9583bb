//! `guard scan`: hidden instructions and agent configuration in what an
//! assistant reads.

pub mod rules;

pub use rules::{Finding, Severity, scan_text};

use serde::Deserialize;
use std::path::{Path, PathBuf};

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

/// Reads `ROOT/.guard-scan-allow.toml` (missing: nothing allowed).
pub fn load_allowlist(root: &Path) -> Result<Vec<Allowed>, String> {
    let path = root.join(ALLOWLIST);
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str::<AllowFile>(&text)
            .map(|f| f.allow)
            .map_err(|e| format!("{}: {}", path.display(), e.message())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(error) => Err(format!("{}: {error}", path.display())),
    }
}

/// The files to scan under `root`: git's view (tracked and untracked, not
/// ignored) inside a repository, else every file below, minus `.git`,
/// `node_modules` and `target`.
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    if root.is_file() {
        return vec![root.to_path_buf()];
    }
    let listed = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
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
            .filter(|path| path.is_file())
            .collect();
    }
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
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

/// Scans one file; `display` is the name findings carry.
pub fn scan_file(path: &Path, display: &str) -> Vec<Finding> {
    let Ok(metadata) = std::fs::metadata(path) else {
        return Vec::new();
    };
    if metadata.len() > MAX_FILE {
        return Vec::new();
    }
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    if bytes.iter().take(8192).any(|&b| b == 0) {
        return Vec::new(); // binary
    }
    scan_text(display, &String::from_utf8_lossy(&bytes))
}

/// Scans `roots` and drops what the allowlist of each root excuses.
pub fn scan(roots: &[PathBuf]) -> Result<Vec<Finding>, String> {
    let mut findings = Vec::new();
    for root in roots {
        let allowed = if root.is_dir() {
            load_allowlist(root)?
        } else {
            Vec::new()
        };
        for file in files_under(root) {
            let display = file
                .strip_prefix(root)
                .map(Path::to_path_buf)
                .unwrap_or_else(|_| file.clone());
            let display = if display.as_os_str().is_empty() {
                file.display().to_string()
            } else {
                display.display().to_string()
            };
            findings.extend(
                scan_file(&file, &display)
                    .into_iter()
                    .filter(|f| !allowed.iter().any(|a| a.file == f.file && a.rule == f.rule)),
            );
        }
    }
    Ok(findings)
}

/// The findings as SARIF 2.1.0.
pub fn sarif(findings: &[Finding]) -> serde_json::Value {
    let level = |severity: Severity| match severity {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    };
    let rule_ids: std::collections::BTreeSet<&str> = findings.iter().map(|f| f.rule).collect();
    serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "guard scan",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rule_ids.iter().map(|id| serde_json::json!({"id": id})).collect::<Vec<_>>(),
            }},
            "results": findings.iter().map(|f| serde_json::json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "message": {"text": f.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": f.file},
                    "region": {"startLine": f.line, "startColumn": f.column},
                }}],
            })).collect::<Vec<_>>(),
        }],
    })
}
