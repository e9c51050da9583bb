//! Reading a `/proc` file in as few system calls as the kernel allows.
//!
//! `std::fs::read_to_string` asks for the file's size first (`statx`),
//! which `/proc` gives as 0, then reads in growing steps from 32 bytes: six
//! or seven calls for a 300-byte `/proc/PID/stat`, each a few µs on the
//! supervisor's path. Here: one open, and one read when the file fits the
//! buffer (the kernel hands a `/proc` file out whole when it fits).

use std::io::Read;

/// The first read's size: every per-process file guard reads fits, the
/// command line aside.
const FIRST_READ: usize = 4096;

/// The contents of `path`, at most `limit` bytes.
pub fn read(path: &str, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut file = std::fs::File::open(path)?;
    let mut contents = vec![0; FIRST_READ.min(limit)];
    let mut filled = 0;
    loop {
        let read = file.read(&mut contents[filled..])?;
        filled += read;
        // A short read is the end of a `/proc` file; a full one may not be.
        if read == 0 || filled < contents.len() || contents.len() == limit {
            contents.truncate(filled);
            return Ok(contents);
        }
        contents.resize((contents.len() * 2).min(limit), 0);
    }
}

/// The contents of `path` as text (at most 64 KiB).
pub fn read_text(path: &str) -> std::io::Result<String> {
    let contents = read(path, 64 * 1024)?;
    String::from_utf8(contents).map_err(std::io::Error::other)
}

/// A number of a `/proc/PID/status` text, by its field's name with the
/// colon (`"Tgid:"`).
pub fn status_field<T: std::str::FromStr>(status: &str, name: &str) -> Option<T> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|value| value.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_small_and_large_files_whole_up_to_the_limit() {
        let status = read_text("/proc/self/status").unwrap();
        assert!(
            status.contains("\nTgid:") && status.ends_with('\n'),
            "{status}"
        );
        let pid: Option<u32> = status_field(&status, "Tgid:");
        assert_eq!(pid, Some(std::process::id()));
        // Larger than the first read: read on until the end, or the limit.
        let file = tempfile::NamedTempFile::new().unwrap();
        let contents: Vec<u8> = (0..10_000u32).map(|n| (n % 251) as u8).collect();
        std::fs::write(file.path(), &contents).unwrap();
        let path = file.path().to_str().unwrap();
        assert_eq!(read(path, usize::MAX).unwrap(), contents);
        assert_eq!(read(path, 5000).unwrap(), contents[..5000]);
        assert_eq!(read(path, 100).unwrap(), contents[..100]);
    }
}
