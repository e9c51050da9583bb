//! Shared caches: a session writes them through a private layer, and only
//! downloads guard verifies reach the real cache. The fixture is a faithful
//! cargo registry cache (index entry, `.crate`, extracted sources) and npm
//! cache, in the fixture's home.

use crate::support::*;
use sha2::Digest;
use std::path::{Path, PathBuf};
use std::process::Command;

const MODES: [&[&str]; 2] = [&[], &["--no-namespaces"]];
/// The directory cargo gives crates.io's sparse index.
const CRATES_IO: &str = "index.crates.io-1949cf8c6b5b557f";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A crates.io cache holding `guard-tiny` 1.0.0 (downloaded and extracted,
/// as cargo leaves it) and the index entries of `guard-tiny2` (whose crate
/// is not downloaded yet) and `guard-tiny3` (whose checksum no tampered
/// file will match). Returns the registry directory and guard-tiny2's crate.
fn cargo_fixture(env: &TestEnv) -> (PathBuf, Vec<u8>) {
    let registry = env.home.join(".cargo/registry");
    let package = |name: &str| -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(format!("{name}-1.0.0"));
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(
            root.join("Cargo.toml"),
            format!("[package]\nname = \"{name}\"\nversion = \"1.0.0\"\nedition = \"2021\"\n"),
        )
        .unwrap();
        std::fs::write(root.join("src/lib.rs"), "pub fn tiny() -> u8 { 1 }\n").unwrap();
        let output = Command::new("tar")
            .args(["czf", "-", "-C"])
            .arg(dir.path())
            .arg(format!("{name}-1.0.0"))
            .output()
            .unwrap();
        assert!(output.status.success());
        output.stdout
    };
    let cache = registry.join("cache").join(CRATES_IO);
    let src = registry.join("src").join(CRATES_IO);
    let index = registry.join("index").join(CRATES_IO);
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        index.join("config.json").tap_parent(),
        "{\"dl\": \"https://static.crates.io/crates\", \"api\": \"https://crates.io\"}",
    )
    .unwrap();
    let mut second = Vec::new();
    for name in ["guard-tiny", "guard-tiny2", "guard-tiny3"] {
        let bytes = package(name);
        let entry = format!(
            "{{\"name\":\"{name}\",\"vers\":\"1.0.0\",\"deps\":[],\"cksum\":\"{}\",\"features\":{{}},\"yanked\":false}}",
            hex(&sha2::Sha256::digest(&bytes))
        );
        let mut cached = vec![3u8, 2, 0, 0, 0];
        cached.extend_from_slice(b"etag\x001.0.0\x00");
        cached.extend_from_slice(entry.as_bytes());
        cached.push(0);
        std::fs::write(index.join(".cache/gu/ar").join(name).tap_parent(), cached).unwrap();
        match name {
            "guard-tiny" => {
                std::fs::write(cache.join("guard-tiny-1.0.0.crate"), &bytes).unwrap();
                let extracted = src.join("guard-tiny-1.0.0");
                std::fs::create_dir_all(extracted.join("src")).unwrap();
                std::fs::write(
                    extracted.join("Cargo.toml"),
                    "[package]\nname = \"guard-tiny\"\nversion = \"1.0.0\"\nedition = \"2021\"\n",
                )
                .unwrap();
                std::fs::write(extracted.join("src/lib.rs"), "pub fn tiny() -> u8 { 1 }\n")
                    .unwrap();
                std::fs::write(extracted.join(".cargo-ok"), "{\"v\":1}").unwrap();
            }
            "guard-tiny2" => second = bytes,
            _ => {}
        }
    }
    (registry, second)
}

trait TapParent {
    fn tap_parent(self) -> Self;
}

impl TapParent for PathBuf {
    /// Creates the path's parent directory, and gives the path back.
    fn tap_parent(self) -> PathBuf {
        std::fs::create_dir_all(self.parent().unwrap()).unwrap();
        self
    }
}

/// The cargo a test can run unconfined as root: rustup's, with root's
/// toolchains (an unprivileged uid cannot read them).
fn cargo_for_root() -> Option<PathBuf> {
    let cargo = PathBuf::from("/root/.cargo/bin/cargo");
    (nix::unistd::getuid().is_root() && cargo.exists()).then_some(cargo)
}

