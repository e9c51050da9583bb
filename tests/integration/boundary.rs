//! The session boundary: nothing a session changes takes effect outside it.
//! Each class of persistence is attacked in both modes (a private mount
//! namespace, and `--no-namespaces`) as every identity; afterwards an
//! unconfined program does what the user would do next, and must run
//! nothing planted. The neighbouring ordinary work must succeed.

use crate::support::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

/// The two ways a session runs.
pub(crate) const MODES: [&[&str]; 2] = [&[], &["--no-namespaces"]];

pub(crate) fn mode_of(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

pub(crate) fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Runs git unconfined in `dir`, as the fixture's identity, with its home.
fn unconfined_git(env: &TestEnv, dir: &Path, args: &[&str]) -> std::process::Output {
    let mut command = env.command("git");
    command.current_dir(dir).args(args);
    command.output().unwrap()
}

#[test]
fn metadata_outside_the_grants_is_refused_and_inside_allowed() {
    for_each_identity(|env| {
        for mode in MODES {
            let key = env.home.join(".ssh/id_ed25519");
            set_mode(&key, 0o600);
            set_mode(&env.home.join(".ssh"), 0o700);
            let tool = env.home.join("bin/tool");
            std::fs::create_dir_all(tool.parent().unwrap()).unwrap();
            std::fs::write(&tool, "#!/bin/sh\n").unwrap();
            set_mode(&tool, 0o755);
            let readable = env.home.join("ro/file");
            std::fs::create_dir_all(readable.parent().unwrap()).unwrap();
            std::fs::write(&readable, "read me\n").unwrap();
            set_mode(&readable, 0o644);
            let script_file = env.repo.join("build.sh");
            std::fs::write(&script_file, "echo build\n").unwrap();
            set_mode(&script_file, 0o644);
            env.give(&env.home);
            env.give(&env.repo);
            let rc = env.home.join(".bashrc");
            let rc_before = std::fs::metadata(&rc).unwrap();
            let probe = probe().display().to_string();
            let uid = match env.identity {
                Identity::Root => 65534,
                Identity::User { uid, .. } => uid,
            };
            let attacks = [
                format!("chmod {} 644", key.display()),
                format!("chmod {} 755", key.parent().unwrap().display()),
                format!("chmod {} 4755", tool.display()),
                format!("fchmod {} 666", readable.display()),
                format!("chmod {} 666", readable.display()),
                format!("utimes {}", rc.display()),
                format!("setxattr {}", rc.display()),
                format!("chown {} {uid}", rc.display()),
                format!("int80_chmod {}", key.display()),
                format!("chmod {} 4755", script_file.display()),
                // Access for other users: a world-writable entry, an ACL.
                format!("chmod {} 666", script_file.display()),
                format!("chmod {} 757", env.repo.join(".git/refs").display()),
                format!("setacl {}", script_file.display()),
            ];
            let mut script = String::new();
            for attack in &attacks {
                script.push_str(&format!("echo \"{attack}: $({probe} {attack})\"; "));
            }
            script.push_str(&format!(
                "echo \"race: $({probe} chmod_race {} {} 3000)\"; \
                 {probe} chmod {file} 755 && {probe} utimes {file} && {probe} setxattr {file} && \
                 (umask 0 && mkdir -p wide && echo made > wide/file) && \
                 echo a > edited && sed -i s/a/b/ edited 2> sed.err && ! test -s sed.err && \
                 echo NEIGHBOUR-OK",
                script_file.display(),
                key.display(),
                file = script_file.display(),
            ));
            let mut extra = mode.to_vec();
            let ro = readable.parent().unwrap().display().to_string();
            extra.extend(["--allow-read", &ro]);
            let output = env.run_script(&extra, &script);
            let text = all_output(&output);
            for attack in &attacks {
                let line = text
                    .lines()
                    .find(|line| line.starts_with(&format!("{attack}:")))
                    .unwrap_or_else(|| panic!("{mode:?}: no line for {attack}: {text}"));
                assert!(!line.contains(": ok"), "{mode:?}: {line}\n{text}");
            }
            assert!(text.contains("NEIGHBOUR-OK"), "{mode:?}: {text}");

            // What an unconfined `ls -l`, ssh or the next shell sees.
            assert_eq!(mode_of(&key), 0o600, "{mode:?}");
            assert_eq!(mode_of(key.parent().unwrap()), 0o700, "{mode:?}");
            assert_eq!(mode_of(&tool), 0o755, "{mode:?}: no setuid bit");
            assert_eq!(mode_of(&readable), 0o644, "{mode:?}");
            let rc_now = std::fs::metadata(&rc).unwrap();
            assert_eq!(rc_now.mtime(), rc_before.mtime(), "{mode:?}");
            assert_eq!(rc_now.uid(), rc_before.uid(), "{mode:?}: owner unchanged");
            assert!(xattr_absent(&rc), "{mode:?}: no attribute planted");
            assert_eq!(
                mode_of(&script_file),
                0o755,
                "{mode:?}: the repository's own"
            );
            assert_eq!(
                std::fs::metadata(&script_file).unwrap().mtime(),
                946_684_800,
                "{mode:?}"
            );

            // Made with no creation mask, nothing is writable by every user.
            for made in [env.repo.join("wide"), env.repo.join("wide/file")] {
                assert_eq!(mode_of(&made) & 0o002, 0, "{mode:?}: {}", made.display());
            }
            assert_eq!(mode_of(&env.repo.join(".git/refs")) & 0o002, 0, "{mode:?}");

            // The refusals are in the log, with the rule.
            let (_, records) = env.last_log();
            let denied: Vec<_> = records
                .iter()
                .filter(|r| r["kind"] == "denied" && r["operation"] == "metadata")
                .collect();
            assert!(
                denied.iter().any(|r| r["path"] == key.display().to_string()
                    && r["rule"]
                        .as_str()
                        .unwrap()
                        .contains("does not let the session write")),
                "{mode:?}: {denied:?}"
            );
            for rule in ["setuid", "writable by every user", "access control list"] {
                assert!(
                    denied
                        .iter()
                        .any(|r| r["rule"].as_str().unwrap().contains(rule)),
                    "{mode:?}: no refusal says {rule:?}: {denied:?}"
                );
            }
        }
    });
}

fn xattr_absent(path: &Path) -> bool {
    let output = Command::new("python3")
        .args([
            "-c",
            "import os,sys; print('user.planted' in os.listxattr(sys.argv[1]))",
        ])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).trim() == "False"
}

