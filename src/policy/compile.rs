//! `ResolvedProfile` + host view → [`Policy`]. No syscalls beyond the read-only
//! queries of [`HostView`].

use super::exec_deps::{self, ExecNeeds};
use super::git_dirs::GitFile;
use super::lexically_normal;
use super::vars::Variables;
use super::*;
use crate::profile::{NetworkModeSetting, ResolvedProfile, UnixSocketSetting};
use builder::Builder;
use std::path::Path;

/// How many `#!` interpreters may chain (`env` → `node` …) before we give up.
const MAX_INTERPRETER_DEPTH: usize = 4;
/// How much of an executable is read to find its interpreter or loader.
const EXEC_HEAD_BYTES: usize = 8192;
/// The `PATH` used to find tools when the parent has none.
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// What [`compile`] needs besides the profile and the host view.
#[derive(Debug, Clone)]
pub struct CompileInput<'a> {
    /// The resolved profile.
    pub profile: &'a ResolvedProfile,
    /// The repository (absolute, symlinks resolved).
    pub repo: &'a Path,
    /// The command to run; must not be empty.
    pub command: &'a [String],
    /// The session's private directories (they need not exist yet).
    pub session: SessionPaths,
    /// The user's real home directory.
    pub home: &'a Path,
    /// The session's terminal device, when it has one (`/dev/pts/N`).
    pub terminal: Option<&'a Path>,
    /// Whether a private mount namespace can be set up on this host.
    pub mount_namespace_available: bool,
    /// The running guard binary, for hooks the profile registers with its
    /// client (`[tools] client_hooks`).
    pub guard_exe: Option<&'a Path>,
}

