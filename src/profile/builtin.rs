//! Profiles shipped in `profiles/` and embedded in the binary.

/// Every built-in profile: name and TOML text.
pub const BUILTIN_PROFILES: &[(&str, &str)] = &[
    ("base", include_str!("../../profiles/base.toml")),
    ("toolchains", include_str!("../../profiles/toolchains.toml")),
    ("default", include_str!("../../profiles/default.toml")),
    ("review", include_str!("../../profiles/review.toml")),
    ("git-hook", include_str!("../../profiles/git-hook.toml")),
    ("assistant", include_str!("../../profiles/assistant.toml")),
    ("claude", include_str!("../../profiles/claude.toml")),
    ("codex", include_str!("../../profiles/codex.toml")),
    ("gemini", include_str!("../../profiles/gemini.toml")),
    ("aider", include_str!("../../profiles/aider.toml")),
];

/// The TOML text of a built-in profile.
pub fn text_of(name: &str) -> Option<&'static str> {
    BUILTIN_PROFILES
        .iter()
        .find(|(builtin, _)| *builtin == name)
        .map(|(_, text)| *text)
}
