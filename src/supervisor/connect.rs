//! `connect` on behalf of the confined process.
//!
//! For a unix socket the address is read once from the process's memory, the
//! path resolved and checked against the policy, the socket file opened
//! (`O_PATH | O_NOFOLLOW`) and confirmed to be the file checked, and the
//! process's socket (taken with `pidfd_getfd`) connected to that very file
//! through `/proc/self/fd/N`. A thread that rewrites the address or swaps a
//! symlink after the check changes nothing: the kernel never looks at them
//! again. Abstract addresses are refused: the supervisor is outside the
//! Landlock domain, so its connect would not be scoped. Other families are
//! connected with the address as read (their reach is set by Landlock and the
//! seccomp deny list, which the supervisor does not widen: `network = "none"`
//! sessions cannot create IP sockets at all).

use crate::sys::notify::{Listener, Notification, Response, connect_raw, socket_domain, take_fd};
use nix::sys::uio::{RemoteIoVec, process_vm_readv};
use nix::unistd::Pid;
use std::io::IoSliceMut;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Which socket files a session may connect to.
#[derive(Debug, Clone, Default)]
pub struct SocketRules {
    /// Whether unix sockets are checked (`unix_sockets = "listed"`); when not,
    /// a unix connect goes through as asked (`"any"`).
    pub check_unix: bool,
    /// Directories whose socket files may be reached.
    pub within: Vec<PathBuf>,
    /// Socket files outside them.
    pub files: Vec<PathBuf>,
    /// With `network.mode = "allow"`: the only address IP sockets may reach.
    pub proxy: Option<std::net::SocketAddr>,
}

impl SocketRules {
    /// The rules for a session's network policy, when the supervisor
    /// performs its connects (`unix_sockets = "listed"`, or guard's proxy).
    pub fn for_policy(
        network: &crate::policy::NetworkPolicy,
        proxy: Option<std::net::SocketAddr>,
    ) -> Option<SocketRules> {
        match &network.unix_sockets {
            crate::policy::UnixSockets::Listed { within, files } => Some(SocketRules {
                check_unix: true,
                within: within.clone(),
                files: files.clone(),
                proxy,
            }),
            _ => proxy.map(|proxy| SocketRules {
                check_unix: false,
                within: Vec::new(),
                files: Vec::new(),
                proxy: Some(proxy),
            }),
        }
    }

    /// Whether the resolved socket path `path` may be reached.
    pub fn allows(&self, path: &Path) -> bool {
        self.files.iter().any(|file| file == path)
            || self.within.iter().any(|dir| path.starts_with(dir))
    }
}

/// The largest `sockaddr` read from the process (`sockaddr_storage`).
const MAX_ADDRESS: usize = 128;
/// `offsetof(struct sockaddr_un, sun_path)`.
const SUN_PATH_OFFSET: usize = 2;

