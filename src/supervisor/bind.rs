//! TCP binds, which Landlock refuses in the kernel when the session's
//! network is not the host's (`EACCES`, and no record).
//!
//! `bind` is trapped in those sessions; a bind of a TCP socket is refused
//! here first, with a record naming the port. Every other bind (unix
//! sockets, netlink) goes on to the kernel, which decides as before, as it
//! does for a socket swapped under the descriptor meanwhile.

use super::Shared;
use super::record::Processes;
use crate::sys::notify::{
    Listener, Notification, Response, socket_domain, socket_protocol, take_fd,
};

/// Answers a trapped `bind(fd, address, length)`.
pub(super) fn handle(
    listener: &Listener,
    shared: &Shared,
    call: &Notification,
    processes: &mut Processes,
) {
    if !is_tcp(call) {
        let _ = listener.respond(call.id, Response::Continue);
        return;
    }
    let port = port_asked(call);
    super::refuse(listener, shared, call, processes, libc::EACCES, |event| {
        let event = event
            .with("syscall", "bind")
            .with("operation", "bind")
            .with(
                "rule",
                "network: no TCP port may be bound (Landlock handles TCP bind with no rule)",
            );
        match port {
            Some(port) => event.with("port", port),
            None => event,
        }
    });
}

/// Whether the call's descriptor is a TCP socket.
fn is_tcp(call: &Notification) -> bool {
    let Ok(socket) = take_fd(call.pid, call.args[0] as i32) else {
        return false;
    };
    matches!(socket_domain(&socket), Ok(libc::AF_INET | libc::AF_INET6))
        && matches!(socket_protocol(&socket), Ok(libc::IPPROTO_TCP))
}

/// The port the bind asks for (`sin_port` and `sin6_port` lie at the same
/// place), if its address can be read.
fn port_asked(call: &Notification) -> Option<u16> {
    let bytes = super::memory::Remote::new(call.pid).bytes(call.args[1] + 2, 2)?;
    Some(u16::from_be_bytes([bytes[0], bytes[1]]))
}
