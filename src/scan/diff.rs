//! The added lines of a unified diff as `git diff` prints it: the one diff
//! reader of the commit checks (secrets and planted instructions).
//!
//! A line is read by where it stands, not by how it starts: inside a hunk
//! the `@@ -a,b +c,d @@` header says how many old and new lines follow, so
//! an added line whose text begins `++ ` (printed `+++ …`) is an added line,
//! not the next file's header. Paths git quotes (`"b/caf\303\251"`) are
//! unquoted.

/// The lines one file gained, as the diff shows them.
#[derive(Debug, PartialEq, Eq)]
pub struct FileAdditions<'a> {
    /// The file's path in the new tree, relative to the repository.
    pub path: String,
    /// Each added line: its 1-based number in the new file, and its text.
    pub lines: Vec<(usize, &'a str)>,
}

/// Where the reader stands: between hunks, or inside one with so many old
/// and new lines still to come.
enum Position {
    Headers,
    Hunk { old: usize, new: usize, line: usize },
}

/// Every file of `diff` that gained lines, with those lines, in diff order.
/// Files without a new side (deleted) and lines outside a hunk are skipped.
pub fn added_lines(diff: &str) -> Vec<FileAdditions<'_>> {
    let mut files: Vec<FileAdditions<'_>> = Vec::new();
    let mut path: Option<String> = None;
    let mut position = Position::Headers;
    for text in diff.lines() {
        if let Position::Hunk { old, new, line } = &mut position {
            let taken = match text.as_bytes().first() {
                Some(b'+') if *new > 0 => {
                    if let Some(path) = &path {
                        match files.last_mut() {
                            Some(file) if &file.path == path => {
                                file.lines.push((*line, &text[1..]))
                            }
                            _ => files.push(FileAdditions {
                                path: path.clone(),
                                lines: vec![(*line, &text[1..])],
                            }),
                        }
                    }
                    *new -= 1;
                    *line += 1;
                    true
                }
                Some(b'-') if *old > 0 => {
                    *old -= 1;
                    true
                }
                Some(b' ') if *old > 0 && *new > 0 => {
                    *old -= 1;
                    *new -= 1;
                    *line += 1;
                    true
                }
                // "\ No newline at end of file" belongs to the line before.
                Some(b'\\') => true,
                _ => false,
            };
            if *old == 0 && *new == 0 {
                position = Position::Headers;
            }
            if taken {
                continue;
            }
            position = Position::Headers;
        }
        if text.starts_with("diff ") {
            path = None;
        } else if let Some(new_path) = text.strip_prefix("+++ ") {
            path = new_side(new_path);
        } else if let Some(hunk) = text.strip_prefix("@@ ")
            && let Some((old, new, line)) = hunk_counts(hunk)
            && (old, new) != (0, 0)
        {
            position = Position::Hunk { old, new, line };
        }
    }
    files
}

/// The path a `+++ ` header names, without git's `b/` prefix; `None` for
/// `/dev/null` (the file was deleted).
fn new_side(header: &str) -> Option<String> {
    // git ends a header naming a path with spaces in a tab.
    let header = header.strip_suffix('\t').unwrap_or(header);
    let path = match header.strip_prefix('"') {
        Some(quoted) => unquote(quoted.strip_suffix('"')?)?,
        None => header.to_string(),
    };
    if path == "/dev/null" {
        return None;
    }
    Some(path.strip_prefix("b/").map(str::to_string).unwrap_or(path))
}

/// A path as git's C-style quoting writes it (`\t`, `\"`, `\\`, octal bytes).
fn unquote(quoted: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(quoted.len());
    let mut rest = quoted.bytes();
    while let Some(byte) = rest.next() {
        if byte != b'\\' {
            bytes.push(byte);
            continue;
        }
        let escaped = rest.next()?;
        bytes.push(match escaped {
            b'a' => 0x07,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'v' => 0x0b,
            b'0'..=b'3' => {
                let (second, third) = (rest.next()?, rest.next()?);
                let digit = |b: u8| (b'0'..=b'7').contains(&b).then(|| b - b'0');
                (escaped - b'0') * 64 + digit(second)? * 8 + digit(third)?
            }
            other => other,
        });
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// The old and new line counts and the first new line of a hunk header
/// (`-a,b +c,d @@`; a count left out is 1).
fn hunk_counts(header: &str) -> Option<(usize, usize, usize)> {
    let mut parts = header.split(' ');
    let range = |part: Option<&str>, sign: char| -> Option<(usize, usize)> {
        let range = part?.strip_prefix(sign)?;
        let (start, count) = match range.split_once(',') {
            Some((start, count)) => (start.parse().ok()?, count.parse().ok()?),
            None => (range.parse().ok()?, 1),
        };
        Some((start, count))
    };
    let (_, old) = range(parts.next(), '-')?;
    let (start, new) = range(parts.next(), '+')?;
    Some((old, new, start))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines<'a>(files: &'a [FileAdditions<'a>], path: &str) -> Vec<(usize, &'a str)> {
        files
            .iter()
            .filter(|file| file.path == path)
            .flat_map(|file| file.lines.iter().copied())
            .collect()
    }

    #[test]
    fn an_added_line_that_looks_like_a_header_is_an_added_line() {
        let diff = "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1,0 +2,3 @@\n\
                    +++ token=ghp_planted\n+--- x\n+@@ -1 +1 @@\n\
                    diff --git a/b.txt b/b.txt\n--- a/b.txt\n+++ b/b.txt\n@@ -5 +5 @@\n-old\n+new\n";
        let files = added_lines(diff);
        assert_eq!(
            lines(&files, "a.txt"),
            [
                (2, "++ token=ghp_planted"),
                (3, "--- x"),
                (4, "@@ -1 +1 @@")
            ]
        );
        assert_eq!(lines(&files, "b.txt"), [(5, "new")]);
        assert_eq!(files.len(), 2, "{files:?}");
    }

    #[test]
    fn context_lines_count_and_deleted_files_gain_nothing() {
        let diff = "--- a/k.rs\n+++ b/k.rs\n@@ -10,3 +10,4 @@ fn main\n keep\n-gone\n+one\n+two\n\\ No newline at end of file\n keep\n\
                    --- a/old.rs\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-x\n-y\n";
        let files = added_lines(diff);
        assert_eq!(lines(&files, "k.rs"), [(11, "one"), (12, "two")]);
        assert_eq!(files.len(), 1);
    }

    #[test]
    fn quoted_paths_are_unquoted() {
        let diff = "+++ \"b/caf\\303\\251 \\\"x\\\".txt\"\n@@ -0,0 +1 @@\n+hi\n\
                    +++ b/with space.txt\t\n@@ -0,0 +1 @@\n+there\n";
        let files = added_lines(diff);
        assert_eq!(lines(&files, "café \"x\".txt"), [(1, "hi")]);
        assert_eq!(lines(&files, "with space.txt"), [(1, "there")]);
    }

    #[test]
    fn text_outside_a_hunk_is_not_an_added_line() {
        let diff = "+++ b/a\n+stray\n@@ -0,0 +1 @@\n+real\n+beyond the count\n";
        assert_eq!(lines(&added_lines(diff), "a"), [(1, "real")]);
    }
}
