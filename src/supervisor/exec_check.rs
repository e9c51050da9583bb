//! Whether an exec ran what its record names.
//!
//! The supervisor cannot run a program for a process: it records an exec
//! and hands it back to the kernel (`CONTINUE`), which then reads the path
//! and the arguments again, from the process's memory. A racing thread (or
//! another process writing that memory) can make the kernel run another
//! program, or the same one with other arguments, than the record names.
//!
//! That cannot be stopped from here, but it can be told. Before the exec
//! goes on, the supervisor notes the process's image (where its code and
//! stack lie: `/proc/PID/stat`). When that process next traps and its image
//! has changed, its new program runs: the supervisor compares what the
//! kernel runs (`/proc/PID/exe`, `/proc/PID/cmdline`) with the record (the
//! file it names, or for a script the interpreters its `#!` lines name, and
//! the arguments). A difference is reported ([`Finding`]), naming what
//! runs. Only the process's own id is checked: a sibling thread trapping
//! before the exec is through still has the old image, and the old program.

use crate::sys::proc_stat::{ProcessStat, process_stat};
use std::collections::HashMap;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// How many interpreters a script's `#!` line may lead through (the
/// kernel's `BINPRM_MAX_RECURSION` is 4).
const INTERPRETER_DEPTH: usize = 5;
/// How much of a script's first line is read for its `#!`.
const FIRST_LINE: u64 = 256;
/// Past this many waiting checks, those of processes that are gone are
/// dropped.
const PRUNE_AT: usize = 4096;

/// A file, as the kernel tells files apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    device: u64,
    inode: u64,
}

impl FileId {
    fn of(path: &Path) -> Option<FileId> {
        let metadata = std::fs::metadata(path).ok()?;
        Some(FileId {
            device: metadata.dev(),
            inode: metadata.ino(),
        })
    }
}

/// An exec let go, whose outcome is not seen yet.
#[derive(Debug)]
struct Pending {
    /// When the process started: a later process given its id is another.
    started: u64,
    /// Its image when it called exec.
    image: [u64; 3],
    /// What the exec record names (nothing when its arguments could not be
    /// read: `unread`).
    path: PathBuf,
    unread: bool,
    argv: Vec<String>,
    argv_truncated: bool,
    /// The working directory the record names (for relative interpreters).
    cwd: PathBuf,
}

/// What ran other than the record said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The program the kernel runs (`/proc/PID/exe`), or the script its
    /// interpreter was given.
    pub runs: PathBuf,
    /// That script's interpreter (`/proc/PID/exe`).
    pub interpreter: Option<PathBuf>,
    /// Its arguments (`/proc/PID/cmdline`).
    pub argv: Vec<String>,
    /// The program the exec record names.
    pub recorded: PathBuf,
    /// What differs.
    pub differs: Differs,
}

/// What differs between what runs and the exec record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Differs {
    /// The program.
    Program,
    /// Only the arguments.
    Arguments,
    /// Not known: what runs could not be read (the new program made itself
    /// non-dumpable before its first trapped call).
    Unknown,
    /// The exec record names nothing: the caller's memory could not be
    /// read (it was not dumpable, and the supervisor may not look into
    /// such a process). This record says what ran.
    Unrecorded,
}

impl Differs {
    /// The name used in the log.
    pub fn name(self) -> &'static str {
        match self {
            Differs::Program => "program",
            Differs::Arguments => "arguments",
            Differs::Unknown => "unknown",
            Differs::Unrecorded => "unrecorded",
        }
    }
}

/// The execs of the session awaiting their check, by process id.
#[derive(Debug, Default)]
pub struct ExecChecks {
    pending: HashMap<u32, Pending>,
}

