//! Dropping every capability: bounding, ambient, inheritable, permitted and
//! effective sets. Needed when guard runs as root (CI, git hooks) and inside a
//! user namespace, where the sandbox setup itself held capabilities.
//!
//! Everything here asks the kernel directly (`capget`, `prctl`), never
//! `/proc`: the command checks its capabilities after Landlock applies.

use std::io;

/// `_LINUX_CAPABILITY_VERSION_3`: 64-bit capability sets in two words.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;
/// `CAP_SETPCAP`: needed to shrink the bounding set.
const CAP_SETPCAP: u32 = 8;
/// `CAP_SYS_PTRACE`: what the session's supervisor keeps, to read the
/// memory of session processes that made themselves non-dumpable.
pub const CAP_SYS_PTRACE: u32 = 19;
/// The highest capability number the kernel may know of; `PR_CAPBSET_READ`
/// fails with `EINVAL` past the kernel's own last one.
const MAX_CAPABILITY: u32 = 63;

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
/// nothing to drop there that `no_new_privs` does not already neutralise.
pub fn drop_all() -> io::Result<()> {
    drop_all_but(None).map(drop)
}

/// Like [`drop_all`], but keeps `keep` in the effective and permitted sets
/// when the thread has it (the bounding, inheritable and ambient sets are
/// emptied all the same, so nothing this thread starts can regain it).
/// Returns whether `keep` was kept.
pub fn drop_all_but(keep: Option<u32>) -> io::Result<bool> {
    let [effective, permitted, _] = get()?;
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
    if effective & (1 << CAP_SETPCAP) != 0 {
        for capability in 0..=MAX_CAPABILITY {
            // SAFETY: PR_CAPBSET_DROP takes integer arguments only.
            if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, capability, 0, 0, 0) } == -1 {
                let error = io::Error::last_os_error();
                // Past the kernel's last capability.
                if error.raw_os_error() == Some(libc::EINVAL) {
                    break;
                }
                return Err(error);
            }
        }
    }
    let kept = keep.filter(|&cap| permitted & (1 << cap) != 0);
    let kept_set = kept.map_or(0, |cap| 1u64 << cap);
    set(kept_set, kept_set, 0)?;
    Ok(kept.is_some())
}

/// Runs `act` with `capability` out of the calling thread's effective set
/// (it stays permitted, and comes back afterwards). Capabilities belong to
/// the thread: the process's other threads keep theirs meanwhile. Fails,
/// without running `act`, if the set cannot be changed.
pub fn without_effective<T>(capability: u32, act: impl FnOnce() -> T) -> io::Result<T> {
    let [effective, permitted, inheritable] = get()?;
    let bit = 1u64 << capability;
    if effective & bit == 0 {
        return Ok(act());
    }
    set(effective & !bit, permitted, inheritable)?;
    let result = act();
    // Raising a permitted capability again cannot fail.
    set(effective, permitted, inheritable)?;
    Ok(result)
}

/// Sets the calling thread's (effective, permitted, inheritable) sets.
fn set(effective: u64, permitted: u64, inheritable: u64) -> io::Result<()> {
    let header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let word = |set: u64, index: u32| (set >> (32 * index)) as u32;
    let data = [0, 1].map(|index| CapData {
        effective: word(effective, index),
        permitted: word(permitted, index),
        inheritable: word(inheritable, index),
    });
    // SAFETY: header and data are valid, correctly laid out (repr(C)) and live
    // for the call; capset only reads them.
    let result =
        unsafe { libc::syscall(libc::SYS_capset, &header as *const CapHeader, data.as_ptr()) };
    if result == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The calling thread's (effective, permitted, inheritable) sets.
fn get() -> io::Result<[u64; 3]> {
    let header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: header is valid and data has room for the two words version 3
    // writes; both live for the call.
    let result = unsafe {
        libc::syscall(
            libc::SYS_capget,
            &header as *const CapHeader,
            data.as_mut_ptr(),
        )
    };
    if result == -1 {
        return Err(io::Error::last_os_error());
    }
    let join = |low: u32, high: u32| u64::from(low) | (u64::from(high) << 32);
    Ok([
        join(data[0].effective, data[1].effective),
        join(data[0].permitted, data[1].permitted),
        join(data[0].inheritable, data[1].inheritable),
    ])
}

/// The capability sets of the calling thread: (effective, permitted,
/// inheritable, ambient, bounding).
pub fn current_sets() -> io::Result<[u64; 5]> {
    let [effective, permitted, inheritable] = get()?;
    let mut ambient = 0u64;
    let mut bounding = 0u64;
    for capability in 0..=MAX_CAPABILITY {
        // SAFETY: PR_CAPBSET_READ takes integer arguments only.
        let in_bounding = unsafe { libc::prctl(libc::PR_CAPBSET_READ, capability, 0, 0, 0) };
        if in_bounding == -1 {
            break;
        }
        // SAFETY: PR_CAP_AMBIENT_IS_SET takes integer arguments only.
        let in_ambient = unsafe {
            libc::prctl(
                libc::PR_CAP_AMBIENT,
                libc::PR_CAP_AMBIENT_IS_SET,
                capability,
                0,
                0,
            )
        };
        if in_bounding == 1 {
            bounding |= 1 << capability;
        }
        if in_ambient == 1 {
            ambient |= 1 << capability;
        }
    }
    Ok([effective, permitted, inheritable, ambient, bounding])
}
