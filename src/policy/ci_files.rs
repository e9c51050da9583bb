//! What a CI or hook manager's configuration names in the repository, read
//! from its text: the local actions a GitHub-style workflow uses, the local
//! files a GitLab pipeline includes, and the scripts a hook manager's
//! commands run (pre-commit's `entry:`, lefthook's `run:`). Each is
//! protected with the configuration, since the CI system or the user's next
//! commit runs it.

/// `uses: ./path` values of a workflow.
pub fn local_actions(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let value = line.trim_start().trim_start_matches("- ").trim_start();
            let value = value
                .strip_prefix("uses:")?
                .trim()
                .trim_matches(['"', '\'']);
            let path = value.strip_prefix("./")?;
            let end = path.find(['@', ' ', '#', '"', '\'']).unwrap_or(path.len());
            Some(path[..end].trim_end_matches('/').to_string())
        })
        .filter(|path| !path.is_empty())
        .collect()
}

/// Local files a `.gitlab-ci.yml` includes: `local:` values, and plain
/// paths under `include:` (those without a scheme).
pub fn gitlab_local_includes(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut include_indent: Option<usize> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if let Some(at) = include_indent
            && indent <= at
            && !trimmed.starts_with('-')
        {
            include_indent = None;
        }
        let item = trimmed.trim_start_matches('-').trim_start();
        let unquote = |value: &str| value.trim().trim_matches(['"', '\'']).to_string();
        if let Some(value) = item.strip_prefix("local:") {
            found.push(unquote(value));
        } else if let Some(value) = item.strip_prefix("include:") {
            include_indent = Some(indent);
            let value = unquote(value);
            if !value.is_empty() && !value.starts_with('[') && !value.contains("://") {
                found.push(value);
            }
        } else if include_indent.is_some() && trimmed.starts_with('-') && !item.contains(':') {
            let value = unquote(item);
            if !value.contains("://") {
                found.push(value);
            }
        }
    }
    found.retain(|value| !value.is_empty());
    found
}

/// The repository's scripts a CI configuration's shell steps run: the
/// commands of GitHub-style `run:` steps and GitLab's `script:`,
/// `before_script:` and `after_script:` (one line, a `|`/`>` block, or a
/// list), read as [`command_scripts`] reads a command line. The CI system
/// runs them with the repository's secrets when the user pushes.
pub fn step_scripts(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    // The indentation of the key whose block or list is being read.
    let mut block: Option<usize> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(at) = block {
            let item = trimmed.starts_with("- ") && indent >= at;
            if indent > at || item {
                found.extend(command_scripts(trimmed.trim_start_matches("- ")));
                continue;
            }
            block = None;
        }
        let item = trimmed.trim_start_matches("- ").trim_start();
        let value = ["run:", "script:", "before_script:", "after_script:"]
            .iter()
            .find_map(|key| item.strip_prefix(key));
        let Some(value) = value.map(str::trim) else {
            continue;
        };
        match value {
            "" | "|" | ">" | "|-" | ">-" | "|+" | ">+" => block = Some(indent),
            value => found.extend(command_scripts(value.trim_matches(['"', '\'']))),
        }
    }
    found
}

/// The repository's scripts a hook manager's YAML configuration runs: the
/// program of its `entry:` (pre-commit) and `run:` (lefthook) command
/// lines when it names a file of the repository (`./scripts/lint.sh`,
/// `python tools/check.py`: the script an interpreter runs), and a script
/// among pre-commit's `args:` (`entry: bash`, `args: [./hooks/run.sh]`).
/// What the commands merely work on (`eslint src/`) is not taken.
pub fn hook_scripts(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let item = line.trim_start().trim_start_matches("- ").trim_start();
        if let Some(command) = item
            .strip_prefix("entry:")
            .or_else(|| item.strip_prefix("run:"))
        {
            found.extend(command_scripts(command));
        } else if let Some(args) = item.strip_prefix("args:") {
            found.extend(
                words(args)
                    .filter(|word| is_script_name(word))
                    .filter_map(relative_path),
            );
        }
    }
    found
}

/// The repository's scripts a hook script (`.git/hooks/pre-commit`,
/// `.husky/pre-commit`) runs, from its lines that are not comments.
pub fn shell_scripts(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .flat_map(command_scripts)
        .collect()
}

/// Programs that run the script named as their first operand.
const INTERPRETERS: [&str; 11] = [
    "sh", "bash", "zsh", "dash", "python", "python3", "node", "ruby", "perl", "deno", "bun",
];

/// The scripts of the repository a command line runs: each command's
/// program when it names a file by a relative path, or the first operand
/// of an interpreter (in a shell function's body too).
pub fn command_scripts(command: &str) -> Vec<String> {
    let mut found = Vec::new();
    for segment in command.split([';', '&', '|', '{', '}', '\n']) {
        let mut words = words(segment)
            .skip_while(|word| word.contains('=') || matches!(*word, "exec" | "env" | "command"));
        let Some(program) = words.next() else {
            continue;
        };
        let name = program.rsplit('/').next().unwrap_or(program);
        let names_a_file = |word: &str| word.contains('/') || is_script_name(word);
        let script = match INTERPRETERS.contains(&name) {
            true => words
                .find(|word| !word.starts_with('-'))
                .filter(|word| names_a_file(word)),
            false => names_a_file(program).then_some(program),
        };
        found.extend(script.and_then(relative_path));
    }
    found
}

