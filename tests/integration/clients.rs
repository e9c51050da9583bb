//! The real assistant clients (installed by `.ci/run` from npm) start confined
//! under their built-in profiles.

use crate::support::*;

fn run_client(env: &TestEnv, args: &[&str]) -> (bool, String) {
    let mut full = vec!["run", "--"];
    full.extend_from_slice(args);
    let output = env.guard(&full).output().unwrap();
    (output.status.success(), all_output(&output))
}

#[test]
fn claude_codex_and_gemini_report_their_version_confined() {
    for_each_identity(|env| {
        let (ok, text) = run_client(env, &["claude", "--version"]);
        assert!(ok && text.contains("Claude Code"), "{text}");
        let (ok, text) = run_client(env, &["codex", "--version"]);
        assert!(ok && text.contains("codex"), "{text}");
        let (ok, text) = run_client(env, &["codex", "--help"]);
        assert!(ok && text.contains("Usage"), "{text}");
        // aider's virtual environment uses root's Python on this machine
        // kind (the toolchain under /root), which other users cannot reach.
        if env.identity == Identity::Root {
            let (ok, text) = run_client(env, &["/opt/guard-aider/bin/aider", "--version"]);
            assert!(ok && text.contains("aider"), "{text}");
        }
        let (ok, text) = run_client(env, &["gemini", "--version"]);
        assert!(
            ok && text
                .trim()
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit()),
            "{text}"
        );
        // The profile was picked from the command name, and the client's own
        // directories were created in the fixture home.
        assert!(env.home.join(".claude").is_dir());
        assert!(env.home.join(".codex").is_dir());
        assert!(env.home.join(".gemini").is_dir());
    });
}

