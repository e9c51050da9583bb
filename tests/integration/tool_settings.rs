//! The session boundary for settings tools look up from wherever they run
//! (cargo's and rustup's in every directory up to the root, a client's
//! project settings): attacked at depth, by a link and by a move, in both
//! modes as every identity; then the user's unconfined build in a package
//! of the workspace runs nothing planted.

use crate::boundary::{MODES, mode_of, set_mode};
use crate::support::*;
use std::path::Path;
use std::process::Command;

/// What tools look up in every directory from where they run (cargo's and
/// rustup's settings, a client's project settings) cannot be planted at any
/// depth, nor brought into place by a link or a move; a directory above a
/// protected path cannot become a link or be opened to other users. Then the
/// user's unconfined build in a package of the workspace runs nothing
/// planted.
#[test]
fn settings_tools_look_up_from_any_directory_cannot_be_planted_or_redirected() {
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            let marker = env.home.join("PLANTED-RAN");
            let app = env.repo.join("crates/app");
            std::fs::create_dir_all(app.join("src")).unwrap();
            std::fs::write(
                app.join("Cargo.toml"),
                "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
            )
            .unwrap();
            std::fs::write(app.join("src/main.rs"), "fn main() {}\n").unwrap();
            std::fs::create_dir_all(env.repo.join(".github")).unwrap();
            env.give(&env.repo);
            let (github_mode, root_mode) = (mode_of(&env.repo.join(".github")), mode_of(&env.repo));
            let wrapper = env.home.join("wrapper.sh");
            std::fs::write(
                &wrapper,
                format!("#!/bin/sh\ntouch {}\nexec \"$@\"\n", marker.display()),
            )
            .unwrap();
            set_mode(&wrapper, 0o755);
            let config = format!("[build]\\nrustc-wrapper = \\\"{}\\\"\\n", wrapper.display());
            let attacks = [
                // A link, or a directory moved, where the settings are read.
                format!("mkdir -p evil && printf \"{config}\" > evil/config.toml && ln -s evil .cargo"),
                "ln -s ../../evil crates/app/.cargo".to_string(),
                format!(
                    "mkdir -p crates/app/x && printf \"{config}\" > crates/app/x/config.toml && mv crates/app/x crates/app/.cargo"
                ),
                // Planted at depth.
                format!("mkdir -p crates/app/.cargo && printf \"{config}\" > crates/app/.cargo/config.toml"),
                "printf '[toolchain]\\npath = \"../../evil\"\\n' > crates/app/rust-toolchain.toml"
                    .to_string(),
                "mkdir -p crates/app/.claude && echo '{\"hooks\":{}}' > crates/app/.claude/settings.json"
                    .to_string(),
                "mkdir -p crates/app/.codex/ && echo '[mcp_servers.x]' > crates/app/.codex/config.toml"
                    .to_string(),
                "echo '{\"mcpServers\":{}}' > crates/app/.mcp.json".to_string(),
                // Version files that name a program by path.
                "echo ../../evil/python > crates/app/.python-version".to_string(),
                "echo 'nodejs path:../../evil' > .tool-versions".to_string(),
                "echo 'python-install-mirror = \"http://evil\"' > crates/app/uv.toml".to_string(),
                // jenv takes a version as a path under its versions
                // directory, `..` included, and passes `.java-options` to
                // every `java`; sdkman's auto-env does the same with
                // `.sdkmanrc` at every `cd` (both read in their sources).
                "echo ../../evil > crates/app/.java-version".to_string(),
                "echo ../../evil > .jenv-version".to_string(),
                "echo -javaagent:evil.jar > crates/app/.java-options".to_string(),
                "echo java=../../../evil > crates/app/.sdkmanrc".to_string(),
                // A directory above protected paths: a link, or open to all.
                "rm -rf .github && ln -s evil .github".to_string(),
                "ln -s evil .vscode".to_string(),
                "chmod 777 .github".to_string(),
                "chmod o+w .".to_string(),
            ];
            let neighbours = [
                "mkdir -p crates/app/.cargo && echo notes > crates/app/.cargo/notes.txt",
                "ln -s crates/app app-link",
                "touch .github .",
                "mkdir -p docs && echo '[build]' > docs/config.toml",
            ];
            let battery = Battery {
                attacks: &attacks,
                work: &neighbours,
            };
            battery.run(env, mode);
            for planted in [
                ".cargo",
                "crates/app/.cargo/config.toml",
                "crates/app/rust-toolchain.toml",
                "crates/app/.claude/settings.json",
                "crates/app/.codex/config.toml",
                "crates/app/.mcp.json",
                "crates/app/.python-version",
                ".tool-versions",
                "crates/app/uv.toml",
                "crates/app/.java-version",
                ".jenv-version",
                "crates/app/.java-options",
                "crates/app/.sdkmanrc",
                ".vscode",
            ] {
                let path = env.repo.join(planted);
                assert!(
                    std::fs::symlink_metadata(&path).is_err(),
                    "{mode:?}: {planted} was made"
                );
            }
            assert!(
                std::fs::symlink_metadata(env.repo.join(".github"))
                    .unwrap()
                    .is_dir()
            );
            assert_eq!(mode_of(&env.repo.join(".github")), github_mode, "{mode:?}");
            assert_eq!(mode_of(&env.repo), root_mode, "{mode:?}");

            // The user's next build in the package, unconfined.
            let cargo = Path::new("/root/.cargo/bin/cargo");
            if env.identity == Identity::Root && cargo.exists() {
                let built = Command::new(cargo)
                    .args(["build", "-q", "--offline"])
                    .current_dir(&app)
                    .env("RUSTUP_HOME", "/root/.rustup")
                    .env("CARGO_HOME", env.home.join(".cargo"))
                    .env("CARGO_TARGET_DIR", env.home.join("target"))
                    .output()
                    .unwrap();
                assert!(built.status.success(), "{}", all_output(&built));
            }
            assert!(!marker.exists(), "{mode:?}: a planted command ran");
        }
    });
}
