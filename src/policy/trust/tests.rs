use super::*;

fn repo() -> &'static Path {
    Path::new("/work/repo")
}

#[test]
fn edits_of_ci_hooks_and_manifests_are_sensitive() {
    let edit = |p: &str| edit_action(&repo().join(p), repo());
    assert_eq!(edit(".github/workflows/ci.yml"), Some(Action::Ci));
    assert_eq!(edit(".gitlab-ci.yml"), Some(Action::Ci));
    assert_eq!(edit(".pre-commit-config.yaml"), Some(Action::Hooks));
    assert_eq!(edit(".husky/pre-commit"), Some(Action::Hooks));
    assert_eq!(edit("Cargo.toml"), Some(Action::Dependencies));
    assert_eq!(edit("crates/core/Cargo.toml"), Some(Action::Dependencies));
    assert_eq!(edit("web/package-lock.json"), Some(Action::Dependencies));
    assert_eq!(edit("requirements-test.txt"), Some(Action::Dependencies));
    assert_eq!(edit("src/main.rs"), None);
    assert_eq!(edit("docs/github/workflows.md"), None);
}

#[test]
fn secret_bearing_files_are_known_by_name() {
    assert_eq!(
        read_action(Path::new("/work/repo/.env")),
        Some(Action::Secrets)
    );
    assert_eq!(
        read_action(Path::new("/work/repo/.env.production")),
        Some(Action::Secrets)
    );
    assert_eq!(
        read_action(Path::new("/home/u/.ssh/config")),
        Some(Action::Secrets)
    );
    assert_eq!(
        read_action(Path::new("/work/repo/certs/server.key")),
        Some(Action::Secrets)
    );
    assert_eq!(read_action(Path::new("/work/repo/.env.example")), None);
    assert_eq!(read_action(Path::new("/work/repo/src/env.rs")), None);
}

#[test]
fn commands_that_publish_change_dependencies_or_reach_out_are_sensitive() {
    let action = |c: &str| command_action(c).map(|(a, _)| a);
    assert_eq!(action("git push origin main"), Some(Action::Publish));
    assert_eq!(action("cargo test && git push"), Some(Action::Publish));
    assert_eq!(
        action("GIT_SSH_COMMAND=x git push -f"),
        Some(Action::Publish)
    );
    assert_eq!(action("npm publish --access public"), Some(Action::Publish));
    assert_eq!(action("npm install left-pad"), Some(Action::Dependencies));
    assert_eq!(action("cargo add serde"), Some(Action::Dependencies));
    assert_eq!(action("pip install requests"), Some(Action::Dependencies));
    assert_eq!(
        action("echo 'evil = \"1\"' >> Cargo.toml"),
        Some(Action::Dependencies)
    );
    assert_eq!(
        action("sed -i s/a/b/ .github/workflows/ci.yml"),
        Some(Action::Ci)
    );
    assert_eq!(action("cat .env"), Some(Action::Secrets));
    assert_eq!(
        command_action("curl -s https://Evil.example:8443/x?y"),
        Some((Action::Network, "evil.example:8443".to_string()))
    );
    assert_eq!(
        command_action("git clone git@github.com:o/r.git"),
        Some((Action::Network, "github.com".to_string()))
    );
    assert_eq!(action("cargo test"), None);
    assert_eq!(action("git status && git log -1"), None);
    assert_eq!(
        action("cat Cargo.toml"),
        None,
        "reading a manifest is not changing it"
    );
}

#[test]
fn the_profile_sets_gates_and_adds_untrusted_paths() {
    let section: TrustSection = toml::from_str(
        "untrusted = [\"issues/**\", \"/opt/imports/**\"]\n[actions]\npublish = \"deny\"\n",
    )
    .unwrap();
    let plan = TrustPlan::from_section(&section);
    assert_eq!(plan.gate(Action::Publish), Gate::Deny);
    assert_eq!(plan.gate(Action::Ci), Gate::Ask);
    assert_eq!(
        plan.marks_untrusted(&repo().join("issues/123.md"), repo()),
        Some("issues/**")
    );
    assert_eq!(
        plan.marks_untrusted(&repo().join("vendor/x/lib.rs"), repo()),
        Some("vendor/**")
    );
    assert_eq!(
        plan.marks_untrusted(Path::new("/opt/imports/a.txt"), repo()),
        Some("/opt/imports/**")
    );
    assert_eq!(
        plan.marks_untrusted(&repo().join("src/lib.rs"), repo()),
        None
    );
}
