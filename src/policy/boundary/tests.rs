use super::*;
use crate::policy::{EverywherePath, ProtectedAtTops, ProtectedEverywhere, ProtectionMechanism};
use std::path::PathBuf;

fn protection() -> Protection {
    Protection {
        index: Default::default(),
        mechanism: ProtectionMechanism::SupervisorAndMounts,
        paths: vec![
            ProtectedPath {
                path: "/r/.git".into(),
                exists: true,
                allow: vec![
                    "objects/**".into(),
                    "index".into(),
                    "*.lock".into(),
                    "HEAD".into(),
                ],
                because: "git".into(),
            },
            ProtectedPath {
                path: "/r/.github/workflows".into(),
                exists: true,
                allow: vec![],
                because: "CI".into(),
            },
        ],
        verified: Vec::new(),
        objects: None,
        at_tops: Vec::new(),
        everywhere: vec![ProtectedEverywhere {
            within: "/r".into(),
            paths: [".git", "HEAD", ".codex/config.toml"]
                .into_iter()
                .map(|path| EverywherePath {
                    components: path.split('/').map(str::to_string).collect(),
                    because: format!("`**/{path}`"),
                })
                .collect(),
        }],
    }
}

fn ok(change: Change<'_>) -> bool {
    protection().judge(change).is_ok()
}

#[test]
fn byte_and_component_comparisons_agree() {
    let cases = [
        ("/r/.git/config", "/r/.git"),
        ("/r/.git", "/r/.git"),
        ("/r/.gitx", "/r/.git"),
        ("/r/.git//config", "/r/.git"),
        ("/r/./.git/config", "/r/.git"),
        ("/r/.git/", "/r/.git"),
        ("/r", "/"),
        ("/", "/"),
        ("/r/a", "/r/a/b"),
    ];
    for (path, dir) in cases {
        let (path, dir) = (Path::new(path), Path::new(dir));
        let both_plain = is_plain(path) && is_plain(dir);
        assert_eq!(
            beneath(path, dir, both_plain),
            path.strip_prefix(dir).ok(),
            "{path:?} {dir:?}"
        );
    }
}

#[test]
fn patterns() {
    assert!(matches("objects/**", Path::new("objects")));
    assert!(matches("objects/**", Path::new("objects/ab/cd")));
    assert!(!matches("objects/**", Path::new("objectsx")));
    assert!(matches("*.lock", Path::new("config.lock")));
    assert!(!matches("*.lock", Path::new("hooks/x.lock")));
    assert!(matches("index.stash.*", Path::new("index.stash.123")));
    assert!(matches(
        "next-index-*.lock",
        Path::new("next-index-42.lock")
    ));
    assert!(!matches("next-index-*.lock", Path::new("next-index-42")));
    assert!(matches("a*b*c", Path::new("axxbyyc")));
    assert!(!matches("a*b*c", Path::new("axxbyy")));
    assert!(
        !matches("**", Path::new("anything")),
        "a bare ** allows nothing"
    );
    assert!(matches("t??????", Path::new("tIUfuxh")));
    assert!(!matches("t??????", Path::new("tIUfux")));
    assert!(!matches("t??????", Path::new("tIUfuxhh")));
    assert!(matches("a?c*", Path::new("abcdef")));
}

#[test]
fn protected_trees_allow_only_their_entries() {
    let git = PathBuf::from("/r/.git");
    assert!(ok(Change::Create(&git.join("objects/ab/cdef"))));
    assert!(ok(Change::Create(&git.join("index.lock"))));
    assert!(ok(Change::RenameFrom(&git.join("index.lock"))));
    assert!(ok(Change::RenameTo(&git.join("index"))));
    assert!(ok(Change::Write(&git.join("HEAD"))));
    assert!(
        !ok(Change::RenameTo(&git.join("config"))),
        "config.lock → config"
    );
    assert!(!ok(Change::Create(&git.join("commondir"))));
    assert!(!ok(Change::Create(&git.join("hooks/pre-commit"))));
    assert!(!ok(Change::Write(&git.join("config"))));
    assert!(!ok(Change::Metadata(&git.join("config"))));
    assert!(!ok(Change::LinkFrom(&git.join("config"))));
    assert!(!ok(Change::Remove(&git)), "the tree itself");
    assert!(!ok(Change::Create(&git)), "the tree itself, when missing");
}

