//! The session's first phase: choosing the profile and the repository, and
//! compiling the policy (what `guard run`, `guard policy` and `guard trust`
//! share).

use super::SessionError;
use super::dirs::{StateDir, home_dir, profile_sources};
use crate::cli::SessionArgs;
use crate::launch::Session;
use crate::policy::{CompileInput, HostView, Policy, RealHost, compile};
use crate::profile::{Profile, ProfileSources, ResolvedProfile};
use crate::sandbox::features::KernelFeatures;
use std::path::{Path, PathBuf};

/// Everything compiled for one session, before it starts.
pub struct Prepared {
    /// The compiled policy.
    pub policy: Policy,
    /// The session it was compiled for.
    pub session: Session,
    /// The kernel's features.
    pub features: KernelFeatures,
    /// The host view it was compiled against.
    pub host: RealHost,
    /// What the user should be told (a repository profile left out).
    pub notices: Vec<String>,
}

/// The credentials named with `--cred`, from
/// `$XDG_CONFIG_HOME/guard/credentials.toml`.
fn named_credentials(
    host: &dyn HostView,
    names: &[String],
) -> Result<Vec<crate::profile::CredentialSection>, SessionError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let path = super::dirs::credentials_file(host);
    let defined = crate::profile::CredentialsFile::load(&path)?;
    names
        .iter()
        .map(|name| {
            defined
                .credentials
                .iter()
                .find(|c| &c.name == name)
                .cloned()
                .ok_or_else(|| SessionError::UnknownCredential {
                    name: name.clone(),
                    path: path.clone(),
                })
        })
        .collect()
}

/// Resolves the profile and repository and compiles the policy for
/// `command`, with the repository's `.guard.toml` when it is trusted.
pub fn prepare(
    args: &SessionArgs,
    command: &[String],
    no_namespaces: bool,
) -> Result<Prepared, SessionError> {
    let context = Context::new(args, command, no_namespaces)?;
    let mut notices = Vec::new();
    // A weaker mode is never silent, whoever chose it (the flag, the
    // variable, which anything that sets the environment can set, or the
    // host).
    if !context.features.mount_namespace {
        notices.push(format!(
            "without mount and pid namespaces ({}): protected paths are guarded by the supervisor and checked at the end (docs/security.md, Known limits)",
            context.features.mount_namespace_detail
        ));
    }
    let store = crate::trust::TrustStore::load(&StateDir::of(&context.host).trust_store())?;
    let policy = match store.check(&context.repo)? {
        crate::trust::RepoProfile::Absent => context.compile(None)?,
        crate::trust::RepoProfile::Untrusted { .. } => {
            notices.push(format!(
                "ignoring {}: not trusted (review and trust it with `guard trust`)",
                context.repo.join(crate::trust::REPO_PROFILE).display()
            ));
            context.compile(None)?
        }
        crate::trust::RepoProfile::Changed { text, pin } => {
            return Err(SessionError::RepoProfileChanged {
                path: context.repo.join(crate::trust::REPO_PROFILE),
                diff: crate::trust::line_diff(&pin.text, &text).join("\n"),
            });
        }
        crate::trust::RepoProfile::Trusted { text, pin } => {
            let (base, with) = context.compile_both(&text)?;
            let change = crate::policy::compare(&base, &with);
            if !change.widens.is_empty() && !pin.allow_widen {
                return Err(SessionError::RepoProfileWidens {
                    path: context.repo.join(crate::trust::REPO_PROFILE),
                    grants: change.widens.join("\n  "),
                });
            }
            with
        }
    };
    Ok(context.into_prepared(policy, notices))
}

/// Everything a policy is compiled from, before it is compiled.
pub struct Context {
    host: RealHost,
    home: PathBuf,
    profile: ResolvedProfile,
    /// The repository.
    pub repo: PathBuf,
    command: Vec<String>,
    features: KernelFeatures,
    session: Session,
    terminal: Option<PathBuf>,
}

impl Context {
    /// The repository of the current directory (git top-level, else itself).
    pub fn repo_of_current_dir() -> Result<PathBuf, SessionError> {
        find_repo(None)
    }

    /// Resolves profile, repository, kernel features and session layout.
    pub fn new(
        args: &SessionArgs,
        command: &[String],
        no_namespaces: bool,
    ) -> Result<Context, SessionError> {
        let host = RealHost::from_process();
        let home = home_dir(&host).unwrap_or_else(|| PathBuf::from("/"));
        let sources = profile_sources(&host);
        let mut profile =
            sources.resolve(&choose_profile(args.profile.as_deref(), command, &sources))?;
        add_command_line_grants(
            &mut profile,
            args,
            named_credentials(&host, &args.credentials)?,
        );
        Ok(Context {
            repo: find_repo(args.repo.as_deref())?,
            features: KernelFeatures::probe(no_namespaces),
            session: Session::new()?,
            terminal: crate::sys::terminal_name(),
            command: command.to_vec(),
            host,
            home,
            profile,
        })
    }

