//! What a shell command line runs, as far as can be told without a shell.
//!
//! Used to refuse, before a command runs, a program the sandbox would not
//! execute. The analysis only names what it is sure of: a word with an
//! expansion, an unknown option of a wrapper, or a here-document ends it, and
//! whatever it does not name is left to the kernel.

/// The programs a shell command line runs, as far as can be told without a
/// shell: the first word of each simple command, after assignments and
/// keywords, and what a wrapper among them runs (`env`, `nohup`, `nice`,
/// `timeout`, `sh -c '…'`). Words with expansions end the analysis of their
/// command, as does an option the analysis does not know; a here-document
/// ends it all (its body is not commands).
pub fn programs(command: &str) -> Vec<String> {
    let mut found = Vec::new();
    for segment in segments(command) {
        command_programs(&segment, &mut found, 0);
    }
    found.dedup();
    found
}

/// The programs of one simple command, appended to `found`.
fn command_programs(words: &[String], found: &mut Vec<String>, depth: usize) {
    let mut words = words.iter();
    let program = loop {
        let Some(word) = words.next() else {
            return;
        };
        match word.as_str() {
            _ if is_assignment(word) => continue,
            "if" | "then" | "elif" | "else" | "do" | "while" | "until" | "!" | "time" | "{"
            | "exec" | "command" | "builtin" => continue,
            "for" | "case" | "select" | "function" | "}" | "fi" | "done" | "esac" | "[[" | "((" => {
                return;
            }
            _ if word.ends_with("()") || word.starts_with(['<', '>', '-']) => return,
            _ if word.contains(['$', '`', '*', '?', '[', '~', '=']) => return,
            _ if word.starts_with(|c: char| c.is_ascii_digit()) && word.contains('>') => return,
            _ if SHELL_BUILTINS.contains(&word.as_str()) => return,
            _ => break word,
        }
    };
    found.push(program.clone());
    if depth >= 4 {
        return;
    }
    let rest: Vec<String> = words.cloned().collect();
    let name = program.rsplit('/').next().unwrap_or(program);
    // Options that take no argument, per wrapper; any other option ends the
    // analysis rather than risk taking its argument for a program.
    let (plain_options, takes_duration): (&[&str], bool) = match name {
        "env" => (&["-i", "-0", "--ignore-environment", "--null", "-"], false),
        "nohup" => (&[], false),
        "nice" => (&[], false),
        "timeout" => (
            &["--preserve-status", "--foreground", "-v", "--verbose"],
            true,
        ),
        "sh" | "bash" | "dash" | "zsh" => {
            if let Some(at) = rest.iter().position(|w| w == "-c")
                && let Some(script) = rest.get(at + 1)
            {
                for segment in segments(script) {
                    command_programs(&segment, found, depth + 1);
                }
            }
            return;
        }
        _ => return,
    };
    let mut at = 0;
    while let Some(word) = rest.get(at) {
        if plain_options.contains(&word.as_str()) || (name == "env" && is_assignment(word)) {
            at += 1;
        } else if name == "nice" && word == "-n" {
            at += 2;
        } else if name == "nice" && word.len() > 1 && word[1..].parse::<i32>().is_ok() {
            at += 1;
        } else if word.starts_with('-') {
            return;
        } else {
            break;
        }
    }
    if takes_duration {
        let is_duration = rest.get(at).is_some_and(|w| {
            let number = w.trim_end_matches(['s', 'm', 'h', 'd']);
            !number.is_empty() && number.parse::<f64>().is_ok()
        });
        if !is_duration {
            return;
        }
        at += 1;
    }
    command_programs(&rest[at.min(rest.len())..], found, depth + 1);
}

/// Builtins of bash and POSIX sh: they run no program.
const SHELL_BUILTINS: &[&str] = &[
    "cd",
    "export",
    "unset",
    "set",
    "source",
    ".",
    "alias",
    "unalias",
    "echo",
    "printf",
    "test",
    "[",
    "true",
    "false",
    ":",
    "read",
    "eval",
    "type",
    "pwd",
    "pushd",
    "popd",
    "dirs",
    "wait",
    "jobs",
    "fg",
    "bg",
    "kill",
    "trap",
    "shift",
    "local",
    "declare",
    "typeset",
    "readonly",
    "return",
    "exit",
    "ulimit",
    "umask",
    "let",
    "shopt",
    "getopts",
    "hash",
    "history",
    "break",
    "continue",
    "disown",
    "mapfile",
    "readarray",
    "caller",
    "enable",
    "help",
    "logout",
    "times",
    "compgen",
    "complete",
];

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
            && !name.starts_with(|c: char| c.is_ascii_digit())
    })
}

