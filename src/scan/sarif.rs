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
                "rules": rule_ids.iter().map(|id| serde_json::json!({"id": id})).collect::<Vec<_>>(),
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
