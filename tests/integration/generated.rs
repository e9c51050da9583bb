//! The committed completions and man page match the CLI definition.
//! Regenerate them with `scripts/regenerate.sh`.

use std::path::Path;
use std::process::Command;

fn generated(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_guard"))
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn committed_completions_and_man_page_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = [
        ("completions/guard.bash", vec!["completions", "bash"]),
        ("completions/_guard", vec!["completions", "zsh"]),
        ("completions/guard.fish", vec!["completions", "fish"]),
        ("man/guard.1", vec!["man"]),
    ];
    for (file, args) in files {
        let committed = std::fs::read_to_string(root.join(file)).unwrap_or_default();
        assert!(
            committed == generated(&args),
            "{file} is out of date: run `scripts/regenerate.sh`"
        );
    }
}

#[test]
fn help_lists_every_subcommand() {
    let help = generated(&["--help"]);
    for subcommand in ["run", "policy", "profiles", "doctor", "completions"] {
        assert!(help.contains(subcommand), "{help}");
    }
}
