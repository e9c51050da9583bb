//! Reading a trapped process's memory with `process_vm_readv`, one page at a
//! time so that a string ending near an unmapped page is still read.

use nix::sys::uio::{RemoteIoVec, process_vm_readv};
use nix::unistd::Pid;
use std::io::IoSliceMut;

const PAGE: usize = 4096;
/// The longest path read (`PATH_MAX`).
pub const MAX_PATH: usize = 4096;
/// At most this many arguments of an exec are recorded.
pub const MAX_ARGS: usize = 256;
/// At most this many bytes of arguments are recorded.
pub const MAX_ARG_BYTES: usize = 64 * 1024;

/// A trapped thread's address space.
#[derive(Debug, Clone, Copy)]
pub struct Remote {
    pid: Pid,
}

impl Remote {
    /// The thread `tid` (as the notification names it).
    pub fn new(tid: u32) -> Remote {
        Remote {
            pid: Pid::from_raw(tid as i32),
        }
    }

    fn read(&self, address: u64, buffer: &mut [u8]) -> Option<usize> {
        let remote = [RemoteIoVec {
            base: address as usize,
            len: buffer.len(),
        }];
        process_vm_readv(self.pid, &mut [IoSliceMut::new(buffer)], &remote).ok()
    }

    /// A NUL-terminated string of at most `max` bytes (without the NUL).
    pub fn c_string(&self, address: u64, max: usize) -> Option<Vec<u8>> {
        if address == 0 {
            return None;
        }
        // Most strings (paths) are short: read a little at a time, into a
        // buffer on the stack, rather than up to a page (a page-sized buffer
        // per trapped call costs more than the read).
        let mut chunk = [0u8; 256];
        let mut out = Vec::new();
        let mut at = address;
        while out.len() < max {
            let to_page_end = PAGE - (at as usize % PAGE);
            let want = to_page_end.min(max - out.len()).min(chunk.len());
            let read = self.read(at, &mut chunk[..want])?;
            if read == 0 {
                return None;
            }
            if let Some(nul) = chunk[..read].iter().position(|&b| b == 0) {
                out.extend_from_slice(&chunk[..nul]);
                return Some(out);
            }
            out.extend_from_slice(&chunk[..read]);
            at += read as u64;
        }
        Some(out)
    }

    /// `len` bytes at `address`, all of them or nothing.
    pub fn bytes(&self, address: u64, len: usize) -> Option<Vec<u8>> {
        let mut out = vec![0u8; len];
        if len == 0 {
            return Some(out);
        }
        (self.read(address, &mut out)? == len).then_some(out)
    }

    /// A native-endian `u64`.
    pub fn u64_at(&self, address: u64) -> Option<u64> {
        let mut bytes = [0u8; 8];
        (self.read(address, &mut bytes)? == 8).then(|| u64::from_ne_bytes(bytes))
    }

    /// An `argv`-style array of strings; `true` if it was cut short.
    pub fn string_array(&self, address: u64) -> Option<(Vec<String>, bool)> {
        let mut strings = Vec::new();
        let mut total = 0;
        if address == 0 {
            return Some((strings, false));
        }
        for index in 0..MAX_ARGS {
            let pointer = self.u64_at(address + 8 * index as u64)?;
            if pointer == 0 {
                return Some((strings, false));
            }
            let remaining = MAX_ARG_BYTES.saturating_sub(total);
            if remaining == 0 {
                return Some((strings, true));
            }
            let bytes = self.c_string(pointer, remaining)?;
            total += bytes.len() + 1;
            strings.push(String::from_utf8_lossy(&bytes).into_owned());
        }
        Some((strings, true))
    }
}
