//! What an executable needs besides itself: the interpreter of a `#!` script,
//! the dynamic loader of an ELF binary. Pure parsing of a file's first bytes.

/// What the first bytes of an executable say it needs to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecNeeds {
    /// A `#!` script: the interpreter path, and the program `env` is asked to
    /// find (`#!/usr/bin/env node` → `Some("node")`).
    Script {
        /// Interpreter path as written.
        interpreter: String,
        /// For `env` interpreters, the program name it looks up.
        env_program: Option<String>,
    },
    /// An ELF file with a `PT_INTERP` (dynamic loader) path.
    DynamicElf {
        /// The loader path as written in the file.
        loader: String,
    },
    /// Nothing else needed (static ELF, or a format we do not know).
    Nothing,
}

/// Reads the `#!` line or the ELF program headers from `head`.
pub fn parse(head: &[u8]) -> ExecNeeds {
    if let Some(line) = head.strip_prefix(b"#!") {
        return parse_shebang(line);
    }
    if head.starts_with(b"\x7fELF") {
        return parse_elf_interp(head).map_or(ExecNeeds::Nothing, |loader| ExecNeeds::DynamicElf {
            loader,
        });
    }
    ExecNeeds::Nothing
}

fn parse_shebang(line: &[u8]) -> ExecNeeds {
    let end = line.iter().position(|&b| b == b'\n').unwrap_or(line.len());
    let line = String::from_utf8_lossy(&line[..end]);
    let mut words = line.split_whitespace();
    let Some(interpreter) = words.next() else {
        return ExecNeeds::Nothing;
    };
    let env_program = if interpreter.rsplit('/').next() == Some("env") {
        // Skip `env` options such as `-S`; the first other word is the program.
        words.find(|word| !word.starts_with('-') && !word.contains('='))
    } else {
        None
    };
    ExecNeeds::Script {
        interpreter: interpreter.to_string(),
        env_program: env_program.map(str::to_string),
    }
}

/// Finds the `PT_INTERP` string of a 64- or 32-bit little-endian ELF file.
fn parse_elf_interp(head: &[u8]) -> Option<String> {
    const PT_INTERP: u32 = 3;
    let is_64 = *head.get(4)? == 2;
    if *head.get(5)? != 1 {
        return None; // big-endian: not a format this machine runs
    }
    let read_u16 = |at: usize| Some(u16::from_le_bytes(head.get(at..at + 2)?.try_into().ok()?));
    let read_u32 = |at: usize| Some(u32::from_le_bytes(head.get(at..at + 4)?.try_into().ok()?));
    let read_u64 = |at: usize| Some(u64::from_le_bytes(head.get(at..at + 8)?.try_into().ok()?));
    let (phoff, phentsize, phnum) = if is_64 {
        (
            read_u64(0x20)? as usize,
            read_u16(0x36)? as usize,
            read_u16(0x38)? as usize,
        )
    } else {
        (
            read_u32(0x1c)? as usize,
            read_u16(0x2a)? as usize,
            read_u16(0x2c)? as usize,
        )
    };
    for index in 0..phnum {
        let header = phoff.checked_add(index.checked_mul(phentsize)?)?;
        if read_u32(header)? != PT_INTERP {
            continue;
        }
        let (offset, size) = if is_64 {
            (
                read_u64(header + 0x08)? as usize,
                read_u64(header + 0x20)? as usize,
            )
        } else {
            (
                read_u32(header + 0x04)? as usize,
                read_u32(header + 0x10)? as usize,
            )
        };
        let bytes = head.get(offset..offset.checked_add(size)?)?;
        let bytes = bytes.split(|&b| b == 0).next()?;
        return String::from_utf8(bytes.to_vec()).ok();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebang_with_env_and_options() {
        assert_eq!(
            parse(b"#!/usr/bin/env -S node --no-warnings\nrest"),
            ExecNeeds::Script {
                interpreter: "/usr/bin/env".into(),
                env_program: Some("node".into())
            }
        );
        assert_eq!(
            parse(b"#! /bin/sh -e\n"),
            ExecNeeds::Script {
                interpreter: "/bin/sh".into(),
                env_program: None
            }
        );
        assert_eq!(parse(b"plain text"), ExecNeeds::Nothing);
    }

    #[test]
    fn reads_the_loader_of_a_real_binary() {
        let head = std::fs::read("/bin/sh").unwrap();
        match parse(&head[..head.len().min(8192)]) {
            ExecNeeds::DynamicElf { loader } => assert!(loader.contains("ld-linux"), "{loader}"),
            other => panic!("/bin/sh should be a dynamic ELF, got {other:?}"),
        }
    }

    #[test]
    fn truncated_elf_is_not_a_panic() {
        assert_eq!(parse(b"\x7fELF\x02\x01"), ExecNeeds::Nothing);
    }
}
