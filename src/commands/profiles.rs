//! `guard profiles`.

use super::CommandError;
use crate::exit::ExitCode;
use crate::profile::available_profiles;
use std::io::Write;

/// Lists every profile with its origin and description.
pub fn list() -> Result<ExitCode, CommandError> {
    let sources = crate::session::profile_sources(&crate::policy::RealHost::from_process());
    let mut out = std::io::stdout().lock();
    for (name, origin, description) in available_profiles(&sources) {
        let text = match description {
            Ok(Some(text)) => text,
            Ok(None) => String::new(),
            Err(error) => format!("(broken: {error})"),
        };
        writeln!(out, "{name:<12} {:<10} {text}", origin_label(&origin))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn origin_label(origin: &crate::profile::ProfileOrigin) -> String {
    match origin {
        crate::profile::ProfileOrigin::Builtin => "built-in".to_string(),
        other => other.to_string(),
    }
}
