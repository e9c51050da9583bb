//! The private mount namespace: protected paths bound read-only, writable
//! trees bound `noexec`.
//!
//! The session starts as process 1 of new mount and pid namespaces; as an
//! ordinary user also of a new user namespace that maps only its own uid and
//! gid, which gives it the capabilities to mount there (and nowhere else). Either way every
//! capability is dropped again before `execve`, and seccomp forbids `mount`,
//! `umount2` and the new mount API, so the binds cannot be undone.

use super::EnforceError;
use crate::policy::NamespacePlan;
use nix::mount::{MsFlags, mount};
use nix::sched::CloneFlags;
use nix::sys::statvfs::{FsFlags, statvfs};
use std::path::{Path, PathBuf};

fn step(step: impl Into<String>) -> impl FnOnce(std::io::Error) -> EnforceError {
    let step = step.into();
    move |source| EnforceError::Namespace { step, source }
}

fn errno(error: nix::Error) -> std::io::Error {
    std::io::Error::from(error)
}

/// The namespaces a session is started in: a mount and a pid namespace, plus
/// a user namespace (mapping only the caller's ids) when not root.
pub fn session_namespaces(root: bool) -> CloneFlags {
    let flags = CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_NEWPID;
    if root {
        flags
    } else {
        flags | CloneFlags::CLONE_NEWUSER
    }
}

/// Run first in a process started with [`session_namespaces`]: maps the
/// caller's ids (`outside_uid`/`outside_gid`, as they were before the clone)
/// when a user namespace was made, keeps every mount change private, and
/// mounts a `/proc` of the new pid namespace (so the session sees only its own
/// processes).
pub fn finish_namespace_setup(
    root: bool,
    outside_uid: u32,
    outside_gid: u32,
) -> Result<(), EnforceError> {
    if !root {
        std::fs::write("/proc/self/setgroups", "deny")
            .map_err(step("write /proc/self/setgroups"))?;
        std::fs::write(
            "/proc/self/uid_map",
            format!("{outside_uid} {outside_uid} 1"),
        )
        .map_err(step("write uid_map"))?;
        std::fs::write(
            "/proc/self/gid_map",
            format!("{outside_gid} {outside_gid} 1"),
        )
        .map_err(step("write gid_map"))?;
    }
    // Nothing done here may propagate back to the host's mount table.
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(errno)
    .map_err(step("make / private"))?;
    mount(
        Some("proc"),
        "/proc",
        Some("proc"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None::<&str>,
    )
    .map_err(errno)
    .map_err(step("mount /proc for the session's pid namespace"))
}

/// Makes the binds of the namespace plan: `noexec` writable trees first, then
/// the exec-granted paths beneath them executable again, then the protected
/// paths read-only (they keep whatever exec flag their tree now has).
pub fn apply_plan(plan: &NamespacePlan) -> Result<(), EnforceError> {
    for layer in &plan.overlays {
        overlay(layer)?;
    }
    for path in existing(&plan.no_exec) {
        rebind(path, Change::NoExec)?;
    }
    for path in existing(&plan.exec_again) {
        // The host may itself mount this tree noexec (and, in a user
        // namespace, lock the flag): then it simply stays noexec.
        match rebind(path, Change::ExecAgain) {
            Err(EnforceError::Namespace { source, .. })
                if source.raw_os_error() == Some(libc::EPERM) => {}
            other => other?,
        }
    }
    for path in existing(&plan.read_only) {
        rebind(path, Change::ReadOnly)?;
    }
    for path in existing(&plan.hidden) {
        hide(path)?;
    }
    Ok(())
}

/// Covers `path` with an empty file system nobody can read or write.
fn hide(path: &Path) -> Result<(), EnforceError> {
    mount(
        Some("tmpfs"),
        path,
        Some("tmpfs"),
        MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        Some("size=4k,mode=000"),
    )
    .map_err(errno)
    .map_err(step(format!("hide {}", path.display())))
}

fn existing(paths: &[PathBuf]) -> impl Iterator<Item = &PathBuf> {
    paths.iter().filter(|path| path.exists())
}

/// Lays the session's private layer over a shared cache: an overlay at the
/// cache's own path whose lower layer is the real cache, so reads see it
/// and every write lands in the upper directory (extended attributes in the
/// `user.` namespace, which a user namespace may write).
fn overlay(layer: &crate::policy::CacheLayer) -> Result<(), EnforceError> {
    let (upper, work) = layer.overlay_dirs();
    let shown = layer.path.display();
    let paths = [&layer.path, &upper, &work];
    // Mount options separate layers with `:` and options with `,`.
    if let Some(bad) = paths
        .iter()
        .find(|p| p.to_string_lossy().contains([',', ':', '\\']))
    {
        return Err(EnforceError::Namespace {
            step: format!("overlay {shown}"),
            source: std::io::Error::other(format!(
                "{} contains a `,`, `:` or `\\`, which overlay options cannot carry",
                bad.display()
            )),
        });
    }
    let options = format!(
        "lowerdir={},upperdir={},workdir={},userxattr",
        layer.path.display(),
        upper.display(),
        work.display()
    );
    mount(
        Some("overlay"),
        &layer.path,
        Some("overlay"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some(options.as_str()),
    )
    .map_err(errno)
    .map_err(step(format!("overlay {shown}")))
}

/// What a rebind changes about a path's mount flags.
#[derive(Clone, Copy, PartialEq)]
enum Change {
    ReadOnly,
    NoExec,
    ExecAgain,
}

/// Bind-mounts `path` onto itself and remounts it with `change` applied.
fn rebind(path: &Path, change: Change) -> Result<(), EnforceError> {
    let shown = path.display();
    mount(
        Some(path),
        path,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(errno)
    .map_err(step(format!("bind {shown}")))?;
    // A remount inside a user namespace must keep the flags the original mount
    // has locked (nosuid, nodev, noexec, read-only), so carry them over.
    let existing = statvfs(path)
        .map_err(errno)
        .map_err(step(format!("statvfs {shown}")))?
        .flags();
    let mut flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_NOSUID;
    for (has, keep) in [
        (FsFlags::ST_RDONLY, MsFlags::MS_RDONLY),
        (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
        (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
        (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
        (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
        (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
    ] {
        if existing.contains(has) {
            flags |= keep;
        }
    }
    match change {
        Change::ReadOnly => flags |= MsFlags::MS_RDONLY,
        Change::NoExec => flags |= MsFlags::MS_NOEXEC,
        Change::ExecAgain => flags.remove(MsFlags::MS_NOEXEC),
    }
    mount(None::<&str>, path, None::<&str>, flags, None::<&str>)
        .map_err(errno)
        .map_err(step(format!("remount {shown} ({})", change.describe())))
}

impl Change {
    fn describe(self) -> &'static str {
        match self {
            Change::ReadOnly => "read-only",
            Change::NoExec => "noexec",
            Change::ExecAgain => "exec",
        }
    }
}
