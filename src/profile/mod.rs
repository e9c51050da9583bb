//! Task profiles: the TOML a user writes, parsed but not yet interpreted.
//!
//! This layer only knows the file format. Turning a profile into what the kernel
//! will enforce is [`crate::policy::compile`]'s job.

mod builtin;
mod credentials;
mod load;
mod merge;
mod trust;

pub use builtin::BUILTIN_PROFILES;
pub use credentials::{CredentialSection, CredentialsFile};
pub use load::{ProfileError, ProfileOrigin, ProfileSources, ResolvedProfile, available_profiles};
pub use merge::merge as overlay;
pub use trust::{Gate, TrustActions, TrustSection};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One profile file as written, before `extends` is followed.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// One line saying what the profile is for.
    #[serde(default)]
    pub description: Option<String>,
    /// Names of profiles this one builds on, applied in order before this one.
    #[serde(default)]
    pub extends: Vec<String>,
    /// Which paths the session may read, write and execute.
    #[serde(default)]
    pub filesystem: FilesystemSection,
    /// Which programs the session may run.
    #[serde(default)]
    pub tools: ToolsSection,
    /// The environment the session starts with.
    #[serde(default)]
    pub env: EnvSection,
    /// What the session may reach over the network.
    #[serde(default)]
    pub network: NetworkSection,
    /// What the audit log records.
    #[serde(default)]
    pub log: LogSection,
    /// What `guard run` scans before the session starts.
    #[serde(default)]
    pub scan: ScanSection,
    /// Which sources make the session untrusted, and what it may do then.
    #[serde(default)]
    pub trust: TrustSection,
    /// Credentials minted for each session and revoked when it ends.
    #[serde(default, rename = "credential")]
    pub credentials: Vec<CredentialSection>,
}

/// `[scan]`: the repository scan `guard run` does before launch (the rules of
/// `guard scan`, see `docs/scan-rules.md`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScanSection {
    /// `"off"`, `"warn"` (report and record the findings, then start) or
    /// `"block"` (refuse to start on a finding). Unset: `"off"`.
    #[serde(default)]
    pub on_start: Option<ScanOnStart>,
    /// The lowest severity that is reported (`warn`) or refuses the session
    /// (`block`): `"low"`, `"medium"` or `"high"`. Unset: `"medium"`.
    #[serde(default)]
    pub fail_on: Option<crate::scan::Severity>,
    /// A repository with more files is not scanned before a session (`warn`
    /// says so and starts; `block` refuses). Unset: 200,000.
    #[serde(default)]
    pub max_files: Option<usize>,
}

/// The `scan.on_start` values.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ScanOnStart {
    /// No scan.
    Off,
    /// Scan, print and record the findings, and start anyway.
    Warn,
    /// Scan, and refuse to start when a finding reaches `fail_on`.
    Block,
}

/// `[log]`: how much the audit log records. Execs and denials are always
/// recorded.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    /// `"all"` (every open and change), `"writes"` (only what can modify:
    /// read-only opens are not even trapped) or `"none"`. Unset: `"all"`.
    #[serde(default)]
    pub files: Option<FileLogging>,
    /// `"full"` (the text of each prompt the user gives the assistant),
    /// `"digest"` (its SHA-256 and size) or `"none"`, where the client
    /// reports prompts (Claude Code's `UserPromptSubmit` hook). Unset:
    /// `"digest"`.
    #[serde(default)]
    pub prompts: Option<PromptLogging>,
}

/// How much of a prompt the audit log keeps.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PromptLogging {
    /// The text (credential values redacted as everywhere).
    Full,
    /// Its SHA-256 and size.
    #[default]
    Digest,
    /// Nothing.
    None,
}

/// Which file accesses the audit log records.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FileLogging {
    /// Every open, create, write, delete, rename, mkdir, link and chmod.
    All,
    /// Only the operations that can modify a file.
    Writes,
    /// No file accesses (execs and denials still).
    None,
}

