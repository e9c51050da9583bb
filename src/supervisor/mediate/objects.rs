//! A rename or link that makes one of git's (or git-lfs's) objects
//! visible: the supervisor copies what the session wrote, checks the copy
//! as it makes it (its content hashes to its name; for a pack's index, the
//! one git derives from the pack is used instead), and puts its copy in
//! place.

use super::resolve::Entry;
use super::verified::{Replace, io_errno, put_in_place, stage_copy, staging_name, unlink};
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use std::io::{Read, Write};
use std::os::fd::AsFd;

/// Makes the loose object `id` at `target` from what the session wrote at
/// `source`: a copy of it, once its inflated content hashes to `id`. The
/// source stays for a link and goes for a rename. An object already there
/// is `EEXIST`, as for `link(2)` (git takes that as done).
pub fn loose_object(source: &Entry, target: &Entry, id: &str, rename: bool) -> Result<(), Replace> {
    // The copy is hashed as it is made: what is hashed is what is written.
    let mut inflated = flate2::write::ZlibDecoder::new(ObjectHash::for_id(id));
    let mut observe = |chunk: &[u8]| {
        inflated
            .write_all(chunk)
            .map_err(|error| format!("it is not a zlib stream ({error})"))
    };
    let name = stage_copy(source, target, &mut observe)?;
    let actual = inflated
        .finish()
        .map(ObjectHash::hex)
        .map_err(|error| format!("it is not a zlib stream ({error})"));
    if actual.as_deref() != Ok(&id.to_ascii_lowercase()) {
        unlink(target, &name);
        let why = match actual {
            Ok(actual) => format!("its content hashes to {actual}, not to its name"),
            Err(why) => why,
        };
        return Err(Replace::Refused(why));
    }
    put_in_place(target, &name, true).map_err(Replace::Failed)?;
    if rename {
        unlink(source, &source.name.to_string_lossy());
    }
    Ok(())
}

/// Puts a copy of the session's file at `source` in place as the git-lfs
/// object `id` once its content hashes to it (SHA-256 of the bytes as they
/// are), replacing whatever had the name: what is put there is right
/// whatever was. Removes `source` when the call was a rename.
pub fn lfs_object(source: &Entry, target: &Entry, id: &str, rename: bool) -> Result<(), Replace> {
    let mut hash = ObjectHash::for_id(id);
    let mut observe = |chunk: &[u8]| {
        hash.write_all(chunk)
            .map_err(|error| format!("it cannot be hashed ({error})"))
    };
    let name = stage_copy(source, target, &mut observe)?;
    let actual = hash.hex();
    if actual != id {
        unlink(target, &name);
        return Err(Replace::Refused(format!(
            "its content hashes to {actual}, not to its name"
        )));
    }
    put_in_place(target, &name, false).map_err(Replace::Failed)?;
    if rename {
        unlink(source, &source.name.to_string_lossy());
    }
    Ok(())
}

