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

/// The name of the file oh-my-zsh's `dotenv` plugin sources as shell code
/// in every directory the user's zsh enters, if the zsh configuration
/// `zshrc` enables the plugin (`plugins=(… dotenv …)`): `.env`, or what
/// `ZSH_DOTENV_FILE` names. The plugin asks before sourcing a new
/// directory's file, but a directory answered "always" is remembered by its
/// path, not by the file's content.
pub fn zsh_dotenv_file(zshrc: &str) -> Option<String> {
    let mut in_plugins = false;
    let mut enabled = false;
    let mut name = None;
    for line in zshrc.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if let Some(value) = line.strip_prefix("ZSH_DOTENV_FILE=") {
            let value = value.trim_matches(['"', '\'']);
            if !value.is_empty() && !value.contains(['/', '$']) {
                name = Some(value.to_string());
            }
        }
        let list = match line.strip_prefix("plugins=(") {
            Some(rest) => rest,
            None if in_plugins => line,
            None => continue,
        };
        let (list, closed) = match list.split_once(')') {
            Some((list, _)) => (list, true),
            None => (list, false),
        };
        enabled |= list.split_whitespace().any(|plugin| plugin == "dotenv");
        in_plugins = !closed;
    }
    enabled.then(|| name.unwrap_or_else(|| ".env".into()))
}

#[cfg(test)]
mod tests {
    use super::zsh_dotenv_file;

    #[test]
    fn oh_my_zsh_dotenv_plugin() {
        let zshrc = "export ZSH=\"$HOME/.oh-my-zsh\"\nplugins=(\n  git\n  dotenv # load .env\n)\nsource $ZSH/oh-my-zsh.sh\n";
        assert_eq!(zsh_dotenv_file(zshrc).as_deref(), Some(".env"));
        let named = "plugins=(git dotenv)\nZSH_DOTENV_FILE=.dotenv\n";
        assert_eq!(zsh_dotenv_file(named).as_deref(), Some(".dotenv"));
        assert_eq!(zsh_dotenv_file("plugins=(git)\n# plugins=(dotenv)\n"), None);
        assert_eq!(zsh_dotenv_file("plugins=(git docker)\necho dotenv\n"), None);
    }
}
