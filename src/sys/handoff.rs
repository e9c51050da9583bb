//! Handing the seccomp listener from the child to guard: the child sends the
//! descriptor over a socket pair (`SCM_RIGHTS`) and waits for guard to say its
//! supervisor is running before it executes the command, so no trapped call
//! can ever wait for a supervisor that does not exist yet.

use nix::sys::socket::{
    AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags, SockFlag, SockType, recvmsg,
    sendmsg, socketpair,
};
use std::io::{IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

/// A connected pair: guard's end and the child's end.
pub fn pair() -> std::io::Result<(UnixStream, UnixStream)> {
    let (parent, child) = socketpair(
        AddressFamily::Unix,
        SockType::Stream,
        None,
        SockFlag::SOCK_CLOEXEC,
    )?;
    Ok((UnixStream::from(parent), UnixStream::from(child)))
}

/// Sends `fd` (one byte and the descriptor).
pub fn send(control: &UnixStream, fd: &OwnedFd) -> std::io::Result<()> {
    let fds = [fd.as_raw_fd()];
    let message = [IoSlice::new(b"L")];
    sendmsg::<()>(
        control.as_raw_fd(),
        &message,
        &[ControlMessage::ScmRights(&fds)],
        MsgFlags::empty(),
        None,
    )?;
    Ok(())
}

/// Child side: sends `fd` and waits for the acknowledgement.
pub fn send_and_wait(control: &mut UnixStream, fd: &OwnedFd) -> std::io::Result<()> {
    send(control, fd)?;
    let mut ack = [0u8; 1];
    control.read_exact(&mut ack)?;
    Ok(())
}

/// Guard side: receives the descriptor, or `None` if the child closed its end
/// without sending one (its setup failed; the error pipe says why).
pub fn receive(control: &UnixStream) -> std::io::Result<Option<OwnedFd>> {
    let mut byte = [0u8; 1];
    let mut buffer = [IoSliceMut::new(&mut byte)];
    let mut space = nix::cmsg_space!(RawFd);
    let message = recvmsg::<()>(
        control.as_raw_fd(),
        &mut buffer,
        Some(&mut space),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )?;
    for cmsg in message.cmsgs()? {
        if let ControlMessageOwned::ScmRights(fds) = cmsg
            && let Some(&fd) = fds.first()
        {
            // SAFETY: the kernel installed this descriptor in our table for
            // this message; nothing else refers to it.
            return Ok(Some(unsafe { OwnedFd::from_raw_fd(fd) }));
        }
    }
    Ok(None)
}

/// Guard side: lets the child go on to `execve`.
pub fn acknowledge(control: &mut UnixStream) -> std::io::Result<()> {
    control.write_all(b"A")
}
