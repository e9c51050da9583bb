//! `guard shell-init`: shell functions that make `claude`, `codex`, … always
//! mean the confined ones.

use super::CommandError;
use crate::cli::InitShell;
use crate::exit::ExitCode;
use crate::policy::{HostView, RealHost};
use serde::Deserialize;
use std::path::Path;

/// The assistants wrapped when installed.
const ASSISTANTS: &[&str] = &["claude", "codex", "gemini", "aider"];

/// `$XDG_CONFIG_HOME/guard/config.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default)]
    shell: ShellConfig,
}

/// `[shell]`: more commands to wrap.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShellConfig {
    #[serde(default)]
    wrap: Vec<String>,
}

/// Prints the functions for `shell`.
pub fn shell_init(shell: InitShell) -> Result<ExitCode, CommandError> {
    let host = RealHost::from_process();
    let guard = std::env::current_exe()?;
    let path_var = host.var("PATH").unwrap_or_default();
    let mut commands: Vec<String> = ASSISTANTS.iter().map(|s| s.to_string()).collect();
    commands.extend(load_config(&host)?.shell.wrap);
    let installed: Vec<&String> = commands
        .iter()
        .filter(|name| is_plain_name(name) && host.find_program(name, &path_var).is_some())
        .collect();
    print!("{}", script(shell, &guard, &installed));
    Ok(ExitCode::SUCCESS)
}

fn load_config(host: &dyn HostView) -> Result<Config, CommandError> {
    let Some(dir) = crate::session::profile_sources(host)
        .user_dir
        .and_then(|d| d.parent().map(Path::to_path_buf))
    else {
        return Ok(Config::default());
    };
    let path = dir.join("config.toml");
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).map_err(|error| {
            CommandError::Profile(crate::profile::ProfileError::Parse {
                source_name: path.display().to_string(),
                location: String::new(),
                message: error.message().to_string(),
            })
        }),
        Err(_) => Ok(Config::default()),
    }
}

/// A command name that is safe to define as a shell function.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Single-quotes `text` for POSIX shells and fish.
fn quoted(text: &str, shell: InitShell) -> String {
    match shell {
        InitShell::Fish => format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'")),
        _ => format!("'{}'", text.replace('\'', "'\\''")),
    }
}

fn script(shell: InitShell, guard: &Path, commands: &[&String]) -> String {
    let guard = quoted(&guard.to_string_lossy(), shell);
    let mut out = String::from(
        "# guard shell-init: run the assistants confined. Bypass with `command NAME`.\n",
    );
    for name in commands {
        let line = match shell {
            InitShell::Bash | InitShell::Zsh => {
                format!("{name}() {{ {guard} run -- {name} \"$@\"; }}\n")
            }
            InitShell::Fish => format!(
                "function {name} --wraps {name} --description 'guard: {name}, confined'\n    {guard} run -- {name} $argv\nend\n"
            ),
        };
        out.push_str(&line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_quote_the_guard_path() {
        let guard = std::path::PathBuf::from("/opt/my guard's/guard");
        let claude = "claude".to_string();
        let bash = script(InitShell::Bash, &guard, &[&claude]);
        assert!(
            bash.contains("claude() { '/opt/my guard'\\''s/guard' run -- claude \"$@\"; }"),
            "{bash}"
        );
        let fish = script(InitShell::Fish, &guard, &[&claude]);
        assert!(
            fish.contains("'/opt/my guard\\'s/guard' run -- claude $argv"),
            "{fish}"
        );
        assert!(!is_plain_name("rm -rf"));
    }
}