/// Regression: a symbolic link at `.git/COMMIT_EDITMSG` made the user's
/// unconfined `git commit --amend` write the session's message through it,
/// outside the repository; a directory renamed into `objects/` brought
/// objects no check had seen.
#[test]
fn protected_trees_take_only_files_and_directories_made_in_place() {
    let git = PathBuf::from("/r/.git");
    let p = protection();
    let refusal = p
        .judge(Change::Special(&git.join("HEAD")))
        .expect_err("a link where git writes");
    assert!(
        refusal.rule.contains("takes no link or special file"),
        "{}",
        refusal.rule
    );
    assert!(!ok(Change::Special(&git.join("objects/zz"))));
    assert!(
        ok(Change::Special(Path::new("/r/src/link"))),
        "the work tree"
    );
    assert!(
        ok(Change::Create(&git.join("objects/ab"))),
        "a directory made in place"
    );
    // What a rename or link brings is checked by the supervisor on the
    // entry it moved: the tree is named for every path strictly inside.
    assert_eq!(
        p.tree_taking_files_only(&git.join("objects/ab"))
            .map(|t| &t.path),
        Some(&git)
    );
    assert!(p.tree_taking_files_only(&git).is_none(), "the tree itself");
    assert!(p.tree_taking_files_only(Path::new("/r/src/a")).is_none());
    // A directory moves away only with entries that may all change.
    assert!(p.judge_moving_directory(&git.join("objects/ab")).is_ok());
    let mut info = protection();
    info.paths[0].allow.push("info".into());
    info.paths[0].allow.push("info/refs".into());
    let refusal = info
        .judge_moving_directory(&git.join("info"))
        .expect_err("info/exclude would go with it");
    assert!(
        refusal.rule.contains("would move with it"),
        "{}",
        refusal.rule
    );
    assert!(p.judge_moving_directory(Path::new("/r/src")).is_ok());
    // guard's staging names are its own.
    assert!(!ok(Change::Create(&git.join("objects/.guard-1-2"))));
    assert!(!ok(Change::Remove(&git.join(".guard-1-2"))));
    assert!(
        ok(Change::Create(Path::new("/r/.guard-notes"))),
        "outside a tree"
    );
}

#[test]
fn directories_above_protected_paths_cannot_move() {
    for dir in ["/r", "/r/.github"] {
        let dir = Path::new(dir);
        assert!(!ok(Change::RenameFrom(dir)), "{}", dir.display());
        assert!(!ok(Change::RenameTo(dir)), "{}", dir.display());
        assert!(!ok(Change::Remove(dir)), "{}", dir.display());
        assert!(!ok(Change::Metadata(dir)), "{}", dir.display());
        assert!(ok(Change::Times(dir)), "{}", dir.display());
    }
    assert!(ok(Change::Create(Path::new("/r/.github/CODEOWNERS"))));
    assert!(ok(Change::RenameFrom(Path::new("/r/src"))));
    assert!(!ok(Change::RenameTo(Path::new("/r/.github/workflows"))));
    assert!(!ok(Change::Create(Path::new("/r/.github/workflows/x.yml"))));
}

#[test]
fn git_names_cannot_be_taken_anywhere_in_the_repository() {
    assert!(!ok(Change::Create(Path::new("/r/sub/.git"))));
    assert!(!ok(Change::Create(Path::new("/r/sub/.git/config"))));
    assert!(!ok(Change::Write(Path::new("/r/vendor/x/.git/config"))));
    assert!(!ok(Change::RenameTo(Path::new("/r/bare/HEAD"))));
    assert!(!ok(Change::Remove(Path::new("/r/sub/.git"))));
    assert!(ok(Change::Create(Path::new("/r/sub/.gitignore"))));
    assert!(ok(Change::Create(Path::new("/r/HEADER.md"))));
    assert!(ok(Change::Create(Path::new("/elsewhere/.git"))));
    let denial = protection()
        .judge(Change::Create(Path::new("/r/x/.git")))
        .unwrap_err();
    assert!(
        denial.rule.contains("`**/.git`, protected at every depth"),
        "{}",
        denial.rule
    );
}