impl ExecChecks {
    /// Notes an exec of process `pid` before it is let go (nothing to check
    /// if the process is gone already).
    pub fn expect(
        &mut self,
        pid: u32,
        path: &Path,
        argv: &[String],
        argv_truncated: bool,
        cwd: &Path,
    ) {
        self.insert(pid, |started, image| Pending {
            started,
            image,
            path: path.to_path_buf(),
            unread: false,
            argv: argv.to_vec(),
            argv_truncated,
            cwd: cwd.to_path_buf(),
        });
    }

    /// Notes an exec of process `pid` whose arguments could not be read,
    /// before it is let go: what runs is reported at its check.
    pub fn expect_unread(&mut self, pid: u32) {
        self.insert(pid, |started, image| Pending {
            started,
            image,
            path: PathBuf::new(),
            unread: true,
            argv: Vec::new(),
            argv_truncated: false,
            cwd: PathBuf::new(),
        });
    }

    /// Notes `pid`'s exec, made by `pending` from the process's start time
    /// and image (nothing if the process is gone already).
    fn insert(&mut self, pid: u32, pending: impl FnOnce(u64, [u64; 3]) -> Pending) {
        let Some(stat) = process_stat(pid as i32) else {
            return;
        };
        if self.pending.len() >= PRUNE_AT {
            self.pending
                .retain(|&pid, pending| same_process(process_stat(pid as i32), pending));
        }
        self.pending
            .insert(pid, pending(stat.start_time, stat.image));
    }

    /// Called for each trapped call of thread `tid`, before it is handled:
    /// if `tid` is a process whose exec went through since, the check of
    /// that exec, and what it found.
    pub fn check(&mut self, tid: u32) -> Option<Finding> {
        let pending = self.pending.get(&tid)?;
        let stat = process_stat(tid as i32);
        if !same_process(stat, pending) {
            self.pending.remove(&tid);
            return None;
        }
        // Hidden (zeros) both times, the new image cannot be told from the
        // old: what runs is read (and found hidden, or compared) then too.
        let hidden = pending.image == [0; 3];
        if stat.is_some_and(|stat| stat.image == pending.image) && !hidden {
            // Not through yet (or it failed): the old program traps.
            return None;
        }
        let pending = self.pending.remove(&tid)?;
        compare(tid, &pending)
    }
}

fn same_process(stat: Option<ProcessStat>, pending: &Pending) -> bool {
    stat.is_some_and(|stat| stat.start_time == pending.started)
}

/// What process `pid` runs, against what its exec record named.
fn compare(pid: u32, pending: &Pending) -> Option<Finding> {
    let exe = PathBuf::from(format!("/proc/{pid}/exe"));
    let (Some(runs), Some(argv)) = (FileId::of(&exe), command_line(pid)) else {
        // The process waits in its call, so it is there: it hides.
        return Some(Finding {
            runs: exe,
            interpreter: None,
            argv: Vec::new(),
            recorded: pending.path.clone(),
            differs: Differs::Unknown,
        });
    };
    let exe_path = || std::fs::read_link(&exe).unwrap_or_else(|_| exe.clone());
    if pending.unread {
        return Some(Finding {
            runs: exe_path(),
            interpreter: None,
            argv,
            recorded: PathBuf::new(),
            differs: Differs::Unrecorded,
        });
    }
    let finding = |runs, interpreter, program_differs: bool| {
        Some(Finding {
            runs,
            interpreter,
            argv: argv.clone(),
            recorded: pending.path.clone(),
            differs: match program_differs {
                true => Differs::Program,
                false => Differs::Arguments,
            },
        })
    };
    let (recorded, truncated) = (&pending.argv, pending.argv_truncated);
    let rest = recorded.get(1..).unwrap_or_default();
    match program_depth(runs, &pending.path, &pending.cwd) {
        None => finding(exe_path(), None, true),
        Some(Step { depth: 0, .. }) => match arguments_match(recorded, truncated, &argv) {
            true => None,
            false => finding(exe_path(), None, false),
        },
        // A script: the kernel gave its interpreter the script's name as
        // it read it (after the `#!` line's words), then the arguments
        // after the first.
        Some(Step {
            depth: 1,
            with_argument,
        }) => {
            let at = 1 + usize::from(with_argument);
            let name = argv.get(at)?;
            let script = script_path(pid, &pending.cwd, name);
            let program_differs = FileId::of(&script) != FileId::of(&pending.path);
            if !program_differs && arguments_match(rest, truncated, &argv[at + 1..]) {
                return None;
            }
            // A descriptor's link names its file.
            let shown = match script.starts_with("/proc") {
                true => std::fs::read_link(&script).unwrap_or(script),
                false => script,
            };
            finding(shown, Some(exe_path()), program_differs)
        }
        // Deeper, each interpreter's name comes first: the arguments end
        // the line.
        Some(_) => {
            let ends_with = argv.len() >= rest.len() && argv[argv.len() - rest.len()..] == *rest;
            match truncated || ends_with {
                true => None,
                false => finding(exe_path(), None, false),
            }
        }
    }
}