/// The hash git names an object by: SHA-1 for 40 hex digits, SHA-256 for 64.
enum ObjectHash {
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl ObjectHash {
    fn for_id(id: &str) -> ObjectHash {
        use sha1::Digest;
        match id.len() {
            40 => ObjectHash::Sha1(sha1::Sha1::new()),
            _ => ObjectHash::Sha256(sha2::Sha256::new()),
        }
    }

    fn hex(self) -> String {
        use sha1::Digest;
        let digest: Vec<u8> = match self {
            ObjectHash::Sha1(hash) => hash.finalize().to_vec(),
            ObjectHash::Sha256(hash) => hash.finalize().to_vec(),
        };
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl Write for ObjectHash {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        use sha1::Digest;
        match self {
            ObjectHash::Sha1(hash) => hash.update(bytes),
            ObjectHash::Sha256(hash) => hash.update(bytes),
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Puts a copy of the pack the session wrote at `source` in place of
/// `target`, unless the pack's index is there already (an index describes
/// the pack it was made from). Git sees the pack once its index is there.
pub fn pack(source: &Entry, target: &Entry) -> Result<(), Replace> {
    let index = target.name.to_string_lossy().replace(".pack", ".idx");
    let described = nix::sys::stat::fstatat(
        &target.dir,
        index.as_str(),
        nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
    );
    if described.is_ok() {
        // The same pack made again (a repack that changed nothing): the one
        // in place stays.
        if same_content(source, target) {
            unlink(source, &source.name.to_string_lossy());
            return Ok(());
        }
        return Err(Replace::Refused(format!(
            "{index} already describes another pack by that name"
        )));
    }
    let name = stage_copy(source, target, &mut |_| Ok(()))?;
    put_in_place(target, &name, false).map_err(Replace::Failed)?;
    unlink(source, &source.name.to_string_lossy());
    Ok(())
}

/// Whether the regular files `one` and `other` hold the same bytes.
fn same_content(one: &Entry, other: &Entry) -> bool {
    let open = |entry: &Entry| {
        let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK;
        nix::fcntl::openat(
            entry.dir.as_fd(),
            entry.name.as_os_str(),
            flags,
            Mode::empty(),
        )
        .map(|fd| std::io::BufReader::new(std::fs::File::from(fd)))
    };
    let (Ok(mut one), Ok(mut other)) = (open(one), open(other)) else {
        return false;
    };
    let (mut a, mut b) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let Ok(read) = one.read(&mut a) else {
            return false;
        };
        if read == 0 {
            return other.read(&mut b[..1]).is_ok_and(|n| n == 0);
        }
        if other.read_exact(&mut b[..read]).is_err() || a[..read] != b[..read] {
            return false;
        }
    }
}

/// Puts in place of `target` the index git itself makes of the pack beside
/// it (`git index-pack`, which names every object by the hash of its
/// content), instead of the one the session wrote at `source`, which goes.
pub fn pack_index(
    source: &Entry,
    target: &Entry,
    git: Option<&std::path::Path>,
) -> Result<(), Replace> {
    let git = git.ok_or_else(|| Replace::Refused("no git is found to index the pack".into()))?;
    let target_name = target.name.to_string_lossy().into_owned();
    let pack_name = target_name.replace(".idx", ".pack");
    let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let pack = nix::fcntl::openat(target.dir.as_fd(), pack_name.as_str(), flags, Mode::empty())
        .map_err(|_| Replace::Refused(format!("{pack_name}, which it indexes, is not there")))?;
    let staging = staging_name();
    nix::sys::stat::mkdirat(
        target.dir.as_fd(),
        staging.as_str(),
        Mode::from_bits_truncate(0o700),
    )
    .map_err(Replace::Failed)?;
    let id = &target_name["pack-".len()..target_name.len() - ".idx".len()];
    let indexed = index_pack(git, pack, target, &staging, id);
    let placed = indexed.and_then(|()| {
        nix::fcntl::renameat(
            target.dir.as_fd(),
            format!("{staging}/pack.idx").as_str(),
            target.dir.as_fd(),
            target.name.as_os_str(),
        )
        .map_err(Replace::Failed)
    });
    let _ = nix::unistd::unlinkat(
        target.dir.as_fd(),
        format!("{staging}/pack.idx").as_str(),
        nix::unistd::UnlinkatFlags::NoRemoveDir,
    );
    let _ = nix::unistd::unlinkat(
        target.dir.as_fd(),
        staging.as_str(),
        nix::unistd::UnlinkatFlags::RemoveDir,
    );
    placed?;
    unlink(source, &source.name.to_string_lossy());
    Ok(())
}

/// Runs `git index-pack` on `pack` (its standard input) into `staging`
/// (reached through a descriptor the child inherits, so no rename of the
/// directories on the way can send it elsewhere). It succeeded when it
/// printed the pack's checksum, which must be `id`, the pack's name: the
/// session's init reaps every child, the supervisor's too, so the exit
/// status may be gone.
fn index_pack(
    git: &std::path::Path,
    pack: std::os::fd::OwnedFd,
    target: &Entry,
    staging: &str,
    id: &str,
) -> Result<(), Replace> {
    // Inherited across exec: no close-on-exec flag.
    let dir = nix::fcntl::openat(
        target.dir.as_fd(),
        staging,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW,
        Mode::empty(),
    )
    .map_err(Replace::Failed)?;
    let output = format!(
        "/proc/self/fd/{}/pack.idx",
        std::os::fd::AsRawFd::as_raw_fd(&dir)
    );
    let format = if id.len() == 64 { "sha256" } else { "sha1" };
    let spawned = std::process::Command::new(git)
        .args([
            "index-pack",
            "--no-rev-index",
            &format!("--object-format={format}"),
        ])
        .args(["-o", &output])
        .arg("/dev/stdin")
        .stdin(std::fs::File::from(pack))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .current_dir("/")
        .env_clear()
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .spawn();
    drop(dir);
    let mut child = spawned.map_err(|error| Replace::Failed(io_errno(&error)))?;
    let (mut printed, mut complaint) = (String::new(), String::new());
    if let Some(mut stdout) = child.stdout.take() {
        let _ = stdout.read_to_string(&mut printed);
    }
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut complaint);
    }
    let _ = child.wait();
    match printed.trim() == id {
        true => Ok(()),
        false => Err(Replace::Refused(format!(
            "git index-pack did not index it as pack {id}: {}",
            complaint.trim()
        ))),
    }
}

/// Drops a derived index git would trust (the commit-graph): neither the
/// session's new one nor the one it replaces stays; git works without one.
pub fn drop_derived(source: &Entry, target: &Entry) -> Result<(), Replace> {
    unlink(target, &target.name.to_string_lossy());
    unlink(source, &source.name.to_string_lossy());
    Ok(())
}
