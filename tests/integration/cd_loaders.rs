//! direnv and mise load a repository's environment at the user's every
//! `cd`, once the user has allowed (`direnv allow`) or trusted (`mise
//! trust`) its configuration; what that configuration loads (a dotenv
//! file, a sourced script, a directory put first on PATH) is not covered.
//! A session cannot plant there, in both modes and as both identities; the
//! user's real direnv and mise, unconfined, then run nothing planted, and
//! the existing script in the PATH directory stays the session's to edit.

use crate::boundary::MODES;
use crate::support::*;

/// A repository whose `config` (file name, text) a loader that runs at
/// every `cd` takes `.env` (GREETING=hello), a sourced script and `bin/` on
/// PATH (holding the user's `build.sh`) from, allowed with `allow`. A
/// session tries `plants` (each given the command that touches the marker)
/// next to ordinary work; then `next` runs the user's next command through
/// the loader, unconfined: the environment is the user's, nothing planted
/// ran, and the existing script stayed the session's to edit.
fn plants_for_the_next_cd(
    env: &TestEnv,
    mode: &[&str],
    config: (&str, &str),
    allow: &[&str],
    plants: &[&str],
    next: &[&str],
) {
    let repo = &env.repo;
    std::fs::write(repo.join(config.0), config.1).unwrap();
    std::fs::write(repo.join(".env"), "GREETING=hello\n").unwrap();
    std::fs::create_dir_all(repo.join("bin")).unwrap();
    std::fs::create_dir_all(repo.join("scripts")).unwrap();
    std::fs::write(repo.join("scripts/env.sh"), "export FROM_SOURCE=1\n").unwrap();
    std::fs::write(repo.join("bin/build.sh"), "#!/bin/sh\necho build\n").unwrap();
    env.give(repo);
    let allowed = env.command(allow[0]).args(&allow[1..]).output().unwrap();
    assert!(allowed.status.success(), "{}", all_output(&allowed));

    let marker = env.home.join("PLANTED-RAN");
    let touch = format!("touch {}", marker.display());
    let mut attacks = vec![
        format!("printf '#!/bin/sh\\n{touch}\\n' > bin/git && chmod +x bin/git"),
        format!(
            "printf '#!/bin/sh\\n{touch}\\n' > git-new && chmod +x git-new && mv git-new bin/git"
        ),
        format!("echo '{touch}' >> scripts/env.sh"),
        "echo 'GREETING=planted' >> .env".to_string(),
        "mv bin bin-old && mkdir bin".to_string(),
    ];
    attacks.extend(plants.iter().map(|plant| plant.replace("TOUCH", &touch)));
    let work = [
        "printf '#!/bin/sh\\necho built\\n' > bin/build.sh",
        "echo notes > notes.txt",
    ];
    let battery = Battery {
        attacks: &attacks,
        work: &work,
    };
    battery.run(env, mode);

    let mut command = env.command(next[0]);
    command
        .args(&next[1..])
        .arg("git --version && echo \"greeting=$GREETING source=$FROM_SOURCE\"");
    let done = command.output().unwrap();
    let text = all_output(&done);
    assert!(done.status.success(), "{mode:?}: {text}");
    assert!(text.contains("greeting=hello source=1"), "{mode:?}: {text}");
    assert!(!marker.exists(), "{mode:?}: a planted command ran: {text}");
    assert!(!repo.join("bin/git").exists(), "{mode:?}");
    assert_eq!(
        std::fs::read_to_string(repo.join("bin/build.sh")).unwrap(),
        "#!/bin/sh\necho built\n",
        "{mode:?}: the existing script is the session's to edit"
    );
}

#[test]
fn what_direnv_loads_at_the_next_cd_cannot_be_planted() {
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            let repo = env.repo.display().to_string();
            let envrc = "dotenv\nsource_env scripts/env.sh\nsource_env_if_exists .envrc.local\nPATH_add bin\n";
            plants_for_the_next_cd(
                env,
                mode,
                (".envrc", envrc),
                &["direnv", "allow", &repo],
                &["echo 'TOUCH' > .envrc.local", "echo 'TOUCH' >> .envrc"],
                &["direnv", "exec", &repo, "sh", "-c"],
            );
        }
    });
}

#[test]
fn what_mise_loads_at_the_next_cd_cannot_be_planted() {
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            let config = env.repo.join("mise.toml").display().to_string();
            let mise =
                "[env]\n_.file = \".env\"\n_.source = \"./scripts/env.sh\"\n_.path = [\"bin\"]\n";
            plants_for_the_next_cd(
                env,
                mode,
                ("mise.toml", mise),
                &["mise", "trust", &config],
                &["echo '_.source = \"./evil.sh\"' >> mise.toml"],
                &["mise", "exec", "--", "sh", "-c"],
            );
        }
    });
}

