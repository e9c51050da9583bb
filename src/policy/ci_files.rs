//! What a CI configuration names in the repository, read from its text:
//! the local actions a GitHub-style workflow uses and the local files a
//! GitLab pipeline includes (protected with the configuration, since the CI
//! system runs them).

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_local_actions() {
        let text = "jobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n      - uses: ./.github/actions/setup\n      - name: x\n        uses: './tools/act@main' # pinned\n";
        assert_eq!(local_actions(text), [".github/actions/setup", "tools/act"]);
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
