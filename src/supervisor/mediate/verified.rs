//! A rename onto a verified file (see [`crate::policy::VerifiedFile`]), or
//! a rename or link that makes one of git's objects visible: the supervisor
//! reads the new content through its own descriptor, checks it, puts a copy
//! only it wrote in place (or, for a pack's index, the one git derives from
//! the pack), and removes the session's file where the call was a rename.
//! Whatever descriptor the session kept of its file, the file in place is
//! not that one.

use super::resolve::Entry;
use crate::policy::{ContentCheck, Protection, Replacing, STAGING_PREFIX, WorkTreeFile};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use std::io::{Read, Write};
use std::os::fd::AsFd;

/// The most a verified file's new content may be.
const MAX_CONTENT: u64 = 512 * 1024 * 1024;

/// Why a verified replacement did not happen.
#[derive(Debug)]
pub enum Replace {
    /// The content failed its check.
    Refused(String),
    /// A call failed.
    Failed(Errno),
}

/// Replaces `target` with a checked copy of `source` (or the copy the
/// check makes of it), then removes `source`.
pub fn replace(
    source: &Entry,
    target: &Entry,
    check: &ContentCheck,
    protection: &Protection,
) -> Result<(), Replace> {
    let failed = Replace::Failed;
    let (content, stat) = match read_bounded(source)? {
        Some(read) => read,
        None => return Err(failed(Errno::ENOENT)),
    };
    let previous = match check.compares_with_previous() {
        true => read_bounded(target)?.map(|(content, _)| content),
        false => None,
    };
    let replacing = Replacing {
        previous: previous.as_deref(),
        protection,
        read: &work_tree_file,
    };
    let made = check
        .check(&content, &replacing)
        .map_err(Replace::Refused)?;
    let content = made.as_deref().unwrap_or(&content);
    // A name of the supervisor's own beside the target, made exclusively.
    let staging = format!(
        "{}.guard-{}",
        target.name.to_string_lossy(),
        std::process::id()
    );
    let mode = Mode::from_bits_truncate(stat.st_mode & 0o777);
    let create =
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let copy =
        nix::fcntl::openat(target.dir.as_fd(), staging.as_str(), create, mode).map_err(failed)?;
    let written = std::fs::File::from(copy).write_all(content);
    let placed = written.map_err(|error| io_errno(&error)).and_then(|()| {
        nix::fcntl::renameat(
            target.dir.as_fd(),
            staging.as_str(),
            target.dir.as_fd(),
            target.name.as_os_str(),
        )
    });
    if let Err(errno) = placed {
        let _ = nix::unistd::unlinkat(
            target.dir.as_fd(),
            staging.as_str(),
            nix::unistd::UnlinkatFlags::NoRemoveDir,
        );
        return Err(failed(errno));
    }
    nix::unistd::unlinkat(
        source.dir.as_fd(),
        source.name.as_os_str(),
        nix::unistd::UnlinkatFlags::NoRemoveDir,
    )
    .map_err(failed)
}

/// A file of the work tree as it is now, for the index check: by its path
/// in the session's view (the session cannot move the directories above a
/// protected path, nor change what is there), the last component not
/// followed.
fn work_tree_file(path: &std::path::Path) -> WorkTreeFile {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let Ok(status) = std::fs::symlink_metadata(path) else {
        return WorkTreeFile::Missing;
    };
    if status.file_type().is_symlink() {
        return match std::fs::read_link(path) {
            Ok(target) => WorkTreeFile::Symlink(target.into_os_string().into_encoded_bytes()),
            Err(_) => WorkTreeFile::Other,
        };
    }
    if !status.file_type().is_file() || status.len() > MAX_CONTENT {
        return WorkTreeFile::Other;
    }
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let mut content = Vec::new();
    match opened.and_then(|file| file.take(MAX_CONTENT).read_to_end(&mut content)) {
        Ok(_) => WorkTreeFile::Regular {
            executable: status.mode() & 0o100 != 0,
            content,
        },
        Err(_) => WorkTreeFile::Other,
    }
}