#[test]
fn claude_profile_keeps_other_secrets_out_of_reach() {
    for_each_identity(|env| {
        let probe = probe().to_str().unwrap().to_string();
        let key = env.home.join(".ssh/id_ed25519");
        let output = env
            .guard(&[
                "run",
                "-p",
                "claude",
                "--allow-exec",
                &probe,
                "--",
                &probe,
                "read",
                key.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let text = all_output(&output);
        assert!(
            !output.status.success() && text.contains("EACCES"),
            "{text}"
        );
    });
}

#[test]
fn assistant_profiles_build_rust_and_c_code() {
    let env = TestEnv::new(identities()[0]);
    let cargo =
        std::path::PathBuf::from(std::env::var("CARGO").expect("cargo sets CARGO for tests"));
    let toolchain_bin = std::fs::canonicalize(&cargo)
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let krate = env.repo.join("crate");
    std::fs::create_dir_all(krate.join("src")).unwrap();
    std::fs::write(
        krate.join("Cargo.toml"),
        "[package]\nname = \"small\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(
        krate.join("src/main.rs"),
        "fn main() { println!(\"sum={}\", (1..100u64).sum::<u64>()); }\n",
    )
    .unwrap();
    std::fs::write(
        env.repo.join("hello.c"),
        "#include <stdio.h>\nint main(void) { puts(\"hello-from-c\"); return 0; }\n",
    )
    .unwrap();
    env.give(&env.repo);
    let script = "cargo build --offline --quiet --manifest-path crate/Cargo.toml && ./crate/target/debug/small \
                  && cc -o hello hello.c && ./hello";
    let output = env
        .guard(&["run", "-p", "codex", "--", "bash", "-c", script])
        .env(
            "PATH",
            format!("{}:/usr/local/bin:/usr/bin:/bin", toolchain_bin.display()),
        )
        .env("CARGO_HOME", env.repo.join(".cargo-home"))
        .output()
        .unwrap();
    let text = all_output(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("sum=4950") && text.contains("hello-from-c"),
        "{text}"
    );
}

/// rustup's and pyenv's shims (both on these machines, in the real home)
/// under the `default` profile, whose home is private: each resolves its
/// toolchain read-only from the real directory.
#[test]
fn rustup_and_pyenv_shims_run_under_the_default_profile() {
    let home = std::path::PathBuf::from(std::env::var("HOME").expect("HOME"));
    let env = TestEnv::new(identities()[0]);
    for (shim, expected) in [
        (".cargo/bin/cargo", "cargo "),
        (".pyenv/shims/python3", "Python 3."),
    ] {
        let shim = home.join(shim);
        assert!(shim.exists(), "{} is on these machines", shim.display());
        let path = format!(
            "{}:{}:/usr/local/bin:/usr/bin:/bin",
            home.join(".cargo/bin").display(),
            home.join(".pyenv/shims").display()
        );
        let name = shim.file_name().unwrap().to_str().unwrap();
        let output = env
            .guard(&["run", "--", name, "--version"])
            .env("HOME", &home)
            .env("PATH", path)
            .output()
            .unwrap();
        let text = all_output(&output);
        assert!(output.status.success(), "{name}: {text}");
        assert!(text.starts_with(expected), "{name}: {text}");
    }
}

/// Codex installed under an npm prefix of its own (not the system one):
/// its `codex.js` starts the native binary of its platform package, which
/// npm hoists beside it, and which the profile lets run because the
/// package declares it.
#[test]
fn codex_under_its_own_npm_prefix_runs_its_native_binary() {
    let env = TestEnv::new(identities()[0]);
    let prefix = env.home.join("tools");
    install_codex(&prefix);
    env.give(&prefix);
    let bin = prefix.join("node_modules/.bin");
    let output = env
        .guard(&["run", "-p", "codex", "--", "codex", "--version"])
        .env(
            "PATH",
            format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display()),
        )
        .output()
        .unwrap();
    let text = all_output(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("codex-cli"), "{text}");
}

/// Debian's `psql` is `pg_wrapper` (Perl), which goes by the name it was
/// run as and then runs the real `/usr/lib/postgresql/N/bin/psql`: allowing
/// `psql` allows both, and the wrapper sees its own name, as without guard.
#[test]
fn a_distribution_wrapper_runs_the_program_it_wraps() {
    let env = TestEnv::new(identities()[0]);
    let output = env
        .guard(&["run", "--allow-exec", "psql", "--", "psql", "--version"])
        .output()
        .unwrap();
    let text = all_output(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.starts_with("psql (PostgreSQL)"), "{text}");
}

/// nvm-, volta- and asdf-style layouts (as each manager documents its
/// directory) under the `default` profile: a program the command runs from
/// a manager's directory runs, and asdf's shim finds its installs through
/// ASDF_DATA_DIR although the session's home is private.
#[test]
fn version_manager_layouts_run_under_the_default_profile() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new(identities()[0]);
    let write = |relative: &str, text: &str| {
        let path = env.home.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    };
    let nvm = write(
        ".nvm/versions/node/v20.11.0/bin/node",
        "#!/bin/sh\necho nvm-node\n",
    );
    let volta = write(".volta/bin/node", "#!/bin/sh\necho volta-node\n");
    write(
        ".asdf/installs/nodejs/20.11.0/bin/node",
        "#!/bin/sh\necho asdf-node\n",
    );
    let asdf = write(
        ".asdf/shims/node",
        "#!/bin/sh\nexec \"${ASDF_DATA_DIR:-$HOME/.asdf}/installs/nodejs/20.11.0/bin/node\" \"$@\"\n",
    );
    env.give(&env.home);
    for (program, expected) in [
        (nvm, "nvm-node"),
        (volta, "volta-node"),
        (asdf, "asdf-node"),
    ] {
        let output = env.run_script(&[], &program.display().to_string());
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{}: {}",
            program.display(),
            all_output(&output)
        );
        assert_eq!(text.trim(), expected);
    }
}

/// `npm install --prefix PREFIX @openai/codex`, from the npm cache the
/// global install filled (the network if need be).
fn install_codex(prefix: &std::path::Path) {
    let cache = std::path::PathBuf::from(std::env::var("HOME").expect("HOME")).join(".npm");
    let installed = std::process::Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--prefer-offline",
            "--prefix",
        ])
        .arg(prefix)
        .arg("--cache")
        .arg(&cache)
        .arg("@openai/codex")
        .output()
        .unwrap();
    assert!(installed.status.success(), "{}", all_output(&installed));
}

