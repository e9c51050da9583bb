# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_guard_global_optspecs
    string join \n no-namespaces h/help V/version
end

function __fish_guard_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_guard_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_guard_using_subcommand
    set -l cmd (__fish_guard_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c guard -n "__fish_guard_needs_command" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c guard -n "__fish_guard_needs_command" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_needs_command" -f -a "run" -d 'Run a command in a confined session'
complete -c guard -n "__fish_guard_needs_command" -f -a "policy" -d 'Print the compiled policy: every path and right, the tools, the environment plan and the mechanisms that will enforce them'
complete -c guard -n "__fish_guard_needs_command" -f -a "profiles" -d 'List the profiles guard can use and where each comes from'
complete -c guard -n "__fish_guard_needs_command" -f -a "doctor" -d 'Check what this kernel supports; exits non-zero when `guard run` could not enforce the default profile'
complete -c guard -n "__fish_guard_needs_command" -f -a "log" -d 'Read and check the audit logs of past sessions'
complete -c guard -n "__fish_guard_needs_command" -f -a "trust" -d 'Review and trust the repository\'s `.guard.toml` (or list and revoke trust). Until trusted, `guard run` ignores it; once it changes, guard refuses to run until it is trusted again'
complete -c guard -n "__fish_guard_needs_command" -f -a "scan" -d 'Look for hidden instructions and agent configuration in what an assistant will read: invisible and deceptive Unicode, instruction-like text where reviewers do not look, encoded payloads, repository agent settings. Exit status: 0 clean, 1 a finding at or above --fail-on, 2 an error'
complete -c guard -n "__fish_guard_needs_command" -f -a "hook" -d 'Git hooks: guard\'s checks before every commit, and the repository\'s own hooks confined'
complete -c guard -n "__fish_guard_needs_command" -f -a "reap" -d 'Revoke the credentials of sessions whose guard is gone (killed, or the machine lost power), retrying revocations that failed before. Exits 1 while some lease could not be revoked'
complete -c guard -n "__fish_guard_needs_command" -f -a "creds" -d 'List credential leases: live, orphaned, pending revocation'
complete -c guard -n "__fish_guard_needs_command" -f -a "credential" -d 'Inside a session: ask guard for a credential the profile offers on demand (`on_demand = true`). The session\'s trust decides (an untrusted session is refused, unless the profile allows it or the user approved the call that asks); the credential is revoked when the session ends'
complete -c guard -n "__fish_guard_needs_command" -f -a "identity" -d 'guard\'s signing identity: the key that signs each session\'s token (which a secrets server such as OpenBao verifies) and seals its log'
complete -c guard -n "__fish_guard_needs_command" -f -a "shell-init" -d 'Print shell functions that make the installed assistants (claude, codex, gemini, aider, and `[shell] wrap = […]` from `$XDG_CONFIG_HOME/guard/config.toml`) run confined'
complete -c guard -n "__fish_guard_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c guard -n "__fish_guard_needs_command" -f -a "man" -d 'Print the man page (roff)'
complete -c guard -n "__fish_guard_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand run" -s p -l profile -d 'Profile: a built-in name, a user profile name, or a path to a TOML file' -r
complete -c guard -n "__fish_guard_using_subcommand run" -l repo -d 'The repository (default: the git top-level of the current directory, else the current directory)' -r -F
complete -c guard -n "__fish_guard_using_subcommand run" -l allow-read -d 'Also allow reading this path' -r -F
complete -c guard -n "__fish_guard_using_subcommand run" -l allow-write -d 'Also allow writing this path' -r -F
complete -c guard -n "__fish_guard_using_subcommand run" -l allow-exec -d 'Also allow executing this tool (a name looked up on PATH, or a path)' -r
complete -c guard -n "__fish_guard_using_subcommand run" -l network -d 'Network mode for this session: none, allow (only allowed hosts, through guard\'s proxy) or host' -r -f -a "none\t'No TCP or UDP at all'
allow\t'HTTP(S) to allowed hosts through guard\'s proxy'
host\t'The host network, unrestricted'"
complete -c guard -n "__fish_guard_using_subcommand run" -l allow-domain -d 'Also allow this host (`name`, `*.domain`, optional `:port`); implies `--network allow` unless a mode is given' -r
complete -c guard -n "__fish_guard_using_subcommand run" -l resolve -d 'Resolve HOST:PORT to ADDRESS in guard\'s proxy, like curl\'s --resolve (the name may then be private, e.g. a local test server)' -r
complete -c guard -n "__fish_guard_using_subcommand run" -l cred -d 'Also mint this credential, defined in `$XDG_CONFIG_HOME/guard/credentials.toml`' -r
complete -c guard -n "__fish_guard_using_subcommand run" -l dry-run -d 'Print the policy that would be enforced and exit without running'
complete -c guard -n "__fish_guard_using_subcommand run" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c guard -n "__fish_guard_using_subcommand run" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand policy" -s p -l profile -d 'Profile: a built-in name, a user profile name, or a path to a TOML file' -r
complete -c guard -n "__fish_guard_using_subcommand policy" -l repo -d 'The repository (default: the git top-level of the current directory, else the current directory)' -r -F
complete -c guard -n "__fish_guard_using_subcommand policy" -l allow-read -d 'Also allow reading this path' -r -F
complete -c guard -n "__fish_guard_using_subcommand policy" -l allow-write -d 'Also allow writing this path' -r -F
complete -c guard -n "__fish_guard_using_subcommand policy" -l allow-exec -d 'Also allow executing this tool (a name looked up on PATH, or a path)' -r
complete -c guard -n "__fish_guard_using_subcommand policy" -l network -d 'Network mode for this session: none, allow (only allowed hosts, through guard\'s proxy) or host' -r -f -a "none\t'No TCP or UDP at all'
allow\t'HTTP(S) to allowed hosts through guard\'s proxy'
host\t'The host network, unrestricted'"
complete -c guard -n "__fish_guard_using_subcommand policy" -l allow-domain -d 'Also allow this host (`name`, `*.domain`, optional `:port`); implies `--network allow` unless a mode is given' -r
complete -c guard -n "__fish_guard_using_subcommand policy" -l resolve -d 'Resolve HOST:PORT to ADDRESS in guard\'s proxy, like curl\'s --resolve (the name may then be private, e.g. a local test server)' -r
complete -c guard -n "__fish_guard_using_subcommand policy" -l cred -d 'Also mint this credential, defined in `$XDG_CONFIG_HOME/guard/credentials.toml`' -r
complete -c guard -n "__fish_guard_using_subcommand policy" -l format -d 'Output format' -r -f -a "text\t'For people'
json\t'For programs'"
complete -c guard -n "__fish_guard_using_subcommand policy" -l json -d 'Shorthand for `--format json`'
complete -c guard -n "__fish_guard_using_subcommand policy" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand policy" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c guard -n "__fish_guard_using_subcommand policy" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand profiles" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand profiles" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand profiles" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand doctor" -l json -d 'Print the report as JSON'
complete -c guard -n "__fish_guard_using_subcommand doctor" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from list show summary verify path help" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from list show summary verify path help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from list show summary verify path help" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from list show summary verify path help" -f -a "list" -d 'List sessions: id, start, profile, command, duration, exit, counts'
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from list show summary verify path help" -f -a "show" -d 'Show a session\'s records as a timeline'
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from list show summary verify path help" -f -a "summary" -d 'Summarise a session: the process tree of execs, files changed, denials by rule, the directories read most'
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from list show summary verify path help" -f -a "verify" -d 'Check that logs are intact and signed by guard: exit 0 when sealed (and signed, when guard had a signing identity), 3 when intact but without an end record (guard was killed, or the end was cut off), 1 when a record was edited, deleted, inserted or reordered or the signature removed or invalid, 5 when signed by a key that is not guard\'s (re-signed elsewhere, or the JWKS given lacks it)'
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from list show summary verify path help" -f -a "path" -d 'Print the path of a session\'s log file'
complete -c guard -n "__fish_guard_using_subcommand log; and not __fish_seen_subcommand_from list show summary verify path help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from list" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from show" -l kind -d 'Only records of this kind (exec, open, write, create, delete, rename, mkdir, link, chmod, connect, denied, …); repeatable' -r
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from show" -l path -d 'Only records whose path matches this glob (`*` within a component, `**` across)' -r
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from show" -l pid -d 'Only records of this process id' -r
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from show" -l json -d 'Print the records as JSON Lines, as stored (with --tree: the tree as one JSON object)'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from show" -l tree -d 'Show the prompt chain as a tree: each prompt, the tool calls that followed it with guard\'s decisions and their results, changes of trust, and what the session\'s processes did during each call'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from show" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from summary" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from summary" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from summary" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from verify" -l jwks -d 'Check signatures against this JWKS (`guard identity jwks` of the machine the log comes from) instead of this machine\'s keys; an unsigned log then fails' -r -F
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from verify" -l all -d 'Check every session'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from verify" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from path" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from path" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "list" -d 'List sessions: id, start, profile, command, duration, exit, counts'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show a session\'s records as a timeline'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "summary" -d 'Summarise a session: the process tree of execs, files changed, denials by rule, the directories read most'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Check that logs are intact and signed by guard: exit 0 when sealed (and signed, when guard had a signing identity), 3 when intact but without an end record (guard was killed, or the end was cut off), 1 when a record was edited, deleted, inserted or reordered or the signature removed or invalid, 5 when signed by a key that is not guard\'s (re-signed elsewhere, or the JWKS given lacks it)'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print the path of a session\'s log file'
complete -c guard -n "__fish_guard_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand trust" -s p -l profile -d 'Profile: a built-in name, a user profile name, or a path to a TOML file' -r
complete -c guard -n "__fish_guard_using_subcommand trust" -l repo -d 'The repository (default: the git top-level of the current directory, else the current directory)' -r -F
complete -c guard -n "__fish_guard_using_subcommand trust" -l allow-read -d 'Also allow reading this path' -r -F
complete -c guard -n "__fish_guard_using_subcommand trust" -l allow-write -d 'Also allow writing this path' -r -F
complete -c guard -n "__fish_guard_using_subcommand trust" -l allow-exec -d 'Also allow executing this tool (a name looked up on PATH, or a path)' -r
complete -c guard -n "__fish_guard_using_subcommand trust" -l network -d 'Network mode for this session: none, allow (only allowed hosts, through guard\'s proxy) or host' -r -f -a "none\t'No TCP or UDP at all'
allow\t'HTTP(S) to allowed hosts through guard\'s proxy'
host\t'The host network, unrestricted'"
complete -c guard -n "__fish_guard_using_subcommand trust" -l allow-domain -d 'Also allow this host (`name`, `*.domain`, optional `:port`); implies `--network allow` unless a mode is given' -r
complete -c guard -n "__fish_guard_using_subcommand trust" -l resolve -d 'Resolve HOST:PORT to ADDRESS in guard\'s proxy, like curl\'s --resolve (the name may then be private, e.g. a local test server)' -r
complete -c guard -n "__fish_guard_using_subcommand trust" -l cred -d 'Also mint this credential, defined in `$XDG_CONFIG_HOME/guard/credentials.toml`' -r
complete -c guard -n "__fish_guard_using_subcommand trust" -l allow-widen -d 'Accept a repository profile that grants more than the user\'s profile'
complete -c guard -n "__fish_guard_using_subcommand trust" -l list -d 'List the trusted repository profiles'
complete -c guard -n "__fish_guard_using_subcommand trust" -l revoke -d 'Stop trusting the repository\'s profile'
complete -c guard -n "__fish_guard_using_subcommand trust" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand trust" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c guard -n "__fish_guard_using_subcommand trust" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand scan" -l format -d 'Output format' -r -f -a "text\t'For people'
json\t'The findings as a JSON array'
sarif\t'SARIF 2.1.0, for code-scanning UIs'"
complete -c guard -n "__fish_guard_using_subcommand scan" -l fail-on -d 'The lowest severity that makes the exit status 1' -r -f -a "low\t'Worth a look'
medium\t'Probably deliberate'
high\t'Almost certainly an attack'"
complete -c guard -n "__fish_guard_using_subcommand scan" -s j -l jobs -d 'Scan with this many threads (default: one per core)' -r
complete -c guard -n "__fish_guard_using_subcommand scan" -l json -d 'Short for `--format json`'
complete -c guard -n "__fish_guard_using_subcommand scan" -l incremental -d 'Read only files changed since the last scan of the same directory (results kept in guard\'s state directory, keyed by file status and content hash)'
complete -c guard -n "__fish_guard_using_subcommand scan" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand scan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c guard -n "__fish_guard_using_subcommand scan" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall claude codex gemini run help" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall claude codex gemini run help" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall claude codex gemini run help" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall claude codex gemini run help" -f -a "install" -d 'Install hook shims that call `guard hook run`. An existing hook is chained (kept as NAME.guard-chained and run, confined, after guard\'s checks); `core.hooksPath` is respected; running it again changes nothing'
complete -c guard -n "__fish_guard_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall claude codex gemini run help" -f -a "uninstall" -d 'Remove guard\'s shims and put chained hooks back'
complete -c guard -n "__fish_guard_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall claude codex gemini run help" -f -a "claude" -d 'Claude Code\'s tool hooks (register them as shown in docs/claude-hooks.md): pre-tool-use refuses, with a reason the model reads, a call the session\'s sandbox would refuse; post-tool-use warns the model when a tool\'s output carries planted instructions. Both read the hook JSON on stdin and report to the session\'s audit log'
complete -c guard -n "__fish_guard_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall claude codex gemini run help" -f -a "codex" -d 'Codex\'s hooks (`guard run -- codex` registers them): as for Claude Code, except that a call guard would put to the user is refused, since Codex\'s pre-call hooks cannot ask'
complete -c guard -n "__fish_guard_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall claude codex gemini run help" -f -a "gemini" -d 'Gemini CLI\'s hooks (`guard run -- gemini` registers them): as for Claude Code, read from and answered in Gemini CLI\'s own format'
complete -c guard -n "__fish_guard_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall claude codex gemini run help" -f -a "run" -d 'What the shims call: pre-commit scans the staged changes for secrets and protected paths; prepare-commit-msg and commit-msg add a `Guard-Session` trailer inside a session; then the repository\'s own hook runs under the `git-hook` profile'
complete -c guard -n "__fish_guard_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall claude codex gemini run help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from install" -l repo -d 'The repository (default: the current one)' -r -F
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from install" -l hooks -d 'Comma-separated hook names (default: pre-commit,prepare-commit-msg,commit-msg)' -r
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from install" -l force -d 'Chain even what guard does not recognise (a symlinked hook, a chained hook already in the way)'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from install" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from install" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from install" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -l repo -d 'The repository (default: the current one)' -r -F
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from claude" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from claude" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from claude" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from codex" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from codex" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from codex" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from gemini" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from gemini" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from gemini" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from run" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from run" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "install" -d 'Install hook shims that call `guard hook run`. An existing hook is chained (kept as NAME.guard-chained and run, confined, after guard\'s checks); `core.hooksPath` is respected; running it again changes nothing'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "uninstall" -d 'Remove guard\'s shims and put chained hooks back'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "claude" -d 'Claude Code\'s tool hooks (register them as shown in docs/claude-hooks.md): pre-tool-use refuses, with a reason the model reads, a call the session\'s sandbox would refuse; post-tool-use warns the model when a tool\'s output carries planted instructions. Both read the hook JSON on stdin and report to the session\'s audit log'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "codex" -d 'Codex\'s hooks (`guard run -- codex` registers them): as for Claude Code, except that a call guard would put to the user is refused, since Codex\'s pre-call hooks cannot ask'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "gemini" -d 'Gemini CLI\'s hooks (`guard run -- gemini` registers them): as for Claude Code, read from and answered in Gemini CLI\'s own format'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "run" -d 'What the shims call: pre-commit scans the staged changes for secrets and protected paths; prepare-commit-msg and commit-msg add a `Guard-Session` trailer inside a session; then the repository\'s own hook runs under the `git-hook` profile'
complete -c guard -n "__fish_guard_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand reap" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand reap" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand reap" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand creds" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand creds" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand creds" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand credential; and not __fish_seen_subcommand_from get help" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand credential; and not __fish_seen_subcommand_from get help" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand credential; and not __fish_seen_subcommand_from get help" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand credential; and not __fish_seen_subcommand_from get help" -f -a "get" -d 'Print the credential\'s variables as `export VAR=\'value\'` lines, for `eval "$(guard credential get NAME)"`; exit 1 if guard refuses'
complete -c guard -n "__fish_guard_using_subcommand credential; and not __fish_seen_subcommand_from get help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand credential; and __fish_seen_subcommand_from get" -l json -d 'Print them as a JSON object instead'
complete -c guard -n "__fish_guard_using_subcommand credential; and __fish_seen_subcommand_from get" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand credential; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand credential; and __fish_seen_subcommand_from get" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand credential; and __fish_seen_subcommand_from help" -f -a "get" -d 'Print the credential\'s variables as `export VAR=\'value\'` lines, for `eval "$(guard credential get NAME)"`; exit 1 if guard refuses'
complete -c guard -n "__fish_guard_using_subcommand credential; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand identity; and not __fish_seen_subcommand_from init jwks rotate help" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand identity; and not __fish_seen_subcommand_from init jwks rotate help" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand identity; and not __fish_seen_subcommand_from init jwks rotate help" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand identity; and not __fish_seen_subcommand_from init jwks rotate help" -f -a "init" -d 'Make the signing key (Ed25519, in guard\'s state directory, mode 0600, unreadable from every session) and print its public key as a JWKS'
complete -c guard -n "__fish_guard_using_subcommand identity; and not __fish_seen_subcommand_from init jwks rotate help" -f -a "jwks" -d 'Print the public keys whose tokens may still be valid, as a JWKS (RFC 7517), for a secrets server\'s JWT auth method'
complete -c guard -n "__fish_guard_using_subcommand identity; and not __fish_seen_subcommand_from init jwks rotate help" -f -a "rotate" -d 'Make a new signing key; the old private key is deleted, its public key stays in the JWKS until the last token it signed has expired'
complete -c guard -n "__fish_guard_using_subcommand identity; and not __fish_seen_subcommand_from init jwks rotate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand identity; and __fish_seen_subcommand_from init" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand identity; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand identity; and __fish_seen_subcommand_from init" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand identity; and __fish_seen_subcommand_from jwks" -l pem -d 'Print them as PEM public keys instead (OpenBao\'s and Vault\'s `jwt_validation_pubkeys`)'
complete -c guard -n "__fish_guard_using_subcommand identity; and __fish_seen_subcommand_from jwks" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand identity; and __fish_seen_subcommand_from jwks" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand identity; and __fish_seen_subcommand_from jwks" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand identity; and __fish_seen_subcommand_from rotate" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand identity; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand identity; and __fish_seen_subcommand_from rotate" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand identity; and __fish_seen_subcommand_from help" -f -a "init" -d 'Make the signing key (Ed25519, in guard\'s state directory, mode 0600, unreadable from every session) and print its public key as a JWKS'
complete -c guard -n "__fish_guard_using_subcommand identity; and __fish_seen_subcommand_from help" -f -a "jwks" -d 'Print the public keys whose tokens may still be valid, as a JWKS (RFC 7517), for a secrets server\'s JWT auth method'
complete -c guard -n "__fish_guard_using_subcommand identity; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Make a new signing key; the old private key is deleted, its public key stays in the JWKS until the last token it signed has expired'
complete -c guard -n "__fish_guard_using_subcommand identity; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand shell-init" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand shell-init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c guard -n "__fish_guard_using_subcommand shell-init" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand completions" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand completions" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand completions" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand man" -l no-namespaces -d 'Pretend user and mount namespaces are unavailable, so protected paths use the snapshot-and-restore fallback'
complete -c guard -n "__fish_guard_using_subcommand man" -s h -l help -d 'Print help'
complete -c guard -n "__fish_guard_using_subcommand man" -s V -l version -d 'Print version'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from run policy profiles doctor log trust scan hook reap creds credential identity shell-init completions man help" -f -a "run" -d 'Run a command in a confined session'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from run policy profiles doctor log trust scan hook reap creds credential identity shell-init completions man help" -f -a "policy" -d 'Print the compiled policy: every path and right, the tools, the environment plan and the mechanisms that will enforce them'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from run policy profiles doctor log trust scan hook reap creds credential identity shell-init completions man help" -f -a "profiles" -d 'List the profiles guard can use and where each comes from'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from run policy profiles doctor log trust scan hook reap creds credential identity shell-init completions man help" -f -a "doctor" -d 'Check what this kernel supports; exits non-zero when `guard run` could not enforce the default profile'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from run policy profiles doctor log trust scan hook reap creds credential identity shell-init completions man help" -f -a "log" -d 'Read and check the audit logs of past sessions'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from run policy profiles doctor log trust scan hook reap creds credential identity shell-init completions man help" -f -a "trust" -d 'Review and trust the repository\'s `.guard.toml` (or list and revoke trust). Until trusted, `guard run` ignores it; once it changes, guard refuses to run until it is trusted again'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from run policy profiles doctor log trust scan hook reap creds credential identity shell-init completions man help" -f -a "scan" -d 'Look for hidden instructions and agent configuration in what an assistant will read: invisible and deceptive Unicode, instruction-like text where reviewers do not look, encoded payloads, repository agent settings. Exit status: 0 clean, 1 a finding at or above --fail-on, 2 an error'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from run policy profiles doctor log trust scan hook reap creds credential identity shell-init completions man help" -f -a "hook" -d 'Git hooks: guard\'s checks before every commit, and the repository\'s own hooks confined'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from run policy profiles doctor log trust scan hook reap creds credential identity shell-init completions man help" -f -a "reap" -d 'Revoke the credentials of sessions whose guard is gone (killed, or the machine lost power), retrying revocations that failed before. Exits 1 while some lease could not be revoked'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from run policy profiles doctor log trust scan hook reap creds credential identity shell-init completions man help" -f -a "creds" -d 'List credential leases: live, orphaned, pending revocation'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from run policy profiles doctor log trust scan hook reap creds credential identity shell-init completions man help" -f -a "credential" -d 'Inside a session: ask guard for a credential the profile offers on demand (`on_demand = true`). The session\'s trust decides (an untrusted session is refused, unless the profile allows it or the user approved the call that asks); the credential is revoked when the session ends'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from run policy profiles doctor log trust scan hook reap creds credential identity shell-init completions man help" -f -a "identity" -d 'guard\'s signing identity: the key that signs each session\'s token (which a secrets server such as OpenBao verifies) and seals its log'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from run policy profiles doctor log trust scan hook reap creds credential identity shell-init completions man help" -f -a "shell-init" -d 'Print shell functions that make the installed assistants (claude, codex, gemini, aider, and `[shell] wrap = […]` from `$XDG_CONFIG_HOME/guard/config.toml`) run confined'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from run policy profiles doctor log trust scan hook reap creds credential identity shell-init completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from run policy profiles doctor log trust scan hook reap creds credential identity shell-init completions man help" -f -a "man" -d 'Print the man page (roff)'
complete -c guard -n "__fish_guard_using_subcommand help; and not __fish_seen_subcommand_from run policy profiles doctor log trust scan hook reap creds credential identity shell-init completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "list" -d 'List sessions: id, start, profile, command, duration, exit, counts'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "show" -d 'Show a session\'s records as a timeline'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "summary" -d 'Summarise a session: the process tree of execs, files changed, denials by rule, the directories read most'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "verify" -d 'Check that logs are intact and signed by guard: exit 0 when sealed (and signed, when guard had a signing identity), 3 when intact but without an end record (guard was killed, or the end was cut off), 1 when a record was edited, deleted, inserted or reordered or the signature removed or invalid, 5 when signed by a key that is not guard\'s (re-signed elsewhere, or the JWKS given lacks it)'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "path" -d 'Print the path of a session\'s log file'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "install" -d 'Install hook shims that call `guard hook run`. An existing hook is chained (kept as NAME.guard-chained and run, confined, after guard\'s checks); `core.hooksPath` is respected; running it again changes nothing'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "uninstall" -d 'Remove guard\'s shims and put chained hooks back'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "claude" -d 'Claude Code\'s tool hooks (register them as shown in docs/claude-hooks.md): pre-tool-use refuses, with a reason the model reads, a call the session\'s sandbox would refuse; post-tool-use warns the model when a tool\'s output carries planted instructions. Both read the hook JSON on stdin and report to the session\'s audit log'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "codex" -d 'Codex\'s hooks (`guard run -- codex` registers them): as for Claude Code, except that a call guard would put to the user is refused, since Codex\'s pre-call hooks cannot ask'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "gemini" -d 'Gemini CLI\'s hooks (`guard run -- gemini` registers them): as for Claude Code, read from and answered in Gemini CLI\'s own format'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "run" -d 'What the shims call: pre-commit scans the staged changes for secrets and protected paths; prepare-commit-msg and commit-msg add a `Guard-Session` trailer inside a session; then the repository\'s own hook runs under the `git-hook` profile'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from credential" -f -a "get" -d 'Print the credential\'s variables as `export VAR=\'value\'` lines, for `eval "$(guard credential get NAME)"`; exit 1 if guard refuses'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from identity" -f -a "init" -d 'Make the signing key (Ed25519, in guard\'s state directory, mode 0600, unreadable from every session) and print its public key as a JWKS'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from identity" -f -a "jwks" -d 'Print the public keys whose tokens may still be valid, as a JWKS (RFC 7517), for a secrets server\'s JWT auth method'
complete -c guard -n "__fish_guard_using_subcommand help; and __fish_seen_subcommand_from identity" -f -a "rotate" -d 'Make a new signing key; the old private key is deleted, its public key stays in the JWKS until the last token it signed has expired'
