//! The command-line definition: the single source of `--help`, the man page
//! and the shell completions. Nothing here leaks past [`crate::commands`].

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Run AI coding assistants in a confined session.
///
/// guard reads a task profile, then runs the command under Landlock and
/// seccomp so that it sees only the repository paths and tools the profile
/// allows, with a scrubbed environment, and ends every process of the session
/// when the command exits.
#[derive(Debug, Parser)]
#[command(
    name = "guard",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Pretend user and mount namespaces are unavailable, so protected paths
    /// use the snapshot-and-restore fallback.
    #[arg(long, global = true, env = "GUARD_NO_NAMESPACES", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_namespaces: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// guard's subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a command in a confined session.
    ///
    /// The profile is `-p`, else the built-in or user profile named after the
    /// command (claude, codex, gemini, aider), else `default`. The exit status
    /// is the command's (128+N if signal N killed it); 125 means guard could
    /// not set up the session and did not run the command, 127 that the
    /// command was not found.
    #[command(
        after_help = "Examples:\n  guard run -- claude\n  guard run -p review -- bash\n  guard run --allow-write ~/notes -- codex"
    )]
    Run(RunArgs),
    /// Print the compiled policy: every path and right, the tools, the
    /// environment plan and the mechanisms that will enforce them.
    Policy(PolicyArgs),
    /// List the profiles guard can use and where each comes from.
    Profiles,
    /// Check what this kernel supports; exits non-zero when `guard run` could
    /// not enforce the default profile.
    Doctor {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Read and check the audit logs of past sessions.
    ///
    /// ID is a unique prefix of a session id, or `last`.
    #[command(subcommand)]
    Log(LogCommand),
    /// Review and trust the repository's `.guard.toml` (or list and revoke
    /// trust). Until trusted, `guard run` ignores it; once it changes, guard
    /// refuses to run until it is trusted again.
    Trust(TrustArgs),
    /// Look for hidden instructions and agent configuration in what an
    /// assistant will read: invisible and deceptive Unicode, instruction-like
    /// text where reviewers do not look, encoded payloads, repository agent
    /// settings. Exit status: 0 clean, 1 a finding at or above --fail-on,
    /// 2 an error.
    Scan(ScanArgs),
    /// Git hooks: guard's checks before every commit, and the repository's
    /// own hooks confined.
    #[command(subcommand)]
    Hook(HookCommand),
    /// Revoke the credentials of sessions whose guard is gone (killed, or the
    /// machine lost power), retrying revocations that failed before. Exits 1
    /// while some lease could not be revoked.
    Reap,
    /// List credential leases: live, orphaned, pending revocation.
    Creds,
    /// Inside a session: ask guard for a credential the profile offers on
    /// demand (`on_demand = true`). The session's trust decides (an
    /// untrusted session is refused, unless the profile allows it or the
    /// user approved the call that asks); the credential is revoked when the
    /// session ends.
    #[command(subcommand)]
    Credential(CredentialCommand),
    /// guard's signing identity: the key that signs each session's token
    /// (which a secrets server such as OpenBao verifies) and seals its log.
    #[command(subcommand)]
    Identity(IdentityCommand),
    /// Print shell functions that make the installed assistants (claude,
    /// codex, gemini, aider, and `[shell] wrap = […]` from
    /// `$XDG_CONFIG_HOME/guard/config.toml`) run confined.
    #[command(
        after_help = "Add to your shell's rc file:\n  bash (~/.bashrc):  eval \"$(guard shell-init bash)\"\n  zsh (~/.zshrc):    eval \"$(guard shell-init zsh)\"\n  fish (config.fish): guard shell-init fish | source\n\nArguments pass through untouched and completion keeps working.\nTo run an assistant unconfined once: `command claude …` (fish: `command claude …`)."
    )]
    ShellInit {
        /// The shell.
        shell: InitShell,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    #[command(hide = true)]
    Man,
}

