//! One module per subcommand. Each takes parsed arguments, does its work
//! through the library layers, and returns an exit code or a typed error.

mod client_hook;
mod credentials;
mod doctor;
mod generate;
mod hook;
mod identity;
mod log;
mod profiles;
mod run;
mod scan;
mod shell_init;
mod trust;

pub use generate::{completions, man_page};

use crate::cli::{Cli, Command};
use crate::exit::ExitCode;

/// Why a subcommand failed. Each variant maps to a documented exit code.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// A profile could not be loaded.
    #[error(transparent)]
    Profile(#[from] crate::profile::ProfileError),
    /// The repository directory is unusable.
    #[error("repository {path}: {reason}")]
    Repo {
        /// The path given or found.
        path: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An audit log could not be read or written.
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    /// The policy would undermine guard itself.
    #[error("refusing to run: {0}")]
    Unsafe(String),
    /// The repository could not be scanned.
    #[error(transparent)]
    Scan(#[from] crate::scan::ScanError),
    /// `guard scan` could not scan what it was asked to.
    #[error("{0}")]
    CannotScan(String),
    /// A session could not be prepared, run or ended cleanly.
    #[error(transparent)]
    Session(#[from] crate::session::SessionError),
    /// The signing identity could not be made or read.
    #[error(transparent)]
    Identity(#[from] crate::identity::IdentityError),
    /// Writing output or other I/O failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl CommandError {
    /// The exit code guard ends with for this error.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CommandError::Session(crate::session::SessionError::Compile(
                crate::policy::CompileError::CommandNotFound { .. },
            )) => ExitCode::COMMAND_NOT_FOUND,
            // As documented for `guard scan`: 0 clean, 1 findings, 2 error.
            CommandError::CannotScan(_) => ExitCode::USAGE,
            _ => ExitCode::SETUP_FAILED,
        }
    }
}

/// Runs the subcommand `cli` names.
pub fn dispatch(cli: Cli) -> Result<ExitCode, CommandError> {
    match cli.command {
        Command::Run(args) => run::run(args, cli.no_namespaces),
        Command::Policy(args) => run::policy(args, cli.no_namespaces),
        Command::Profiles => profiles::list(),
        Command::Doctor { json } => doctor::doctor(json, cli.no_namespaces),
        Command::Log(command) => log::run(command),
        Command::ShellInit { shell } => shell_init::shell_init(shell),
        Command::Hook(command) => hook::hook(command),
        Command::Trust(args) => trust::trust(args, cli.no_namespaces),
        Command::Scan(args) => scan::scan(args),
        Command::Reap => {
            let state = crate::session::StateDir::from_process();
            credentials::reap_command(&state.leases(), &state.sessions(), &state.identity())
        }
        Command::Creds => {
            credentials::creds_command(&crate::session::StateDir::from_process().leases())
        }
        Command::Identity(command) => identity::identity(command),
        Command::Credential(crate::cli::CredentialCommand::Get { name, json }) => {
            credentials::get_command(&name, json)
        }
        Command::Completions { shell } => {
            print!("{}", completions(shell));
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            print!("{}", man_page());
            Ok(ExitCode::SUCCESS)
        }
    }
}
