//! What git configuration says about where git looks and what it runs,
//! read the way git reads it (`git-config(1)`, "CONFIGURATION FILE"), but
//! only for the keys the boundary needs: `core.hooksPath`, and the files
//! `include.path` and `includeIf.<condition>.path` pull in (whatever the
//! condition: a file that may be included is protected).
//!
//! guard reads the files itself instead of running git on a repository the
//! session may have prepared.

/// What one configuration file names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitConfigRefs {
    /// Values of `core.hooksPath`, as written (later ones win in git; all
    /// are kept: any of them may be in force).
    pub hooks_paths: Vec<String>,
    /// Values of `include.path` and `includeIf.*.path`, as written.
    pub includes: Vec<String>,
}

/// Reads `text` as a git configuration file.
pub fn parse(text: &str) -> GitConfigRefs {
    let mut refs = GitConfigRefs::default();
    let mut section = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let mut rest = line.trim_start();
        if let Some(header) = rest.strip_prefix('[') {
            let Some(end) = header_end(header) else {
                continue;
            };
            section = section_name(&header[..end]);
            rest = header[end + 1..].trim_start();
        }
        if rest.is_empty() || rest.starts_with('#') || rest.starts_with(';') {
            continue;
        }
        let name_end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(rest.len());
        let key = rest[..name_end].to_ascii_lowercase();
        let after = rest[name_end..].trim_start();
        let Some(raw) = after.strip_prefix('=') else {
            continue;
        };
        let value = read_value(raw, &mut lines);
        match (section.as_str(), key.as_str()) {
            ("core", "hookspath") => refs.hooks_paths.push(value),
            ("include", "path") => refs.includes.push(value),
            (section, "path") if section.starts_with("includeif.") => refs.includes.push(value),
            _ => {}
        }
    }
    refs
}

/// Where a section header's `]` is, skipping a quoted subsection.
fn header_end(header: &str) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (at, c) in header.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ']' if !quoted => return Some(at),
            _ => {}
        }
    }
    None
}

/// `core`, `includeif.<subsection>`: the section lowercased, a quoted
/// subsection kept as written, the old `[section.sub]` form lowercased.
fn section_name(header: &str) -> String {
    let header = header.trim();
    match header.find(char::is_whitespace) {
        Some(space) => {
            let subsection = header[space..].trim().trim_matches('"');
            format!("{}.{subsection}", header[..space].to_ascii_lowercase())
        }
        None => header.to_ascii_lowercase(),
    }
}

/// A value: quotes removed, escapes decoded, comments dropped, a trailing
/// backslash continuing it on the next line.
fn read_value<'a>(raw: &str, lines: &mut impl Iterator<Item = &'a str>) -> String {
    let mut value = String::new();
    let mut pending_space = String::new();
    let mut quoted = false;
    let mut current = raw.to_string();
    loop {
        let mut chars = current.chars().peekable();
        let mut continued = false;
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    None => {
                        continued = true;
                        break;
                    }
                    Some(escaped) => {
                        value.push_str(&pending_space);
                        pending_space.clear();
                        value.push(match escaped {
                            'n' => '\n',
                            't' => '\t',
                            'b' => '\u{8}',
                            other => other,
                        });
                    }
                },
                '"' => quoted = !quoted,
                '#' | ';' if !quoted => break,
                c if c.is_whitespace() && !quoted => {
                    if !value.is_empty() {
                        pending_space.push(c);
                    }
                }
                c => {
                    value.push_str(&pending_space);
                    pending_space.clear();
                    value.push(c);
                }
            }
        }
        if !continued {
            return value;
        }
        match lines.next() {
            Some(next) => current = next.to_string(),
            None => return value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_paths_and_includes_in_every_spelling() {
        let refs = parse(
            "[core]\n\trepositoryformatversion = 0\n\thooksPath = .husky/_\n\
             [Core] HOOKSPATH = \"dir with space\" # comment\n\
             [include]\n\tpath = ../shared.cfg\n\
             [includeIf \"gitdir:~/work/\"]\n\tpath = ~/work.gitconfig\n\
             [remote \"origin\"]\n\tpath = not-an-include\n\
             [core]\n\thooksPath = a\\\n/b\n\
             [alias] x = !sh -c 'true'\n",
        );
        assert_eq!(refs.hooks_paths, [".husky/_", "dir with space", "a/b"]);
        assert_eq!(refs.includes, ["../shared.cfg", "~/work.gitconfig"]);
    }

    #[test]
    fn comments_and_headers_on_one_line() {
        let refs = parse("; top\n[core] hookspath = hooks ; why\n# [include]\n");
        assert_eq!(refs.hooks_paths, ["hooks"]);
        assert!(refs.includes.is_empty());
    }
}