/// oh-my-zsh's dotenv plugin sources `.env` as shell code in every
/// directory the user's zsh enters (a directory answered "always" is
/// remembered by its path): when the user's `.zshrc` enables it, no `.env`
/// can change or be made anywhere in the repository; without it `.env` is
/// ordinary work.
#[test]
fn what_zshs_dotenv_plugin_sources_at_the_next_cd_cannot_be_planted() {
    for_each_identity(|env| {
        for mode in MODES {
            for enabled in [true, false] {
                let env = &TestEnv::new(env.identity);
                let plugins = if enabled { "git dotenv" } else { "git" };
                std::fs::write(
                    env.home.join(".zshrc"),
                    format!("export ZSH=\"$HOME/.oh-my-zsh\"\nplugins=({plugins})\n"),
                )
                .unwrap();
                std::fs::write(env.repo.join(".env"), "GREETING=hello\n").unwrap();
                std::fs::create_dir_all(env.repo.join("sub")).unwrap();
                env.give(&env.home);
                env.give(&env.repo);
                let marker = env.home.join("PLANTED-RAN");
                let touch = format!("touch {}", marker.display());
                let plants = [
                    format!("echo '{touch}' >> .env"),
                    format!("echo '{touch}' > sub/.env"),
                ];
                let (attacks, work): (&[String], &[&str]) = match enabled {
                    true => (&plants, &["echo notes > notes.txt"]),
                    false => (&[], &["echo 'PORT=1' >> .env", "echo 'A=1' > sub/.env"]),
                };
                let battery = Battery { attacks, work };
                battery.run(env, mode);
                if !enabled {
                    continue;
                }
                // What the plugin does at the user's next cd, unconfined.
                let mut next = env.command("zsh");
                next.arg("-c").arg(
                    "source ./.env && cd sub && { [ ! -f .env ] || source ./.env; } && echo \"greeting=$GREETING\"",
                );
                let next = next.output().unwrap();
                let text = all_output(&next);
                assert!(text.contains("greeting=hello"), "{mode:?}: {text}");
                assert!(!marker.exists(), "{mode:?}: a planted command ran: {text}");
            }
        }
    });
}

/// A directory of the repository on the user's own PATH (made absolute in
/// a shell profile or by a tool's activation), existing or not yet made:
/// a session cannot put a new program there, which the user's next
/// unconfined command would run in place of the real one; the existing
/// script stays the session's to edit.
#[test]
fn a_directory_of_the_repository_on_the_users_path_takes_no_new_program() {
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            let (bin, tools) = (env.repo.join("bin"), env.repo.join("tools"));
            std::fs::create_dir_all(&bin).unwrap();
            std::fs::write(bin.join("build.sh"), "#!/bin/sh\necho build\n").unwrap();
            std::fs::create_dir_all(env.repo.join("hack/bin")).unwrap();
            std::fs::write(env.repo.join("hack/bin/lint.sh"), "#!/bin/sh\n").unwrap();
            env.give(&env.repo);
            // Absolute entries, and relative ones the user's shell looks up
            // from the repository's top: `scripts` (missing), `./hack/bin`;
            // `.git/safe/../../safe-bin` names nothing until the user makes
            // `.git/safe`, which the session cannot.
            let path = format!(
                "{}/.venv/bin:{}:{}:{}/node_modules/.bin:scripts:./hack/bin:\
                 .git/safe/../../safe-bin:vendor/bin:/usr/local/bin:/usr/bin:/bin",
                env.repo.display(),
                bin.display(),
                tools.display(),
                env.repo.display()
            );
            let marker = env.home.join("PLANTED-RAN");
            let program = format!("printf '#!/bin/sh\\ntouch {}\\n'", marker.display());
            let attacks = [
                format!("{program} > bin/git && chmod +x bin/git"),
                format!("{program} > git-new && chmod +x git-new && mv git-new bin/git"),
                format!("mkdir -p tools && {program} > tools/git && chmod +x tools/git"),
                "mv bin bin-old && mkdir bin".to_string(),
                format!("mkdir -p scripts && {program} > scripts/git && chmod +x scripts/git"),
                format!("{program} > hack/bin/git && chmod +x hack/bin/git"),
                "mkdir -p .git/safe".to_string(),
            ];
            // Installed dependencies are left to their own rule: an
            // install may add programs to `node_modules/.bin`, Composer's
            // `vendor/bin`, an activated virtual environment's `bin`.
            let work = [
                "printf '#!/bin/sh\\necho built\\n' > bin/build.sh",
                "mkdir -p node_modules/.bin && touch node_modules/.bin/jest",
                "mkdir -p .venv/bin && touch .venv/bin/pytest",
                "mkdir -p vendor/bin && touch vendor/bin/phpunit",
                "mkdir -p other && echo notes > other/notes.txt",
                "echo 'echo linted' >> hack/bin/lint.sh",
                "mkdir -p safe-bin && touch safe-bin/tool",
            ];
            let battery = Battery {
                attacks: &attacks,
                work: &work,
            };
            let probe = probe().display().to_string();
            let mut args = vec!["run", "--allow-exec", probe.as_str()];
            args.extend_from_slice(mode);
            let script = battery.script();
            args.extend_from_slice(&["--", "bash", "-c", &script]);
            let output = env.guard(&args).env("PATH", &path).output().unwrap();
            battery.check(mode, &all_output(&output));
            // The user's next `git`, unconfined, with the same PATH, at
            // the repository's top.
            let next = env
                .command("sh")
                .args(["-c", "git --version"])
                .current_dir(&env.repo)
                .env("PATH", &path)
                .output()
                .unwrap();
            assert!(next.status.success(), "{mode:?}: {}", all_output(&next));
            assert!(!marker.exists(), "{mode:?}: a planted program ran");
            assert_eq!(
                std::fs::read_to_string(bin.join("build.sh")).unwrap(),
                "#!/bin/sh\necho built\n",
                "{mode:?}: the existing script is the session's to edit"
            );
        }
    });
}

