//! SARIF 2.1.0 output, for code-scanning UIs.

use super::{Finding, Severity};

/// The findings as SARIF 2.1.0.
pub fn sarif(findings: &[Finding]) -> serde_json::Value {
    let level = |severity: Severity| match severity {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    };
    let rule_ids: std::collections::BTreeSet<&str> = findings.iter().map(|f| f.rule).collect();
    serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "guard scan",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rule_ids.iter().map(|id| serde_json::json!({
                    "id": id,
                    "shortDescription": {"text": summary(id)},
                })).collect::<Vec<_>>(),
            }},
            "results": findings.iter().map(|f| serde_json::json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "message": {"text": f.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": f.file},
                    "region": {"startLine": f.line, "startColumn": f.column},
                }}],
            })).collect::<Vec<_>>(),
        }],
    })
}

/// One line per rule, for code-scanning UIs (the full text with examples is
/// `docs/scan-rules.md`).
fn summary(rule: &str) -> &'static str {
    match rule {
        "unicode-tag-characters" => "Invisible Unicode tag characters spelling hidden text",
        "unicode-bidi-control" => "Bidirectional override or isolate (Trojan Source)",
        "unicode-zero-width-in-word" => "Zero-width character inside a word",
        "unicode-mixed-script-identifier" => {
            "Identifier mixing Latin with Cyrillic or Greek letters"
        }
        "unicode-confusable-identifier" => {
            "Identifier in look-alike letters imitating another identifier"
        }
        "hidden-instruction" => "Text addressing an AI assistant where reviewers do not look",
        "encoded-payload" => "Long encoded blob in a hidden place",
        "agent-config" => "Repository configuration that grants an assistant power",
        "agent-instructions" => "Agent instruction file with commands or URLs",
        _ => "guard scan finding",
    }
}