/// The words of a command line, quotes and list punctuation taken away.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace()
        .map(|word| word.trim_matches(['"', '\'', '(', ')', '[', ']', ',']))
        .filter(|word| !word.is_empty())
}

/// Whether `word` names a script by its extension.
fn is_script_name(word: &str) -> bool {
    [
        ".sh", ".bash", ".py", ".js", ".mjs", ".cjs", ".ts", ".rb", ".pl",
    ]
    .iter()
    .any(|extension| word.ends_with(extension))
}

/// `word` as a path (relative to the repository, absolute, or `~/`), if it
/// is one: no option, variable, template, URL or `..`.
fn relative_path(word: &str) -> Option<String> {
    let plain = !word.starts_with(['-', '$', '{'])
        && !word.contains(['{', '}', '$', '*', '=', '`'])
        && !word.contains("://")
        && (!word.starts_with('~') || word.starts_with("~/"));
    let path = word
        .strip_prefix("./")
        .unwrap_or(word)
        .trim_end_matches('/');
    (plain && !path.is_empty() && !path.split('/').any(|part| part == "..")).then(|| path.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_local_actions() {
        let text = "jobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n      - uses: ./.github/actions/setup\n      - name: x\n        uses: './tools/act@main' # pinned\n";
        assert_eq!(local_actions(text), [".github/actions/setup", "tools/act"]);
    }

    #[test]
    fn ci_step_scripts() {
        let workflow = "jobs:\n  build:\n    steps:\n      - uses: actions/checkout@v4\n      - run: ./gradlew build\n      - name: deploy\n        run: |\n          echo start\n          bash scripts/deploy.sh --prod\n          cargo test -- src/\n      - run: python tools/gen.py\n";
        assert_eq!(
            step_scripts(workflow),
            ["gradlew", "scripts/deploy.sh", "tools/gen.py"]
        );
        let gitlab = "test:\n  before_script:\n    - ./ci/setup.sh\n  script:\n    - make test\n    - sh ci/run.sh\n  after_script: ./ci/clean.sh\nstages: [test]\n";
        assert_eq!(
            step_scripts(gitlab),
            ["ci/setup.sh", "ci/run.sh", "ci/clean.sh"]
        );
    }

    #[test]
    fn hook_manager_scripts() {
        let pre_commit = "repos:\n  - repo: local\n    hooks:\n      - id: lint\n        entry: ./scripts/lint.sh --fix\n        language: script\n      - id: check\n        entry: python tools/check.py {staged_files}\n        language: system\n      - id: fmt\n        entry: cargo fmt -- src/\n      - id: sh\n        entry: bash\n        args: [--norc, ./hooks/run.sh, src/]\n      - id: named\n        entry: lint.sh\n        language: script\n";
        assert_eq!(
            hook_scripts(pre_commit),
            [
                "scripts/lint.sh",
                "tools/check.py",
                "hooks/run.sh",
                "lint.sh"
            ]
        );
        let lefthook = "pre-commit:\n  commands:\n    lint:\n      run: \"bin/lint {staged_files} && ./ci/x.sh\"\n    eslint:\n      run: npx eslint src/ lib/\n    url:\n      run: curl https://example.com/a/b\n";
        assert_eq!(hook_scripts(lefthook), ["bin/lint", "ci/x.sh"]);
        assert_eq!(
            command_scripts("f() { ./x.sh \"$1\"; git diff -- src/; }; f"),
            ["x.sh"]
        );
        assert_eq!(
            command_scripts("python -m mypkg; node tools/gen.mjs; python check.py"),
            ["tools/gen.mjs", "check.py"]
        );
        assert_eq!(
            command_scripts("/work/repo/tools/pager -R; ~/bin/x"),
            ["/work/repo/tools/pager", "~/bin/x"]
        );
        let husky = "#!/usr/bin/env sh\n# ./not/this.sh\nnpx lint-staged\n./scripts/check.sh && sh tools/x.sh\ncargo fmt --check -- src/\nFOO=1 exec ./bin/hook \"$@\"\n";
        assert_eq!(
            shell_scripts(husky),
            ["scripts/check.sh", "tools/x.sh", "bin/hook"]
        );
    }

    #[test]
    fn gitlab_includes_local_and_plain() {
        let text = "include:\n  - local: '/ci/build.yml'\n  - 'ci/test.yml'\n  - remote: 'https://x/y.yml'\n  - project: a/b\n    file: c.yml\nstages: [build]\njob:\n  script: echo\n";
        assert_eq!(
            gitlab_local_includes(text),
            ["/ci/build.yml", "ci/test.yml"]
        );
        assert_eq!(
            gitlab_local_includes("include: 'ci/one.yml'\n"),
            ["ci/one.yml"]
        );
    }
}