/// `codex exec`, confined by the codex profile, answered by the stand-in
/// Responses API: installed globally, under its own npm prefix, and in the
/// repository.
#[test]
fn codex_exec_gets_its_answer_from_the_stand_in_api_however_it_is_installed() {
    let env = TestEnv::new(identities()[0]);
    let api = MockApi::responses("stand-in says hello");
    let prefix = env.home.join("tools");
    install_codex(&prefix);
    install_codex(&env.repo);
    env.give(&env.home);
    env.give(&env.repo);
    let base_url = format!("openai_base_url=\"http://127.0.0.1:{}/v1\"", api.port);
    for bin in [
        None,
        Some(prefix.join("node_modules/.bin")),
        Some(env.repo.join("node_modules/.bin")),
    ] {
        let path = match &bin {
            Some(bin) => format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display()),
            None => "/usr/local/bin:/usr/bin:/bin".to_string(),
        };
        let output = env
            .guard(&["run", "-p", "codex", "--network", "host", "--"])
            .args(["codex", "exec", "--skip-git-repo-check", "-c", &base_url])
            .args(["-c", "features.responses_websockets=false"])
            .args(["-c", "features.responses_websockets_v2=false", "say hello"])
            .env("PATH", path)
            .env("OPENAI_API_KEY", "sk-test-not-a-key")
            .output()
            .unwrap();
        let text = all_output(&output);
        assert!(output.status.success(), "{bin:?}: {text}");
        assert!(text.contains("stand-in says hello"), "{bin:?}: {text}");
    }
}

/// A user who reaches Claude through a gateway with a bearer token
/// (`ANTHROPIC_AUTH_TOKEN`, no API key) was "Not logged in" in a session,
/// and Claude Code tried to update its shared installation at every start:
/// the token reaches the API, and the session says not to update.
#[test]
fn claude_reaches_a_gateway_with_its_bearer_token_and_does_not_update_itself() {
    for_each_identity(|env| {
        let api = MockApi::scripted(serde_json::json!([{
            "name": "Bash",
            "input": {"command": "printenv DISABLE_AUTOUPDATER ANTHROPIC_CUSTOM_HEADERS"},
        }]));
        let output = confined(env, "claude")
            .args(["claude", "-p", "hello", "--output-format", "json"])
            .args(["--allowedTools", "Bash"])
            .env(
                "ANTHROPIC_BASE_URL",
                format!("http://127.0.0.1:{}", api.port),
            )
            .env("ANTHROPIC_AUTH_TOKEN", "gateway-token-not-a-key")
            .env("ANTHROPIC_CUSTOM_HEADERS", "X-Team: guard")
            .env("DISABLE_TELEMETRY", "1")
            .output()
            .unwrap();
        let text = all_output(&output);
        assert!(output.status.success(), "{text}");
        assert_eq!(
            api.last_authorization().as_deref(),
            Some("Bearer gateway-token-not-a-key"),
            "{text}"
        );
        let results = api.tool_results();
        let printed = results
            .first()
            .map(|result| result["content"].to_string())
            .unwrap_or_default();
        assert!(printed.contains("1\\nX-Team: guard"), "{printed} {text}");
    });
}

/// `codex exec` authenticates with `CODEX_API_KEY` and bills the user's
/// OpenAI organisation in a session, as it does outside one.
#[test]
fn codex_exec_uses_the_users_api_key_variable_and_organisation() {
    for_each_identity(|env| {
        let api = MockApi::responses("stand-in says hello");
        let base_url = format!("openai_base_url=\"http://127.0.0.1:{}/v1\"", api.port);
        let output = confined(env, "codex")
            .args(["codex", "exec", "--skip-git-repo-check", "-c", &base_url])
            .args(["-c", "features.responses_websockets=false"])
            .args(["-c", "features.responses_websockets_v2=false", "say hello"])
            .env("CODEX_API_KEY", "codex-key-not-a-key")
            .env("OPENAI_ORGANIZATION", "org-guard-test")
            .output()
            .unwrap();
        let text = all_output(&output);
        assert!(
            output.status.success() && text.contains("stand-in says hello"),
            "{text}"
        );
        let (authorization, organization) = api.last_headers();
        assert_eq!(authorization.as_deref(), Some("Bearer codex-key-not-a-key"));
        assert_eq!(organization.as_deref(), Some("org-guard-test"));
    });
}