    /// Compiles the policy, with `repo_layer` laid over the profile.
    pub fn compile(&self, repo_layer: Option<Profile>) -> Result<Policy, SessionError> {
        let mut profile = self.profile.clone();
        if let Some(layer) = repo_layer {
            profile.profile = crate::profile::overlay(profile.profile, layer);
            profile.chain.push(format!(
                "{} (trusted)",
                self.repo.join(crate::trust::REPO_PROFILE).display()
            ));
        }
        // The binary running now (its hooks run it again inside the session).
        let guard_exe = std::env::current_exe()
            .ok()
            .and_then(|exe| std::fs::canonicalize(exe).ok());
        let input = CompileInput {
            profile: &profile,
            repo: &self.repo,
            command: &self.command,
            session: self.session.paths.clone(),
            home: &self.home,
            terminal: self.terminal.as_deref(),
            mount_namespace_available: self.features.mount_namespace,
            guard_exe: guard_exe.as_deref(),
        };
        Ok(compile(&input, &self.host)?)
    }

    /// The policy without and with the repository profile `text`.
    pub fn compile_both(&self, text: &str) -> Result<(Policy, Policy), SessionError> {
        let path = self.repo.join(crate::trust::REPO_PROFILE);
        let layer = Profile::parse(text, &path.display().to_string())?;
        if !layer.extends.is_empty() {
            return Err(SessionError::Unsafe(format!(
                "{}: a repository profile cannot use `extends`; it is laid over the user's profile",
                path.display()
            )));
        }
        Ok((self.compile(None)?, self.compile(Some(layer))?))
    }

    fn into_prepared(self, policy: Policy, notices: Vec<String>) -> Prepared {
        Prepared {
            policy,
            notices,
            session: self.session,
            features: self.features,
            host: self.host,
        }
    }
}

/// `-p`, else a profile named after the command, else `default`.
fn choose_profile(explicit: Option<&str>, command: &[String], sources: &ProfileSources) -> String {
    if let Some(spec) = explicit {
        return spec.to_string();
    }
    let named_after = command
        .first()
        .and_then(|program| Path::new(program).file_name())
        .map(|name| name.to_string_lossy().into_owned());
    match named_after {
        Some(name)
            if sources.has(&name)
                && !matches!(name.as_str(), "base" | "toolchains" | "assistant") =>
        {
            name
        }
        _ => "default".to_string(),
    }
}

/// `--allow-read`, `--allow-write`, `--allow-exec` as one more profile layer.
fn add_command_line_grants(
    profile: &mut ResolvedProfile,
    args: &SessionArgs,
    credentials: Vec<crate::profile::CredentialSection>,
) {
    let absolute = |paths: &[PathBuf]| -> Vec<String> {
        paths
            .iter()
            .map(|p| {
                std::path::absolute(p)
                    .unwrap_or_else(|_| p.clone())
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    };
    let mut layer = Profile::default();
    layer.filesystem.read = absolute(&args.allow_read);
    layer.filesystem.write = absolute(&args.allow_write);
    layer.tools.allow = args.allow_exec.clone();
    // guard itself, so that git hooks (and a further restricted nested
    // session) work inside a session; it can only add restrictions there.
    if let Ok(guard) = std::env::current_exe() {
        layer.tools.allow.push(guard.to_string_lossy().into_owned());
    }
    layer.credentials = credentials;
    layer.network.allow = args.allow_domain.clone();
    layer.network.resolve = args.resolve.clone();
    layer.network.mode = match args.network {
        None if !args.allow_domain.is_empty() => Some(crate::profile::NetworkModeSetting::Allow),
        mode => mode,
    };
    if layer != Profile::default() {
        profile.profile = crate::profile::overlay(profile.profile.clone(), layer);
        profile
            .chain
            .push("command line (and guard itself)".to_string());
    }
}

/// The repository: `--repo`, else the nearest ancestor of the current
/// directory holding `.git`, else the current directory.
fn find_repo(explicit: Option<&Path>) -> Result<PathBuf, SessionError> {
    let start = match explicit {
        Some(path) => path.to_path_buf(),
        None => std::env::current_dir()?,
    };
    let canonical = std::fs::canonicalize(&start).map_err(|error| SessionError::Repo {
        path: start.clone(),
        reason: error.to_string(),
    })?;
    if !canonical.is_dir() {
        return Err(SessionError::Repo {
            path: start,
            reason: "not a directory".to_string(),
        });
    }
    if explicit.is_some() {
        return Ok(canonical);
    }
    Ok(canonical
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
        .unwrap_or(canonical))
}