/// Plants, in every place git takes configuration or commands from, a
/// `core.fsmonitor` (run by every `git status`) or a hook that touches the
/// marker; afterwards unconfined git runs in each place the user might.
#[test]
fn nothing_git_runs_or_reads_as_configuration_can_be_planted() {
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            let marker = env.home.join("PLANTED-RAN");
            // The user's own setup: hooks in a directory core.hooksPath
            // names, a config file included from the work tree, a
            // submodule-style gitfile.
            for setting in [
                ["core.hooksPath", "myhooks"],
                ["include.path", "../shared.gitconfig"],
                ["alias.up", "!scripts/up.sh --all"],
            ] {
                let set = unconfined_git(env, &env.repo, &["config", setting[0], setting[1]]);
                assert!(set.status.success(), "{}", all_output(&set));
            }
            std::fs::create_dir_all(env.repo.join("myhooks")).unwrap();
            std::fs::create_dir_all(env.repo.join("scripts")).unwrap();
            std::fs::write(env.repo.join("scripts/up.sh"), "#!/bin/sh\ntrue\n").unwrap();
            set_mode(&env.repo.join("scripts/up.sh"), 0o755);
            std::fs::write(env.repo.join("shared.gitconfig"), "[user]\n\tname = T\n").unwrap();
            std::fs::create_dir_all(env.repo.join("vendor/lib")).unwrap();
            std::fs::write(
                env.repo.join("vendor/lib/.git"),
                "gitdir: ../../.git/modules/lib\n",
            )
            .unwrap();
            // A blob the session would swap for another (a replace ref).
            let workflow = unconfined_git(
                env,
                &env.repo,
                &["hash-object", "-w", ".github/workflows/ci.yml"],
            );
            let workflow = String::from_utf8(workflow.stdout)
                .unwrap()
                .trim()
                .to_string();
            assert_eq!(workflow.len(), 40, "{workflow:?}");
            env.give(&env.repo);
            let plant = format!("[core]\n\tfsmonitor = touch {}\n", marker.display());
            let evil = "$(echo evil | git hash-object -w --stdin)";
            let hook = format!("#!/bin/sh\ntouch {}\n", marker.display());
            let attacks = [
                // .git/config, directly and the way git writes it.
                format!("printf '{plant}' >> .git/config"),
                format!("git config core.fsmonitor 'touch {}'", marker.display()),
                // What the names resolve to: .git moved, replaced, redirected.
                "mv .git .git-old".to_string(),
                "rm -rf .git/hooks .git/info".to_string(),
                "echo ../evil > .git/commondir".to_string(),
                format!("printf '{plant}' > .git/config.worktree"),
                "mkdir -p .git/modules/x".to_string(),
                "ln -s ../shared.gitconfig .git/cfg && mv .git/cfg .git/config".to_string(),
                // A nested repository, a gitfile, a bare repository.
                format!("mkdir -p sub && git init -q sub && printf '{plant}' >> sub/.git/config"),
                "echo 'gitdir: ../evil' > vendor/lib/.git".to_string(),
                format!(
                    "mkdir -p bare/objects bare/refs && echo 'ref: refs/heads/main' > bare/HEAD && printf '{plant}' > bare/config"
                ),
                // Hooks: the hooksPath directory, hook managers, the config
                // file git includes.
                format!("printf '{hook}' > myhooks/pre-commit && chmod +x myhooks/pre-commit"),
                format!("printf '{plant}' >> shared.gitconfig"),
                // A script a `!` alias of the user's runs.
                format!("printf '{hook}' > scripts/up.sh"),
                // Another object's content for a blob: a replace ref, loose,
                // in packed-refs written in place, or renamed into place.
                format!("git replace {workflow} {evil}"),
                format!("echo \"{evil} refs/replace/{workflow}\" >> .git/packed-refs"),
                format!(
                    "git pack-refs --all && cp .git/packed-refs .git/packed-refs.lock && \
                     echo \"{evil} refs/replace/{workflow}\" >> .git/packed-refs.lock && \
                     mv .git/packed-refs.lock .git/packed-refs"
                ),
                "echo 'repos: []' > .pre-commit-config.yaml".to_string(),
                // A resolution rerere would write at the user's next merge.
                "mkdir -p .git/rr-cache/0123 && echo evil > .git/rr-cache/0123/postimage"
                    .to_string(),
                "mkdir -p .husky && echo 'touch x' > .husky/pre-commit".to_string(),
                // CI, existing and missing.
                "echo evil >> .github/workflows/ci.yml".to_string(),
                "mkdir -p .circleci && echo evil > .circleci/config.yml".to_string(),
                "mkdir -p .github/actions/x && echo evil > .github/actions/x/action.yml"
                    .to_string(),
            ];
            let battery = Battery {
                attacks: &attacks,
                work: &[],
            };
            battery.run(env, mode);

            // What the user does next, unconfined, wherever they may be.
            for dir in [
                env.repo.clone(),
                env.repo.join("sub"),
                env.repo.join("bare"),
                env.repo.join("vendor/lib"),
            ] {
                if dir.is_dir() {
                    let _ = unconfined_git(env, &dir, &["status"]);
                }
            }
            let shown = unconfined_git(env, &env.repo, &["cat-file", "-p", &workflow]);
            assert_eq!(
                String::from_utf8_lossy(&shown.stdout),
                "on: push\n",
                "{mode:?}"
            );
            let alias = unconfined_git(env, &env.repo, &["up"]);
            assert!(alias.status.success(), "{}", all_output(&alias));
            let commit =
                unconfined_git(env, &env.repo, &["commit", "--allow-empty", "-qm", "after"]);
            assert!(commit.status.success(), "{}", all_output(&commit));
            assert!(!marker.exists(), "{mode:?}: a planted command ran");
            assert!(env.repo.join(".git/hooks").is_dir() && env.repo.join(".git/info").is_dir());
            assert!(!env.repo.join(".git/commondir").exists());
            assert!(!env.repo.join("sub/.git").exists());
            assert!(!env.repo.join("bare/HEAD").exists());
            assert!(!env.repo.join(".circleci").exists());
            assert!(!env.repo.join(".git/rr-cache").exists());
            assert_eq!(
                std::fs::read_to_string(env.repo.join("vendor/lib/.git")).unwrap(),
                "gitdir: ../../.git/modules/lib\n"
            );
            assert_eq!(
                std::fs::read_to_string(env.repo.join(".github/workflows/ci.yml")).unwrap(),
                "on: push\n"
            );

            // Each refusal is on record with its rule.
            let (_, records) = env.last_log();
            let refusals = records
                .iter()
                .filter(|r| r["kind"] == "denied" && r["by"] == "guard")
                .count();
            assert!(refusals >= attacks.len(), "{mode:?}: {refusals} refusals");
        }
    });
}

