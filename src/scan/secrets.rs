//! Secrets in staged changes: a compact rule set, plus the exact values of
//! the credentials minted for the current session. Only added lines of the
//! staged diff are looked at, so what was committed before, and what is not
//! staged, never blocks a commit.

use super::StagedFinding;
use regex::Regex;
use std::sync::OnceLock;

/// One rule: an id, what it finds, and its pattern.
struct Rule {
    id: &'static str,
    pattern: &'static str,
    /// For generic assignments: the captured value must look random.
    needs_entropy: bool,
}

/// The rules, documented in `docs/git-hooks.md`.
const RULES: &[Rule] = &[
    Rule {
        id: "private-key",
        pattern: r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
        needs_entropy: false,
    },
    Rule {
        id: "aws-access-key-id",
        pattern: r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
        needs_entropy: false,
    },
    Rule {
        id: "aws-secret-access-key",
        pattern: r#"(?i)aws_?secret_?access_?key\s*[=:]\s*["']?([A-Za-z0-9/+]{40})"#,
        needs_entropy: false,
    },
    Rule {
        id: "github-token",
        pattern: r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{60,})",
        needs_entropy: false,
    },
    Rule {
        id: "gitlab-token",
        pattern: r"\bglpat-[A-Za-z0-9_-]{20,}",
        needs_entropy: false,
    },
    Rule {
        id: "slack-token",
        pattern: r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
        needs_entropy: false,
    },
    Rule {
        id: "anthropic-key",
        pattern: r"\bsk-ant-[A-Za-z0-9_-]{20,}",
        needs_entropy: false,
    },
    Rule {
        id: "openai-key",
        pattern: r"\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{32,}",
        needs_entropy: false,
    },
    Rule {
        id: "high-entropy-assignment",
        pattern: r#"(?i)(?:secret|token|passw(?:or)?d|pwd|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret)\w*\s*[:=]\s*["']?([A-Za-z0-9/+_=.\-]{20,})"#,
        needs_entropy: true,
    },
];

/// Bits per character a value needs to count as random.
const MIN_ENTROPY: f64 = 3.5;

fn compiled() -> &'static Vec<(&'static Rule, Regex)> {
    static RULES_COMPILED: OnceLock<Vec<(&'static Rule, Regex)>> = OnceLock::new();
    RULES_COMPILED.get_or_init(|| {
        RULES
            .iter()
            .map(|r| (r, Regex::new(r.pattern).expect("rules are valid")))
            .collect()
    })
}

/// Shannon entropy of `text`, in bits per character.
pub fn entropy(text: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for c in text.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let length = text.chars().count() as f64;
    counts
        .values()
        .map(|&n| n as f64 / length)
        .map(|p| -p * p.log2())
        .sum()
}

/// Masks `secret` inside `line`: its first four characters stay.
fn redact(line: &str, secret: &str) -> String {
    let keep: String = secret.chars().take(4).collect();
    let masked = line.replace(secret, &format!("{keep}…[redacted]"));
    let masked: String = masked.chars().take(160).collect();
    masked.trim().to_string()
}

/// Scans the added lines of a staged diff (`git diff --cached -U0`).
/// `session_values` are the exact credential values to look for.
pub fn scan_diff(diff: &str, session_values: &[String]) -> Vec<StagedFinding> {
    let mut findings = Vec::new();
    for file in super::diff::added_lines(diff) {
        for &(line, added) in &file.lines {
            scan_line(&file.path, line, added, session_values, &mut findings);
        }
    }
    findings
}

/// The secrets on one added line: each minted value it holds, then the
/// first rule that matches (one rule finding per line).
fn scan_line(
    file: &str,
    line: usize,
    added: &str,
    session_values: &[String],
    findings: &mut Vec<StagedFinding>,
) {
    let finding = |rule: &str, secret: &str| StagedFinding {
        file: file.to_string(),
        line,
        rule: rule.to_string(),
        excerpt: redact(added, secret),
    };
    for value in session_values.iter().filter(|v| v.len() >= 8) {
        if added.contains(value.as_str()) {
            findings.push(finding("session-credential", value));
        }
    }
    if findings.iter().any(|f| f.file == file && f.line == line) {
        return;
    }
    for (rule, regex) in compiled() {
        for captures in regex.captures_iter(added) {
            let whole = captures.get(0).map(|m| m.as_str()).unwrap_or_default();
            let secret = captures.get(1).map(|m| m.as_str()).unwrap_or(whole);
            if rule.needs_entropy && entropy(secret) < MIN_ENTROPY {
                continue;
            }
            findings.push(finding(rule.id, secret));
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(file: &str, lines: &[&str]) -> String {
        let mut text = format!(
            "diff --git a/{file} b/{file}\n--- a/{file}\n+++ b/{file}\n@@ -0,0 +1,{} @@\n",
            lines.len()
        );
        for line in lines {
            text.push_str(&format!("+{line}\n"));
        }
        text
    }

    #[test]
    fn finds_each_rule_and_masks_it() {
        let cases = [
            ("-----BEGIN OPENSSH PRIVATE KEY-----", "private-key"),
            ("key = AKIAIOSFODNN7EXAMPLE", "aws-access-key-id"),
            (
                "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "aws-secret-access-key",
            ),
            (
                "token: ghp_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ",
                "github-token",
            ),
            ("glpat-abcdefghij0123456789", "gitlab-token"),
            ("xoxb-1234567890-abcdefghij", "slack-token"),
            (
                "ANTHROPIC_API_KEY=sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
                "anthropic-key",
            ),
            (
                "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789AB",
                "openai-key",
            ),
            (
                "db_password = 'q8Zr2Lk9Xw4Tn7Vb1Mc6Hs3P'",
                "high-entropy-assignment",
            ),
        ];
        for (line, rule) in cases {
            let findings = scan_diff(&diff("config.env", &[line]), &[]);
            assert_eq!(findings.len(), 1, "{line}: {findings:?}");
            assert_eq!(findings[0].rule, rule, "{line}");
            assert_eq!(findings[0].line, 1);
            assert!(
                findings[0].excerpt.contains("[redacted]") || rule == "private-key",
                "{findings:?}"
            );
        }
    }

    #[test]
    fn ordinary_code_and_low_entropy_values_pass() {
        let clean = [
            "let password = read_password_from_prompt();",
            "token = \"xxxxxxxxxxxxxxxxxxxxxxxx\"",
            "see docs/secret-management.md",
        ];
        assert!(scan_diff(&diff("src/main.rs", &clean), &[]).is_empty());
    }

    #[test]
    fn a_secret_on_an_added_line_that_starts_like_a_header_is_found() {
        let findings = scan_diff(
            &diff(
                "a.env",
                &["++ token: ghp_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"],
            ),
            &[],
        );
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!((findings[0].file.as_str(), findings[0].line), ("a.env", 1));
    }

    #[test]
    fn session_values_are_found_exactly() {
        let findings = scan_diff(
            &diff("notes.txt", &["a", "url=postgres://u:Sup3rMinted@db/x"]),
            &["Sup3rMinted".into()],
        );
        assert_eq!(findings.len(), 1);
        assert_eq!(
            (findings[0].rule.as_str(), findings[0].line),
            ("session-credential", 2)
        );
        assert!(!findings[0].excerpt.contains("Sup3rMinted"));
    }
}