/// `guard credential` subcommands.
#[derive(Debug, Subcommand)]
pub enum CredentialCommand {
    /// Print the credential's variables as `export VAR='value'` lines, for
    /// `eval "$(guard credential get NAME)"`; exit 1 if guard refuses.
    Get {
        /// The credential's name in the profile.
        name: String,
        /// Print them as a JSON object instead.
        #[arg(long)]
        json: bool,
    },
}

/// `guard identity` subcommands.
#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// Make the signing key (Ed25519, in guard's state directory, mode 0600,
    /// unreadable from every session) and print its public key as a JWKS.
    Init,
    /// Print the public keys whose tokens may still be valid, as a JWKS (RFC
    /// 7517), for a secrets server's JWT auth method.
    Jwks {
        /// Print them as PEM public keys instead (OpenBao's and Vault's
        /// `jwt_validation_pubkeys`).
        #[arg(long)]
        pem: bool,
    },
    /// Make a new signing key; the old private key is deleted, its public key
    /// stays in the JWKS until the last token it signed has expired.
    Rotate,
}

/// `guard log` subcommands.
#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// List sessions: id, start, profile, command, duration, exit, counts.
    List,
    /// Show a session's records as a timeline.
    Show {
        /// The session (`last`, the default, or a unique id prefix).
        #[arg(default_value = "last")]
        id: String,
        /// Only records of this kind (exec, open, write, create, delete,
        /// rename, mkdir, link, chmod, connect, denied, …); repeatable.
        #[arg(long = "kind", value_name = "KIND")]
        kinds: Vec<String>,
        /// Only records whose path matches this glob (`*` within a component,
        /// `**` across).
        #[arg(long, value_name = "GLOB")]
        path: Option<String>,
        /// Only records of this process id.
        #[arg(long)]
        pid: Option<u64>,
        /// Print the records as JSON Lines, as stored (with --tree: the
        /// tree as one JSON object).
        #[arg(long)]
        json: bool,
        /// Show the prompt chain as a tree: each prompt, the tool calls that
        /// followed it with guard's decisions and their results, changes of
        /// trust, and what the session's processes did during each call.
        #[arg(long)]
        tree: bool,
    },
    /// Summarise a session: the process tree of execs, files changed, denials
    /// by rule, the directories read most.
    Summary {
        /// The session (`last`, the default, or a unique id prefix).
        #[arg(default_value = "last")]
        id: String,
    },
    /// Check that logs are intact and signed by guard: exit 0 when sealed
    /// (and signed, when guard had a signing identity), 3 when intact but
    /// without an end record (guard was killed, or the end was cut off), 1
    /// when a record was edited, deleted, inserted or reordered or the
    /// signature removed or invalid, 5 when signed by a key that is not
    /// guard's (re-signed elsewhere, or the JWKS given lacks it).
    Verify {
        /// The session (`last`, the default, or a unique id prefix).
        id: Option<String>,
        /// Check every session.
        #[arg(long, conflicts_with = "id")]
        all: bool,
        /// Check signatures against this JWKS (`guard identity jwks` of the
        /// machine the log comes from) instead of this machine's keys; an
        /// unsigned log then fails.
        #[arg(long, value_name = "FILE")]
        jwks: Option<PathBuf>,
    },
    /// Print the path of a session's log file.
    Path {
        /// The session (`last`, the default, or a unique id prefix).
        #[arg(default_value = "last")]
        id: String,
    },
}