/// The ordinary work git does in a repository, inside a session next to all
/// of the above: it must all succeed, the repository's own hook included.
#[test]
fn ordinary_git_work_succeeds_next_to_the_protection() {
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            let remote = env.repo.parent().unwrap().join("remote.git");
            let remote_text = remote.display().to_string();
            let repo_text = env.repo.display().to_string();
            let cloned = unconfined_git(
                env,
                env.repo.parent().unwrap(),
                &["clone", "-q", "--bare", &repo_text, &remote_text],
            );
            assert!(cloned.status.success(), "{}", all_output(&cloned));
            let branched = unconfined_git(env, &remote, &["branch", "-q", "upstream-work"]);
            assert!(branched.status.success(), "{}", all_output(&branched));
            std::fs::write(
                env.repo.join(".git/hooks/pre-commit"),
                "#!/bin/sh\necho OWN-HOOK-RAN\n",
            )
            .unwrap();
            env.give(&env.repo);
            let script = format!(
                "set -e; git checkout -qb feature; echo a > a.txt; git add -A; git commit -qm a; \
                 git switch -q main; echo b > b.txt; git add b.txt; git commit -qm b; \
                 git branch -q other; git merge -q --no-edit feature; \
                 git switch -q feature; echo c > c.txt; git add c.txt; git commit -qm c; git rebase -q main; \
                 echo d >> a.txt; git stash -q; git stash pop -q; git commit -qam d; \
                 git tag v1; git tag -a v2 -m v2; git gc -q; git fetch -q {remote_text} upstream-work; \
                 git cherry-pick -q other 2>/dev/null || true; git log --oneline | wc -l; echo GIT-WORK-DONE"
            );
            let mut extra = mode.to_vec();
            extra.extend(["--allow-read", &remote_text]);
            let output = env.run_script(&extra, &script);
            let text = all_output(&output);
            assert!(text.contains("GIT-WORK-DONE"), "{mode:?}: {text}");
            assert!(text.contains("OWN-HOOK-RAN"), "{mode:?}: {text}");
            assert!(!text.contains("Permission denied"), "{mode:?}: {text}");
            let status = unconfined_git(env, &env.repo, &["fsck", "--no-progress"]);
            assert!(status.status.success(), "{}", all_output(&status));
        }
    });
}

/// A racing thread that flips a path between a file of the repository and
/// `.git/config` while another appends through it never reaches the config:
/// the supervisor opens what it judged.
#[test]
fn a_racing_thread_cannot_redirect_a_checked_write() {
    for_each_identity(|env| {
        for mode in MODES {
            let config = std::fs::read_to_string(env.repo.join(".git/config")).unwrap();
            std::fs::write(env.repo.join("notes.txt"), "").unwrap();
            env.give(&env.repo.join("notes.txt"));
            let script = format!(
                "{} append_race {} {} 3000",
                probe().display(),
                env.repo.join("notes.txt").display(),
                env.repo.join(".git/config").display()
            );
            let output = env.run_script(mode, &script);
            let text = all_output(&output);
            assert!(text.contains("ok "), "{mode:?}: {text}");
            assert_eq!(
                std::fs::read_to_string(env.repo.join(".git/config")).unwrap(),
                config,
                "{mode:?}"
            );
            let notes = std::fs::read_to_string(env.repo.join("notes.txt")).unwrap();
            assert!(
                notes.contains("raced"),
                "{mode:?}: the allowed writes happened"
            );
        }
    });
}