/// Where a program was found among a file and its interpreters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Step {
    /// 0 for the file itself, 1 for the interpreter its `#!` line names, …
    depth: usize,
    /// Whether the `#!` line that named it gave it an argument too.
    with_argument: bool,
}

/// Where `runs` is among what `path` names and the interpreters its `#!`
/// lines lead to (relative ones from `cwd`, as the kernel takes them);
/// `None` if nowhere. Each line is read only if needed.
fn program_depth(runs: FileId, path: &Path, cwd: &Path) -> Option<Step> {
    let mut program = path.to_path_buf();
    let mut with_argument = false;
    for depth in 0..INTERPRETER_DEPTH {
        if FileId::of(&program) == Some(runs) {
            return Some(Step {
                depth,
                with_argument,
            });
        }
        let (next, argument) = interpreter(&program)?;
        program = cwd.join(next);
        with_argument = argument;
    }
    None
}

/// The file a script's name (as the kernel read it) names: relative to the
/// working directory, or one of the process's descriptors (`fexecve`).
fn script_path(pid: u32, cwd: &Path, name: &str) -> PathBuf {
    match name
        .strip_prefix("/dev/fd/")
        .or_else(|| name.strip_prefix("/proc/self/fd/"))
    {
        Some(fd) => PathBuf::from(format!("/proc/{pid}/fd/{fd}")),
        None => cwd.join(name),
    }
}

/// The interpreter a script's first line names (`#!/bin/sh -e`: `/bin/sh`),
/// and whether the line gives it an argument (`-e`).
fn interpreter(script: &Path) -> Option<(PathBuf, bool)> {
    let mut first = Vec::new();
    std::fs::File::open(script)
        .ok()?
        .take(FIRST_LINE)
        .read_to_end(&mut first)
        .ok()?;
    let line = first.strip_prefix(b"#!")?;
    let line = &line[..line.iter().position(|&b| b == b'\n').unwrap_or(line.len())];
    let mut words = line
        .split(|&b| b == b' ' || b == b'\t')
        .filter(|word| !word.is_empty());
    let name = words.next()?;
    let path = PathBuf::from(std::ffi::OsStr::from_bytes(name));
    Some((path, words.next().is_some()))
}

/// The arguments process `pid` runs with.
fn command_line(pid: u32) -> Option<Vec<String>> {
    // Past what an exec record keeps, arguments differ from it anyway.
    let limit = super::memory::MAX_ARG_BYTES + super::memory::MAX_ARGS + 1;
    let raw = crate::sys::proc_file::read(&format!("/proc/{pid}/cmdline"), limit).ok()?;
    let raw = raw.strip_suffix(b"\0").unwrap_or(&raw);
    if raw.is_empty() {
        return Some(Vec::new());
    }
    Some(
        raw.split(|&b| b == 0)
            .map(|argument| String::from_utf8_lossy(argument).into_owned())
            .collect(),
    )
}

