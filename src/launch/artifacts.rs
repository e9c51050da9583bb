//! Which files of a cache layer guard can vouch for: content-addressed
//! downloads whose content matches an address no session chose.
//!
//! - npm's cacache (`_cacache/content-v2/ALGO/xx/yy/rest`) and pnpm's store
//!   (`store/vN/files/xx/rest`, `-exec` for executables) name each file by
//!   the hash of its content: a file that hashes to its own name is exactly
//!   what any later reader asks for by that hash.
//! - cargo names a downloaded crate by name and version
//!   (`cache/REGISTRY/NAME-VERSION.crate`) and never checks it again when it
//!   is in the cache: it is vouched for only when its SHA-256 is the
//!   checksum the registry index gives that version, in the index cache
//!   cargo fetched outside the session (the real cache, which the session
//!   could not write).
//!
//! Everything else (indexes, metadata, extracted sources, installed trees,
//! built wheels) is what a session could forge, and is not merged.

use sha2::Digest;
use std::io::Read;
use std::path::{Component, Path};

/// Why a file of a cache's private layer is not merged back.
#[derive(Debug, thiserror::Error)]
pub enum Unverified {
    /// Not where a cache files content under its hash.
    #[error("not a download guard can verify by its content")]
    NotContentAddressed,
    /// Under a cacache or pnpm content directory, but not a content path.
    #[error("not a {0} content path")]
    NotAContentPath(&'static str),
    /// pnpm's index and metadata files, named like content.
    #[error("pnpm store metadata, not content")]
    PnpmMetadata,
    /// A hash algorithm guard does not compute.
    #[error("cacache algorithm {0} is not one guard checks")]
    UnknownAlgorithm(String),
    /// A crate with no checksum in the index cargo had before the session.
    #[error("no checksum for {0} in the index cargo fetched before the session")]
    NoChecksum(String),
    /// The file could not be read.
    #[error("unreadable: {0}")]
    Unreadable(#[source] std::io::Error),
    /// The content is not what its name says.
    #[error("its content does not match the hash it is filed under")]
    Mismatch,
}

/// `Ok` when a file is vouched for, else why not.
pub type Verdict = Result<(), Unverified>;

/// Judges the file at `file`, found at `relative` in the layer of the cache
/// whose real directory is `cache`.
pub fn verify(cache: &Path, relative: &Path, file: &Path) -> Verdict {
    let names: Vec<String> = relative
        .components()
        .filter_map(|component| match component {
            Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    if let Some(at) = names
        .windows(2)
        .position(|w| w == ["_cacache", "content-v2"])
    {
        return cacache(&names[at + 2..], file);
    }
    if let Some(at) = names.iter().position(|name| *name == "files")
        && at > 0
        && names[at - 1].starts_with('v')
        && names[..at].contains(&"store")
    {
        return pnpm(&names[at + 1..], file);
    }
    if let ["cache", registry, crate_file] = names.as_slice()
        && crate_file.ends_with(".crate")
    {
        return cargo_crate(cache, registry, crate_file, file);
    }
    Err(Unverified::NotContentAddressed)
}

/// `ALGO/xx/yy/rest`: the hex digest of the content under that algorithm.
fn cacache(rest: &[&str], file: &Path) -> Verdict {
    let [algo, first, second, last] = rest else {
        return Err(Unverified::NotAContentPath("cacache"));
    };
    let expected = format!("{first}{second}{last}");
    let actual = match *algo {
        "sha512" => digest::<sha2::Sha512>(file)?,
        "sha256" => digest::<sha2::Sha256>(file)?,
        other => return Err(Unverified::UnknownAlgorithm(other.to_string())),
    };
    matching(&expected, &actual)
}

/// `xx/rest[-exec]`: the SHA-512 of the content, in hex.
fn pnpm(rest: &[&str], file: &Path) -> Verdict {
    let [first, last] = rest else {
        return Err(Unverified::NotAContentPath("pnpm store"));
    };
    let last = last.strip_suffix("-exec").unwrap_or(last);
    if last.contains('-') || last.contains('.') {
        return Err(Unverified::PnpmMetadata);
    }
    matching(&format!("{first}{last}"), &digest::<sha2::Sha512>(file)?)
}

/// `NAME-VERSION.crate` against the registry index cargo cached before.
fn cargo_crate(cache: &Path, registry: &str, crate_file: &str, file: &Path) -> Verdict {
    let stem = crate_file.trim_end_matches(".crate");
    let index = cache.join("index").join(registry).join(".cache");
    // Names may contain `-`, versions too (pre-releases): try every split
    // whose version starts with a digit, as the index has them.
    for (at, _) in stem.match_indices('-') {
        let (name, version) = (&stem[..at], &stem[at + 1..]);
        if !version.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let Ok(bytes) = std::fs::read(index.join(dep_path(&name.to_lowercase()))) else {
            continue;
        };
        if let Some(checksum) = index_checksum(&bytes, version) {
            return matching(&checksum, &digest::<sha2::Sha256>(file)?);
        }
    }
    Err(Unverified::NoChecksum(stem.to_string()))
}

/// Where cargo keeps a crate's index entry (`cargo_util::registry::make_dep_path`).
fn dep_path(name: &str) -> String {
    match name.len() {
        1 => format!("1/{name}"),
        2 => format!("2/{name}"),
        3 => format!("3/{}/{name}", &name[..1]),
        _ => format!("{}/{}/{name}", &name[..2], &name[2..4]),
    }
}

/// The `cksum` of `version` in a cargo index cache file: a version byte
/// (3), the schema version (u32), the index version, then `version\0json\0`
/// pairs.
fn index_checksum(bytes: &[u8], version: &str) -> Option<String> {
    let (&format, rest) = bytes.split_first()?;
    if format != 3 || rest.len() < 4 {
        return None;
    }
    let mut fields = rest[4..].split(|&b| b == 0);
    fields.next()?; // the index version
    while let (Some(listed), Some(json)) = (fields.next(), fields.next()) {
        if listed == version.as_bytes() {
            let entry: serde_json::Value = serde_json::from_slice(json).ok()?;
            return Some(entry.get("cksum")?.as_str()?.to_string());
        }
    }
    None
}

fn digest<D: Digest>(file: &Path) -> Result<String, Unverified> {
    let mut hasher = D::new();
    let mut input = std::fs::File::open(file).map_err(Unverified::Unreadable)?;
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let read = input.read(&mut buffer).map_err(Unverified::Unreadable)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn matching(expected: &str, actual: &str) -> Verdict {
    match expected.eq_ignore_ascii_case(actual) {
        true => Ok(()),
        false => Err(Unverified::Mismatch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_addresses_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("blob");
        std::fs::write(&file, b"hello").unwrap();
        let sha512 = digest::<sha2::Sha512>(&file).unwrap();
        let npm = format!(
            "_cacache/content-v2/sha512/{}/{}/{}",
            &sha512[..2],
            &sha512[2..4],
            &sha512[4..]
        );
        assert!(verify(dir.path(), Path::new(&npm), &file).is_ok());
        std::fs::write(&file, b"tampered").unwrap();
        assert!(matches!(
            verify(dir.path(), Path::new(&npm), &file),
            Err(Unverified::Mismatch)
        ));
        std::fs::write(&file, b"hello").unwrap();
        let pnpm = format!("store/v10/files/{}/{}-exec", &sha512[..2], &sha512[2..]);
        assert!(verify(dir.path(), Path::new(&pnpm), &file).is_ok());
        let index = format!(
            "store/v10/files/{}/{}-index.json",
            &sha512[..2],
            &sha512[2..]
        );
        assert!(matches!(
            verify(dir.path(), Path::new(&index), &file),
            Err(Unverified::PnpmMetadata)
        ));
        assert!(matches!(
            verify(
                dir.path(),
                Path::new("_npx/abc/node_modules/x/index.js"),
                &file
            ),
            Err(Unverified::NotContentAddressed)
        ));
    }

    #[test]
    fn crates_are_checked_against_the_index_from_before() {
        let registry = tempfile::tempdir().unwrap();
        let file = registry.path().join("upper.crate");
        std::fs::write(&file, b"crate bytes").unwrap();
        let sum = digest::<sha2::Sha256>(&file).unwrap();
        let entry_dir = registry.path().join("index/reg/.cache/my/-c");
        std::fs::create_dir_all(&entry_dir).unwrap();
        let mut cache = vec![3u8, 2, 0, 0, 0];
        cache.extend_from_slice(b"etag\0");
        cache.extend_from_slice(b"1.0.0-rc.1\0");
        cache
            .extend_from_slice(format!("{{\"name\":\"my-crate\",\"cksum\":\"{sum}\"}}").as_bytes());
        cache.push(0);
        std::fs::write(entry_dir.join("my-crate"), cache).unwrap();
        let found = Path::new("cache/reg/my-crate-1.0.0-rc.1.crate");
        assert!(verify(registry.path(), found, &file).is_ok());
        std::fs::write(&file, b"with a build.rs").unwrap();
        assert!(matches!(
            verify(registry.path(), found, &file),
            Err(Unverified::Mismatch)
        ));
        let unknown = Path::new("cache/reg/other-2.0.0.crate");
        assert!(matches!(
            verify(registry.path(), unknown, &file),
            Err(Unverified::NoChecksum(_))
        ));
        assert!(matches!(
            verify(
                registry.path(),
                Path::new("src/reg/my-crate-1.0.0/build.rs"),
                &file
            ),
            Err(Unverified::NotContentAddressed)
        ));
    }
}
