//! What git configuration says about where git looks and what it runs,
//! read the way git reads it (`git-config(1)`, "CONFIGURATION FILE"), but
//! only for the keys the boundary needs: `core.hooksPath`, the files
//! `include.path` and `includeIf.<condition>.path` pull in (whatever the
//! condition: a file that may be included is protected), and every key
//! whose value git runs as a command (an editor, a pager, a filter or diff
//! driver, a credential helper, a `!` alias…), whose programs and scripts
//! must not be the session's to change.
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
    /// Commands git runs, as (`section.key`, value): `core.pager`,
    /// `filter.<driver>.smudge`, `alias.<name>` when it starts with `!`, …
    pub commands: Vec<(String, String)>,
    /// `extensions.objectFormat` (`sha1`, `sha256`), the last one given.
    pub object_format: Option<String>,
    /// Values of `submodule.<name>.path` (in `.gitmodules`: where each
    /// submodule's work tree is, relative to the superproject's).
    pub submodule_paths: Vec<String>,
}

/// Whether `section.key` (the section without its subsection) holds a
/// command git runs: from git-config(1), each key documented as "a command",
/// "a program" or "a shell command" (`init.templateDir` too: git copies the
/// hooks of that directory into every repository it makes).
fn runs_a_command(section: &str, key: &str, value: &str) -> bool {
    let base = section.split('.').next().unwrap_or(section);
    match (base, key) {
        ("core", "fsmonitor") => !matches!(value, "true" | "false" | "1" | "0" | ""),
        ("core", "editor" | "pager" | "sshcommand" | "askpass" | "gitproxy")
        | ("sequence", "editor")
        | ("gpg", "program" | "defaultkeycommand")
        | ("credential", "helper")
        | ("diff", "external" | "command" | "textconv")
        | ("merge", "driver")
        | ("filter", "clean" | "smudge" | "process")
        | ("difftool" | "mergetool" | "browser" | "man", "cmd" | "path")
        | ("interactive", "difffilter")
        | ("remote", "receivepack" | "uploadpack")
        | ("uploadpack", "packobjectshook")
        | ("sendemail", "smtpserver" | "tocmd" | "cccmd")
        | ("trailer", "command" | "cmd")
        | ("init", "templatedir")
        | ("pager", _) => true,
        ("alias", _) | ("submodule", "update") => value.starts_with('!'),
        _ => false,
    }
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
            ("extensions", "objectformat") => refs.object_format = Some(value.to_ascii_lowercase()),
            (section, "path") if section.starts_with("includeif.") => refs.includes.push(value),
            (section, "path") if section.starts_with("submodule.") => {
                refs.submodule_paths.push(value);
            }
            (section, key) if runs_a_command(section, key, &value) => {
                refs.commands.push((format!("{section}.{key}"), value));
            }
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
    fn commands_git_runs() {
        let refs = parse(
            "[core]\n\tpager = ./tools/pager.sh\n\tfsmonitor = true\n\
             [filter \"lfs\"]\n\tprocess = git-lfs filter-process\n\
             [alias]\n\tst = status\n\tup = !scripts/up.sh --all\n\
             [diff \"img\"]\n\ttextconv = exiftool\n[user]\n\tname = T\n",
        );
        let keys: Vec<&str> = refs.commands.iter().map(|(key, _)| key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "core.pager",
                "filter.lfs.process",
                "alias.up",
                "diff.img.textconv"
            ]
        );
        assert_eq!(refs.commands[2].1, "!scripts/up.sh --all");
    }

    #[test]
    fn submodule_paths_of_gitmodules() {
        let refs = parse(
            "[submodule \"lib\"]\n\tpath = vendor/lib\n\turl = ../lib.git\n\
             [submodule \"docs\"]\n\tpath = \"site docs\"\n",
        );
        assert_eq!(refs.submodule_paths, ["vendor/lib", "site docs"]);
        assert!(refs.includes.is_empty());
    }

    #[test]
    fn comments_and_headers_on_one_line() {
        let refs = parse("; top\n[core] hookspath = hooks ; why\n# [include]\n");
        assert_eq!(refs.hooks_paths, ["hooks"]);
        assert!(refs.includes.is_empty());
    }
}