/// Whether the arguments a process runs with are those recorded (of which
/// only a prefix was kept when `truncated`).
fn arguments_match(recorded: &[String], truncated: bool, running: &[String]) -> bool {
    if !truncated {
        return recorded == running;
    }
    let Some((last, whole)) = recorded.split_last() else {
        return true;
    };
    running.len() >= recorded.len()
        && running[..whole.len()] == *whole
        && running[whole.len()].starts_with(last.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|value| value.to_string()).collect()
    }

    #[test]
    fn arguments_are_compared_whole_or_as_the_prefix_kept() {
        let running = strings(&["git", "status", "--short"]);
        assert!(arguments_match(&running, false, &running));
        assert!(!arguments_match(
            &strings(&["git", "push"]),
            false,
            &running
        ));
        assert!(!arguments_match(
            &strings(&["git", "status"]),
            false,
            &running
        ));
        assert!(arguments_match(&strings(&["git", "sta"]), true, &running));
        assert!(arguments_match(&strings(&["git"]), true, &running));
        assert!(!arguments_match(&strings(&["git", "pu"]), true, &running));
        assert!(!arguments_match(
            &strings(&["git", "status", "--short", "x"]),
            true,
            &running
        ));
    }

    #[test]
    fn a_script_leads_to_its_interpreters() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("inner");
        std::fs::write(&inner, "#!/bin/sh\necho inner\n").unwrap();
        let outer = dir.path().join("outer");
        // A relative interpreter is taken from the working directory.
        std::fs::write(&outer, "#!  inner -x\n").unwrap();
        let id = |path: &Path| FileId::of(path).unwrap();
        let steps = [
            (&*outer, false),
            (&*inner, true),
            (Path::new("/bin/sh"), false),
        ];
        for (depth, (runs, with_argument)) in steps.into_iter().enumerate() {
            let step = program_depth(id(runs), &outer, dir.path());
            assert_eq!(
                step,
                Some(Step {
                    depth,
                    with_argument
                }),
                "{runs:?}"
            );
        }
        let elsewhere = id(Path::new("/proc/self/exe"));
        assert_eq!(program_depth(elsewhere, &outer, dir.path()), None);
        // Not from another working directory.
        assert_eq!(program_depth(id(&inner), &outer, Path::new("/")), None);
        assert_eq!(interpreter(Path::new("/bin/sh")), None);
        assert_eq!(interpreter(&inner), Some((PathBuf::from("/bin/sh"), false)));
    }

    #[test]
    fn this_process_runs_what_it_was_started_as() {
        let pid = std::process::id();
        let exe = std::fs::read_link("/proc/self/exe").unwrap();
        let argv: Vec<String> = std::env::args().collect();
        let pending = |path: &Path, argv: Vec<String>| Pending {
            started: 0,
            image: [0; 3],
            path: path.to_path_buf(),
            unread: false,
            argv,
            argv_truncated: false,
            cwd: PathBuf::from("/"),
        };
        assert_eq!(compare(pid, &pending(&exe, argv.clone())), None);
        let other = compare(pid, &pending(Path::new("/bin/sh"), argv.clone())).unwrap();
        assert_eq!(other.differs, Differs::Program);
        assert_eq!(
            (other.runs, other.argv.clone()),
            (exe.clone(), argv.clone())
        );
        let other_arguments = compare(pid, &pending(&exe, strings(&["other"]))).unwrap();
        assert_eq!(other_arguments.differs, Differs::Arguments);
        assert_eq!(other_arguments.argv, argv);
        // An exec whose arguments were not read: what runs, whatever it is.
        let unread = Pending {
            unread: true,
            ..pending(Path::new(""), Vec::new())
        };
        let reported = compare(pid, &unread).unwrap();
        assert_eq!(reported.differs, Differs::Unrecorded);
        assert_eq!((reported.runs, reported.argv), (exe, argv));
    }
}
