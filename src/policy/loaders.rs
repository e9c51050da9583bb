//! What tools that run at the user's every `cd` load from the repository,
//! read statically from their configuration when the policy is compiled:
//! direnv's `.envrc` and mise's configuration. The user allowed (or
//! trusted) that configuration once; the files it sources and the
//! directories it puts on `PATH` can change under the allowance, so the
//! protection takes them in too.

pub mod direnv;
pub mod mise;

/// What a configuration makes its tool read or run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    /// A file (or a directory, whole) whose content it reads or runs.
    File(String),
    /// A directory it puts on `PATH`: a new name there shadows a command.
    OnPath(String),
}

/// Drops what lies beneath `node_modules` (installed by every `npm
/// install`: left to the rule on installed dependencies), what a variable
/// computes, and empty paths.
fn keep_followable(found: &mut Vec<(Loaded, &'static str)>) {
    found.retain(|(loaded, _)| {
        let (Loaded::File(path) | Loaded::OnPath(path)) = loaded;
        !path.split('/').any(|name| name == "node_modules")
            && !path.contains('$')
            && !path.contains("{{")
            && !path.is_empty()
    });
}