/// `[filesystem]`: path lists, each entry may use `{repo}`, `{home}`, `{tmp}` and
/// the other variables of [`crate::policy::Variables`]. An entry starting with `?`
/// is optional: it is skipped when the path does not exist.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FilesystemSection {
    /// Paths readable (files, or everything beneath a directory).
    #[serde(default)]
    pub read: Vec<String>,
    /// Paths writable (create, modify, delete, rename), which implies readable.
    #[serde(default)]
    pub write: Vec<String>,
    /// Paths beneath which any file may be executed, which implies readable.
    #[serde(default)]
    pub exec: Vec<String>,
    /// Paths that stay read-only even inside a writable tree, and cannot be
    /// created when missing. Relative entries are relative to the repository;
    /// `**/PATH` is PATH at every depth of the repository (`**/.git`: no
    /// nested repository anywhere).
    #[serde(default)]
    pub protected: Vec<String>,
    /// Trees that stay read-only but for the entries listed, which may still
    /// change: `name`, `*` within a name, `dir/**` for a directory and
    /// everything beneath it; `own:PATTERN` for entries the session may add
    /// but of which it may change only those it made itself. Keys are paths
    /// like `protected`'s. A later profile naming the same tree replaces its
    /// list.
    #[serde(default)]
    pub guarded: BTreeMap<String, Vec<String>>,
    /// Shell start-up files (`{home}/.bashrc`, …) the session reads as
    /// guard's session rc instead: a shell or a client's shell snapshot
    /// starts clean ("Permission denied" is not in every command's output),
    /// and nothing the user's rc exports or sources reaches the session.
    /// Only where every open is trapped (`log.files = "all"`).
    #[serde(default)]
    pub session_rc: Vec<String>,
    /// Caches shared with the host that the session writes through a
    /// private layer: only artifacts guard verifies reach the real cache
    /// when the session ends. Keys are directories (created if missing).
    #[serde(default)]
    pub layered: BTreeMap<String, LayerSection>,
    /// Client directories the session sees through a private stand-in
    /// (links to the real entries, per-session copies of the files the
    /// client both writes and loads as configuration), the client pointed
    /// at it by a variable. Keys are directories.
    #[serde(default)]
    pub stand_in: BTreeMap<String, StandInSection>,
}

/// One entry of `[filesystem.stand_in]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StandInSection {
    /// The variable that points the client at the stand-in
    /// (`CLAUDE_CONFIG_DIR`).
    pub env: String,
    /// Set when the variable names one copy in the stand-in rather than the
    /// stand-in itself (a variable such as `GEMINI_CLI_TRUSTED_FOLDERS_PATH`):
    /// that copy's name.
    #[serde(default)]
    pub env_names: Option<String>,
    /// Set when the variable names the directory the stand-in is found in,
    /// under the real directory's name (`GEMINI_CLI_HOME`, whose
    /// `.gemini` the client reads).
    #[serde(default)]
    pub env_home: bool,
    /// Entries of the stand-in of its own: empty when the session starts,
    /// dropped when it ends (a client's backups of its configuration, which
    /// the user would be told to restore from).
    #[serde(default)]
    pub private: Vec<String>,
    /// Files the client replaces in the stand-in (write a temporary file,
    /// rename it over the link) or makes there, that go back to the real
    /// directory when the session ends: names, or `*` patterns; each must
    /// be one the real directory's `[filesystem.guarded]` list lets change
    /// (or one of its patterns).
    #[serde(default)]
    pub keep: Vec<String>,
    /// Per-session copies, by their name in the stand-in.
    #[serde(default)]
    pub copies: BTreeMap<String, SessionCopySection>,
}

/// A file the client writes and also loads as configuration: the session
/// gets a copy of its own, and only the listed keys go back.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SessionCopySection {
    /// The real file (a JSON object), which may be missing.
    pub from: String,
    /// The keys whose changes are merged back into the real file when the
    /// session ends: names joined by `.`, where the segment `{repo}` stands
    /// for any key naming the repository or a path beneath it. Only keys
    /// that carry no code, no command, no path to load and no permission
    /// belong here; every other change stays in the session's copy.
    #[serde(default)]
    pub merge: Vec<String>,
    /// The only values (strings) a merged key may go back with; empty for
    /// any. Gemini's trust levels: `TRUST_FOLDER` goes back, `TRUST_PARENT`
    /// (which would trust every sibling of the repository) does not.
    #[serde(default)]
    pub values: Vec<String>,
}