#[test]
fn edits_of_shared_caches_never_reach_them_and_verified_downloads_do() {
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            let (registry, second_crate) = cargo_fixture(env);
            let npx_tool = env.home.join(".npm/_npx/abc/node_modules/tool/index.js");
            std::fs::write(npx_tool.clone().tap_parent(), "console.log('original')\n").unwrap();
            std::fs::create_dir_all(env.home.join(".cache/pip")).unwrap();
            std::fs::write(env.repo.join("tiny2.crate"), &second_crate).unwrap();
            env.give(&env.home);
            env.give(env.repo.parent().unwrap());
            let marker = env.home.join("BUILD-SCRIPT-RAN");
            let hello = hex(&sha2::Sha512::digest(b"hello"));
            let content = |hash: &str| {
                format!(
                    "_cacache/content-v2/sha512/{}/{}/{}",
                    &hash[..2],
                    &hash[2..4],
                    &hash[4..]
                )
            };
            let fake = hex(&sha2::Sha512::digest(b"something else"));
            let profile = env.profile_file(
                "cachework",
                "extends = [\"assistant\"]\n[scan]\non_start = \"off\"\n",
            );
            let script = format!(
                "REG=${{CARGO_HOME:-$HOME/.cargo}}/registry; NPM=${{npm_config_cache:-$HOME/.npm}}; \
                 printf 'fn main() {{ std::fs::write(\"{marker}\", \"ran\").unwrap(); }}' > $HOME/.cargo/registry/src/{CRATES_IO}/guard-tiny-1.0.0/build.rs; \
                 echo \"console.log('planted')\" > $HOME/.npm/_npx/abc/node_modules/tool/index.js; \
                 echo planted > $HOME/.cache/pip/planted; \
                 mkdir -p $REG/cache/{CRATES_IO} && cp {tiny2} $REG/cache/{CRATES_IO}/guard-tiny2-1.0.0.crate; \
                 echo tampered > $REG/cache/{CRATES_IO}/guard-tiny3-1.0.0.crate; \
                 mkdir -p $(dirname $NPM/{good}) $(dirname $NPM/{bad}) && printf hello > $NPM/{good} && printf evil > $NPM/{bad}; \
                 echo CACHE-WORK-DONE",
                marker = marker.display(),
                tiny2 = env.repo.join("tiny2.crate").display(),
                good = content(&hello),
                bad = content(&fake),
            );
            let mut args = vec!["-p", profile.to_str().unwrap()];
            args.extend_from_slice(mode);
            let output = env.run_script(&args, &script);
            let text = all_output(&output);
            assert!(text.contains("CACHE-WORK-DONE"), "{mode:?}: {text}");

            // The real caches are as before, but for what guard verified.
            let src = registry
                .join("src")
                .join(CRATES_IO)
                .join("guard-tiny-1.0.0");
            assert!(!src.join("build.rs").exists(), "{mode:?}: {text}");
            assert_eq!(
                std::fs::read_to_string(&npx_tool).unwrap(),
                "console.log('original')\n"
            );
            assert!(!env.home.join(".cache/pip/planted").exists(), "{mode:?}");
            let cache = registry.join("cache").join(CRATES_IO);
            assert_eq!(
                std::fs::read(cache.join("guard-tiny2-1.0.0.crate")).ok(),
                Some(second_crate.clone()),
                "{mode:?}: a crate the index vouches for is merged back: {text}"
            );
            assert!(!cache.join("guard-tiny3-1.0.0.crate").exists(), "{mode:?}");
            let npm = env.home.join(".npm");
            assert_eq!(
                std::fs::read(npm.join(content(&hello))).ok(),
                Some(b"hello".to_vec()),
                "{mode:?}"
            );
            assert!(!npm.join(content(&fake)).exists(), "{mode:?}");
            let (_, records) = env.last_log();
            let merges: Vec<_> = records
                .iter()
                .filter(|r| r["kind"] == "cache_merge")
                .collect();
            let merged: u64 = merges.iter().map(|r| r["merged"].as_u64().unwrap()).sum();
            let dropped: u64 = merges.iter().map(|r| r["dropped"].as_u64().unwrap()).sum();
            assert_eq!(merged, 2, "{mode:?}: {merges:?}");
            assert!(dropped >= 2, "{mode:?}: {merges:?}");

            // The user's next unconfined build of another project.
            if let Some(cargo) = cargo_for_root().filter(|_| env.identity == Identity::Root) {
                let consumer = env.repo.parent().unwrap().join("consumer");
                std::fs::create_dir_all(consumer.join("src")).unwrap();
                std::fs::write(
                    consumer.join("Cargo.toml"),
                    "[package]\nname = \"consumer\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[dependencies]\nguard-tiny = \"1\"\n",
                )
                .unwrap();
                std::fs::write(
                    consumer.join("src/main.rs"),
                    "fn main() { println!(\"{}\", guard_tiny::tiny()); }\n",
                )
                .unwrap();
                let built = Command::new(cargo)
                    .args(["run", "-q", "--offline"])
                    .current_dir(&consumer)
                    .env("CARGO_HOME", env.home.join(".cargo"))
                    .env("RUSTUP_HOME", "/root/.rustup")
                    .env("CARGO_TARGET_DIR", consumer.join("target"))
                    .output()
                    .unwrap();
                assert!(built.status.success(), "{}", all_output(&built));
                assert!(!marker.exists(), "{mode:?}: the planted build script ran");
            }
            assert!(!Path::new(&marker).exists());
        }
    });
}
