//! What `/proc/PID/stat` says about a process: the one reader of that file.

/// The fields of `/proc/PID/stat` guard uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessStat {
    /// The state letter (`R`, `S`, `Z`, …).
    pub state: char,
    /// The parent's pid.
    pub parent: i32,
    /// When the process started, in clock ticks since boot: with the pid,
    /// it names one process across pid reuse.
    pub start_time: u64,
    /// Where its program's code starts and ends and where its stack starts
    /// (fields 26–28): new with every exec that went through (address
    /// space randomisation aside, a new program is laid out anew). Zeros
    /// when the reader may not see them (`ptrace` access mode read).
    pub image: [u64; 3],
}

/// `/proc/PID/stat` of `pid`, or `None` when the process is gone (or the
/// file does not read as the kernel writes it).
pub fn process_stat(pid: i32) -> Option<ProcessStat> {
    parse(&super::proc_file::read_text(&format!("/proc/{pid}/stat")).ok()?)
}

fn parse(stat: &str) -> Option<ProcessStat> {
    // The command name may hold spaces and parentheses: the fields after it
    // start after the last `)`.
    let (_, after_name) = stat.rsplit_once(')')?;
    let mut fields = after_name.split_ascii_whitespace();
    let state = fields.next()?.chars().next()?;
    let parent = fields.next()?.parse().ok()?;
    // Field 22 of the file; the state is field 3.
    let start_time = fields.nth(22 - 3 - 2)?.parse().ok()?;
    // Fields 26, 27 and 28 (absent in files older kernels wrote: zeros).
    let mut image = [0; 3];
    let mut rest = fields.skip(26 - 22 - 1);
    for slot in &mut image {
        *slot = rest
            .next()
            .and_then(|field| field.parse().ok())
            .unwrap_or(0);
    }
    Some(ProcessStat {
        state,
        parent,
        start_time,
        image,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_spaces_and_parentheses_does_not_shift_the_fields() {
        let line = "4242 (a) b) (c) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 200 18446744073709551615 4096 8192 65536 0\n";
        assert_eq!(
            parse(line),
            Some(ProcessStat {
                state: 'S',
                parent: 17,
                start_time: 987654,
                image: [4096, 8192, 65536],
            })
        );
        assert_eq!(parse("4242 (cut) S 17\n"), None);
        assert_eq!(parse("no parenthesis"), None);
    }

    #[test]
    fn reads_this_process() {
        let own = process_stat(std::process::id() as i32).unwrap();
        assert_eq!(own.parent, nix::unistd::getppid().as_raw());
        assert!(own.start_time > 0, "{own:?}");
        assert!(own.image.iter().all(|&address| address > 0), "{own:?}");
    }
}