/// Compiles a resolved profile into the policy for one session.
pub fn compile(input: &CompileInput<'_>, host: &dyn HostView) -> Result<Policy, CompileError> {
    let profile = &input.profile.profile;
    let variables = Variables::new(
        input.repo,
        input.home,
        &input.session.home,
        &input.session.tmp,
        |name| host.var(name),
    );
    let mut builder = Builder {
        name: &input.profile.name,
        host,
        variables: &variables,
        session_dir: &input.session.dir,
        path_var: host.var("PATH").unwrap_or_else(|| DEFAULT_PATH.to_string()),
        filesystem: BTreeMap::new(),
        create_dirs: Vec::new(),
        tools: BTreeMap::new(),
        repo: input.repo,
        git_file: GitFile::of(input.repo, host),
    };

    let sections: [(&'static str, &Vec<String>, Access); 3] = [
        ("filesystem.read", &profile.filesystem.read, Access::READ),
        (
            "filesystem.write",
            &profile.filesystem.write,
            Access::READ_WRITE,
        ),
        (
            "filesystem.exec",
            &profile.filesystem.exec,
            Access::READ_EXEC,
        ),
    ];
    for (field, entries, access) in sections {
        for entry in entries {
            builder.add_path_entry(field, entry, access)?;
        }
    }
    for tool in &profile.tools.allow {
        builder.add_tool(tool)?;
    }
    let (path, program) = builder.add_command(input.command)?;
    if let Some(terminal) = input.terminal {
        builder.grant(
            terminal,
            PathKind::File,
            Access::READ_WRITE,
            "the session's terminal",
        );
    }

    // Hook adapters inside the session read its rules and report tool calls.
    builder.grant(
        &input.session.rules_file(),
        PathKind::File,
        Access::READ,
        "the session's rules, for hook adapters",
    );
    builder.grant(
        &input.session.reports_dir(),
        PathKind::Dir,
        Access::READ_WRITE,
        "tool-call reports of hook adapters",
    );
    // guard's hooks for the session's client, registered for it alone.
    let client_hooks = plans::client_hooks(
        input.command,
        &profile.tools.client_hooks,
        input.guard_exe,
        &input.session,
    );
    if let Some(hooks) = &client_hooks {
        builder.add_tool(&hooks.guard.to_string_lossy())?;
        if let Some(settings) = &hooks.settings {
            builder.grant(
                settings,
                PathKind::File,
                Access::READ,
                "the settings that register guard's hooks",
            );
        }
    }
    // Layered caches: their grants come before the protection and the
    // namespace plan, which look at what is writable.
    let layers = super::layers::compile(
        &input.profile.name,
        &profile.filesystem.layered,
        &variables,
        host,
        &input.session.dir,
        input.mount_namespace_available,
    )?;
    for (path, access, because) in &layers.grants {
        builder.grant(path, PathKind::Dir, *access, because);
    }
    builder.create_dirs.extend(layers.create.iter().cloned());
    let protection = super::protection::compile(&super::protection::ProtectionInput {
        profile: &input.profile.name,
        section: &profile.filesystem,
        variables: &variables,
        host,
        repo: input.repo,
        home: input.home,
        filesystem: &builder.filesystem,
        mount_namespace_available: input.mount_namespace_available,
        git_file: builder.git_file.as_ref(),
    })?;
    let session_rc = profile
        .filesystem
        .session_rc
        .iter()
        .map(|entry| {
            super::layers::absolute(
                &input.profile.name,
                &variables,
                "filesystem.session_rc",
                entry,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !session_rc.is_empty() {
        builder.grant(
            &input.session.shell_rc(),
            PathKind::File,
            Access::READ,
            "the session's shell rc",
        );
    }
    let client_dirs = super::client_dirs::compile(&super::client_dirs::ClientDirsInput {
        profile: &input.profile.name,
        section: &profile.filesystem.stand_in,
        variables: &variables,
        host,
        session_dir: &input.session.dir,
        repo: input.repo,
        protection: &protection,
    })?;
    for (path, access, because) in &client_dirs.grants {
        builder.grant(path, PathKind::Dir, *access, because);
    }
    let namespace = input
        .mount_namespace_available
        .then(|| plans::namespace_plan(&builder.filesystem, &protection, host, &layers.layers));
    let mut env = EnvPlan {
        pass: profile.env.pass.clone(),
        set: profile
            .env
            .set
            .iter()
            .map(|(name, value)| {
                let expanded =
                    variables
                        .expand(value)
                        .map_err(|source| CompileError::Variable {
                            profile: input.profile.name.clone(),
                            field: "env.set",
                            entry: format!("{name} = {value:?}"),
                            source,
                        })?;
                Ok((name.clone(), expanded))
            })
            .collect::<Result<_, CompileError>>()?,
    };
    env.set.extend(layers.env.clone());
    env.set.extend(client_dirs.env);
    let mut client_dirs = client_dirs.dirs;
    if let Some(hooks) = &client_hooks {
        plans::register_in_settings(
            input.profile.name.as_str(),
            hooks,
            &mut client_dirs,
            &input.session,
            (host, input.repo),
        )?;
    }
    let mode = match profile.network.mode {
        Some(NetworkModeSetting::Host) => NetworkMode::Host,
        Some(NetworkModeSetting::Allow) => NetworkMode::Allow,
        Some(NetworkModeSetting::None) | None => NetworkMode::None,
    };
    let network = NetworkPolicy {
        mode,
        unix_sockets: builder.unix_sockets(&profile.network)?,
        allow: profile
            .network
            .allow
            .iter()
            .map(|entry| HostRule::parse(entry))
            .collect::<Result<_, _>>()
            .map_err(|refused| CompileError::Conflict {
                profile: input.profile.name.clone(),
                message: format!("network.allow: {refused}"),
            })?,
        allow_private: profile.network.allow_private.unwrap_or(false),
        resolve: profile
            .network
            .resolve
            .iter()
            .map(|entry| parse_resolve(entry))
            .collect::<Result<_, _>>()
            .map_err(|message| CompileError::Conflict {
                profile: input.profile.name.clone(),
                message: format!("network.resolve: {message}"),
            })?,
        upstream: match mode {
            NetworkMode::Allow => {
                super::upstream::from_environment(host).map_err(CompileError::UpstreamProxy)?
            }
            NetworkMode::None | NetworkMode::Host => None,
        },
    };

    Ok(Policy {
        profile: ProfileInfo {
            name: input.profile.name.clone(),
            origin: input.profile.origin.clone(),
            chain: input.profile.chain.clone(),
        },
        repo: input.repo.to_path_buf(),
        command: CommandPlan {
            argv: plans::with_command_args(
                input.command,
                &profile.tools.command_args,
                client_hooks.as_ref(),
            ),
            path,
            program,
        },
        session: input.session.clone(),
        filesystem: builder.filesystem,
        create_dirs: builder.create_dirs,
        tools: builder.tools,
        protection,
        namespace,
        env,
        network,
        file_logging: profile.log.files.unwrap_or(FileLogging::All),
        prompt_logging: profile.log.prompts.unwrap_or_default(),
        scan: ScanPlan {
            on_start: profile.scan.on_start.unwrap_or(ScanOnStart::Off),
            fail_on: profile
                .scan
                .fail_on
                .unwrap_or(crate::scan::Severity::Medium),
            max_files: profile.scan.max_files.unwrap_or(200_000),
        },
        layers: layers.layers,
        client_dirs,
        session_rc,
        client_hooks,
        trust: super::trust::TrustPlan::from_section(&profile.trust),
        credentials: credentials::compile_credentials(
            &input.profile.name,
            &profile.credentials,
            host,
            &builder.path_var,
        )?,
    })
}

/// A `network.resolve` entry that is not `host:port:address`.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not host:port:address")]
struct NotAResolveEntry(String);

/// `host:port:address` → (`host:port`, address).
fn parse_resolve(entry: &str) -> Result<(String, std::net::IpAddr), NotAResolveEntry> {
    let mut parts = entry.splitn(3, ':');
    let (host, port, address) = (parts.next(), parts.next(), parts.next());
    match (
        host,
        port.and_then(|p| p.parse::<u16>().ok()),
        address.and_then(|a| a.trim_matches(['[', ']']).parse().ok()),
    ) {
        (Some(host), Some(port), Some(address)) if !host.is_empty() => {
            Ok((format!("{}:{port}", host.to_ascii_lowercase()), address))
        }
        _ => Err(NotAResolveEntry(entry.to_string())),
    }
}

mod builder;
mod packages;
mod plans;
#[cfg(test)]
mod tests;
