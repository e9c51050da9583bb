//! Why a profile could not be compiled: the one error of the policy layer's
//! compilation, shared by every part of it.

use super::vars::UnknownVariable;
use std::path::PathBuf;

/// Why a profile could not be compiled. Each variant names the profile field
/// and entry at fault.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// An entry refers to an unknown `{variable}`.
    #[error("profile `{profile}`, {field} entry `{entry}`: {source}")]
    Variable {
        /// Profile name.
        profile: String,
        /// `filesystem.read` and so on.
        field: &'static str,
        /// The entry as written.
        entry: String,
        /// The unknown variable.
        source: UnknownVariable,
    },
    /// A path entry is not absolute after expansion.
    #[error("profile `{profile}`, {field} entry `{entry}`: `{expanded}` is not an absolute path")]
    NotAbsolute {
        /// Profile name.
        profile: String,
        /// Field.
        field: &'static str,
        /// Entry as written.
        entry: String,
        /// After expansion.
        expanded: String,
    },
    /// A required path does not exist.
    #[error(
        "profile `{profile}`, {field} entry `{entry}`: {path} does not exist (create it, or write `?{entry}` to make the entry optional)"
    )]
    MissingPath {
        /// Profile name.
        profile: String,
        /// Field.
        field: &'static str,
        /// Entry as written.
        entry: String,
        /// The path that is missing.
        path: PathBuf,
    },
    /// A required tool is not on `PATH`.
    #[error(
        "profile `{profile}`, tools.allow entry `{tool}`: not found on PATH ({path_var}); install it, or write `?{tool}` to make it optional"
    )]
    ToolNotFound {
        /// Profile name.
        profile: String,
        /// The tool name.
        tool: String,
        /// The `PATH` searched.
        path_var: String,
    },
    /// The command's program cannot be found.
    #[error("command `{program}` not found on PATH ({path_var})")]
    CommandNotFound {
        /// `argv[0]`.
        program: String,
        /// The `PATH` searched.
        path_var: String,
    },
    /// The interpreter a tool needs cannot be found.
    #[error("`{tool}` needs `{interpreter}`, which cannot be found")]
    InterpreterNotFound {
        /// The tool.
        tool: String,
        /// The interpreter named in its `#!` line.
        interpreter: String,
    },
    /// A `[[credential]]` section is wrong.
    #[error("profile `{profile}`, credential `{name}`: {message}")]
    Credential {
        /// Profile name.
        profile: String,
        /// Credential name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// An entry is malformed.
    #[error("profile `{profile}`, {field} entry `{entry}`: {message}")]
    Entry {
        /// Profile name.
        profile: String,
        /// Field.
        field: &'static str,
        /// Entry as written.
        entry: String,
        /// What is wrong with it.
        message: String,
    },
    /// Two settings contradict each other.
    #[error("profile `{profile}`: {message}")]
    Conflict {
        /// Profile name.
        profile: String,
        /// What contradicts what.
        message: String,
    },
    /// The user's proxy variable cannot be used.
    #[error("{0}; guard's proxy goes on through it: unset it, or name an http:// proxy")]
    UpstreamProxy(super::UpstreamError),
    /// No command was given.
    #[error("no command given (usage: guard run [OPTIONS] -- COMMAND [ARGS...])")]
    EmptyCommand,
}
