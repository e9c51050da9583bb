//! Indexes as git writes them (the real git, in a scratch repository).

use super::*;
use std::borrow::Cow;
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// A committed repository with a protected `.github/` (so its index has a
/// valid cache tree).
fn repository(init: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut args = vec!["init", "-q"];
    args.extend_from_slice(init);
    git(root, &args);
    std::fs::create_dir_all(root.join(".github/workflows")).unwrap();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join(".github/workflows/ci.yml"), "on: push\n").unwrap();
    std::fs::write(root.join("src/lib.rs"), "// lib\n").unwrap();
    std::fs::write(root.join("README.md"), "hello\n").unwrap();
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "init"]);
    dir
}

fn index(root: &Path) -> Vec<u8> {
    std::fs::read(root.join(".git/index")).unwrap()
}

/// A work tree whose `.github/` is protected, read as it is on disk.
struct Tree<'a>(&'a Path);

impl WorkTree for Tree<'_> {
    fn protected(&self, path: &[u8]) -> Option<String> {
        path.starts_with(b".github/")
            .then(|| format!("{} is protected", String::from_utf8_lossy(path)))
    }

    fn file(&self, path: &[u8]) -> WorkTreeFile {
        use std::os::unix::fs::PermissionsExt;
        let path = self.0.join(String::from_utf8_lossy(path).as_ref());
        match std::fs::symlink_metadata(&path) {
            Err(_) => WorkTreeFile::Missing,
            Ok(status) if status.is_file() => WorkTreeFile::Regular {
                executable: status.permissions().mode() & 0o100 != 0,
                content: std::fs::read(&path).unwrap(),
            },
            Ok(_) => WorkTreeFile::Other,
        }
    }
}

/// Nothing is protected.
struct Unprotected;

impl WorkTree for Unprotected {
    fn protected(&self, _: &[u8]) -> Option<String> {
        None
    }

    fn file(&self, _: &[u8]) -> WorkTreeFile {
        WorkTreeFile::Missing
    }
}

/// Stages `content` at `path` without touching the work tree.
fn stage(root: &Path, path: &str, content: &str) {
    std::fs::write(root.join("blob"), content).unwrap();
    let blob = git(root, &["hash-object", "-w", "blob"]);
    std::fs::remove_file(root.join("blob")).unwrap();
    git(
        root,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("100644,{blob},{path}"),
        ],
    );
}

#[test]
fn staging_a_protected_path_is_refused_in_every_index_version() {
    for version in ["2", "3", "4"] {
        let repo = repository(&[]);
        let root = repo.path();
        git(root, &["update-index", "--index-version", version]);
        let before = index(root);
        stage(root, "src/lib.rs", "// work\n");
        let work = index(root);
        assert!(
            verify(&work, Some(&before), ObjectFormat::Sha1, &Tree(root)).is_ok(),
            "version {version}"
        );
        for planted in [".github/workflows/ci.yml", ".github/workflows/new.yml"] {
            stage(root, planted, "on: evil\n");
            let error =
                verify(&index(root), Some(&work), ObjectFormat::Sha1, &Tree(root)).unwrap_err();
            assert!(error.contains(planted), "version {version}: {error}");
            git(root, &["read-tree", "HEAD"]);
        }
        git(root, &["rm", "-q", "--cached", ".github/workflows/ci.yml"]);
        let error =
            verify(&index(root), Some(&before), ObjectFormat::Sha1, &Tree(root)).unwrap_err();
        assert!(error.contains("removes the staged .github"), "{error}");
    }
}