#[test]
fn paths_protected_everywhere_cannot_be_made_redirected_or_moved_into_place() {
    assert!(!ok(Change::Create(Path::new("/r/a/b/.codex/config.toml"))));
    assert!(!ok(Change::Write(Path::new("/r/.codex/config.toml"))));
    // A link, or a directory moved, where one would then be.
    assert!(!ok(Change::Special(Path::new("/r/a/.codex"))));
    assert!(!ok(Change::RenameTo(Path::new("/r/a/.codex"))));
    assert!(!ok(Change::Metadata(Path::new("/r/a/.codex"))));
    // The directory itself, and what else it holds, are ordinary.
    assert!(ok(Change::Create(Path::new("/r/a/.codex"))));
    assert!(ok(Change::Create(Path::new("/r/a/.codex/notes.md"))));
    assert!(ok(Change::Create(Path::new("/r/a/config.toml"))));
    assert!(ok(Change::Create(Path::new(
        "/elsewhere/.codex/config.toml"
    ))));
    let denial = protection()
        .judge(Change::Special(Path::new("/r/a/.codex")))
        .unwrap_err();
    assert!(
        denial
            .rule
            .contains("a directory above `**/.codex/config.toml`"),
        "{}",
        denial.rule
    );
}

#[test]
fn in_an_own_only_tree_only_the_entries_the_session_made_change() {
    let protection = Protection {
        paths: vec![ProtectedPath {
            path: "/h/.claude".into(),
            exists: true,
            allow: vec!["own:shell-snapshots/**".into(), "history.jsonl".into()],
            because: "client".into(),
        }],
        ..protection()
    };
    let snapshot = Path::new("/h/.claude/shell-snapshots/snapshot-bash-1.sh");
    let (mine, theirs) = (|_: Whose| true, |_: Whose| false);
    assert!(
        protection
            .judge_owned(Change::Create(snapshot), &theirs, &|_| false)
            .is_ok()
    );
    for change in [
        Change::Write(snapshot),
        Change::Remove(snapshot),
        Change::RenameTo(snapshot),
        Change::Metadata(snapshot),
        Change::LinkFrom(snapshot),
    ] {
        assert!(
            protection.judge_owned(change, &mine, &|_| false).is_ok(),
            "{change:?}"
        );
        let denial = protection
            .judge_owned(change, &theirs, &|_| false)
            .unwrap_err();
        assert!(
            denial.rule.contains("another process made this one"),
            "{change:?}"
        );
    }
    let history = Path::new("/h/.claude/history.jsonl");
    assert!(
        protection
            .judge_owned(Change::Write(history), &theirs, &|_| false)
            .is_ok()
    );
    assert!(protection.ownership_matters(snapshot));
    assert!(!protection.ownership_matters(history));
    // Beneath the pattern's root, a new entry goes only into a directory
    // the session made: another session's directory of hook files, all of
    // which its client reads, takes none.
    let hook = Path::new("/h/.claude/shell-snapshots/other/sessionstart-hook-9.sh");
    // A new name: the entry is missing (so the session's), the directory not.
    let new_in_theirs = |whose: Whose| whose == Whose::Entry;
    for change in [Change::Create(hook), Change::RenameTo(hook)] {
        let denial = protection
            .judge_owned(change, &new_in_theirs, &|_| false)
            .unwrap_err();
        assert!(
            denial.rule.contains("directories a session made"),
            "{denial:?}"
        );
        assert!(
            protection.judge_owned(change, &mine, &|_| false).is_ok(),
            "{change:?}"
        );
    }
    let new_dir = Path::new("/h/.claude/shell-snapshots/mine");
    assert!(
        protection
            .judge_owned(Change::Create(new_dir), &theirs, &|_| false)
            .is_ok()
    );
    assert!(!protection.ownership_matters(Path::new("/r/src/main.rs")));
}