/// One entry of `[filesystem.layered]`: how tools find the private layer
/// when there is no mount namespace to lay it over the real directory.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LayerSection {
    /// Variables set without namespaces; values may use `{layer}` (the
    /// private directory) and `{within}` (the stand-in for `within`).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// A directory the cache lies in that tools only find as a whole
    /// (`CARGO_HOME`): without namespaces it is stood in for by a private
    /// directory holding links to its other entries.
    #[serde(default)]
    pub within: Option<String>,
}

/// `[tools]`: programs the session may execute, looked up on `PATH` at launch.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ToolsSection {
    /// Program names (or absolute paths). A leading `?` marks a tool that may be
    /// missing on this machine.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Arguments guard puts right after a program's name when that program
    /// is the session's command, each unless the user gave it already: a
    /// client's switch that keeps it inside the session (`codex
    /// --no-daemon`). One argument each (`--flag=value`, not `--flag`
    /// `value`). Keys are program names.
    #[serde(default)]
    pub command_args: BTreeMap<String, Vec<String>>,
    /// Clients whose tool calls guard's hook adapters judge: when the
    /// session's command is one of them, guard registers its hooks for that
    /// session alone, without touching the user's settings (`claude`:
    /// through `--settings`, docs/claude-hooks.md).
    #[serde(default)]
    pub client_hooks: Vec<String>,
}

/// `[env]`: the session's environment. Nothing of the parent's environment
/// passes unless named here.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EnvSection {
    /// Variable names passed from the parent; a trailing `*` matches a prefix.
    #[serde(default)]
    pub pass: Vec<String>,
    /// Variables set to a value, which may use profile variables.
    #[serde(default)]
    pub set: BTreeMap<String, String>,
}

/// `[network]`: network reach of the session.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NetworkSection {
    /// `"none"`, `"allow"` (only `allow`'s hosts, through guard's proxy) or
    /// `"host"`; unset means inherited (and finally `"none"`).
    #[serde(default)]
    pub mode: Option<NetworkModeSetting>,
    /// Hosts `"allow"` lets through: `api.example.com`, `*.example.com`
    /// (subdomains only), optionally `:PORT` (default: 80 and 443).
    #[serde(default)]
    pub allow: Vec<String>,
    /// Whether allowed names may resolve to loopback, link-local or private
    /// addresses (default: refused, so a name cannot lead into the local
    /// network).
    #[serde(default)]
    pub allow_private: Option<bool>,
    /// Name-to-address overrides for the proxy, like curl's `--resolve`:
    /// `host:port:address`. An overridden name may be private.
    #[serde(default)]
    pub resolve: Vec<String>,
    /// Unix domain sockets: `"none"` (no `socket(AF_UNIX)`), `"listed"` (only
    /// socket files inside the session's writable paths and those in
    /// `unix_socket_paths`, checked by the supervisor on every `connect`), or
    /// `"any"` (every socket file the session can name: Landlock ABI 7 does not
    /// cover `connect()`). Unset: `"listed"` when `unix_socket_paths` is
    /// non-empty, else `"none"`.
    #[serde(default)]
    pub unix_sockets: Option<UnixSocketSetting>,
    /// Socket files outside the session the `"listed"` mode may connect to
    /// (`{home}/.ssh/agent.sock`, …). An entry starting with `?` may be missing.
    #[serde(default)]
    pub unix_socket_paths: Vec<String>,
}

/// The `network.mode` values a profile may write.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum NetworkModeSetting {
    /// No TCP or UDP at all.
    None,
    /// HTTP(S) to allowed hosts through guard's proxy; nothing else.
    Allow,
    /// The host network, unrestricted.
    Host,
}