/// What the user changed in a protected file themselves (which the session
/// cannot change) may be staged, and the removal of one they removed.
#[test]
fn the_work_tree_as_it_is_may_be_staged() {
    use std::os::unix::fs::PermissionsExt;
    let repo = repository(&[]);
    let root = repo.path();
    let workflow = root.join(".github/workflows/ci.yml");
    let before = index(root);
    std::fs::write(&workflow, "on: pull_request\n").unwrap();
    git(root, &["add", "-A"]);
    let edited = index(root);
    assert!(verify(&edited, Some(&before), ObjectFormat::Sha1, &Tree(root)).is_ok());
    // The right content, but an execute bit the file does not have.
    let blob = git(root, &["hash-object", "-w", ".github/workflows/ci.yml"]);
    git(
        root,
        &[
            "update-index",
            "--cacheinfo",
            &format!("100755,{blob},.github/workflows/ci.yml"),
        ],
    );
    assert!(verify(&index(root), Some(&edited), ObjectFormat::Sha1, &Tree(root)).is_err());
    std::fs::set_permissions(&workflow, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(verify(&index(root), Some(&edited), ObjectFormat::Sha1, &Tree(root)).is_ok());
    // A new repository's first index, with the user's protected files.
    std::fs::remove_file(root.join(".git/index")).unwrap();
    git(root, &["add", "-A"]);
    assert!(verify(&index(root), None, ObjectFormat::Sha1, &Tree(root)).is_ok());
    // A file the user removed.
    let added = index(root);
    std::fs::remove_file(&workflow).unwrap();
    git(root, &["add", "-A"]);
    assert!(verify(&index(root), Some(&added), ObjectFormat::Sha1, &Tree(root)).is_ok());
}

#[test]
fn skip_worktree_on_a_protected_path_is_a_change() {
    let repo = repository(&[]);
    let root = repo.path();
    let before = index(root);
    git(
        root,
        &[
            "update-index",
            "--skip-worktree",
            ".github/workflows/ci.yml",
        ],
    );
    let error = verify(&index(root), Some(&before), ObjectFormat::Sha1, &Tree(root)).unwrap_err();
    assert!(
        error.contains("stages for .github/workflows/ci.yml what the work tree does not have"),
        "{error}"
    );
}

#[test]
fn an_unchanged_cache_tree_is_kept_and_a_new_tree_name_is_made_invalid() {
    let repo = repository(&[]);
    let root = repo.path();
    let before = index(root);
    // git's own refresh: same entries, same trees.
    assert_eq!(
        verify(&before, Some(&before), ObjectFormat::Sha1, &Tree(root)),
        Ok(None)
    );
    // A planted tree for the root, the entries left as they were.
    let old = Index::parse(&before, ObjectFormat::Sha1).unwrap();
    let mut trees = old.cache_tree(ObjectFormat::Sha1).unwrap();
    assert!(
        trees.len() >= 3 && trees.iter().all(|node| node.entries >= 0),
        "{trees:?}"
    );
    trees[0].oid = Some(vec![0x11; 20]);
    let planted = old.with_cache_tree(&trees, ObjectFormat::Sha1);
    let placed = verify(&planted, Some(&before), ObjectFormat::Sha1, &Tree(root))
        .unwrap()
        .expect("the planted root is made invalid");
    let placed_index = Index::parse(&placed, ObjectFormat::Sha1).unwrap();
    let placed_trees = placed_index.cache_tree(ObjectFormat::Sha1).unwrap();
    assert_eq!(placed_trees[0].entries, -1);
    assert_eq!(placed_trees[0].oid, None);
    assert_eq!(placed_trees[1..], trees[1..], "the other trees stay");
    assert_eq!(placed_index.entries, old.entries);
    // git reads what was put in place, and writes the real tree again.
    std::fs::write(root.join(".git/index"), &placed).unwrap();
    let real = git(root, &["rev-parse", "HEAD^{tree}"]);
    assert_eq!(git(root, &["write-tree"]), real);
    // Without an index before, no tree name is taken on trust.
    let fresh = verify(&before, None, ObjectFormat::Sha1, &Unprotected)
        .unwrap()
        .unwrap();
    let fresh = Index::parse(&fresh, ObjectFormat::Sha1).unwrap();
    assert!(
        fresh
            .cache_tree(ObjectFormat::Sha1)
            .unwrap()
            .iter()
            .all(|node| node.entries < 0)
    );
}

#[test]
fn sha256_repositories_are_read_with_their_own_names() {
    let repo = repository(&["--object-format=sha256"]);
    let root = repo.path();
    let before = index(root);
    stage(root, "README.md", "work\n");
    assert!(
        verify(
            &index(root),
            Some(&before),
            ObjectFormat::Sha256,
            &Tree(root)
        )
        .is_ok()
    );
    stage(root, ".github/workflows/ci.yml", "on: evil\n");
    assert!(
        verify(
            &index(root),
            Some(&before),
            ObjectFormat::Sha256,
            &Tree(root)
        )
        .is_err()
    );
}

#[test]
fn a_split_index_is_refused() {
    let repo = repository(&[]);
    let root = repo.path();
    let before = index(root);
    git(root, &["update-index", "--split-index"]);
    let error = verify(&index(root), Some(&before), ObjectFormat::Sha1, &Tree(root)).unwrap_err();
    assert!(error.contains("split index"), "{error}");
}

/// `body` with the checksum git would give it.
fn sealed(body: &[u8]) -> Vec<u8> {
    [body, &ObjectFormat::Sha1.digest(body)].concat()
}

#[test]
fn a_broken_index_is_refused_without_a_panic() {
    let repo = repository(&[]);
    let root = repo.path();
    git(root, &["update-index", "--index-version", "4"]);
    let content = index(root);
    let body = &content[..content.len() - 20];
    let mut corrupt = content.clone();
    *corrupt.last_mut().unwrap() ^= 1;
    let error = verify(&corrupt, Some(&content), ObjectFormat::Sha1, &Tree(root)).unwrap_err();
    assert!(error.contains("checksum"), "{error}");
    // Cut short or with a byte changed, the checksum made again: read or
    // refused, never a panic.
    for end in 0..body.len() {
        let _ = verify(
            &sealed(&body[..end]),
            Some(&content),
            ObjectFormat::Sha1,
            &Tree(root),
        );
    }
    for at in 0..body.len() {
        for flip in [0x01, 0x80, 0xff] {
            let mut changed = body.to_vec();
            changed[at] ^= flip;
            let changed = sealed(&changed);
            let _ = verify(&changed, Some(&content), ObjectFormat::Sha1, &Tree(root));
            let _ = verify(&content, Some(&changed), ObjectFormat::Sha1, &Tree(root));
        }
    }
}

#[test]
fn entries_pair_up_sorted_or_not() {
    let oid = [0u8; 20];
    let entry = |path: &'static str| Entry {
        path: Cow::Borrowed(path.as_bytes()),
        stage: 0,
        mode: REGULAR,
        oid: &oid,
        flags: 0,
    };
    let names = |pairs: Vec<(Option<&Entry<'_>>, Option<&Entry<'_>>)>| {
        let mut names: Vec<(Option<String>, Option<String>)> = pairs
            .into_iter()
            .map(|(new, old)| {
                let name = |e: &Entry<'_>| String::from_utf8_lossy(&e.path).into_owned();
                (new.map(name), old.map(name))
            })
            .collect();
        names.sort();
        names
    };
    let old = [entry("a"), entry("c")];
    let expected = vec![
        (None, Some("c".to_string())),
        (Some("a".to_string()), Some("a".to_string())),
        (Some("b".to_string()), None),
    ];
    assert_eq!(names(pairs(&[entry("a"), entry("b")], &old)), expected);
    assert_eq!(names(pairs(&[entry("b"), entry("a")], &old)), expected);
}

mod hostile_input {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Any bytes after a plausible header, with a right checksum:
        /// checked or refused, never a panic.
        #[test]
        fn any_index_is_checked_or_refused(
            version in 2u32..=4,
            count in 0u32..40,
            rest in proptest::collection::vec(any::<u8>(), 0..1500),
        ) {
            let mut body = b"DIRC".to_vec();
            body.extend_from_slice(&version.to_be_bytes());
            body.extend_from_slice(&count.to_be_bytes());
            body.extend_from_slice(&rest);
            let index = sealed(&body);
            let _ = verify(&index, None, ObjectFormat::Sha1, &Unprotected);
            let _ = verify(&index, Some(&index), ObjectFormat::Sha256, &Unprotected);
        }
    }
}
