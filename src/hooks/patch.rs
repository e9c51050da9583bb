//! The files a Codex `apply_patch` call changes, read from the patch text
//! its hook input carries (`tool_input.command`): every `*** Add File:`,
//! `*** Update File:`, `*** Delete File:` and `*** Move to:` line. Codex's
//! parser allows whitespace around its markers, so they are matched on
//! trimmed lines; a context line that happens to read like a marker names
//! one file more, which gates more, never less.

/// The paths the patch adds, changes, deletes or moves to, in order, as
/// written (relative to the call's working directory, or absolute).
pub fn changed_files(patch: &str) -> Vec<&str> {
    const MARKERS: [&str; 4] = [
        "*** Add File: ",
        "*** Update File: ",
        "*** Delete File: ",
        "*** Move to: ",
    ];
    patch
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            MARKERS
                .iter()
                .find_map(|marker| line.strip_prefix(marker))
                .map(str::trim)
                .filter(|path| !path.is_empty())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_a_patch_touches_is_named() {
        let patch = "*** Begin Patch\n*** Add File: ci.yml\n+x: 1\n*** Update File: src/a.rs\n*** Move to: src/b.rs\n@@\n-a\n+b\n*** Delete File: /abs/old.txt\r\n*** End Patch\n";
        assert_eq!(
            changed_files(patch),
            ["ci.yml", "src/a.rs", "src/b.rs", "/abs/old.txt"]
        );
        // Added lines that look like markers are prefixed with `+`.
        assert!(changed_files("*** Begin Patch\n*** Add File: a\n+*** Add File: b\n").len() == 1);
        // Markers with whitespace around them, as Codex's parser takes them.
        assert_eq!(
            changed_files(
                "*** Begin Patch\n  *** Update File: Cargo.toml  \n@@\n-a\n+b\n*** End Patch"
            ),
            ["Cargo.toml"]
        );
    }
}