/// The content of a regular file `entry` names, without following a link
/// and at most [`MAX_CONTENT`] bytes, and its status; `None` if there is no
/// such entry.
fn read_bounded(entry: &Entry) -> Result<Option<(Vec<u8>, nix::sys::stat::FileStat)>, Replace> {
    let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK;
    let opened = match nix::fcntl::openat(
        entry.dir.as_fd(),
        entry.name.as_os_str(),
        flags,
        Mode::empty(),
    ) {
        Ok(opened) => opened,
        Err(Errno::ENOENT) => return Ok(None),
        Err(errno) => return Err(Replace::Failed(errno)),
    };
    let stat = nix::sys::stat::fstat(&opened).map_err(Replace::Failed)?;
    if stat.st_mode & libc::S_IFMT != libc::S_IFREG {
        return Err(Replace::Refused(format!(
            "{} is not a regular file",
            entry.path().display()
        )));
    }
    let size = (stat.st_size.max(0) as u64).min(MAX_CONTENT) as usize;
    let mut content = Vec::with_capacity(size + 1);
    std::fs::File::from(opened)
        .take(MAX_CONTENT + 1)
        .read_to_end(&mut content)
        .map_err(|error| Replace::Failed(io_errno(&error)))?;
    if content.len() as u64 > MAX_CONTENT {
        return Err(Replace::Refused("it is too large to check".into()));
    }
    Ok(Some((content, stat)))
}

fn io_errno(error: &std::io::Error) -> Errno {
    Errno::from_raw(error.raw_os_error().unwrap_or(libc::EIO))
}

/// A staging name of the supervisor's own (the boundary refuses the session
/// every change to such names).
fn staging_name() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let next = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{STAGING_PREFIX}{}-{next}", std::process::id())
}

/// Copies `source` into a new staging file beside `target`, showing each
/// chunk copied to `observe` (which may stop the copy); returns the staging
/// name.
fn stage_copy(
    source: &Entry,
    target: &Entry,
    observe: &mut dyn FnMut(&[u8]) -> Result<(), String>,
) -> Result<String, Replace> {
    let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK;
    let from = nix::fcntl::openat(
        source.dir.as_fd(),
        source.name.as_os_str(),
        flags,
        Mode::empty(),
    )
    .map_err(Replace::Failed)?;
    let stat = nix::sys::stat::fstat(&from).map_err(Replace::Failed)?;
    if stat.st_mode & libc::S_IFMT != libc::S_IFREG {
        return Err(Replace::Failed(Errno::EINVAL));
    }
    let name = staging_name();
    let create =
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let mode = Mode::from_bits_truncate(stat.st_mode & 0o777);
    let copy = nix::fcntl::openat(target.dir.as_fd(), name.as_str(), create, mode)
        .map_err(Replace::Failed)?;
    let (mut from, mut copy) = (std::fs::File::from(from), std::fs::File::from(copy));
    let mut buffer = vec![0u8; 64 * 1024];
    let copied = loop {
        let read = match from.read(&mut buffer) {
            Ok(0) => break Ok(()),
            Ok(read) => read,
            Err(error) => break Err(Replace::Failed(io_errno(&error))),
        };
        if let Err(why) = observe(&buffer[..read]) {
            break Err(Replace::Refused(why));
        }
        if let Err(error) = copy.write_all(&buffer[..read]) {
            break Err(Replace::Failed(io_errno(&error)));
        }
    };
    if let Err(error) = copied {
        unlink(target, &name);
        return Err(error);
    }
    Ok(name)
}

fn unlink(entry_dir: &Entry, name: &str) {
    let _ = nix::unistd::unlinkat(
        entry_dir.dir.as_fd(),
        name,
        nix::unistd::UnlinkatFlags::NoRemoveDir,
    );
}

/// Puts the staged `name` in place of `target` (only where nothing is, for
/// `no_replace`); removes the staging file if it cannot.
fn put_in_place(target: &Entry, name: &str, no_replace: bool) -> Result<(), Errno> {
    let flags = match no_replace {
        true => nix::fcntl::RenameFlags::RENAME_NOREPLACE,
        false => nix::fcntl::RenameFlags::empty(),
    };
    let placed = nix::fcntl::renameat2(
        target.dir.as_fd(),
        name,
        target.dir.as_fd(),
        target.name.as_os_str(),
        flags,
    );
    if placed.is_err() {
        unlink(target, name);
    }
    placed
}

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
