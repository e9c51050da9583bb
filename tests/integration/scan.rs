//! `guard scan` over the corpus in `tests/scan_corpus`: every planted
//! injection is found, no clean look-alike is.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus(part: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scan_corpus")
        .join(part)
}

fn scan(args: &[&str]) -> std::process::Output {
    Command::new(guard_binary())
        .arg("scan")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn every_planted_injection_is_found_and_no_clean_look_alike() {
    let planted = corpus("planted");
    let output = scan(&[planted.to_str().unwrap(), "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", all_output(&output));
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let found = |file: &str, rule: &str| {
        findings
            .iter()
            .any(|f| f["file"] == file && f["rule"] == rule)
    };
    for (file, rule) in [
        ("README.md", "hidden-instruction"),
        ("notes.txt", "unicode-tag-characters"),
        ("parser.rs", "unicode-bidi-control"),
        ("auth.py", "unicode-mixed-script-identifier"),
        ("doc.html", "hidden-instruction"),
        ("config.yaml", "hidden-instruction"),
        ("image.md", "hidden-instruction"),
        (".claude/settings.json", "agent-config"),
        (".mcp.json", "agent-config"),
        ("AGENTS.md", "agent-instructions"),
        ("payload.md", "encoded-payload"),
    ] {
        assert!(
            found(file, rule),
            "{rule} in {file} not found: {findings:#?}"
        );
    }
    let clean = scan(&[corpus("clean").to_str().unwrap()]);
    assert_eq!(clean.status.code(), Some(0), "{}", all_output(&clean));
    assert!(String::from_utf8_lossy(&clean.stdout).contains("no findings"));
}

#[test]
fn sarif_text_thresholds_and_the_allowlist() {
    let planted = corpus("planted");
    let sarif = scan(&[planted.to_str().unwrap(), "--format", "sarif"]);
    let json: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(json["version"], "2.1.0");
    assert!(json["runs"][0]["results"].as_array().unwrap().len() >= 11);
    let text = scan(&[planted.join("notes.txt").to_str().unwrap()]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("<U+E0063>"),
        "hidden characters are shown, not printed: {text}"
    );

    // Only medium findings: --fail-on high passes.
    let only_medium = scan(&[
        planted.join("payload.md").to_str().unwrap(),
        "--fail-on",
        "high",
    ]);
    assert_eq!(only_medium.status.code(), Some(0));

    // A reviewed allowlist entry silences exactly that file and rule.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(planted.join("README.md"), dir.path().join("README.md")).unwrap();
    std::fs::copy(planted.join("notes.txt"), dir.path().join("notes.txt")).unwrap();
    std::fs::write(
        dir.path().join(".guard-scan-allow.toml"),
        "[[allow]]\nfile = \"README.md\"\nrule = \"hidden-instruction\"\nreason = \"documents an attack on purpose\"\n",
    )
    .unwrap();
    let output = scan(&[dir.path().to_str().unwrap(), "--format", "json"]);
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        !findings.iter().any(|f| f["file"] == "README.md"),
        "{findings:?}"
    );
    assert!(findings.iter().any(|f| f["file"] == "notes.txt"));
}