/// Profile choice and additions shared by `run` and `policy`.
#[derive(Debug, Args, Clone)]
pub struct SessionArgs {
    /// Profile: a built-in name, a user profile name, or a path to a TOML file.
    #[arg(short, long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// The repository (default: the git top-level of the current directory,
    /// else the current directory).
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// Also allow reading this path.
    #[arg(long, value_name = "PATH")]
    pub allow_read: Vec<PathBuf>,
    /// Also allow writing this path.
    #[arg(long, value_name = "PATH")]
    pub allow_write: Vec<PathBuf>,
    /// Also allow executing this tool (a name looked up on PATH, or a path).
    #[arg(long, value_name = "TOOL")]
    pub allow_exec: Vec<String>,
    /// Network mode for this session: none, allow (only allowed hosts,
    /// through guard's proxy) or host.
    #[arg(long, value_name = "MODE")]
    pub network: Option<crate::profile::NetworkModeSetting>,
    /// Also allow this host (`name`, `*.domain`, optional `:port`); implies
    /// `--network allow` unless a mode is given.
    #[arg(long, value_name = "HOST")]
    pub allow_domain: Vec<String>,
    /// Resolve HOST:PORT to ADDRESS in guard's proxy, like curl's --resolve
    /// (the name may then be private, e.g. a local test server).
    #[arg(long, value_name = "HOST:PORT:ADDRESS")]
    pub resolve: Vec<String>,
    /// Also mint this credential, defined in
    /// `$XDG_CONFIG_HOME/guard/credentials.toml`.
    #[arg(long = "cred", value_name = "NAME")]
    pub credentials: Vec<String>,
}

/// `guard run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Profile and additions.
    #[command(flatten)]
    pub session: SessionArgs,
    /// Print the policy that would be enforced and exit without running.
    #[arg(long)]
    pub dry_run: bool,
    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// `guard policy`.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Profile and additions.
    #[command(flatten)]
    pub session: SessionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Shorthand for `--format json`.
    #[arg(long)]
    pub json: bool,
    /// The command the policy is for (default: `sh`).
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// `guard scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories (default: the repository).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
    pub format: ScanFormat,
    /// Short for `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// The lowest severity that makes the exit status 1.
    #[arg(long, value_enum, default_value_t = crate::scan::Severity::Medium)]
    pub fail_on: crate::scan::Severity,
    /// Read only files changed since the last scan of the same directory
    /// (results kept in guard's state directory, keyed by file status and
    /// content hash).
    #[arg(long)]
    pub incremental: bool,
    /// Scan with this many threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
}

/// `guard scan` output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// For people.
    Text,
    /// The findings as a JSON array.
    Json,
    /// SARIF 2.1.0, for code-scanning UIs.
    Sarif,
}

/// `guard trust`.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// Profile and repository (the change is shown against this profile).
    #[command(flatten)]
    pub session: SessionArgs,
    /// Accept a repository profile that grants more than the user's profile.
    #[arg(long)]
    pub allow_widen: bool,
    /// List the trusted repository profiles.
    #[arg(long, conflicts_with_all = ["revoke", "allow_widen"])]
    pub list: bool,
    /// Stop trusting the repository's profile.
    #[arg(long, conflicts_with = "allow_widen")]
    pub revoke: bool,
}