/// Installed dependencies' program directories on the user's `PATH` (an
/// activated virtual environment's `bin`, `node_modules/.bin`) take what an
/// install adds; a program added there ahead of one of the same name
/// further on `PATH` is told at the end and recorded, and `guard log
/// summary` lists it. A program that shadows nothing is ordinary work, and
/// so is one in a directory that is not on `PATH`.
#[test]
fn a_program_added_ahead_of_the_users_own_is_told() {
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            std::fs::create_dir_all(env.repo.join(".venv/bin")).unwrap();
            env.give(&env.repo);
            let path = format!(
                "{}/.venv/bin:node_modules/.bin:/usr/local/bin:/usr/bin:/bin",
                env.repo.display()
            );
            let script = "printf '#!/bin/sh\\necho planted\\n' > .venv/bin/git && chmod +x .venv/bin/git \
                 && mkdir -p node_modules/.bin && printf '#!/bin/sh\\n' > node_modules/.bin/ls \
                 && chmod 755 node_modules/.bin/ls \
                 && printf '#!/bin/sh\\n' > .venv/bin/guard-test-only-tool && chmod +x .venv/bin/guard-test-only-tool \
                 && printf 'not a program' > .venv/bin/cat \
                 && mkdir -p other && cp node_modules/.bin/ls other/ls";
            let mut args = vec!["run"];
            args.extend_from_slice(mode);
            args.extend_from_slice(&["--", "bash", "-c", script]);
            let output = env.guard(&args).env("PATH", &path).output().unwrap();
            let said = all_output(&output);
            assert!(output.status.success(), "{mode:?}: {said}");
            for (program, shadowed) in [(".venv/bin/git", "/git"), ("node_modules/.bin/ls", "/ls")]
            {
                let line = said
                    .lines()
                    .find(|line| {
                        line.contains(&format!("added {}", env.repo.join(program).display()))
                    })
                    .unwrap_or_else(|| panic!("{mode:?}: {program} not told: {said}"));
                assert!(line.contains(shadowed), "{mode:?}: {line}");
            }
            for quiet in ["guard-test-only-tool", ".venv/bin/cat", "other/ls"] {
                assert!(!said.contains(quiet), "{mode:?}: {quiet} told: {said}");
            }
            let (_, records) = env.last_log();
            let told: Vec<&str> = records
                .iter()
                .filter(|record| record["kind"] == "path_shadow")
                .filter_map(|record| record["path"].as_str())
                .collect();
            assert_eq!(told.len(), 2, "{mode:?}: {told:?}");
            let summary = env.guard(&["log", "summary", "last"]).output().unwrap();
            let summary = String::from_utf8_lossy(&summary.stdout);
            assert!(
                summary.contains("ahead of others on your PATH")
                    && summary.contains(&env.repo.join(".venv/bin/git").display().to_string()),
                "{mode:?}: {summary}"
            );
        }
    });
}
