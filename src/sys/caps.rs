//! Dropping every capability: bounding, ambient, inheritable, permitted and
//! effective sets. Needed when guard runs as root (CI, git hooks) and inside a
//! user namespace, where the sandbox setup itself held capabilities.

use std::io;

/// `_LINUX_CAPABILITY_VERSION_3`: 64-bit capability sets in two words.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;
/// `CAP_SETPCAP`: needed to shrink the bounding set.
const CAP_SETPCAP: u32 = 8;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Drops all capabilities of the calling thread. The bounding set can only be
/// emptied by a thread that has `CAP_SETPCAP`; an ordinary user without it has
/// nothing to drop there that `no_new_privs` does not already neutralise, so
/// an `EPERM` on the bounding set is accepted only when the permitted set was
/// already empty.
pub fn drop_all() -> io::Result<()> {
    let had_setpcap = read_status_mask("CapEff:")? & (1 << CAP_SETPCAP) != 0;
    // SAFETY: PR_CAP_AMBIENT_CLEAR_ALL takes integer arguments only.
    let cleared = unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        )
    };
    if cleared == -1 {
        return Err(io::Error::last_os_error());
    }
    if had_setpcap {
        for capability in 0..=last_capability()? {
            // SAFETY: PR_CAPBSET_DROP takes integer arguments only.
            if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, capability, 0, 0, 0) } == -1 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    let header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let data = [CapData::default(); 2];
    // SAFETY: header and data are valid, correctly laid out (repr(C)) and live
    // for the call; capset only reads them.
    let result =
        unsafe { libc::syscall(libc::SYS_capset, &header as *const CapHeader, data.as_ptr()) };
    if result == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The capability sets of the calling thread as `/proc/thread-self/status`
/// reports them: (effective, permitted, inheritable, ambient, bounding).
pub fn current_sets() -> io::Result<[u64; 5]> {
    Ok([
        read_status_mask("CapEff:")?,
        read_status_mask("CapPrm:")?,
        read_status_mask("CapInh:")?,
        read_status_mask("CapAmb:")?,
        read_status_mask("CapBnd:")?,
    ])
}

fn read_status_mask(field: &str) -> io::Result<u64> {
    let status = std::fs::read_to_string("/proc/thread-self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .ok_or_else(|| io::Error::other(format!("{field} missing from /proc/thread-self/status")))
}

fn last_capability() -> io::Result<libc::c_int> {
    let text = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")?;
    text.trim()
        .parse()
        .map_err(|_| io::Error::other("unreadable /proc/sys/kernel/cap_last_cap"))
}
