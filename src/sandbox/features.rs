//! What the running kernel offers, probed without side effects on the host.

use serde::Serialize;

/// Kernel features guard uses, as found on this machine.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KernelFeatures {
    /// `uname -r`.
    pub kernel: String,
    /// Landlock ABI version (0: unavailable).
    pub landlock_abi: u32,
    /// seccomp filters (`SECCOMP_SET_MODE_FILTER`) can be installed.
    pub seccomp_filter: bool,
    /// seccomp user notification (`SECCOMP_RET_USER_NOTIF`) is supported.
    pub seccomp_user_notif: bool,
    /// Private mount and pid namespaces (with their own `/proc`) can be made,
    /// as root directly, otherwise through an unprivileged user namespace.
    pub mount_namespace: bool,
    /// Why the mount namespace is unavailable, when it is.
    pub mount_namespace_detail: String,
}

/// The minimum Landlock ABI guard runs with.
pub const REQUIRED_LANDLOCK_ABI: u32 = 6;

impl KernelFeatures {
    /// Probes the running kernel. `forbid_namespaces` pretends user and mount
    /// namespaces are unavailable (to exercise the fallback on a host that has
    /// them).
    pub fn probe(forbid_namespaces: bool) -> KernelFeatures {
        let kernel = nix::sys::utsname::uname()
            .map(|u| u.release().to_string_lossy().into_owned())
            .unwrap_or_default();
        let actions =
            std::fs::read_to_string("/proc/sys/kernel/seccomp/actions_avail").unwrap_or_default();
        let (mount_namespace, mount_namespace_detail) = if forbid_namespaces {
            (
                false,
                "disabled by --no-namespaces / GUARD_NO_NAMESPACES".to_string(),
            )
        } else {
            probe_mount_namespace()
        };
        KernelFeatures {
            kernel,
            landlock_abi: crate::sys::landlock_abi_version(),
            seccomp_filter: actions.split_whitespace().any(|a| a == "errno"),
            seccomp_user_notif: actions.split_whitespace().any(|a| a == "user_notif"),
            mount_namespace,
            mount_namespace_detail,
        }
    }

    /// What `guard run` cannot do without, as sentences; empty when all is there.
    pub fn missing_requirements(&self) -> Vec<String> {
        let mut missing = Vec::new();
        if self.landlock_abi < REQUIRED_LANDLOCK_ABI {
            missing.push(format!(
                "Landlock ABI {} found, {REQUIRED_LANDLOCK_ABI} needed (Linux 6.12 or later, with `lsm=landlock,…` on the kernel command line)",
                self.landlock_abi
            ));
        }
        if !self.seccomp_filter {
            missing.push("seccomp filters are unavailable (CONFIG_SECCOMP_FILTER)".to_string());
        }
        missing
    }
}

/// Tries the namespace setup in a short-lived child, so the answer is what
/// `guard run` will meet (AppArmor's `restrict_unprivileged_userns`, sysctls,
/// container seccomp profiles all show up here).
fn probe_mount_namespace() -> (bool, String) {
    use nix::sys::wait::{WaitStatus, waitpid};
    use nix::unistd::ForkResult;
    let (uid, gid) = (nix::unistd::getuid(), nix::unistd::getgid());
    let root = uid.is_root();
    match crate::sys::fork_into(super::mounts::session_namespaces(root)) {
        Ok(ForkResult::Child) => {
            let code = match super::mounts::finish_namespace_setup(root, uid.as_raw(), gid.as_raw())
            {
                Ok(()) => 0,
                Err(_) => 1,
            };
            crate::sys::exit_immediately(code)
        }
        Ok(ForkResult::Parent { child }) => match waitpid(child, None) {
            Ok(WaitStatus::Exited(_, 0)) if root => (true, "as root".to_string()),
            Ok(WaitStatus::Exited(_, 0)) => {
                (true, "through an unprivileged user namespace".to_string())
            }
            _ => (
                false,
                "the kernel refused new user/mount/pid namespaces or a /proc mount in them"
                    .to_string(),
            ),
        },
        Err(error) => (
            false,
            format!("the kernel refused new user/mount/pid namespaces ({error})"),
        ),
    }
}