#[test]
fn a_directory_above_a_protected_path_cannot_become_a_link_or_change_mode() {
    assert!(!ok(Change::Special(Path::new("/r/.github"))));
    assert!(!ok(Change::Metadata(Path::new("/r/.github"))));
    assert!(!ok(Change::Metadata(Path::new("/r"))));
    assert!(!ok(Change::Times(Path::new("/r/.github/workflows"))));
    assert!(ok(Change::Times(Path::new("/r/.github"))));
    assert!(ok(Change::Create(Path::new("/r/.github"))));
    assert!(ok(Change::Special(Path::new("/r/docs"))));
    assert!(ok(Change::Metadata(Path::new("/r/src"))));
}

#[test]
fn the_index_judges_as_a_scan_of_every_protected_path_would() {
    let protection = protection();
    let mut paths = vec!["/", "/r", "/r/.git", "/r/x", "/other", "/r/.github"];
    paths.extend([
        "/r/.git/index",
        "/r/.git/config",
        "/r/.git/objects/ab/cd",
        "/r/.gitx",
    ]);
    paths.extend([
        "/r/.github/workflows/ci.yml",
        "/r/a/.git",
        "/r/a/HEAD",
        "/r/.git/HEAD",
    ]);
    paths.extend([
        "/r//.git/config",
        "/r/./.git/hooks",
        "/r/.git/../.git/config",
    ]);
    for path in paths {
        let path = Path::new(path);
        for change in [
            Change::Create(path),
            Change::Write(path),
            Change::Remove(path),
            Change::RenameFrom(path),
            Change::RenameTo(path),
            Change::LinkFrom(path),
            Change::Metadata(path),
            Change::Times(path),
            Change::Special(path),
        ] {
            assert_eq!(
                protection.judge(change),
                protection.judge_among(change, &|_| false, &|_| false, true),
                "{change:?}"
            );
        }
    }
}

#[test]
fn paths_protected_at_work_tree_tops_are_refused_only_at_a_top() {
    let mut protection = protection();
    let paths = [".husky", ".github/workflows"]
        .into_iter()
        .map(|path| EverywherePath {
            components: path.split('/').map(str::to_string).collect(),
            because: format!("`{path}`"),
        })
        .collect();
    protection.at_tops = vec![ProtectedAtTops::new("/r".into(), paths)];
    let is_top = |dir: &Path| dir == Path::new("/r/clone");
    let judge = |change| protection.judge_owned(change, &|_| false, &is_top);
    for refused in [
        Change::Create(Path::new("/r/clone/.husky")),
        Change::Create(Path::new("/r/clone/.husky/_/pre-commit")),
        Change::Write(Path::new("/r/clone/.github/workflows/ci.yml")),
        Change::RenameTo(Path::new("/r/clone/.husky")),
        // Moving the directory above one makes or unmakes it.
        Change::RenameFrom(Path::new("/r/clone/.github")),
        Change::Remove(Path::new("/r/clone/.github")),
    ] {
        let denial = judge(refused).unwrap_err();
        assert!(
            denial.rule.contains("top of the work tree /r/clone"),
            "{denial:?}"
        );
    }
    for allowed in [
        // Where no work tree has its top, and beneath a top's other names.
        Change::Create(Path::new("/r/notes/.husky/_/pre-commit")),
        Change::Create(Path::new("/r/clone/src/.husky")),
        Change::Create(Path::new("/r/clone/.github/other.yml")),
        Change::Write(Path::new("/r/clone/.github")),
        // The repository's own top is its protected paths' to judge.
        Change::Create(Path::new("/r/.husky")),
        // Moving the top itself: what is protected moves with it.
        Change::RenameFrom(Path::new("/r/clone")),
    ] {
        assert!(judge(allowed).is_ok(), "{allowed:?}");
    }
}
