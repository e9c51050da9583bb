//! The settings file that registers guard's hooks with a client that reads
//! them from one (Claude Code's `--settings`), with the user's own
//! `--settings` taken in.

use super::{LaunchError, system};
use crate::policy::Policy;
use std::path::PathBuf;

/// The settings file to write for `policy`'s client, and its content.
pub(super) fn for_policy(policy: &Policy) -> Result<Option<(PathBuf, String)>, LaunchError> {
    let Some(hooks) = &policy.client_hooks else {
        return Ok(None);
    };
    let Some(file) = &hooks.settings else {
        return Ok(None);
    };
    let user = hooks
        .user_settings
        .as_deref()
        .map(read_user_settings)
        .transpose()?;
    let text = crate::policy::client_hooks::claude_settings(&hooks.guard, user.as_ref());
    Ok(Some((file.clone(), text)))
}

/// The settings the user passed to Claude Code with `--settings`: inline
/// JSON, or a file (relative to where guard was started).
fn read_user_settings(given: &str) -> Result<serde_json::Value, LaunchError> {
    let step = || format!("read the settings given with --settings ({given})");
    let text = match given.trim_start().starts_with('{') {
        true => given.to_string(),
        false => std::fs::read_to_string(given).map_err(system(step()))?,
    };
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| std::io::Error::other(format!("not JSON: {e}")))
        .map_err(system(step()))?;
    if !value.is_object() {
        return Err(system(step())(std::io::Error::other("not a JSON object")));
    }
    Ok(value)
}
