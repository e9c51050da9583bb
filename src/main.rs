//! The `guard` binary: parse, dispatch, map errors to exit codes.

use clap::Parser;
use guard::{cli::Cli, commands, exit::ExitCode};

fn main() -> std::process::ExitCode {
    init_tracing();
    let cli = Cli::parse();
    let code = match commands::dispatch(cli) {
        Ok(code) => code,
        Err(commands::CommandError::Io(error))
            if error.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            // The reader went away (`guard log show … | head`): nothing to report.
            ExitCode::SUCCESS
        }
        Err(error) => {
            let error = anyhow::Error::from(error);
            eprintln!("guard: error: {}", message(&error));
            error
                .downcast_ref::<commands::CommandError>()
                .map_or(ExitCode::SETUP_FAILED, commands::CommandError::exit_code)
        }
    };
    std::process::ExitCode::from(u8::try_from(code.0).unwrap_or(1))
}

/// The error and its causes, `: `-separated, each cause left out that the
/// message before it already ends with (many errors name their cause in
/// their own message as well).
fn message(error: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if message.is_empty() {
            message = text;
        } else if !message.ends_with(&text) {
            message = format!("{message}: {text}");
        }
    }
    message
}

/// `GUARD_LOG=debug` (or `trace`, `info`, …) turns on diagnostics on stderr.
fn init_tracing() {
    let level = std::env::var("GUARD_LOG")
        .ok()
        .and_then(|level| level.parse::<tracing::Level>().ok());
    if let Some(level) = level {
        tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(std::io::stderr)
            .init();
    }
}