/// `guard hook` subcommands.
#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Install hook shims that call `guard hook run`. An existing hook is
    /// chained (kept as NAME.guard-chained and run, confined, after guard's
    /// checks); `core.hooksPath` is respected; running it again changes
    /// nothing.
    Install {
        /// The repository (default: the current one).
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
        /// Comma-separated hook names (default:
        /// pre-commit,prepare-commit-msg,commit-msg).
        #[arg(long, value_name = "LIST")]
        hooks: Option<String>,
        /// Chain even what guard does not recognise (a symlinked hook, a
        /// chained hook already in the way).
        #[arg(long)]
        force: bool,
    },
    /// Remove guard's shims and put chained hooks back.
    Uninstall {
        /// The repository (default: the current one).
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
    },
    /// Claude Code's tool hooks (register them as shown in
    /// docs/claude-hooks.md): pre-tool-use refuses, with a reason the model
    /// reads, a call the session's sandbox would refuse; post-tool-use warns
    /// the model when a tool's output carries planted instructions. Both read
    /// the hook JSON on stdin and report to the session's audit log.
    Claude {
        /// Which hook.
        event: ClientHookEvent,
    },
    /// Codex's hooks (`guard run -- codex` registers them): as for Claude
    /// Code, except that a call guard would put to the user is refused,
    /// since Codex's pre-call hooks cannot ask.
    Codex {
        /// Which hook (Codex has pre-tool-use, post-tool-use,
        /// user-prompt-submit and session-start).
        event: ClientHookEvent,
    },
    /// Gemini CLI's hooks (`guard run -- gemini` registers them): as for
    /// Claude Code, read from and answered in Gemini CLI's own format.
    Gemini {
        /// Which hook (Gemini CLI's BeforeTool is pre-tool-use, AfterTool
        /// post-tool-use, BeforeAgent user-prompt-submit; also
        /// session-start and session-end).
        event: ClientHookEvent,
    },
    /// What the shims call: pre-commit scans the staged changes for secrets
    /// and protected paths; prepare-commit-msg and commit-msg add a
    /// `Guard-Session` trailer inside a session; then the repository's own
    /// hook runs under the `git-hook` profile.
    Run {
        /// The hook's name.
        hook: String,
        /// The arguments git passed.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// The client hook events guard handles, named as Claude Code names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClientHookEvent {
    /// `PreToolUse`.
    PreToolUse,
    /// `PostToolUse`.
    PostToolUse,
    /// `UserPromptSubmit`: the user's prompt into the session's log (in
    /// full, as a digest, or not, as `log.prompts` says).
    UserPromptSubmit,
    /// `PostToolUseFailure`: a call that failed; its error is scanned and
    /// recorded like a result.
    PostToolUseFailure,
    /// `SessionStart`, `SessionEnd`, `SubagentStart`, `SubagentStop`: the
    /// client's own lifecycle, into the session's log.
    SessionStart,
    /// See `session-start`.
    SessionEnd,
    /// See `session-start`.
    SubagentStart,
    /// See `session-start`.
    SubagentStop,
}

impl ClientHookEvent {
    /// Whether the event reports the client's lifecycle (not a tool call).
    pub fn is_lifecycle(self) -> bool {
        matches!(
            self,
            ClientHookEvent::SessionStart
                | ClientHookEvent::SessionEnd
                | ClientHookEvent::SubagentStart
                | ClientHookEvent::SubagentStop
        )
    }
}

/// Shells `guard shell-init` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InitShell {
    /// bash.
    Bash,
    /// zsh.
    Zsh,
    /// fish.
    Fish,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For programs.
    Json,
}

/// `--fail-on`'s values: the scan's severities, named as profiles name them.
impl clap::ValueEnum for crate::scan::Severity {
    fn value_variants<'a>() -> &'a [Self] {
        &crate::scan::Severity::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        use crate::scan::Severity;
        let help = match self {
            Severity::Low => "Worth a look",
            Severity::Medium => "Probably deliberate",
            Severity::High => "Almost certainly an attack",
        };
        Some(clap::builder::PossibleValue::new(self.name()).help(help))
    }
}

impl clap::ValueEnum for crate::profile::NetworkModeSetting {
    fn value_variants<'a>() -> &'a [Self] {
        use crate::profile::NetworkModeSetting;
        &[
            NetworkModeSetting::None,
            NetworkModeSetting::Allow,
            NetworkModeSetting::Host,
        ]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        use crate::profile::NetworkModeSetting;
        let (name, help) = match self {
            NetworkModeSetting::None => ("none", "No TCP or UDP at all"),
            NetworkModeSetting::Allow => {
                ("allow", "HTTP(S) to allowed hosts through guard's proxy")
            }
            NetworkModeSetting::Host => ("host", "The host network, unrestricted"),
        };
        Some(clap::builder::PossibleValue::new(name).help(help))
    }
}