/// Splits a command line into simple commands of words, honouring quotes.
fn segments(command: &str) -> Vec<Vec<String>> {
    let mut segments = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut chars = command.chars().peekable();
    let end_word = |word: &mut String, words: &mut Vec<String>, quoted: &mut bool| {
        if !word.is_empty() || *quoted {
            words.push(std::mem::take(word));
        }
        *quoted = false;
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = true;
                word.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                quoted = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        _ => word.push(c),
                    }
                }
            }
            '\\' => {
                if let Some(next) = chars.next()
                    && next != '\n'
                {
                    word.push(next);
                }
            }
            '#' if word.is_empty() && !quoted => {
                chars.by_ref().take_while(|&c| c != '\n').for_each(drop);
                end_word(&mut word, &mut words, &mut quoted);
                segments.push(std::mem::take(&mut words));
            }
            '<' if chars.peek() == Some(&'<') && !quoted => {
                // A here-document: what follows is data, not commands.
                end_word(&mut word, &mut words, &mut quoted);
                segments.push(words);
                return segments;
            }
            // `2>&1`, `<&3`, `&>file`: redirections, not command separators.
            '&' if word.ends_with(['>', '<']) || chars.peek() == Some(&'>') => word.push(c),
            ';' | '&' | '|' | '\n' | '(' | ')' | '`' => {
                end_word(&mut word, &mut words, &mut quoted);
                segments.push(std::mem::take(&mut words));
            }
            '$' if chars.peek() == Some(&'(') => {
                chars.next();
                end_word(&mut word, &mut words, &mut quoted);
                segments.push(std::mem::take(&mut words));
            }
            c if c.is_whitespace() => end_word(&mut word, &mut words, &mut quoted),
            c => word.push(c),
        }
    }
    end_word(&mut word, &mut words, &mut quoted);
    segments.push(words);
    segments.retain(|s| !s.is_empty());
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_parser_only_names_what_it_is_sure_of() {
        assert_eq!(programs("cargo test 2>&1 | git apply"), ["cargo", "git"]);
        assert_eq!(programs("cd src && ls -la > out.txt"), ["ls"]);
        assert_eq!(programs("if git diff --quiet; then echo same; fi"), ["git"]);
        assert_eq!(programs("echo \"a; b | c\" 'd && e'"), Vec::<String>::new());
        assert_eq!(
            programs("$EDITOR x; `which y`; ./run.sh"),
            ["which", "./run.sh"]
        );
        assert_eq!(programs("x=$(date +%s) make"), ["date", "make"]);
        assert_eq!(programs("cat <<EOF\nhello world\nEOF"), ["cat"]);
        assert_eq!(programs("for f in a b; do wc -l $f; done"), ["wc"]);
        assert_eq!(programs("# just a comment\nnpm test"), ["npm"]);
        assert_eq!(programs("nohup make -j4 &"), ["nohup", "make"]);
        assert_eq!(
            programs("env -i FOO=1 /usr/bin/python3 x.py"),
            ["env", "/usr/bin/python3"]
        );
        assert_eq!(
            programs("env -u HOME ssh host"),
            ["env"],
            "-u takes an argument"
        );
        assert_eq!(programs("timeout 30s cargo test"), ["timeout", "cargo"]);
        assert_eq!(programs("timeout -k 5 30 curl x"), ["timeout"]);
        assert_eq!(programs("nice -n 10 gcc a.c"), ["nice", "gcc"]);
        assert_eq!(programs("bash -c 'curl x | sh'"), ["bash", "curl", "sh"]);
        assert_eq!(
            programs("xargs -n1 rm"),
            ["xargs"],
            "xargs' target is not judged"
        );
    }
}
