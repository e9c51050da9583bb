//! The supervisor: guard's side of seccomp user notification.
//!
//! The kernel traps a call in the confined process and hands it to the
//! supervisor, which decides and answers. The supervisor never lets the kernel
//! re-read what the process asked for after a decision (`CONTINUE` would, and a
//! racing thread could change it in between); it performs the call itself on
//! its own copy of the descriptor, with the arguments it checked, and returns
//! the result. Today it mediates `connect` for `unix_sockets = "listed"`.

mod connect;

pub use connect::SocketRules;

use crate::sys::notify::{Listener, Response};
use std::sync::Arc;

/// Serves trapped calls until the process exits. Each call is handled on its
/// own short-lived thread, so a slow `connect` never holds up the others.
pub fn spawn(listener: Listener, rules: SocketRules) -> std::io::Result<()> {
    if let Err(error) = listener.set_sync_wakeup() {
        tracing::debug!(%error, "no synchronous wake-up for seccomp notifications; slower path in use");
    }
    let listener = Arc::new(listener);
    let rules = Arc::new(rules);
    std::thread::Builder::new()
        .name("guard-supervisor".to_string())
        .spawn(move || {
            loop {
                let notification = match listener.receive() {
                    Ok(notification) => notification,
                    // The trapped process died before we read the call.
                    Err(error) if error.raw_os_error() == Some(libc::ENOENT) => continue,
                    Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(error) => {
                        tracing::debug!(%error, "supervisor stops");
                        return;
                    }
                };
                let (worker_listener, worker_rules) = (Arc::clone(&listener), Arc::clone(&rules));
                let handled = std::thread::Builder::new().spawn(move || {
                    let response = if notification.syscall == libc::SYS_connect as i32 {
                        connect::handle(&worker_listener, &notification, &worker_rules)
                    } else {
                        Response::Fail(libc::ENOSYS)
                    };
                    // The process may have died meanwhile: nothing to answer.
                    let _ = worker_listener.respond(notification.id, response);
                });
                if handled.is_err() {
                    // No thread to be had: refuse rather than leave the call hanging.
                    let _ = listener.respond(notification.id, Response::Fail(libc::EAGAIN));
                }
            }
        })?;
    Ok(())
}
