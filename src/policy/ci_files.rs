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

/// The repository's scripts a hook manager's YAML configuration runs: the
/// words of its `entry:` and `args:` (pre-commit) and `run:` (lefthook)
/// values that
/// name a file by a relative path (`./scripts/lint.sh`, `tools/check.py`),
/// without templates (`{staged_files}`) or options.
pub fn hook_scripts(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let item = line.trim_start().trim_start_matches("- ").trim_start();
        let Some(value) = item
            .strip_prefix("entry:")
            .or_else(|| item.strip_prefix("args:"))
            .or_else(|| item.strip_prefix("run:"))
        else {
            continue;
        };
        for word in value.split_whitespace() {
            let word = word.trim_matches(['"', '\'', ';', '&', '|', '(', ')', '[', ']', ',']);
            let path = word.strip_prefix("./").unwrap_or(word);
            let looks_like_path = word.contains('/')
                && !word.starts_with(['-', '/', '$', '~', '{'])
                && !word.contains(['{', '}', '$', '*', '='])
                && !word.contains("://");
            if looks_like_path && !path.split('/').any(|part| part == "..") {
                found.push(path.trim_end_matches('/').to_string());
            }
        }
    }
    found.retain(|path| !path.is_empty());
    found
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
    fn hook_manager_scripts() {
        let pre_commit = "repos:\n  - repo: local\n    hooks:\n      - id: lint\n        entry: ./scripts/lint.sh --fix\n        language: script\n      - id: check\n        entry: python tools/check.py {staged_files}\n        language: system\n      - id: fmt\n        entry: cargo fmt --\n      - id: sh\n        entry: bash\n        args: [--norc, ./hooks/run.sh]\n";
        assert_eq!(
            hook_scripts(pre_commit),
            ["scripts/lint.sh", "tools/check.py", "hooks/run.sh"]
        );
        let lefthook = "pre-commit:\n  commands:\n    lint:\n      run: \"bin/lint {staged_files} && ./ci/x.sh\"\n    url:\n      run: curl https://example.com/a/b\n";
        assert_eq!(hook_scripts(lefthook), ["bin/lint", "ci/x.sh"]);
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
