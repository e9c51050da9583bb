//! `guard scan`.

use super::CommandError;
use crate::cli::ScanArgs;
use crate::exit::ExitCode;
use crate::scan;
use std::io::Write;

/// Scans, prints, and exits 1 when a finding reaches `--fail-on` (2 when
/// it cannot scan).
pub fn scan(args: ScanArgs) -> Result<ExitCode, CommandError> {
    let roots = if args.paths.is_empty() {
        vec![crate::session::Context::repo_of_current_dir()?]
    } else {
        args.paths.clone()
    };
    for root in &roots {
        if let Err(error) = std::fs::symlink_metadata(root) {
            return Err(CommandError::CannotScan(format!(
                "cannot scan {}: {error}",
                root.display()
            )));
        }
    }
    let options = scan::ScanOptions {
        jobs: args
            .jobs
            .map_or(scan::ScanOptions::full().jobs, usize::from),
        cache_dir: args
            .incremental
            .then(|| crate::session::StateDir::from_process().scan_cache()),
        max_files: None,
    };
    let findings = scan::scan(&roots, &options)
        .map_err(|error| CommandError::CannotScan(error.to_string()))?
        .findings;
    let mut out = std::io::stdout().lock();
    let format = if args.json {
        crate::cli::ScanFormat::Json
    } else {
        args.format
    };
    match format {
        crate::cli::ScanFormat::Text => {
            for f in &findings {
                // File names and messages come from the repository: shown,
                // never interpreted by the terminal.
                let line = format!(
                    "{}:{}:{}: {} {}: {}",
                    f.file,
                    f.line,
                    f.column,
                    f.severity.name(),
                    f.rule,
                    f.message
                );
                writeln!(out, "{}", super::log::for_terminal(&line))?;
                writeln!(out, "    {}", super::log::for_terminal(&f.excerpt))?;
            }
            if findings.is_empty() {
                writeln!(out, "no findings")?;
            }
        }
        crate::cli::ScanFormat::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&findings).map_err(std::io::Error::other)?
        )?,
        crate::cli::ScanFormat::Sarif => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&scan::sarif(&findings)).map_err(std::io::Error::other)?
        )?,
    }
    Ok(if findings.iter().any(|f| f.severity >= args.fail_on) {
        ExitCode::CHECK_FAILED
    } else {
        ExitCode::SUCCESS
    })
}
