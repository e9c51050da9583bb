//! What a repository's `.envrc` makes direnv load, read statically.
//!
//! direnv runs `.envrc` in the user's shell at every `cd` into the
//! repository, without asking again, once the user has allowed that exact
//! file. The allowance covers `.envrc` alone: the files it sources or
//! loads (`dotenv` reads `.env`, `source_env` another `.envrc`, `use nix` a
//! `shell.nix` whose `shellHook` runs), and the directories it puts first
//! on `PATH` (`PATH_add bin`: a new `bin/git` runs at the user's next
//! `git`), can change under it. Those are what this finds, from the calls
//! of direnv's standard library (`direnv stdlib`) written with literal
//! arguments; what a script computes at run time is not seen.

use super::Loaded;

/// What the `.envrc` text `text` loads, with the call that loads it; paths
/// as written (relative to the directory of `.envrc`).
pub fn loaded(text: &str) -> Vec<(Loaded, &'static str)> {
    let mut found = Vec::new();
    for line in text.lines() {
        let line = line.split(" #").next().unwrap_or_default().trim();
        if line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line
            .split_whitespace()
            .map(|word| word.trim_matches(['"', '\'']))
            .collect();
        let Some((&call, args)) = words.split_first() else {
            continue;
        };
        let args: Vec<&str> = args
            .iter()
            .copied()
            .take_while(|word| !matches!(*word, "&&" | "||" | ";" | "|"))
            .filter(|word| !word.starts_with('-'))
            .collect();
        let files = |found: &mut Vec<_>, paths: &[&str], why| {
            for path in paths {
                found.push((Loaded::File(path.to_string()), why));
            }
        };
        // `export PATH="$PWD/bin:$PATH"`: the repository's directories in
        // a PATH it sets itself.
        let assignment = line.strip_prefix("export ").unwrap_or(line);
        if let Some(value) = assignment.strip_prefix("PATH=") {
            for dir in value.trim_matches(['"', '\'']).split(':') {
                let dir = ["$PWD/", "${PWD}/", "$(pwd)/", "./"]
                    .iter()
                    .find_map(|prefix| dir.strip_prefix(prefix));
                if let Some(dir) = dir {
                    found.push((Loaded::OnPath(dir.into()), "put on PATH by .envrc"));
                }
            }
            continue;
        }
        match call {
            // The shell's own `source FILE` and `. FILE`.
            "source" | "." => files(&mut found, &args[..args.len().min(1)], "sourced by .envrc"),
            "dotenv" | "dotenv_if_exists" => {
                let path = args.first().copied().unwrap_or(".env");
                files(&mut found, &[path], "read by `dotenv` in .envrc");
            }
            "source_env" | "source_env_if_exists" => {
                files(&mut found, &args[..args.len().min(1)], "sourced by .envrc");
            }
            "watch_file" | "watch_dir" => files(&mut found, &args, "watched by .envrc"),
            "use" | "use_nix" | "use_flake" | "use_vim" => {
                let (what, rest) = match call.strip_prefix("use_") {
                    Some(what) => (what, &args[..]),
                    None => match args.split_first() {
                        Some((what, rest)) => (*what, rest),
                        None => continue,
                    },
                };
                let named: Vec<&str> = rest
                    .iter()
                    .copied()
                    .filter(|arg| !arg.contains("://"))
                    .collect();
                let defaults: &[&str] = match what {
                    "flake" => &["flake.nix", "flake.lock"],
                    "nix" => &["shell.nix", "default.nix"],
                    "vim" => &[".vimrc.local"],
                    _ => &[],
                };
                let paths = match what {
                    // `use flake .#shell`: the flake in that directory.
                    "flake" => defaults.to_vec(),
                    // `use nix -p PACKAGES`: packages, no file.
                    "nix" if words.contains(&"-p") => Vec::new(),
                    _ if named.is_empty() => defaults.to_vec(),
                    _ => named,
                };
                files(&mut found, &paths, "run by `use` in .envrc");
            }
            "layout" => {
                files(&mut found, &[".direnv"], "direnv's layout directory");
                let on_path = match args.first().copied() {
                    Some("go") => Some("bin"),
                    Some("perl") => Some("local/bin"),
                    _ => None,
                };
                if let Some(dir) = on_path {
                    found.push((Loaded::OnPath(dir.into()), "put on PATH by `layout`"));
                }
            }
            "PATH_add" | "load_prefix" => {
                for dir in &args {
                    let dir = match call {
                        "load_prefix" => format!("{}/bin", dir.trim_end_matches('/')),
                        _ => dir.to_string(),
                    };
                    found.push((Loaded::OnPath(dir), "put on PATH by .envrc"));
                }
            }
            "path_add" if args.first() == Some(&"PATH") => {
                for dir in &args[1..] {
                    found.push((Loaded::OnPath(dir.to_string()), "put on PATH by .envrc"));
                }
            }
            _ => {}
        }
    }
    super::keep_followable(&mut found);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::loaders::Loaded;

    fn paths(text: &str) -> Vec<Loaded> {
        loaded(text).into_iter().map(|(loaded, _)| loaded).collect()
    }

    #[test]
    fn the_standard_library_calls_that_load_or_run_files() {
        let text = "\
# a comment: dotenv .secret
dotenv
dotenv_if_exists .env.local
source_env_if_exists .envrc.private
watch_file tools/versions.txt
use flake .#dev
use nix -p hello
PATH_add bin scripts # ours
path_add PATH tools/bin
path_add MANPATH man
layout go
export FOO=$(cat x)
export PATH=\"$PWD/tools:${PWD}/node_modules/.bin:$PATH\"
source ./scripts/env.sh
";
        use Loaded::{File, OnPath};
        assert_eq!(
            paths(text),
            [
                File(".env".into()),
                File(".env.local".into()),
                File(".envrc.private".into()),
                File("tools/versions.txt".into()),
                File("flake.nix".into()),
                File("flake.lock".into()),
                OnPath("bin".into()),
                OnPath("scripts".into()),
                OnPath("tools/bin".into()),
                File(".direnv".into()),
                OnPath("bin".into()),
                OnPath("tools".into()),
                File("./scripts/env.sh".into()),
            ]
        );
    }

    #[test]
    fn installed_dependencies_and_computed_paths_are_left_out() {
        assert!(
            paths("layout node\nPATH_add node_modules/.bin\nPATH_add $HOME/x\n")
                .iter()
                .all(|loaded| *loaded == Loaded::File(".direnv".into()))
        );
        assert!(paths("echo dotenv\n").is_empty());
    }
}