/// What became of one trapped `connect`.
#[derive(Debug)]
pub struct Outcome {
    /// The answer to the process.
    pub response: Response,
    /// The rule that refused the destination, when the policy did.
    pub refused_by: Option<&'static str>,
    /// The destination asked for, for the record: its field (`path` for a
    /// unix socket, `address` for an IP one) and value.
    pub target: Option<(&'static str, String)>,
}

/// Why a TCP or UDP destination other than guard's proxy is refused.
const ONLY_THE_PROXY: &str = "network: a session connects to guard's proxy only";
/// Why an abstract or unnamed unix socket is refused.
const NO_ABSTRACT: &str = "network.unix_sockets: abstract and unnamed sockets are refused";
/// Why a unix socket file that is not listed is refused.
const NOT_LISTED: &str = "network.unix_sockets: not a listed socket";

/// Decides and performs one trapped `connect(fd, address, length)`. A
/// refusal of the policy is `EACCES` with its rule; any other failure is
/// the connect's own outcome (`EINPROGRESS` for a non-blocking socket,
/// `ECONNREFUSED`, …).
pub fn handle(listener: &Listener, call: &Notification, rules: &SocketRules) -> Outcome {
    let mut target = None;
    let mut refused_by = None;
    let response = decide_and_connect(listener, call, rules, &mut target, &mut refused_by);
    Outcome {
        response,
        refused_by,
        target,
    }
}

fn decide_and_connect(
    listener: &Listener,
    call: &Notification,
    rules: &SocketRules,
    target: &mut Option<(&'static str, String)>,
    refused_by: &mut Option<&'static str>,
) -> Response {
    let fd = call.args[0] as i32;
    let length = (call.args[2] as usize).min(MAX_ADDRESS);
    let Ok(socket) = take_fd(call.pid, fd) else {
        return Response::Fail(libc::EBADF);
    };
    let mut address = vec![0u8; length];
    let remote = [RemoteIoVec {
        base: call.args[1] as usize,
        len: length,
    }];
    let read = process_vm_readv(
        Pid::from_raw(call.pid as i32),
        &mut [IoSliceMut::new(&mut address)],
        &remote,
    );
    if read != Ok(length) {
        return Response::Fail(libc::EFAULT);
    }
    // Everything below acts on what was read; make sure it was read from the
    // process that is still waiting (not a recycled pid).
    if !listener.is_valid(call.id) {
        return Response::Fail(libc::EINTR);
    }
    let domain = match socket_domain(&socket) {
        Ok(domain) => domain,
        Err(_) => return Response::Fail(libc::ENOTSOCK),
    };
    if domain != libc::AF_UNIX {
        if let Some(proxy) = rules.proxy {
            // The address is the copy read once; the proxy's is the only one.
            let asked = inet_address(&address);
            *target = asked.map(|a| ("address", a.to_string()));
            if asked != Some(proxy) {
                *refused_by = Some(ONLY_THE_PROXY);
                return Response::Fail(libc::EACCES);
            }
        }
        return result_of(connect_raw(&socket, &address));
    }
    if !rules.check_unix {
        return result_of(connect_raw(&socket, &address));
    }
    let Some(path) = unix_path(&address) else {
        // Abstract or unnamed address.
        *target = Some(("path", "(abstract or unnamed)".to_string()));
        *refused_by = Some(NO_ABSTRACT);
        return Response::Fail(libc::EACCES);
    };
    *target = Some(("path", path.to_string_lossy().into_owned()));
    match resolve_allowed(&path, call.pid, rules) {
        Ok(file) => {
            let via = format!("/proc/self/fd/{}", file.as_raw_fd());
            result_of(connect_raw(&socket, &sockaddr_un(&via)))
        }
        Err(errno) => {
            if errno == libc::EACCES {
                *refused_by = Some(NOT_LISTED);
            }
            Response::Fail(errno)
        }
    }
}

/// An IPv4 or IPv6 `sockaddr` as an address, if it is one.
fn inet_address(address: &[u8]) -> Option<std::net::SocketAddr> {
    let family = u16::from_ne_bytes(address.get(..2)?.try_into().ok()?);
    let port = u16::from_be_bytes(address.get(2..4)?.try_into().ok()?);
    match i32::from(family) {
        libc::AF_INET => {
            let octets: [u8; 4] = address.get(4..8)?.try_into().ok()?;
            Some(std::net::SocketAddr::from((octets, port)))
        }
        libc::AF_INET6 => {
            let octets: [u8; 16] = address.get(8..24)?.try_into().ok()?;
            Some(std::net::SocketAddr::from((
                std::net::Ipv6Addr::from(octets),
                port,
            )))
        }
        _ => None,
    }
}

fn result_of(errno: i32) -> Response {
    if errno == 0 {
        Response::Return(0)
    } else {
        Response::Fail(errno)
    }
}

/// The pathname of a `sockaddr_un`, or `None` for abstract and unnamed ones.
fn unix_path(address: &[u8]) -> Option<PathBuf> {
    let family = u16::from_ne_bytes(address.get(..2)?.try_into().ok()?);
    if family != libc::AF_UNIX as u16 {
        return None;
    }
    let path = address.get(SUN_PATH_OFFSET..)?;
    let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
    (end > 0).then(|| PathBuf::from(std::ffi::OsStr::from_bytes(&path[..end])))
}

/// Resolves `path` as the process sees it, checks it, and opens the socket
/// file so that the connect goes to exactly the file checked.
fn resolve_allowed(path: &Path, pid: u32, rules: &SocketRules) -> Result<std::fs::File, i32> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::fs::read_link(format!("/proc/{pid}/cwd"))
            .map_err(|_| libc::EACCES)?
            .join(path)
    };
    let real = std::fs::canonicalize(&absolute)
        .map_err(|error| error.raw_os_error().unwrap_or(libc::ENOENT))?;
    if !rules.allows(&real) {
        return Err(libc::EACCES);
    }
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&real)
        .map_err(|_| libc::EACCES)?;
    // The path may have been swapped between canonicalize and open: confirm
    // the opened file is still at the checked place and is a socket.
    let opened_at = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .map_err(|_| libc::EACCES)?;
    let is_socket = file
        .metadata()
        .map(|m| m.file_type().is_socket())
        .unwrap_or(false);
    if opened_at != real || !is_socket {
        return Err(libc::EACCES);
    }
    Ok(file)
}

/// A `sockaddr_un` for a path (which must fit).
fn sockaddr_un(path: &str) -> Vec<u8> {
    let mut address = (libc::AF_UNIX as u16).to_ne_bytes().to_vec();
    address.extend_from_slice(path.as_bytes());
    address.push(0);
    address
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pathname_abstract_and_unnamed_addresses() {
        assert_eq!(
            unix_path(&sockaddr_un("/run/x.sock")),
            Some(PathBuf::from("/run/x.sock"))
        );
        let mut abstract_address = (libc::AF_UNIX as u16).to_ne_bytes().to_vec();
        abstract_address.extend_from_slice(b"\0name");
        assert_eq!(unix_path(&abstract_address), None);
        assert_eq!(unix_path(&(libc::AF_UNIX as u16).to_ne_bytes()), None);
        assert_eq!(unix_path(&(libc::AF_INET as u16).to_ne_bytes()), None);
    }

    #[test]
    fn rules_allow_files_and_trees_only() {
        let rules = SocketRules {
            check_unix: true,
            within: vec!["/tmp/session".into()],
            files: vec!["/home/u/.ssh/agent.sock".into()],
            proxy: None,
        };
        assert!(rules.allows(Path::new("/tmp/session/a/s.sock")));
        assert!(rules.allows(Path::new("/home/u/.ssh/agent.sock")));
        assert!(!rules.allows(Path::new("/run/user/1000/bus")));
        assert!(!rules.allows(Path::new("/tmp/session-other/s.sock")));
    }
}