/// The `network.unix_sockets` values a profile may write.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum UnixSocketSetting {
    /// `socket(AF_UNIX, …)` fails; `socketpair` still works.
    None,
    /// Stream sockets may connect to socket files inside the session's
    /// writable paths and to `unix_socket_paths`; the supervisor performs
    /// each `connect` itself.
    Listed,
    /// Unix sockets may be created and connected to anywhere.
    Any,
}

/// `$XDG_CONFIG_HOME/guard/credentials.toml`: credentials a user can add to
impl Profile {
    /// Parses one profile file. `name` is only used in error messages.
    pub fn parse(text: &str, source: &str) -> Result<Profile, ProfileError> {
        toml::from_str(text).map_err(|error| ProfileError::Parse {
            source_name: source.to_string(),
            location: error
                .span()
                .map(|span| crate::text::line_and_column(text, span.start))
                .map(|(line, column)| format!(":{line}:{column}"))
                .unwrap_or_default(),
            message: error.message().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_an_error_with_line_and_field() {
        let text = "description = \"x\"\n[filesystem]\nreed = [\"/tmp\"]\n";
        let error = Profile::parse(text, "p.toml").unwrap_err().to_string();
        assert!(error.contains("p.toml:3:1"), "{error}");
        assert!(error.contains("reed"), "{error}");
    }

    #[test]
    fn bad_network_mode_names_the_value() {
        let text = "[network]\nmode = \"everything\"\n";
        let error = Profile::parse(text, "p.toml").unwrap_err().to_string();
        assert!(error.contains("p.toml:2:8"), "{error}");
        assert!(error.contains("everything"), "{error}");
    }

    #[test]
    fn bad_scan_mode_names_the_value() {
        let text = "[scan]\non_start = \"loud\"\n";
        let error = Profile::parse(text, "p.toml").unwrap_err().to_string();
        assert!(error.contains("p.toml:2:12"), "{error}");
        assert!(error.contains("loud"), "{error}");
    }

    /// Whatever a profile file holds, TOML or not: parsed and laid over a
    /// built-in profile, or refused, without a panic.
    mod hostile_input {
        use super::*;
        use proptest::prelude::*;

        fn value() -> impl Strategy<Value = String> {
            prop_oneof![
                "\"(\\PC|[{}~/.*])*\"",
                "-?[0-9]{1,20}",
                Just("true".to_string()),
                "\\[(\"[ -~&&[^\"\\\\]]{0,12}\", ?){0,3}\\]",
                "\\{ ?([a-z_]{1,8} = \"[a-z]{0,6}\", ?){0,2}\\}",
                "[ -~]{0,16}",
            ]
        }

        fn line() -> impl Strategy<Value = String> {
            let section = "\\[\\[?(filesystem|filesystem\\.guarded|filesystem\\.layered|filesystem\\.stand_in\\.\"[a-z{}/.]{1,12}\"|tools|env|env\\.set|network|scan|log|credential|hooks|[a-z.]{1,12})\\]\\]?";
            let key = "(allow|command_args|description|env|exec|extends|files|from|keep|merge|mode|on_start|pass|private|protected|read|session_rc|values|write|name|provider|mint|revoke|ttl|\"[ -~]{0,8}\"|[a-z_]{1,10})";
            prop_oneof![
                section.prop_map(String::from),
                (key, value()).prop_map(|(key, value)| format!("{key} = {value}")),
                "\\PC{0,30}",
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            #[test]
            fn any_profile_text_is_parsed_or_refused(lines in proptest::collection::vec(line(), 0..14)) {
                let text = lines.join("\n");
                if let Ok(profile) = Profile::parse(&text, "fuzz.toml") {
                    let base = Profile::parse(builtin::text_of("default").unwrap(), "default").unwrap();
                    let _ = overlay(base, profile);
                }
            }

            #[test]
            fn any_text_at_all_is_parsed_or_refused(text in "\\PC{0,300}") {
                let _ = Profile::parse(&text, "fuzz.toml");
            }
        }
    }
}
